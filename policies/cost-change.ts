/**
 * The cost change of a preview: the modelled monthly E2B spend of each environment in the deployed
 * stack (a `pulumi stack export`) against the previewed program, and the E2B-03 rule that a large
 * increase is a finding. The pack cannot see the deployed stack at `pulumi preview`, so the CLI's
 * `preview --compare-state` computes this with these functions and the thresholds configured on
 * `e2b-03-sandbox-profile-and-cost` (`maxCostIncrease`), then applies that policy's level and waivers.
 *
 * Why E2B-03: the case is "sandbox cost is modelled" and its policy already holds the per-tier
 * ceilings on the modelled figures; a ceiling on their increase is the same gate seen as a delta.
 * E2B-05 is about the budget alarm existing and covering the expected spend, which this does not judge.
 */
import { z } from "zod";
import { DEFAULT_PRICES, usd, type Prices } from "./cost";
import { tierOf } from "./detect/env-model";
import { StackIndex } from "./detect/stack";
import { tiers, type Tier } from "./model";
import type { CostFigures } from "./report";
import type { GraphResourceLike } from "./cross-stack";
import { costFiguresOf } from "./summary";

export const COST_CHANGE_POLICY = "e2b-03-sandbox-profile-and-cost";

const threshold = z
  .object({
    usd: z
      .number()
      .nonnegative()
      .optional()
      .describe("Increase of the expected or worst-case monthly spend, in USD."),
    percent: z.number().nonnegative().optional().describe("Increase in percent of the deployed figure."),
    enforcementLevel: z
      .enum(["advisory", "mandatory"])
      .optional()
      .describe("Level of the finding (default: the policy's level)."),
  })
  .strict();

export const costIncreaseSchema = z
  .object(
    Object.fromEntries(tiers.map((t) => [t, threshold.optional()])) as Record<
      Tier,
      z.ZodOptional<typeof threshold>
    >,
  )
  .strict()
  .default({})
  .describe(
    "`preview --compare-state` only, per tier: `{ usd, percent, enforcementLevel }`. A finding when an environment's modelled expected or worst-case monthly spend rises by more than `usd` and/or `percent` (both must be exceeded when both are set), at `enforcementLevel` (default: the policy's).",
  );
export type CostIncreaseConfig = z.infer<typeof costIncreaseSchema>;
export type CostIncreaseThreshold = z.infer<typeof threshold>;

export interface SpendFigures {
  expectedMonthlyUsd: number;
  worstCaseMonthlyUsd: number;
}

export interface CostChange {
  environment: string;
  tier: Tier | null;
  /** The environment's URN in the previewed program (absent when the change removes it). */
  urn?: string;
  /** Deployed figures (absent: the environment is new). */
  before?: SpendFigures;
  /** Previewed figures (absent: the environment is removed). */
  after?: SpendFigures;
  expectedDeltaUsd: number;
  /** null when there is nothing to compare against (new environment or $0 before). */
  expectedDeltaPercent: number | null;
  worstCaseDeltaUsd: number;
  worstCaseDeltaPercent: number | null;
}

export interface EnvironmentSpend {
  environment: string;
  tier: Tier | null;
  urn: string;
  figures: CostFigures;
}

/** Figures, tier and URN of every E2BEnvironment whose profile is known (engine graph or state export). */
export function environmentSpend(
  resources: readonly GraphResourceLike[],
  prices: Prices = DEFAULT_PRICES,
): EnvironmentSpend[] {
  const index = StackIndex.fromGraph(resources);
  const byName = new Map(index.environments.map((e) => [e.name, e]));
  return costFiguresOf(index, prices).map((figures) => {
    const env = byName.get(figures.environment)!;
    return { environment: figures.environment, tier: tierOf(env), urn: env.resource.urn, figures };
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
const percent = (from: number, to: number) =>
  from > 0 ? Math.round(((to - from) / from) * 1000) / 10 : null;

/** One row per environment in either side, in the previewed order, removed environments last. */
export function costChanges(
  before: readonly EnvironmentSpend[],
  after: readonly EnvironmentSpend[],
): CostChange[] {
  const old = new Map(before.map((e) => [e.environment, e]));
  const rows: CostChange[] = [];
  const row = (b: EnvironmentSpend | undefined, a: EnvironmentSpend | undefined): CostChange => {
    const pick = (e: EnvironmentSpend | undefined): SpendFigures | undefined =>
      e && {
        expectedMonthlyUsd: e.figures.expectedMonthlyUsd,
        worstCaseMonthlyUsd: e.figures.worstCaseMonthlyUsd,
      };
    const from = pick(b);
    const to = pick(a);
    const e0 = from?.expectedMonthlyUsd ?? 0;
    const e1 = to?.expectedMonthlyUsd ?? 0;
    const w0 = from?.worstCaseMonthlyUsd ?? 0;
    const w1 = to?.worstCaseMonthlyUsd ?? 0;
    return {
      environment: (a ?? b)!.environment,
      tier: (a ?? b)!.tier,
      ...(a ? { urn: a.urn } : {}),
      ...(from ? { before: from } : {}),
      ...(to ? { after: to } : {}),
      expectedDeltaUsd: round(e1 - e0),
      expectedDeltaPercent: from ? percent(e0, e1) : null,
      worstCaseDeltaUsd: round(w1 - w0),
      worstCaseDeltaPercent: from ? percent(w0, w1) : null,
    };
  };
  for (const a of after) rows.push(row(old.get(a.environment), a));
  const now = new Set(after.map((a) => a.environment));
  for (const b of before) if (!now.has(b.environment)) rows.push(row(b, undefined));
  return rows;
}

/** `$1,200.00 → $2,650.00, +120.8 %` (or `new`, `removed`). */
export function describeSpendChange(
  from: number | undefined,
  to: number | undefined,
  pct: number | null,
): string {
  if (from === undefined) return `new: ${usd(to ?? 0)}`;
  if (to === undefined) return `removed: ${usd(from)} → $0.00`;
  const p = pct === null ? (to > from ? ", new spend" : "") : `, ${pct >= 0 ? "+" : ""}${pct} %`;
  return `${usd(from)} → ${usd(to)}${p}`;
}

export function describeCostChange(c: CostChange): { expected: string; worstCase: string } {
  return {
    expected: describeSpendChange(
      c.before?.expectedMonthlyUsd,
      c.after?.expectedMonthlyUsd,
      c.expectedDeltaPercent,
    ),
    worstCase: describeSpendChange(
      c.before?.worstCaseMonthlyUsd,
      c.after?.worstCaseMonthlyUsd,
      c.worstCaseDeltaPercent,
    ),
  };
}

function exceeds(t: CostIncreaseThreshold, deltaUsd: number, deltaPercent: number | null): boolean {
  if (t.usd === undefined && t.percent === undefined) return false;
  if (deltaUsd <= 0) return false;
  const overUsd = t.usd === undefined || deltaUsd > t.usd;
  // A new environment (no deployed figure) has no percentage: only the USD threshold can judge it.
  const overPercent =
    t.percent === undefined || (deltaPercent === null ? t.usd !== undefined : deltaPercent > t.percent);
  return overUsd && overPercent;
}

function thresholdText(tier: Tier, t: CostIncreaseThreshold): string {
  const parts = [
    t.usd !== undefined ? `+${usd(t.usd)}` : "",
    t.percent !== undefined ? `+${t.percent} %` : "",
  ];
  return `the ${tier} threshold of ${parts.filter(Boolean).join(" and ")}`;
}

export interface CostIncreaseFinding {
  urn: string;
  message: string;
  enforcementLevel?: "advisory" | "mandatory";
}

/** An increase above the environment tier's threshold, for the expected or the worst-case figure. */
export function costIncreaseFindings(
  changes: readonly CostChange[],
  config: CostIncreaseConfig,
): CostIncreaseFinding[] {
  const out: CostIncreaseFinding[] = [];
  for (const c of changes) {
    const t = c.tier ? config[c.tier] : undefined;
    if (!t || !c.tier || !c.urn) continue;
    const over = [
      exceeds(t, c.expectedDeltaUsd, c.expectedDeltaPercent) ? "expected" : "",
      exceeds(t, c.worstCaseDeltaUsd, c.worstCaseDeltaPercent) ? "worst-case" : "",
    ].filter(Boolean);
    if (over.length === 0) continue;
    const d = describeCostChange(c);
    out.push({
      urn: c.urn,
      message:
        `E2BEnvironment '${c.environment}' modelled ${over.join(" and ")} monthly E2B spend rises above ${thresholdText(c.tier, t)} ` +
        `(expected ${d.expected}; worst case ${d.worstCase}). Review the sandbox profile change, or raise maxCostIncrease deliberately.`,
      ...(t.enforcementLevel ? { enforcementLevel: t.enforcementLevel } : {}),
    });
  }
  return out;
}
