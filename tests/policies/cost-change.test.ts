/** The cost change of a preview: per environment before/after, and thresholds per tier (E2B-03). */
import {
  costChanges,
  costIncreaseFindings,
  costIncreaseSchema,
  describeSpendChange,
  type EnvironmentSpend,
} from "../../policies/cost-change";
import type { Tier } from "../../policies/model";

const spend = (environment: string, tier: Tier, expected: number, worst: number): EnvironmentSpend => ({
  environment,
  tier,
  urn: `urn:pulumi:s::p::e2b-guardrails:index:E2BEnvironment::${environment}`,
  figures: { environment, expectedMonthlyUsd: expected, worstCaseMonthlyUsd: worst, leakedSandboxUsd: 0 },
});

describe("costChanges", () => {
  it("pairs environments by name, new ones without a percentage, removed ones last", () => {
    const rows = costChanges(
      [spend("prod", "production", 1200, 4000), spend("old", "development", 10, 20)],
      [spend("prod", "production", 2650, 4000), spend("dev", "development", 50, 100)],
    );
    expect(rows.map((r) => [r.environment, r.expectedDeltaUsd, r.expectedDeltaPercent])).toEqual([
      ["prod", 1450, 120.8],
      ["dev", 50, null],
      ["old", -10, -100],
    ]);
    expect(rows[2].after).toBeUndefined();
    expect(rows[1].before).toBeUndefined();
  });

  it("writes a change as people read it", () => {
    expect(describeSpendChange(1200, 2650, 120.8)).toBe("$1,200.00 → $2,650.00, +120.8 %");
    expect(describeSpendChange(100, 80, -20)).toBe("$100.00 → $80.00, -20 %");
    expect(describeSpendChange(undefined, 50, null)).toBe("new: $50.00");
    expect(describeSpendChange(10, undefined, -100)).toBe("removed: $10.00 → $0.00");
  });
});

describe("costIncreaseFindings", () => {
  const rows = costChanges(
    [spend("prod", "production", 1200, 4000), spend("stg", "staging", 100, 200)],
    [
      spend("prod", "production", 2650, 4100),
      spend("stg", "staging", 130, 200),
      spend("lt", "load-test", 900, 900),
    ],
  );
  const run = (config: unknown) => costIncreaseFindings(rows, costIncreaseSchema.parse(config));

  it("finds nothing without thresholds", () => {
    expect(run(undefined)).toEqual([]);
  });

  it("needs both the USD and the percent threshold exceeded when both are set", () => {
    expect(run({ staging: { usd: 50, percent: 20 } })).toEqual([]); // +$30, +30 %
    expect(run({ staging: { usd: 20, percent: 20 } })).toHaveLength(1);
    expect(run({ production: { percent: 130 } })).toEqual([]); // +120.8 % expected, +2.5 % worst case
    expect(run({ production: { percent: 120 } })).toEqual([
      expect.objectContaining({ urn: expect.stringMatching(/::prod$/) }),
    ]);
  });

  it("judges a new environment by the USD threshold only, and carries the configured level", () => {
    const [f] = run({ "load-test": { usd: 500, percent: 10, enforcementLevel: "advisory" } });
    expect(f).toMatchObject({ enforcementLevel: "advisory", urn: expect.stringMatching(/::lt$/) });
    expect(f.message).toContain("expected new: $900.00");
    expect(run({ "load-test": { percent: 10 } })).toEqual([]);
  });

  it("names the figures and the threshold in the message", () => {
    const [f] = run({ production: { usd: 1000 } });
    expect(f.message).toBe(
      "E2BEnvironment 'prod' modelled expected monthly E2B spend rises above the production threshold of +$1,000.00 " +
        "(expected $1,200.00 → $2,650.00, +120.8 %; worst case $4,000.00 → $4,100.00, +2.5 %). " +
        "Review the sandbox profile change, or raise maxCostIncrease deliberately.",
    );
  });

  it("rejects a bad threshold with the field named", () => {
    const r = costIncreaseSchema.safeParse({ production: { percent: -1 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(["production", "percent"]);
    expect(costIncreaseSchema.safeParse({ prod: {} }).success).toBe(false);
  });
});
