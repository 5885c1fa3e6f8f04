/**
 * Inflating gzip and zlib streams up to a limit, keeping what came out before it: a compression bomb
 * costs no more than the limit, and a key near the start of a huge stream is still read. (Node's
 * zlib throws away everything once `maxOutputLength` is passed.) fflate loads on first use.
 */
const fflate = () => require("fflate") as typeof import("fflate");

export type StreamKind = "gzip" | "zlib";

/** What a gzip or zlib stream's first bytes say it is, if either. */
export function streamKind(b: Uint8Array): StreamKind | undefined {
  if (b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8) return "gzip";
  // zlib: deflate with a window of 32 KB or less, and a header whose check bits make it a multiple of 31.
  if (b.length >= 2 && (b[0] & 0x0f) === 8 && b[0] >> 4 <= 7 && (b[0] * 256 + b[1]) % 31 === 0) return "zlib";
  return undefined;
}

/** Input is fed in pieces this large, so one piece of a bomb inflates to about a megabyte at most. */
const STEP = 1024;

/**
 * The stream's contents, at most `max` bytes of them (`truncated` when there was more). Whatever
 * follows the stream (text glued after base64, a trailer) is ignored, and a cut-off or corrupt
 * stream gives what it held up to there. Undefined when `b` is no gzip or zlib stream.
 */
export function inflateUpTo(
  b: Uint8Array,
  max: number,
): { bytes: Uint8Array; truncated: boolean } | undefined {
  const kind = streamKind(b);
  if (!kind || max <= 0) return undefined;
  const body = b.subarray(kind === "gzip" ? gzipHeaderLength(b) : 2);
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  const inflate = new (fflate().Inflate)((chunk, final) => {
    if (done) return;
    chunks.push(chunk);
    size += chunk.length;
    if (size > max || final) done = true;
  });
  try {
    for (let i = 0; i < body.length && !done; i += STEP) inflate.push(body.subarray(i, i + STEP), false);
  } catch {
    // Corrupt past some point (or the stream ended and text followed): what came out stands.
  }
  const all = Buffer.concat(chunks);
  return { bytes: all.subarray(0, max), truncated: all.length > max };
}

/** The length of a gzip member's header (RFC 1952: fixed part, then the optional fields its flags name). */
function gzipHeaderLength(b: Uint8Array): number {
  const flags = b[3];
  let i = 10;
  if (flags & 4) i += 2 + (b[i] | (b[i + 1] << 8)); // FEXTRA
  if (flags & 8) while (i < b.length && b[i++] !== 0); // FNAME
  if (flags & 16) while (i < b.length && b[i++] !== 0); // FCOMMENT
  if (flags & 2) i += 2; // FHCRC
  return Math.min(i, b.length);
}
