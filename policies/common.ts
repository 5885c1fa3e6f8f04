/** Small helpers shared by the policies: evidence for case applicability, names in messages, config pieces. */
import { z } from "zod";
import { DEFAULT_ENVIRONMENT_TAG_KEYS } from "./detect/environment";
import type { EnvironmentResource, IndexedResource, StackIndex } from "./detect/stack";
import type { Reporter } from "./runtime";

/**
 * A regular expression written in policy config. Checked when the config is parsed, so a bad one is
 * an error naming its policy and field rather than a SyntaxError thrown from inside a rule.
 */
export function regexSchema(
  defaultValue: string,
  description: string,
  /** How the rule builds its RegExp from the text, when not `new RegExp(text)`: checked as built. */
  build: (source: string) => RegExp = (source) => new RegExp(source),
) {
  return z
    .string()
    .refine((source) => isRegExp(source, build), { message: "not a valid regular expression" })
    .default(defaultValue)
    .describe(description);
}

function isRegExp(source: string, build: (source: string) => RegExp): boolean {
  try {
    build(source);
    return true;
  } catch {
    return false;
  }
}

export const environmentTagKeysSchema = z
  .array(z.string().min(1))
  .default([...DEFAULT_ENVIRONMENT_TAG_KEYS])
  .describe("Tag/label keys that name a resource's environment (case-insensitive).");

/** `aws:lambda/function:Function 'api'` — how messages name a resource. */
export function describe(r: { type: string; name: string }): string {
  return `${r.type} '${r.name}'`;
}

/** E2B key material, key resources, environments or E2B-named variables: the stack uses E2B. */
export function usesE2B(index: StackIndex): boolean {
  const e = index.e2bEvidence();
  return e.environments + e.keys + e.material + e.names > 0;
}

export const NO_E2B_EVIDENCE =
  "no E2B key resource, E2BEnvironment, E2B key material or E2B_* variable in this stack";

/** Environments or key resources: the stack manages E2B with IaC (cases about declared environments). */
export function managesE2B(index: StackIndex): boolean {
  return index.environments.length + index.keyResources.length > 0;
}

export const NO_E2B_ENVIRONMENT = "no E2BEnvironment component or E2B key resource in this stack";

/** Key resources that are not part of any E2BEnvironment (their environment declares nothing). */
export function orphanKeys(index: StackIndex): IndexedResource[] {
  return index.keyResources.filter((k) => !index.environmentComponentOf(k));
}

/**
 * The environments whose model the rules can read. A component seen only through its outputs (the
 * pack's resource policy, which records inputs, did not run) gets an advisory instead of false
 * "missing" findings.
 */
export function modelledEnvironments(index: StackIndex, report: Reporter): EnvironmentResource[] {
  const out: EnvironmentResource[] = [];
  for (const env of index.environments) {
    if (env.modelAvailable) out.push(env);
    else
      report(
        `E2BEnvironment '${env.name}' model is not visible: the pack records resource inputs in its resource policy e2b-01-key-only-in-key-stores; keep that policy enabled.`,
        env.resource.urn,
        { advisory: true },
      );
  }
  return out;
}
