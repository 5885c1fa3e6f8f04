/**
 * What every view shows of a baseline (new / existing / fixed) and of a preview's cost change, in one
 * place so the views stay in step.
 */
import { describeCostChange, type CostChange, type Finding, type Report } from "../policies/api";

/** `3 new, 2 existing, 1 fixed (baseline old.json)`, or null without a baseline. */
export function baselineSummary(report: Report): string | null {
  const b = report.baseline;
  return b ? `${b.new} new, ${b.existing} existing, ${b.fixed} fixed (baseline ${b.file})` : null;
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
