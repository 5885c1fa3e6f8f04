/**
 * The redactor for diagnostics (stderr): `redactKeys`, and every encoded copy of a key the detector
 * (material.ts) finds. Its own module so the command's output layer can use it without the pack.
 */
import { maskKey, redactKeys } from "./keys";
import { findMaterial } from "./material";

/** What an encoded run is made of: base64 (both alphabets, padding), percent and `\` escapes. */
const ENCODED_CHAR = /[A-Za-z0-9+/=_%\\-]/;
/** A key's ASCII written in hex (`Buffer.from(key).toString("hex")`): `6532625f` is `e2b_`. */
const HEX_ASCII_KEY = /(?:736b5f)?6532625f(?:3[0-9]|6[1-6]|4[1-6]){40}(?![0-9a-f])/gi;
/** A key with one separator between its characters (`e 2 b _ 0 a …`, `e-2-b-_-…`). */
const SPACED_KEY =
  /(?:s[^\w\n]k[^\w\n]_[^\w\n])?e[^\w\n]2[^\w\n]b[^\w\n]_(?:[^\w\n][0-9a-f]){40}(?![0-9a-f])/gi;

/** A key written backwards (`…a1f8_b2e`), a head of one too: redaction never lets a key through. */
const REVERSED_KEY = /(?<![0-9a-f])[0-9a-f]{20,}_b2e(?:_ks)?/gi;

const reverse = (s: string) => [...s].reverse().join("");

function fromHexAscii(hex: string): string {
  let out = "";
  for (let i = 0; i + 1 < hex.length; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/**
 * `redactKeys` for diagnostics (errors, a failed program's relayed output): also every encoded copy
 * findMaterial finds (base64 at any of its layers, an HTTP Basic credential, a `data:` URI, percent
 * and escape encodings) — its whole run replaced by the key's mask — and two forms a log line may
 * hold that a stack never does: the key's ASCII in hex, the key spelled with a separator between
 * its characters, and the key written backwards. A text still holding material after that is withheld whole. Slower than
 * `redactKeys` on text that looks encoded; reports need only `redactKeys` (their findings hold masks).
 */
export function redactMaterial(text: string): string {
  let out = redactKeys(text)
    .replace(HEX_ASCII_KEY, (hex) => `${maskKey(fromHexAscii(hex))} (hex-encoded)`)
    .replace(SPACED_KEY, (spaced) => maskKey(spaced.replace(/[^\w]/g, (c) => (c === "_" ? c : ""))))
    .replace(REVERSED_KEY, (run) => `${maskKey(reverse(run).toLowerCase())} (reversed)`);
  for (let pass = 0; pass < 8; pass++) {
    const found = findMaterial(out);
    if (found.length === 0) return out;
    // From the last match to the first, so earlier offsets stay valid.
    const runs = found
      .map((m) => ({ ...encodedRun(out, m.index), mask: m.mask }))
      .sort((a, b) => b.start - a.start);
    let end = Infinity;
    for (const r of runs) {
      if (r.end > end) continue; // inside a run already replaced
      out = `${out.slice(0, r.start)}${r.mask} (encoded)${out.slice(r.end)}`;
      end = r.start;
    }
  }
  return "[withheld: this text held E2B key material that could not be masked]";
}

/** The run of encoded characters around `at` (at least one character, so every pass changes the text). */
function encodedRun(text: string, at: number): { start: number; end: number } {
  let start = Math.min(Math.max(at, 0), text.length - 1);
  let end = start + 1;
  while (start > 0 && ENCODED_CHAR.test(text[start - 1])) start--;
  while (end < text.length && ENCODED_CHAR.test(text[end])) end++;
  return { start, end };
}
