/**
 * Key material in one string, plain or encoded: base64 / URL-safe base64 anywhere in the text (padded
 * or not: Kubernetes `data`, user-data, `data:` URIs, HTTP `Basic` credentials), percent-encoding and
 * `\u`/`\x` escapes, nested up to MAX_LAYERS decodings (base64 of base64, base64 of percent-encoded …).
 *
 * Cost: the plain pattern is one regex pass. Only candidates are decoded — base64-alphabet runs long
 * enough to hold a key, and escape sequences that can spell one — and each layer's output is at most
 * the size of its input, so a string is scanned a bounded number of times whatever its length.
 * Masks and fingerprints only, never the key.
 */
import { findKeysInString, type KeyMatch } from "./keys";

/** How a key was written: `plain`, or the decodings that revealed it, outermost first (`base64+base64`). */
export type Encoding = string;

export interface MaterialMatch extends KeyMatch {
  encoding: Encoding;
}

/** Layers of encoding peeled off one string: two base64 levels plus one escape layer. */
export const MAX_LAYERS = 3;
/**
 * The shortest base64 run that can hold a whole key (44 characters → 59 unpadded); the run may hold
 * more text around it (`user:key` of a Basic credential). A run glued to text in the same alphabet
 * (`token=abcZTJi…` → `abcZTJi…`) does not start where the blob does, so each run is decoded from its
 * first four offsets: one of them is aligned with the blob.
 */
const MIN_B64_RUN = 58;
const B64_RUN = /[A-Za-z0-9+/_-]{58,}={0,2}/g;
/** Percent-encoding or `\u`/`\x` escapes that spell part of a key (`_` `e` `E` or a hex digit). */
const PERCENT_KEY_CHAR = /%(5f|65|45|3[0-9]|6[1-6])/i;
const ESCAPE_KEY_CHAR = /\\(u00|x)(5f|65|45|3[0-9]|6[1-6])/i;

function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function unescapeText(text: string): string {
  return text.replace(/\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2}))/g, (_, u?: string, x?: string) =>
    String.fromCharCode(parseInt((u ?? x)!, 16)),
  );
}

/** Decoded forms of a text worth scanning, with where each starts in the text (for line numbers). */
function decodings(text: string): Array<{ encoding: string; text: string; at: number }> {
  const out: Array<{ encoding: string; text: string; at: number }> = [];
  if (text.length >= MIN_B64_RUN) {
    for (const m of text.matchAll(B64_RUN)) {
      // Node's decoder reads both alphabets (`+/` and `-_`) and stops at padding.
      for (let offset = 0; offset < 4; offset++)
        out.push({
          encoding: "base64",
          text: Buffer.from(offset ? m[0].slice(offset) : m[0], "base64").toString("latin1"),
          at: m.index,
        });
    }
  }
  if (text.includes("%") && PERCENT_KEY_CHAR.test(text))
    out.push({ encoding: "percent", text: percentDecode(text), at: 0 });
  if (text.includes("\\") && ESCAPE_KEY_CHAR.test(text))
    out.push({ encoding: "escape", text: unescapeText(text), at: 0 });
  return out;
}

/**
 * Every key in `text`, each once (by fingerprint, plainest form first). `index` is the offset in
 * `text` of the key or of the encoded run that holds it.
 */
export function findMaterial(text: string): MaterialMatch[] {
  if (text.length < 44) return [];
  const out: MaterialMatch[] = [];
  const seen = new Set<string>();
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
      for (const d of decodings(item.text)) {
        if (d.text.length < 44) continue;
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

/** `base64+percent` (a base64 text holding percent-encoding) → "percent-encoded, then base64-encoded"; "" for plain. */
export function describeEncoding(encoding: Encoding): string {
  if (encoding === "plain") return "";
  const names: Record<string, string> = {
    base64: "base64-encoded",
    percent: "percent-encoded",
    escape: "escape-encoded",
  };
  return encoding
    .split("+")
    .reverse()
    .map((e) => names[e] ?? e)
    .join(", then ");
}
