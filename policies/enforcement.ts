/**
 * Enforcement levels, defined once for every room: the pack, the report model, the engine's config
 * reconciliation and the CLI. The values are CrossGuard's (`@pulumi/policy`'s `EnforcementLevel`);
 * the order is the one the Pulumi CLI lists them in. Wire encodings (the analyzer protocol's enum)
 * belong to the code that speaks the protocol, not here.
 */
import type { EnforcementLevel as SdkEnforcementLevel } from "@pulumi/policy";

export type EnforcementLevel = SdkEnforcementLevel;

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
];

export function isEnforcementLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

/** How strongly a level blocks, strongest first: `pulumi preview` lists mandatory findings first. */
const STRICTNESS: Record<EnforcementLevel, number> = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };

export function compareLevels(a: EnforcementLevel, b: EnforcementLevel): number {
  return STRICTNESS[a] - STRICTNESS[b];
}

/** A finding at this level fails its case (remediate is reported as mandatory when it still fails). */
export function isBlockingLevel(l: EnforcementLevel): boolean {
  return l === "mandatory" || l === "remediate";
}
