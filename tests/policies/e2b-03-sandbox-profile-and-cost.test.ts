import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-03-sandbox-profile-and-cost";

describe(P, () => {
  const scan = useScanner();

  it("fails an environment without a profile and a key outside any environment", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-missing"), "dev");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["dev", "stray-key"]);
    expect(fs[0].message + fs[1].message).toMatch(/does not declare sandbox\.vcpu, sandbox\.memoryMiB/);
    expect(status(stack, "E2B-03")).toBe("fail");
  });

  it("fails an average concurrency above the cap", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-wrong"), "prod");
    expect(of(stack, P).map((f) => f.message)).toEqual([
      expect.stringMatching(/average of 40 concurrent sandboxes but caps them at 30/),
    ]);
  });

  it("passes a declared profile, and reports the cost figures", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-03")).toBe("pass");
  });

  it("says the profile is unknown at preview as an advisory, never the SDK's advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    const fs = of(stack, P);
    expect(fs.map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expect(fs[0].message).toMatch(/unknown at preview/);
    // The profile is what the case judges: not a pass until it is known.
    expect(status(stack, "E2B-03")).toBe("inconclusive");
    expectClean(stack);
  });

  it("is not applicable without E2B environments or keys", async () => {
    const { stack } = await scan.program(fx("no-e2b"), "dev");
    expect(status(stack, "E2B-03")).toBe("not-applicable");
  });
});

describe(`${P} with cost ceilings in config`, () => {
  const scan = useScanner({
    policyConfig: {
      [P]: {
        maxWorstCaseMonthlyUsd: { production: 100 },
        prices: { vcpuSecondUsd: 0.000014, gibSecondUsd: 0.0000045 },
      },
    },
  });

  it("fails a worst case above the tier ceiling and quotes the figures", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    const fs = of(stack, P);
    expect(fs).toHaveLength(1);
    // 20 sandboxes x 730 h x 3600 s x (2 x 0.000014 + 2 x 0.0000045) = $1,944.72
    expect(fs[0].message).toMatch(
      /worst-case monthly cost \$1,944\.72 exceeds the production ceiling of \$100\.00 \(expected \$388\.94\/month/,
    );
  });
});
