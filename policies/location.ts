/**
 * Where a finding is: the property path and the fingerprint of the key it is about. Diagnostics of
 * the analyzer protocol carry only a message and a URN, so the pack appends a one-line trailer
 * (`[at] path="…" key=sha256:…`, after any waiver trailer) that `findingFromDiagnostic` reads back
 * into `Finding.path` / `Finding.keyFingerprint`, as waivers are carried (policies/waivers.ts).
 * Under `pulumi preview` the trailer shows as the last line of the message; it holds no key material
 * (a `sha256:` fingerprint of 12 hex characters, as DESIGN.md allows).
 */
import { redactKeys } from "./detect/keys";

export interface FindingLocation {
  /** Property path, as the scanner writes it (`environment.variables.E2B_API_KEY`). */
  path?: string;
  /** `sha256:` + 12 hex characters (policies/detect/keys.ts `fingerprintKey`). */
  keyFingerprint?: string;
  /**
   * The finding is about a value preview could not see (an output not known yet, a secret that could
   * not be decrypted): the report lists such values per case (`CaseResult.unknown`).
   */
  unknown?: boolean;
  /**
   * The unknown value was the case's own evidence and nothing else settles the verdict (a timeout
   * ceiling unknown at preview, a hidden value under an E2B name): the case reads `inconclusive`
   * unless a blocking finding fails it. Implies `unknown`.
   */
  inconclusive?: boolean;
}

const TRAILER =
  /\n\[at\](?: path=("(?:[^"\\]|\\.)*"))?(?: key=(sha256:[0-9a-f]{12}))?( unknown)?( inconclusive)?$/;

export function locationTrailer(at: FindingLocation | undefined): string {
  if (!at || (!at.path && !at.keyFingerprint && !at.unknown && !at.inconclusive)) return "";
  // A path can hold key material (a key used as a property name): masked like the message.
  const path = at.path ? ` path=${JSON.stringify(redactKeys(at.path))}` : "";
  const key =
    at.keyFingerprint && /^sha256:[0-9a-f]{12}$/.test(at.keyFingerprint) ? ` key=${at.keyFingerprint}` : "";
  const unknown = at.unknown || at.inconclusive ? " unknown" : "";
  const inconclusive = at.inconclusive ? " inconclusive" : "";
  return path || key || unknown ? `\n[at]${path}${key}${unknown}${inconclusive}` : "";
}

/** Split a diagnostic message into the message and its location trailer (if any). */
export function parseLocationTrailer(text: string): { message: string; location: FindingLocation } {
  const m = TRAILER.exec(text);
  if (!m || (!m[1] && !m[2] && !m[3] && !m[4])) return { message: text, location: {} };
  const location: FindingLocation = {};
  try {
    if (m[1]) location.path = JSON.parse(m[1]) as string;
  } catch {
    return { message: text, location: {} };
  }
  if (m[2]) location.keyFingerprint = m[2];
  if (m[3] || m[4]) location.unknown = true;
  if (m[4]) location.inconclusive = true;
  return { message: text.slice(0, m.index), location };
}
