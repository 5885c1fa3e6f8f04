/**
 * The redactor for diagnostics (stderr): `redactKeys`, and every encoded copy of a key the detector
 * (material.ts) finds. Its own module so the command's output layer can use it without the pack.
 */
import {
  applySpans,
  isHexCode,
  isPartSeparator,
  isTokenCode,
  longestRun,
  maskKey,
  redactKeys,
  replaceRuns,
  runShownByLength,
  type Span,
} from "./keys";
import { byteRunSpans } from "./byte-runs";
import { indexedItemSpans } from "./indexed-items";
import { findMaterial, framedBlocks, replaceSplitKeys } from "./material";

/** A line break as a JSON or SARIF writer escapes it (`\n`, `\r`, `\u000a`, `\u000d`). */
const ESCAPED_BREAK = /(?<!\\)\\+(?:u000[aAdD]|[nr])/g;

/** What an encoded run is made of: base64 (both alphabets, padding), percent and `\` escapes. */
const ENCODED_CHAR = /[A-Za-z0-9+/=_%\\-]/;
/** A key's ASCII written in hex (`Buffer.from(key).toString("hex")`): `6532625f` is `e2b_`. */
const HEX_ASCII_KEY = /(?:736b5f)?6532625f(?:3[0-9]|6[1-6]|4[1-6]){40}(?![0-9a-f])/gi;
/**
 * A key with a few separators between its characters (`e 2 b _ 0 a …`, `e-2-b-_-…`, `e, 2, b, …`,
 * `e_2_b_…`, up to sixteen blanks apart). A separator is never a letter or a digit, and there are at
 * most sixteen of them in a row, so each run is read a bounded number of times.
 */
const KEY_SEPARATOR = "(?:[^\\w\\n]|_){1,16}";
const SPACED_KEY = new RegExp(
  `(?:s${KEY_SEPARATOR}k${KEY_SEPARATOR}_${KEY_SEPARATOR})?e${KEY_SEPARATOR}2${KEY_SEPARATOR}b${KEY_SEPARATOR}_(?:${KEY_SEPARATOR}[0-9a-f]){40}(?![0-9a-f])`,
  "gi",
);

/** The key a SPACED_KEY match spells: its letters and digits, the prefix's `_` put back. */
function spelledKey(spaced: string): string {
  const letters = spaced.replace(/[^0-9a-z]/gi, "");
  return /^sk/i.test(letters) ? `sk_e2b_${letters.slice(5)}` : `e2b_${letters.slice(3)}`;
}

/**
 * Runs of base64 characters (either alphabet's letters and digits, `+`, `/`, `=`) with a separator of
 * one to three characters between them: the words of a sentence, and a blob written in groups
 * (`ZTJi-XzAx-…`, `ZTJi, XzAx, …`, `6532625f 30313233 …`) as `fold`, hex dumps and copy-to-clipboard
 * widgets lay out base64 and hex, and as code writes it in pieces (`["ZTJi","XzAx"]`, `ZTJi;` a line,
 * rt49 #10).
 * It starts only where no such character precedes it (`v=6532 625f …` starts after the `=`), and its
 * parts never overlap, so it reads each character once.
 */
const SEPARATED_RUN =
  /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]+={0,2}(?:[ \t\r\n.:,;|_"'-]{1,3}[A-Za-z0-9+/]+={0,2})+/g;

/** Fewer characters than a key's head shows are no material (a masked key shows four). */
const MIN_GROUPED = 24;
/** Groups are at most a line of base64 long (76 characters); a longer word is a blob of its own. */
const MAX_GROUP = 76;

/**
 * A separated run with its groups of one length, one separator (the same between every two) and the last group
 * perhaps shorter, joined: masked when what they spell (as is, or as the ASCII a hex blob holds) is
 * key material. Each group starts at most two such sequences (a short last group may start the next).
 */
function maskGroupedRun(run: string): string {
  if (run.length < MIN_GROUPED) return run;
  const parts = run.split(/([ \t\r\n.:,;|_"'-]{1,3})/);
  const spans: Span[] = [];
  let offset = 0;
  const starts = parts.map((p) => ((offset += p.length), offset - p.length));
  for (let i = 0; i < parts.length;) {
    const length = parts[i].length;
    let j = i;
    while (
      length <= MAX_GROUP &&
      j + 2 < parts.length &&
      parts[j + 1] === parts[i + 1] &&
      parts[j + 2].length <= length
    ) {
      j += 2;
      if (parts[j].length < length) break;
    }
    const end = starts[j] + parts[j].length;
    const after = spans.length === 0 || spans[spans.length - 1].end <= starts[i];
    // Two whole groups at least: one group and a shorter tail is a blob and a word, which the
    // searches below mask by the key's own mask.
    const twoWhole = j >= i + 4 || (j === i + 2 && parts[j].length === length);
    if (twoWhole && after && end - starts[i] >= MIN_GROUPED && groupsSpellMaterial(parts, i, j))
      spans.push({
        start: starts[i],
        end,
        mask: `[${end - starts[i]} characters withheld: E2B key material written in groups]`,
      });
    i = j > i && parts[j].length < length ? j : j + 2;
  }
  return applySpans(run, spans);
}

/** Whether a decoded text (what a dump, a byte list or joined groups spell) holds key material. */
const spellsKeyMaterial = (text: string): boolean =>
  redactKeys(text) !== text || findMaterial(text).length > 0;

function groupsSpellMaterial(parts: string[], from: number, to: number): boolean {
  let joined = "";
  for (let k = from; k <= to; k += 2) joined += parts[k];
  const spelled = /^[0-9a-f]+$/i.test(joined) ? [joined, fromHexAscii(joined)] : [joined];
  return spelled.some(spellsKeyMaterial);
}

/**
 * A string spread into characters (`["e","2","b","_",…]`, one quoted character a line), each perhaps
 * behind a literal's prefix (Rust's `b'e'`, C's `L'e'`: rt52 #7): twelve or more; what they spell is
 * checked. Bytes written as numbers are read by byte-runs.ts.
 */
const QUOTED_CHARACTERS = /(?:(["'])[^"'\\]\1[,;\s]{0,8}[A-Za-z]{0,2}){11,}(["'])[^"'\\]\2/g;
/** One quoted character of a QUOTED_CHARACTERS run, the character captured. */
const QUOTED_CHARACTER = /(["'])([^"'\\])\1/g;

/** A run of bytes spelling key material (a whole key, a head of one, or an encoded copy), masked. */
function maskByteList(run: string, spelled: string): string {
  return spellsKeyMaterial(spelled) ? withheldBytes(run) : run;
}

/**
 * Numbers spelling key material's bytes (byte-runs.ts), last: a blob the searches above mask by the
 * key's mask is not taken apart row by row first.
 */
const maskByteRuns = (text: string): string =>
  // Line breaks a JSON or SARIF writer escaped glue an `n` to the next number (`\n101`): read as
  // breaks, at the same offsets (rt48 #8).
  applySpans(text, byteRunSpans(escapedBreaksAsLines(text), spellsEitherWay, withheldBytes));

/** Items numbered one by one (`0: 0x65`, `{"0":"e",…}`: indexed-items.ts) spelling key material, masked. */
const maskIndexedItems = (text: string): string =>
  applySpans(text, indexedItemSpans(escapedBreaksAsLines(text), spellsEitherWay, withheldBytes));

const withheldBytes = (run: string) => `[${run.length} characters withheld: bytes of E2B key material]`;

/** spellsKeyMaterial of a decoded text, read forwards or backwards (bytes of a reversed key, rt47 #5). */
const spellsEitherWay = (text: string): boolean =>
  spellsKeyMaterial(text) || (REVERSED_PREFIX.test(text) && spellsKeyMaterial(reverse(text)));

/** What a key written backwards holds: its prefix backwards (`_b2e`). */
const REVERSED_PREFIX = /_b2e/i;

/**
 * Rows of the dumps the standard tools print, and what a row spells (one string for each way to read
 * it; the same way read across rows spells what the dump holds):
 * - `xxd` (`-g`, `-e`, `-c`), `hexdump -C`, `od -A x -t x1z`, `od -t x1`, `Format-Hex`: an offset,
 *   the bytes in hex (pairs, or groups of up to eight bytes), and after two blanks or more their
 *   ASCII (`|…|`, `>…<`); groups are also read little-endian (`hexdump`'s 16-bit words, `xxd -e`);
 * - `xxd -b`: an offset, bytes in binary, their ASCII;
 * - `od -An -tx1`: hex pairs and nothing else; `od -tu1`, `od -An -tu1`: decimal bytes;
 * - `od -c`, `od -An -c`: a character (or an escape) a column, after an octal offset or none;
 * - `xxd -i`, a C or JSON array's rows: bytes in hex (`0x65`) or decimal, each followed by a comma.
 */
const DUMP_FORMS: ReadonlyArray<{ row: RegExp; spell: (m: RegExpExecArray) => string[] }> = [
  {
    // Groups of 1, 2, 4 or 8 bytes (`xxd -g 4`, `-e`), up to three blanks after the offset
    // (PowerShell's `Format-Hex`, rt48 #1).
    row: /^[0-9a-f]{6,8}:?((?:[ ]{1,4}[0-9a-f]{2}(?:[0-9a-f]{2}){0,7})+)(?:[ ]{2,}[|>]?(.*?)[|<]?)?[ \t\r]*$/i,
    spell: (m) => {
      const groups = m[1].trim().split(/ +/);
      const swapped = groups
        .map((g) => (g.length >= 4 ? (g.match(/../g) ?? []).reverse().join("") : g))
        .join("");
      // A short row's ASCII may itself be hex (`xxd -c 4`: `3639 3434  6944`): after two blanks.
      const ascii = m[2] ?? / {2}(\S+)$/.exec(m[1])?.[1] ?? "";
      return [ascii, fromHexAscii(groups.join("")), fromHexAscii(swapped)];
    },
  },
  // `xxd -b`: an offset, bytes in binary, their ASCII.
  {
    row: /^[0-9a-f]{6,8}:?((?: [01]{8}){1,16})(?: {2,}(.*?))?[ \t\r]*$/i,
    spell: (m) => [
      m[2] ?? "",
      String.fromCharCode(
        ...m[1]
          .trim()
          .split(" ")
          .map((b) => parseInt(b, 2)),
      ),
    ],
  },
  { row: /^((?:[ ]+[0-9a-f]{2}){4,32})[ \t\r]*$/i, spell: (m) => [fromHexAscii(m[1].replace(/ /g, ""))] },
  {
    row: /^(?:[0-7]{7})?((?:[ ]+\d{1,3}){4,32})[ \t\r]*$/,
    spell: (m) => [
      String.fromCharCode(
        ...m[1]
          .trim()
          .split(/ +/)
          .map((n) => Number(n) & 0xff),
      ),
    ],
  },
  {
    // Columns four wide: a character after three blanks (two when wide), an escape after one or two.
    row: /^(?:[0-7]{7})?((?:[ ]{2,3}[^ \\]|[ ]{1,2}\\(?:[0-7]{1,3}|.)){4,32})[ \t\r]*$/,
    spell: (m) => [
      m[1]
        .trim()
        .split(/ +/)
        .map((c) => (c.length === 1 ? c : " "))
        .join(""),
    ],
  },
  {
    row: /^[ \t]*((?:(?:0x[0-9a-f]{1,2}|\d{1,3})[ \t]*,[ \t]*){3,32}(?:0x[0-9a-f]{1,2}|\d{1,3})?)[ \t\r]*$/i,
    spell: (m) => [
      String.fromCharCode(
        ...m[1]
          .split(",")
          .map((b) => b.trim())
          .filter((b) => b !== "")
          .map((b) => Number(b) & 0xff),
      ),
    ],
  },
  {
    // `tcpdump -X`, Wireshark's hex and ASCII, a 4-digit offset (`0x0010:`, `0010`) or none, blanks
    // or tabs between the columns (rt50 #8).
    row: /^[ \t]*(?:(?:0x)?[0-9a-f]{4,8}:?[ \t]{1,4})?((?:[0-9a-f]{2}(?:[0-9a-f]{2}){0,7}[ \t]{1,4})*[0-9a-f]{2}(?:[0-9a-f]{2}){0,7})(?:(?:[ ]{2,}|\t)[|>]?(.*?)[|<]?)?[ \t\r]*$/i,
    spell: (m) => {
      const all = m[1].trim().split(/[ \t]+/);
      // An ASCII column that is itself hex (`0123456789abcdef`) reads as a last group: after two
      // blanks or a tab it is read both ways.
      const apart = m[2] === undefined && all.length > 1 && /(?: {2,}|\t)\S+$/.test(m[1]);
      const groups = apart ? all.slice(0, -1) : all;
      const ascii = m[2] ?? (apart ? all[all.length - 1] : "");
      const swapped = groups.map((g) => (g.match(/../g) ?? []).reverse().join("")).join("");
      return [ascii, fromHexAscii(groups.join("")), fromHexAscii(swapped), fromHexAscii(all.join(""))];
    },
  },
];

/**
 * Dumps of key material withheld whole: a dump shows 16 bytes a row, in hex, in decimal or as
 * characters, so no one row spells a key, yet the rows together do. `spells` says what is key
 * material (the runtime guard's caller's own key too).
 */
export function withholdDumps(
  text: string,
  spells: (decoded: string) => boolean = spellsKeyMaterial,
): string {
  const plain = text.replace(ESCAPED_BREAK, "\n");
  if (!ROWISH_LINE.test(plain) && !TOKEN_ROW_LINE.test(plain)) return text;
  // Lines, and the breaks after them: real ones, or escaped by a JSON or SARIF writer (rt48 #8).
  const parts = text.split(ANY_BREAK);
  if (parts.length < 3) return text;
  let lines: DumpLine[] = [];
  for (let k = 0; k < parts.length; k += 2) {
    const rowish = ROWISH.test(parts[k]);
    lines.push({
      text: parts[k],
      after: parts[k + 1] ?? "",
      rowish,
      leads: rowish ? leadEnds(parts[k]) : [],
    });
  }
  let changed = false;
  // Each form reads the lines once and writes them anew, a dump's rows as one notice (rt49 #5: the
  // rows were spliced out one dump at a time).
  for (const { row, spell } of DUMP_FORMS) {
    const rows = lines.map((l) => (l.rowish ? rowIn(l.text, l.leads, row) : undefined));
    const next = withholdBlocks(lines, rows, (block) => spellsDump(block, spell, spells));
    if (next) [lines, changed] = [next, true];
  }
  // Then layouts no form reads — hexyl's frame (`│00000000│ 65 32 … ┊ …│e2b_3f9a┊…│`), Apache
  // commons-io's one blank between columns, gdb's `x/xb` rows behind a `<sym+8>` label, `x/c`'s
  // `101 'e'` items (rt51 #6) — by their words alone: in each line the bytes written as hex words, the
  // characters in quotes, and the longest run of `\x` escapes, whatever stands around them.
  const tokens = lines.map((l) =>
    l.rowish || l.text.includes("\\") || TOKEN_ROW.test(l.text) ? tokensOf(l.text) : undefined,
  );
  const next = withholdBlocks(lines, tokens, (block) =>
    [
      block.map((r) => r.bytes).join(""),
      block.map((r) => r.chars).join(""),
      block.map((r) => r.escaped).join(""),
    ].some(spells),
  );
  if (next) [lines, changed] = [next, true];
  return changed ? lines.map((l) => l.text + l.after).join("") : text;
}

/**
 * `lines` with each block of two or more consecutive rows (`rows[k]` set) that `spelled` accepts
 * replaced by one notice, the first row's lead kept (`cannot parse: `); undefined when none is.
 */
function withholdBlocks<R extends { at: number }>(
  lines: DumpLine[],
  rows: ReadonlyArray<R | undefined>,
  spelled: (block: R[]) => boolean,
): DumpLine[] | undefined {
  let out: DumpLine[] | undefined;
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j < lines.length && rows[j]) j++;
    const block = rows.slice(i, j) as R[];
    if (block.length >= 2 && spelled(block)) {
      out ??= lines.slice(0, i);
      out.push({
        text: `${lines[i].text.slice(0, block[0].at)}[${block.length} lines withheld: a dump of E2B key material]`,
        after: lines[j - 1].after,
        rowish: false,
        leads: [],
      });
      i = j;
      continue;
    }
    for (const end = Math.max(j, i + 1); i < end; i++) out?.push(lines[i]);
  }
  return out;
}

/**
 * A byte in hex as a word of its own (`65`, `0x65`, `5F`; after a tab a JSON writer escaped): not part
 * of an offset or an address.
 */
const HEX_BYTE_TOKEN = /(?:(?<![0-9a-z])|(?<=\\t))(?:0x)?([0-9a-f]{2})(?![0-9a-z])/gi;
/** What may stand between a row's bytes: blanks, tabs (escaped too), commas, column rules. */
const BETWEEN_BYTES = /^(?:[ \t,|│┊]|\\t)+$/;
/** A character in quotes, as debuggers print a byte beside its number (gdb's `101 'e'`). */
const QUOTED_CHAR_TOKEN = /'([^'\\\r\n])'/g;
/**
 * Four bytes as hex words in a row (`0x65\t0x32\t…`), or four quoted characters (`101 'e'\t50 '2'`),
 * which ROWISH does not take for a row.
 */
const TOKEN_ROW =
  /(?:(?<![0-9a-z])|(?<=\\t))(?:(?:0x)?[0-9a-f]{2}(?:[ \t]|\\t)+){3}(?:0x)?[0-9a-f]{2}(?![0-9a-z])|(?:'[^'\\\r\n]'[^'\r\n]{1,8}){3}'[^'\\\r\n]'|(?<!\\)(?:\\+x[0-9a-f]{2}){4}/i;
/**
 * Bytes as `\x` escapes in a row (a JSON writer's `\\x` too): a row of a script or a program that
 * writes them out, whatever stands before and after (`echo -e "…"`, `printf '…'`, `Buffer.from("…"),`, `E'…' ||`, a
 * trailing `/* 8 *\/`: rt52 #8).
 */
const ESCAPED_BYTES = /(?<!\\)(?:\\+x[0-9a-f]{2})+/gi;
const TOKEN_ROW_LINE = new RegExp(TOKEN_ROW.source, "im");
/** A row of a dump in no known form holds at least this many bytes as words (a row shows 4 to 32). */
const MIN_ROW_TOKENS = 4;

/**
 * A line's bytes written as hex words — the longest run of them with only BETWEEN_BYTES between, so a
 * lead's numbers (a timestamp's `01`) are left out —, its quoted characters, and its longest run of
 * `\x` escapes; undefined when it has too few words and characters and no escape.
 */
function tokensOf(line: string): { at: 0; bytes: string; chars: string; escaped: string } | undefined {
  let bytes = "";
  let run = "";
  let end = -1;
  for (const m of line.matchAll(HEX_BYTE_TOKEN)) {
    if (end >= 0 && !BETWEEN_BYTES.test(line.slice(end, m.index))) run = "";
    run += String.fromCharCode(parseInt(m[1], 16));
    end = m.index + m[0].length;
    if (run.length > bytes.length) bytes = run;
  }
  let chars = "";
  if (line.includes("'")) for (const m of line.matchAll(QUOTED_CHAR_TOKEN)) chars += m[1];
  let escaped = "";
  if (line.includes("\\"))
    for (const m of line.matchAll(ESCAPED_BYTES))
      if (m[0].length / 4 > escaped.length) escaped = fromHexAscii(m[0].replace(/(?<!\\)\\+x/gi, ""));
  // A row of escapes may be short: the last of them (`b'\x63\x64'`).
  return bytes.length >= MIN_ROW_TOKENS || chars.length >= MIN_ROW_TOKENS || escaped.length > 0
    ? { at: 0, bytes, chars, escaped }
    : undefined;
}

interface DumpLine {
  text: string;
  /** The line break after it (none after the last). */
  after: string;
  /** Whether it may hold a dump's row (ROWISH), and where one may start after a lead. */
  rowish: boolean;
  leads: number[];
}

/** Whether a dump's rows, each read the same way across them, spell what `spells` accepts. */
function spellsDump(
  matched: ReadonlyArray<{ match: RegExpExecArray }>,
  spell: (m: RegExpExecArray) => string[],
  spells: (decoded: string) => boolean,
): boolean {
  const spelled = matched.map((r) => spell(r.match));
  return spelled[0].some((_, k) => spells(spelled.map((x) => x[k]).join("")));
}

/**
 * What every row of DUMP_FORMS holds somewhere, behind whatever lead: an offset and a group of hex,
 * or four short numbers, or four characters in columns. A line without it is no row; the search for
 * a lead is kept to the lines with it.
 */
const ROWISH =
  /(?:0x)?[0-9a-f]{4,8}:?[ \t]{1,4}[0-9a-f]{2}|(?:(?:0x[0-9a-f]{1,2}|\d{1,3})[ \t]*,[ \t]*){3}|(?<=[ \t])[0-9a-f]{1,3}(?:[ \t]+[0-9a-f]{1,3}){3}(?![^ \t\r])|(?:(?:[ ]{2,3}[^ \\]|[ ]{1,2}\\(?:[0-7]{1,3}|.))(?=[ \t\r]|$)){4}/i;
/** ROWISH in any line of a text. */
const ROWISH_LINE = new RegExp(ROWISH.source, "im");

/** A line break, or one a JSON or SARIF writer escaped (`\n`, `\u000a`), captured. */
const ANY_BREAK = new RegExp(`(\\r?\\n|${ESCAPED_BREAK.source})`);

/** Offset-like numbers tried as a row's start after a lead, the earliest first. */
const MAX_OFFSET_LEADS = 2;

/** How far into a line a lead before a dump's row may reach when no offset marks where the row starts. */
const MAX_LEAD = 64;

/**
 * Where a dump's row may start in a line after a lead: before each offset-like number (`cannot parse:
 * 00000000: 6532 …`, rt48 #1), and, within MAX_LEAD characters, where a run of blanks starts or ends
 * (`[app]  65 32 …`, `2026-01-01T00:00:00Z 00000000: …`, `│ `: rt49 #4).
 */
function leadEnds(line: string): number[] {
  const at = new Set<number>();
  // The first two offset-like numbers only: a row runs to the line's end, so each start is a search
  // through the rest of the line, and a line of hex groups has one at every group (rt50 #9).
  for (const m of line.matchAll(/(?<![0-9a-f])[0-9a-f]{6,8}:? /gi)) {
    if (m.index > 0) at.add(m.index);
    if (at.size >= MAX_OFFSET_LEADS) break;
  }
  const reach = Math.min(line.length - 1, MAX_LEAD);
  for (let k = 1; k < reach; k++) {
    const blank = line[k] === " " || line[k] === "\t";
    const before = line[k - 1] === " " || line[k - 1] === "\t";
    if (blank !== before) at.add(k);
    // Within a run of blanks' last three: the row's own blanks start there (`[app]    e   2`).
    if (blank && !(line[k + 1] === " " || line[k + 1] === "\t"))
      for (let b = 1; b <= 3 && k - b > 0; b++) at.add(k - b + 1);
  }
  return [...at].sort((x, y) => x - y);
}

/** A quote closing a line that a lead's quote opened: a dump's rows as the elements of a JSON array. */
const CLOSING_QUOTE = /["'`],?[ \t\r]*$/;

/** The dump's row `line` holds, whole or after a lead, and where it starts; the earliest start. */
function rowIn(
  line: string,
  ends: readonly number[],
  row: RegExp,
): { at: number; match: RegExpExecArray } | undefined {
  const whole = row.exec(line);
  if (whole) return { at: 0, match: whole };
  for (const at of ends) {
    const rest = line.slice(at);
    const match =
      row.exec(rest) ?? (CLOSING_QUOTE.test(rest) ? row.exec(rest.replace(CLOSING_QUOTE, "")) : null);
    if (match) return { at, match };
  }
  return undefined;
}

/** A key written backwards (`…a1f8_b2e`), a head of one too: redaction never lets a key through. */
const REVERSED_KEY = /(?<![0-9a-f])[0-9a-f]{20,}_b2e(?:_ks)?/gi;

const reverse = (s: string) => [...s].reverse().join("");

/**
 * The tail of a key written backwards with separators between its characters (`… 5 4 _ b 2 e`,
 * rt47 #5). Found by this anchor, then read backwards (maskReversedSpacedKeys): a pattern that started at
 * every hex digit would read a long run of `0 0 0 …` again from each.
 */
const REVERSED_SPACED_TAIL = new RegExp(
  `_(?:${KEY_SEPARATOR})?b(?:${KEY_SEPARATOR})?2(?:${KEY_SEPARATOR})?e(?![0-9a-z])`,
  "gi",
);

/**
 * Keys written backwards with separators between their characters masked: before each anchor, at
 * least twenty hex digits (a head of a key) each followed by up to sixteen separators, so groups of
 * them too (`fe dc ba … _b 2e`, rt49 #9).
 */
function maskReversedSpacedKeys(text: string): string {
  const spans: Span[] = [];
  let floor = 0;
  for (const m of text.matchAll(REVERSED_SPACED_TAIL)) {
    let start = m.index;
    let hex = "";
    while (hex.length < 40) {
      let i = start;
      while (i > floor && i > start - 16 && isPartSeparator(text[i - 1])) i--;
      if (i === floor || !isHexCode(text.charCodeAt(i - 1))) break;
      hex += text[i - 1];
      start = i - 1;
    }
    if (hex.length < 20 || (start > 0 && /[0-9a-z]/i.test(text[start - 1]))) continue;
    const end = m.index + m[0].length;
    spans.push({ start, end, mask: `${maskKey(`e2b_${hex.toLowerCase()}`)} (reversed)` });
    floor = end;
  }
  return applySpans(text, spans);
}

const fromHexAscii = (hex: string): string => Buffer.from(hex, "hex").toString("latin1");

/**
 * `redactKeys` for diagnostics (errors, a failed program's relayed output): also every encoded copy
 * findMaterial finds (base64 at any of its layers, an HTTP Basic credential, a `data:` URI, percent
 * and escape encodings) — its whole run replaced by the key's mask — and forms a log line may
 * hold that a stack never does: the key's ASCII in hex, the key spelled with a separator between
 * its characters, its bytes listed one by one (BYTE_LISTS), and the key written backwards. A text still holding material after that is withheld whole. Slower than
 * `redactKeys` on text that looks encoded; reports need only `redactKeys` (their findings hold masks).
 */
export function redactMaterial(text: string): string {
  try {
    return redactEncoded(text);
  } catch (e) {
    // A pattern's backtracking stack ran out on a run of millions of characters: the runs are shown
    // by their length, byte lists (`65,50,98,…`) too, rather than losing the message or a key; the
    // rest is then redacted as usual (a key spelt with separators beside such a run).
    if (!(e instanceof RangeError)) throw e;
    const short = replaceRuns(redactKeys(text), 16, runShownByLength, (c) => isTokenCode(c) || c === 44);
    try {
      return redactEncoded(short);
    } catch (again) {
      if (!(again instanceof RangeError)) throw again;
      return UNCHECKED;
    }
  }
}

const WITHHELD = "[withheld: this text held E2B key material that could not be masked]";
/** What stands for a text too large to be read through (rt48 #7: it was said to hold key material). */
const UNCHECKED = "[withheld: this text could not be checked for E2B key material]";

/** A carriage return that does not start a CRLF: progress output, classic Mac line ends. */
const LONE_CR = /\r(?!\n)/g;

/**
 * redactLines, and again with each lone carriage return read as a line break when the text has any:
 * a blob wrapped over rows that only `\r` ends is one blob too. Such a text is shown with those
 * breaks as line breaks only when, read so, it held key material that was masked.
 */
function redactEncoded(text: string): string {
  const out = redactLines(text);
  if (!out.includes("\r")) return out;
  const asLines = out.replace(LONE_CR, "\n");
  if (asLines === out) return out;
  const again = redactLines(asLines);
  return again === asLines ? out : again;
}

/** The redaction of a text whose lines end at `\n` (or `\r\n`). */
function redactLines(text: string): string {
  // Dumps first: a key's head in one row's ASCII column is masked with the next row's offset by
  // redactKeys (`e2b_…: 3232 …`), and the rows no longer read as a dump (rt48 #1).
  let out = redactKeys(withholdDumps(text))
    .replace(HEX_ASCII_KEY, (hex) => `${maskKey(fromHexAscii(hex))} (hex-encoded)`)
    .replace(SPACED_KEY, (spaced) => maskKey(spelledKey(spaced)))
    .replace(REVERSED_KEY, (run) => `${maskKey(reverse(run).toLowerCase())} (reversed)`);
  out = maskReversedSpacedKeys(out);
  out = replaceSplitKeys(out, (key) => `${maskKey(key)} (joined)`);
  // Before the search below, which masks the run where a key is found: a framed block's first row.
  out = maskFramedRows(out);
  out = out.replace(QUOTED_CHARACTERS, (run) =>
    maskByteList(run, Array.from(run.matchAll(QUOTED_CHARACTER), (m) => m[2]).join("")),
  );
  out = out.replace(SEPARATED_RUN, maskGroupedRun);
  // findMaterial reports each key once per search, so a pass masks one encoded copy of each key, and
  // every verbatim repeat of that copy (a name in a URN, a message and a path); a report naming many
  // different encodings of one key takes a pass for each.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const found = findMaterial(escapedBreaksAsLines(out));
    if (found.length === 0) return maskIndexedItems(maskByteRuns(maskFramedBlobs(maskEncodedTokens(out))));
    // From the last match to the first, so earlier offsets stay valid.
    const runs = found
      .map((m) => ({ ...encodedRun(out, m.index), mask: m.mask }))
      .sort((a, b) => b.start - a.start);
    let end = Infinity;
    const masked: Array<{ run: string; mask: string }> = [];
    for (const r of runs) {
      if (r.end > end) continue; // inside a run already replaced
      masked.push({ run: out.slice(r.start, r.end), mask: `${r.mask} (encoded)` });
      out = `${out.slice(0, r.start)}${r.mask} (encoded)${out.slice(r.end)}`;
      end = r.start;
    }
    for (const { run, mask } of masked) if (run.length >= 16) out = out.split(run).join(mask);
  }
  return WITHHELD;
}

/**
 * The text with line breaks a JSON or SARIF writer escaped (`\n`, `\r`, `\u000a`, `\u000d`) read as
 * line breaks, padded with blanks to the same length so offsets stay those of the text: a name holding
 * base64 wrapped over lines is one blob to the detector there too.
 */
function escapedBreaksAsLines(text: string): string {
  if (!text.includes("\\")) return text;
  return text.replace(ESCAPED_BREAK, (m) => `\n${" ".repeat(m.length - 1)}`);
}

/** Searches of one text before it is withheld whole: each masks at least one encoded copy of a key. */
const MAX_PASSES = 64;

/** A line's part that may be a piece of a wrapped blob. */
const FRAMED_RUN = /[A-Za-z0-9+/=_-]{16,}/g;
/** A wrapped blob's last row may be short: any run. */
const TAIL_RUN = /[A-Za-z0-9+/=_-]+/g;
/** A line with no letter or digit (`>`, `     | ^^^^`, a blank) may sit between a blob's rows. */
const BETWEEN_ROWS = /^[^A-Za-z0-9]*$/;

/**
 * A blob wrapped over lines that each hold something else too: a code frame (`  12 | QUJD…`), a quoted
 * continuation (`> `, `# `, `"…",`, a trailing `\`), the frame alternating row by row. The longest run
 * of each line in a row of such lines is joined, over lines with no letter or digit between them (a
 * caret row, an empty `>`), with the next line's run when it is shorter (a blob's last row): when that
 * holds key material, each of those runs is masked.
 */
function maskFramedBlobs(text: string): string {
  if (!text.includes("\n")) return text;
  const lines = text.split("\n");
  const longest = lines.map((line) => longestRun(line, FRAMED_RUN));
  const between = lines.map((line) => BETWEEN_ROWS.test(line));
  // The next line after `k` that is not between rows.
  const nextRow = (k: number) => {
    let n = k + 1;
    while (n < lines.length && between[n]) n++;
    return n;
  };
  let changed = false;
  for (let i = 0; i < lines.length;) {
    if (!longest[i]) {
      i++;
      continue;
    }
    const rows: Array<{ line: number; run: RegExpMatchArray }> = [{ line: i, run: longest[i]! }];
    let n = nextRow(i);
    for (; n < lines.length && longest[n]; n = nextRow(n)) rows.push({ line: n, run: longest[n]! });
    const resume = Math.max(n, i + 1);
    const tail = n < lines.length ? longestRun(lines[n], TAIL_RUN) : undefined;
    if (tail) rows.push({ line: n, run: tail });
    const joined = (a: number, b: number) =>
      findMaterial(
        rows
          .slice(a, b)
          .map((r) => r.run[0])
          .join(""),
      );
    let [a, b] = [0, rows.length];
    // Without the next line when the rows hold the key without it ("then failed" is no last row).
    if (tail && joined(a, b - 1).length) b--;
    let found = b - a >= 2 ? joined(a, b) : [];
    if (found.length) {
      // The rows that hold the blob: a message's first line ("cannot parse /tmp/x.env:") is not one.
      for (let k = 0; k < 20 && b - a > 1 && joined(a + 1, b).length; k++) a++;
      for (let k = 0; k < 20 && b - a > 1 && joined(a, b - 1).length; k++) b--;
      found = joined(a, b);
      changed = true;
      rows.slice(a, b).forEach(({ line, run }, k) => {
        const mask = k === 0 ? `${found[0].mask} (encoded)` : "…";
        lines[line] =
          `${lines[line].slice(0, run.index)}${mask}${lines[line].slice(run.index! + run[0].length)}`;
      });
    }
    i = resume;
  }
  return changed ? lines.join("\n") : text;
}

/**
 * Blocks of base64 or hex wrapped over lines behind a frame (`> `, `# `, `  12 | `: material.ts
 * framedBlocks) that hold key material: every row is masked, the first by the key's mask, the others
 * by `…`, so no row is left to spell part of the key (a last row is often short).
 */
function maskFramedRows(text: string): string {
  // Line breaks a JSON or SARIF writer escaped are line breaks here too (same offsets).
  const lines = escapedBreaksAsLines(text);
  if (!lines.includes("\n")) return text;
  const rows: Span[] = [];
  for (const block of framedBlocks(lines)) {
    const found = findMaterial(block.joined);
    if (found.length === 0) continue;
    block.rows.forEach(([start, end], k) =>
      rows.push({ start, end, mask: k === 0 ? `${found[0].mask} (encoded)` : "…" }),
    );
  }
  return applySpans(text, rows);
}

/** A run of base64 characters long enough to hold a key at any depth of encoding. */
const TOKEN = /[A-Za-z0-9+/=_-]{58,}/g;

/**
 * Each long base64 run on its own: a run glued to other text is searched for base64 of base64 only in
 * texts up to 64 KiB (material.ts), while a whole string is decoded at any depth and size. A name
 * that is base64 of base64 of base64, or base64 of base64 in a report of megabytes, is masked too.
 */
function maskEncodedTokens(text: string): string {
  return text.replace(TOKEN, (run) => {
    const found = findMaterial(run);
    return found.length ? `${found[0].mask} (encoded)` : run;
  });
}

/**
 * The run of encoded characters around `at` (at least one character, so every pass changes the text),
 * and the lines it continues on: a run that ends its line goes on with the next line's first run, one
 * that starts its line with the previous line's last run (base64 wrapped at 64 or 76 columns, hex at
 * 60). Half a wrapped blob left on the next line would still spell most of the key.
 */
function encodedRun(text: string, at: number): { start: number; end: number } {
  let start = Math.min(Math.max(at, 0), text.length - 1);
  let end = start + 1;
  const blank = (c: string | undefined) => c === " " || c === "\t" || c === "\r";
  for (;;) {
    while (start > 0 && ENCODED_CHAR.test(text[start - 1])) start--;
    let i = start;
    while (i > 0 && blank(text[i - 1])) i--;
    if (i === 0 || text[i - 1] !== "\n") break;
    let j = i - 1;
    while (j > 0 && blank(text[j - 1])) j--;
    let k = j;
    while (k > 0 && ENCODED_CHAR.test(text[k - 1])) k--;
    let lineStart = k;
    while (lineStart > 0 && blank(text[lineStart - 1])) lineStart--;
    if (!continuesBlob(text.slice(k, j), lineStart === 0 || text[lineStart - 1] === "\n")) break;
    start = k;
  }
  for (;;) {
    while (end < text.length && ENCODED_CHAR.test(text[end])) end++;
    let i = end;
    while (i < text.length && blank(text[i])) i++;
    if (text[i] !== "\n") break;
    i++;
    while (i < text.length && blank(text[i])) i++;
    let k = i;
    while (k < text.length && ENCODED_CHAR.test(text[k])) k++;
    let lineEnd = k;
    while (lineEnd < text.length && blank(text[lineEnd])) lineEnd++;
    if (!continuesBlob(text.slice(i, k), lineEnd === text.length || text[lineEnd] === "\n")) break;
    end = k;
  }
  return { start, end };
}

/**
 * Whether a neighbouring line's run goes on with a blob: the whole line (a wrapped blob's short last
 * line too), or a run as long as a line of one is at least. A word of prose does not, nor a rule of
 * dashes or `===`.
 */
function continuesBlob(run: string, wholeLine: boolean): boolean {
  return (wholeLine || run.length >= 16) && /[A-Za-z0-9]/.test(run);
}
