/**
 * `--verify-keys`: is a leaked key still live? For each distinct E2B key found in the stacks the CLI
 * sent to the pack, one read-only request to the E2B API (`E2B_API_URL` or E2B's default, nowhere
 * else) tells live / revoked / unknown; findings about live keys then say "rotate now".
 *
 * The pack reports keys only as masks and fingerprints, so the raw keys are found again here, in the
 * resource graphs, and kept in memory only: never logged, reported or written. A key goes out only
 * in the authentication header of that one request, which never follows a redirect (a redirect
 * could carry the header to another host). Requests are sequential, spaced (rate limit), each
 * time-limited, and the whole check has a deadline; whatever is left when it passes is "unknown".
 *
 * The request reads nothing: it asks for a sandbox (API keys) or a template build (deprecated access
 * tokens) that cannot exist. E2B authenticates before it routes, so 401 means the key is refused
 * and 404 (or 403) means it was accepted.
 */
import type { ResourceGraph } from "../engine";
import { fingerprintKey, maskKey } from "../policies/detect/keys";
import type { Finding, StackReport } from "../policies/api";
import { withTimeLimit } from "../runtime/time-limit";

export type KeyStatus = "live" | "revoked" | "unknown";

export const DEFAULT_E2B_API_URL = "https://api.e2b.app";

export interface VerifyOptions {
  /** Default: `E2B_API_URL`, else E2B's public API. */
  apiUrl?: string;
  /** Per request; default 5 s. */
  requestTimeoutMs?: number;
  /** For the whole check; default 60 s. */
  deadlineMs?: number;
  /** Least time between two requests; default 250 ms (4 per second). */
  minIntervalMs?: number;
  /** At most this many keys are checked; default 100. */
  maxKeys?: number;
  /** Longest `Retry-After` waited once on a 429; default 10 s. */
  maxRetryAfterMs?: number;
}

/** One distinct key: where it was seen, and (in memory only) its value. */
interface FoundKey {
  key: string;
  mask: string;
  fingerprint: string;
  /** URNs of resources holding it; `stack:<project>/<stack>` for stack config. */
  where: Set<string>;
}

export interface KeyCheck {
  mask: string;
  fingerprint: string;
  status: KeyStatus;
  /** Why, for unknown (no key in it). */
  reason?: string;
}

const KEY = /(?<![A-Za-z0-9_])(?:sk_e2b_|e2b_)[0-9a-f]{40}(?![A-Za-z0-9_])/g;
const BASE64 = /^[A-Za-z0-9+/_-]{58,}={0,2}$/;

/** Every distinct key in the graphs (inputs, outputs, stack config; also inside base64 text). */
export function collectKeys(graphs: readonly ResourceGraph[]): Map<string, FoundKey> {
  const found = new Map<string, FoundKey>();
  const add = (text: string, where: string) => {
    const scan = (t: string) => {
      if (!t.includes("e2b_")) return;
      for (const m of t.matchAll(KEY)) {
        const fp = fingerprintKey(m[0]);
        let k = found.get(fp);
        if (!k) found.set(fp, (k = { key: m[0], mask: maskKey(m[0]), fingerprint: fp, where: new Set() }));
        k.where.add(where);
      }
    };
    scan(text);
    if (BASE64.test(text)) scan(Buffer.from(text, "base64").toString("latin1"));
  };
  const walk = (v: unknown, where: string) => {
    const stack = [v];
    while (stack.length) {
      const x = stack.pop();
      if (typeof x === "string") add(x, where);
      else if (Array.isArray(x)) stack.push(...x);
      else if (x && typeof x === "object") stack.push(...Object.values(x as Record<string, unknown>));
    }
  };
  for (const g of graphs) {
    for (const r of g.resources) {
      walk(r.inputs, r.urn);
      walk(r.outputs, r.urn);
    }
    walk(Object.values(g.config), stackWhere(g.project, g.stack));
  }
  return found;
}

const stackWhere = (project: string, stack: string) => `stack:${project}/${stack}`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The API base: the option, else `E2B_API_URL`, else E2B's; only http(s). */
export function verifyApiUrl(opts: VerifyOptions = {}, env = process.env): string {
  const raw = opts.apiUrl ?? env.E2B_API_URL ?? DEFAULT_E2B_API_URL;
  const url = new URL(raw);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`E2B_API_URL must be an http(s) URL (got ${url.protocol})`);
  return raw.replace(/\/+$/, "");
}

/** One read-only request for one key; never throws. */
async function checkOne(
  apiUrl: string,
  key: string,
  opts: Required<VerifyOptions>,
): Promise<{ status: KeyStatus; reason?: string }> {
  const token = key.startsWith("sk_e2b_");
  const path = token
    ? "/templates/e2b-guardrails-key-check/builds/e2b-guardrails-key-check/status"
    : "/sandboxes/e2b-guardrails-key-check";
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${key}` } : { "X-API-Key": key };
  for (let attempt = 1; attempt <= 2; attempt++) {
    let res: Response;
    try {
      res = await withTimeLimit(
        async (signal) => {
          const answer = await fetch(apiUrl + path, {
            method: "GET",
            headers: { ...headers, Accept: "application/json" },
            redirect: "manual",
            signal,
          });
          await answer.body?.cancel();
          return answer;
        },
        { timeoutMs: opts.requestTimeoutMs },
      );
    } catch (e) {
      const err = e as Error;
      const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
      return {
        status: "unknown",
        reason: timedOut ? `no answer within ${opts.requestTimeoutMs} ms` : "E2B API unreachable",
      };
    }
    if (res.status === 401) return { status: "revoked" };
    if (res.status === 404 || res.status === 403 || (res.status >= 200 && res.status < 300))
      return { status: "live" };
    const retryAfter = Number(res.headers.get("retry-after"));
    if (
      res.status === 429 &&
      attempt === 1 &&
      Number.isFinite(retryAfter) &&
      retryAfter * 1000 <= opts.maxRetryAfterMs
    ) {
      await sleep(retryAfter * 1000);
      continue;
    }
    return { status: "unknown", reason: `E2B API answered HTTP ${res.status}` };
  }
  return { status: "unknown", reason: "E2B API kept rate-limiting" };
}

/** Check each key once, in order, spaced and within the deadline. */
export async function checkKeys(keys: Iterable<FoundKey>, options: VerifyOptions = {}): Promise<KeyCheck[]> {
  const opts: Required<VerifyOptions> = {
    apiUrl: verifyApiUrl(options),
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    deadlineMs: options.deadlineMs ?? 60_000,
    minIntervalMs: options.minIntervalMs ?? 250,
    maxKeys: options.maxKeys ?? 100,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 10_000,
  };
  const deadline = Date.now() + opts.deadlineMs;
  const out: KeyCheck[] = [];
  let last = 0;
  for (const k of keys) {
    const base = { mask: k.mask, fingerprint: k.fingerprint };
    if (out.length >= opts.maxKeys) {
      out.push({ ...base, status: "unknown", reason: `not checked: more than ${opts.maxKeys} keys` });
      continue;
    }
    const wait = Math.max(0, last + opts.minIntervalMs - Date.now());
    if (Date.now() + wait + opts.requestTimeoutMs > deadline) {
      out.push({
        ...base,
        status: "unknown",
        reason: `not checked: the ${opts.deadlineMs} ms limit was reached`,
      });
      continue;
    }
    await sleep(wait);
    last = Date.now();
    out.push({ ...base, ...(await checkOne(opts.apiUrl, k.key, opts)) });
  }
  return out;
}

/** What a finding about a key of this status gains: the verdict, and for a live key what to do now. */
export function keyCheckNote(check: KeyCheck): string {
  if (check.status === "live")
    return (
      ` [key check: LIVE — the E2B API accepts this key (${check.fingerprint}). Rotate now: change rotation.trigger ` +
      "(and rotation.createdAt) of the E2BEnvironment that owns it and run `pulumi up` once — the new key is stored " +
      "before the old one is deleted; a key no component owns must be deleted in the E2B dashboard.]"
    );
  if (check.status === "revoked")
    return ` [key check: revoked — the E2B API refuses this key (${check.fingerprint}); remove it from the stack anyway.]`;
  return ` [key check: unknown — ${check.reason ?? "no answer"} (${check.fingerprint}).]`;
}

/**
 * Check the keys found in `graphs` and annotate the findings that name them (by mask, on a resource
 * holding the key). Returns the checks (masks and fingerprints only) for a summary line.
 */
export async function verifyLeakedKeys(
  reports: StackReport[],
  graphs: readonly ResourceGraph[],
  options: VerifyOptions = {},
): Promise<KeyCheck[]> {
  const found = collectKeys(graphs);
  if (found.size === 0) return [];
  const checks = await checkKeys(found.values(), options);
  const byFingerprint = new Map(checks.map((c) => [c.fingerprint, c]));
  const keys = [...found.values()];
  for (const report of reports) {
    const stackUrnWhere = stackWhere(report.project, report.stack);
    const annotate = (f: Finding) => {
      const k = keys.find(
        (x) => f.message.includes(x.mask) && (x.where.has(f.urn) || x.where.has(stackUrnWhere)),
      );
      const check = k && byFingerprint.get(k.fingerprint);
      if (!check || f.keyStatus) return;
      f.keyStatus = check.status;
      f.message += keyCheckNote(check);
    };
    // A finding can be listed under its case and in the stack's list: annotate each object once.
    report.findings.forEach(annotate);
    for (const c of report.cases) c.findings.forEach(annotate);
  }
  return checks;
}

/** One line for stderr: counts only. */
export function keyCheckSummary(checks: readonly KeyCheck[]): string {
  const n = (s: KeyStatus) => checks.filter((c) => c.status === s).length;
  return `e2b-guardrails: --verify-keys checked ${checks.length} distinct key(s): ${n("live")} live, ${n("revoked")} revoked, ${n("unknown")} unknown`;
}
