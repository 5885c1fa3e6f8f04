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

/** The caller's own key as it is, in base64 (padding dropped), base64url and hex; none for a short one. */
function ownKeyForms(apiKey: string | undefined): string[] {
  if (apiKey === undefined || apiKey.length < 8) return [];
  const own = Buffer.from(apiKey);
  return [apiKey, own.toString("base64").replace(/=+$/, ""), own.toString("base64url"), own.toString("hex")];
}

/** The mask of the caller's own key when `text` holds it as it is, in base64 or in hex. */
export function ownKeyIn(text: string, apiKey: string | undefined): string | undefined {
  return ownKeyForms(apiKey).some((f) => text.includes(f)) ? maskKey(apiKey!) : undefined;
}

/**
 * Text from the request as messages show it (an env var or metadata name may be the key itself): E2B
 * key material in any encoding masked, and so is the caller's own key in the forms `ownKeyIn` finds
 * (a self-hosted key need not look like `e2b_…`, so no later redactor would know it).
 */
export function maskedName(name: string, apiKey?: string): string {
  return redactMaterial(maskOwnKey(name, apiKey));
}

/** `text` with the caller's own key masked wherever it stands as it is, in base64 or in hex. */
export function maskOwnKey(text: string, apiKey: string | undefined): string {
  let out = text;
  for (const form of ownKeyForms(apiKey)) out = out.split(form).join(maskKey(apiKey!));
  return out;
}
