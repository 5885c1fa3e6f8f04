import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-02-distinct-key-per-environment";

describe(P, () => {
  const scan = useScanner();

  it("fails one key value in two environments, a secret shared by two environments and a key not named after its environment", async () => {
    const { stack } = await scan.program(fx("shared-key"), "dev");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["dev", "dev-api-key", "e2b-key-dev", "e2b-key-prod", "prod"]);
    const msgs = fs.map((f) => f.message).join("\n");
    expect(msgs).toMatch(/E2B key e2b_…4567 appears in environments dev and prod/);
    expect(msgs).toMatch(/share the secret aws-secrets-manager:e2b\/prod\/api-key/);
    expect(msgs).toMatch(/named 'agents-shared', which does not name its environment 'dev'/);
    expect(status(stack, "E2B-02")).toBe("fail");
    expectClean(stack);
  });

  it("passes environments with their own keys and secrets", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-02")).toBe("pass");
  });

  it("runs on preview unknowns without the SDK advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-02")).toBe("pass");
    expectClean(stack);
  });
});
