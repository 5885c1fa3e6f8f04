/**
 * Items numbered one by one — a debug loop's `0: 0x65` a line, a char-code table's `0\t101\t65\te`
 * rows, a string spread into an object (`{"0":"e","1":"2",…}`), `0:e 1:2 …` — read without their
 * numbers: the counter between every two items breaks every run the other readers read (a digit
 * between two characters, a number between two bytes: rt51 #4). A counter is a decimal number one more
 * than the one before it, at most MAX_ITEM characters after it; each item's words are read column by
 * column, as text (characters, short chunks), as hex bytes and as decimal bytes.
 */
import type { Span } from "./keys";

/** Fewer characters than this spell no key material (a key's head, `e2b_` and eight hex, is twelve). */
const MIN_SPELLED = 12;
/** Fewer items than this are no numbered list (a key in chunks of four is eleven). */
const MIN_ITEMS = 3;
/** At most this many characters from one counter's end to the next one's start (a table's row). */
const MAX_ITEM = 120;
/** An item's word read as text when this short: a character, or a chunk (`0: e2`, `chunk 1: 3f9a`). */
const MAX_CHUNK = 8;
/** Columns read of each item (a char-code table has three: decimal, hex, the character). */
const MAX_COLUMNS = 4;

/** A decimal number standing alone: not part of a word, a hex literal (`0x65`) or a decimal fraction. */
const NUMBER = /(?<![A-Za-z0-9_.])\d{1,6}(?![A-Za-z0-9_]|\.\d)/g;

interface Counter {
  start: number;
  end: number;
}

interface Sequence {
  counters: Counter[];
}

/**
 * The spans of `text` where numbered items, read a column at a time one of the ways above, spell what
 * `spells` accepts: from the first counter to the last item's end. Linear: each number is a counter of
 * at most one sequence, and each item is at most MAX_ITEM characters.
 */
export function indexedItemSpans(
  text: string,
  spells: (decoded: string) => boolean,
  mask: (run: string) => string,
): Span[] {
  const found: Array<{ start: number; end: number }> = [];
  const finish = (s: Sequence) => {
    if (s.counters.length < MIN_ITEMS) return;
    const span = spelledSpan(text, s.counters, spells);
    if (span) found.push(span);
  };
  // Sequences of two counters or more by the characters before their counters (`,"` in a JSON object,
  // a line break in a table), so an item's own number (`"1":"2"`, a table's `\t50`) is never taken
  // for the next counter; and each number's own one-counter sequence, by the number it expects, as a
  // first counter's lead may be another (`{"0"`).
  const byLead = new Map<string, Map<number, Sequence>>();
  const singles = new Map<number, Sequence>();
  const follows = (s: Sequence | undefined, c: Counter): s is Sequence =>
    s !== undefined && itemBetween(text, s.counters[s.counters.length - 1].end, c.start);
  for (const m of text.matchAll(NUMBER)) {
    const n = Number(m[0]);
    const counter = { start: m.index, end: m.index + m[0].length };
    const lead = leadOf(text, m.index);
    let expecting = byLead.get(lead);
    if (!expecting) byLead.set(lead, (expecting = new Map()));
    let s = expecting.get(n);
    if (s) expecting.delete(n);
    if (!follows(s, counter)) {
      if (s) finish(s);
      s = singles.get(n);
      if (follows(s, counter)) singles.delete(n);
      else {
        singles.set(n + 1, { counters: [counter] });
        continue;
      }
    }
    s.counters.push(counter);
    const rival = expecting.get(n + 1);
    if (rival && rival.counters.length >= s.counters.length) {
      finish(s);
      continue;
    }
    if (rival) finish(rival);
    expecting.set(n + 1, s);
  }
  for (const expecting of byLead.values()) for (const s of expecting.values()) finish(s);
  return disjoint(found).map((r) => ({ ...r, mask: mask(text.slice(r.start, r.end)) }));
}

/**
 * The characters other than word characters right before `at` (eight at most), blanks left out: what
 * leads a counter (`",\n"` in indented JSON, where an item's own number has `":"`), the same for
 * `9` and `10` when a table right-aligns them.
 */
function leadOf(text: string, at: number): string {
  let lead = "";
  for (let i = at - 1; i >= 0 && at - i <= 8 && !isWordCode(text.charCodeAt(i)); i--)
    if (text.charCodeAt(i) !== 32) lead = text[i] + lead;
  return lead;
}

/** Whether a character code is a word character's (`\w`). */
const isWordCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * Whether `text[from, to)` holds an item between two counters: at most MAX_ITEM characters, a word
 * among them (`1:2`'s `2` is the item, not the next counter).
 */
function itemBetween(text: string, from: number, to: number): boolean {
  if (to - from > MAX_ITEM) return false;
  for (let i = from; i < to; i++) if (isWordCode(text.charCodeAt(i))) return true;
  return false;
}

/** The span of a sequence's items when one of their columns, read one way, spells key material. */
function spelledSpan(
  text: string,
  counters: readonly Counter[],
  spells: (decoded: string) => boolean,
): { start: number; end: number } | undefined {
  const n = counters.length;
  const itemEnd = (i: number) => (i + 1 < n ? counters[i + 1].start : lastItemEnd(text, counters[i].end));
  // Each column's words read three ways at once: as the text it is, a byte in hex, in decimal.
  const columns = Array.from({ length: MAX_COLUMNS }, () => ({ words: 0, chars: "", hex: "", decimal: "" }));
  for (let i = 0; i < n; i++) {
    const to = itemEnd(i);
    let column = 0;
    for (let k = counters[i].end; k < to && column < MAX_COLUMNS;) {
      if (!isWordCode(text.charCodeAt(k))) {
        k++;
        continue;
      }
      let end = k;
      while (end < to && isWordCode(text.charCodeAt(end))) end++;
      const c = columns[column++];
      c.words++;
      if (end - k <= MAX_CHUNK) c.chars += text.slice(k, end);
      const hex = hexByte(text, k, end);
      if (hex >= 0) c.hex += String.fromCharCode(hex);
      const dec = decimalByte(text, k, end);
      if (dec >= 0) c.decimal += String.fromCharCode(dec);
      k = end;
    }
  }
  const spelled = columns.some(
    (c) =>
      c.words >= MIN_ITEMS && [c.chars, c.hex, c.decimal].some((t) => t.length >= MIN_SPELLED && spells(t)),
  );
  return spelled
    ? { start: counters[0].start, end: lastWordEnd(text, counters[n - 1].end, itemEnd(n - 1)) }
    : undefined;
}

/** Where the last word of `text[from, to)` ends, or `from`. */
function lastWordEnd(text: string, from: number, to: number): number {
  for (let i = to; i > from; i--) if (isWordCode(text.charCodeAt(i - 1))) return i;
  return from;
}

/** The value of hex digits code `c` is, or -1. */
const hexValue = (c: number) =>
  c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;

/** `text[start, end)` as a byte in hex (`65`, `0x65`, `f`), or -1. */
function hexByte(text: string, start: number, end: number): number {
  if (end - start > 2 && text.charCodeAt(start) === 48 && (text.charCodeAt(start + 1) | 32) === 120)
    start += 2;
  if (end - start < 1 || end - start > 2) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = hexValue(text.charCodeAt(i));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** `text[start, end)` as a byte in decimal (`101`), or -1. */
function decimalByte(text: string, start: number, end: number): number {
  if (end - start > 3) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + c - 48;
  }
  return v <= 255 ? v : -1;
}

/** Where the last item ends: its line's end, at most MAX_ITEM characters on. */
function lastItemEnd(text: string, from: number): number {
  const reach = Math.min(text.length, from + MAX_ITEM);
  const br = text.indexOf("\n", from);
  return br >= 0 && br < reach ? br : reach;
}

/** Ranges sorted, one overlapping an earlier one merged into it. */
function disjoint(ranges: Array<{ start: number; end: number }>): Array<{ start: number; end: number }> {
  ranges.sort((a, b) => a.start - b.start);
  const out: Array<{ start: number; end: number }> = [];
  for (const r of ranges) {
    const prev = out[out.length - 1];
    if (prev && r.start < prev.end) prev.end = Math.max(prev.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
