/**
 * Key material: E2B team API keys (`e2b_` + 40 lowercase hex) and deprecated access tokens
 * (`sk_e2b_` + 40 hex). Shared by every rule, the runtime guard and the reports; nothing here ever
 * returns the key itself, only masks and fingerprints.
 */
import { hash } from "node:crypto";

export type KeyKind = "api-key" | "access-token";

/**
 * `sk_e2b_` must win over `e2b_` (the latter is a suffix of the former), hence the alternation order.
 * Any letter case, and glued to whatever precedes it (`x<key>`, `api_e2b_…`, `%22e2b_…`, a literal
 * `\n`): such text is still the key. After it, only a 41st hex digit says "not a key" (a longer hex
 * run); `<key>_prod` or `<key>"` is still a key.
 */
const KEY_PATTERN = /(sk_e2b_|e2b_)([0-9a-f]{40})(?![0-9a-f])/gi;

export interface KeyMatch {
  kind: KeyKind;
  /** Offset of the key in the scanned text (for line numbers of files). */
  index: number;
  /** `e2b_…a1b2` style mask: the prefix and the last 4 characters only. */
  mask: string;
  /** `sha256:` + first 12 hex chars of SHA-256 of the whole key: stable, comparable, irreversible. */
  fingerprint: string;
}

export function fingerprintKey(key: string): string {
  // One-shot hashing: no Hash object per key (the same digest as createHash).
  return "sha256:" + hash("sha256", key, "hex").slice(0, 12);
}

export function maskKey(key: string): string {
  const k = key.toLowerCase();
  const prefix = k.startsWith("sk_e2b_") ? "sk_e2b_" : k.startsWith("e2b_") ? "e2b_" : k.slice(0, 2);
  return `${prefix}…${k.slice(-4)}`;
}

/**
 * A placeholder in a key's shape (`e2b_` and one digit forty times, as `.env.example` files and docs
 * write it): no key E2B issues is one, so it is no finding. Redaction still masks it.
 */
const PLACEHOLDER_DIGITS = /^(.)\1{39}$/i;

/** Every key in a string, linear in its length. */
export function findKeysInString(text: string): KeyMatch[] {
  if (text.length < 44) return [];
  const out: KeyMatch[] = [];
  for (const m of text.matchAll(KEY_PATTERN)) {
    if (PLACEHOLDER_DIGITS.test(m[2])) continue;
    // Keys are lowercase; an upper-cased copy is the same key (same mask and fingerprint).
    const key = m[0].toLowerCase();
    out.push({
      kind: key.startsWith("sk_") ? "access-token" : "api-key",
      index: m.index,
      mask: maskKey(key),
      fingerprint: fingerprintKey(key),
    });
  }
  return out;
}

export function isKeyMaterial(text: string): boolean {
  return findKeysInString(text).length > 0;
}

/*
 * Redaction. Stricter than detection on purpose: detection must not cry wolf (a finding names a
 * resource), redaction must never let a key through. So redaction masks `e2b_` / `sk_e2b_` followed
 * by 20 or more hex characters (a whole key, or the head of one cut short), in any letter case,
 * whatever stands before or after it, and it reads the text as its reader will: through JSON / JS
 * (`\u0065`, `\x65`, `\_`), HTML / XML (`&#x65;`, `&#101;`, `&lowbar;`) and URL (`%65`) escapes, and
 * through what a terminal or browser does not show (control and zero-width characters, ANSI escape
 * sequences, HTML tags, Markdown emphasis). A masked run is replaced by the mask whole, escapes
 * included, so the result is still well-formed JSON, XML or HTML text.
 */

/** Hex characters in a key, and the fewest after the prefix from which a run is masked. */
const KEY_HEX = 40;
const REDACT_MIN_HEX = 20;
/** Characters an HTML tag or comment may span and still be read through. */
const MAX_TAG = 200;

/** A hex digit's character code, either case. */
export const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

/** Characters nobody sees: C0/C1 controls, DEL, zero-width and formatting characters. */
function invisible(c: number): boolean {
  return (
    (c < 32 && c !== 27) ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0xad ||
    c === 0x34f ||
    c === 0x180e ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2064) ||
    c === 0xfeff
  );
}

const NAMED: Record<string, number> = { lowbar: 95, underbar: 95, UnderBar: 95, amp: 38, lt: 60, gt: 62 };
const TRANSPARENT = -1;

/** Length of the unit `decodeAt` read last (a module-level out-parameter keeps the hot loop allocation-free). */
let unitLength = 1;

/**
 * One unit of text as its reader decodes it, starting at `i`: its code point, or TRANSPARENT for
 * something that shows nothing; its length is left in `unitLength`.
 */
function decodeEscape(s: string, i: number): number {
  const c = s.charCodeAt(i);
  unitLength = 1;
  if (c === 92 /* \ */ && i + 1 < s.length) {
    const n = s[i + 1];
    let m: RegExpExecArray | null;
    if (n === "u" && (m = /^\\u(?:([0-9a-fA-F]{4})|\{([0-9a-fA-F]{1,6})\})/.exec(s.slice(i, i + 10)))) {
      unitLength = m[0].length;
      return parseInt(m[1] ?? m[2], 16);
    }
    if (n === "x" && (m = /^\\x([0-9a-fA-F]{2})/.exec(s.slice(i, i + 4)))) {
      unitLength = 4;
      return parseInt(m[1], 16);
    }
    if ("ntrbfv0".includes(n)) {
      unitLength = 2;
      return TRANSPARENT;
    }
    if (/[!-/:-@[-`{-~]/.test(n)) {
      unitLength = 2;
      return n.charCodeAt(0);
    }
    return c;
  }
  if (c === 38 /* & */) {
    const m = /^&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,8}));?/.exec(s.slice(i, i + 12));
    if (m) {
      const named = m[3] === undefined ? undefined : NAMED[m[3]];
      if (m[1] !== undefined || m[2] !== undefined || (named !== undefined && m[0].endsWith(";"))) {
        unitLength = m[0].length;
        return m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 10) : named!;
      }
    }
    return c;
  }
  if (c === 37 /* % */ && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
    // Encoded again and again (`%2565`, a URL put into another URL's query): `%`, `25` per layer.
    let j = i + 1;
    while (
      s.startsWith("25", j) &&
      j + 3 < s.length &&
      isHex(s.charCodeAt(j + 2)) &&
      isHex(s.charCodeAt(j + 3))
    )
      j += 2;
    unitLength = j + 2 - i;
    return parseInt(s.slice(j, j + 2), 16);
  }
  if (c === 60 /* < */) {
    const m = /^(?:<!--[\s\S]*?-->|<\/?[A-Za-z][^<>]*>)/.exec(s.slice(i, i + MAX_TAG));
    if (m) {
      unitLength = m[0].length;
      return TRANSPARENT;
    }
    return c;
  }
  if (c === 42 /* * */ || c === 96 /* ` */ || c === 126 /* ~ */ || invisible(c)) return TRANSPARENT;
  return c;
}

/**
 * An escape counts only when it decodes to something a key is made of (an ASCII letter, digit or
 * `_`) or to something invisible; otherwise its first character is read as itself. So `%e2b_…` is
 * `%` then a key, not the byte 0xE2 then `b_…`: an escape that cannot be part of a key never hides one.
 */
function decodeAt(s: string, i: number): number {
  const code = decodeEscape(s, i);
  if (unitLength === 1 || code === TRANSPARENT || code === 27) return code;
  const relevant =
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
  // `%0E` reads as a control character only to a URL decoder; beside hex text it is more likely hex.
  if (relevant) return code;
  if (invisible(code) && s.charCodeAt(i) !== 37) return TRANSPARENT;
  unitLength = 1;
  return s.charCodeAt(i);
}

/** A part of a text to replace by `mask`, [start, end). */
export interface Span {
  start: number;
  end: number;
  mask: string;
}

/**
 * Every run to mask in `s`, in order, merged where they overlap. Linear: one pass keeps the last
 * seven decoded characters (enough for `sk_e2b_`) and where each began, and the open run if any.
 */
function keySpans(s: string, decode: boolean, minHex: number): Span[] {
  const spans: Span[] = [];
  // The last seven decoded characters and where each began, in a ring (slot = count % 8).
  const ch = new Int32Array(8);
  const at = new Int32Array(8);
  let count = 0;
  let runStart = -1; // start of the open run (prefix included), or -1
  let runPrefix = "";
  let runHex = 0;
  let runTail = "";
  let lastEnd = 0;
  let ansi = 0; // 0: text; 1: after ESC; 2: inside a CSI sequence
  const close = () => {
    if (runStart >= 0 && runHex >= minHex) {
      // Only a whole key shows its last four: those of a head cut short are digits from inside the
      // key, and a key printed at several lengths (a progress line) would spell itself in masks.
      const tail = runHex === KEY_HEX ? runTail.toLowerCase() : "";
      const span = { start: runStart, end: lastEnd, mask: `${runPrefix}…${tail}` };
      const prev = spans[spans.length - 1];
      if (prev && span.start < prev.end) {
        prev.end = Math.max(prev.end, span.end);
        prev.mask = span.mask;
      } else spans.push(span);
    }
    runStart = -1;
  };
  const back = (k: number) => ch[(count - k) & 7];
  for (let i = 0; i < s.length;) {
    const start = i;
    let code = s.charCodeAt(i);
    // Plain printable ASCII needs no decoding: the common case, kept cheap.
    const plain =
      !decode ||
      (code >= 32 &&
        code < 127 &&
        code !== 92 &&
        code !== 38 &&
        code !== 37 &&
        code !== 60 &&
        code !== 42 &&
        code !== 96 &&
        code !== 126);
    if (plain && ansi === 0) {
      i += 1;
    } else {
      code = decodeAt(s, i);
      i += unitLength;
      // A terminal swallows an escape sequence whole: ESC, then `[`, parameters and one final byte.
      if (code === 27) {
        ansi = 1;
        continue;
      }
      if (ansi === 1) {
        ansi = code === 91 /* [ */ ? 2 : 0;
        if (ansi === 2 || (code >= 64 && code <= 95)) continue;
      } else if (ansi === 2) {
        if (code >= 64 && code <= 126) ansi = 0;
        continue;
      }
      if (code === TRANSPARENT) {
        // A whole key's digits are in: a line break or other invisible character after them ends it
        // (it joins the halves of a broken key, not a key and the next line's first word).
        if (runStart >= 0 && runHex >= KEY_HEX) close();
        continue;
      }
    }
    if (runStart >= 0) {
      if (isHex(code)) {
        runHex++;
        runTail =
          runTail.length < 4
            ? runTail + String.fromCharCode(code)
            : runTail.slice(1) + String.fromCharCode(code);
        lastEnd = i;
      } else close();
    }
    ch[count & 7] = lower(code);
    at[count & 7] = start;
    count++;
    if (code === 95 && count >= 4 && back(4) === 101 && back(3) === 50 && back(2) === 98) {
      close();
      const sk = count >= 7 && back(7) === 115 && back(6) === 107 && back(5) === 95;
      runStart = at[(count - (sk ? 7 : 4)) & 7];
      runPrefix = sk ? "sk_e2b_" : "e2b_";
      runHex = 0;
      runTail = "";
    }
  }
  close();
  return spans;
}

/** `s` with each span (in order, not overlapping) replaced by its mask. */
export function applySpans(s: string, spans: readonly Span[]): string {
  if (spans.length === 0) return s;
  let out = "";
  let from = 0;
  for (const sp of spans) {
    out += s.slice(from, sp.start) + sp.mask;
    from = sp.end;
  }
  return out + s.slice(from);
}

/** Anything in `s` that could decode to a key's `_`: a literal one or an escape. */
const MAY_HOLD_KEY = /_|\\u|\\x|%(?:25)*5f|&#|&lowbar;|&underbar;/i;

/**
 * Replace every key in `text` with its mask: the last step before any byte leaves the process.
 * Three passes: whole literal keys; then keys and key heads as the reader decodes the text (a head
 * split by an invisible character must be joined before anything of it is masked, or its tail is
 * left); then literal key heads an escape-looking neighbour hid from the second pass (`\u0e2b_…`).
 */
export function redactKeys(text: string): string {
  if (!MAY_HOLD_KEY.test(text)) return text;
  const literal = /e2b_/i;
  let out = text;
  if (literal.test(out)) {
    out = joinHalves(out);
    out = applySpans(out, keySpans(out, false, KEY_HEX));
  }
  out = applySpans(out, keySpans(out, true, REDACT_MIN_HEX));
  out = literal.test(out) ? applySpans(out, keySpans(out, false, REDACT_MIN_HEX)) : out;
  return out.includes("_…") ? out.replace(MASKED_HEAD_AND_TAIL, "$1$2…") : out;
}

/**
 * A key printed in parts with a separator between each (`console.log(k.slice(0, 24), k.slice(24))`,
 * `e2b_<20 hex>/<20 hex>`, three slices): the parts' digits coming to 40 make one key, masked whole.
 * What follows the 40th digit is kept.
 */
const KEY_START = /(?:sk_)?e2b_/gi;
/** Whether a character code is a hex digit, either case. */
export const isHexCode = (x: number): boolean => (x >= 48 && x <= 57) || ((x | 32) >= 97 && (x | 32) <= 102);
const isHexChar = (c: string) => isHexCode(c.charCodeAt(0));
/** What may stand between two parts: anything but a letter, a digit or a line break (`_` too). */
export const isPartSeparator = (c: string): boolean => c === "_" || /[^\w\n]/.test(c);
/** What a key head masked elsewhere (a relayed log) left: the rest after a separator, masked here. */
const MASKED_HEAD_AND_TAIL = /((?:sk_)?e2b_…(?:[0-9a-f]{4})?)([^\w\n…]{1,3})[0-9a-f]{12,40}(?![0-9a-f])/gi;

function joinHalves(text: string): string {
  let out = "";
  let from = 0;
  KEY_START.lastIndex = 0;
  for (let m = KEY_START.exec(text); m; m = KEY_START.exec(text)) {
    let i = m.index + m[0].length;
    let digits = "";
    while (i < text.length && isHexChar(text[i]) && digits.length <= 40) digits += text[i++];
    let parts = 0;
    while (digits.length < 40) {
      let j = i;
      while (j < text.length && j - i < 8 && isPartSeparator(text[j])) j++;
      if (j === i || j >= text.length || !isHexChar(text[j])) break;
      let k = j;
      while (k < text.length && isHexChar(text[k])) k++;
      if (digits.length + (k - j) > 40) break;
      digits += text.slice(j, k);
      i = k;
      parts++;
    }
    if (parts === 0 || digits.length !== 40) continue;
    out += text.slice(from, m.index) + maskKey(`${m[0]}${digits}`);
    from = i;
    KEY_START.lastIndex = i;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Shorten to at most `max` characters (first part … last part), masking keys first. */
export function shortenRedacted(text: string, max: number, head = Math.floor(max / 3)): string {
  const safe = redactKeys(text);
  if (safe.length <= max) return safe;
  const first = Math.min(head, Math.floor((max - 1) / 2));
  return `${safe.slice(0, first)}…${safe.slice(safe.length - (max - first - 1))}`;
}

/**
 * The first `max` characters of an already redacted text, never ending inside a run that could encode
 * a key (TOKEN_RUN): such a run cut short no longer decodes for a redactor, yet may still spell most
 * of the key, so it is left out whole.
 */
export function cutBeforeRun(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const inRun = (i: number) => i >= 0 && i < text.length && isTokenCode(text.charCodeAt(i));
  if (inRun(end) && inRun(end - 1)) {
    let start = end;
    while (inRun(start - 1)) start--;
    let stop = end;
    while (inRun(stop)) stop++;
    if (stop - start >= 16) end = start;
  }
  return `${text.slice(0, end)}…`;
}

/** The longest match of `runs` (a global pattern) in `line`, with its index; undefined when none. */
export function longestRun(line: string, runs: RegExp): RegExpMatchArray | undefined {
  let best: RegExpMatchArray | undefined;
  for (const m of line.matchAll(runs)) if (!best || m[0].length > best[0].length) best = m;
  return best;
}

/**
 * A character of a run that may be an encoded key or part of one: base64 (both alphabets), hex,
 * percent escapes. One alphabet for every cut that must not end inside such a run.
 */
export const TOKEN_CHAR = "[A-Za-z0-9+/=_%-]";
const TOKEN_CODES = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_%-")
  TOKEN_CODES[c.charCodeAt(0)] = 1;
/** Whether a character code is a TOKEN_CHAR. */
export const isTokenCode = (code: number): boolean => code < 128 && TOKEN_CODES[code] === 1;

/**
 * Each run of at least `min` characters whose codes `inRun` accepts, replaced by `fn(run)`. A loop,
 * not a regex: irregexp's backtracking stack overflows on a run of millions of characters (a 9 MB
 * resource name), and an output step that throws loses the whole message.
 */
export function replaceRuns(
  text: string,
  min: number,
  fn: (run: string) => string,
  inRun: (code: number) => boolean = isTokenCode,
): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length;) {
    if (!inRun(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < text.length && inRun(text.charCodeAt(end))) end++;
    if (end - i >= min) {
      out += text.slice(from, i) + fn(text.slice(i, end));
      from = end;
    }
    i = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** A run shown by its first four characters and its length (quoteValue, and redaction's last resort). */
export const runShownByLength = (run: string): string => `${run.slice(0, 4)}…(${run.length} characters)`;

/**
 * A value quoted in an error message (a field of bad input): keys masked, every run of 16 or more
 * characters that could encode one shown by its first four only, then shortened. An encoded key cut
 * in half no longer decodes for the output layer's redactor, so the halves must not be shown at all;
 * what a user needs to find the field (its type, its start, its length) is kept.
 */
export function quoteValue(text: string, max: number): string {
  const safe = replaceRuns(redactKeys(text), 16, runShownByLength);
  return shortenRedacted(safe, max);
}

// eslint-disable-next-line no-control-regex -- control characters are what these look for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_BREAK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Control characters as `\uXXXX`, bidirectional overrides and isolates too (a right-to-left override
 * makes a name read backwards, an ANSI sequence or `\r` rewrites what a terminal shows); tabs and
 * (outside identifiers) line breaks kept. For text from elsewhere (a stack, an API) in our output.
 */
export function inert(text: string, identifier = false): string {
  return text.replace(identifier ? CONTROL_OR_BREAK : CONTROL, escaped);
}

/** Hex digits this many in a row that a key's digits also hold, forwards or backwards, are a piece of it. */
export const KEY_PIECE = 12;

/**
 * Every KEY_PIECE-long window of the digits of each E2B key in `text`, forwards and backwards, in
 * lower case: what a value derived from a known key (`key.slice(4)`, upper-cased, reversed) holds.
 */
export function keyDigitPieces(text: string): Set<string> {
  const out = new Set<string>();
  for (const digits of keyDigitsIn(text)) addDigitPieces(out, digits);
  return out;
}

/** Every KEY_PIECE-long window of one key's digits (lower case), forwards and backwards, added to `out`. */
export function addDigitPieces(out: Set<string>, digits: string): void {
  for (const d of [digits, [...digits].reverse().join("")])
    for (let i = 0; i + KEY_PIECE <= d.length; i++) out.add(d.slice(i, i + KEY_PIECE));
}

/** The forty hex digits of each E2B key in `text`, lower case: what spelled-keys.ts looks for spelled out. */
export function keyDigitsIn(text: string): string[] {
  return [...text.matchAll(KEY_PATTERN)].map((m) => m[2].toLowerCase());
}

/** Separators between groups of a key's digits as code prints them: blanks, `-`, `:`, line breaks, `\n`. */
const MAX_SEPARATOR = 3;

/**
 * Runs of hex digits in `text`, each with the groups it is written in when a separator of one to
 * three characters that are not letters or digits stands between them (`3f9a 1c7e …`, `3f:9a:…`, a
 * UUID's dashes, rows wrapped at ten columns; an escaped `\n` counts as one): a group is a word made
 * only of hex digits, or the hex digits at either end of a word. Linear: each character is read once.
 */
function* hexGroupRuns(text: string): Generator<Array<{ start: number; end: number }>> {
  const n = text.length;
  let run: Array<{ start: number; end: number }> = [];
  let i = 0;
  while (i < n) {
    if (!isWordCode(text.charCodeAt(i))) {
      // A separator: from here to the next word character.
      let j = i;
      let length = 0;
      while (j < n && !isWordCode(text.charCodeAt(j))) {
        j += text.charCodeAt(j) === 92 && /[nrt]/.test(text[j + 1] ?? "") ? 2 : 1;
        length++;
      }
      if (length > MAX_SEPARATOR && run.length) {
        yield run;
        run = [];
      }
      i = j;
      continue;
    }
    // A word's hex digits between its other letters (`0x3f9a…`, `worker3f9a…`, `…1b3dz`): the first
    // stretch ends the run, the last starts the next one, each between is a run of its own (rt52 #1).
    let j = i;
    let from = i;
    while (j < n && isWordCode(text.charCodeAt(j))) {
      if (!isHex(text.charCodeAt(j))) {
        if (j > from) {
          if (from === i) run.push({ start: from, end: j });
          else yield [{ start: from, end: j }];
        }
        if (run.length) {
          yield run;
          run = [];
        }
        from = j + 1;
      }
      j++;
    }
    if (j > from) run.push({ start: from, end: j });
    i = j;
  }
  if (run.length) yield run;
}

/** A letter or digit (ASCII): what words, and groups of digits, are made of. */
export function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * The spans of `text` that hold one of `pieces` in a run of hex groups, each from the first group
 * holding a digit of a piece to the last such group, groups before and after left as they are.
 */
function pieceSpans(text: string, pieces: ReadonlySet<string>, mask = ""): Span[] {
  const out: Span[] = [];
  for (const groups of hexGroupRuns(text)) {
    let total = 0;
    for (const g of groups) total += g.end - g.start;
    if (total < KEY_PIECE) continue;
    let digits = "";
    const groupOf: number[] = [];
    groups.forEach((g, k) => {
      digits += text.slice(g.start, g.end).toLowerCase();
      for (let d = g.start; d < g.end; d++) groupOf.push(k);
    });
    let open: { first: number; last: number } | undefined;
    for (let i = 0; i + KEY_PIECE <= digits.length; i++) {
      if (!pieces.has(digits.slice(i, i + KEY_PIECE))) continue;
      const first = groupOf[i];
      const last = groupOf[i + KEY_PIECE - 1];
      if (open && first <= open.last) open.last = last;
      else {
        if (open) out.push({ start: groups[open.first].start, end: groups[open.last].end, mask });
        open = { first, last };
      }
    }
    if (open) out.push({ start: groups[open.first].start, end: groups[open.last].end, mask });
  }
  return out;
}

/**
 * `text` with each run of hex digits holding one of `pieces` replaced by `mask`, written whole or in
 * groups (`key.slice(4).match(/.{4}/g).join(" ")`, rt51 #2). Linear.
 */
export function maskKeyPieces(text: string, pieces: ReadonlySet<string>, mask: string): string {
  return pieces.size === 0 ? text : applySpans(text, pieceSpans(text, pieces, mask));
}

/** Whether `text` holds one of `pieces` (keyDigitPieces) in a run of hex digits, whole or in groups. */
export function holdsKeyPiece(text: string, pieces: ReadonlySet<string>): boolean {
  if (pieces.size === 0) return false;
  return pieceSpans(text, pieces).length > 0;
}
