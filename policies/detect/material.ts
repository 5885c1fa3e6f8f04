/**
 * Key material in one string, plain or encoded: base64 / URL-safe base64 anywhere in the text (padded
 * or not: Kubernetes `data`, user-data, `data:` URIs, HTTP `Basic` credentials), percent-encoding and
 * `\u`/`\x` escapes, hex, gzip or zlib streams (compressed cloud-init user data), a zip's entries (a
 * jar in a Kubernetes Secret), UTF-16LE text
 * (PowerShell's `-EncodedCommand` is base64 of it), nested up to MAX_LAYERS decodings (base64 of
 * base64, base64 of percent-encoded, base64 of gzip …).
 *
 * Cost: the plain pattern is one regex pass; base64 candidates are found by searching for the few
 * literals the base64 of a key prefix must contain (computed below), so nothing is decoded unless it
 * can hold a key. Each layer's output is at most the size of its input, so a string is scanned a
 * bounded number of times whatever its length. Base64 of base64 glued to other text is searched for in
 * strings up to 64 KB (a whole-string blob is decoded at any size).
 * Masks and fingerprints only, never the key.
 */
import { inflateUpTo, isZipHead, streamKind, unreadCompression, zipEntriesUpTo } from "./inflate";
import { findKeysInString, isHexCode, type KeyMatch } from "./keys";

/** How a key was written: `plain`, or the decodings that revealed it, outermost first (`base64+base64`). */
export type Encoding = string;

export interface MaterialMatch extends KeyMatch {
  encoding: Encoding;
}

/**
 * Layers of encoding peeled off one string: enough for base64 of gzip inside base64 of gzip (a
 * cloud-init `write_files` entry, `encoding: gz+b64`, in compressed user data) and one escape layer.
 */
export const MAX_LAYERS = 5;
/** A base64 copy of the shortest key is 59 characters (unpadded). */
const MIN_B64_RUN = 58;
/** Strings up to this size are also searched for base64 of base64 glued to other text (slower search). */
const MAX_NESTED_SEARCH = 64 * 1024;
/** A whole string that is base64 (Kubernetes `data`, user-data, a blob): decoded as it is. */
const WHOLE_B64 = /^\s*[A-Za-z0-9+/_\-\r\n]+={0,2}\s*$/;
/**
 * Percent-encoding or `\u`/`\x` escapes that spell part of a key: `_`, a digit, or a letter `a`–`f`
 * / `A`–`F` (the prefix's `e` and `b`, and hex digits in either case: keys are matched in any case).
 */
const PERCENT_KEY_CHAR = /%(25)*(5f|3[0-9]|4[1-6]|6[1-6])/i;
const ESCAPE_KEY_CHAR = /\\(u00|x)(5f|3[0-9]|4[1-6]|6[1-6])/i;

/**
 * Base64 text that must appear where `needles` are base64-encoded: for each of the three byte
 * alignments, the characters fixed by the needle alone. Searching for these literals finds every
 * encoded copy without decoding anything else.
 */
function base64Anchors(needles: readonly string[]): string[] {
  const out = new Set<string>();
  for (const needle of needles)
    for (let align = 0; align < 3; align++) {
      const enc = (fill: string) =>
        Buffer.from(fill.repeat(align) + needle + fill.repeat(3), "latin1").toString("base64");
      const a = enc("\u0000");
      const b = enc("\u00ff");
      let best = "";
      let cur = "";
      for (let i = 0; i < a.length; i++) {
        cur = a[i] === b[i] ? cur + a[i] : "";
        if (cur.length > best.length) best = cur;
      }
      out.add(best);
    }
  return [...out];
}

const KEY_PREFIXES = ["e2b_", "E2b_", "e2B_", "E2B_"];
/** The prefixes as UTF-16LE text: what the base64 of a PowerShell `-EncodedCommand` holds. */
const UTF16_PREFIXES = KEY_PREFIXES.map((p) => [...p].map((c) => `${c}\u0000`).join(""));
/** The prefixes' ASCII in hex, either case: base64 of a key's hex (rt44 #3). */
const HEX_PREFIXES = KEY_PREFIXES.flatMap((p) => {
  const hex = Buffer.from(p).toString("hex");
  return [hex, hex.toUpperCase()];
});
const L1_ANCHORS = base64Anchors([...new Set([...KEY_PREFIXES, ...UTF16_PREFIXES, ...HEX_PREFIXES])]);
const L2_ANCHORS = base64Anchors(base64Anchors(KEY_PREFIXES));
const anchorPattern = (xs: string[]) => new RegExp(xs.map((x) => x.replace(/[+/]/g, "\\$&")).join("|"), "g");
/** Base64 of a key prefix (one level), and base64 of that (two levels). URL-safe forms differ only in `+/`. */
const L1 = anchorPattern([...L1_ANCHORS, ...L1_ANCHORS.map(toUrlSafe)]);
const L2 = anchorPattern([...L2_ANCHORS, ...L2_ANCHORS.map(toUrlSafe)]);
/**
 * Where a compressed stream starts in base64: gzip's magic bytes (1f 8b 08) always encode as `H4sI`,
 * a zip's first local header (50 4b 03 04) as `UEsDB`; a zlib header (78 01 / 5e / 9c / da) as `eA`,
 * `eF`, `eJ` or `eN`, looked for only where a run starts. So are the starts of streams that are not
 * read, only noted (unreadCompression): xz `/Td6WFo`, bzip2 `Qlpo[MNO]`, zstd `KLUv/`.
 */
const STREAM_B64 = /H4sI|UEsDB|(?<![A-Za-z0-9+/_-])(?:e[AFJN]|\/Td6WFo|Qlpo[MNO]|KLUv\/)/g;
const STREAM_B64_TEST = new RegExp(STREAM_B64.source);
/**
 * A key written as hex (`Buffer.from(key).toString("hex")`): the prefix `e2b_` in any letter case,
 * then 40 hex digits, each a digit (3x) or a letter of either case (4x / 6x).
 */
const HEX_KEY = /[46]532[46]25f(?:3[0-9]|[46][1-6]){40}/gi;
const HEX_KEY_TEST = new RegExp(HEX_KEY.source, "i");
/**
 * Hex of another encoding (hex of base64, of gzip or a zip: a Postgres `bytea`, `xxd -p` of a blob):
 * where a hex run starts a gzip stream or a zip, or holds the hex of a key prefix's base64 (the L1
 * anchors, either letter case of the hex digits). Such a run is decoded as a layer; other hex is not.
 */
const HEX_OF_ENCODED = new RegExp(
  [
    "(?<![0-9a-f])(?:1f8b08|504b0304)",
    ...[...L1_ANCHORS, ...L1_ANCHORS.map(toUrlSafe)].map((a) => Buffer.from(a, "latin1").toString("hex")),
  ].join("|"),
  "i",
);
/**
 * A key written as joined strings to slip past scanners, cut anywhere after its prefix and in as many
 * pieces: `"e2b_" + "<40 hex>"`, `"e2b_<20 hex>" + "<20 hex>"` (JavaScript, over lines as Prettier
 * wraps it), `"e2b_".concat("…")`, a template's `${"…"}`, Python's `"…" "…"`, a shell's `e2b_"…"`,
 * `["e2b_…", "…"]` (CloudFormation `Fn::Join`), and a cut inside the prefix (`"e2" + "b_…"`, rt39
 * #10: a list in a document cut every 32 characters). The pieces after the prefix must hold exactly
 * 40 hex digits together (more is no key, as in keys.ts).
 */
// A template's `"}` first: SPLIT_GLUE removes the glue without backtracking, and a lone quote would
// leave its `}` behind.
const SPLIT_GLUE_SOURCE =
  "(?:[\"'`][ \\t]*\\}|\\$\\{[ \\t]*[\"'`]" +
  "|[\"'`](?:[ \\t\\r\\n]*(?:(?:[+,]|\\)?\\.concat\\()[ \\t\\r\\n]*)?[\"'`])?)";
/** The prefix, whole or cut once inside by glue (`"e2" + "b_…"`, `["…e", "2b_…"]`). */
const SPLIT_PREFIX_SOURCE = `(?:e2b_|e${SPLIT_GLUE_SOURCE}2b_|e2${SPLIT_GLUE_SOURCE}b_|e2b${SPLIT_GLUE_SOURCE}_)`;
const SPLIT_KEY = new RegExp(
  `(?:sk_)?${SPLIT_PREFIX_SOURCE}[0-9a-f]{0,40}(?:${SPLIT_GLUE_SOURCE}[0-9a-f]{1,40}){0,40}(?![0-9a-f])`,
  "gi",
);
/** Where a split key may start: its prefix, then hex digits, then a quote; or a prefix cut inside. */
const SPLIT_KEY_TEST = new RegExp(
  `e2b_[0-9a-f]{0,39}(?:["'\`]|\\$\\{)|e${SPLIT_GLUE_SOURCE}2b_|e2${SPLIT_GLUE_SOURCE}b_|e2b${SPLIT_GLUE_SOURCE}_`,
  "i",
);
const SPLIT_GLUE = new RegExp(SPLIT_GLUE_SOURCE, "g");
/** More pieces after a match (past the 40 the pattern counts): the digits go on, so no key. */
const SPLIT_GOES_ON = new RegExp(`${SPLIT_GLUE_SOURCE}[0-9a-f]`, "iy");
const goesOn = (text: string, end: number) => ((SPLIT_GOES_ON.lastIndex = end), SPLIT_GOES_ON.test(text));
const E2B_PREFIX = /e2b_/i;

/** The key a SPLIT_KEY match spells, if its pieces hold exactly 40 hex digits after the prefix. */
function joinSplitKey(written: string): string | undefined {
  const joined = written.replace(SPLIT_GLUE, "");
  return /^(?:sk_)?e2b_[0-9a-f]{40}$/i.test(joined) ? joined : undefined;
}

/**
 * What a split key is written with from its prefix on (hex digits, `_`, the glue's quotes, blanks,
 * `+`, `,`, `.concat(`, `${ }`, and `\` that escapes a quote in a document), and the least it takes:
 * `e2b_`, 40 digits and one character of glue.
 */
const SPLIT_SOURCE = charTable("0123456789abcdefABCDEF_\"'` \t\r\n+,\\.()${}ont");
const SPLIT_RUN = 45;

/** A hex run long enough to hold an encoded key (44 bytes or more). */
const LONG_HEX_RUN = /[0-9a-fA-F]{88,}/g;

/** A key's prefix in UTF-16LE text, any letter case. */
// eslint-disable-next-line no-control-regex -- UTF-16LE text of ASCII is its characters with NULs between
const UTF16_KEY = /[eE]\u00002\u0000[bB]\u0000_\u0000/;
/**
 * What one string's streams may inflate to, all together: 32 times the string's length (text
 * compresses 3–10 times; a bomb about 1000), at least 64 KiB, at most 8 MiB. A stream's output past
 * what is left is not read; before it, it is.
 */
const INFLATE_RATIO = 32;
const MIN_INFLATE = 64 * 1024;
const MAX_INFLATED = 8 * 1024 * 1024;

function toUrlSafe(s: string): string {
  return s.replace(/\+/g, "-").replace(/\//g, "_");
}

function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function unescapeText(text: string): string {
  return text.replace(/\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2}))/g, (_, u?: string, x?: string) =>
    String.fromCharCode(parseInt((u ?? x)!, 16)),
  );
}

/** The base64-alphabet run around `at`, as [start, end). */
function runAround(text: string, at: number): [number, number] {
  let s = at;
  let e = at;
  while (s > 0 && isRunChar(text.charCodeAt(s - 1))) s--;
  while (e < text.length && isRunChar(text.charCodeAt(e))) e++;
  return [s, e];
}

/** A character of a base64 run (standard or URL-safe alphabet), by code: runs may be megabytes long. */
const isRunChar = (c: number) => c < 128 && RUN_CHAR[c] === 1;

type Decoded = { encoding: string; text: string; at: number };

/** Runs holding an anchor, each decoded from its first four offsets (one is aligned with the blob). */
function decodeRuns(text: string, anchors: RegExp, out: Decoded[]): void {
  let lastEnd = -1;
  anchors.lastIndex = 0;
  for (let m = anchors.exec(text); m; m = anchors.exec(text)) {
    if (m.index < lastEnd) continue;
    const [s, e] = runAround(text, m.index);
    lastEnd = e;
    anchors.lastIndex = Math.max(anchors.lastIndex, e);
    if (e - s < MIN_B64_RUN) continue;
    const run = text.slice(s, e);
    for (let offset = 0; offset < 4; offset++)
      out.push({
        encoding: "base64",
        text: Buffer.from(offset ? run.slice(offset) : run, "base64").toString("latin1"),
        at: s,
      });
  }
}

/** Base64 runs holding a gzip or zlib stream or a zip, decoded from where it starts. */
function decodeStreamRuns(text: string, out: Decoded[]): void {
  STREAM_B64.lastIndex = 0;
  for (let m = STREAM_B64.exec(text); m; m = STREAM_B64.exec(text)) {
    const e = wrappedRunEnd(text, runAround(text, m.index)[1]);
    STREAM_B64.lastIndex = e;
    if (e - m.index < MIN_B64_RUN) continue;
    const bytes = Buffer.from(text.slice(m.index, e), "base64");
    out.push({ encoding: "base64", text: bytes.toString("latin1"), at: m.index });
  }
}

/**
 * Where a base64 run wrapped over lines ends (`base64` writes 76 columns; a heredoc in a script
 * indents them): the run ending at `e` goes on past each line break followed by more base64. Node's
 * decoder skips the line breaks and indentation between.
 */
function wrappedRunEnd(text: string, e: number): number {
  for (;;) {
    let j = e;
    if (text[j] === "\r") j++;
    if (text[j] !== "\n") return e;
    j++;
    while (text[j] === " " || text[j] === "\t") j++;
    if (j >= text.length || !isRunChar(text.charCodeAt(j))) return e;
    e = runAround(text, j)[1];
  }
}

/** Long hex runs that hold another encoding (HEX_OF_ENCODED), decoded at both byte alignments. */
function decodeHexLayers(text: string, out: Decoded[]): void {
  LONG_HEX_RUN.lastIndex = 0;
  for (let m = LONG_HEX_RUN.exec(text); m; m = LONG_HEX_RUN.exec(text)) {
    if (HEX_OF_ENCODED.test(m[0])) pushHexAlignments(m[0], m.index, out);
  }
}

/** A hex run decoded at both byte alignments (what it holds may start at either). */
function pushHexAlignments(hex: string, at: number, out: Decoded[]): void {
  for (const start of [0, 1])
    out.push({ encoding: "hex", text: Buffer.from(hex.slice(start), "hex").toString("latin1"), at });
}

/**
 * Each key written as joined strings in `text`: the key, and where its written form starts and ends.
 * Lazy, so a caller asking only whether there is one stops at the first.
 */
function* splitKeys(text: string): Generator<{ key: string; start: number; end: number }> {
  if (!SPLIT_KEY_TEST.test(text)) return;
  // A copy of the pattern per walk: a caller that stops early leaves no lastIndex behind.
  const pattern = new RegExp(SPLIT_KEY);
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const key = joinSplitKey(m[0]);
    const end = m.index + m[0].length;
    // A whole key without glue is a plain key, found as one (the glue is optional in the pattern).
    if (key && key !== m[0] && !goesOn(text, end)) yield { key, start: m.index, end };
  }
}

/** Whether `text` holds a key written as joined strings (what decodeSplitKeys would decode). */
function hasSplitKey(text: string): boolean {
  return !splitKeys(text).next().done;
}

/** Keys split into joined strings (SPLIT_KEY), each joined back where it stands. */
function decodeSplitKeys(text: string, out: Decoded[]): void {
  for (const { key, start } of splitKeys(text)) out.push({ encoding: "joined", text: key, at: start });
}

/** Every key written as joined strings in `text`, replaced by `mask(key)` whole (a redactor's step). */
export function replaceSplitKeys(text: string, mask: (key: string) => string): string {
  let out = "";
  let from = 0;
  for (const { key, start, end } of splitKeys(text)) {
    out += text.slice(from, start) + mask(key);
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Hex runs holding a hex-written key, decoded from the key's alignment. */
function decodeHexRuns(text: string, out: Decoded[]): void {
  HEX_KEY.lastIndex = 0;
  for (let m = HEX_KEY.exec(text); m; m = HEX_KEY.exec(text)) {
    let s = m.index;
    let e = m.index + m[0].length;
    while (s > 0 && isHexCode(text.charCodeAt(s - 1))) s--;
    while (e < text.length && isHexCode(text.charCodeAt(e))) e++;
    HEX_KEY.lastIndex = e;
    // Both byte alignments: another key in the same run may sit at the other one.
    pushHexAlignments(text.slice(s, e), s, out);
  }
}

/**
 * A gzip or zlib stream or a zip (bytes as latin1 text), inflated within what `budget` has left: the
 * stream's contents, or each zip entry's.
 */
function inflated(text: string, budget: Budget): Decoded[] {
  const head = [0, 1, 2, 3, 4, 5].map((i) => text.charCodeAt(i));
  // Bytes only: a decoded layer is latin1, one char per byte; other text is no stream.
  if (!head.slice(0, 4).every((c) => c <= 0xff)) return [];
  const headBytes = Uint8Array.from(head);
  if (unreadCompression(headBytes)) {
    budget.cut = true;
    return [];
  }
  const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
  if (isZipHead(headBytes)) {
    if (budget.left <= 0) return cutShort(budget);
    const { entries, cut } = zipEntriesUpTo(Buffer.from(text, "latin1"), budget.left);
    for (const e of entries) budget.left -= e.bytes.length;
    if (cut) budget.cut = true;
    return entries.map((e) => ({ encoding: "zip", text: latin1(e.bytes), at: 0 }));
  }
  const kind = streamKind(headBytes);
  if (!kind) return [];
  if (budget.left <= 0) return cutShort(budget);
  // Compressed input past this cannot be reached: its output would be past the budget.
  const out = inflateUpTo(Buffer.from(text.slice(0, budget.left + MIN_INFLATE), "latin1"), budget.left);
  if (!out) return [];
  budget.left -= out.bytes.length;
  if (out.truncated) budget.cut = true;
  return [{ encoding: kind, text: latin1(out.bytes), at: 0 }];
}

/** A blank within a line: a space, a tab, or the `\r` of a CRLF line break. */
const isLineBlank = (c: number) => c === 32 || c === 9 || c === 13;

/**
 * Base64 or hex wrapped over lines inside other text: a PEM-style block, `base64` output (76 columns)
 * in a script or a heredoc, `xxd -p` hex, a blob a program printed in pieces. Each block joins the
 * last run of a line, the lines made only of base64 characters after it (indentation dropped) and the
 * first run of the line after them; blocks of at least two lines and MIN_B64_RUN characters are kept,
 * with where they start in the text. A blank line ends a block.
 */
function wrappedBlocks(text: string): Array<{ joined: string; start: number }> {
  const out: Array<{ joined: string; start: number }> = [];
  const isLine = (c: number) => c < 128 && LINE_CHAR[c] === 1;
  let parts: string[] = [];
  let start = -1;
  const close = () => {
    if (parts.length >= 2) {
      const joined = parts.join("");
      if (joined.length >= MIN_B64_RUN) out.push({ joined, start });
    }
    parts = [];
  };
  for (let i = 0; i < text.length;) {
    const eol = lineEnd(text, i);
    let a = i;
    while (a < eol && isLineBlank(text.charCodeAt(a))) a++;
    let b = eol;
    while (b > a && isLineBlank(text.charCodeAt(b - 1))) b--;
    let head = a;
    while (head < b && isLine(text.charCodeAt(head))) head++;
    if (a === b) close();
    else if (head === b) {
      // A line of base64 characters only: the block goes on through it. A block a word of other
      // text starts (`line one`) is placed at its first whole line, where a redactor should begin.
      if (parts.length === 0 || (parts.length === 1 && parts[0].length < 16)) start = a;
      parts.push(text.slice(a, b));
    } else {
      // Other text: its first run ends the block before it, its last run may start the next one.
      if (parts.length > 0 && head > a && hasAlnum(text, a, head)) {
        parts.push(text.slice(a, head));
      }
      close();
      let tail = b;
      while (tail > head && isLine(text.charCodeAt(tail - 1))) tail--;
      if (tail < b && hasAlnum(text, tail, b)) {
        start = tail;
        parts.push(text.slice(tail, b));
      }
    }
    i = eol + 1;
  }
  close();
  return out;
}

/**
 * Where the line holding `from` ends (its `\n`, or the text's end). Not `indexOf("\n", from)`: on a
 * two-byte string (any non-ASCII character) V8's indexOf from a position cost time in the position,
 * so a loop over a 2 MB bundle's lines took 15 s instead of milliseconds.
 */
function lineEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) !== 10) i++;
  return i;
}

/** Whether text[from, to) has a letter or digit: a rule of dashes (`-----BEGIN …`) starts no blob. */
function hasAlnum(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) | 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) return true;
  }
  return false;
}

/** The longest frame before each row of a wrapped blob: a log line's timestamp and source fit. */
const MAX_FRAME = 64;

/**
 * Base64 or hex wrapped over lines behind a frame on each row: a quote (`> `, `# `, `// `), a code
 * frame (`  12 | `), a list (`- `). Rows are the base64 run that ends each line; consecutive rows
 * whose frames are the same (numbers and blanks aside: line numbers) are one block, joined, with the offsets of
 * their rows (a redactor masks each). Blocks of two rows or more, MIN_B64_RUN characters or more.
 */
export function framedBlocks(
  text: string,
): Array<{ joined: string; start: number; rows: Array<[number, number]> }> {
  const out: Array<{ joined: string; start: number; rows: Array<[number, number]> }> = [];
  const isLine = (c: number) => c < 128 && LINE_CHAR[c] === 1;
  let rows: Array<[number, number]> = [];
  let frame = "";
  const close = () => {
    if (rows.length >= 2) {
      const joined = rows.map(([s, e]) => text.slice(s, e)).join("");
      if (joined.length >= MIN_B64_RUN) out.push({ joined, start: rows[0][0], rows });
    }
    rows = [];
  };
  for (let i = 0; i < text.length;) {
    const eol = lineEnd(text, i);
    let b = eol;
    while (b > i && isLineBlank(text.charCodeAt(b - 1))) b--;
    let a = b;
    while (a > i && isLine(text.charCodeAt(a - 1))) a--;
    const prefix = text.slice(i, a);
    if (a < b && prefix.length > 0 && prefix.length <= MAX_FRAME && prefix.trim() !== "") {
      // Line numbers and times change, and so may their width and padding (`  9 | ` then ` 10 | `), and
      // a code frame marks one row (`> 10 | `).
      const f = prefix
        .replace(/[0-9]+/g, "0")
        .replace(/>/g, "")
        .replace(/\s+/g, " ");
      if (rows.length > 0 && f !== frame) close();
      frame = f;
      rows.push([a, b]);
    } else close();
    i = eol + 1;
  }
  close();
  return out;
}

/** Candidate runs of the framed blocks in `text` (framedBlocks), decoded as their one-line forms are. */
function decodeFramed(text: string, out: Decoded[]): void {
  for (const block of framedBlocks(text)) {
    const found: Decoded[] = [];
    if (WHOLE_B64.test(block.joined))
      for (let offset = 0; offset < 4; offset++)
        found.push({
          encoding: "base64",
          text: Buffer.from(block.joined.slice(offset), "base64").toString("latin1"),
          at: 0,
        });
    if (HEX_KEY_TEST.test(block.joined)) decodeHexRuns(block.joined, found);
    if (HEX_OF_ENCODED.test(block.joined)) decodeHexLayers(block.joined, found);
    for (const d of found) out.push({ ...d, at: block.start });
  }
}

/** Candidate runs of the blocks wrapped over lines in `text`, decoded as their one-line forms are. */
function decodeWrapped(text: string, out: Decoded[]): void {
  for (const block of wrappedBlocks(text)) {
    const found: Decoded[] = [];
    decodeRuns(block.joined, L1, found);
    if (block.joined.length <= MAX_NESTED_SEARCH) decodeRuns(block.joined, L2, found);
    if (HEX_KEY_TEST.test(block.joined)) decodeHexRuns(block.joined, found);
    for (const d of found) out.push({ ...d, at: block.start });
  }
}

/**
 * Decoded forms of a text worth scanning, with where each starts in the text (for line numbers). Only
 * candidates are decoded: a string that is base64 as a whole, runs that hold the base64 of a key
 * prefix (one or two levels deep, or as UTF-16LE) or start a gzip stream, hex runs that spell a key,
 * a gzip or zlib stream or a zip (a decoded layer), UTF-16LE text holding a key prefix, and escapes that can
 * spell a key.
 */
function decodings(text: string, budget: Budget): Decoded[] {
  const out: Decoded[] = inflated(text, budget);
  if (text.includes("\u0000")) {
    const m = UTF16_KEY.exec(text);
    if (m) {
      const bytes = Buffer.from(text.slice(m.index & 1), "latin1");
      out.push({ encoding: "utf-16", text: bytes.toString("utf16le"), at: 0 });
    }
  }
  if (text.length >= MIN_B64_RUN) {
    // A whole blob is decoded as it is (any depth, any size); anchored runs catch glued copies.
    const whole = WHOLE_B64.test(text);
    if (whole) out.push({ encoding: "base64", text: Buffer.from(text, "base64").toString("latin1"), at: 0 });
    // decodeRuns decodes runs of MIN_B64_RUN or more only: a skip search rules most texts out first.
    if (hasRun(text, MIN_B64_RUN, RUN_CHAR)) {
      decodeRuns(text, L1, out);
      if (text.length <= MAX_NESTED_SEARCH) decodeRuns(text, L2, out);
      if (STREAM_B64_TEST.test(text)) decodeStreamRuns(text, out);
    }
    if (HEX_KEY_TEST.test(text)) decodeHexRuns(text, out);
    if (HEX_OF_ENCODED.test(text)) decodeHexLayers(text, out);
    // Gzip streams follow wrapped lines themselves (decodeStreamRuns); other runs are joined here, in
    // texts up to 64 KiB (scripts, user data, a printed blob): the line walk over a multi-megabyte
    // bundle cost seconds (V8 reads some two-byte strings slowly from a position).
    // A whole blob is decoded as one above; its lines are joined here too, since a first line that is
    // a word of the alphabet (`KEY`, `header`) shifts a whole blob's alignment, and hex is base64 too.
    if (text.length <= MAX_NESTED_SEARCH && text.includes("\n")) {
      decodeWrapped(text, out);
      decodeFramed(text, out);
    }
  }
  decodeSplitKeys(text, out);
  if (text.includes("%") && PERCENT_KEY_CHAR.test(text))
    out.push({ encoding: "percent", text: percentDecode(text), at: 0 });
  if (text.includes("\\") && ESCAPE_KEY_CHAR.test(text))
    out.push({ encoding: "escape", text: unescapeText(text), at: 0 });
  return out;
}

/** Characters a run of key or base64 text is made of. */
const RUN_CHAR = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-");
/** RUN_CHAR and base64 padding: what the lines of a wrapped base64 block are made of. */
const LINE_CHAR = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=");
/** A key is 44 characters of RUN_CHAR, and a base64 copy of one is longer. */
const KEY_LENGTH = 44;
/** The plain pattern (keys.ts), one match enough; `sk_e2b_…` holds `e2b_…`. */
const PLAIN_KEY = /e2b_[0-9a-f]{40}(?![0-9a-f])/i;
const L1_TEST = new RegExp(L1.source);
const L2_TEST = new RegExp(L2.source);

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/**
 * Whether `text` holds `min` consecutive characters of `table`. A skip search: any such run covers the
 * probe at `i + min - 1`, so a probe outside the alphabet skips `min` characters at once; a probe
 * inside it is followed back to where its run starts. Each character is read at most twice.
 */
function hasRun(text: string, min: number, table: Uint8Array): boolean {
  const n = text.length;
  let i = 0; // a run long enough starts at i or later (text[i - 1] is outside the alphabet)
  while (i + min <= n) {
    const p = i + min - 1;
    const c = text.charCodeAt(p);
    if (c >= 128 || table[c] === 0) {
      i = p + 1;
      continue;
    }
    let q = p - 1;
    while (q >= i) {
      const d = text.charCodeAt(q);
      if (d >= 128 || table[d] === 0) break;
      q--;
    }
    if (q < i) return true;
    i = q + 1;
  }
  return false;
}

/**
 * The prefilter's first step, a few skip searches: false only when findMaterial (and, for a
 * document, findMaterial on whatever its parser returns) is certainly empty. Every path of
 * findMaterial needs one of: a key's 40 hex digits in a row (HEX_SOURCE); a base64 run of
 * MIN_B64_RUN characters (the anchored runs it decodes); a text that is a base64 blob as a whole
 * (59+ base64 characters, nothing outside the blob's alphabet); or, in a document, a wrapped block
 * (a YAML block or folded scalar joins lines). The last three all lie in a run of MIN_B64_RUN
 * characters of WRAP_SOURCE, so in a document one such search goes first. Each alphabet holds what
 * spells its characters in a decoded layer (see below), so a run a decoding or a parser needs is a
 * run in the text already — except where a parser drops characters: a YAML escaped line break (`\`,
 * a line break, indentation) joins the two halves of a key with nothing between. That needs a `\`
 * and a run of JOIN_SOURCE (a superset of HEX_SOURCE), searched for in a document without a long
 * WRAP_SOURCE run. Ordinary stack text (ARNs, JSON, YAML of `key: value` lines) is cleared by two
 * skip searches, without reading most of its characters.
 */
export function mayHoldCheap(text: string, embedded: boolean): boolean {
  if (embedded && !hasRun(text, MIN_B64_RUN, WRAP_SOURCE))
    // Only a key's hex digits are left: in a run of HEX_SOURCE, or of JOIN_SOURCE (HEX_SOURCE and
    // what an escaped line break is made of) with a `\` in the text.
    return hasRun(text, KEY_HEX, JOIN_SOURCE) && (hasRun(text, KEY_HEX, HEX_SOURCE) || text.includes("\\"));
  if (hasRun(text, KEY_HEX, HEX_SOURCE)) return true;
  if (hasRun(text, MIN_B64_RUN, RUN_SOURCE) || mayBeWholeBlob(text)) return true;
  // Lines of base64 that findMaterial (or, in a document, a parser) joins: a run of WRAP_SOURCE, or of
  // FRAMED_SOURCE when a frame stands before each line (framedBlocks).
  return (
    (text.includes("\n") || text.includes("\r")) && (embedded || hasRun(text, MIN_B64_RUN, FRAMED_SOURCE))
  );
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-";
/*
 * The alphabets below include `%` and `\`: percent-decoding and escapes (findMaterial's `\u`/`\x`;
 * JSON's `\uXXXX`, `\/`; YAML's `\xXX`, `\uXXXX`, `\UXXXXXXXX`, `\_`), at any depth of nesting, turn
 * a run of them into a run of them (`%`, `\`, `u`, `x`, `U` and hex digits are in each), so a run a
 * decoded layer needs is a run in the text already. Escapes that decode to anything else end a run
 * in the decoded text too.
 */
/** A key's 40 hex digits, plain, percent-encoded or escaped. */
const HEX_SOURCE = charTable("0123456789abcdefABCDEF%\\uxU");
/** A base64 run findMaterial decodes. */
const RUN_SOURCE = charTable(`${BASE64_ALPHABET}%\\`);
/** Characters WHOLE_B64 accepts anywhere (ASCII; any non-ASCII character may be `\s`). */
const BLOB_CHAR = charTable(`${BASE64_ALPHABET}=%\\\r\n \t\v\f`);
/** What a wrapped block is made of, from its first base64 character to its last (hasWrappedBlock). */
const WRAP_SOURCE = charTable(`${BASE64_ALPHABET}=%\\\r\n \t`);
/**
 * WRAP_SOURCE and what the frames of framedBlocks are commonly made of (`> `, `# `, `  12 | `, `- `):
 * a framed block of two rows or more is a run of these. A frame of other characters (`data: `) is
 * found only where the rows are long enough on their own (colons and dots would let most YAML and
 * prose through this cheap test).
 */
const FRAMED_SOURCE = charTable(`${BASE64_ALPHABET}=%\\\r\n \t>#|`);
/**
 * A key's hex digits across YAML escaped line breaks (`\`, line break, indentation), in documents
 * nested at any depth (an outer document writes the line break as `\n`, `\r`, an escaped `\`).
 */
const JOIN_SOURCE = charTable("0123456789abcdefABCDEF%\\uxUnrt\r\n \t");
const KEY_HEX = 40;

/**
 * False when a probed character rules WHOLE_B64 out: the first 16 (where ARNs, URLs, JSON and YAML
 * show a `:`, `.` or `"`), then every 8th, and the last.
 */
function mayBeWholeBlob(text: string): boolean {
  const n = text.length;
  if (n < MIN_B64_RUN) return false;
  for (let i = 0; i < n; i += i < 16 ? 1 : 8) {
    const c = text.charCodeAt(i);
    if (c < 128 && BLOB_CHAR[c] === 0) return false;
  }
  const c = text.charCodeAt(n - 1);
  return c >= 128 || BLOB_CHAR[c] === 1;
}

/**
 * Whether `text` has consecutive lines made only of indentation and base64 characters, together
 * at least MIN_B64_RUN of them: what a YAML block scalar holding wrapped base64 looks like before
 * parsing lifts it out of its indentation (blank lines neither count nor break the block). A line's
 * leading characters also end a block and its trailing ones start one: a multi-line plain or quoted
 * scalar (`key: QUJD…` on one line, the rest on the next, a blank line between) folds into one
 * base64 text with a line break inside.
 */
function hasWrappedBlock(text: string): boolean {
  const n = text.length;
  const isBlank = (c: number) => c === 32 || c === 9;
  const isLine = (c: number) => c < 128 && LINE_CHAR[c] === 1;
  let total = 0;
  for (let i = 0; i < n;) {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    const start = i;
    while (i < n && isLine(text.charCodeAt(i))) i++;
    const count = i - start;
    // Trailing blanks: folding strips them (a block scalar keeps them, so this over-accepts there).
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    const eol = i >= n || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13;
    if (total + count >= MIN_B64_RUN) return true;
    if (eol) total += count;
    else {
      // The line goes on with other text: what may continue into the next line is its last run.
      let end = i;
      while (end < n && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
      let j = end;
      while (j > i && isBlank(text.charCodeAt(j - 1))) j--;
      let k = j;
      while (k > i && isLine(text.charCodeAt(k - 1))) k--;
      total = j - k;
      i = end;
    }
    i++;
  }
  return false;
}

/**
 * The prefilter: false only when `findMaterial(text)` is certainly empty, decided without decoding.
 * Exact by construction — it accepts whatever starts one of findMaterial's paths on the text itself:
 * the plain pattern; a whole base64 blob; a base64 run (58+ characters, in a run of 44+) holding the
 * base64 of a key prefix; the triggers of percent and escape decoding. Deeper layers are decodings
 * of these, so a text none of them accepts yields nothing. The usual text has no run of 44
 * key/base64 characters at all, found in about a 44th of its length.
 */
export function mayHoldMaterial(text: string): boolean {
  return mayHold(text, false);
}

/**
 * The prefilter for a JSON or YAML document held in a string: false only when no string or name
 * parsed out of it can hold key material. Parsing yields substrings of the text, except through
 * backslash escapes (JSON `\u0065`, `\/`, `\n`; YAML `"\x65"`, an escaped line break) and by lifting a
 * wrapped base64 block out of its indentation (a YAML block scalar): both are accepted here.
 */
export function mayHoldEmbeddedMaterial(text: string): boolean {
  return mayHold(text, true);
}

function mayHold(text: string, embedded: boolean): boolean {
  if (text.length < KEY_LENGTH) return false;
  // UTF-16 text (a file PowerShell wrote, read as UTF-8) has a NUL after every ASCII character: no run.
  if (text.length >= 2 * KEY_LENGTH && text.includes("\u0000") && UTF16_KEY.test(text)) return true;
  // A key split into joined strings has no long run when it is cut in its hex digits.
  if (!mayHoldCheap(text, embedded)) return mayHoldSplitKey(text, embedded);
  if (text.includes("\\") && (embedded || ESCAPE_KEY_CHAR.test(text))) return true;
  if (text.includes("%") && PERCENT_KEY_CHAR.test(text)) return true;
  if (hasSplitKey(text)) return true;
  if (hasRun(text, KEY_LENGTH, RUN_CHAR)) {
    if (PLAIN_KEY.test(text)) return true;
    if (text.length >= MIN_B64_RUN && WHOLE_B64.test(text)) return true;
    if (
      hasRun(text, MIN_B64_RUN, RUN_CHAR) &&
      (L1_TEST.test(text) ||
        L2_TEST.test(text) ||
        STREAM_B64_TEST.test(text) ||
        HEX_KEY_TEST.test(text) ||
        HEX_OF_ENCODED.test(text))
    )
      return true;
  }
  if (!text.includes("\n") && !text.includes("\r")) return false;
  // A whole blob broken into lines has no long run, nor has a block wrapped over lines in other text
  // (findMaterial joins it) or, in a document, a block scalar.
  return (
    (text.length >= MIN_B64_RUN && WHOLE_B64.test(text)) ||
    ((embedded || text.length <= MAX_NESTED_SEARCH) &&
      (hasWrappedBlock(text) || framedBlocks(text).length > 0))
  );
}

/**
 * Whether a text too short of runs for mayHoldCheap may still hold a key written as joined strings:
 * in a document, after its parser has dropped the backslashes that escape the quotes between them.
 */
function mayHoldSplitKey(text: string, embedded: boolean): boolean {
  // Written out, prefix, digits and glue are one run of SPLIT_SOURCE: a skip search rules most out.
  if (!hasRun(text, SPLIT_RUN, SPLIT_SOURCE)) return false;
  if (hasSplitKey(text)) return true;
  return embedded && text.includes("\\") && E2B_PREFIX.test(text) && hasSplitKey(text.replace(/\\/g, ""));
}

/**
 * What one text's compressed streams may still inflate to (`left`), and whether a stream was cut
 * short for want of it (`cut`): past the limit, a stream's contents are not read.
 */
interface Budget {
  left: number;
  cut: boolean;
}

/** A stream with no room left to read it. */
function cutShort(budget: Budget): Decoded[] {
  budget.cut = true;
  return [];
}

/** What one text's streams may inflate to on their own (see INFLATE_RATIO). */
const textLimit = (text: string) =>
  Math.min(MAX_INFLATED, Math.max(MIN_INFLATE, INFLATE_RATIO * text.length));

/**
 * Every key in `text`, each once (by fingerprint, plainest form first). `index` is the offset in
 * `text` of the key or of the encoded run that holds it.
 */
export function findMaterial(text: string): MaterialMatch[] {
  if (!mayHoldMaterial(text)) return [];
  return searchMaterial(text, { left: textLimit(text), cut: false });
}

function searchMaterial(text: string, budget: Budget): MaterialMatch[] {
  const out: MaterialMatch[] = [];
  const seen = new Set<string>();
  // A run decoded two ways (a whole blob that also starts a stream) is searched, and inflated, once.
  const queued = new Set<string>([text]);
  // Breadth first: a key found plain is not reported again as a decoded copy.
  let layer: Array<{ text: string; encoding: string; at: number | null }> = [
    { text, encoding: "plain", at: null },
  ];
  for (let depth = 0; depth <= MAX_LAYERS && layer.length; depth++) {
    const next: typeof layer = [];
    for (const item of layer) {
      for (const m of findKeysInString(item.text)) {
        if (seen.has(m.fingerprint)) continue;
        seen.add(m.fingerprint);
        out.push({ ...m, index: item.at ?? m.index, encoding: item.encoding });
      }
      if (depth === MAX_LAYERS) continue;
      for (const d of decodings(item.text, budget)) {
        if (d.text.length < 44 || queued.has(d.text)) continue;
        queued.add(d.text);
        next.push({
          text: d.text,
          encoding: item.encoding === "plain" ? d.encoding : `${item.encoding}+${d.encoding}`,
          at: item.at ?? d.at,
        });
      }
    }
    layer = next;
  }
  return out;
}

/** What all of one run's compressed streams may inflate to together. */
export const RUN_INFLATE_LIMIT = 256 * 1024 * 1024;

/** The limits above, for people. */
export const INFLATE_LIMITS =
  `A compressed stream is read up to ${INFLATE_RATIO} times the size of the text holding it ` +
  `(at least ${MIN_INFLATE / 1024} KiB, at most ${MAX_INFLATED / 1024 / 1024} MiB), ` +
  `and all of a run's streams together up to ${RUN_INFLATE_LIMIT / 1024 / 1024} MiB; ` +
  "data compressed with xz, bzip2 or zstd, and zip entries compressed with bzip2 or LZMA or encrypted, are not read";

/**
 * findMaterial for one run (a preview or an audit): each text is searched once however many trees
 * hold it (an export's inputs and outputs repeat their strings), and all the run's compressed
 * streams share RUN_INFLATE_LIMIT on top of each text's own limit, so many small compression bombs
 * cost no more than one large one. A text whose stream was not read to its end is `cut`: the rules
 * say so rather than pass it in silence.
 */
export class MaterialFinder {
  private readonly found = new Map<string, { matches: MaterialMatch[]; cut: boolean }>();
  private left: number;

  constructor(limit = RUN_INFLATE_LIMIT) {
    this.left = limit;
  }

  find(text: string): { matches: MaterialMatch[]; cut: boolean } {
    if (!mayHoldMaterial(text)) return NOTHING;
    let r = this.found.get(text);
    if (r === undefined) {
      const room = Math.min(textLimit(text), this.left);
      const budget = { left: room, cut: false };
      const matches = searchMaterial(text, budget);
      this.left -= room - budget.left;
      r = matches.length === 0 && !budget.cut ? NOTHING : { matches, cut: budget.cut };
      this.found.set(text, r);
    }
    return r;
  }
}

const NOTHING: { matches: MaterialMatch[]; cut: boolean } = Object.freeze({
  matches: Object.freeze([]) as unknown as MaterialMatch[],
  cut: false,
});

/** `base64+percent` (a base64 text holding percent-encoding) → "percent-encoded, then base64-encoded"; "" for plain. */
export function describeEncoding(encoding: Encoding): string {
  if (encoding === "plain") return "";
  const names: Record<string, string> = {
    base64: "base64-encoded",
    percent: "percent-encoded",
    escape: "escape-encoded",
    hex: "hex-encoded",
    gzip: "gzip-compressed",
    zlib: "zlib-compressed",
    zip: "zipped",
    joined: "split into strings joined back",
    "utf-16": "written as UTF-16",
  };
  return encoding
    .split("+")
    .reverse()
    .map((e) => names[e] ?? e)
    .join(", then ");
}
