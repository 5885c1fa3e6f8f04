import { cpSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, useScanner } from "../support/scan";
import { programCopy } from "../support/tmp";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const P = "e2b-01-key-from-secret-store";

/** Program lines: a Lambda, with its role, given the environment variables `variables` (TypeScript). */
const lambdaWithVariables = (variables: string) => [
  'const role = new aws.iam.Role("agent", { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "lambda.amazonaws.com" }) });',
  'new aws.lambda.Function("agent", { runtime: "nodejs20.x", handler: "index.handler", role: role.arn,',
  '  code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => 1;") }),',
  `  environment: { variables: ${variables} } });`,
];

describe(P, () => {
  const scan = useScanner();

  it("fails a Lambda and a Kubernetes Deployment fed straight from the key resource, and a stack output with key material", async () => {
    const { stack } = await scan.program(fx("key-straight-from-resource"), "prod");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["agent", "api", "key-straight-from-resource-prod"]);
    expect(fs.map((f) => f.message).join("\n")).toMatch(/stack output debugKey/);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("judges an unknown env map built from the key at preview", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(resourceNames(of(stack, P))).toEqual(["app"]);
    expectClean(stack);
  });

  it("lists a provider function's result over values not known yet without calling it an undecrypted secret", async () => {
    const { stack } = await scan.program(fx("invoke-over-unknowns"), "prod");
    const fs = of(stack, P);
    expect(resourceNames(fs)).toEqual(["read-key"]);
    expect(fs[0].enforcementLevel).toBe("advisory");
    // Nothing in this stack went undecrypted: neither the cause nor the advice names the passphrase.
    expect(fs[0].message).toMatch(
      /value at policy is hidden at preview \(a provider function's result over values not known yet, or a resource passed by reference whose id is not known yet\) .*\. Preview again once the values it is computed from exist/,
    );
    expect(fs[0].message).not.toMatch(/passphrase|decrypt/);
    // An IAM policy is not named for E2B: only listed, the case still passes.
    expect(status(stack, "E2B-01")).toBe("pass");
  });

  it("leaves a Key Vault reference under E2B_API_KEY inconclusive, not failed, with or without the passphrase", async () => {
    // `@Microsoft.KeyVault(SecretUri=…)` built from the secret's outputs: a reference, or the key read
    // from it at deploy time; preview cannot tell (the Secrets Manager ARN case, in Azure's shape).
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("key-vault-reference"), "prod", opts);
      const fs = of(stack, P);
      expect([opts, fs.map((f) => f.enforcementLevel)]).toEqual([opts, ["advisory"]]);
      expect(fs[0].message).toMatch(
        /variable E2B_API_KEY .* depends on no key holder but azure-native:keyvault:Secret 'e2b-api-key':/,
      );
      expect(status(stack, "E2B-01")).toBe("inconclusive");
      expectClean(stack);
    }
  });

  it("fails the key from secret config in Vercel variables that are not sensitive, with or without the passphrase", async () => {
    // rt37 #2: without the passphrase these read PASS, as the variables' type is also a store.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("server-key-in-vercel-variables"), "dev", opts);
      const failed = stack.findings.filter(
        (f) => f.caseId === "E2B-01" && f.enforcementLevel === "mandatory",
      );
      expect([opts, [...new Set(failed.map((f) => f.urn.split("::").pop()))].sort()]).toEqual([
        opts,
        ["team-e2b-key", "web-e2b-key", "web-env"],
      ]);
      expect(failed.find((f) => f.urn.endsWith("::web-env"))?.path).toBe("variables[0].value");
      expect(status(stack, "E2B-01")).toBe("fail");
      expectClean(stack);
    }
  });

  it("keeps the key from secret config in an ESC document's fn::secret: PASS with the passphrase, inconclusive without", async () => {
    // rt37 #6: without the passphrase a mandatory FAIL blocked the remedy itself.
    const withPass = await scan.program(fx("esc-environment-from-secret-config"), "dev", {
      passphrase: "correct horse",
    });
    expect(of(withPass.stack, P)).toEqual([]);
    expect(status(withPass.stack, "E2B-01")).toBe("pass");
    const { stack } = await scan.program(fx("esc-environment-from-secret-config"), "dev", {});
    expect(of(stack, P).map((f) => [f.enforcementLevel, f.path, f.inconclusive])).toEqual([
      ["advisory", "yaml", true],
    ]);
    expect(of(stack, P)[0].message).toMatch(
      /whether it keeps the key as a Pulumi ESC secret \(inside `fn::secret`\)/,
    );
    expect(status(stack, "E2B-01")).toBe("inconclusive");
    expectClean(stack);
  });

  it("fails a key store opened to everyone (a GCP allUsers accessor, an AWS resource policy allowing *), with or without the passphrase", async () => {
    // rt37 #13: the key sat in approved stores, so E2B-01 read PASS.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("public-key-store"), "dev", opts);
      expect([opts, of(stack, P).map((f) => [f.urn.split("::").pop(), f.path])]).toEqual([
        opts,
        [
          ["e2b-api-key-aws-policy", "secretArn"],
          ["e2b-api-key-public", "secretId"],
        ],
      ]);
      expect(of(stack, P)[1].message).toMatch(/lets allUsers read 'e2b-api-key', which holds the E2B key/);
      expect(status(stack, "E2B-01")).toBe("fail");
      expectClean(stack);
    }
  });

  it("passes runtimes that get the secret's ARN", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    expect(of(stack, P)).toEqual([]);
  });

  it("judges a secret a provider function reads at deploy time by its name, as pulumi preview would see the key itself (rt37 #15)", async () => {
    // Offline no provider answers aws.ssm.getParameter: the value is hidden and named by the parameter.
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(fx("secret-read-at-deploy"), "prod", opts);
      expect([opts, status(stack, "E2B-01")]).toEqual([opts, "fail"]);
      expect(
        of(stack, P)
          .filter((f) => f.enforcementLevel === "mandatory")
          .map((f) => f.message),
      ).toEqual([
        expect.stringMatching(
          /^aws:lambda\/function:Function 'agent-api' property environment takes its value from the secret \/agents\/prod\/e2b-api-key \(read by a provider function at deploy time, not known offline\), whose name says it is the E2B key/,
        ),
      ]);
      // The neutral secret is listed as not checked, with the cure that shows it: no passphrase does (rt43 note).
      const advisory = of(stack, P).find(
        (f) => f.enforcementLevel === "advisory" && /DB_PASSWORD/.test(f.message),
      );
      expect(advisory?.message).toMatch(
        /\/agents\/prod\/db-password, which a provider function reads at deploy time/,
      );
      expect(advisory?.message).toMatch(
        /Preview with `pulumi preview --policy-pack`, where the provider reads the secret/,
      );
      expect(advisory?.message).not.toMatch(/passphrase/);
    }
  });

  it("reads a field of a JSON secret read at deploy time by its name, as pulumi preview hands the program the document (rt43 note)", async () => {
    // Offline JSON.parse of the hidden value threw and the program failed; now each field is hidden
    // under `<secret>.<field>` and judged by that name.
    const from = path.join(repoRoot, fx("secret-read-at-deploy"));
    const dir = programCopy("deploy-secret-json-", from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const version = aws.secretsmanager.getSecretVersionOutput({ secretId: "prod/agents" });',
        "const creds = version.secretString.apply((s) => JSON.parse(s) as { e2bApiKey: string; dbUrl: string });",
        ...lambdaWithVariables("{ E2B_API_KEY: creds.e2bApiKey }"),
      ].join("\n"),
    });
    const { stack } = await scan.program(dir, "prod");
    expect(status(stack, "E2B-01")).toBe("fail");
    expect(of(stack, "offline-preview").map((f) => f.message)).toEqual([
      expect.stringMatching(/Those that read a secret's value gave it as a hidden value named by the secret/),
    ]);
    expect(
      of(stack, P)
        .filter((f) => f.enforcementLevel === "mandatory")
        .map((f) => f.message),
    ).toEqual([
      expect.stringMatching(
        /'agent' variable E2B_API_KEY at environment\.variables\.E2B_API_KEY is named to carry the E2B key/,
      ),
    ]);
  });

  it("follows a secret looked up by name and read by its ARN, as programs chain them (real39 bug 2)", async () => {
    // The look-up answered with its own arguments had no ARN: the read got none and the program failed.
    const from = path.join(repoRoot, fx("secret-read-at-deploy"));
    const dir = programCopy("deploy-secret-by-arn-", from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const secret = aws.secretsmanager.getSecretOutput({ name: "agents/prod/env" });',
        "const version = secret.arn.apply((arn) => aws.secretsmanager.getSecretVersionOutput({ secretId: arn }));",
        "const creds = version.secretString.apply((s) => JSON.parse(s) as { e2bApiKey: string });",
        ...lambdaWithVariables("{ E2B_API_KEY: creds.e2bApiKey }"),
      ].join("\n"),
    });
    const { stack } = await scan.program(dir, "prod");
    expect(status(stack, "E2B-01")).toBe("fail");
  });

  it("reads a secure config object's fields by name without the passphrase, as it reads the decrypted object", async () => {
    // `config.requireObject` of a secure value: the SDK parses the placeholder offline (rt43 note).
    const from = path.join(repoRoot, fx("secret-config-in-apply"));
    const dir = programCopy("config-object-", from, {
      "Pulumi.prod.yaml": [
        "encryptionsalt: v1:efdtKo2SX1U=:v1:60rxgJVWDDG1wM3x:Im/N+xGsD3W8cO35eWkpLdpBvbq5CQ==",
        "config:",
        "  aws:region: us-east-1",
        "  secret-config-in-apply:agentCreds:",
        "    secure: v1:pY2WAKfn12OV6vkK:XqPx+mpXpInKiICXOKBtswbuZHZWWowmExopdOYdBJzvgEHBEE6og/ImXlx/gnueSPdO0A5JEWLrHQY+6Z1dfOf3cz4cqQLRzaOvhTykeyLCg/YdkkD9gUER",
        "",
      ].join("\n"),
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const creds = new pulumi.Config().requireObject<{ e2bApiKey: string; region: string }>("agentCreds");',
        ...lambdaWithVariables("{ E2B_API_KEY: creds.e2bApiKey, AGENT_REGION: creds.region }"),
      ].join("\n"),
    });
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(dir, "prod", opts);
      expect([opts, status(stack, "E2B-01")]).toEqual([opts, "fail"]);
    }
  });

  it("fails a runtime told to reach the E2B API over plain HTTP, where the key travels in a header (rt38 note)", async () => {
    const from = path.join(repoRoot, "evals/fixtures/E2B-03/modelled-and-alarmed");
    const messages = async (apiUrl: string) => {
      const dir = programCopy("api-url-", from, {
        "index.ts": [
          `import { E2BEnvironment } from ${JSON.stringify(path.join(repoRoot, "components"))};`,
          `import { wellKeptEnvironment } from ${JSON.stringify(path.join(repoRoot, "evals/fixtures/_shared/environment"))};`,
          `new E2BEnvironment("prod", { ...wellKeptEnvironment("prod", "production"), apiUrl: ${JSON.stringify(apiUrl)} });`,
        ].join("\n"),
      });
      return of((await scan.program(dir, "prod")).stack, P).map((f) => f.message);
    };
    expect(await messages("http://e2b.internal.example:3000")).toEqual([
      expect.stringMatching(
        /^aws:lambda\/function:Function '.*' sends the E2B key over plain HTTP: E2B_API_URL at environment\.variables\.E2B_API_URL is http:\/\/e2b\.internal\.example:3000, /,
      ),
    ]);
    expect(await messages("https://api.e2b.app")).toEqual([]);
    expect(await messages("http://127.0.0.1:3000")).toEqual([]);
    // This machine however the parser writes it (rt48 note).
    expect(await messages("http://[::ffff:127.0.0.1]:3000")).toEqual([]);
    // Spelled as fetch still reads it as http://host/ (rt47 #8).
    for (const apiUrl of ["http:e2b.internal.example:3000", " HTTP:\\\\e2b.internal.example"])
      expect([apiUrl, await messages(apiUrl)]).toEqual([
        apiUrl,
        [
          expect.stringMatching(
            /sends the E2B key over plain HTTP: E2B_API_URL at environment\.variables\.E2B_API_URL/,
          ),
        ],
      ]);
  });

  it("names the deploy job's key the program copies into a variable of the same name, as the engine saw it read (real40 bugs 1, 3)", async () => {
    const from = path.join(repoRoot, fx("secret-read-at-deploy"));
    const statusOf = async (lines: string[]) => {
      const dir = programCopy("env-read-", from, {
        "index.ts": ['import * as aws from "@pulumi/aws";', ...lines].join("\n"),
      });
      const { stack } = await scan.program(dir, "prod");
      return [status(stack, "E2B-01"), of(stack, P).map((f) => f.message.slice(0, 60))];
    };
    const fn = (value: string) =>
      `new aws.lambda.Function("agent", { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { E2B_API_KEY: ${value} } } });`;
    // Read at deploy time while unset (the guardrail job lacks the deploy job's secret): a fallback
    // leaves the variable defined and empty here, and the key in it at \`pulumi up\`.
    for (const value of ['process.env.E2B_API_KEY ?? ""', "`${process.env.E2B_API_KEY}`"])
      expect(await statusOf([fn(value)])).toEqual([
        "inconclusive",
        [expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/)],
      ]);
    // Read without the text spelling `process.env.E2B_API_KEY` (rt48 #4); a clone of the environment
    // runs as under `pulumi preview` (the recording's Proxy is not what it clones).
    expect(await statusOf(['const { E2B_API_KEY = "" } = process.env;', fn("E2B_API_KEY")])).toEqual([
      "inconclusive",
      [expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/)],
    ]);
    // Read for the program by a library it called: a config schema parsing the environment.
    expect(
      await statusOf([
        'import { z } from "zod";',
        'const env = z.object({ E2B_API_KEY: z.string().default("") }).parse(process.env);',
        fn("env.E2B_API_KEY"),
      ]),
    ).toEqual([
      "inconclusive",
      [expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/)],
    ]);
    // Reads through the reflection API, a test with `in`, after the program changed its folder (rt49 #2).
    for (const lines of [
      ['const k = Reflect.get(process.env, "E2B_API_KEY") ?? "";'],
      ['const k = Object.getOwnPropertyDescriptor(process.env, "E2B_API_KEY")?.value ?? "";'],
      ['const k = "E2B_API_KEY" in process.env ? String(process.env.E2B_API_KEY) : "";'],
      ['process.chdir("/");', 'const k = process.env.E2B_API_KEY ?? "";'],
    ])
      expect(await statusOf([...lines, fn("k")])).toEqual([
        "inconclusive",
        [expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/)],
      ]);
    expect((await statusOf(["const env = structuredClone(process.env);", fn('env.HOME ?? ""')]))[0]).toBe(
      "pass",
    );
    // Listing the environment reads no variable by name, though an empty one is listed (an unavailable
    // CI secret, `E2B_API_KEY=`) and an unset one is not (rt51 #3); a read by name still counts.
    const empty = 'process.env.E2B_API_KEY = "";';
    const listings = [
      'const n = Object.keys({ ...process.env, NODE_ENV: "production" }).length;',
      'const n = Object.entries(process.env).filter(([k]) => k.startsWith("TF_VAR_")).length;',
      "const n = Object.keys(process.env).filter((k) => /^NEXT_PUBLIC_/.test(k)).length;",
    ];
    for (const listing of listings)
      expect(await statusOf([empty, listing, fn("String(n)")])).toEqual(["pass", []]);
    expect(await statusOf([empty, listings[0], fn('process.env.E2B_API_KEY ?? ""')])).toEqual([
      "inconclusive",
      [expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/)],
    ]);
    // Set by the program itself before it reads it (a `.env` loader): its value is judged (another
    // policy's finding), and this one says nothing of an unset variable.
    expect(
      await statusOf([`process.env.E2B_API_KEY = "e2b_${"ab".repeat(20)}";`, fn("process.env.E2B_API_KEY")]),
    ).toEqual(["fail", []]);
  });

  it("tells the function's own run-time read from the program's: a getter the SDK calls while serializing it, an ES module in a folder named with #", async () => {
    const from = path.join(repoRoot, fx("secret-read-at-deploy"));
    // A config module with getters that a CallbackFunction reads at run time (rt50 #1).
    const getter = programCopy("env-getter-", from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'const settings = { get e2bKey() { return process.env.E2B_API_KEY ?? ""; } };',
        'new aws.lambda.CallbackFunction("agent", { role: "arn:aws:iam::1:role/r", callback: async () => settings.e2bKey.length });',
      ].join("\n"),
    });
    expect(of((await scan.program(getter, "prod")).stack, P)).toEqual([]);
    // An ES module's frames are file URLs, where `#` is `%23` (rt50 #2).
    const repo = programCopy("env-esm-", from);
    const dir = path.join(repo, "agents#infra");
    cpSync(from, dir, { recursive: true });
    rmSync(path.join(dir, "index.ts"));
    writeFileSync(path.join(dir, "package.json"), '{ "name": "agents", "type": "module" }\n');
    writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: agents\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
    );
    writeFileSync(
      path.join(dir, "index.js"),
      [
        'import * as aws from "@pulumi/aws";',
        'const key = process.env.E2B_API_KEY ?? "";',
        'new aws.lambda.Function("agent", { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { E2B_API_KEY: key } } });',
      ].join("\n"),
    );
    const { stack } = await scan.program(dir, "prod");
    expect([status(stack, "E2B-01"), of(stack, P).map((f) => f.message.slice(0, 60))]).toEqual([
      "inconclusive",
      [expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/)],
    ]);
  });

  it("names the deploy job's key a helper of the program's repository reads, outside the program's folder (rt49 #2)", async () => {
    const from = path.join(repoRoot, fx("secret-read-at-deploy"));
    const repo = programCopy("env-read-repo-", from, {
      ".git/HEAD": "ref: refs/heads/main\n",
      "lib/env.js": 'exports.e2bKey = () => process.env.E2B_API_KEY ?? "";\n',
    });
    const dir = path.join(repo, "infra");
    cpSync(from, dir, { recursive: true });
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as aws from "@pulumi/aws";',
        'import { e2bKey } from "../lib/env";',
        'new aws.lambda.Function("agent", { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { E2B_API_KEY: e2bKey() } } });',
      ].join("\n"),
    );
    const { stack } = await scan.program(dir, "prod");
    expect(status(stack, "E2B-01")).toBe("inconclusive");
    expect(of(stack, P).map((f) => f.message)).toEqual([
      expect.stringMatching(/^The program's code reads E2B_API_KEY from its environment/),
    ]);
  });

  it("keeps a deploy-time secret's name through an encoding the program applies to it (rt43 #1)", async () => {
    const from = path.join(repoRoot, fx("secret-read-at-deploy"));
    const dir = programCopy("deploy-secret-encoded-", from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'const v = aws.ssm.getParameterOutput({ name: "/web/prod/e2b-api-key", withDecryption: true }).value;',
        'new aws.amplify.App("web", { name: "web", environmentVariables: { NEXT_PUBLIC_SANDBOX_TOKEN: v.apply((x) => Buffer.from(x).toString("base64")) } });',
      ].join("\n"),
    });
    const { stack } = await scan.program(dir, "prod");
    expect(status(stack, "E2B-01")).toBe("fail");
  });
});
