/**
 * The one stack summary: which environment a stack stands for, what its E2B environments cost, and
 * its case verdicts. Computed from a StackIndex and the reconciled policy config, by the pack for its
 * report file (E2B_GUARDRAILS_REPORT) and by the CLI for its reports, so both say the same thing.
 */
import { caseOfPolicy, type CaseId } from "./cases";
import { CASE_HAS_EVIDENCE, environmentTagKeysSchema } from "./common";
import type { Prices } from "./cost";
import { environmentCost } from "./detect/env-model";
import { normalizeEnvName } from "./detect/environment";
import type { StackIndex } from "./detect/stack";
import { stackUrnOf } from "./detect/scanner";
import { placeholderKeys } from "./detect/hidden-config";
import { buildStackReport, type CostFigures, type Finding, type StackReport } from "./report";
import { configuredPrices, configuredProperties, type PackConfig } from "./settings";

/** The policy whose `environmentTagKeys` name environments outside a single stack's resources. */
export const ENVIRONMENT_TAG_KEYS_POLICY = "e2b-02-no-cross-environment-key-reference";

export function configuredEnvironmentTagKeys(config: PackConfig): readonly string[] {
  const parsed = environmentTagKeysSchema.safeParse(
    configuredProperties(config, ENVIRONMENT_TAG_KEYS_POLICY).environmentTagKeys,
  );
  return parsed.success ? parsed.data : environmentTagKeysSchema.parse(undefined);
}

export type StackTags = Readonly<Record<string, string>>;

/**
 * The environment a stack stands for (DESIGN.md): the names of its E2BEnvironment components (sorted,
 * comma-joined when there are several), else a stack tag with one of the configured environment tag
 * keys (in their order), else the stack name. Names are normalized as environments are everywhere.
 */
export function stackEnvironment(index: StackIndex, tags: StackTags, tagKeys: readonly string[]): string {
  const names = [...new Set(index.environments.map((e) => e.name))].sort();
  if (names.length) return names.join(",");
  const byKey = new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v]));
  for (const key of tagKeys) {
    const v = byKey.get(key.toLowerCase());
    if (typeof v === "string" && v.trim()) return normalizeEnvName(v);
  }
  return normalizeEnvName(index.stack);
}

/** Cost figures of every E2BEnvironment in the stack (environments with unknown profiles are skipped). */
export function costFiguresOf(index: StackIndex, prices: Prices): CostFigures[] {
  const out: CostFigures[] = [];
  for (const env of index.environments) {
    const c = environmentCost(env, prices);
    if ("figures" in c) out.push(c.figures);
  }
  return out;
}

export interface StackSummary {
  environment: string;
  costs: CostFigures[];
}

export function stackSummary(index: StackIndex, config: PackConfig, tags: StackTags = {}): StackSummary {
  return {
    environment: stackEnvironment(index, tags, configuredEnvironmentTagKeys(config)),
    costs: costFiguresOf(index, configuredPrices(config)),
  };
}

/**
 * A stack's report: its summary, its findings and the verdicts they give. `costs: false` for a pack
 * other than ours, whose config says nothing about prices.
 */
export function summarizedStackReport(args: {
  index: StackIndex;
  config: PackConfig;
  tags?: StackTags;
  findings: readonly Finding[];
  applicable: ReadonlySet<CaseId>;
  costs?: boolean;
  secretsHidden?: boolean;
}): StackReport {
  const summary = stackSummary(args.index, args.config, args.tags);
  const disabled = disabledPolicyNotes(args.config, stackUrnOf(args.index.resources));
  // A disabled policy's case with evidence in the stack is judged without it: applicable.
  const applicable = new Set(args.applicable);
  for (const f of disabled)
    if (f.caseId && !applicable.has(f.caseId) && hasEvidence(f.caseId, args.index, args.config))
      applicable.add(f.caseId);
  return buildStackReport({
    stack: args.index.stack,
    project: args.index.project,
    environment: summary.environment,
    findings: [...args.findings, ...disabled],
    applicable,
    costs: args.costs === false ? undefined : summary.costs,
    secretsHidden: args.secretsHidden || configHidden(args.index),
  });
}

/**
 * Whether a case has evidence in the stack, as its policies judge it: the case's own evidence, or what
 * one of its policies declares it also judges (PolicyMeta `evidence`: E2B-02 what the project's stack
 * files share, E2B-06 a key baked into a sandbox's template where nothing is given the key).
 */
function hasEvidence(caseId: CaseId, index: StackIndex, config: PackConfig): boolean {
  if (CASE_HAS_EVIDENCE[caseId](index)) return true;
  // Required here, not imported: the policy modules load the policy DSL, which loads this one.
  const { policies } = require("./policies") as typeof import("./policies");
  return policies.some((p) => caseOfPolicy(p.name) === caseId && p.meta.evidence?.(index, config) === true);
}

/**
 * One advisory per policy of ours the policy config disables, under its case: the case was judged
 * without it, so it cannot read `pass` (it reads `inconclusive`, or `fail` on another policy's
 * finding), and every view says which check was off. Not evidence: a case whose evidence the stack
 * does not hold (CASE_HAS_EVIDENCE) stays not-applicable.
 */
function disabledPolicyNotes(config: PackConfig, stackUrn: string): Finding[] {
  const out: Finding[] = [];
  for (const [policy, entry] of config) {
    const caseId = caseOfPolicy(policy);
    if (!caseId || entry.enforcementLevel !== "disabled") continue;
    out.push({
      policy,
      caseId,
      enforcementLevel: "advisory",
      severity: "low",
      urn: stackUrn,
      message: `${policy} is disabled by the policy config, so ${caseId} was judged without it: what it checks was not checked.`,
      inconclusive: true,
    });
  }
  return out;
}

/**
 * Whether the stack's `secure:` config reached the run undecrypted (its values are placeholders): what
 * the pack sees of a run without the passphrase, and what the CLI's engine knows it as.
 */
function configHidden(index: StackIndex): boolean {
  const config = index.config;
  if (!config) return false;
  for (const k of config.secretKeys) if (placeholderKeys(config.values[k] ?? "").length > 0) return true;
  return false;
}
