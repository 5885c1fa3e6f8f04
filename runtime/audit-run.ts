/**
 * The sandbox auditor against the live API: streams every sandbox of the key's team (running and
 * paused) through the SDK's v2 paginator into the pure `SandboxAuditor`, page by page, with retries;
 * then, if asked, kills the leaked ones, re-checking each one first so a sandbox that stopped being
 * leaked (resumed, renamed, already gone) is never killed.
 */
import "./server-only";
import { Sandbox, SandboxNotFoundError, type SandboxInfo, type SandboxListOpts } from "e2b";
import { maskKey } from "../policies/detect/keys";
import { AuditError } from "./errors";
import { answerUnreadable, causeCode, classifyError, withRetry, type RetryOptions } from "./retry";
import { isRedirectStatus } from "./no-redirects";
import { RESPONSE_TOO_LARGE } from "./bounded-responses";
import { withTimeLimit } from "./time-limit";
import {
  SandboxAuditor,
  auditedFromRecord,
  implausibleTimes,
  leakReasons,
  matchesMetadata,
  type AuditReport,
  type AuditRules,
  type LeakedSandbox,
} from "./auditor";

/** Each API request's own limit (the SDK's default is 60 s; a hung API must not hold a run for long). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The whole run's limit: listing, re-checks and kills together. */
export const DEFAULT_DEADLINE_MS = 10 * 60_000;

export interface ApiConnection {
  apiKey: string;
  /** Default: `E2B_API_URL`, else E2B's public API (the SDK decides). */
  apiUrl?: string;
  /** Per request; default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Aborts every request in flight and every one not yet made (the run's overall deadline). */
  signal?: AbortSignal;
}

/**
 * An overall deadline for a run: its signal goes into every request; `check` throws the audit's
 * error once it has passed. `dispose` clears the timer.
 */
export function runDeadline(ms: number = DEFAULT_DEADLINE_MS): {
  signal: AbortSignal;
  check: (what: string) => void;
  dispose: () => void;
} {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlineError(ms)), ms);
  timer.unref?.();
  return {
    signal: controller.signal,
    check: (what) => {
      if (controller.signal.aborted) throw deadlineError(ms, what);
    },
    dispose: () => clearTimeout(timer),
  };
}

class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`deadline of ${ms / 1000} s passed`);
    this.name = "DeadlineError";
  }
}

function deadlineError(ms: number, what: string): AuditError {
  return new AuditError(
    "unreachable",
    `the audit's deadline of ${ms / 1000} s passed while ${what}; nothing more was done`,
  );
}

export interface AuditRunOptions extends ApiConnection {
  rules: Omit<AuditRules, "now">;
  /** Clock; default `new Date()` at the start of the run. */
  now?: () => Date;
  /** Page size, 1–100 (the API's maximum and default). */
  pageSize?: number;
  /** Only sandboxes whose metadata has all these pairs (E2B's server-side metadata filter). */
  metadata?: Record<string, string>;
  retry?: RetryOptions;
  /** Called after each page (for progress output and tests). */
  onPage?: (info: { page: number; items: number }) => void;
}

export interface AuditRun {
  report: AuditReport;
  rules: AuditRules;
  pages: number;
}

/** The SDK's connection options for one attempt: its own signal, which `attempt` ends. */
function connection(c: ApiConnection, signal: AbortSignal) {
  // `apiUrl` is honoured by the SDK but is `@internal` in its types.
  return {
    apiKey: c.apiKey,
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    signal,
    ...(c.apiUrl ? { apiUrl: c.apiUrl } : {}),
  };
}

/**
 * One API call, retried; each attempt ends at the request timeout or the run's deadline on our own
 * timer (see time-limit.ts for why the SDK's signals alone are not enough). Retries stop at the
 * deadline: a retry after it would only wait for an abort.
 */
async function retrying<T>(
  c: ApiConnection & { retry?: RetryOptions },
  call: (conn: ReturnType<typeof connection>) => Promise<T>,
): Promise<T> {
  const timeoutMs = c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return withRetry(
    () => withTimeLimit((signal) => call(connection(c, signal)), { timeoutMs, signal: c.signal }),
    c.retry,
  );
}

/** Turn an API failure that survived the retries into the audit's typed error. */
export function toAuditError(e: unknown, c: ApiConnection, what: string): AuditError {
  if (e instanceof AuditError) return e;
  if (c.signal?.aborted && c.signal.reason instanceof DeadlineError)
    return deadlineError(c.signal.reason.ms, what);
  const where = c.apiUrl ?? process.env.E2B_API_URL ?? "the E2B API";
  const cls = classifyError(e);
  const detail = (e as Error)?.message ?? String(e);
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && isRedirectStatus(status))
    return new AuditError(
      "api-error",
      `${where} answered ${status}, a redirect, while ${what}: not followed, since the API key goes only to the API named (--api-url or E2B_API_URL)`,
    );
  // By name: the readers are patched once per process, possibly by another copy of this module.
  if ((e as Error | null)?.name === RESPONSE_TOO_LARGE)
    return new AuditError("api-error", `${where} sent an answer too large to read while ${what}: ${detail}`);
  const code = causeCode(e);
  if (answerUnreadable(e)) {
    return new AuditError(
      "api-error",
      code
        ? `${where} sent an answer that could not be read while ${what} (${code}); not retried`
        : `${where} answered in a shape the E2B API does not have while ${what} (is it the E2B API, and a version the SDK speaks?); not retried`,
    );
  }
  if (cls === "unauthorized") {
    return new AuditError(
      "unauthorized",
      `${where} refused the API key ${maskKey(c.apiKey)} (401) while ${what}: it is unknown, malformed or revoked; check E2B_API_KEY`,
    );
  }
  if (cls === "retryable")
    return new AuditError(
      "unreachable",
      `${where} is unreachable or failing while ${what}, after retries: ${detail}${code ? ` (${code})` : ""}`,
    );
  return new AuditError("api-error", `${where} refused the request while ${what}: ${detail}`);
}

/**
 * Pages in a row that may bring nothing new before the listing is taken for endless: an API moving
 * sandboxes between pages repeats a few, never a page's worth several times over.
 */
const IDLE_PAGES_LIMIT = 5;

/** List every sandbox page by page and audit it. Throws AuditError (unauthorized/unreachable/api-error). */
export async function auditSandboxes(o: AuditRunOptions): Promise<AuditRun> {
  if (!o.apiKey)
    throw new AuditError("bad-usage", "no API key: set E2B_API_KEY (read from the environment only)");
  const pageSize = o.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw new AuditError("bad-usage", `page size must be 1–100 (got ${pageSize})`);
  const rules: AuditRules = { ...o.rules, now: (o.now ?? (() => new Date()))() };
  const auditor = new SandboxAuditor(rules);
  const query: SandboxListOpts["query"] = {
    state: ["running", "paused"],
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
  let pages = 0;
  // A page token seen before means the API sends us in a circle: stop rather than list for ever.
  const tokens = new Set<string>();
  // So do pages that bring no sandbox id not listed before (judged, skipped or repeated; a record
  // with no id is nothing new), each under a fresh token: counted in a row.
  let idlePages = 0;
  const listed = new Set<string>();
  // Each attempt gets a paginator of its own at the page's token: an attempt given up on (timed out)
  // may still be answered later, and must not move the cursor of the attempt that replaced it.
  const fetchPage = (nextToken: string | undefined) =>
    retrying(o, async (conn) => {
      const paginator = Sandbox.list({ ...conn, limit: pageSize, query, nextToken } as SandboxListOpts);
      const items = await paginator.nextItems();
      return { items, nextToken: paginator.hasNext ? paginator.nextToken : undefined };
    });
  // One request in flight while the page before it is judged: the API's next page and our work on
  // this one overlap. Pages still come one at a time, in order, each token checked before it is used.
  let pending: Promise<{ items: SandboxInfo[]; nextToken?: string }> | undefined = fetchPage(undefined);
  while (pending) {
    let items: SandboxInfo[];
    let next: string | undefined;
    try {
      ({ items, nextToken: next } = await pending);
    } catch (e) {
      throw toAuditError(e, o, `listing sandboxes (page ${pages + 1})`);
    }
    pages++;
    // Held to the page size it was asked for: an API that answers 2 million records for a page of 100
    // would hold them all in memory at once.
    if (items.length > pageSize) {
      throw new AuditError(
        "api-error",
        `${o.apiUrl ?? "the E2B API"} returned ${items.length} sandboxes for a page of ${pageSize} (page ${pages}); listing stopped, nothing was judged or killed`,
      );
    }
    if (next !== undefined) {
      if (tokens.has(next))
        throw new AuditError(
          "api-error",
          `${o.apiUrl ?? "the E2B API"} returned the same next-page token twice (after page ${pages}); listing stopped, nothing was judged or killed`,
        );
      tokens.add(next);
    }
    pending = next !== undefined ? fetchPage(next) : undefined;
    // Judged synchronously: a failure of the page in flight is only read by the `await` above.
    let fresh = 0;
    for (const s of items as unknown[]) {
      const r = auditedFromRecord(s);
      const id = r.ok ? r.sandbox.sandboxId : r.sandboxId;
      if (id !== null && !listed.has(id)) {
        listed.add(id);
        fresh++;
      }
      if (!r.ok) auditor.skip(r.sandboxId, r.reason);
      else if (!matchesMetadata(r.sandbox, o.metadata))
        // The API was asked for these pairs; a record without them is not ours to judge (or kill).
        auditor.skip(
          r.sandbox.sandboxId,
          "outside-filter: the API listed it, but its metadata does not match --metadata",
        );
      else auditor.add(r.sandbox);
    }
    idlePages = next !== undefined && fresh === 0 ? idlePages + 1 : 0;
    if (idlePages >= IDLE_PAGES_LIMIT) {
      // The next page, already asked for, is not read: its failure must not go unhandled.
      pending?.catch(() => undefined);
      throw new AuditError(
        "api-error",
        `${o.apiUrl ?? "the E2B API"} returned ${idlePages} pages in a row with a next-page token and no sandbox not listed before (after page ${pages}); listing stopped, nothing was judged or killed`,
      );
    }
    o.onPage?.({ page: pages, items: items.length });
  }
  return { report: auditor.report(), rules, pages };
}

export interface KillOutcome {
  /** Killed by us now. */
  killed: string[];
  /** Already gone (404 on re-check or on kill): fine, nothing to do. */
  gone: string[];
  /** No longer leaked on re-check (e.g. resumed or timeout extended): left alone. */
  spared: string[];
  failed: { sandboxId: string; error: string }[];
}

/**
 * Kill the given leaked sandboxes, each only after re-reading it and finding it still leaked under
 * the same rules (at the current time). Never touches a sandbox that is not in `leaked`.
 */
export async function killLeaked(
  c: ApiConnection & { retry?: RetryOptions; now?: () => Date; metadata?: Record<string, string> },
  leaked: LeakedSandbox[],
  rules: AuditRules,
): Promise<KillOutcome> {
  const out: KillOutcome = { killed: [], gone: [], spared: [], failed: [] };
  for (const l of leaked) {
    if (c.signal?.aborted) {
      out.failed.push({
        sandboxId: l.sandboxId,
        error: toAuditError(c.signal.reason, c, `re-checking sandbox ${l.sandboxId}`).message,
      });
      continue;
    }
    let fresh: SandboxInfo;
    try {
      fresh = await retrying(c, (conn) => Sandbox.getInfo(l.sandboxId, conn));
    } catch (e) {
      if (e instanceof SandboxNotFoundError) out.gone.push(l.sandboxId);
      else if (classifyError(e) === "unauthorized")
        throw toAuditError(e, c, `re-checking sandbox ${l.sandboxId}`);
      else
        out.failed.push({
          sandboxId: l.sandboxId,
          error: toAuditError(e, c, `re-checking sandbox ${l.sandboxId}`).message,
        });
      continue;
    }
    const refusal = refuseKill(l.sandboxId, fresh, c, rules);
    if (refusal === "spared") {
      out.spared.push(l.sandboxId);
      continue;
    }
    if (refusal) {
      out.failed.push({ sandboxId: l.sandboxId, error: `not killed: ${refusal}` });
      continue;
    }
    try {
      const existed = await retrying(c, (conn) => Sandbox.kill(l.sandboxId, conn));
      (existed ? out.killed : out.gone).push(l.sandboxId);
    } catch (e) {
      if (classifyError(e) === "unauthorized") throw toAuditError(e, c, `killing sandbox ${l.sandboxId}`);
      out.failed.push({
        sandboxId: l.sandboxId,
        error: toAuditError(e, c, `killing sandbox ${l.sandboxId}`).message,
      });
    }
  }
  return out;
}

/**
 * Why the re-read record does not allow a kill: "spared" when it is simply no longer leaked, a reason
 * when the API's answer cannot be trusted, undefined when the kill may go ahead. The record must be
 * the sandbox asked for, well-formed, inside every requested filter, with plausible times, and still
 * leaked under the same rules now.
 */
function refuseKill(
  id: string,
  fresh: unknown,
  c: { now?: () => Date; metadata?: Record<string, string> },
  rules: AuditRules,
): string | undefined {
  const r = auditedFromRecord(fresh);
  if (!r.ok)
    return r.sandboxId !== null && r.sandboxId !== id
      ? `the API answered with another sandbox's record (${r.sandboxId})`
      : `the re-read record is ${r.reason}`;
  if (r.sandbox.sandboxId !== id)
    return `the API answered with another sandbox's record (${r.sandbox.sandboxId})`;
  if (!matchesMetadata(r.sandbox, c.metadata)) return "its metadata does not match --metadata on re-check";
  const now = (c.now ?? (() => new Date()))();
  const reasons = leakReasons(r.sandbox, { ...rules, now });
  if (reasons.length === 0) {
    const suspicious = implausibleTimes(r.sandbox, now);
    return suspicious.length > 0
      ? `its times are implausible on re-check (${suspicious.join("; ")})`
      : "spared";
  }
  return undefined;
}

/** The monitor's summary (components/monitor): live and leaked counts and the burn rate. */
export function summarize(report: AuditReport): {
  live: number;
  leaked: number;
  killed: number;
  burnRateUsdPerHour: number;
} {
  return {
    live: report.running,
    leaked: report.leaked.length,
    killed: report.killed.length,
    burnRateUsdPerHour: report.costPerHourUsd,
  };
}

/**
 * One unattended audit, as the scheduled monitor runs it: list, then (when `kill` is set) kill the
 * leaked sandboxes without asking, each re-checked first. The report's `killed` lists what died.
 */
export async function auditOnce(
  o: AuditRunOptions & { kill?: boolean },
): Promise<AuditReport & { outcome?: KillOutcome }> {
  const run = await auditSandboxes(o);
  if (!o.kill || run.report.leaked.length === 0) return run.report;
  const outcome = await killLeaked({ ...o, metadata: o.metadata }, run.report.leaked, run.rules);
  return { ...run.report, killed: outcome.killed, outcome };
}
