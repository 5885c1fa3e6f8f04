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

/**
 * Compression this module does not read, by its magic bytes: xz (`FD 37 7A 58 5A 00`), bzip2 (`BZh`, a
 * block size digit, then a block's or the end's magic) and zstd (`28 B5 2F FD`). What they hold is
 * not checked, and the finding says so.
 */
export function unreadCompression(b: Uint8Array): "xz" | "bzip2" | "zstd" | undefined {
  const at = (...xs: number[]) => xs.every((x, i) => b[i] === x);
  if (at(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  if (at(0x28, 0xb5, 0x2f, 0xfd)) return "zstd";
  if (at(0x42, 0x5a, 0x68) && b[3] >= 0x31 && b[3] <= 0x39 && (b[4] === 0x31 || b[4] === 0x17))
    return "bzip2";
  return undefined;
}

/** Input is fed in pieces this large, so one piece of a bomb inflates to about a megabyte at most. */
const STEP = 1024;

/** How much input may wait unread before the bytes are taken for something else than deflate. */
const MAX_BACKLOG = 256 * 1024;

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
  return inflateRaw(b.subarray(kind === "gzip" ? gzipHeaderLength(b) : 2), max);
}

/** A raw deflate stream's contents, at most `max` bytes (inflateUpTo without a header). */
function inflateRaw(body: Uint8Array, max: number): { bytes: Uint8Array; truncated: boolean } {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  const inflate = new (fflate().Inflate)((chunk, final) => {
    if (done) return;
    chunks.push(chunk);
    size += chunk.length;
    if (size > max || final) done = true;
  });
  let stuck = false;
  try {
    for (let i = 0; i < body.length && !done; i += STEP) {
      // Deflate never needs much input it cannot use yet (a stored block is at most 64 KiB): input
      // that piles up unread keeps fflate waiting while it copies the pile on every push
      // (quadratic). Its pending input is `p` in fflate 0.8; without it, input ahead of output.
      const pending = (inflate as unknown as { p?: Uint8Array }).p;
      if ((pending instanceof Uint8Array ? pending.length : i - size) > MAX_BACKLOG) {
        stuck = true;
        break;
      }
      inflate.push(body.subarray(i, i + STEP), false);
    }
  } catch {
    // Corrupt past some point (or the stream ended and text followed): what came out stands.
  }
  const all = Buffer.concat(chunks);
  // A stream left unread is not read to its end: the caller says so.
  return { bytes: all.subarray(0, max), truncated: all.length > max || stuck };
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

/** A zip's local file header signature, `PK\x03\x04`. */
export function isZipHead(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4;
}

/**
 * The entries of a zip held in bytes (a jar or zip base64-encoded into a Kubernetes Secret), at most
 * `max` bytes of contents all together, read from each local file header in turn: the central
 * directory at the end may be cut off or absent, and a header's sizes may be zero (streamed zips).
 * A deflated entry is inflated up to what is left of `max`, a stored one is read up to the next
 * header. An encrypted entry (flag bit 0) is ciphertext and one compressed another way (bzip2, LZMA)
 * cannot be read here: both are skipped, and `cut` says something was not read, as when an entry
 * was not read to its end.
 */
export function zipEntriesUpTo(
  b: Uint8Array,
  max: number,
): { entries: Array<{ name: string; bytes: Uint8Array }>; cut: boolean } {
  const entries: Array<{ name: string; bytes: Uint8Array }> = [];
  let cut = false;
  let left = max;
  for (let at = nextZipHeader(b, 0); at >= 0 && left > 0; at = nextZipHeader(b, at + 4)) {
    if (at + 30 > b.length) break;
    const u16 = (o: number) => b[at + o] | (b[at + o + 1] << 8);
    const flags = u16(6);
    const method = u16(8);
    const size = (u16(18) | (u16(20) << 16)) >>> 0;
    const start = at + 30 + u16(26) + u16(28);
    if (start > b.length) continue;
    if (flags & 1 || (method !== 0 && method !== 8)) {
      cut = true;
      continue;
    }
    const name = Buffer.from(b.subarray(at + 30, Math.min(at + 30 + u16(26), b.length))).toString("utf8");
    let bytes: Uint8Array;
    if (method === 8) {
      const read = inflateRaw(b.subarray(start), left);
      bytes = read.bytes;
      if (read.truncated) cut = true;
    } else {
      const next = nextZipHeader(b, start);
      const end = size > 0 ? start + size : next >= 0 ? next : b.length;
      bytes = b.subarray(start, Math.min(end, b.length, start + left));
      if (start + left < Math.min(end, b.length)) cut = true;
    }
    left -= bytes.length;
    entries.push({ name, bytes });
  }
  if (left <= 0) cut = true;
  return { entries, cut };
}

function nextZipHeader(b: Uint8Array, from: number): number {
  for (let i = from; i + 3 < b.length; i++)
    if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 3 && b[i + 3] === 4) return i;
  return -1;
}
