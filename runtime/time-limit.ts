/**
 * A network call bounded by a time limit and an outer AbortSignal on timers and listeners we hold.
 *
 * Why not just `signal: AbortSignal.timeout(ms)` or the `e2b` SDK's `requestTimeoutMs`: on Node 20
 * those signals reach the request through `AbortSignal.any` and undici's `Request`, which follow their
 * source signals by weak reference. After a garbage collection the link can be gone, and a request
 * the server holds open then never ends (nodejs/node#55428, nodejs/undici#4984). Here the promise we
 * return settles on our own timer or our own listener whatever happens to those links; the inner
 * signal is still aborted so the socket is released where the link survived.
 */

export interface TimeLimit {
  timeoutMs: number;
  /** Ends the call early with its reason (e.g. the run's overall deadline). */
  signal?: AbortSignal;
}

export class RequestTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    // The name fetch gives a timed-out request, so retry classification treats both alike.
    this.name = "TimeoutError";
  }
}

/**
 * Run `call` with a signal of its own, and settle with its result, or reject with a
 * RequestTimeoutError after `timeoutMs`, or with `signal.reason` when `signal` aborts: whichever
 * comes first. A call that loses the race is aborted and its outcome ignored.
 */
export function withTimeLimit<T>(call: (signal: AbortSignal) => Promise<T>, limit: TimeLimit): Promise<T> {
  const outer = limit.signal;
  if (outer?.aborted) return Promise.reject(outer.reason);
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    // Every name is declared before any closure uses it: the dynamic provider that calls this is
    // serialised by Pulumi, whose closure capture cannot follow a name read before its declaration.
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    let onAbort: (() => void) | undefined = undefined;
    const finish = () => {
      clearTimeout(timer);
      if (onAbort) outer?.removeEventListener("abort", onAbort);
    };
    const stop = (reason: unknown) => {
      finish();
      inner.abort(reason);
      reject(reason);
    };
    onAbort = () => stop(outer?.reason);
    timer = setTimeout(() => stop(new RequestTimeoutError(limit.timeoutMs)), limit.timeoutMs);
    outer?.addEventListener("abort", onAbort, { once: true });
    let started: Promise<T>;
    try {
      started = call(inner.signal);
    } catch (e) {
      started = Promise.reject(e);
    }
    started.then(
      (value) => {
        finish();
        resolve(value);
      },
      (e) => {
        finish();
        reject(e);
      },
    );
  });
}
