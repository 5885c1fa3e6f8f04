import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-06-no-key-in-sandbox";

describe(P, () => {
  const scan = useScanner();

  it("fails sandbox env JSON with the key, a template Dockerfile with ARG E2B_API_KEY, and sandbox env built from the key (unknown)", async () => {
    const { stack } = await scan.program(fx("key-in-sandbox"), "dev");
    const fs = of(stack, P);
    const mandatory = fs.filter((f) => f.enforcementLevel === "mandatory");
    expect(resourceNames(mandatory)).toEqual(["agent", "orchestrator", "template-dockerfile"]);
    expect(mandatory.map((f) => f.message).join("\n")).toMatch(
      /SANDBOX_ENV_VARS\/E2B_API_KEY[\s\S]*Dockerfile at source\.text[\s\S]*depend on 'dev-api-key'/,
    );
    // Third-party credentials in sandbox env vars are a hint towards E2B Secrets, not a failure.
    expect(fs.filter((f) => f.enforcementLevel === "advisory").map((f) => f.message)).toEqual([
      expect.stringMatching(/OPENAI_API_KEY.*E2B Secrets/),
    ]);
    expect(status(stack, "E2B-06")).toBe("fail");
    expectClean(stack);
  });

  it("passes stacks that keep the key out of sandboxes", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-06")).toBe("pass");
  });

  it("runs on preview unknowns without the SDK advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P)).toEqual([]);
    expectClean(stack);
  });
});
