import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-08-management-credential-scope";

describe(P, () => {
  const scan = useScanner();

  it("fails a dashboard token in a Lambda, an access token even in a GitHub secret, and a CLI-login key", async () => {
    const { stack } = await scan.program(fx("management-credentials"), "dev");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["ci-token", "cli-key", "ops"]);
    expect(fs.map((f) => f.message).join("\n")).toMatch(
      /deprecated E2B personal access token \(sk_e2b_…c3d4\)/,
    );
    expect(status(stack, "E2B-08")).toBe("fail");
    expectClean(stack);
  });

  it("passes stacks whose runtimes hold only their environment's API key reference", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-08")).toBe("pass");
  });

  it("fails a management token deployed with a value unknown at preview, without the SDK advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => [f.enforcementLevel, f.message])).toEqual([
      ["mandatory", expect.stringMatching(/'ops' deploys the management credential E2B_MANAGEMENT_TOKEN/)],
    ]);
    expectClean(stack);
  });
});
