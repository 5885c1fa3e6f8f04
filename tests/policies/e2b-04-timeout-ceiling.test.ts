import { timeoutSeconds } from "../../policies/e2b-04-timeout-ceiling";
import { useScanner } from "../support/scan";
import { expectClean, fx, of, status } from "./helpers";

const P = "e2b-04-timeout-ceiling";

describe(P, () => {
  const scan = useScanner();

  it("fails ceilings above tier and plan limits, non-prod not shorter than prod, unbounded auto-pause and an app timeout above the ceiling", async () => {
    const { stack } = await scan.program(fx("timeouts"), "prod");
    const msgs = of(stack, P)
      .map((f) => f.message)
      .join("\n");
    expect(msgs).toMatch(/'prod' timeout ceiling 7200s exceeds the production maximum of 3600s/);
    expect(msgs).toMatch(/'prod' timeout ceiling 7200s exceeds the hobby plan limit of 3600s/);
    expect(msgs).toMatch(
      /'dev' \(development\) timeout ceiling 7200s is not shorter than production's 7200s/,
    );
    expect(msgs).toMatch(/'dev' enables auto-pause without autoPause\.maxPausedSeconds/);
    expect(msgs).toMatch(
      /'api' sets E2B_SANDBOX_TIMEOUT_MS=86400000 \(86400s\), above environment prod's ceiling of 7200s/,
    );
    // Another spelling of the environment's name, and a resource that reads an environment's secret.
    expect(msgs).toMatch(
      /'api-tagged' sets E2B_SANDBOX_TIMEOUT_MS=21600000 \(21600s\), above environment prod's ceiling of 7200s/,
    );
    expect(msgs).toMatch(
      /'worker' sets E2B_SANDBOX_TIMEOUT_SECONDS=10800 \(10800s\), above environment dev's ceiling of 7200s/,
    );
    expect(msgs).toMatch(
      /'scheduler' sets E2B_SANDBOX_TIMEOUT=6h \(21600s\), above environment prod's ceiling of 7200s/,
    );
    expect(
      of(stack, P)
        .filter((f) => f.enforcementLevel === "advisory")
        .map((f) => f.message),
    ).toEqual([
      expect.stringMatching(/'reaper' sets E2B_SANDBOX_TIMEOUT to a value that is not read as a duration/),
    ]);
    expect(status(stack, "E2B-04")).toBe("fail");
  });

  it("counts staging as non-production: a staging ceiling equal to production's fails", async () => {
    const { stack } = await scan.program(fx("staging-ceiling"), "staging");
    expect(of(stack, P).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /'staging' \(staging\) timeout ceiling 3600s is not shorter than production's 3600s/,
      ),
    ]);
    expect(status(stack, "E2B-04")).toBe("fail");
  });

  it("passes ceilings within limits with non-prod shorter", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-04")).toBe("pass");
  });

  it("reports an unknown ceiling at preview as advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expectClean(stack);
  });
});

describe(`${P} with a stricter production maximum`, () => {
  const scan = useScanner({ policyConfig: { [P]: { maxTimeoutSecondsByTier: { production: 1800 } } } });
  it("fails production at 3600s", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    expect(of(stack, P).map((f) => f.message)).toEqual([
      expect.stringMatching(/3600s exceeds the production maximum of 1800s/),
    ]);
  });

  describe("a timeout variable's value read as seconds", () => {
    it.each([
      ["300", false, 300],
      ["0.5", false, 0.5],
      ["21,600", false, 21600],
      ["21_600", false, 21600],
      ["6h", false, 21600],
      ["1h30m", false, 5400],
      ["86400000", true, 86400],
      ["0.500", false, 0.5],
      ["21.6", false, 21.6],
    ] as const)("%s (milliseconds: %s) is %d s", (text, ms, seconds) =>
      expect(timeoutSeconds(text, ms)).toBe(seconds),
    );

    // rt42's note: `21.600` passed a 7200 s ceiling as 21.6 s; where a dot groups thousands it is six hours.
    it.each(["21.600", "1.800", "21.600.000", "six hours", "6 hours"])("%s is read as no duration", (text) =>
      expect(timeoutSeconds(text, false)).toBeUndefined(),
    );
  });
});
