/**
 * The guard's E2B-06 egress checks: a sandbox's `network` config against the environment's network
 * policy, header values in `network.rules` (E2B Secret / workload identity placeholders pass,
 * plaintext credentials do not), and the egress proxy's password. Pure functions of the policy and
 * the request, like checks.ts.
 *
 * The SDK accepts callbacks for `allowOut`/`denyOut` and for a rule's `transform`, and a `Map` for
 * `rules`; they are resolved here the way the SDK resolves them before it sends the create, so the
 * guard judges what E2B would receive.
 */
import type { SandboxNetworkOpts } from "e2b";
import type { SandboxPolicy } from "../policies/model";
import { keyMaterialIn, maskedName } from "./key-material";
import { E2B_PLACEHOLDER as PLACEHOLDER, isPlaintextCredentialHeader } from "../policies/credential-shapes";
import type { Violation } from "./errors";

/** E2B's "all traffic" CIDR (the SDK's `ALL_TRAFFIC`). */
export const ALL_TRAFFIC = "0.0.0.0/0";

type Selector = string[] | ((ctx: { allTraffic: string; rules: Map<string, unknown[]> }) => string[]);
type Transform = { headers?: Record<string, string> };
type Rule = { transform?: Transform | ((ctx: unknown) => Transform) };

/** The part of the SDK's `SandboxNetworkOpts` the guard reads (kept structural, SDK-version tolerant). */
export interface NetworkRequest {
  allowOut?: Selector;
  denyOut?: Selector;
  rules?: Record<string, Rule[]> | Map<string, Rule[]>;
  egressProxy?: { address?: string; username?: string; password?: string } | null;
  allowPublicTraffic?: boolean;
  maskRequestHost?: string;
}

/** A network config after callbacks are resolved: what the SDK sends. */
export interface ResolvedNetwork {
  allowOut?: string[];
  denyOut?: string[];
  /** host → header name → value */
  headers: Map<string, Array<[string, string]>>;
  egressProxy?: { address?: string; username?: string; password?: string };
  allowPublicTraffic?: boolean;
}

/** Placeholder stand-ins for a transform callback's `iam.tokens` (any name resolves). */
function transformContext() {
  const tokens = new Proxy({} as Record<string, string>, {
    get: (_t, prop) => (typeof prop === "string" ? `\${e2b.identity.tokens.${prop}}` : undefined),
  });
  return { iam: { tokens } };
}

/** Resolve selectors and transform callbacks as the SDK does. Throws what the caller's callback throws. */
export function resolveNetwork(network: NetworkRequest): ResolvedNetwork {
  const rules = network.rules instanceof Map ? network.rules : new Map(Object.entries(network.rules ?? {}));
  const select = (s: Selector | undefined) =>
    s === undefined
      ? undefined
      : typeof s === "function"
        ? s({ allTraffic: ALL_TRAFFIC, rules: rules as Map<string, unknown[]> })
        : s;
  const headers = new Map<string, Array<[string, string]>>();
  for (const [host, list] of rules) {
    const pairs: Array<[string, string]> = [];
    for (const rule of list ?? []) {
      const t = typeof rule?.transform === "function" ? rule.transform(transformContext()) : rule?.transform;
      for (const [name, value] of Object.entries(t?.headers ?? {})) pairs.push([name, String(value)]);
    }
    headers.set(host.toLowerCase(), pairs);
  }
  return {
    allowOut: select(network.allowOut),
    denyOut: select(network.denyOut),
    headers,
    egressProxy: network.egressProxy ?? undefined,
    allowPublicTraffic: network.allowPublicTraffic,
  };
}

/** Placeholders in a string, e.g. `[{ kind: "secrets", name: "openai" }]`. */
export function placeholdersIn(text: string): Array<{ kind: "secrets" | "identity.tokens"; name: string }> {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({
    kind: m[1] as "secrets" | "identity.tokens",
    name: m[2],
  }));
}

// ---- destinations ----------------------------------------------------------------------------

function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function cidr(text: string): { base: number; bits: number } | undefined {
  const [addr, bitsText] = text.split("/");
  const base = ipv4(addr);
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (base & mask) >>> 0, bits };
}

/** Does the allowed destination `outer` cover the requested `inner` (domain, wildcard, IP, CIDR)? */
export function destinationCovers(outer: string, inner: string): boolean {
  const o = outer.trim().toLowerCase();
  const i = inner.trim().toLowerCase();
  if (o === i) return true;
  const oc = cidr(o);
  const ic = cidr(i);
  if (oc && ic) {
    if (ic.bits < oc.bits) return false;
    const mask = oc.bits === 0 ? 0 : (0xffffffff << (32 - oc.bits)) >>> 0;
    return (ic.base & mask) >>> 0 === oc.base;
  }
  if (oc || ic) return false;
  // `*.example.com` covers `api.example.com` and `*.api.example.com`, not `example.com` (as E2B matches).
  if (o.startsWith("*.")) {
    const suffix = o.slice(1);
    return i.endsWith(suffix) && i.length > suffix.length;
  }
  return false;
}

const isAllTraffic = (d: string) => {
  const c = cidr(d.trim());
  return c !== undefined && c.bits === 0;
};

// ---- the checks ------------------------------------------------------------------------------

export interface NetworkCheckInput {
  network?: NetworkRequest;
  allowInternetAccess?: boolean;
  /** An `updateNetwork` call: it carries no `allowPublicTraffic`, so that is not judged. */
  update?: boolean;
  /** The caller's own API key: found and masked in any form `ownKeyIn` knows (key-material.ts). */
  apiKey?: string;
}

/** Every E2B-06 egress violation of one create (or `updateNetwork`) request. */
export function checkNetwork(policy: SandboxPolicy, req: NetworkCheckInput): Violation[] {
  let resolved: ResolvedNetwork;
  try {
    resolved = resolveNetwork(req.network ?? {});
  } catch (e) {
    return [
      {
        code: "network-invalid",
        field: "network",
        message: `network config could not be resolved: ${(e as Error).message}`,
      },
    ];
  }
  return [
    ...checkDenyByDefault(policy, resolved, req.allowInternetAccess),
    ...checkAllowList(policy, resolved, req.apiKey),
    ...(req.update ? [] : checkPublicTraffic(policy, resolved)),
    ...checkRuleHeaders(policy, resolved, req.apiKey),
    ...checkEgressProxy(resolved, req.apiKey),
  ];
}

function checkDenyByDefault(
  policy: SandboxPolicy,
  net: ResolvedNetwork,
  allowInternetAccess: boolean | undefined,
): Violation[] {
  if (!policy.network?.denyByDefault) return [];
  const deniesAll = allowInternetAccess === false || (net.denyOut ?? []).some(isAllTraffic);
  if (deniesAll) return [];
  return [
    {
      code: "network-not-deny-by-default",
      field: "network.denyOut",
      message:
        `environment "${policy.environment}" requires sandbox egress to be denied by default: set network.denyOut to ` +
        `["${ALL_TRAFFIC}"] (or allowInternetAccess: false) and list what the sandbox needs in network.allowOut`,
    },
  ];
}

function checkAllowList(policy: SandboxPolicy, net: ResolvedNetwork, apiKey?: string): Violation[] {
  if (!policy.network) return [];
  const allowed = policy.network.allowOut;
  const out: Violation[] = [];
  for (const dest of net.allowOut ?? []) {
    if (allowed.some((a) => destinationCovers(a, dest))) continue;
    out.push({
      code: "network-destination-not-allowed",
      field: "network.allowOut",
      message: `network.allowOut "${maskedName(dest, apiKey)}" is outside environment "${policy.environment}"'s allowlist (${allowed.length ? allowed.join(", ") : "empty"})`,
    });
  }
  return out;
}

function checkPublicTraffic(policy: SandboxPolicy, net: ResolvedNetwork): Violation[] {
  if (!policy.network || policy.network.allowPublicTraffic) return [];
  if (net.allowPublicTraffic === false) return [];
  return [
    {
      code: "network-public-traffic",
      field: "network.allowPublicTraffic",
      message: `environment "${policy.environment}" requires network.allowPublicTraffic: false (E2B's default lets anyone with a sandbox URL reach it)`,
    },
  ];
}

function checkRuleHeaders(policy: SandboxPolicy, net: ResolvedNetwork, apiKey?: string): Violation[] {
  const out: Violation[] = [];
  const declared = policy.secrets ? new Map(policy.secrets.map((s) => [s.name, s.hosts])) : undefined;
  for (const [host, pairs] of net.headers) {
    for (const [name, value] of pairs) {
      const field = `network.rules.${maskedName(host, apiKey)}.headers.${maskedName(name, apiKey)}`;
      const mask = keyMaterialIn(value, apiKey) ?? keyMaterialIn(name, apiKey);
      if (mask) {
        out.push({
          code: "network-rule-key-material",
          field,
          message: `${field} holds E2B key material (${mask}); the operator's key is never sent from a sandbox`,
        });
        continue;
      }
      const found = placeholdersIn(value);
      if (isPlaintextCredentialHeader(name, value)) {
        out.push({
          code: "network-rule-plaintext-credential",
          field,
          message:
            `${field} is a credential given in plaintext from code; store it as an E2B Secret ` +
            `(Secret.create) and send "\${e2b.secrets.<name>}" (Secret.fill) so the value never passes through your code`,
        });
      }
      for (const p of found) {
        if (p.kind !== "secrets" || !declared) continue;
        const hosts = declared.get(p.name.toLowerCase());
        if (!hosts) {
          out.push({
            code: "network-secret-undeclared",
            field,
            message: `${field} uses E2B Secret "${p.name}", which environment "${policy.environment}" does not declare (declared: ${[...declared.keys()].join(", ") || "none"})`,
          });
        } else if (!hosts.some((h) => destinationCovers(h, host))) {
          out.push({
            code: "network-secret-wrong-host",
            field,
            message: `E2B Secret "${p.name}" may be sent to ${hosts.join(", ")}, not to ${host}`,
          });
        }
      }
    }
  }
  return out;
}

function checkEgressProxy(net: ResolvedNetwork, apiKey?: string): Violation[] {
  const password = net.egressProxy?.password;
  if (typeof password !== "string" || password === "") return [];
  const mask = keyMaterialIn(password, apiKey);
  if (mask)
    return [
      {
        code: "network-rule-key-material",
        field: "network.egressProxy.password",
        message: `network.egressProxy.password holds E2B key material (${mask})`,
      },
    ];
  return [];
}

/**
 * The egress proxy's password, when one is passed: a warning, not a refusal. E2B never returns it
 * and the sandbox cannot see it, but a value present in code is a value that can be committed.
 */
export function egressProxyWarnings(req: NetworkCheckInput): Violation[] {
  const password = req.network?.egressProxy?.password;
  if (typeof password !== "string" || password === "") return [];
  return [
    {
      code: "egress-proxy-plaintext-password",
      field: "network.egressProxy.password",
      message:
        "network.egressProxy.password is given in plaintext from code; read it from your secret store at run time " +
        "(never a literal or a committed config value), and rotate it if it was ever committed",
    },
  ];
}

/**
 * The SDK `network` option that meets `policy`: all egress denied but its allowlist, sandbox URLs
 * as private as it asks, and each declared E2B Secret injected as a header on its hosts. Pass it to
 * `createGuardedSandbox` (add hosts the policy allows as needed).
 */
export function networkForPolicy(policy: SandboxPolicy): SandboxNetworkOpts {
  const rules = new Map<string, Record<string, string>>();
  for (const s of policy.secrets ?? []) {
    for (const host of s.hosts) {
      const headers = rules.get(host.toLowerCase()) ?? {};
      headers[s.header ?? "Authorization"] = `${s.prefix ?? "Bearer "}\${e2b.secrets.${s.name}}`;
      rules.set(host.toLowerCase(), headers);
    }
  }
  const net = policy.network;
  return {
    ...(net?.denyByDefault !== false ? { denyOut: [ALL_TRAFFIC] } : {}),
    ...(net ? { allowOut: [...net.allowOut] } : {}),
    allowPublicTraffic: net?.allowPublicTraffic ?? false,
    ...(rules.size
      ? {
          rules: Object.fromEntries(
            [...rules].map(([host, headers]) => [host, [{ transform: { headers } }]]),
          ),
        }
      : {}),
  };
}
