/**
 * Key material as the guard looks for it in what a sandbox is given: the pack's detector, so a key
 * the pack would find in a stack is found here too, in any encoding it reads.
 */
import { byteRunSpans } from "../policies/detect/byte-runs";
import {
  applySpans,
  keyDigitPieces,
  keyDigitsIn,
  maskKey,
  maskKeyPieces,
  type Span,
} from "../policies/detect/keys";
import { findMaterial } from "../policies/detect/material";
import { redactMaterial, withholdDumps } from "../policies/detect/redact";
import { maskSpelledKeys, spelledKeySpans } from "../policies/detect/spelled-keys";

/**
 * The mask of the first E2B key in `text` in any encoding the pack reads in a stack (base64 and
 * base64url of any text holding it, gzip, hex, percent-encoding, `Basic` credentials, `data:` URIs,
 * JSON escapes: policies/detect/material.ts), or of the caller's own API key as it is, in base64 or
 * in hex (a self-hosted key need not look like `e2b_…`); undefined when there is none.
 */
export function keyMaterialIn(text: string, apiKey?: string, context?: PieceContext): string | undefined {
  return materialIn(text) ?? ownKeyIn(text, apiKey) ?? keyPieceIn(text, apiKey, context);
}

/**
 * An E2B key's head: its prefix and the hex digits after it, to the end of the word (`e2b_`,
 * `e2b_3f9a1c7`; not `e2b_run`, whose next letter no key has, nor `E2B_CA_BUNDLE`, a name whose word
 * goes on after fewer than four digits: rt52 #4, rt53 #4). A whole key is material already.
 */
const KEY_HEAD = /(?:sk_)?e2b_([0-9a-f]*)(?![0-9a-z])/gi;
/** The hex digits of a key. */
const KEY_DIGITS = 40;
/** Without the request around it, a head this long is taken as a piece. */
const MIN_HEAD_DIGITS = 8;
/**
 * A run of hex digits as the rest of a key may be written: whole, in groups (`3f9a 1c7e`, `3f:9a`,
 * `3f9a-1c7e`, a UUID's layout), as pairs once their `0x` or `\x` is left out (`0x3f,0x9a`: rt52 #4).
 */
const HEX_RUN = /(?<![0-9a-z])[0-9a-f]+(?:[\s,:;.|-]{1,3}[0-9a-f]+)*(?![0-9a-z])/gi;
/** What prefixes a byte in hex (`0x3f`, `\x3f`). */
const BYTE_PREFIX = /(?:(?<![0-9a-z])0x|\\x)(?=[0-9a-f])/gi;
/**
 * A head whose digits are a date or a time (`e2b_20261207`, `e2b_202612071530`, a unix time): a label
 * stamped with when it was made, beside the ids every request holds (a commit's SHA, a trace UUID).
 * A key's head cut at such a length and shaped so is missed: about one in a thousand (rt52 #4).
 */
const DATE_STAMP =
  /^(?:(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])?(?:[0-5]\d){0,2}|1\d{9}(?:\d{3})?)$/;
/** Shorter runs are words (`face`, `add`). */
const MIN_RUN = 4;
/** A value this long or longer that the caller's own key contains is a piece of it. */
const MIN_PIECE = 8;

/** What the rest of a request holds that could complete a key's head. */
export interface PieceContext {
  /** The digits of each run of hex in all the texts of the request (hexRunsIn). */
  hexRuns: number[];
}

/** The number of digits of each run of hex in `texts` that could be part of a key's rest (HEX_RUN). */
export function hexRunsIn(...texts: string[]): number[] {
  const out: number[] = [];
  for (const t of texts)
    for (const m of t.replace(BYTE_PREFIX, "").matchAll(HEX_RUN)) {
      let digits = 0;
      for (const c of m[0]) if (/[0-9a-f]/i.test(c)) digits++;
      if (digits >= MIN_RUN) out.push(digits);
    }
  return out;
}

/** The digits of the runs that could hold a key's rest: a longer run (padded, rt53 #4) holds all it needs. */
const digitsUpTo = (runs: readonly number[], need: number) =>
  runs.reduce((sum, n) => sum + Math.min(n, need), 0);

/**
 * A piece of a key that code in the sandbox could put together with the rest from other values, in
 * whatever order they are given (rt49 #3): an E2B key's head, or a part of the caller's own key (its
 * tail listed before its head, a self-hosted key's halves). A head of any length is one when the
 * rest of the request holds enough hex digits to complete it (`e2b_` and the forty digits elsewhere,
 * padded or not: rt51 #5, rt53 #4); one nothing else could complete is not (rt51 #8), nor a head
 * stamped with a date (`e2b_20261207` beside a commit's SHA or a UUID, rt52 #4). Without a request
 * around it, a head of eight digits or more is.
 */
export function keyPieceIn(text: string, apiKey?: string, context?: PieceContext): string | undefined {
  let own: number[] | undefined;
  for (const m of text.matchAll(KEY_HEAD)) {
    // A name whose word goes on after a few letters (`E2B_CA_BUNDLE`), or a date, is no head.
    const goesOn = text.charCodeAt(m.index + m[0].length) === 95 && m[1].length < MIN_RUN;
    if (goesOn || DATE_STAMP.test(m[1])) continue;
    const digits = m[1].length;
    const need = KEY_DIGITS - digits;
    if (context !== undefined) own ??= hexRunsIn(text);
    const rest = context && digitsUpTo(context.hexRuns, need) - digitsUpTo(own ?? [], need);
    if (rest === undefined ? digits >= MIN_HEAD_DIGITS : rest >= need)
      return "the head of an E2B key, whose rest another value may hold";
  }
  const piece = text.trim().toLowerCase();
  if (apiKey !== undefined && piece.length >= MIN_PIECE && apiKey.toLowerCase().includes(piece))
    return "a piece of this caller's key";
  return undefined;
}

/** Whether `text` holds an E2B key's head of any length (`e2b_`, `e2b_3f9a1c7`): shown by its length in a report. */
export function holdsKeyHead(text: string): boolean {
  KEY_HEAD.lastIndex = 0;
  return KEY_HEAD.test(text);
}

/**
 * The mask of the first E2B key in `text`, in any encoding the pack reads; or, where only the
 * diagnostics' redactor sees one (a key reversed, spelled with separators, dumped byte by byte: forms a
 * stack never holds but a value handed to a sandbox may), a note of that: what the audit would mask
 * is never let into a sandbox (rt44 #3).
 */
export function materialIn(text: string): string | undefined {
  return findMaterial(text)[0]?.mask ?? (redactMaterial(text) !== text ? REDACTED_FORM : undefined);
}

const REDACTED_FORM = "E2B key material (written in a form the redactor masks)";

/**
 * One way the caller's own key may be written: its units (characters, or byte pairs of hex), and
 * whether letter case matters in it.
 */
interface KeyForm {
  units: string[];
  anyCase: boolean;
}

/**
 * The part of the base64 (or base64url) of `key`, placed `offset` bytes into a longer text, that does
 * not depend on the bytes around it: a key inside base64 of `X-API-Key: <key>` shows as one of three.
 */
function base64Core(key: Buffer, offset: number, encoding: "base64" | "base64url"): string {
  const b64 = Buffer.concat([Buffer.alloc(offset), key])
    .toString(encoding)
    .replace(/=+$/, "");
  return b64.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + key.length)) / 6));
}

/** The three alignment-free cores of `text` in base64 and in base64url. */
const base64Cores = (text: Buffer): string[] =>
  (["base64", "base64url"] as const).flatMap((e) => [0, 1, 2].map((o) => base64Core(text, o, e)));

/**
 * The caller's own key as it is and in hex (any letter case: an echo may upper-case it, and hex may
 * be percent-encoded or dumped byte by byte), in base64 and base64url at each of the three
 * alignments in a longer text, of the key in either case too, and base64 of the key's base64; none
 * for a short key. The pack's redactor reads these encodings only for keys shaped `e2b_…`, and a self-hosted key
 * need not be (rt40 #7).
 */
function ownKeyForms(apiKey: string | undefined): KeyForm[] {
  if (apiKey === undefined || apiKey.length < 8) return [];
  const own = Buffer.from(apiKey);
  const chars = (t: string) => [...t];
  const pairs = (b: Buffer) => b.toString("hex").match(/../g)!;
  const forms: KeyForm[] = [
    { units: chars(apiKey), anyCase: true },
    // Written backwards (rt44 #3), as the redactor reads an `e2b_` key backwards.
    { units: chars(apiKey).reverse(), anyCase: true },
    { units: pairs(own), anyCase: true },
    // Bytes in decimal: a byte list (`115,101,…`) or HTML entities (`&#115;&#101;`).
    { units: [...own].map(String), anyCase: false },
    // Bytes in octal: escapes (`\163\145…`) or `od -b` (`163 145 …`); in binary (`01110011 …`).
    { units: [...own].map((b) => b.toString(8).padStart(3, "0")), anyCase: false },
    { units: [...own].map((b) => b.toString(2).padStart(8, "0")), anyCase: false },
    // Hex of the key's base64 (rt42 #4).
    ...(["base64", "base64url"] as const).map((e) => ({
      units: pairs(Buffer.from(own.toString(e))),
      anyCase: true,
    })),
  ];
  const spellings = [...new Set([apiKey, apiKey.toUpperCase(), apiKey.toLowerCase()])];
  // Base64 of the key, of its UTF-16 (PowerShell's `-EncodedCommand`) and of its hex (rt44 #3).
  const once = [
    ...spellings.flatMap((k) => base64Cores(Buffer.from(k))),
    ...base64Cores(Buffer.from(apiKey, "utf16le")),
    ...base64Cores(Buffer.from(own.toString("hex"))),
  ];
  // Base64 of the key's own base64 (the key encoded twice, alone): the inner text is whole.
  const inner = (["base64", "base64url"] as const).map((e) => own.toString(e));
  const twice = inner.flatMap((b64) => base64Cores(Buffer.from(b64)));
  for (const core of new Set([...once, ...twice])) forms.push({ units: chars(core), anyCase: false });
  return forms;
}

/** One-character separators that may stand between a form's units (spaces, line breaks, `%`, `:`…). */
const SEPARATOR_CHARS = [
  ..." \t\r\n%:,;-.|=_/",
  // A JSON array of characters (`["s","k",…]`), joined literals (`"sk_…" + "…"`) (rt45 #4).
  ...`"'+[]`,
  // Zero-width characters between the key's (rt45 #4).
  ..."\u200b\u200c\u200d\u2060\ufeff",
];
/**
 * Longer ones: escaped line breaks, `\x`, `\u00` and `0x` before a byte's hex, `&#` and `&#x` before
 * an HTML entity's.
 */
const SEPARATOR_WORDS = [
  // A line break as output escapes it (wrapped base64 printed as `\u000a` or `\n`).
  String.raw`\\u000[aAdD]`,
  String.raw`\\[nrt]`,
  String.raw`\\x`,
  String.raw`\\u00`,
  "0x",
  "&#x",
  "&#",
  // An octal escape's backslash (`\163`).
  String.raw`\\`,
];

/**
 * A form as a regular expression that lets a few separators stand between its units: spaces, line
 * breaks (wrapped base64), `%` (percent-encoding), `\x`, `\u00`, `0x`, `:` or `-` (escaped or
 * dumped bytes), `&#…;` (HTML entities), `,` (byte lists). Linear: a one-character separator that is
 * also a unit's character (`-` in a key) is left out for that form, so no text matches two ways.
 */
function formPattern(f: KeyForm, flags: string): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  const inUnits = new Set(f.units.join("").toLowerCase());
  const chars = SEPARATOR_CHARS.filter((c) => !inUnits.has(c)).map(escape);
  const sep = `(?:[${chars.join("")}]|${SEPARATOR_WORDS.join("|")}){0,8}`;
  return new RegExp(f.units.map(escape).join(sep), flags + (f.anyCase ? "i" : ""));
}

/**
 * The forms of one key compiled, for every search with it: building and compiling some thirty
 * patterns took about 0.65 ms, and a sandbox create searches each env var's value and name. The last
 * key's patterns are kept (a pure derivation of the key, which the caller's environment holds anyway).
 */
let compiled: { apiKey: string; patterns: RegExp[] } | undefined;

function ownKeyPatterns(apiKey: string | undefined): RegExp[] {
  if (apiKey === undefined) return [];
  if (compiled?.apiKey !== apiKey)
    compiled = { apiKey, patterns: ownKeyForms(apiKey).map((f) => formPattern(f, "g")) };
  return compiled.patterns;
}

/**
 * The mask of the caller's own key when `text` holds it in one of the forms ownKeyForms lists, or
 * spells its digits out one by one (spelled-keys.ts).
 */
export function ownKeyIn(text: string, apiKey: string | undefined): string | undefined {
  for (const p of ownKeyPatterns(apiKey)) {
    p.lastIndex = 0;
    if (p.test(text)) return maskKey(apiKey!);
  }
  if (
    apiKey !== undefined &&
    (ownKeyBytes(text, apiKey).length > 0 ||
      withholdOwnKeyDumps(text, apiKey) !== text ||
      spelledKeySpans(text, keyDigitsIn(apiKey)).length > 0)
  )
    return maskKey(apiKey);
  return undefined;
}

/**
 * Runs of numbers spelling the caller's own key's bytes, forwards or backwards, in any layout
 * byte-runs.ts reads (a dump's rows, octal escapes, a Python `oct()` list, hex of its UTF-16: rt47 #6).
 */
function ownKeyBytes(text: string, apiKey: string): Span[] {
  return apiKey.length < 8 ? [] : byteRunSpans(text, spellsOwnKey(apiKey), () => maskKey(apiKey));
}

/** Whether a decoded text holds the caller's own key, forwards or backwards, in any letter case. */
function spellsOwnKey(apiKey: string): (decoded: string) => boolean {
  const forwards = apiKey.toLowerCase();
  const backwards = [...forwards].reverse().join("");
  return (decoded) => {
    const d = decoded.toLowerCase();
    return d.includes(forwards) || d.includes(backwards);
  };
}

/** A dump's rows (`xxd -b`, `od -b`) spelling the caller's own key withheld (redact.ts withholdDumps). */
const withholdOwnKeyDumps = (text: string, apiKey: string): string =>
  apiKey.length < 8 ? text : withholdDumps(text, spellsOwnKey(apiKey));

/**
 * Text from the request as messages show it (an env var or metadata name may be the key itself): E2B
 * key material in any encoding masked, and so is the caller's own key in the forms `ownKeyIn` finds
 * (a self-hosted key need not look like `e2b_…`, so no later redactor would know it).
 */
export function maskedName(name: string, apiKey?: string): string {
  const masked = redactMaterial(maskOwnKey(name, apiKey));
  // A name that is a piece of a key is shown by its length only.
  return keyPieceIn(masked, apiKey) ? `[a name of ${name.length} characters]` : masked;
}

/**
 * `text` with the caller's own key masked wherever it stands in one of the forms ownKeyForms lists,
 * and, for an E2B key, wherever twelve or more of its digits stand in a row (keys.ts maskKeyPieces)
 * or its digits are spelled out one by one (spelled-keys.ts).
 */
export function maskOwnKey(text: string, apiKey: string | undefined): string {
  let out = text;
  for (const p of ownKeyPatterns(apiKey)) out = out.replace(p, maskKey(apiKey!));
  if (apiKey === undefined) return out;
  out = withholdOwnKeyDumps(applySpans(out, ownKeyBytes(out, apiKey)), apiKey);
  // Its digits without the prefix, whole or in part (rt54 #7: `key.slice(4)` in a sandbox's metadata).
  out = maskKeyPieces(out, keyDigitPieces(apiKey), maskKey(apiKey));
  return maskSpelledKeys(out, keyDigitsIn(apiKey), maskKey(apiKey));
}
