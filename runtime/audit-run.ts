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
import { classifyError, withRetry, type RetryOptions } from "./retry";
import {
  SandboxAuditor,
  leakReasons,
  type AuditReport,
  type AuditRules,
  type AuditedSandbox,
  type LeakedSandbox,
} from "./auditor";

export interface ApiConnection {
  apiKey: string;
  /** Default: `E2B_API_URL`, else E2B's public API (the SDK decides). */
  apiUrl?: string;
  requestTimeoutMs?: number;
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

function connection(c: ApiConnection) {
  // `apiUrl` is honoured by the SDK but is `@internal` in its types.
  return {
    apiKey: c.apiKey,
    requestTimeoutMs: c.requestTimeoutMs,
    ...(c.apiUrl ? { apiUrl: c.apiUrl } : {}),
  };
}

function toAudited(s: SandboxInfo): AuditedSandbox {
  return {
    sandboxId: s.sandboxId,
    templateId: s.templateId,
    startedAt: s.startedAt,
    endAt: s.endAt,
    state: s.state,
    cpuCount: s.cpuCount,
    memoryMB: s.memoryMB,
    metadata: s.metadata ?? {},
  };
}

/** Turn an API failure that survived the retries into the audit's typed error. */
export function toAuditError(e: unknown, c: ApiConnection, what: string): AuditError {
  const where = c.apiUrl ?? process.env.E2B_API_URL ?? "the E2B API";
  const cls = classifyError(e);
  const detail = (e as Error)?.message ?? String(e);
  if (cls === "unauthorized") {
    return new AuditError(
      "unauthorized",
      `${where} refused the API key ${maskKey(c.apiKey)} (401) while ${what}: it is unknown, malformed or revoked; check E2B_API_KEY`,
    );
  }
  if (cls === "retryable")
    return new AuditError(
      "unreachable",
      `${where} is unreachable or failing while ${what}, after retries: ${detail}`,
    );
  return new AuditError("api-error", `${where} refused the request while ${what}: ${detail}`);
}

/** List every sandbox page by page and audit it. Throws AuditError (unauthorized/unreachable/api-error). */
export async function auditSandboxes(o: AuditRunOptions): Promise<AuditRun> {
  if (!o.apiKey)
    throw new AuditError("bad-usage", "no API key: set E2B_API_KEY (read from the environment only)");
  const pageSize = o.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw new AuditError("bad-usage", `page size must be 1–100 (got ${pageSize})`);
  const rules: AuditRules = { ...o.rules, now: (o.now ?? (() => new Date()))() };
  const auditor = new SandboxAuditor(rules);
  const listOpts: SandboxListOpts = {
    ...connection(o),
    limit: pageSize,
    query: { state: ["running", "paused"], ...(o.metadata ? { metadata: o.metadata } : {}) },
  } as SandboxListOpts;
  const paginator = Sandbox.list(listOpts);
  let pages = 0;
  while (paginator.hasNext) {
    // A failed page leaves the paginator's cursor where it was, so the retry asks for the same page.
    let items: SandboxInfo[];
    try {
      items = await withRetry(() => paginator.nextItems(), o.retry);
    } catch (e) {
      throw toAuditError(e, o, `listing sandboxes (page ${pages + 1})`);
    }
    pages++;
    for (const s of items) auditor.add(toAudited(s));
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
  c: ApiConnection & { retry?: RetryOptions; now?: () => Date },
  leaked: LeakedSandbox[],
  rules: AuditRules,
): Promise<KillOutcome> {
  const out: KillOutcome = { killed: [], gone: [], spared: [], failed: [] };
  const conn = connection(c) as Parameters<typeof Sandbox.kill>[1];
  for (const l of leaked) {
    let fresh: SandboxInfo;
    try {
      fresh = await withRetry(() => Sandbox.getInfo(l.sandboxId, conn), c.retry);
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
    const now = (c.now ?? (() => new Date()))();
    if (leakReasons(toAudited(fresh), { ...rules, now }).length === 0) {
      out.spared.push(l.sandboxId);
      continue;
    }
    try {
      const existed = await withRetry(() => Sandbox.kill(l.sandboxId, conn), c.retry);
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
  const outcome = await killLeaked(o, run.report.leaked, run.rules);
  return { ...run.report, killed: outcome.killed, outcome };
}
