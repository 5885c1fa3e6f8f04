/**
 * Retries for E2B API calls: 429 and 5xx and network failures are retried with exponential backoff
 * and full jitter; 401 and other 4xx are not. A `Retry-After` the error carries is honoured (the
 * `e2b` SDK itself also waits out `Retry-After` on 429 before it gives up and throws, so this layer
 * catches what is left). Sleep and randomness are injectable so tests run without waiting.
 */
import { AuthenticationError } from "e2b";

export type ErrorClass = "retryable" | "unauthorized" | "fatal";

export interface RetryOptions {
  /** Attempts in all, first included. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each wait, e.g. to log "retrying after 429". */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const DEFAULT_RETRY = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 } as const;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function statusOf(e: unknown): number | undefined {
  const s =
    (e as { statusCode?: unknown; status?: unknown } | null)?.statusCode ??
    (e as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

/** How an E2B API failure should be handled. */
export function classifyError(e: unknown): ErrorClass {
  if (e instanceof AuthenticationError) return "unauthorized";
  const status = statusOf(e);
  if (status === 401) return "unauthorized";
  if (status === 429 || (status !== undefined && status >= 500)) return "retryable";
  if (status !== undefined) return "fatal";
  // No HTTP status: the request never got an answer (connection refused, reset, DNS, timeout), or
  // the answer could not be read. fetch reports both as `TypeError: fetch failed`, the cause says which.
  if (answerUnreadable(e)) return "fatal";
  const name = (e as Error | null)?.name;
  const msg = String((e as Error | null)?.message ?? "");
  if (
    name === "TimeoutError" ||
    name === "AbortError" ||
    /fetch failed|ECONN|ETIMEDOUT|EAI_AGAIN|socket/i.test(msg) ||
    /^(?:ECONN|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|UND_ERR_(?:SOCKET|CONNECT))/.test(causeCode(e) ?? "")
  ) {
    return "retryable";
  }
  return "fatal";
}

/** The code of the error fetch wraps (`e.cause.code`: ECONNREFUSED, UND_ERR_HEADERS_OVERFLOW, …). */
export function causeCode(e: unknown): string | undefined {
  const code = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * An answer that arrived and cannot be read, which asking again will not change: more headers than
 * fetch reads, a malformed response, or a body of another shape than the SDK expects (its code then
 * fails with a TypeError of its own, `… .map is not a function`).
 */
export function answerUnreadable(e: unknown): boolean {
  const code = causeCode(e);
  if (code !== undefined)
    return /^UND_ERR_(?:HEADERS_OVERFLOW|RES_EXCEEDED_MAX_SIZE|INVALID_ARG|INFO)|^HPE_/.test(code);
  return e instanceof TypeError && !/fetch failed/i.test(e.message);
}

/** Retry-After in ms carried by an error (our own clients attach `retryAfterMs`), if any. */
function retryAfterMs(e: unknown): number | undefined {
  const v = (e as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof v === "number" && v >= 0 ? v : undefined;
}

export function backoffDelay(
  attempt: number,
  o: { baseDelayMs: number; maxDelayMs: number; random: () => number },
): number {
  const cap = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(o.random() * cap);
}

/** Run `fn` until it succeeds, fails with a non-retryable error, or attempts run out (last error thrown). */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? DEFAULT_RETRY.attempts;
  const base = {
    baseDelayMs: opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    random: opts.random ?? Math.random,
  };
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || classifyError(e) !== "retryable") throw e;
      // The server's Retry-After wins over our own schedule, even when longer than maxDelayMs.
      const delayMs = retryAfterMs(e) ?? backoffDelay(attempt, base);
      opts.onRetry?.({ attempt, delayMs, error: e });
      await sleep(delayMs);
    }
  }
}
