/**
 * A small client for E2B's API-key management endpoints (`/api-keys`, reference/e2b-platform.md §1.4).
 *
 * Authentication is the management credential — a dashboard session bearer token plus `X-Team-ID` —
 * never an API key. The raw key appears only in the create response; every error message that leaves
 * this module is passed through `redactKeys`, so no failure path can print key material.
 *
 * This module runs inside the dynamic provider, whose code Pulumi serialises into state: it holds
 * no credentials itself and depends only on Node globals (`fetch`, `AbortController`, timers).
 */
import { redactKeys } from "../../policies/detect/keys";
import { withTimeLimit } from "../../runtime/time-limit";

export const DEFAULT_E2B_API_URL = "https://api.e2b.app";

export interface ManagementSettings {
  /** Base URL of the E2B API, e.g. `https://api.e2b.app` or a local test server. */
  apiUrl: string;
  /** Dashboard session bearer token (or other management credential); never logged. */
  token: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Attempts per operation, including the first. */
  maxAttempts: number;
  /** First back-off delay for 5xx and network errors; doubles per attempt. */
  baseDelayMs: number;
  /** Longest `Retry-After` we are willing to wait; longer waits fail fast with a clear message. */
  maxRetryAfterMs: number;
}

export const defaultRetry = { timeoutMs: 30_000, maxAttempts: 4, baseDelayMs: 500, maxRetryAfterMs: 60_000 };

/** One API key as `GET /api-keys` lists it (no raw value). */
export interface TeamApiKey {
  id: string;
  name: string;
  createdAt?: string;
  mask?: { prefix?: string; maskedValuePrefix?: string; maskedValueSuffix?: string };
}

/** The create response: the only place the raw key ever appears. */
export interface CreatedTeamApiKey extends TeamApiKey {
  key: string;
}

/** A failed management call, with what an operator needs to act and nothing secret. */
export class E2BApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly retryable: boolean,
  ) {
    super(redactKeys(message));
    this.name = "E2BApiError";
  }
}

interface Response {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

function describeBody(body: unknown): string {
  if (body && typeof body === "object" && "message" in body) {
    const b = body as { code?: unknown; message?: unknown };
    return `${String(b.message)}${b.code !== undefined ? ` (code ${String(b.code)})` : ""}`;
  }
  // Redact before cutting: a key cut in half at the limit would no longer match the pattern.
  return typeof body === "string" && body ? redactKeys(body).slice(0, 200) : "no error body";
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** " (gave up after N attempts)" when retries ran out; nothing when the error was not worth retrying. */
function tried(attempts: number, last: E2BApiError | undefined): string {
  return last?.retryable ? ` (gave up after ${attempts} attempt${attempts === 1 ? "" : "s"})` : "";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One HTTP exchange, no retries. Network failures and timeouts become retryable `E2BApiError`s. */
async function send(
  settings: ManagementSettings,
  teamId: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const url = settings.apiUrl.replace(/\/+$/, "") + path;
  let res: globalThis.Response;
  let text: string;
  try {
    // Our own timer, body included: a signal alone can be cut off by a garbage collection.
    ({ res, text } = await withTimeLimit(
      async (signal) => {
        const answer = await fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${settings.token}`,
            "X-Team-ID": teamId,
            Accept: "application/json",
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        });
        return { res: answer, text: await answer.text() };
      },
      { timeoutMs: settings.timeoutMs },
    ));
  } catch (e) {
    const err = e as Error;
    const why =
      err.name === "TimeoutError" || err.name === "AbortError"
        ? `no response within ${settings.timeoutMs} ms`
        : err.message;
    throw new E2BApiError(`${method} ${settings.apiUrl}${path}: ${why}`, undefined, undefined, true);
  }
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Keep the text: an HTML error page from a proxy still says something useful.
  }
  return { status: res.status, body: parsed, retryAfterMs: parseRetryAfter(res.headers.get("retry-after")) };
}

function failure(method: string, path: string, res: Response): E2BApiError {
  const code =
    res.body && typeof res.body === "object" && "code" in res.body
      ? String((res.body as { code: unknown }).code)
      : undefined;
  const hint =
    res.status === 401 || res.status === 403
      ? " — check the management credential (dashboard bearer token) and that it belongs to this team"
      : "";
  return new E2BApiError(
    `${method} ${path} answered HTTP ${res.status}: ${describeBody(res.body)}${hint}`,
    res.status,
    code,
    res.status === 429 || res.status >= 500,
  );
}

/**
 * Call with retries: 429 waits `Retry-After` (bounded), 5xx and network errors back off exponentially.
 * Only for idempotent calls; creation handles its own retries because a lost response may still
 * have created a key.
 */
export async function call(
  settings: ManagementSettings,
  teamId: string,
  method: string,
  path: string,
  ok: (status: number) => boolean,
  body?: unknown,
): Promise<Response> {
  let last: E2BApiError | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    attempts = attempt;
    let res: Response;
    try {
      res = await send(settings, teamId, method, path, body);
    } catch (e) {
      last = e as E2BApiError;
      if (attempt < settings.maxAttempts) await sleep(settings.baseDelayMs * 2 ** (attempt - 1));
      continue;
    }
    if (ok(res.status)) return res;
    last = failure(method, path, res);
    if (!last.retryable || attempt === settings.maxAttempts) break;
    await sleep(waitBeforeRetry(settings, res, attempt, method, path));
  }
  throw new E2BApiError(
    `E2B API ${last?.message ?? `${method} ${path} failed`}${tried(attempts, last)}`,
    last?.status,
    last?.code,
    last?.retryable ?? false,
  );
}

function waitBeforeRetry(
  settings: ManagementSettings,
  res: Response,
  attempt: number,
  method: string,
  path: string,
): number {
  if (res.status === 429 && res.retryAfterMs !== undefined) {
    if (res.retryAfterMs > settings.maxRetryAfterMs) {
      throw new E2BApiError(
        `E2B API rate-limited ${method} ${path} and asked to wait ${Math.ceil(res.retryAfterMs / 1000)} s, longer than the ` +
          `${Math.ceil(settings.maxRetryAfterMs / 1000)} s we wait; try again later`,
        429,
        undefined,
        true,
      );
    }
    return res.retryAfterMs;
  }
  return settings.baseDelayMs * 2 ** (attempt - 1);
}

export async function listKeys(settings: ManagementSettings, teamId: string): Promise<TeamApiKey[]> {
  const res = await call(settings, teamId, "GET", "/api-keys", (s) => s === 200);
  if (!Array.isArray(res.body))
    throw new E2BApiError("GET /api-keys: expected a JSON array", res.status, undefined, false);
  return res.body as TeamApiKey[];
}

export async function renameKey(
  settings: ManagementSettings,
  teamId: string,
  id: string,
  name: string,
): Promise<void> {
  // The spec says 200; E2B's handler answers 202 with no body.
  await call(
    settings,
    teamId,
    "PATCH",
    `/api-keys/${encodeURIComponent(id)}`,
    (s) => s === 200 || s === 202 || s === 204,
    { name },
  );
}

/** Delete a key; a key that is already gone (404) counts as deleted. */
export async function deleteKey(settings: ManagementSettings, teamId: string, id: string): Promise<void> {
  await call(
    settings,
    teamId,
    "DELETE",
    `/api-keys/${encodeURIComponent(id)}`,
    (s) => s === 204 || s === 200 || s === 404,
  );
}

/**
 * Create a key without leaving orphans. A failed or timed-out POST may still have created a key on
 * the server, so after every failed attempt we list the team's keys and delete any key with our
 * name that did not exist before we started, then retry (429 after `Retry-After`).
 */
export async function createKey(
  settings: ManagementSettings,
  teamId: string,
  name: string,
): Promise<CreatedTeamApiKey> {
  const before = new Set((await listKeys(settings, teamId)).map((k) => k.id));
  let last: E2BApiError | undefined;
  let cleaned = 0;
  let attempts = 0;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    attempts = attempt;
    let res: Response | undefined;
    try {
      res = await send(settings, teamId, "POST", "/api-keys", { name });
    } catch (e) {
      last = e as E2BApiError;
    }
    if (res && res.status === 201) {
      const created = res.body as Partial<CreatedTeamApiKey> | undefined;
      if (created && typeof created.id === "string" && typeof created.key === "string") {
        // An earlier attempt that timed out here may have been carried out by the server after its
        // orphan check ran: look again now that one key is ours, or a second key would stay behind.
        if (attempt > 1) await removeLateOrphans(settings, teamId, name, new Set([...before, created.id]));
        return created as CreatedTeamApiKey;
      }
      last = new E2BApiError("POST /api-keys answered 201 without an id and key", 201, undefined, true);
    } else if (res) {
      last = failure("POST", "/api-keys", res);
    }
    cleaned += await removeOrphans(settings, teamId, name, before, last);
    if (!last?.retryable || attempt === settings.maxAttempts) break;
    await sleep(
      res
        ? waitBeforeRetry(settings, res, attempt, "POST", "/api-keys")
        : settings.baseDelayMs * 2 ** (attempt - 1),
    );
  }
  const tidy =
    cleaned > 0
      ? `; removed ${cleaned} partially created key(s), none left behind`
      : "; no key was left behind";
  throw new E2BApiError(
    `E2B API could not create key "${name}" in team ${teamId}: ${last?.message ?? "unknown error"}` +
      `${tried(attempts, last)}${tidy}`,
    last?.status,
    last?.code,
    last?.retryable ?? false,
  );
}

/** Deletes the keys named `name` whose ids are not in `keep` (made since a create began); how many. */
async function deleteNewKeysNamed(
  settings: ManagementSettings,
  teamId: string,
  name: string,
  keep: Set<string>,
): Promise<number> {
  const made = (await listKeys(settings, teamId)).filter((k) => k.name === name && !keep.has(k.id));
  for (const k of made) await deleteKey(settings, teamId, k.id);
  return made.length;
}

/**
 * After a retried create succeeded: keys of the same name made since it began, other than the one it
 * returned. Best effort: the create succeeded and its key must reach the stack's state, so a failed
 * check is not an error here (the retries' own orphan checks already ran).
 */
async function removeLateOrphans(
  settings: ManagementSettings,
  teamId: string,
  name: string,
  keep: Set<string>,
): Promise<void> {
  try {
    await deleteNewKeysNamed(settings, teamId, name, keep);
  } catch {
    // See above: the created key is returned either way.
  }
}

async function removeOrphans(
  settings: ManagementSettings,
  teamId: string,
  name: string,
  before: Set<string>,
  cause: E2BApiError | undefined,
): Promise<number> {
  try {
    return await deleteNewKeysNamed(settings, teamId, name, before);
  } catch (e) {
    throw new E2BApiError(
      `E2B API could not create key "${name}" in team ${teamId} (${cause?.message ?? "unknown error"}) and could not ` +
        `check for a partially created key (${(e as Error).message}); look for a key named "${name}" in the dashboard ` +
        `and delete it if it is not in this stack's state`,
      cause?.status,
      cause?.code,
      false,
    );
  }
}
