/**
 * The guard's decisions, as a pure function of the policy and the request: which metadata the
 * sandbox gets, which timeout, and every violation (E2B-03 attribution, E2B-04 ceilings, E2B-06 no
 * key in the sandbox). No SDK, no I/O, so it is tested exhaustively and reused by other callers.
 */
import type { SandboxPolicy } from "../policies/model";
import { credentialShape, isCredentialByName, isE2BPlaceholderOnly } from "../policies/credential-shapes";
import type { Violation } from "./errors";
import { checkNetwork, egressProxyWarnings, type NetworkRequest } from "./network";
import {
  hexRunsIn,
  keyMaterialIn,
  keyPieceIn,
  maskedName,
  materialIn,
  ownKeyIn,
  type PieceContext,
} from "./key-material";

/** The SDK's default sandbox lifetime (ms) when `timeoutMs` is not given. */
export const SDK_DEFAULT_TIMEOUT_MS = 300_000;

/** Metadata key the guard always sets to the policy's environment name. */
export const ENVIRONMENT_METADATA_KEY = "environment";

/**
 * Env var names that are E2B credentials. Exact names the SDKs and CLI read, plus any name that says
 * it is an E2B key, token or secret (`MY_E2B_KEY`, `NEXT_PUBLIC_E2B_API_KEY`, `E2B_TOKEN`…).
 */
const CREDENTIAL_NAMES = new Set(["E2B_API_KEY", "E2B_ACCESS_TOKEN"]);
const SECRET_WORDS = new Set(["KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "CREDENTIALS"]);

export function isCredentialName(name: string): boolean {
  const upper = name.toUpperCase();
  if (CREDENTIAL_NAMES.has(upper)) return true;
  const words = upper.split(/[^A-Z0-9]+|_/).filter(Boolean);
  return words.includes("E2B") && words.some((w) => SECRET_WORDS.has(w));
}

export interface SandboxRequest {
  metadata?: Record<string, string>;
  /** Shorthands for the attribution keys most policies require. */
  userId?: string;
  requestId?: string;
  envs?: Record<string, string>;
  /** The SDK's `mcp` option: MCP servers and their settings, started inside the sandbox. */
  mcp?: unknown;
  timeoutMs?: number;
  /** `lifecycle.onTimeout` of the SDK: `kill`, `pause` or `{ action }`. */
  onTimeout?: "kill" | "pause" | { action: "kill" | "pause" };
  /**
   * The API key the caller creates with, if known: its value must not reach the sandbox even when
   * it does not look like an `e2b_` key (self-hosted formats).
   */
  apiKey?: string;
  /** The SDK's `network` option (egress allow/deny lists, rules, egress proxy, public traffic). */
  network?: NetworkRequest;
  /** The SDK's `allowInternetAccess`: `false` equals denying 0.0.0.0/0. */
  allowInternetAccess?: boolean;
}

export type CheckResult =
  | { ok: true; metadata: Record<string, string>; timeoutMs: number; warnings: Violation[] }
  | { ok: false; violations: Violation[]; warnings: Violation[] };

/** Where to send third-party credentials instead of env vars; appended to env findings. */
export const E2B_SECRETS_POINTER =
  "store it as an E2B Secret (Secret.create, or the E2BEnvironment component's `secrets`) and inject it at egress " +
  "with network.rules, e.g. { 'api.example.com': [{ transform: { headers: { Authorization: `Bearer ${Secret.fill('name')}` } } }] }";

export function checkSandboxRequest(policy: SandboxPolicy, req: SandboxRequest): CheckResult {
  const violations: Violation[] = [];

  // Metadata: the caller's, plus the shorthands, plus the environment name (always).
  const metadata: Record<string, string> = { ...(req.metadata ?? {}) };
  if (req.userId !== undefined) metadata.user_id = req.userId;
  if (req.requestId !== undefined) metadata.request_id = req.requestId;
  const claimed = metadata[ENVIRONMENT_METADATA_KEY];
  if (claimed !== undefined && claimed !== policy.environment) {
    violations.push({
      code: "metadata-environment-mismatch",
      field: `metadata.${ENVIRONMENT_METADATA_KEY}`,
      message: `metadata.${ENVIRONMENT_METADATA_KEY} is "${maskedName(claimed, req.apiKey)}" but this policy is for environment "${policy.environment}"`,
    });
  }
  metadata[ENVIRONMENT_METADATA_KEY] = policy.environment;
  for (const key of policy.requiredMetadata) {
    const v = metadata[key];
    if (typeof v !== "string" || v.trim() === "") {
      violations.push({
        code: "metadata-missing",
        field: `metadata.${key}`,
        message: `sandbox metadata "${key}" is required in environment "${policy.environment}" (required: ${policy.requiredMetadata.join(", ")})`,
      });
    }
  }
  // What the whole request holds that could complete a key's head found in one of its values.
  const pieces = pieceContext(metadata, req);
  for (const [k, v] of Object.entries(metadata)) {
    const mask = keyMaterialIn(asSent(v), req.apiKey, pieces) ?? keyMaterialIn(k, req.apiKey, pieces);
    if (mask) {
      const shownName = maskedName(k, req.apiKey);
      violations.push({
        code: "metadata-key-material",
        field: `metadata.${shownName}`,
        message: `sandbox metadata "${shownName}" holds key material (${mask}); metadata is visible to anyone who lists sandboxes`,
      });
    }
  }

  // Timeout: never above the ceiling; the default is the policy's, else the SDK's, capped at the ceiling.
  const ceilingMs = policy.timeoutCeilingSeconds * 1000;
  const defaultMs = Math.min(
    (policy.defaultTimeoutSeconds ?? SDK_DEFAULT_TIMEOUT_MS / 1000) * 1000,
    ceilingMs,
  );
  const timeoutMs = req.timeoutMs ?? defaultMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    violations.push({
      code: "timeout-invalid",
      field: "timeoutMs",
      message: `timeoutMs must be a positive number of milliseconds (got ${timeoutMs})`,
    });
  } else if (timeoutMs > ceilingMs) {
    violations.push({
      code: "timeout-above-ceiling",
      field: "timeoutMs",
      message: `timeoutMs ${timeoutMs} is above environment "${policy.environment}"'s ceiling of ${policy.timeoutCeilingSeconds} s (${ceilingMs} ms)`,
    });
  }
  const action = typeof req.onTimeout === "object" ? req.onTimeout.action : req.onTimeout;
  if (action === "pause" && !policy.autoPause.enabled) {
    violations.push({
      code: "auto-pause-not-allowed",
      field: "lifecycle.onTimeout",
      message: `environment "${policy.environment}" does not allow auto-pause (paused sandboxes keep their snapshot until killed)`,
    });
  }

  // Env vars and MCP server settings: model-generated code in the sandbox can read every one (E2B-06).
  const envs = envValues(req.envs);
  const envViolations = checkSandboxValues(policy, req, envs, pieces);
  violations.push(...envViolations);
  // A key split over two variables (`KEY_A` its head, `KEY_B` its tail) that code in the sandbox joins:
  // the values as sent, one after the other (rt48 #5).
  if (!envViolations.some((v) => v.code === "env-key-material") && envs.length > 1) {
    const joined = keyMaterialIn(envs.map((v) => v.value).join(""), req.apiKey, pieces);
    if (joined)
      violations.push({
        code: "env-key-material",
        field: "envs",
        message: `sandbox env vars hold E2B key material split over several of them (${joined}); code in the sandbox could join and exfiltrate it`,
      });
  }
  const mcpSent = mcpAsSent(req.mcp);
  const mcpViolations = checkSandboxValues(policy, req, mcpValues(mcpSent), pieces);
  violations.push(...mcpViolations);
  // Deeper than the settings are listed, or split over settings: the text as sent, as a whole.
  const inMcp = mcpSent === undefined ? undefined : keyMaterialIn(mcpSent, req.apiKey, pieces);
  if (inMcp && !mcpViolations.some((v) => v.code === "mcp-key-material" || v.code === "mcp-credential-name"))
    violations.push({
      code: "mcp-key-material",
      field: "mcp",
      message: `MCP server settings hold E2B key material (${inMcp}); code in the sandbox could read and exfiltrate it`,
    });
  violations.push(...checkNetwork(policy, req));
  const warnings = egressProxyWarnings(req);

  return violations.length > 0
    ? { ok: false, violations, warnings }
    : { ok: true, metadata, timeoutMs, warnings };
}

/** The runs of hex digits of every name and value the sandbox gets: metadata, env vars, MCP settings. */
function pieceContext(metadata: Record<string, string>, req: SandboxRequest): PieceContext {
  const texts = [...Object.entries(metadata), ...Object.entries(req.envs ?? {})].flat().map(asSent);
  const mcp = mcpAsSent(req.mcp);
  return { hexRuns: hexRunsIn(...texts, ...(mcp === undefined ? [] : [mcp])) };
}

/**
 * A value the request puts inside the sandbox under a name: an env var, or a setting of an MCP server
 * (the SDK's `mcp` option starts E2B's MCP gateway in the sandbox with its whole configuration on the
 * command line, readable by any process there).
 */
interface SandboxValue {
  /** The name a credential check reads (`GITHUB_TOKEN`, `githubPersonalAccessToken`). */
  name: string;
  /** Names `allowedEnvNames` may list for it: the env var's, or the MCP setting's path and name. */
  allowAs: readonly string[];
  value: string;
  /** `envs` or `mcp`: the field prefix and the violation codes' prefix. */
  kind: "env" | "mcp";
  /** The path under the kind (`GITHUB_TOKEN`, `github.githubPersonalAccessToken`). */
  path: string;
}

function envValues(envs: Record<string, string> | undefined): SandboxValue[] {
  return Object.entries(envs ?? {}).map(([name, v]) => ({
    name,
    allowAs: [name],
    value: asSent(v),
    kind: "env",
    path: name,
  }));
}

/**
 * A value as the SDK sends it: env vars and metadata go into the create request's JSON body as they
 * are, so a wrapper whose `toString()` hides a secret and whose `toJSON()` gives it is judged by what
 * `JSON.stringify` makes of it (a string as the string itself), not by `String(v)`.
 */
export function asSent(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    const json = JSON.stringify(v);
    if (json !== undefined) return json.startsWith('"') ? (JSON.parse(json) as string) : json;
  } catch {
    // Not serializable: the SDK could not send it either; judged by its text.
  }
  return String(v);
}

/** How deep MCP settings are listed one by one; deeper, the settings are judged as one text. */
const MCP_DEPTH = 32;

/**
 * What the SDK sends of the `mcp` option: `JSON.stringify(mcp)`, as the create request's `mcp` field
 * and on the MCP gateway's command line in the sandbox. A `URL`, a `toJSON` wrapper or a name is sent
 * as text too, so the settings are judged as sent. Undefined when the SDK could not send them either.
 */
export function mcpAsSent(mcp: unknown): string | undefined {
  if (mcp === undefined) return undefined;
  try {
    return JSON.stringify(mcp);
  } catch {
    return undefined;
  }
}

/** Every setting of the MCP servers as sent (mcpAsSent), by path, names included; bounded in depth. */
function mcpValues(sent: string | undefined): SandboxValue[] {
  if (sent === undefined) return [];
  const out: SandboxValue[] = [];
  const stack: Array<{ v: unknown; path: string[] }> = [{ v: JSON.parse(sent) as unknown, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    const isContainer = v !== null && typeof v === "object";
    const entries = isContainer ? Object.entries(v as Record<string, unknown>) : [];
    // A leaf, or a container with nothing inside (its name may be all there is): judged by path and value.
    if (!isContainer || entries.length === 0 || path.length >= MCP_DEPTH) {
      const name = path[path.length - 1] ?? "mcp";
      out.push({
        name,
        allowAs: [name, path.join(".")],
        value: isContainer ? "" : String(v),
        kind: "mcp",
        path: path.join("."),
      });
      continue;
    }
    for (const [k, x] of entries) stack.push({ v: x, path: [...path, k] });
  }
  return out;
}

const what = (v: SandboxValue, shownPath: string) =>
  v.kind === "env" ? `env var ${shownPath}` : `MCP server setting mcp.${shownPath}`;

/**
 * E2B credentials and key material (by name or value, the caller's own key too), then third-party
 * credentials (by name or value shape, unless `allowedEnvNames` lists the name): model-generated code
 * can read every value the sandbox gets, so third-party credentials go through E2B Secrets instead.
 */
function checkSandboxValues(
  policy: SandboxPolicy,
  req: SandboxRequest,
  values: SandboxValue[],
  pieces: PieceContext,
): Violation[] {
  const allowed = new Set(policy.allowedEnvNames ?? []);
  const out: Violation[] = [];
  // How a violation names the value: masked, and only for the values that have one (most have none).
  const named = (v: SandboxValue) => {
    const shownPath = maskedName(v.path, req.apiKey);
    return { field: `${v.kind === "env" ? "envs" : "mcp"}.${shownPath}`, shown: what(v, shownPath) };
  };
  for (const v of values) {
    if (isCredentialName(v.name)) {
      const { field, shown } = named(v);
      out.push({
        code: `${v.kind}-credential-name`,
        field,
        message: `${shown} names an E2B credential; the operator's key must never enter a sandbox (use E2B Secrets for third-party credentials)`,
      });
      continue;
    }
    // The name too: code in the sandbox reads names as easily as values. Each text is searched once.
    const inValue = materialIn(v.value);
    const inName = inValue === undefined ? materialIn(v.path) : undefined;
    const mask =
      inValue ??
      ownKeyIn(v.value, req.apiKey) ??
      inName ??
      ownKeyIn(v.path, req.apiKey) ??
      keyPieceIn(v.value, req.apiKey, pieces) ??
      keyPieceIn(v.path, req.apiKey, pieces);
    if (mask) {
      const { field, shown } = named(v);
      out.push({
        code: `${v.kind}-key-material`,
        field,
        message: `${shown} holds E2B key material (${mask}); code in the sandbox could read and exfiltrate it`,
      });
      continue;
    }
    if (isE2BPlaceholderOnly(v.value)) continue;
    const shape = credentialShape(v.value);
    const byName = !v.allowAs.some((n) => allowed.has(n)) && isCredentialByName(v.name, v.value);
    if (!shape && !byName) continue;
    const { field, shown } = named(v);
    out.push({
      code: `${v.kind}-third-party-credential`,
      field,
      message: `${shown} ${shape ? `holds a ${shape}` : "is named as a credential"}; code in the sandbox could read and exfiltrate it: ${E2B_SECRETS_POINTER}`,
    });
  }
  return out;
}
