/** Small helpers shared by the policies: evidence for case applicability, names in messages, config pieces. */
import { z } from "zod";
import { DEFAULT_ENVIRONMENT_TAG_KEYS } from "./detect/environment";
import type { EnvironmentResource, IndexedResource, StackIndex } from "./detect/stack";
import type { Reporter } from "./policy-dsl";

/**
 * A regular expression written in policy config. Checked when the config is parsed, so a bad one is
 * an error naming its policy and field rather than a SyntaxError thrown from inside a rule.
 */
export function regexSchema(defaultValue: string, description: string) {
  return z
    .string()
    .refine(isRegExp, { message: "not a valid regular expression" })
    .default(defaultValue)
    .describe(description);
}

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
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
 * The environments whose model the rules can read. A component seen only through its outputs (its
 * inputs reached the pack in no Analyze call, e.g. a state export without inputs) gets an advisory
 * instead of false "missing" findings.
 */
export function modelledEnvironments(index: StackIndex, report: Reporter): EnvironmentResource[] {
  const out: EnvironmentResource[] = [];
  for (const env of index.environments) {
    if (env.modelAvailable) out.push(env);
    else
      report(
        `E2BEnvironment '${env.name}' model is not visible: the pack saw only the component's registered outputs, not its inputs, so its settings are not judged.`,
        env.resource.urn,
        { advisory: true },
      );
  }
  return out;
}
