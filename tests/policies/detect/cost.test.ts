import {
  costOf,
  describeCost,
  estimateSandboxCost,
  HOURS_PER_MONTH,
  perSandboxSecondUsd,
} from "../../../policies/cost";

describe("cost model", () => {
  const profile = {
    vcpu: 2,
    memoryMiB: 2048,
    avgConcurrency: 4,
    maxConcurrency: 20,
    timeoutCeilingSeconds: 3600,
  };
  it("follows the issue's formula", () => {
    const perSecond = 2 * 0.000014 + 2 * 0.0000045;
    const c = costOf("prod", profile);
    expect(c.expectedMonthlyUsd).toBeCloseTo(4 * HOURS_PER_MONTH * 3600 * perSecond, 2);
    expect(c.worstCaseMonthlyUsd).toBeCloseTo(20 * HOURS_PER_MONTH * 3600 * perSecond, 2);
    expect(c.leakedSandboxUsd).toBeCloseTo(3600 * perSecond, 2);
  });
  it("matches E2B's published example: 8 vCPU + 4 GiB = $0.468/hour", () => {
    expect(perSandboxSecondUsd({ vcpu: 8, memoryMiB: 4096 }) * 3600).toBeCloseTo(0.468, 6);
  });
  it("takes prices from config and keeps the first version's API", () => {
    const c = costOf("x", profile, { vcpuSecondUsd: 0.00002, gibSecondUsd: 0.00001 });
    expect(c.leakedSandboxUsd).toBeCloseTo(3600 * (2 * 0.00002 + 2 * 0.00001), 2);
    expect(estimateSandboxCost(profile).expectedMonthlyUsd).toBe(costOf("p", profile).expectedMonthlyUsd);
    expect(describeCost(c)).toMatch(/expected \$[\d,.]+\/month, worst case/);
  });
});

describe("costFiguresFromResources (for the CLI)", () => {
  it("models every environment of a graph and skips unknown profiles", () => {
    const { costFiguresFromResources } =
      require("../../../policies/api") as typeof import("../../../policies/api");
    const env = (name: string, vcpu: unknown) => ({
      urn: `urn:pulumi:s::p::e2b-guardrails:index:E2BEnvironment::${name}`,
      type: "e2b-guardrails:index:E2BEnvironment",
      name,
      inputs: {
        name,
        sandbox: { vcpu, memoryMiB: 1024, avgConcurrency: 1, maxConcurrency: 2 },
        timeoutCeilingSeconds: 60,
        budget: { monthlyUsd: 10 },
      },
    });
    const figures = costFiguresFromResources([env("a", 1), env("b", "04da6b54-80e4-46f7-96ec-b56ff0331ba9")]);
    expect(figures).toEqual([
      costOf(
        "a",
        { vcpu: 1, memoryMiB: 1024, avgConcurrency: 1, maxConcurrency: 2, timeoutCeilingSeconds: 60 },
        undefined,
        10,
      ),
    ]);
  });
});
