/**
 * Key material: E2B team API keys (`e2b_` + 40 lowercase hex) and deprecated access tokens
 * (`sk_e2b_` + 40 hex). Shared by every rule, the runtime guard and the reports; nothing here ever
 * returns the key itself, only masks and fingerprints.
 */
import { createHash } from "node:crypto";

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
  return "sha256:" + createHash("sha256").update(key).digest("hex").slice(0, 12);
}

export function maskKey(key: string): string {
  const prefix = key.startsWith("sk_e2b_") ? "sk_e2b_" : key.startsWith("e2b_") ? "e2b_" : key.slice(0, 2);
  return `${prefix}…${key.slice(-4)}`;
}

/** Every key in a string, linear in its length. */
export function findKeysInString(text: string): KeyMatch[] {
  if (text.length < 44) return [];
  const out: KeyMatch[] = [];
  for (const m of text.matchAll(KEY_PATTERN)) {
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

/** Replace every key in free text with its mask: the last line of defence before anything is printed. */
export function redactKeys(text: string): string {
  if (text.length < 44) return text;
  return text.replace(KEY_PATTERN, (key) => maskKey(key.toLowerCase()));
}
