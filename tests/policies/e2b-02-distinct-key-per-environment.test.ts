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

  it("fails one secret config value feeding two environments, with or without the passphrase", async () => {
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("shared-secret-across-environments"), "config", opts);
      expect([opts, status(stack, "E2B-02")]).toEqual([opts, "fail"]);
      expect(resourceNames(of(stack, P))).toEqual(["agent-prod", "agent-staging"]);
      expectClean(stack);
    }
    const { stack } = await scan.program(fx("shared-secret-across-environments"), "config", {});
    expect(of(stack, P)[0].message).toMatch(
      /shared-secret-across-environments:e2bApiKey \(not decrypted here\), whose name says it is the E2B key, feeds environments prod and staging/,
    );
  });

  it("fails one E2B key secret that runtimes of two environments read, and not a database secret they share", async () => {
    const { stack } = await scan.program(fx("shared-secret-across-environments"), "secret", {});
    expect(status(stack, "E2B-02")).toBe("fail");
    expect(of(stack, P).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^Environments prod and staging read the E2B key from one secret, aws:secretsmanager\/secret:Secret 'e2b-api-key' \(aws:lambda\/function:Function 'agent-prod' in prod\)/,
      ),
      expect.stringMatching(/'e2b-api-key' \(aws:lambda\/function:Function 'agent-staging' in staging\)/),
    ]);
    // Each environment its own key's secret: the shared database secret (of a project named
    // e2b-agents) is no finding, nor is the key's fingerprint both get, with or without the passphrase.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const own = await scan.program(fx("shared-secret-across-environments"), "own", opts);
      expect([opts, of(own.stack, P)]).toEqual([opts, []]);
      expect(status(own.stack, "E2B-02")).toBe("pass");
    }
    expectClean(stack);
  });

  it("takes one environment tagged prod by one team and production by another as one: one secret is no sharing", async () => {
    // rt37 #9: "Environments prod and production read the E2B key from one secret".
    const { stack } = await scan.program(fx("shared-secret-across-environments"), "aliases", {});
    expect(of(stack, P)).toEqual([]);
    expectClean(stack);
  });

  it("fails one key stored for two GitHub Actions environments, and a Vercel variable serving production and preview, with or without the passphrase", async () => {
    // real33 bug 5: the platforms' own environments were not environments to the pack.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const github = await scan.program(fx("github-environment-secrets"), "dev", opts);
      expect([opts, resourceNames(of(github.stack, P))]).toEqual([opts, ["e2b-production", "e2b-staging"]]);
      const vercel = await scan.program(fx("server-key-in-vercel-variables"), "dev", opts);
      const fs = of(vercel.stack, P);
      expect([opts, fs.map((f) => [f.urn.split("::").pop(), f.path])]).toEqual([
        opts,
        [["web-e2b-key", "targets"]],
      ]);
      expect(fs[0].message).toMatch(/gives E2B_API_KEY to the environments production, preview at once/);
    }
  });

  it("fails a Cloudflare Pages project whose preview deployments get production's key, not one whose previews have their own, with or without the passphrase", async () => {
    // real33 bug 5, its third shape.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("pages-one-key-for-preview"), "dev", opts);
      const fs = of(stack, P);
      expect([opts, fs.map((f) => [f.urn.split("::").pop(), f.path])]).toEqual([
        opts,
        [["agent-ui", "deploymentConfigs.production.envVars.E2B_API_KEY"]],
      ]);
      expect(fs[0].message).toMatch(
        /gives E2B_API_KEY the same value in the environments production and preview/,
      );
      expectClean(stack);
    }
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
