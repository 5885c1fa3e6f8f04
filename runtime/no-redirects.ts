/**
 * The e2b SDK follows an HTTP redirect from the API to wherever it points, and the fetch standard
 * strips only `Authorization` when a redirect leaves the origin: the team key in `X-API-Key` goes
 * along, to any host. The SDK builds its requests with the global `Request` class (openapi-fetch's
 * default), so a process that holds a team key and talks only to the E2B API installs this once,
 * before its first call: every Request built afterwards asks for a redirect to be handed back, not
 * followed, and the SDK then reports the 3xx as an API error. `sandboxes audit` does; a library
 * caller of the runtime decides for its own process.
 */
const MARK = Symbol.for("e2b-guardrails.no-redirects");

export function refuseRedirects(): void {
  const Base = globalThis.Request as typeof Request & { [MARK]?: true };
  if (Base[MARK]) return;
  class NoRedirectRequest extends Base {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(input, { ...init, redirect: "manual" });
    }
  }
  Object.defineProperty(NoRedirectRequest, MARK, { value: true });
  globalThis.Request = NoRedirectRequest;
}

/** Whether an SDK error is the answer to a redirect that was not followed. */
export function isRedirectStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 300 && status < 400;
}
