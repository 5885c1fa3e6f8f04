/**
 * E2B-01 judges everything a stack carries, not only resource inputs: stack outputs, names, tag keys,
 * URN segments, references, outputs of resources with clean inputs, read/external resources; and its
 * verdict on a secret config value does not depend on having the passphrase.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import type { GraphResource, WireObject } from "../../engine";
import type { Finding } from "../../policies/report";
import { repoRoot, useScanner } from "../support/scan";
import { PLANTED, expectClean, fx, status } from "./helpers";
import { programCopy, tmpDir } from "../support/tmp";
import { applyBaseline, loadBaseline } from "../../reports/baseline";
import { renderJson } from "../../reports/json";

const KEY = `e2b_${PLANTED[0]}`;
const KEY2 = `e2b_${PLANTED[1]}`;

/** A previewed program's graph of the stack `shop-prod` holding `resources`, for rules to judge. */
const shopProgram = (resources: GraphResource[]) => ({
  project: "shop",
  stack: "prod",
  organization: "o",
  source: { kind: "program" as const, path: repoRoot },
  tags: {},
  config: {},
  resources,
});
const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

function e2b01(stack: {
  findings: Array<{ caseId: string | null; urn: string; message: string; enforcementLevel: string }>;
}) {
  return stack.findings.filter((f) => f.caseId === "E2B-01" && f.enforcementLevel === "mandatory");
}

/**
 * A stack's report with its URNs blanked: a resource named from the key has it in its URN (the CLI
 * masks URNs on output); everything else must hold no key.
 */
function withoutUrns<
  S extends { findings: Array<{ urn: string }>; cases: Array<{ findings: Array<{ urn: string }> }> },
>(stack: S): S {
  const blank = <F extends { urn: string }>(fs: F[]) => fs.map((f) => ({ ...f, urn: "" }));
  return {
    ...stack,
    findings: blank(stack.findings),
    cases: stack.cases.map((c) => ({ ...c, findings: blank(c.findings) })),
  };
}

describe("E2B-01 whole-stack scanning", () => {
  const scan = useScanner();

  /** `resources` as `pulumi stack export` writes them, audited. */
  const auditExport = (resources: unknown[]) => {
    const file = path.join(tmpDir("export-"), "prod.json");
    const manifest = { time: "2026-11-01T00:00:00Z", magic: "x", version: "v3.248.0" };
    writeFileSync(file, JSON.stringify({ version: 3, deployment: { manifest, resources } }));
    return scan.states([file]);
  };

  it("fails a stack whose only E2B trace is key material in outputs, names and tag keys", async () => {
    const { stack } = await scan.program(fx("key-in-outputs"), "prod");
    const msgs = e2b01(stack).map((f) => f.message);
    expect(msgs.join("\n")).toMatch(/stack output e2bApiKey/);
    expect(msgs.join("\n")).toMatch(/stack output clientSettings\.sandbox\.auth\[0\]\.value/);
    expect(msgs.join("\n")).toMatch(/sk_e2b_….*stack output adminToken/);
    expect(msgs.join("\n")).toMatch(/'artifacts' holds an E2B API key.*at tags\.owner-.*\(property name\)/);
    expect(msgs.join("\n")).toMatch(/'cache-e2b_…ba98' carries E2B key material \(e2b_…ba98\) in its URN/);
    expect(status(stack, "E2B-01")).toBe("fail");
    // A leaked key alone is no evidence for the cases about how a stack uses its key...
    expect(status(stack, "E2B-02")).toBe("not-applicable");
    expect(status(stack, "E2B-06")).toBe("not-applicable");
    // ...but an access token anywhere is what E2B-08 forbids.
    expect(stack.findings.find((f) => f.caseId === "E2B-08")?.message).toMatch(/access token \(sk_e2b_…/);
    expect(status(stack, "E2B-08")).toBe("fail");
    expectClean(stack);
  });

  it("fails a key kept as plaintext stack config, top-level, in a structured value or as a config key's name, though the program stores it in a secret manager", async () => {
    const { stack } = await scan.program(fx("config-plaintext-key"), "prod");
    const config = e2b01(stack).filter((f) => /^Stack configuration/.test(f.message));
    expect(config.map((f) => f.message).sort()).toEqual([
      expect.stringMatching(
        /^Stack configuration config-plaintext-key:db\.key holds E2B key material \(e2b_…4567\) in plaintext at \["config-plaintext-key:db\.key"\]: .*`pulumi config set --secret config-plaintext-key:db\.key`/,
      ),
      expect.stringMatching(
        /^Stack configuration config-plaintext-key:e2bApiKey holds E2B key material \(e2b_…4567\) in plaintext .*`pulumi config set --secret config-plaintext-key:e2bApiKey`/,
      ),
      expect.stringMatching(
        /^Stack configuration config-plaintext-key:runtime holds E2B key material \(e2b_…ba98\) .*at config-plaintext-key:runtime\{json\}\.secrets\.E2B_API_KEY.*`pulumi config set --path --secret config-plaintext-key:runtime\.secrets\.E2B_API_KEY`/,
      ),
      expect.stringMatching(
        /^Stack configuration names a key with E2B key material \(e2b_…c3d4\) .*Remove that config key and rotate the key\.$/,
      ),
    ]);
    expect(config.every((f) => f.urn.endsWith("::pulumi:pulumi:Stack::config-plaintext-key-prod"))).toBe(
      true,
    );
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("fails a key written in the program's code that preview cannot see in any input (hidden behind an apply)", async () => {
    const { stack } = await scan.program(fx("key-behind-apply"), "prod");
    expect(e2b01(stack).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The program's code holds E2B key material \(e2b_…ba98\) in index\.ts line 28, which no resource input showed at preview/,
      ),
    ]);
    expect(e2b01(stack)[0].urn).toMatch(/::pulumi:pulumi:Stack::key-behind-apply-prod$/);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("fails a key in a file the program read into a value preview cannot see (cloud-init user data)", async () => {
    const { stack } = await scan.program(fx("key-in-read-file"), "prod");
    expect(e2b01(stack).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^A file the program read holds E2B key material \(e2b_…4567\) in cloud-init\.yaml line 6, which no resource input showed at preview/,
      ),
    ]);
    expect(e2b01(stack)[0].urn).toMatch(/::pulumi:pulumi:Stack::key-in-read-file-prod$/);
    // The binary file it read is neither checked nor an advisory.
    expect(stack.findings.map((f) => f.message).join("\n")).not.toMatch(/logo\.png/);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("says only, as an advisory, that a key sits in a file the program read which git ignores (a local .env, real42 #1)", async () => {
    const envFile = `E2B_API_KEY=e2b_${"0123456789abcdef".repeat(3).slice(0, 40)}\nREGION=eu-west-1\n`;
    const program = [
      'import { readFileSync } from "node:fs";',
      'import * as aws from "@pulumi/aws";',
      'const region = /REGION=(.*)/.exec(readFileSync(".env", "utf8"))![1];',
      'new aws.s3.Bucket("logs", { tags: { region } });',
    ].join("\n");
    const verdicts = async (files: Record<string, string>) => {
      const dir = programCopy("dotenv-", path.join(repoRoot, fx("key-in-read-file")), {
        "index.ts": program,
        ".env": envFile,
        ...files,
      });
      execFileSync("git", ["init", "-q"], { cwd: dir, stdio: "ignore" });
      const { stack } = await scan.program(dir, "prod");
      return stack.findings
        .filter((f) => f.caseId === "E2B-01")
        .map((f) => [f.enforcementLevel, f.message.slice(0, 110)]);
    };
    expect(await verdicts({ ".gitignore": "node_modules/\n.env\n" })).toEqual([
      [
        "advisory",
        expect.stringMatching(
          /^A file the program read, which git ignores, holds E2B key material \(e2b_…4567\) in \.env line 1/,
        ),
      ],
    ]);
    // Committed (nothing ignores it): the key is in the repository.
    expect(await verdicts({})).toEqual([
      [
        "mandatory",
        expect.stringMatching(
          /^A file the program read holds E2B key material \(e2b_…4567\) in \.env line 1/,
        ),
      ],
    ]);
  });

  it("fails a key written in the program even when it goes into an approved store", async () => {
    const { stack } = await scan.program(fx("key-literal-into-store"), "prod");
    expect(e2b01(stack).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The program's code holds E2B key material \(e2b_…7c7c\) in index\.ts line 8, which the program puts into aws:secretsmanager\/secretVersion:SecretVersion 'e2b-api-key-v1'\. The store is the right place at run time, but the literal is committed/,
      ),
    ]);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("fails a key a dynamic provider's functions captured: Pulumi keeps it in the state in plain text", async () => {
    const { stack } = await scan.program(fx("key-in-dynamic-provider"), "prod");
    expect(e2b01(stack).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The dynamic provider of pulumi-nodejs:dynamic:Resource 'agent-volume' holds E2B key material \(e2b_…9f9f\) in its serialized code \(__provider\), which Pulumi stores in plain text in the stack's state/,
      ),
    ]);
    expect(e2b01(stack)[0].urn).toMatch(/::pulumi-nodejs:dynamic:Resource::agent-volume$/);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("judges an undecryptable secret flowing into E2B_API_KEY as it would with the passphrase", async () => {
    const withPass = await scan.program(fx("secret-config-key"), "prod", { passphrase: "correct horse" });
    const without = await scan.program(fx("secret-config-key"), "prod", {});
    expect(status(withPass.stack, "E2B-01")).toBe("fail");
    expect(status(without.stack, "E2B-01")).toBe("fail");
    const msg = e2b01(without.stack)
      .map((f) => f.message)
      .join("\n");
    expect(msg).toMatch(/variable E2B_API_KEY at environment\.variables\.E2B_API_KEY .*unknown at preview/);
    // Decrypted, the secure value is the key, but it is encrypted in the stack file: not plaintext config.
    expect(e2b01(withPass.stack).map((f) => f.message)).not.toContainEqual(
      expect.stringMatching(/^Stack configuration/),
    );
    expectClean(withPass.stack);
    expectClean(without.stack);
  });

  it("leaves a variable named for the key that depends only on its secret inconclusive (its ARN, or its value read at deploy time: preview cannot tell), and fails the store's value or another output under that name, with the passphrase as without", async () => {
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("key-name-holds-secret-arn"), "prod", opts);
      const name = (f: { urn: string }) => f.urn.split("::").pop();
      const failed = e2b01(stack).filter((f) => f.enforcementLevel === "mandatory");
      // The invoke's result carries no dependency on the secret here: judged by the name alone.
      expect(failed.map(name).sort()).toEqual(["by-bucket", "by-value", "read-at-deploy"]);
      const open = stack.findings.filter((f) => f.caseId === "E2B-01" && f.inconclusive);
      expect(open.map(name)).toEqual(["by-arn"]);
      expect(open[0].message).toMatch(
        /depends on no key holder but aws:secretsmanager\/secret:Secret 'e2b_api_key'/,
      );
      expect(status(stack, "E2B-01")).toBe("fail");
      expectClean(stack);
    }
  });

  it("fails a handler whose serialized closure captures the undecryptable key, or a value applied or interpolated from it, as it does with the passphrase", async () => {
    const withPass = await scan.program(fx("secret-config-closure"), "prod", { passphrase: "correct horse" });
    const without = await scan.program(fx("secret-config-closure"), "prod", {});
    const failing = (stack: typeof without.stack) =>
      [...new Set(e2b01(stack).map((f) => f.urn.split("::").pop()))].sort();
    // Not the handler that captures an unrelated token.
    expect(failing(withPass.stack)).toEqual(["agent-env", "agent-proxy", "agent-runner"]);
    expect(failing(without.stack)).toEqual(["agent-env", "agent-proxy", "agent-runner"]);
    expect(e2b01(without.stack)[0].message).toMatch(
      /property code takes its value from secret config secret-config-closure:e2bApiKey \(not decrypted here\)/,
    );
    // The rest of the serialized code is kept for the scan; the capture reads as the config key.
    const runner = without.graph.resources.find(
      (r) => r.type === "aws:lambda/function:Function" && r.name === "agent-runner",
    )!;
    // A secret: the SDK marks code that captured a secret as one.
    const code = (runner.inputs.code as { value: { assets: Record<string, { text: string }> } }).value;
    expect(code.assets["__index.js"].text).toContain("[secret secret-config-closure:e2bApiKey]");
    expect(runner.propertyDependencies.code).toEqual([
      expect.stringMatching(/::e2b-guardrails:offline:UndecryptedConfig::secret-config-closure:e2bApiKey$/),
    ]);
    // The key the handlers are given makes them consumers of it in both modes: every case reads the
    // same (rt49 #6, real42 #5: E2B-02, E2B-06 and E2B-08 were not applicable with the passphrase).
    const verdicts = (stack: typeof without.stack) => stack.cases.map((c) => `${c.id} ${c.status}`);
    expect(verdicts(withPass.stack)).toEqual(verdicts(without.stack));
    expect(status(withPass.stack, "E2B-02")).toBe("pass");
    expectClean(withPass.stack);
    expectClean(without.stack);
  });

  it("judges a value the program derives from the key (its digits, upper-cased, reversed) the same with the passphrase as without (rt50 #6)", async () => {
    const dir = programCopy("derived-key-", path.join(repoRoot, fx("secret-config-closure")), {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const key = new pulumi.Config().requireSecret("e2bApiKey");',
        'const role = "arn:aws:iam::1:role/r";',
        'new aws.lambda.Function("digits", { role, runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { TOKEN: key.apply((k) => k.slice(4)) } } });',
        'new aws.lambda.Function("backwards", { role, runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { TOKEN: key.apply((k) => [...k].reverse().join("")) } } });',
        "const upper = key.apply((k) => k.toUpperCase());",
        'new aws.lambda.CallbackFunction("upper", { role, callback: async () => upper.get().length });',
      ].join("\n"),
    });
    const withPass = await scan.program(dir, "prod", { passphrase: "correct horse" });
    const without = await scan.program(dir, "prod", {});
    const verdicts = (stack: typeof without.stack) => stack.cases.map((c) => `${c.id} ${c.status}`);
    expect(verdicts(withPass.stack)).toEqual(verdicts(without.stack));
    const failing = (stack: typeof without.stack) =>
      [...new Set(e2b01(stack).map((f) => f.urn.split("::").pop()))].sort();
    expect(failing(withPass.stack)).toEqual(["backwards", "digits", "upper"]);
    expect(failing(without.stack)).toEqual(["backwards", "digits", "upper"]);
    expectClean(withPass.stack);
  });

  it("fails the key combined with an output not known at preview (ECS container definitions, a handler's captured settings), with the passphrase as without it", async () => {
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("secret-config-combined"), "prod", opts);
      // The task definition, judged by the config key's name; not the secret the key is stored in.
      const failing = e2b01(stack).map((f) => f.urn.split("::").pop());
      expect([opts, [...failing].sort()]).toEqual([opts, ["agent-runner", "agents"]]);
      expect(e2b01(stack).map((f) => f.message)).toContainEqual(
        expect.stringMatching(
          /property containerDefinitions takes its value from secret config secret-config-combined:e2bApiKey/,
        ),
      );
      expect(status(stack, "E2B-01")).toBe("fail");
      expectClean(stack);
    }
  });

  it("judges a handler alone that captures the key, or a value only named about E2B, combined with an output not known at preview, the same with the passphrase as without", async () => {
    // Only the handler: nothing else in the stack shows E2B, so the capture is the case's evidence.
    const handlerOnly = (configKey: string) => `import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
const secret = new pulumi.Config().requireSecret("${configKey}");
const lb = new aws.lb.LoadBalancer("web", { loadBalancerType: "application", subnets: ["subnet-a"] });
const settings = pulumi.all([lb.dnsName, secret]).apply(([dnsName, k]) => ({ url: \`http://\${dnsName}\`, k }));
new aws.lambda.CallbackFunction("agent-runner", { callback: async () => settings.get().url });
`;
    const yaml = readFileSync(path.join(repoRoot, fx("secret-config-combined"), "Pulumi.prod.yaml"), "utf8");
    for (const [configKey, verdict] of [
      ["e2bApiKey", "fail"],
      ["e2bKey", "inconclusive"],
    ]) {
      const dir = programCopy("handler-only-", path.join(repoRoot, fx("secret-config-combined")), {
        "index.ts": handlerOnly(configKey),
        "Pulumi.prod.yaml": yaml.replace(
          "secret-config-combined:e2bApiKey",
          `secret-config-combined:${configKey}`,
        ),
      });
      for (const opts of [{ passphrase: "correct horse" }, {}]) {
        const { stack } = await scan.program(dir, "prod", opts);
        expect([configKey, opts, status(stack, "E2B-01")]).toEqual([configKey, opts, verdict]);
        expectClean(stack);
      }
    }
  });

  it("fails a stack output that combines the key with an output not known at preview, with the passphrase as without it", async () => {
    // rt38 #6: `${api.apiEndpoint}/run?token=${key}` exported FAILed without the passphrase, read N/A with it.
    const program = `import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
const key = new pulumi.Config().requireSecret("e2bApiKey");
const lb = new aws.lb.LoadBalancer("web", { loadBalancerType: "application", subnets: ["subnet-a"] });
export const callbackUrl = pulumi.interpolate\`http://\${lb.dnsName}/run?token=\${key}\`;
`;
    const dir = programCopy("output-combined-", path.join(repoRoot, fx("secret-config-combined")), {
      "index.ts": program,
    });
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(dir, "prod", opts);
      expect([opts, status(stack, "E2B-01")]).toEqual([opts, "fail"]);
      expect(e2b01(stack).map((f) => f.message)).toEqual([
        expect.stringMatching(
          /exports stack output callbackUrl from secret config secret-config-combined:e2bApiKey/,
        ),
      ]);
      expectClean(stack);
    }
  });

  it("leaves E2B-01 inconclusive, not unjudged, when the key in secret config goes where preview cannot see, with or without the passphrase", async () => {
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("secret-config-in-apply"), "prod", opts);
      expect([opts, status(stack, "E2B-01")]).toEqual([opts, "inconclusive"]);
      expect(e2b01(stack)).toEqual([]);
      expect(stack.findings.map((f) => f.message)).toContainEqual(
        expect.stringMatching(
          /^Secret stack configuration secret-config-in-apply:e2bApiKey( holds the E2B key \(e2b_…c3d4\), and no value preview could see holds it or takes it|, whose name says it is the E2B key \(not decrypted here\), feeds no value preview could see): the program may pass it into a value not known yet/,
        ),
      );
      expectClean(stack);
    }
  });

  it("judges E2B-02, E2B-06 and E2B-08 with and without the passphrase when the key feeds an env map built in an apply, whatever its config key (real35 bug 2, rt41 #1, #2)", async () => {
    // Without the passphrase the whole map is hidden: no E2B_API_KEY name is seen, but the stack
    // still plainly hands the key to a function. Before, those cases read not-applicable there; and
    // E2B-06 cannot see whether the hidden map holds sandbox env vars, so it cannot pass.
    const from = path.join(repoRoot, fx("secret-config-env-map-in-apply"));
    for (const configKey of ["e2bApiKey", "e2bKey"]) {
      const renamed = (file: string) =>
        readFileSync(path.join(from, file), "utf8").replaceAll("e2bApiKey", configKey);
      const dir = programCopy("env-map-in-apply-", from, {
        "index.ts": renamed("index.ts"),
        "Pulumi.prod.yaml": renamed("Pulumi.prod.yaml"),
      });
      const judged = [];
      for (const opts of [{ passphrase: "correct horse" }, {}]) {
        const { stack } = await scan.program(dir, "prod", opts);
        judged.push(["E2B-01", "E2B-02", "E2B-06", "E2B-08"].map((id) => status(stack, id)));
        expectClean(stack);
      }
      expect([configKey, judged[0]]).toEqual([configKey, ["fail", "pass", "pass", "pass"]]);
      expect([configKey, judged[1]]).toEqual([
        configKey,
        [configKey === "e2bApiKey" ? "fail" : "inconclusive", "pass", "inconclusive", "pass"],
      ]);
    }
  });

  it("leaves E2B-01 inconclusive, not passed, when a closure captures a hidden value only named about E2B (e2bKey, e2bApiKeySecretName)", async () => {
    const fn = (name: string, configKey: string): GraphResource => ({
      urn: `urn:pulumi:prod::shop::aws:lambda/function:Function::${name}`,
      type: "aws:lambda/function:Function",
      name,
      custom: true,
      dependencies: [],
      // As the offline engine records a closure that captured the value: the code kept, the capture named.
      propertyDependencies: {
        code: [`urn:pulumi:prod::shop::e2b-guardrails:offline:UndecryptedConfig::${configKey}`],
      },
      inputs: {
        code: {
          "4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7",
          assets: {
            "__index.js": {
              "4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17",
              text: `exports.handler = async () => fetch(url, { headers: { k: "[secret ${configKey}]" } });`,
            },
          },
        },
      },
      outputs: {},
    });
    for (const configKey of ["shop:e2bKey", "shop:e2bApiKeySecretName"]) {
      const { stack } = await scan.graph(shopProgram([fn("agent", configKey)]));
      expect([configKey, status(stack, "E2B-01")]).toEqual([configKey, "inconclusive"]);
      expect(e2b01(stack)).toEqual([]);
      expect(stack.findings.map((f) => f.message)).toContainEqual(
        expect.stringContaining(
          `value at code is hidden at preview (the secret config value ${configKey}, which could not be decrypted)`,
        ),
      );
    }
  });

  it("holds a baseline written with the passphrase in a run without it, and the reverse", async () => {
    for (const fixture of ["secret-config-closure", "secret-config-key"]) {
      const withPass = await scan.program(fx(fixture), "prod", { passphrase: "correct horse" });
      const without = await scan.program(fx(fixture), "prod", {});
      for (const [from, run] of [
        [withPass, without],
        [without, withPass],
      ]) {
        const file = path.join(tmpDir("baseline-"), "baseline.json");
        writeFileSync(file, renderJson(from.report));
        const out = applyBaseline(run.report, loadBaseline(file));
        const stack = out.stacks[0];
        const mandatory = (fs: Finding[]) => fs.filter((f) => f.enforcementLevel === "mandatory");
        expect([fixture, mandatory(stack.findings.filter((f) => f.baseline === "new"))]).toEqual([
          fixture,
          [],
        ]);
        expect(e2b01(stack).length).toBeGreaterThan(0);
        expect(status(stack, "E2B-01")).toBe("pass");
        expect(mandatory(stack.fixed ?? [])).toEqual([]);
        // Only the note that an unrelated hidden value was not checked comes and goes with the passphrase.
        for (const f of [...stack.findings.filter((x) => x.baseline === "new"), ...(stack.fixed ?? [])])
          expect(f.message).toMatch(/slackToken, which could not be decrypted\) and was not checked/);
      }
    }
  });

  it("passes a key kept in stores and handed to runtimes by reference (secretKeyRef, an ECS secret's ARN), with or without the passphrase", async () => {
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("k8s-secret-reference"), "prod", opts);
      expect([opts, e2b01(stack).map((f) => f.message)]).toEqual([opts, []]);
      expect(status(stack, "E2B-01")).toBe("pass");
      expectClean(stack);
    }
  });

  it("passes the key kept in a container app's secrets and read through secretRef, and fails it as a plain env var, with or without the passphrase", async () => {
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("container-apps-secret"), "prod", opts);
      // The app that keeps it in `configuration.secrets` and the front end calling that app's address
      // get nothing; the app that passes it as an env var value fails, seen or judged by its config key.
      expect([opts, e2b01(stack).map((f) => f.urn.split("::").pop())]).toEqual([opts, ["agents-worker"]]);
      expect(e2b01(stack).map((f) => f.message)).toEqual([
        expect.stringMatching(
          /'agents-worker' (holds an E2B API key .* at template\.containers\[0\]\.env\[0\]\.value|property template takes its value from secret config)/,
        ),
      ]);
      expect(status(stack, "E2B-01")).toBe("fail");
      expectClean(stack);
    }
  });

  it("reads a monorepo's shared code the program loads from outside its folder, up to the repository's root", async () => {
    // repo/.git, repo/packages/settings (a key committed there), repo/infra (the Pulumi program).
    const repo = tmpDir("monorepo-");
    mkdirSync(path.join(repo, ".git"));
    mkdirSync(path.join(repo, "packages/settings"), { recursive: true });
    writeFileSync(
      path.join(repo, "packages/settings/index.js"),
      `module.exports = { region: "eu-west-1", sandboxKey: "e2b_${PLANTED[1]}" };\n`,
    );
    const infra = programCopy("unused-", fx("no-e2b"));
    cpSync(infra, path.join(repo, "infra"), { recursive: true, dereference: false });
    writeFileSync(
      path.join(repo, "infra/index.ts"),
      'import * as aws from "@pulumi/aws";\nconst settings = require("../packages/settings");\nnew aws.s3.BucketV2("logs", { tags: { region: settings.region } });\n',
    );
    const { stack } = await scan.program(path.join(repo, "infra"), "dev");
    expect(e2b01(stack).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The program's code holds E2B key material \(e2b_…[0-9a-f]{4}\) in \.\.\/packages\/settings\/index\.js line 1/,
      ),
    ]);
    expectClean(stack);
  });

  it("fails a key left in the stack's file outside its config values, a commented-out line", async () => {
    const { stack } = await scan.program(fx("stack-file-comment"), "prod");
    expect(e2b01(stack).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The stack's config file holds E2B key material \(e2b_…[0-9a-f]{4}\) in Pulumi\.prod\.yaml line 3, outside any value/,
      ),
    ]);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("lists a secret it could not decrypt for a stack with no other E2B trace: not applicable, with the values named", async () => {
    const withPass = await scan.program(fx("secret-config-into-settings"), "neutral", {
      passphrase: "correct horse",
    });
    expect(status(withPass.stack, "E2B-01")).toBe("fail");
    // Without it nothing shows E2B use, so the case cannot apply; the report says what it could not see:
    // the value alone, and the value combined with an output not known yet.
    const { stack } = await scan.program(fx("secret-config-into-settings"), "neutral", {});
    const e01 = stack.cases.find((c) => c.id === "E2B-01")!;
    expect(e01.status).toBe("not-applicable");
    expect(e01.unknown?.map((u) => u.path).sort()).toEqual(["environment", "environment.variables.SETTINGS"]);
    expect(e01.findings.map((f) => [f.enforcementLevel, f.message]).sort()).toEqual([
      [
        "advisory",
        expect.stringMatching(
          /'agent' property environment is not known at preview and takes a value from the secret config value secret-config-into-settings:token, which could not be decrypted, combined with an output not known yet/,
        ),
      ],
      [
        "advisory",
        expect.stringMatching(
          /'worker' value at environment\.variables\.SETTINGS is hidden at preview \(the secret config value secret-config-into-settings:token, which could not be decrypted\)/,
        ),
      ],
    ]);
    expectClean(stack);
  });

  it("does not fail a stack output named as the key's fingerprint without the passphrase: inconclusive, then judged by its value", async () => {
    // The README re-exports the E2BEnvironment's keyFingerprint; an imported key made it a FAIL
    // without the passphrase and a PASS with it. Hidden, a derivative cannot be told from the key
    // exported under that name, so the case waits for the value.
    const withPass = await scan.program(fx("key-fingerprint-output"), "dev", { passphrase: "correct horse" });
    expect(status(withPass.stack, "E2B-01")).toBe("pass");
    expectClean(withPass.stack);
    const { stack } = await scan.program(fx("key-fingerprint-output"), "dev", {});
    expect(status(stack, "E2B-01")).toBe("inconclusive");
    expect(e2b01(stack)).toEqual([]);
    const listed = stack.findings.filter((f) => f.caseId === "E2B-01");
    expect(listed.map((f) => [f.enforcementLevel, f.path, f.inconclusive])).toEqual([
      ["advisory", "keyFingerprint", true],
    ]);
    expectClean(stack);
  });

  it("names a neutral secret it could not decrypt wherever it is written in the open: SSM String, public variable, stack output", async () => {
    const withPass = await scan.program(fx("secret-config-in-the-open"), "dev", {
      passphrase: "correct horse",
    });
    expect(status(withPass.stack, "E2B-01")).toBe("fail");
    const failed = new Set(e2b01(withPass.stack).map((f) => f.urn.split("::").pop()));
    expect([...failed].sort()).toEqual(["secret-config-in-the-open-dev", "settings", "web-settings"]);
    // Without the passphrase nothing shows E2B use, but each value is said to be hidden; the
    // SecureString parameter is a store, as it is with the passphrase.
    const { stack } = await scan.program(fx("secret-config-in-the-open"), "dev", {});
    const e01 = stack.cases.find((c) => c.id === "E2B-01")!;
    expect(e01.status).toBe("not-applicable");
    expect(e01.findings.map((f) => [f.enforcementLevel, f.urn.split("::").pop(), f.path])).toEqual(
      expect.arrayContaining([
        ["advisory", "settings", "value"],
        ["advisory", "web-settings", "value"],
        ["advisory", "secret-config-in-the-open-dev", "settings"],
      ]),
    );
    expect(e01.findings.some((f) => f.urn.endsWith("::settings-secure"))).toBe(false);
    expectClean(stack);
  });

  it("reads a structured secret's E2B leaf written into user data beside a generated token as inconclusive, with or without the passphrase", async () => {
    // The openclaw examples' shape: without the passphrase this read PASS, with no finding at all.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("secret-leaf-in-user-data"), "prod", opts);
      expect([opts, status(stack, "E2B-01")]).toEqual([opts, "inconclusive"]);
      expectClean(stack);
    }
    const { stack } = await scan.program(fx("secret-leaf-in-user-data"), "prod", {});
    expect(stack.findings.find((f) => f.caseId === "E2B-01")?.message).toMatch(
      /'agent' property userData is not known at preview and takes a value from the secret config value secret-leaf-in-user-data:agent, whose secure leaf sandbox\.e2bApiKey is about E2B/,
    );
  });

  it("never passes a value hidden from no resource whose only source is secret config named about E2B", async () => {
    // `e2bKey` into SETTINGS: the variable's name says nothing, the config key says E2B.
    const withPass = await scan.program(fx("secret-config-into-settings"), "named", {
      passphrase: "correct horse",
    });
    expect(status(withPass.stack, "E2B-01")).toBe("fail");
    const { stack } = await scan.program(fx("secret-config-into-settings"), "named", {});
    expect(status(stack, "E2B-01")).toBe("inconclusive");
    const f = stack.findings.find((x) => x.caseId === "E2B-01" && x.urn.endsWith("::worker"))!;
    expect(f.message).toMatch(
      /SETTINGS is hidden at preview .* its config key \(secret-config-into-settings:e2bKey\) says it is about E2B/,
    );
    expectClean(stack);
  });

  it("judges a property fed by an undecryptable secret config value by the config key's name, as the value itself", async () => {
    const withPass = await scan.program(fx("secret-config-provenance"), "prod", {
      passphrase: "correct horse",
    });
    const without = await scan.program(fx("secret-config-provenance"), "prod", {});
    // A resource named from the key is `named-<key>` with the passphrase, `named-[secret …]` without.
    const failing = (stack: typeof without.stack) =>
      [
        ...new Set(
          e2b01(stack).map((f) =>
            f.urn
              .split("::")
              .pop()!
              .replace(/^named-.*/, "named-…"),
          ),
        ),
      ].sort();
    // The dynamic resource's input, the header built with interpolate, the plain String parameter,
    // the stack reference's name, the value read with a plain getter, the stack's and a component's
    // outputs; not the
    // stores (the secret, the SecureString), not the database.
    const expected = [
      "agent-settings",
      "agent-template",
      "key-plain",
      "keyed-map",
      "named-…",
      "plain-getter",
      "proxy",
      "ref",
      "secret-config-provenance-prod",
    ];
    expect(failing(withPass.stack)).toEqual(expected);
    expect(failing(without.stack)).toEqual(expected);
    expect(status(without.stack, "E2B-01")).toBe("fail");
    expect(status(withPass.stack, "E2B-01")).toBe("fail");
    expect(e2b01(without.stack).map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^pulumi-nodejs:dynamic:Resource 'agent-template' property apiKey takes its value from secret config secret-config-provenance:e2bApiKey \(not decrypted here\), whose name says it is the E2B key \(E2B_API_KEY\)/,
        ),
        expect.stringMatching(
          /^aws:ssm\/parameter:Parameter 'named-\[secret secret-config-provenance:e2bApiKey\]' is named from secret config secret-config-provenance:e2bApiKey/,
        ),
      ]),
    );
    // Stack outputs reach the engine without their dependencies: the preload keeps the config key.
    const exported = (stack: typeof without.stack) =>
      e2b01(stack)
        .filter((f) => f.urn.endsWith("::secret-config-provenance-prod"))
        .map((f) => f.message.match(/stack output ([\w.]+)/)?.[1]?.split(".")[0])
        .sort();
    expect(exported(withPass.stack)).toEqual(["agentKey", "upstream", "viaApply"]);
    expect(exported(without.stack)).toEqual(["agentKey", "upstream", "viaApply"]);
    expect(e2b01(without.stack).map((f) => f.message)).toContain(
      "pulumi:pulumi:Stack 'secret-config-provenance-prod' exports stack output agentKey from secret config secret-config-provenance:e2bApiKey (not decrypted here), whose name says it is the E2B key (E2B_API_KEY). Hidden from this preview, it is judged as the key exported. Export the secret's name, not the key.",
    );
    // The database password is another secret: listed as hidden, never judged as the key.
    const advice = without.stack.findings.filter((f) => f.urn.endsWith("::db")).map((f) => f.message);
    expect(advice).toEqual([
      expect.stringMatching(
        /password is hidden at preview \(the secret config value secret-config-provenance:dbPassword, which could not be decrypted\)/,
      ),
    ]);
    expect(without.stack.findings.find((f) => f.urn.endsWith("::db"))?.enforcementLevel).toBe("advisory");
    // The front end's public variable holds the password: listed as hidden, and no case is left
    // inconclusive by it, as with the passphrase it would be judged as the password it is.
    for (const { stack } of [withPass, without])
      expect(stack.cases.flatMap((c) => c.findings).filter((f) => f.inconclusive)).toEqual([]);
    expectClean(withoutUrns(withPass.stack));
    expectClean(withoutUrns(without.stack));
  });

  it("says which values hold compressed data it did not read to the end, in inputs and in outputs, never passing them in silence", async () => {
    // 1 MiB of zeros, then a key, in 1.4 KB of base64: past what so short a text may inflate to.
    const late = gzipSync(Buffer.concat([Buffer.alloc(1024 * 1024), Buffer.from(KEY)])).toString("base64");
    const queue = (name: string, inputs: WireObject, outputs: WireObject): GraphResource => ({
      urn: `urn:pulumi:prod::shop::aws:sqs/queue:Queue::${name}`,
      type: "aws:sqs/queue:Queue",
      name,
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      inputs,
      outputs,
    });
    const { stack } = await scan.graph(
      shopProgram([
        queue("jobs", { tags: { payload: late } }, { tags: { payload: late } }),
        queue("results", { name: "results" }, { name: "results", policy: late }),
      ]),
    );
    const advisories = stack.findings
      .filter((f) => f.enforcementLevel === "advisory")
      .map((f) => f.message)
      .sort();
    expect(advisories).toEqual([
      expect.stringMatching(
        /^aws:sqs\/queue:Queue 'jobs' holds compressed data that was not read to its end, so it was not fully checked for E2B keys: tags\.payload\. A compressed stream is read up to 32 times/,
      ),
      expect.stringMatching(/^aws:sqs\/queue:Queue 'results' outputs holds compressed data .*: policy\./),
    ]);
    expectClean(stack);
  });

  it("finds a key in a resource's options: an alias, an ignoreChanges path, an additional secret output", async () => {
    const bucket: GraphResource = {
      urn: "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::assets",
      type: "aws:s3/bucket:Bucket",
      name: "assets",
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      inputs: { bucket: "assets" },
      outputs: { bucket: "assets" },
      options: {
        aliases: [`urn:pulumi:prod::shop::aws:s3/bucket:Bucket::${KEY}`],
        ignoreChanges: [`tags.${KEY2}`],
        additionalSecretOutputs: ["bucket"],
      },
    };
    const { stack } = await scan.graph(shopProgram([bucket]));
    expect(
      e2b01(stack)
        .map((f) => f.message)
        .sort(),
    ).toEqual([
      expect.stringContaining("(e2b_…4567) in its aliases (a resource option) at options.aliases[0]"),
      expect.stringContaining("in its ignoreChanges (a resource option) at options.ignoreChanges[0]"),
    ]);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("escapes a hidden-key output's or property's name that holds a line break or a terminal escape", async () => {
    // What the offline engine records for `exports["agent\nKey…"] = config.requireSecret("e2bApiKey")`
    // and a resource input under such a name, without the passphrase.
    const marker = "urn:pulumi:prod::shop::e2b-guardrails:offline:UndecryptedConfig::shop:e2bApiKey";
    const odd = "agent\nKey\u001b[2J";
    const res = (type: string, name: string, values: WireObject): GraphResource => ({
      urn: `urn:pulumi:prod::shop::${type}::${name}`,
      type,
      name,
      custom: type !== "pulumi:pulumi:Stack",
      dependencies: [],
      propertyDependencies: { [odd]: [marker] },
      inputs: type === "pulumi:pulumi:Stack" ? {} : values,
      outputs: values,
    });
    const unknown = { [odd]: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" };
    const { stack } = await scan.graph(
      shopProgram([
        res("pulumi:pulumi:Stack", "shop-prod", unknown),
        res("aws:sqs/queue:Queue", "jobs", unknown),
      ]),
    );
    const messages = e2b01(stack).map((f) => f.message);
    expect(messages).toEqual([
      expect.stringContaining(
        `property "agent\\nKey\\u001b[2J" takes its value from secret config shop:e2bApiKey`,
      ),
      expect.stringContaining(
        `exports stack output "agent\\nKey\\u001b[2J" from secret config shop:e2bApiKey`,
      ),
    ]);
  });

  it("leaves E2B-01 inconclusive, not passed, when a hidden structured secret with a secure e2b.apiKey leaf feeds a property", async () => {
    const withPass = await scan.program(fx("secret-structured-config"), "prod", {
      passphrase: "correct horse",
    });
    const without = await scan.program(fx("secret-structured-config"), "prod", {});
    expect(status(withPass.stack, "E2B-01")).toBe("fail");
    // Which leaf the function took is hidden; the leaves' names are not.
    expect(status(without.stack, "E2B-01")).toBe("inconclusive");
    const findings = without.stack.findings.filter((f) => f.caseId === "E2B-01");
    expect(findings.map((f) => [f.urn.split("::").pop(), f.message, f.enforcementLevel])).toEqual([
      [
        "api",
        expect.stringContaining(
          "AGENT_TOKEN is hidden at preview (the secret config value secret-structured-config:agents, which could not be decrypted) and was not checked for E2B key material; secret-structured-config:agents's secure leaf e2b.apiKey says it is about E2B, so E2B-01 is inconclusive",
        ),
        "advisory",
      ],
    ]);
  });

  it("fails a plaintext key beside a secure leaf of one structured config value, with or without the passphrase", async () => {
    // `pulumi config set --path --secret settings.db.password` then `--path settings.e2b.apiKey`
    // without --secret: the value is secret as a whole, but the key is in the file as written.
    const dir = programCopy("mixed-config-", fx("secret-config-provenance"));
    const file = path.join(dir, "Pulumi.prod.yaml");
    const secure = readFileSync(file, "utf8").match(/dbPassword:\n\s+secure: (\S+)/)![1];
    appendFileSync(
      file,
      `  secret-config-provenance:settings:\n    db:\n      password:\n        secure: ${secure}\n    e2b:\n      apiKey: ${KEY2}\n` +
        // A key used as a secure value's config key name: the name is in the file as written.
        `  secret-config-provenance:${KEY}:\n    secure: ${secure}\n`,
    );
    for (const passphrase of ["correct horse", undefined]) {
      const { stack } = await scan.program(dir, "prod", passphrase ? { passphrase } : {});
      const config = e2b01(stack).filter((f) => /^Stack configuration/.test(f.message));
      expect(config.map((f) => f.message).sort()).toEqual([
        expect.stringMatching(/^Stack configuration names a key with E2B key material \(e2b_…[0-9a-f]{4}\)/),
        expect.stringMatching(
          /^Stack configuration secret-config-provenance:settings holds E2B key material \(e2b_…ba98\) in plaintext at secret-config-provenance:settings\{json\}\.e2b\.apiKey: .*`pulumi config set --path --secret secret-config-provenance:settings\.e2b\.apiKey`/,
        ),
      ]);
      expectClean(withoutUrns(stack));
    }
  });

  it("finds keys in URN segments, references, outputs and external resources of a stack export", async () => {
    const base = "urn:pulumi:prod::shop";
    const res = (name: string, extra: Record<string, unknown>) => ({
      urn: `${base}::aws:s3/bucket:Bucket::${name}`,
      custom: true,
      type: "aws:s3/bucket:Bucket",
      id: name,
      inputs: {},
      outputs: {},
      ...extra,
    });
    const report = await auditExport([
      {
        urn: `${base}::pulumi:pulumi:Stack::shop-prod`,
        custom: false,
        type: "pulumi:pulumi:Stack",
        outputs: { shown: { ...SECRET_SIG, plaintext: JSON.stringify(KEY2) } },
      },
      res(`in-name-${KEY}`, {}),
      res("outputs-only", { inputs: { bucket: "b" }, outputs: { bucket: "b", website: { note: KEY } } }),
      res("external", { external: true, outputs: { policy: JSON.stringify({ k: KEY2 }) } }),
      res("parent-ref", { parent: `${base}::pulumi:pulumi:Stack::x-${KEY}` }),
      res(`d-${KEY2}`, {}),
      // A reference to a URN the export does not hold: only the reference carries the key.
      res("dependency", { dependencies: [`${base}::aws:s3/bucket:Bucket::gone-${KEY2}`] }),
      // A reference to a resource of the export repeats its URN: reported once, on that resource.
      res("dependent", {
        dependencies: [`${base}::aws:s3/bucket:Bucket::d-${KEY2}`],
        propertyDependencies: { bucket: [`${base}::aws:s3/bucket:Bucket::d-${KEY2}`] },
        parent: `${base}::aws:s3/bucket:Bucket::d-${KEY2}`,
      }),
      res("deep-name", { inputs: { a: { b: [{ c: { [`x_${KEY}`]: true } }] } } }),
      res("base64-of-base64", {
        inputs: {
          userData: Buffer.from(Buffer.from(`E2B=${KEY}`).toString("base64")).toString("base64"),
        },
      }),
      res("data-uri", {
        inputs: { body: `data:text/plain;base64,${Buffer.from(KEY).toString("base64")}` },
      }),
      res("percent", { inputs: { url: `https://x.test/?q=%7B%22k%22%3A%22${KEY2}%22%7D` } }),
      res("url-safe", { inputs: { blob: Buffer.from(`??>${KEY}??>`).toString("base64url") } }),
      res("escaped-newline", {
        inputs: { pem: `-----BEGIN-----\\n${KEY.toUpperCase()}\\n-----END-----` },
      }),
    ]);
    const stack = report.stacks[0];
    const byName = new Map<string, string>();
    for (const f of e2b01(stack)) {
      const n = f.urn.split("::").pop()!;
      byName.set(n, `${byName.get(n) ?? ""}\n${f.message}`);
    }
    const at = (name: string) => [...byName].find(([n]) => n.startsWith(name))?.[1] ?? "";
    expect(at("shop-prod")).toMatch(/stack output shown/);
    expect(at("in-name-")).toMatch(/in its URN at urn/);
    expect(at("outputs-only")).toMatch(/in its outputs at outputs\.website\.note/);
    expect(at("external")).toMatch(/read or external resource/);
    expect(at("external").match(/e2b_…ba98/g)).toHaveLength(1);
    expect(at("parent-ref")).toMatch(/in its parent reference/);
    expect(at("dependency")).toMatch(/in its dependencies at dependencies\[0\]/);
    expect(at("d-")).toMatch(/in its URN at urn/);
    expect(at("dependent")).toBe("");
    expect(at("deep-name")).toMatch(/\(property name\)/);
    expect(at("base64-of-base64")).toMatch(/base64-encoded, then base64-encoded/);
    expect(at("data-uri")).toMatch(/at body \(base64-encoded\)/);
    expect(at("percent")).toMatch(/at url,/);
    expect(at("url-safe")).toMatch(/at blob \(base64-encoded\)/);
    expect(at("escaped-newline")).toMatch(/at pem,/);
    expect(status(stack, "E2B-01")).toBe("fail");
    for (const c of ["E2B-02", "E2B-06", "E2B-08"]) expect(status(stack, c)).toBe("not-applicable");
    // The URNs themselves hold keys here (the CLI masks them on output); messages never do.
    expectClean({ ...stack, findings: stack.findings.map((f) => ({ ...f, urn: "" })), cases: [] });
  });

  it("reports a key in the stack's name once, on the stack, not on every resource's URN", async () => {
    const base = `urn:pulumi:s-${KEY}::shop`;
    const bucket = (name: string) => ({
      urn: `${base}::aws:s3/bucket:Bucket::${name}`,
      custom: true,
      type: "aws:s3/bucket:Bucket",
      inputs: {},
      outputs: {},
    });
    const stack = (
      await auditExport([
        {
          urn: `${base}::pulumi:pulumi:Stack::shop-s`,
          custom: false,
          type: "pulumi:pulumi:Stack",
          outputs: {},
        },
        bucket("a"),
        bucket("b"),
        bucket("c"),
      ])
    ).stacks[0];
    expect(e2b01(stack).map((f) => f.urn.split("::").pop())).toEqual(["shop-s"]);
    expect(status(stack, "E2B-01")).toBe("fail");
  });

  it("judges a key nested thousands of levels deep, never dropping the resource", async () => {
    let deep: unknown = { E2B_API_KEY: KEY };
    for (let i = 0; i < 3000; i++) deep = { level: deep };
    const stack = (
      await auditExport([
        {
          urn: "urn:pulumi:prod::deep::aws:ssm/document:Document::runbook",
          custom: true,
          type: "aws:ssm/document:Document",
          id: "runbook",
          inputs: { content: deep },
          outputs: { content: deep },
        },
      ])
    ).stacks[0];
    expect(e2b01(stack).map((f) => f.urn.split("::").pop())).toContain("runbook");
    expect(status(stack, "E2B-01")).toBe("fail");
  });
});
