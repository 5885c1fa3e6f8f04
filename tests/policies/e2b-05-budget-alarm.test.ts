import { useScanner } from "../support/scan";
import {
  expectClean,
  fx,
  of,
  status,
  expectUndeployedAlarm,
  UNDEPLOYED_ALARM_PROGRAM,
  withSharedE2B,
} from "./helpers";

const P = "e2b-05-budget-alarm";

describe(P, () => {
  const scan = useScanner();

  it("fails a missing budget and a key outside any environment", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-missing"), "dev");
    expect(
      of(stack, P)
        .map((f) => f.message)
        .join("\n"),
    ).toMatch(/'dev' declares no monthly budget[\s\S]*'stray-key' is not part of an E2BEnvironment/);
    expect(status(stack, "E2B-05")).toBe("fail");
  });

  it("fails missing thresholds, a budget below expected spend and a load-test budget without hard limit", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-wrong"), "prod");
    const msgs = of(stack, P)
      .map((f) => f.message)
      .join("\n");
    expect(msgs).toMatch(/alerts at \[100\]% but not at 50, 80%/);
    expect(msgs).toMatch(
      /budget \$500\.00\/month is below its expected spend \(expected \$15,557\.76\/month/,
    );
    expect(msgs).toMatch(/'loadtest' is load-test but its budget has no hard limit/);
  });

  it("passes budgets with thresholds, owner and hard limits where required", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
  });

  it("reports an unknown budget at preview as advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expectClean(stack);
  });
});

describe("e2b-05-budget-alarm where the component deploys no alarm", () => {
  const scan = useScanner();
  it("is inconclusive, not a pass: monitor none (every store outside AWS) leaves the declared alarm undeployed", async () => {
    // rt38 #2: monitor "none" built no alarm at all, and E2B-03 and E2B-05 read PASS.
    const { stack } = await scan.program(withSharedE2B("no-monitor-", UNDEPLOYED_ALARM_PROGRAM), "dev");
    expectUndeployedAlarm(stack, "e2b-05-budget-alarm", "E2B-05", "budget alerts");
  });
});
