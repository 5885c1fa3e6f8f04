/**
 * Runs of numbers that spell bytes, however a program or a tool lays them out: hex, decimal, octal or
 * binary, with or without a prefix (`0x`, `\x`, `0o`, `0b`, an escape's `\`), any few non-alphanumeric
 * characters between them (`, `, `;`, `.`, line breaks, JSON's `",\n    "`, quoted-printable's `=` and
 * soft breaks), hex in groups of any even length, `od -o`'s 16-bit octal words, and a dump's offset at
 * the start of a line. One pass over the text reads its alphanumeric tokens; each reading of a run of
 * them is decoded once (rt47 #1–#4: every byte list or dump layout written out by hand was one more
 * layout left out).
 */
import type { Span } from "./keys";

/** At most this many characters between two numbers of one run (`",\n    "` is seven). */
const MAX_GAP = 8;
/** Fewer bytes than this spell no key material (a key's head, `e2b_` and eight hex, is twelve). */
const MIN_BYTES = 12;

interface Token {
  start: number;
  end: number;
  /** The number's digits, its prefix left out. */
  digits: string;
  /** The base its prefix says (`0x` 16, `0o` 8, `0b` 2), or 0 when it has none. */
  base: number;
  /** A dump's offset, skipped by every reading (markOffsets). */
  offset: boolean;
}

/** Character classes by code: 1 a hex digit, 2 another letter (a word, not a number). */
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = 1;
for (let c = 65; c <= 90; c++) CLASS[c] = CLASS[c + 32] = c <= 70 ? 1 : 2;
const isAlnum = (c: number) => c < 128 && CLASS[c] !== 0;

const DIGITS: Record<number, RegExp> = { 16: /^[0-9a-f]+$/i, 10: /^[0-9]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/ };

/**
 * The word `text[start, end)` as a number token, or undefined when it is a word (`hello`; a key's
 * `e2b` is hex): hex digits, or a prefix (`0x`, `0o`, `0b`, the `x` of `\x`, the `u` of `\u0065`) and
 * digits of its base, or either with a C literal's type suffix (`0x65u`, `101L`, `0145UL`: rt49 #1).
 */
function tokenAt(text: string, start: number, end: number, hexOnly: boolean): Token | undefined {
  const t = numberAt(text, start, end, hexOnly);
  if (t || hexOnly) return t;
  let cut = end;
  while (cut > start + 1 && end - cut < 3 && SUFFIX.has(text.charCodeAt(cut - 1) | 32)) cut--;
  if (cut === end) return undefined;
  const bare = text.slice(start, cut);
  const hex = DIGITS[16].test(bare);
  // A suffix follows a decimal number or a prefixed one, not bare hex (`face` + `l` is a word).
  if (hex && !DIGITS[10].test(bare)) return undefined;
  return numberAt(text, start, cut, hex);
}

/** `u` and `l`, the letters of C's integer suffixes, lower-cased. */
const SUFFIX = new Set([117, 108]);

function numberAt(text: string, start: number, end: number, hexOnly: boolean): Token | undefined {
  const c0 = text.charCodeAt(start) | 32;
  const c1 = end - start > 2 ? text.charCodeAt(start + 1) | 32 : 0;
  const base =
    c0 === 48 && (c1 === 120 || c1 === 111 || c1 === 98) ? (c1 === 120 ? 16 : c1 === 111 ? 8 : 2) : 0;
  // Visual Basic's `&H65` too (rt52 #7).
  const vbHex = c0 === 104 && text.charCodeAt(start - 1) === 38 && end - start > 1;
  if (base !== 0 || vbHex || ((c0 === 120 || (c0 === 117 && end - start === 5)) && end - start > 1)) {
    const digits = text.slice(start + (base !== 0 ? 2 : 1), end);
    const b = base || 16;
    if (DIGITS[b].test(digits)) return { start, end, digits, base: b, offset: false };
  }
  return hexOnly ? { start, end, digits: text.slice(start, end), base: 0, offset: false } : undefined;
}

/** What prefixes a quoted string literal (Python's `b`, `br`, `rb`, `f`, C's `L`, `u8`), lower-cased. */
const LITERAL_PREFIXES = new Set(["b", "u", "r", "f", "l", "br", "rb", "u8", "fr", "rf"]);
const QUOTES = new Set([34, 39]);

/**
 * Whether the word `text[i, j)` opens a string literal: a prefix of up to two characters right
 * before a quote (`b'`, `br'`, `u8"`, `L"`), or a call's name before one (`bytearray(b'`,
 * `bytes(`, `Buffer.from("`). A number before a quote (`'65','32'`) is no prefix.
 */
function opensLiteral(text: string, i: number, j: number): boolean {
  const next = text.charCodeAt(j);
  // A braced escape's letter: Perl's and PCRE's `\x{65}`, JavaScript's and Rust's `\u{65}` (rt51 #4).
  if (next === 123 /* { */ && j - i === 1 && text.charCodeAt(i - 1) === 92 /* \ */)
    return (text.charCodeAt(i) | 32) === 120 || (text.charCodeAt(i) | 32) === 117;
  if (QUOTES.has(next)) return j - i <= 2 && LITERAL_PREFIXES.has(text.slice(i, j).toLowerCase());
  if (next !== 40 /* ( */ || j - i > 12) return false;
  let k = j + 1;
  while (k < text.length && k - j <= 3 && isAlnum(text.charCodeAt(k))) k++;
  return QUOTES.has(text.charCodeAt(k));
}

/** Whether only blanks stand between the line's start and `at`. */
function startsLine(text: string, at: number): boolean {
  let i = at;
  while (i > 0 && (text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) i--;
  return i === 0 || text.charCodeAt(i - 1) === 10;
}

/**
 * Each run of number tokens whose gaps are at most MAX_GAP non-alphanumeric characters, handed to
 * `visit` as it ends when it has digits enough for MIN_BYTES bytes. A char-code scan: most of a text
 * is words and short numbers.
 */
function forEachNumberRun(text: string, visit: (run: Token[]) => void): void {
  let run: Token[] = [];
  let digits = 0;
  // The words between the run's first two numbers: a wrapper every item shares (`(byte) 0x65`,
  // `0x65.toByte()`, `chr(101) + `, `U+0065`) is part of every gap or of none (rt52 #7).
  let wrapper = "";
  const close = () => {
    if (digits >= 2 * MIN_BYTES) visit(markOffsets(text, run));
    run = [];
    digits = 0;
    wrapper = "";
  };
  let lastEnd = -1;
  // The words since the last number, and how many characters they take.
  let gapWords = "";
  let gapWordChars = 0;
  const n = text.length;
  for (let i = 0; i < n;) {
    if (!isAlnum(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let hexOnly = true;
    for (; j < n && isAlnum(text.charCodeAt(j)); j++) if (CLASS[text.charCodeAt(j)] !== 1) hexOnly = false;
    // What opens a string literal of bytes, a row each (`b'\x65…'`, `bytearray(b'…')`, `br'…'`,
    // C++'s `u8"…"` and `L"…"`), is part of the gap: the gap is measured again after it (rt51 #9).
    if (opensLiteral(text, i, j)) {
      if (lastEnd >= 0 && i - lastEnd - gapWordChars > MAX_GAP) close();
      else if (lastEnd >= 0) [lastEnd, gapWords, gapWordChars] = [j, "", 0];
      i = j;
      continue;
    }
    const t = tokenAt(text, i, j, hexOnly);
    if (!t) {
      // A short word after a number may be the items' wrapper: kept for the next number to judge.
      if (lastEnd >= 0 && gapWordChars + j - i <= MAX_WRAPPER) {
        gapWords += `${text.slice(i, j)} `;
        gapWordChars += j - i;
      } else {
        close();
        lastEnd = -1;
      }
      i = j;
      continue;
    }
    if (lastEnd >= 0) {
      const gap = i - lastEnd - gapWordChars;
      const fits = gap <= (gapWords ? MAX_GAP + MAX_WRAPPER_MARKS : MAX_GAP);
      if (!fits) close();
      else if (run.length === 1) wrapper = gapWords;
      else if (gapWords !== wrapper && run.length === 2) {
        // The first gap was no wrapper (`E2B_API_URL is 101 50 …`: the words before a list): the run
        // starts at its second number.
        const first = run.shift()!;
        digits -= first.digits.length;
        if (first.digits.length >= 2 * MIN_BYTES) visit(markOffsets(text, [first]));
        wrapper = gapWords;
      } else if (gapWords !== wrapper) close();
    }
    run.push(t);
    digits += t.digits.length;
    lastEnd = j;
    gapWords = "";
    gapWordChars = 0;
    i = j;
  }
  close();
}

/** At most this many characters of words stand between two numbers as their wrapper (`toByte`, `UInt8`). */
const MAX_WRAPPER = 8;
/** What a wrapper adds to a gap besides its words: parentheses, a cast's, a call's (`), (byte) `). */
const MAX_WRAPPER_MARKS = 4;

/**
 * A dump's offsets marked: 6 to 8 digits starting a line and followed on that line by a shorter
 * number (`0000000 145 062`; not a line of hex groups of eight), by a colon, or seven digits.
 */
function markOffsets(text: string, run: Token[]): Token[] {
  // A dump has rows, its last offset alone on a line at least (`od`, `hexdump`); one line of numbers
  // led by seven binary digits is a list (`1100101 110010 …`, rt49 #1). xxd's colon marks a lone row.
  let rowStarts = 0;
  for (let i = 0; i < run.length && rowStarts < 2; i++) if (startsLine(text, run[i].start)) rowStarts++;
  for (let i = 0; i + 1 < run.length; i++) {
    const t = run[i];
    const next = run[i + 1];
    const n = t.digits.length;
    // Seven digits are `od`'s and `hexdump`'s offsets; xxd's end in a colon (`00000000:`).
    t.offset =
      n >= 6 &&
      n <= 8 &&
      (text[t.end] === ":" || (rowStarts > 1 && (n === 7 || next.digits.length < n))) &&
      startsLine(text, t.start) &&
      !text.slice(t.end, next.start).includes("\n");
  }
  return run;
}

/**
 * One way to read a run: what each token gives (a string of bytes), or undefined where the token
 * cannot be read so (it ends the stretch being read).
 */
type Reading = (t: Token) => string | undefined;

const byteIn = (base: number, min: number, max: number): Reading => {
  return (t) => {
    // With its prefix a number may be short (`0b110010`, `0o62`); without, binary is 6 bits at least.
    if (
      t.base !== 0 ? t.base !== base || t.digits.length > 8 : t.digits.length < min || t.digits.length > max
    )
      return undefined;
    if (!DIGITS[base].test(t.digits)) return undefined;
    const v = parseInt(t.digits, base);
    return v <= 255 ? String.fromCharCode(v) : undefined;
  };
};

/** A word of `size` bytes written in decimal, its bytes low first or (`lowFirst` false) high first. */
function decimalWord(size: 2 | 4 | 8, lowFirst: boolean): Reading {
  const maxDigits = { 2: 5, 4: 10, 8: 20 }[size];
  return (t) => {
    if ((t.base !== 0 && t.base !== 10) || t.digits.length > maxDigits || !DIGITS[10].test(t.digits))
      return undefined;
    const out = size === 8 ? bytesOfBig(BigInt(t.digits)) : bytesOf(Number(t.digits), size);
    if (!out) return undefined;
    return String.fromCharCode(...(lowFirst ? out : out.reverse()));
  };
}

/** The `size` bytes of `v`, low first; undefined when it does not fit. Exact below 2^53. */
function bytesOf(v: number, size: number): number[] | undefined {
  if (v >= 2 ** (8 * size)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < size; i++, v = Math.floor(v / 256)) out.push(v % 256);
  return out;
}

/** A word's `size` bytes (eight unless said), low first (`od -t u8`, `od -t o4`). */
function bytesOfBig(v: bigint, size = 8): number[] | undefined {
  if (v >= 1n << BigInt(8 * size)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < size; i++, v >>= 8n) out.push(Number(v & 255n));
  return out;
}

/**
 * The readings, each once per run. A reading of `words` is tried only on a run with a number of four
 * digits or more: shorter numbers read as words spell what their bytes spell with NULs between them,
 * which the byte readings read already (and a word of two printable bytes is 8224 at least).
 */
const READINGS: ReadonlyArray<{ read: Reading; words?: true; bits?: true }> = [
  // Hex of any even length: pairs (`65 32 62 5f`, `\x65`, `0x65`, `=65=32`), groups (`6532625f …`).
  {
    read: (t) =>
      (t.base === 0 || t.base === 16) && t.digits.length % 2 === 0
        ? Buffer.from(t.digits, "hex").toString("latin1")
        : undefined,
  },
  { read: byteIn(10, 1, 3) },
  // Octal bytes, a C literal's leading 0 too (`0145`).
  { read: byteIn(8, 1, 4) },
  // Binary bytes, padded or not (`bin()`, `toString(2)`: a digit's byte is six bits).
  { read: byteIn(2, 6, 8) },
  // Words written low byte first: `xxd -e`, `od -x`/`-t x4`/`-t x8`, `hexdump -x` (rt48 #1).
  {
    words: true,
    read: (t) => {
      const n = t.digits.length;
      if ((t.base !== 0 && t.base !== 16) || (n !== 4 && n !== 8 && n !== 16)) return undefined;
      return Buffer.from(t.digits, "hex").reverse().toString("latin1");
    },
  },
  // Words in decimal, low byte first (`od -d`, `od -t u2`/`d4`/`u8`, `hexdump -d`) or high byte first
  // (`od --endian=big`, Java's DataOutput: rt49 #1).
  ...([2, 4, 8] as const).flatMap((size) => [
    { words: true as const, read: decimalWord(size, true) },
    { words: true as const, read: decimalWord(size, false) },
  ]),
  // Bits in groups of four (`0110 0101 0011 0010`, how tutorials and bit dumps print a byte): read
  // in pairs, eight bits to a byte (rt51 #4).
  {
    bits: true,
    read: (t) => (t.base === 0 && t.digits.length === 4 && DIGITS[2].test(t.digits) ? t.digits : undefined),
  },
  // `od -o`, `od -t o4`, `od -t o8`: 16-, 32- and 64-bit words in 6, 11 and 22 octal digits, the low
  // byte first (rt51 #4).
  ...([2, 4, 8] as const).map((size) => ({ words: true as const, read: octalWord(size) })),
];

/** A word of `size` bytes written in octal as `od` pads it, its bytes low first. */
function octalWord(size: 2 | 4 | 8): Reading {
  const length = { 2: 6, 4: 11, 8: 22 }[size];
  return (t) => {
    if ((t.base !== 0 && t.base !== 8) || t.digits.length !== length || !DIGITS[8].test(t.digits))
      return undefined;
    const out = bytesOfBig(BigInt(`0o${t.digits}`), size);
    return out && String.fromCharCode(...out);
  };
}

/**
 * The spans of `text` where a run of numbers, read one of the ways above, spells what `spells`
 * accepts (a decoded text is also given with NULs taken out: UTF-16 bytes). The whole run is a span:
 * the part of it that spelled a key's head may be followed by its tail past a row's number (`  2 | `).
 * Linear: each token is read a fixed number of times, and each stretch read is decoded once.
 */
export function byteRunSpans(
  text: string,
  spells: (decoded: string) => boolean,
  mask: (run: string) => string,
): Span[] {
  const spans: Span[] = [];
  forEachNumberRun(text, (run) => {
    const long = run.some((t) => !t.offset && t.digits.length >= 4);
    if (
      !READINGS.some((r) => (long || !r.words) && spellsIn(run, r.bits ? bitsRead(r.read) : r.read, spells))
    )
      return;
    const start = run[0].start;
    const end = run[run.length - 1].end;
    spans.push({ start, end, mask: mask(text.slice(start, end)) });
  });
  return spans;
}

/**
 * A reading of bits in groups of four as bytes: pairs of groups, from the first group of a stretch
 * (a group of something else starts a new one).
 */
function bitsRead(read: Reading): Reading {
  let pending: string | undefined;
  return (t) => {
    const bits = read(t);
    if (bits === undefined) {
      pending = undefined;
      return undefined;
    }
    if (pending === undefined) {
      pending = bits;
      return "";
    }
    const byte = String.fromCharCode(parseInt(pending + bits, 2));
    pending = undefined;
    return byte;
  };
}

/** Whether a stretch of the run, read so, spells what `spells` accepts. */
function spellsIn(run: Token[], read: Reading, spells: (decoded: string) => boolean): boolean {
  let decoded = "";
  const check = () => {
    const bare = decoded.includes("\0") ? decoded.replace(/\0/g, "") : decoded;
    const hit = decoded.length >= MIN_BYTES && (spells(decoded) || (bare !== decoded && spells(bare)));
    decoded = "";
    return hit;
  };
  for (const t of run) {
    if (t.offset) continue;
    const b = read(t);
    if (b !== undefined) decoded += b;
    else if (check()) return true;
  }
  return check();
}
