/**
 * A known key spelled out in any layout: its digits one by one (or a few at a time) in order, each
 * written as itself or as a byte in any base, with counters, wrappers, comments or log prefixes
 * between them (`0x00: e`, `k0=e`, `String.fromCharCode(101) +`, `db 065h`, `8'h65`, `/* e *\/`).
 * The redactor's readers (redact.ts, byte-runs.ts, indexed-items.ts) know layouts; this knows the
 * key instead, so it needs none: where the run already knows a key (decrypted config, the deployer's
 * environment, files beside the program), a stretch of text whose words spell at least
 * MIN_SPELLED of the key's digits in order, the same few words between any two (give or take two),
 * or between any two pairs of digits standing next to each other (`3 f`), is masked.
 *
 * Linear: each word is read once, and for each key only the places its candidate characters stand.
 */
import { applySpans, isHex, isWordCode, type Span } from "./keys";

/** Digits of a key, in order, that a stretch must spell to be masked: half the key. */
export const MIN_SPELLED = 20;
/**
 * At most this many words that could stand for digits themselves (numbers, hex words) between two
 * digits of one spelling: a logger's timestamp, pid, address and counters (rt57 #2: a line of them
 * held 16), a counter, a cast's size.
 */
const MAX_GAP_WORDS = 24;
/**
 * At most this many characters between two digits of one spelling: a structured logger's line
 * (rt57 #2: one over 200 characters a digit showed the last 20).
 */
const MAX_GAP_CHARS = 1000;
/** At most this many characters between the two digits of a pair (`3 f`, `3, f`). */
const MAX_PAIR_SEPARATOR = 3;
/** A word longer than this spells nothing here (a run of digits that long is the pieces' business). */
const MAX_WORD = 40;

/** A number written as a byte: hex (`0x65`, `x65`, `65h`, `h65`, `u0065`, `0x65u8`), decimal, octal, binary. */
const HEX_BYTE = /^(?:0x|x|h|u)?0*([0-9a-f]{1,2})(?:h|u8|u|l)?$/;
const DECIMAL_BYTE = /^0*(\d{1,3})(?:u8|i8|u|l)?$/;
const OCTAL_BYTE = /^(?:0o|o)?0*([0-7]{2,3})$/;
const BINARY_BYTE = /^(?:0b|b)?([01]{8})$/;
const NIBBLE = /^0x([0-9a-f])$/;
const DECIMAL_NIBBLE = /^(1[0-5])$/;
const BINARY_NIBBLE = /^(?:0b|b)?([01]{4})$/;
const PREFIXED_HEX_BYTE = /^(?:0x|x)([0-9a-f]{2})$/;
/** The longest word a byte is written as here (`0x0065u8`). */
const MAX_BYTE_WORD = 10;
/** Letters other than hex digits a byte's word may have: its base's prefix and its type's suffix. */
const MAX_OTHER_LETTERS = 2;

/** The hex digit (0–15) a character code stands for, either case, or -1. */
function digitOf(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The hex digits a word of a byte may stand for, as bits 0–15: the byte in each base it reads as. */
function digitsOf(w: string): number {
  let bits = 0;
  const add = (m: RegExpExecArray | null, base: number) => {
    const d = m ? digitOf(parseInt(m[1], base)) : -1;
    if (d >= 0) bits |= 1 << d;
  };
  add(HEX_BYTE.exec(w), 16);
  add(DECIMAL_BYTE.exec(w), 10);
  add(OCTAL_BYTE.exec(w), 8);
  add(BINARY_BYTE.exec(w), 2);
  // A digit's own value, `parseInt(c, 16)` printed: in hex (`0x3`, `0xf`: rt55 #2), in decimal (`10`
  // to `15`; 0 to 9 are the digits themselves) or as four bits (`1110`: rt57 #1).
  const nibble = NIBBLE.exec(w);
  if (nibble) bits |= 1 << parseInt(nibble[1], 16);
  const decimal = DECIMAL_NIBBLE.exec(w);
  if (decimal) bits |= 1 << parseInt(decimal[1], 10);
  const binary = BINARY_NIBBLE.exec(w);
  if (binary) bits |= 1 << parseInt(binary[1], 2);
  return bits;
}

/**
 * The two digits a word stands for as one byte of the key's decoded bytes (`[...Buffer.from(hex,
 * "hex")]` printed: `63` or `0x3f` for `3f`; rt55 #2), or "". A bare two-digit hex word is its own chunk.
 */
function byteChunkOf(w: string): string {
  const decimal = DECIMAL_BYTE.exec(w);
  const hex = decimal ? null : PREFIXED_HEX_BYTE.exec(w);
  const v = decimal ? parseInt(decimal[1], 10) : hex ? parseInt(hex[1], 16) : 256;
  return v <= 255 ? v.toString(16).padStart(2, "0") : "";
}

/**
 * How many words a spelling's gap may differ by from the one its first two digits set: a row's offset,
 * a counter that grows a digit, a word of the layout that reads as a digit now and then (`0.0 e`: the
 * counter's `0`).
 */
const JITTER = 2;

/** Slots per digit of a key: one per gap a spelling keeps (0 to MAX_GAP_WORDS), and one for a first digit. */
const SLOTS = MAX_GAP_WORDS + 2;
/** The slot of a spelling one word long, whose gap is not set yet. */
const FIRST = MAX_GAP_WORDS + 1;

/**
 * The spellings under way for one key's digits. A spelling is a loop's output: the same words stand
 * between any two of its digits, give or take JITTER, so each keeps the gap its first two digits set,
 * and one digit goes on only a spelling whose gap it keeps (rt55 #1: with any gap allowed, a hexdump
 * of ordinary text spelled a key by chance). Per digit and gap, the spelling that ends there: word
 * `word` (-1: none) that ends at `end`, `length` digits long, starting at `start` in the text.
 */
class Spellings {
  readonly word: Int32Array;
  readonly end: Int32Array;
  readonly length: Int32Array;
  readonly start: Int32Array;
  /** Where each hex digit (0–15) stands in the digits. */
  readonly at: number[][] = Array.from({ length: 16 }, () => []);

  constructor(readonly digits: string) {
    const n = digits.length * SLOTS;
    this.word = new Int32Array(n).fill(-1);
    this.end = new Int32Array(n);
    this.length = new Int32Array(n);
    this.start = new Int32Array(n);
    for (let p = 0; p < digits.length; p++) this.at[digitOf(digits.charCodeAt(p))]?.push(p);
  }

  /**
   * Word `i` (from `start` to `end`), standing for the digits in `bits` or for the digits `chunk`:
   * the spellings it goes on or begins. Returns where the longest spelling it ends that is
   * MIN_SPELLED long or longer, over two words or more, starts, or -1.
   */
  spell(
    pending: Pending,
    i: number,
    start: number,
    end: number,
    bits: number,
    chunk: string,
    byteChunk: string,
  ): number {
    pending.count = 0;
    for (let d = 0; d < 16; d++)
      if (bits & (1 << d)) for (const p of this.at[d]) this.follow(pending, p, p, 1, i, start);
    for (const c of [chunk, byteChunk])
      if (c)
        for (let p = this.digits.indexOf(c); p >= 0; p = this.digits.indexOf(c, p + 1))
          this.follow(pending, p, p + c.length - 1, c.length, i, start);
    let from = -1;
    for (let u = 0; u < pending.count; u++) {
      const slot = pending.slot[u];
      const length = pending.length[u];
      // The longest spelling a slot can hold on with stays (one this word has just put there too).
      if (
        this.word[slot] === i
          ? this.length[slot] >= length
          : this.live(slot, i, start) && this.length[slot] > length
      )
        continue;
      this.word[slot] = i;
      this.end[slot] = end;
      this.length[slot] = length;
      this.start[slot] = pending.start[u];
      // One word alone is a run of digits, not a spelling: a whole key or a piece is the redactor's and
      // keys.ts maskKeyPieces' to mask (a whole key shows its last four).
      const spelled = length >= MIN_SPELLED && pending.start[u] < start;
      if (spelled && (from < 0 || pending.start[u] < from)) from = pending.start[u];
    }
    return from;
  }

  /** The spellings word `i` makes by standing for digits `from` to `to`: new, and each it goes on. */
  private follow(pending: Pending, from: number, to: number, count: number, i: number, start: number): void {
    pending.push(to * SLOTS + FIRST, count, start);
    if (from === 0) return;
    const base = (from - 1) * SLOTS;
    for (let g = 0; g <= FIRST; g++) {
      const slot = base + g;
      if (!this.live(slot, i, start)) continue;
      const gap = i - this.word[slot] - 1;
      // A first digit's spelling takes this gap as its own; the others go on within one of theirs.
      const keeps = g === FIRST ? gap <= MAX_GAP_WORDS : gap >= g - JITTER && gap <= g + JITTER;
      if (keeps)
        pending.push(to * SLOTS + (g === FIRST ? gap : g), this.length[slot] + count, this.start[slot]);
    }
  }

  /** Whether the spelling in `slot` can go on with word `i`, which starts at `from`. */
  live(slot: number, i: number, from: number): boolean {
    const w = this.word[slot];
    return w >= 0 && w < i && i - w - 1 <= MAX_GAP_WORDS + 1 && from - this.end[slot] <= MAX_GAP_CHARS;
  }
}

/** The spellings one word ends, gathered before any is kept (a word spells each digit once). */
class Pending {
  slot: number[] = [];
  length: number[] = [];
  start: number[] = [];
  count = 0;

  push(slot: number, length: number, start: number): void {
    this.slot[this.count] = slot;
    this.length[this.count] = length;
    this.start[this.count] = start;
    this.count++;
  }
}

/**
 * The stretches of `text` that spell MIN_SPELLED or more of one of `keys` (each a key's hex digits,
 * lower case) in order, forwards or backwards, from the first word of a spelling to its last.
 */
export function spelledKeySpans(text: string, keys: Iterable<string>, mask = ""): Span[] {
  const spans: Span[] = [];
  if (text.length < MIN_SPELLED) return spans;
  // Backwards too, as the pieces are: a key printed from its last character.
  const spellings = [...keys]
    .filter((k) => k.length >= MIN_SPELLED)
    .flatMap((k) => [k, [...k].reverse().join("")])
    .map((d) => new Spellings(d));
  if (spellings.length === 0) return spans;
  // Spellings of pairs apart from those of words: a pair's digits are words too, which would take a
  // pair spelling's slots with spellings of their own (a filler's digits among them).
  const pairSpellings = spellings.map((s) => new Spellings(s.digits));
  const mark = (start: number, end: number) => {
    const last = spans[spans.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else spans.push({ start, end, mask });
  };
  const pending = new Pending();
  const n = text.length;
  let i = -1;
  let pos = 0;
  // The word before, when it was one digit: with this one, if it is a digit too and stands next to it,
  // two digits of a loop that prints them in pairs with other words between (rt58 #5: `3 f 1 2 3 4 5 6
  // 9 a …`, gaps of 0 and 6 words in turn).
  let singleStart = -1;
  let singleEnd = -1;
  let singleDigit = "";
  while (pos < n) {
    while (pos < n && !isWordCode(text.charCodeAt(pos))) pos++;
    if (pos >= n) break;
    const start = pos;
    const beforeStart = singleStart;
    const beforeEnd = singleEnd;
    singleEnd = -1;
    let other = 0;
    let decimal = 0;
    for (let c = text.charCodeAt(pos); pos < n && isWordCode(c); c = text.charCodeAt(++pos))
      if (c <= 57) decimal++;
      else if (!isHex(c)) other++;
    const length = pos - start;
    // Most words are names and prose: not all hex digits, and too long or too lettered for a byte
    // (every byte that is a hex digit's code has a decimal digit in any base).
    if (length > MAX_WORD || (other > 0 && (length > MAX_BYTE_WORD || other > MAX_OTHER_LETTERS || !decimal)))
      continue;
    const w = length === 1 ? "" : text.slice(start, pos).toLowerCase();
    const bits =
      length === 1
        ? other
          ? 0
          : 1 << digitOf(text.charCodeAt(start))
        : decimal > 0 && length <= MAX_BYTE_WORD
          ? digitsOf(w)
          : 0;
    const chunk = other === 0 && length >= 2 ? w : "";
    // A single figure is a counter far more often than a byte of the key: bytes from two figures on.
    const byteChunk = decimal > 0 && length >= 2 && length <= MAX_BYTE_WORD ? byteChunkOf(w) : "";
    if (!bits && !chunk && !byteChunk) continue;
    let pair = "";
    if (length === 1 && !other) {
      if (beforeEnd >= 0 && start - beforeEnd <= MAX_PAIR_SEPARATOR)
        pair = singleDigit + text[start].toLowerCase();
      singleStart = start;
      singleEnd = pos;
      singleDigit = text[start].toLowerCase();
    }
    // Words are counted only when they could stand for digits: prose and names between two digits
    // (a logger's class name, `trace_id=`) are no gap, only MAX_GAP_CHARS of them are.
    i++;
    for (const key of spellings) {
      const from = key.spell(pending, i, start, pos, bits, chunk, byteChunk);
      if (from >= 0) mark(from, pos);
    }
    if (pair)
      for (const key of pairSpellings) {
        const from = key.spell(pending, i, beforeStart, pos, 0, pair, "");
        if (from >= 0) mark(from, pos);
      }
  }
  return spans;
}

/** `text` with every stretch that spells a known key (spelledKeySpans) replaced by `mask`. */
export function maskSpelledKeys(text: string, keys: Iterable<string>, mask: string): string {
  return applySpans(text, spelledKeySpans(text, keys, mask));
}
