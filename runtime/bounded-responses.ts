/**
 * The e2b SDK reads each API answer whole (`response.json()`), and fetch inflates a gzip or brotli
 * body on the way, whatever was asked for: a few megabytes on the wire can become gigabytes in memory
 * (a hostile or broken API, or something between). On Node the SDK fetches with its own copy of
 * undici, not the global fetch, and takes no fetch of ours for the API, so a process that lists
 * sandboxes installs this once, beside `refuseRedirects`: the body readers of that copy's Response
 * (and of the global one, which the SDK falls back to) read at most a limit, as inflated, and past it
 * stop reading and fail with an error that says so (never retried: the same answer would come again).
 */
import path from "node:path";

const MARK = Symbol.for("e2b-guardrails.bounded-responses");

/** The name of the error a bounded reader throws (matched by name: see audit-run.ts). */
export const RESPONSE_TOO_LARGE = "ResponseTooLarge";

export class ResponseTooLarge extends Error {
  constructor(readonly limitBytes: number) {
    super(`its answer is larger than ${limitBytes / (1024 * 1024)} MiB (as inflated), and was not read`);
    this.name = RESPONSE_TOO_LARGE;
  }
}

type BodyReaders = Pick<Response, "text" | "json" | "arrayBuffer"> & { [MARK]?: true };

export function boundResponses(limitBytes: number): void {
  for (const proto of responsePrototypes()) bound(proto, limitBytes);
}

/** The Response classes the SDK may read answers with: its undici's (as it loads it), then the global. */
function responsePrototypes(): BodyReaders[] {
  const out: BodyReaders[] = [];
  let sdkDir: string | undefined;
  try {
    sdkDir = path.dirname(require.resolve("e2b"));
  } catch {
    // no SDK beside us: nothing of its to bound
  }
  // The candidates the SDK tries, in its order (e2b's loadUndici).
  for (const name of ["undici8", "undici"]) {
    if (!sdkDir) break;
    try {
      const undici = require(require.resolve(name, { paths: [sdkDir] })) as { Response?: typeof Response };
      if (undici.Response) out.push(undici.Response.prototype);
    } catch {
      // not installed
    }
  }
  out.push(globalThis.Response.prototype);
  return out;
}

function bound(proto: BodyReaders, limitBytes: number): void {
  if (proto[MARK]) return;
  async function bytes(this: Response): Promise<Buffer> {
    if (!this.body) return Buffer.alloc(0);
    const reader = this.body.getReader();
    const chunks: Uint8Array[] = [];
    let seen = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks, seen);
      seen += value.byteLength;
      if (seen > limitBytes) {
        await reader.cancel().catch(() => undefined);
        throw new ResponseTooLarge(limitBytes);
      }
      chunks.push(value);
    }
  }
  Object.assign(proto, {
    async arrayBuffer(this: Response) {
      const b = await bytes.call(this);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
    // UTF-8 with a leading byte order mark dropped, as the fetch standard decodes a body.
    async text(this: Response) {
      return new TextDecoder().decode(await bytes.call(this));
    },
    async json(this: Response) {
      return JSON.parse(new TextDecoder().decode(await bytes.call(this))) as unknown;
    },
  });
  Object.defineProperty(proto, MARK, { value: true });
}
