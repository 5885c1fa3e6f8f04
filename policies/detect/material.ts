/**
 * Key material in one string, including base64-encoded copies (Kubernetes `data`, ConfigMap
 * `binaryData`, user-data): linear in the string's length, masks and fingerprints only.
 */
import { findKeysInString, type KeyMatch } from "./keys";

export interface MaterialMatch extends KeyMatch {
  encoding: "plain" | "base64";
}

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;
/** A base64 copy of the shortest key is 60 characters; cap decoding at 1 MB. */
const MIN_B64 = 58;
const MAX_B64 = 1_000_000;

export function findMaterial(text: string): MaterialMatch[] {
  const out: MaterialMatch[] = findKeysInString(text).map((m) => ({ ...m, encoding: "plain" as const }));
  if (text.length >= MIN_B64 && text.length <= MAX_B64 && !text.includes("e2b_") && BASE64.test(text)) {
    const decoded = Buffer.from(text, "base64").toString("latin1");
    for (const m of findKeysInString(decoded)) out.push({ ...m, encoding: "base64" });
  }
  return out;
}
