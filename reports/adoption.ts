/**
 * What every view shows of a baseline (new / existing / fixed) and of a preview's cost change, in one
 * place so the views stay in step.
 */
import {
  describeCostChange,
  type CostChange,
  type Finding,
  type Report,
  type StackReport,
} from "../policies/api";

/**
 * `3 new, 2 existing, 1 fixed (baseline old.json)`, with `, 1 unverified` before the file when the run
 * could not see some baseline findings' properties; null without a baseline.
 */
export function baselineSummary(report: Report): string | null {
  const b = report.baseline;
  if (!b) return null;
  const unverified = b.unverified ? `, ${b.unverified} unverified` : "";
  return `${b.new} new, ${b.existing} existing, ${b.fixed} fixed${unverified} (baseline ${b.file})`;
}

export interface BaselineGroup {
  kind: "fixed" | "unverified";
  heading: string;
  findings: Finding[];
}

/**
 * The baseline's findings a stack's view lists apart from its own: those gone (fixed), and those this
 * run could not verify, since their property is hidden now (neither seen again nor gone). Empty groups
 * are left out.
 */
export function baselineGroups(stack: StackReport): BaselineGroup[] {
  const groups: BaselineGroup[] = [
    { kind: "fixed", heading: "Fixed since the baseline", findings: stack.fixed ?? [] },
    {
      kind: "unverified",
      heading: "Not verified since the baseline (their property is hidden in this run)",
      findings: stack.unverified ?? [],
    },
  ];
  return groups.filter((g) => g.findings.length > 0);
}

/** The label a finding carries in its group: `existing`, `new` (with a baseline), or nothing. */
export function baselineLabel(f: Finding): string {
  return f.baseline ?? "";
}

export interface CostChangeRow {
  environment: string;
  tier: string;
  expected: string;
  worstCase: string;
}

export function costChangeRows(changes: readonly CostChange[] | undefined): CostChangeRow[] {
  return (changes ?? []).map((c) => {
    const d = describeCostChange(c);
    return {
      environment: c.environment,
      tier: c.tier ?? "unknown tier",
      expected: d.expected,
      worstCase: d.worstCase,
    };
  });
}
