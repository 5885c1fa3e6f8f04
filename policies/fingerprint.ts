/**
 * A finding's stable identity across runs, for baselines (`--baseline`) and SARIF: built from
 * structured fields — policy, resource URN, property path, key fingerprint — never from the key and
 * never from figures a message happens to quote (a cost, a count, an age in days, a date), so it
 * survives reordering, unrelated changes elsewhere in the stack and the passing of time.
 *
 * A finding about a property or a key is identified by them. Other findings of one policy on one
 * resource (e2b-03's expected / worst-case / leaked-sandbox ceilings on the same environment) are told
 * apart by the shape of their message: its wording with every number replaced, so
 * "expected monthly cost $1,200.00 exceeds …" and "expected monthly cost $2,650.00 exceeds …" are
 * the same finding.
 */
import { createHash } from "node:crypto";
import { redactMaterial } from "./detect/redact";

export const FINGERPRINT_VERSION = "v1";

export interface FingerprintFields {
  policy: string;
  urn: string;
  path?: string;
  keyFingerprint?: string;
  message: string;
}

/** Key masks and fingerprints name a key (identity); every other run of digits is a figure. */
const TOKENS = /((?:sk_e2b_|e2b_)…[0-9a-f]{4}|sha256:[0-9a-f]+)|(?<![A-Za-z_])\$?\d(?:[\d,.]*\d)?/g;

/** The message's wording without its figures or trailers, whitespace collapsed. */
export function messageShape(message: string): string {
  const body = message.split(/\n\[(?:waiver expired|waived|at)\]/)[0];
  return body
    .replace(TOKENS, (m, identity: string | undefined) => identity ?? "#")
    .replace(/\s+/g, " ")
    .trim();
}

export function findingFingerprint(f: FingerprintFields): string {
  const located = Boolean(f.path || f.keyFingerprint);
  // The URN and path as a report shows them (key material masked): a baseline holds only those, and
  // its findings are identified again from them.
  const parts = [
    f.policy,
    redactMaterial(f.urn),
    redactMaterial(f.path ?? ""),
    f.keyFingerprint ?? "",
    located ? "" : messageShape(f.message),
  ];
  return `${FINGERPRINT_VERSION}:${createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32)}`;
}
