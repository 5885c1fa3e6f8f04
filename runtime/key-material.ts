/**
 * Key material as the guard looks for it in what a sandbox is given: the pack's detector, so a key
 * the pack would find in a stack is found here too, in any encoding it reads.
 */
import { maskKey } from "../policies/detect/keys";
import { findMaterial } from "../policies/detect/material";
import { redactMaterial } from "../policies/detect/redact";

/**
 * The mask of the first E2B key in `text` in any encoding the pack reads in a stack (base64 and
 * base64url of any text holding it, gzip, hex, percent-encoding, `Basic` credentials, `data:` URIs,
 * JSON escapes: policies/detect/material.ts), or of the caller's own API key as it is, in base64 or
 * in hex (a self-hosted key need not look like `e2b_…`); undefined when there is none.
 */
export function keyMaterialIn(text: string, apiKey?: string): string | undefined {
  return materialIn(text) ?? ownKeyIn(text, apiKey);
}

/** The mask of the first E2B key in `text`, in any encoding the pack reads. */
export function materialIn(text: string): string | undefined {
  return findMaterial(text)[0]?.mask;
}

/** The mask of the caller's own key when `text` holds it as it is, in base64 or in hex. */
export function ownKeyIn(text: string, apiKey: string | undefined): string | undefined {
  if (apiKey === undefined || apiKey.length < 8) return undefined;
  const own = Buffer.from(apiKey);
  const forms = [
    apiKey,
    own.toString("base64").replace(/=+$/, ""),
    own.toString("base64url"),
    own.toString("hex"),
  ];
  return forms.some((f) => text.includes(f)) ? maskKey(apiKey) : undefined;
}

/** A name from the request as messages show it: an env var or metadata name may be the key itself. */
export function maskedName(name: string): string {
  return redactMaterial(name);
}
