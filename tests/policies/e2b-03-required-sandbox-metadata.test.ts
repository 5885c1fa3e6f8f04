import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-03-required-sandbox-metadata";

describe(P, () => {
  const scan = useScanner();

  it("fails an environment and an app sandbox policy without request_id, and a key outside any environment", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-missing"), "dev");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["api", "dev", "stray-key"]);
    expect(fs.find((f) => f.urn.endsWith("::api"))!.message).toMatch(
      /sandbox policy for 'dev' without required metadata request_id/,
    );
    expect(status(stack, "E2B-03")).toBe("fail");
  });

  it("passes environments requiring user_id and request_id", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
  });

  it("reports unknown metadata at preview as advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expectClean(stack);
  });
});

describe(`${P} with more required keys`, () => {
  const scan = useScanner({
    policyConfig: { [P]: { requiredKeys: ["user_id", "request_id", "tenant_id"] } },
  });
  it("fails environments that miss a configured key", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    expect(of(stack, P).map((f) => f.message)).toEqual([expect.stringMatching(/but not tenant_id/)]);
  });
});
