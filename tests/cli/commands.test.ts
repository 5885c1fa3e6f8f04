/**
 * The command-line contract (DESIGN.md): exit 0 / 1 / 2, one-line errors naming the file, JSON report
 * shape, and no key material in any output. Most commands run `main()` in-process with the run's
 * shared pack (tests/support/cli.ts); the ones marked "(binary)" spawn the real `bin/e2b-guardrails.js`
 * with its own pack and, for preview, the program under the language host.
 */
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { repoRoot } from "../support/scan";
import { runCli, spawnCli } from "../support/cli";
import { programCopy, tmpDir } from "../support/tmp";
import { encryptWith, newEncryptionSalt } from "../../engine/passphrase";

const KEY_HEX = "0123456789abcdef0123456789abcdef01234567";
const state = (f: string) => path.join(repoRoot, "tests/engine/fixtures/state", f);
const program = path.join(__dirname, "fixtures/lambda-key");

const cli = (...args: string[]) => runCli(args);
const binary = (...args: string[]) => spawnCli(args);

function expectNoKey(...texts: string[]) {
  for (const t of texts) expect(t).not.toContain(KEY_HEX);
}

describe("e2b-guardrails audit", () => {
  it.each([
    ["lambda-key-shown.json", cli],
    ["lambda-key-plain.json", binary],
  ])("reports a mandatory finding for a key in a Lambda environment (%s) and exits 1", async (file, run) => {
    const r = await run("audit", "--state", state(file), "--format", "json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      schemaVersion: 1,
      tool: { name: "e2b-guardrails" },
      pack: { name: "e2b-guardrails" },
    });
    const [stack] = report.stacks;
    expect(stack).toMatchObject({ stack: "prod", project: "agents-api" });
    const finding = stack.findings.find(
      (f: { urn: string; enforcementLevel: string }) =>
        f.urn.endsWith("::api") && f.enforcementLevel === "mandatory",
    );
    expect(finding).toMatchObject({ caseId: "E2B-01", severity: "critical" });
    expect(finding.message).toMatch(/e2b_…4567/);
    expect(stack.cases.find((c: { id: string }) => c.id === "E2B-01").status).toBe("fail");
    expectNoKey(r.stdout, r.stderr);
  });

  // In-process: the binary's exit status path is the one above (exit 1) and --help's (exit 0).
  it("exits 0 on a clean export", async () => {
    const r = await cli("audit", "--state", state("clean.json"), "--format", "json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [stack] = JSON.parse(r.stdout).stacks;
    expect(
      stack.findings.filter((f: { enforcementLevel: string }) => f.enforcementLevel === "mandatory"),
    ).toEqual([]);
  });

  it.each([
    ["does-not-exist.json", /does-not-exist\.json: cannot read \(ENOENT\)/],
    ["malformed.json", /malformed\.json: not valid JSON/],
    ["wrong-version.json", /wrong-version\.json: field 'version'/],
  ])("exits 2 with one line naming %s and the problem", async (file, message) => {
    const r = await cli("audit", "--state", state(file));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    [[], /required option '--state <file>' not specified/],
    [["--state", state("clean.json"), "--state", state("clean.json")], /clean\.json: --state given twice/],
    [
      ["--state", state("lambda-key-plain.json"), "--state", state("lambda-key-shown.json")],
      /lambda-key-shown\.json: stack 'agents-api\/prod' is also exported in .*lambda-key-plain\.json/,
    ],
  ])("exits 2 with one line on bad --state usage %#", async (args, message) => {
    const r = await cli("audit", ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("exits 2 with one line naming the pack when it fails to start, and never prints its key", async () => {
    const r = await cli(
      "audit",
      "--state",
      state("clean.json"),
      "--policy-pack",
      path.join(repoRoot, "tests/engine/fixtures/crashing-pack"),
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/crashing-pack: policy pack exited \(\d+\) before serving: Error: cannot load/);
    expectNoKey(r.stderr);
  });

  it("writes --output into a folder that does not exist yet", async () => {
    const out = path.join(tmpDir("out-"), "a/b/report.json");
    const r = await cli("audit", "--state", state("clean.json"), "--format", "json", "--output", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(out, "utf8")).schemaVersion).toBe(1);
  });

  it.each([
    ["a folder", () => tmpDir("out-"), /cannot write there \(EISDIR\)/],
    [
      "a path under a file",
      () => {
        const f = path.join(tmpDir("out-"), "file");
        writeFileSync(f, "keep");
        return path.join(f, "report.json");
      },
      /cannot write there \(E\w+\)/,
    ],
  ])("exits 2 with one line when --output is %s", async (_what, target, message) => {
    const out = target();
    const r = await cli("audit", "--state", state("lambda-key-plain.json"), "--output", out);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --output /);
    expect(r.stderr).toMatch(message);
  });

  it("shows no part of a key when a state or config file is not JSON (Node quotes the input)", async () => {
    const dir = tmpDir("badjson-");
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, `{"version": 3, "x": e2b_${KEY_HEX}}`);
    for (const args of [
      ["--state", bad],
      ["--state", state("clean.json"), "--policy-config", bad],
    ]) {
      const r = await cli("audit", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: ${bad}: not valid JSON (Unexpected token 'e')\n`);
      expect(r.stderr).not.toContain(KEY_HEX.slice(0, 6));
    }
  });

  it("never prints the key, in any format", async () => {
    for (const format of ["text", "json", "markdown", "html", "junit", "sarif"]) {
      const r = await cli("audit", "--state", state("lambda-key-plain.json"), "--format", format);
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(100);
      expectNoKey(r.stdout, r.stderr);
    }
  });
});

describe("e2b-guardrails audit of an encoded key used as a name", () => {
  it("masks a base64-encoded key that is a property's or a record field's name, in every format", async () => {
    const key = `e2b_${KEY_HEX}`;
    const b64 = Buffer.from(`token=${key}`).toString("base64");
    const doc = JSON.parse(readFileSync(state("lambda-key-plain.json"), "utf8"));
    doc.deployment.resources.push({
      urn: "urn:pulumi:prod::agents-api::aws:s3/bucket:Bucket::b",
      custom: true,
      type: "aws:s3/bucket:Bucket",
      inputs: { tags: { [b64]: "x" } },
      outputs: { tags: { [b64]: "x" } },
      [b64]: true,
    });
    const file = path.join(tmpDir("b64-name-"), "state.json");
    writeFileSync(file, JSON.stringify(doc));
    for (const format of ["text", "json", "markdown", "html", "junit", "sarif", "github"]) {
      const r = await cli("audit", "--state", file, "--format", format);
      expect(r.code).toBe(1);
      expectNoKey(r.stdout, r.stderr);
      // No run of the base64 text that could be decoded back into the key.
      expect(r.stdout).not.toContain(b64.slice(8, 40));
      expect(r.stdout).toContain("e2b_…4567");
    }
  });
});

describe("e2b-guardrails preview", () => {
  it("runs the program offline and reports the same finding through the pack (binary)", async () => {
    const r = await binary("preview", "--cwd", program, "--stack", "dev", "--format", "json");
    expect(r.code).toBe(1);
    const [stack] = JSON.parse(r.stdout).stacks;
    expect(stack).toMatchObject({ stack: "dev", project: "agents-api" });
    const finding = stack.findings.find(
      (f: { urn: string; enforcementLevel: string }) =>
        f.urn.endsWith("::api") && f.enforcementLevel === "mandatory",
    );
    expect(finding).toMatchObject({
      caseId: "E2B-01",
      urn: "urn:pulumi:dev::agents-api::aws:lambda/function:Function::api",
    });
    expectNoKey(r.stdout, r.stderr);
  });

  it("masks a decrypted key's digits that the program put in a resource's name, in every format (rt50 #7)", async () => {
    // With the passphrase the program holds the key itself, and a name is no place a pattern looks for one.
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    const dir = programCopy("secret-name-", program, {
      "Pulumi.dev.yaml": `encryptionsalt: ${encryptionsalt}\nconfig:\n  agents-api:e2bApiKey:\n    secure: ${encryptWith(key, `e2b_${KEY_HEX}`)}\n`,
      "index.ts":
        'import * as aws from "@pulumi/aws";\nimport * as pulumi from "@pulumi/pulumi";\n' +
        'const key = new pulumi.Config().require("e2bApiKey");\n' +
        'new aws.lambda.Function("agent-" + key.slice(4), { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { E2B_API_KEY: key } } });\n' +
        'new aws.s3.Bucket("agent-" + key.slice(12, 30).toUpperCase());\n',
    });
    for (const format of ["text", "json", "html", "sarif"]) {
      const r = await runCli(["preview", "--cwd", dir, "--stack", "dev", "--format", format], {
        env: { PULUMI_CONFIG_PASSPHRASE: "correct horse" },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("agent-[secret]");
      expectNoKey(r.stdout, r.stderr);
      // The bucket's name: eighteen of the digits, upper-cased.
      expect((r.stdout + r.stderr).toLowerCase()).not.toContain(KEY_HEX.slice(8, 26));
    }
    // The next command in this process has no secrets of this one's to mask.
    const other = await cli("preview", "--cwd", program, "--stack", "dev", "--format", "json");
    expect(other.stdout).not.toContain("[secret]");
  }, 120_000);

  it("masks decrypted secrets before a format escapes them, and digits glued to letters (rt52 #1, #2)", async () => {
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    const password = 'Tr0ub4dor&3"x<pw>';
    const dir = programCopy("secret-escaped-", program, {
      "Pulumi.dev.yaml":
        `encryptionsalt: ${encryptionsalt}\nconfig:\n` +
        `  agents-api:e2bApiKey:\n    secure: ${encryptWith(key, `e2b_${KEY_HEX}`)}\n` +
        `  agents-api:dbPassword:\n    secure: ${encryptWith(key, password)}\n`,
      "index.ts":
        'import * as aws from "@pulumi/aws";\nimport * as pulumi from "@pulumi/pulumi";\n' +
        "const config = new pulumi.Config();\n" +
        'const key = config.require("e2bApiKey");\n' +
        'const agent = (name: string) => new aws.lambda.Function(name, { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { E2B_API_KEY: key } } });\n' +
        'agent("db-" + config.require("dbPassword"));\n' +
        'agent("agent-" + key.slice(4).match(/.{4}/g)!.join("\'"));\n' +
        'agent("0x" + key.slice(4));\n' +
        'agent("worker" + key.slice(4, 28));\n',
    });
    for (const format of ["json", "markdown", "html", "junit", "sarif"]) {
      const r = await runCli(["preview", "--cwd", dir, "--stack", "dev", "--format", format], {
        env: { PULUMI_CONFIG_PASSPHRASE: "correct horse" },
      });
      const out = r.stdout + r.stderr;
      expect(r.code).toBe(1);
      expect(out).toMatch(/db-\\?\[secret\\?\]/);
      expect(out).not.toMatch(/Tr0ub4dor/);
      expectNoKey(out);
      for (const piece of [KEY_HEX.slice(0, 12), KEY_HEX.slice(0, 4) + "&#39;" + KEY_HEX.slice(4, 8)])
        expect(out).not.toContain(piece);
    }
  }, 120_000);

  it("masks pieces of a key from a file beside the program in a successful preview's report (rt52 #6)", async () => {
    const dir = programCopy("file-key-name-", program, {
      ".env": `REGION=us-east-1\nE2B_API_KEY=e2b_${KEY_HEX}\n`,
      "index.ts":
        'import * as aws from "@pulumi/aws";\nimport { readFileSync } from "fs";\n' +
        'const key = /E2B_API_KEY=(\\S+)/.exec(readFileSync(`${__dirname}/.env`, "utf8"))![1];\n' +
        'new aws.lambda.Function("agent-" + key.slice(4), { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", environment: { variables: { E2B_API_KEY: key } } });\n',
    });
    for (const format of ["text", "sarif"]) {
      const r = await cli("preview", "--cwd", dir, "--stack", "dev", "--format", format);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("agent-[secret]");
      expect((r.stdout + r.stderr).toLowerCase()).not.toContain(KEY_HEX.slice(0, 12));
    }
  }, 120_000);

  it("prints a Policies block shaped like pulumi preview's", async () => {
    const r = await cli("preview", "--cwd", program, "--stack", "dev");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Policies:$/m);
    expect(r.stdout).toMatch(/^ {4}❌ e2b-guardrails@v\d+\.\d+\.\d+ \(local: .*policies\)$/m);
    expect(r.stdout).toMatch(
      /^ {8}- \[mandatory\] \[severity: critical\] {2}e2b-01-\S+ {2}\(aws:lambda\/function:Function: api\)$/m,
    );
    expect(r.stdout).toMatch(/FAIL {2}E2B-01/);
    expectNoKey(r.stdout, r.stderr);
  });

  it("exits 2 on bad usage", async () => {
    const bad = await cli("preview", "--cwd", program, "--format", "xml");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format: 'xml' is not one of/);
    const missing = await cli("preview", "--cwd", path.join(repoRoot, "tests"), "--stack", "dev");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Pulumi\.yaml/);
    const mistyped = await cli("preview", "--cwd", program, "--stack", "prdo");
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr.trim()).toMatch(/Pulumi\.prdo\.yaml: no such stack 'prdo' \(stacks here: dev\)$/);
    expect(mistyped.stderr.trim().split("\n")).toHaveLength(1);
    const unknown = await cli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    const typo = await cli("previw");
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe("error: unknown command 'previw' (Did you mean preview?)");
    const noStack = await cli("preview", "--cwd", repoRoot);
    expect(noStack.code).toBe(2);
    expect(noStack.stderr.trim().split("\n")).toHaveLength(1);
    expect(noStack.stderr).toMatch(/--stack is required: the project has several stacks/);
  });

  it("shows help with exit 0 (binary)", async () => {
    const r = await binary("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/preview/);
    expect(r.stdout).toMatch(/audit/);
  });
});

describe("e2b-guardrails audit over several stacks (org-wide)", () => {
  const org = ["org-prod.json", "org-dev.json", "org-staging.json"].map((f) =>
    path.join(repoRoot, "tests/policies/fixtures/states", f),
  );

  it("reports cross-stack key and team sharing in every stack involved, never in the others", async () => {
    const r = await cli("audit", ...org.flatMap((f) => ["--state", f]), "--format", "json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const policiesOf = (stack: string) =>
      report.stacks
        .find((s: { stack: string }) => s.stack === stack)
        .findings.map((f: { policy: string; message: string }) => `${f.policy}: ${f.message}`);
    for (const stack of ["prod", "dev"]) {
      expect(policiesOf(stack)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^e2b-02-no-cross-environment-key-reference: E2B key e2b_…\w{4} of environment \w+ is also used by agents\//,
          ),
          expect.stringMatching(/^e2b-07-workspace-isolation: E2B team team-shared serves/),
        ]),
      );
    }
    expect(policiesOf("staging").filter((m: string) => /is also used by|serves/.test(m))).toEqual([]);
    const prod = report.stacks.find((s: { stack: string }) => s.stack === "prod");
    expect(prod.cases.find((c: { id: string }) => c.id === "E2B-07").status).toBe("fail");
  });

  it("honours a waiver in policy config for a cross-stack finding", async () => {
    const dir = tmpDir("waiver-");
    const config = path.join(dir, "policy-config.json");
    writeFileSync(
      config,
      JSON.stringify({
        "e2b-07-workspace-isolation": {
          waivers: [
            {
              urn: "*",
              reason: "team split scheduled for Q1",
              owner: "platform@example.com",
              expires: "2099-01-01",
            },
          ],
        },
      }),
    );
    const r = await cli(
      "audit",
      ...org.flatMap((f) => ["--state", f]),
      "--policy-config",
      config,
      "--format",
      "json",
    );
    const prod = JSON.parse(r.stdout).stacks.find((s: { stack: string }) => s.stack === "prod");
    const team = prod.findings.filter((f: { policy: string }) => f.policy === "e2b-07-workspace-isolation");
    expect(team.length).toBeGreaterThan(0);
    for (const f of team)
      expect(f).toMatchObject({
        enforcementLevel: "advisory",
        waiver: { owner: "platform@example.com", expires: "2099-01-01" },
      });
  });
});

describe("e2b-guardrails preview with a third-party pack", () => {
  it("reports its findings, leaves every case not-applicable, and tells the pack its stack", async () => {
    const r = await cli(
      "preview",
      "--cwd",
      path.join(repoRoot, "tests/engine/fixtures/recording"),
      "--stack",
      "dev",
      "--policy-pack",
      path.join(repoRoot, "tests/engine/fixtures/foreign-pack"),
      "--format",
      "json",
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.pack).toEqual({ name: "acme-tagging", version: "2.3.4" });
    const [stack] = report.stacks;
    expect(stack.cases.map((c: { status: string }) => c.status)).toEqual(Array(9).fill("not-applicable"));
    const shape = stack.findings.find((f: { policy: string }) => f.policy === "stack-shape");
    expect(shape).toMatchObject({ caseId: null, enforcementLevel: "advisory" });
    expect(shape.message).toMatch(/stack=recording\/dev$/);
  });
});

describe("E2B_GUARDRAILS_REPORT given as a relative path", () => {
  it("is written where the command ran, though a wrapper started it there with a stale PWD (rt43 #3)", async () => {
    const ranIn = tmpDir("report-cwd-");
    const stalePwd = tmpDir("report-pwd-");
    const state = path.join(repoRoot, "tests/engine/fixtures/state/clean.json");
    const r = await spawnCli(["audit", "--state", state, "--format", "json"], {
      cwd: ranIn,
      env: { E2B_GUARDRAILS_REPORT: "pack-report.json", PWD: stalePwd },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(ranIn, "pack-report.json"), "utf8"))).toMatchObject({
      schemaVersion: 1,
    });
    expect(() => readFileSync(path.join(stalePwd, "pack-report.json"))).toThrow();
  });
});
