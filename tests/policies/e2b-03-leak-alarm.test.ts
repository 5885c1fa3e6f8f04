import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames } from "./helpers";

const P = "e2b-03-leak-alarm";

describe(P, () => {
  const scan = useScanner();

  it("fails a missing alarm and a key outside any environment", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-missing"), "dev");
    expect(resourceNames(of(stack, P))).toEqual(["dev", "stray-key"]);
  });

  it("fails alarms that can never fire and an alarm without owner", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-wrong"), "prod");
    const msgs = of(stack, P)
      .map((f) => f.message)
      .join("\n");
    expect(msgs).toMatch(/threshold 150 live sandboxes is above its concurrency cap of 30/);
    expect(msgs).toMatch(/sandbox age 7200s, beyond the timeout ceiling of 3600s/);
    expect(msgs).toMatch(/'loadtest' leak alarm has no owner/);
  });

  it("passes alarms within cap and ceiling", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
  });

  it("reports unknown thresholds at preview as advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expectClean(stack);
  });
});
