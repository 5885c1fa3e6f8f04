import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, useScanner } from "../support/scan";
import { encryptWith, newEncryptionSalt } from "../../engine/passphrase";
import { programCopy } from "../support/tmp";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-02-no-cross-environment-key-reference";

describe(P, () => {
  const scan = useScanner();

  it("fails a load-test runtime on prod's secret, a prod ARN in load-test config, a shared reader and a StackReference to prod", async () => {
    const { stack } = await scan.program(fx("cross-env-reference"), "loadtest");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["acme/e2b/prod", "loadtest", "loadtest-runner", "lt-config", "prod"]);
    const msgs = fs.map((f) => f.message).join("\n");
    expect(msgs).toMatch(
      /'loadtest-runner' \(environment load-test\) consumes 'prod-secret' of environment prod through property environment/,
    );
    expect(msgs).toMatch(/references secret 'e2b\/prod\/api-key'/);
    expect(msgs).toMatch(
      /Reader arn:aws:iam::123456789012:role\/prod-runtime may read the keys of environments loadtest and prod/,
    );
    expect(msgs).toMatch(/reads stack 'acme\/e2b\/prod'.*consumed by 'lt-key-ref'/);
    expect(status(stack, "E2B-02")).toBe("fail");
    expectClean(stack);
  });

  it("passes a load-test stack on its own key that reads a DNS zone and subnets from production's platform stacks, listing what it could not check", async () => {
    // rt37 #3: any consumer of another environment's stack was a mandatory failure.
    const { stack } = await scan.program(fx("shared-platform-stacks"), "loadtest");
    const fs = of(stack, P);
    expect(fs.map((f) => [f.enforcementLevel, f.urn.split("::").pop()])).toEqual([
      ["advisory", "acme/dns/prod"],
      ["advisory", "acme/network/production"],
    ]);
    expect(fs[0].message).toMatch(
      /reads stack 'acme\/dns\/prod' \(environment prod\) from stack loadtest .*feed 'load-generator-dns' under names that are not about E2B/,
    );
    expect(status(stack, "E2B-02")).toBe("pass");
    expectClean(stack);
  });

  it("passes environments that each consume their own key", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
  });

  it("tells a StackReference to the stack's own environment from one to another, word by word (real39 bug 3)", async () => {
    // A service stack `<service>-<env>` reads `<org>/infra/<env>` for its key secret's ARN: the remedy.
    const from = path.join(repoRoot, "evals/fixtures/E2B-02/stack-file-copied-to-prod");
    const dir = programCopy("infra-reference-", from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const infra = new pulumi.StackReference(new pulumi.Config().require("infraStack"));',
        'new aws.lambda.Function("agent", { runtime: "nodejs20.x", handler: "index.handler", role: "arn:aws:iam::1:role/r", code: new pulumi.asset.AssetArchive({}),',
        '  environment: { variables: { E2B_API_KEY_SECRET_ARN: infra.getOutput("e2bApiKeySecretArn") } } });',
      ].join("\n"),
    });
    const e2b02 = async (stack: string, infraStack: string) => {
      writeFileSync(
        path.join(dir, `Pulumi.${stack}.yaml`),
        `config:\n  agent-platform:infraStack: ${infraStack}\n`,
      );
      return status((await scan.program(dir, stack)).stack, "E2B-02");
    };
    expect(await e2b02("agent-svc-dev", "acme/infra/dev")).toBe("pass");
    expect(await e2b02("prod-us", "acme/infra/prod")).toBe("pass");
    expect(await e2b02("agent-svc-staging", "acme/infra/prod")).toBe("fail");
  });

  it("fails a StackReference to another environment whose output named for the key the program takes, wherever it goes (real43 #2)", async () => {
    // Offline the outputs are unknown: into an ECS container definition they left no trace but the name.
    const from = path.join(repoRoot, "evals/fixtures/E2B-02/stack-file-copied-to-prod");
    const taking = (output: string, asked = `prod.requireOutput("${output}")`) =>
      programCopy("output-name-", from, {
        "index.ts": [
          'import * as aws from "@pulumi/aws";',
          'import * as pulumi from "@pulumi/pulumi";',
          'const prod = new pulumi.StackReference("acme/agent-platform/prod");',
          `const value = ${asked};`,
          'new aws.ecs.TaskDefinition("agent", { family: "agent", containerDefinitions: pulumi.jsonStringify([{ name: "agent", image: "nginx", environment: [{ name: "SETTING", value }] }]) });',
        ].join("\n"),
        "Pulumi.staging.yaml": "config: {}\n",
      });
    const { stack } = await scan.program(taking("e2bApiKey"), "staging");
    expect(of(stack, P).map((f) => [f.enforcementLevel, f.message])).toEqual([
      [
        "mandatory",
        expect.stringMatching(
          /reads stack 'acme\/agent-platform\/prod' .*; the program takes its output 'e2bApiKey'\. Deploy a key per environment/,
        ),
      ],
    ]);
    expect(status(stack, "E2B-02")).toBe("fail");
    // An output named for something else (a network's id), or about E2B but no key (a template built
    // once and shared, the team's domain), is no evidence of a key (rt52 #5).
    for (const output of [
      "vpcId",
      "e2bTemplateId",
      "e2bDomain",
      "e2bApiKeyArn",
      "e2bKeyVaultUri",
      "e2bApiKeyRotatedAt",
    ])
      expect(status((await scan.program(taking(output), "staging")).stack, "E2B-02")).toBe("not-applicable");
    // The name as an Input (rt52 #5), and the key named `e2bKey`.
    for (const asked of [
      'prod.getOutput(pulumi.output("e2bApiKey"))',
      'prod.requireOutput("e2bKey")',
      'prod.requireOutput("e2bKeys")',
      'prod.requireOutput("e2bToken")',
      'prod.requireOutput("e2bApiSecret")',
    ])
      expect(status((await scan.program(taking("", asked), "staging")).stack, "E2B-02")).toBe("fail");
  });

  it("does not guess the environment of a StackReference whose name is unknown at preview", async () => {
    const { stack } = await scan.program(fx("unknown-stack-reference"), "prod");
    expect(of(stack, P).map((f) => [f.enforcementLevel, f.message])).toEqual([
      ["advisory", expect.stringMatching(/'other' reads a stack whose name is unknown at preview/)],
    ]);
    // Which environment it reads is what the case judges: not a pass until the name is known.
    expect(status(stack, "E2B-02")).toBe("inconclusive");
    expectClean(stack);
  });

  it("runs on preview unknowns without the SDK advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P)).toEqual([]);
    expectClean(stack);
  });
});

describe(`${P} across a project's stack files`, () => {
  const scan = useScanner();
  it("fails a copied ciphertext under any config key the program hands to E2B_API_KEY or stores as the E2B key, without the passphrase as with it (rt40 #1)", async () => {
    const from = path.join(repoRoot, "evals/fixtures/E2B-02/stack-file-copied-to-prod");
    const renamed = (file: string) =>
      readFileSync(path.join(from, file), "utf8").replaceAll("e2bApiKey", "sandboxToken");
    const program = (use: string) =>
      [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const token = new pulumi.Config().requireSecret("sandboxToken");',
        use,
      ].join("\n");
    for (const [mode, use] of [
      [
        "into E2B_API_KEY",
        'new aws.lambda.Function("agent", { runtime: "nodejs20.x", handler: "index.handler", role: "arn:aws:iam::1:role/r", code: new pulumi.asset.AssetArchive({}), environment: { variables: { E2B_API_KEY: token } } });',
      ],
      [
        "stored as e2b-api-key",
        'const secret = new aws.secretsmanager.Secret("e2b-api-key"); new aws.secretsmanager.SecretVersion("e2b-api-key-v1", { secretId: secret.id, secretString: token });',
      ],
    ]) {
      const dir = programCopy("stack-file-token-", from, {
        "index.ts": program(use),
        "Pulumi.prod.yaml": renamed("Pulumi.prod.yaml"),
        "Pulumi.staging.yaml": renamed("Pulumi.staging.yaml"),
      });
      for (const opts of [{}, { passphrase: "correct horse" }]) {
        const { stack } = await scan.program(dir, "prod", opts);
        expect([mode, opts, status(stack, "E2B-02")]).toEqual([mode, opts, "fail"]);
      }
    }
  });

  it("does not take another secret beside the key's variable for the key: a copied OpenAI key is no shared E2B key (real38 bug 1)", async () => {
    // Dependencies are known per top-level property, so both secrets feed `environment`.
    const from = path.join(repoRoot, "evals/fixtures/E2B-02/stack-file-copied-to-prod");
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    const openai = encryptWith(key, "sk-openai-shared-between-environments");
    const file = (e2bKey: string, names: [string, string]) =>
      [
        `encryptionsalt: ${encryptionsalt}`,
        "config:",
        "  aws:region: us-east-1",
        `  agent-platform:${names[0]}:`,
        `    secure: ${encryptWith(key, e2bKey)}`,
        `  agent-platform:${names[1]}:`,
        `    secure: ${openai}`,
        "",
      ].join("\n");
    const verdicts = async (names: [string, string]) => {
      const dir = programCopy("beside-the-key-", from, {
        "index.ts": [
          'import * as aws from "@pulumi/aws";',
          'import * as pulumi from "@pulumi/pulumi";',
          "const config = new pulumi.Config();",
          'new aws.lambda.Function("agent", { runtime: "nodejs20.x", handler: "index.handler", role: "arn:aws:iam::1:role/r", code: new pulumi.asset.AssetArchive({}),',
          `  environment: { variables: { E2B_API_KEY: config.requireSecret("${names[0]}"), OPENAI_API_KEY: config.requireSecret("${names[1]}") } } });`,
        ].join("\n"),
        "Pulumi.staging.yaml": file(`e2b_${"1a".repeat(20)}`, names),
        "Pulumi.prod.yaml": file(`e2b_${"2b".repeat(20)}`, names),
      });
      const out = [];
      for (const opts of [{}, { passphrase: "correct horse" }])
        out.push(status((await scan.program(dir, "prod", opts)).stack, "E2B-02"));
      return out;
    };
    // The key's config is named for it: the other value is not it.
    expect(await verdicts(["e2bApiKey", "openaiApiKey"])).toEqual(["inconclusive", "pass"]);
    // Neither name says which is the key: the copy makes the case inconclusive, not failed.
    expect(await verdicts(["agentKey", "openaiKey"])).toEqual(["inconclusive", "pass"]);
  });

  it("fails a copied stack file without the passphrase whatever the key's config key is called, as the E2BEnvironment names it", async () => {
    // rt39 #1: the eval fixture with `e2bKey` instead of `e2bApiKey` read PASS without the passphrase.
    const from = path.join(repoRoot, "evals/fixtures/E2B-02/stack-file-copied-to-prod");
    const renamed = (file: string) =>
      readFileSync(path.join(from, file), "utf8").replaceAll("e2bApiKey", "e2bKey");
    const dir = programCopy("stack-file-e2bkey-", from, {
      // The fixture's relative imports, from the copy's folder elsewhere.
      "index.ts": renamed("index.ts")
        .replace('"../../../../components"', JSON.stringify(path.join(repoRoot, "components")))
        .replace('"../../_shared/environment"', JSON.stringify(path.join(from, "../../_shared/environment"))),
      "Pulumi.prod.yaml": renamed("Pulumi.prod.yaml"),
      "Pulumi.staging.yaml": renamed("Pulumi.staging.yaml"),
    });
    for (const opts of [{}, { passphrase: "correct horse" }]) {
      const { stack } = await scan.program(dir, "prod", opts);
      expect([opts, status(stack, "E2B-02")]).toEqual([opts, "fail"]);
      expect(of(stack, P).map((f) => f.message)).toEqual([
        expect.stringMatching(
          /in this stack's config \(agent-platform:e2bKey, Pulumi\.prod\.yaml\) is also in Pulumi\.staging\.yaml/,
        ),
      ]);
    }
  });
});
