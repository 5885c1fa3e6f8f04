/**
 * Switchable faults for the local E2B API server: queued error responses (429 with `Retry-After`,
 * 5xx, anything) and a delay before every response. Tests switch them on per request count, never
 * per wall-clock time, so they stay deterministic.
 */
export interface FaultSpec {
  status: number;
  /** Seconds, sent as the `Retry-After` header. */
  retryAfter?: number;
  message?: string;
  /** Only requests whose method matches (e.g. "GET"). */
  method?: string;
  /** Only requests whose path matches (string: exact path or prefix ending in `*`). */
  path?: string | RegExp;
  /** Never answer (a hung API): the request stays open until the client gives up or the server closes. */
  hang?: boolean;
}

interface QueuedFault extends FaultSpec {
  remaining: number;
}

export interface FaultRequest {
  method: string;
  path: string;
}

export class Faults {
  private queue: QueuedFault[] = [];
  /** Delay (ms) before every response; 0 = none. */
  delayMs = 0;
  /** How many fault responses were served so far. */
  served = 0;

  /** Answer the next `n` matching requests with this fault instead of handling them. */
  next(n: number, spec: FaultSpec): this {
    this.queue.push({ ...spec, remaining: n });
    return this;
  }

  clear(): void {
    this.queue = [];
    this.delayMs = 0;
  }

  /** Faults still queued (sum of remaining counts). */
  get pending(): number {
    return this.queue.reduce((n, f) => n + f.remaining, 0);
  }

  /** Take the first queued fault matching this request, if any. */
  take(req: FaultRequest): FaultSpec | undefined {
    const f = this.queue.find((q) => q.remaining > 0 && matches(q, req));
    if (!f) return undefined;
    f.remaining--;
    this.queue = this.queue.filter((q) => q.remaining > 0);
    this.served++;
    return f;
  }
}

function matches(f: FaultSpec, req: FaultRequest): boolean {
  if (f.method && f.method.toUpperCase() !== req.method) return false;
  if (f.path === undefined) return true;
  if (f.path instanceof RegExp) return f.path.test(req.path);
  if (f.path.endsWith("*")) return req.path.startsWith(f.path.slice(0, -1));
  return req.path === f.path;
}
