/**
 * The pack's facade: what the CLI, reports and evals use from the pack's folder (importing this does
 * not start the pack). Verdicts, the stack summary, cross-stack findings and cost figures are computed
 * by the same code the pack runs, from the same reconciled policy config. Other rooms import from here
 * (and from the leaf modules model.ts, cost.ts, enforcement.ts, detect/keys.ts and credential-shapes.ts);
 * tests/architecture.test.ts checks it.
 */
export {
  findingFromDiagnostic,
  applicableCases,
  buildStackReport,
  buildReport,
  caseResults,
  CASE_STATUSES,
  isInconclusive,
  isBlocking,
  sortFindings,
  withCase,
} from "./report";
export type {
  DiagnosticLike,
  Finding,
  CaseResult,
  CaseStatus,
  StackReport,
  Report,
  CostFigures,
  UnknownValue,
  Waiver,
} from "./report";
export { caseIds, cases, caseOfPolicy, type CaseId, type CaseInfo, type Severity } from "./cases";
export {
  ENFORCEMENT_LEVELS,
  compareLevels,
  isBlockingLevel,
  isEnforcementLevel,
  type EnforcementLevel,
} from "./enforcement";
export { parseWaiverMessage } from "./waivers";
export { judgeConfiguredFinding, withWaivers } from "./policy-dsl";
export {
  crossStackFindings,
  crossStackFindingsForGraphs,
  stackFacts,
  type StackFacts,
  type GraphResourceLike,
} from "./cross-stack";
export { exportFieldFindings, EXPORT_FIELDS_POLICY, type ExportLike } from "./export-fields";
export { PROGRAM_SOURCE_POLICY, programSourceFindings, type ProviderSource } from "./program-source";
export { DYNAMIC_RESOURCE_TYPE } from "./detect/scanner";
export { describe as describeResource } from "./common";
export { ArtifactReader } from "./detect/artifacts";
export { stackUrnOf } from "./detect/scanner";
export { costOf, describeCost, DEFAULT_PRICES, type Prices } from "./cost";
export {
  configuredPrices,
  configuredLevel,
  NO_CONFIG,
  type PackConfig,
  type PolicyConfigEntry,
} from "./settings";
export {
  configuredEnvironmentTagKeys,
  costFiguresOf,
  stackEnvironment,
  stackSummary,
  summarizedStackReport,
  type StackSummary,
  type StackTags,
} from "./summary";
export { StackIndex } from "./detect/stack";
export type { StackConfigValues } from "./detect/stack-index";
export { PACK_NAME } from "./pack-info";
export { policies } from "./policies";
export { findingFingerprint, messageShape } from "./fingerprint";
export {
  COST_CHANGE_POLICY,
  costChanges,
  costIncreaseFindings,
  costIncreaseSchema,
  describeCostChange,
  environmentSpend,
  type CostChange,
  type CostIncreaseConfig,
} from "./cost-change";

import { DEFAULT_PRICES, type Prices } from "./cost";
import { E2B_ENVIRONMENT_TYPE } from "./model";
import type { GraphResourceLike } from "./cross-stack";
import { StackIndex } from "./detect/stack";
import type { CostFigures } from "./report";
import { costFiguresOf } from "./summary";

/** Cost figures of every E2BEnvironment among these resources (engine graph or state export). */
export function costFiguresFromResources(
  resources: readonly GraphResourceLike[],
  prices: Prices = DEFAULT_PRICES,
): CostFigures[] {
  // Only environments have cost figures: indexing (copying) the whole stack to find them was a
  // full extra pass over every property of a large export.
  const environments = resources.filter((r) => r.type === E2B_ENVIRONMENT_TYPE);
  return costFiguresOf(StackIndex.fromGraph(environments), prices);
}
