import { useScanner } from "../support/scan";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-01-key-only-in-key-stores";

describe(P, () => {
  const scan = useScanner();

  it("fails plaintext keys in a Lambda env, ECS container definitions (JSON) and a ConfigMap (YAML, base64)", async () => {
    const { stack } = await scan.program(fx("lambda-plaintext-key"), "dev");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["agent-config", "api", "worker"]);
    const msgs = fs.map((f) => f.message).join("\n");
    expect(msgs).toContain("at environment.variables.E2B_API_KEY");
    expect(msgs).toContain("at containerDefinitions{json}[0].environment[0].value");
    expect(msgs).toContain("at binaryData.key (base64-encoded)");
    expect(msgs).toContain('at data["settings.yaml"]{yaml}.e2b.apiKey');
    expect(fs.every((f) => f.enforcementLevel === "mandatory" && f.severity === "critical")).toBe(true);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("fails literal keys on client-side surfaces (Amplify build variable, website object)", async () => {
    const { stack } = await scan.program(fx("client-side-key"), "prod");
    expect(resourceNames(of(stack, P))).toEqual(["app-js", "main"]);
    expectClean(stack);
  });

  it("passes keys held by approved stores (Secrets Manager, SSM SecureString)", async () => {
    const { stack } = await scan.program(fx("shared-key"), "dev");
    expect(of(stack, P)).toEqual([]);
    const pass = await scan.program(fx("pass-prod"), "prod");
    expect(of(pass.stack, P)).toEqual([]);
    expect(status(pass.stack, "E2B-01")).toBe("pass");
  });

  it("tells approved stores from look-alikes of the same providers (ESC, Vault, GitHub, Cloudflare)", async () => {
    const { stack } = await scan.program(fx("stores"), "dev");
    expect(resourceNames(of(stack, P))).toEqual(["esc-file", "esc-plain", "gh-variable", "worker-plain"]);
    expect(of(stack, P).find((f) => f.urn.endsWith("::esc-plain"))!.message).toMatch(
      /at yaml\.text\{yaml\}\.values\.e2b\.apiKey/,
    );
    // An ESC definition given as a FileAsset is read as the document it is (real35 bug 4): its
    // fn::secret is the store, and the literal in the committed file is what fails.
    expect(of(stack, P).find((f) => f.urn.endsWith("::esc-file"))!.message).toMatch(
      /at yaml\.text\{yaml\}\.values\.e2b\.apiKey\.fn::secret, in esc\/agents\.yaml line 5, a file committed with the program\. Pulumi ESC \(inside `fn::secret`\) is the right place at run time/,
    );
    expectClean(stack);
  });

  it("does not stop on preview unknowns", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P)).toEqual([]);
    expectClean(stack);
  });
});
