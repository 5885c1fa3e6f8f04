/**
 * Adopting the pack in an organisation, through the command line (`main()` in-process with the run's
 * shared pack, tests/support/cli.ts; tests/cli/commands.test.ts spawns the binary): a baseline keeps
 * known findings from failing CI while new ones still fail, `--fail-on` picks the level that fails,
 * `--format github` prints workflow commands and a step summary, and `preview --compare-state`
 * shows what a change does to the modelled E2B bill.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../support/scan";
import { runCli } from "../support/cli";
import { parseWorkflowCommands } from "../reports/github-commands";
import { SECRET_SIG, SECRET_VALUE } from "../../engine/graph";
import { tmpDir } from "../support/tmp";

const KEY_HEX = "0123456789abcdef0123456789abcdef01234567";
const OTHER_HEX = "fedcba9876543210fedcba9876543210fedcba98";
const state = (f: string) => path.join(repoRoot, "tests/engine/fixtures/state", f);
const costChange = path.join(__dirname, "fixtures/cost-change");
const tmp = () => tmpDir("adoption-");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command in-process (tests/support/cli.ts), never writing to a CI runner's own step summary. */
const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  runCli(args, { env: { GITHUB_STEP_SUMMARY: undefined, ...env } });

interface JsonFinding {
  policy: string;
  urn: string;
  message: string;
  enforcementLevel: string;
  path?: string;
  keyFingerprint?: string;
  fingerprint: string;
  baseline?: string;
}

const stackOf = (r: Run) => JSON.parse(r.stdout).stacks[0];
const keyFindings = (r: Run): JsonFinding[] =>
  stackOf(r).findings.filter((f: JsonFinding) => f.policy === "e2b-01-key-only-in-key-stores");

function expectOneLineError(r: Run, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(pattern);
}

/** A resource of a stack export, as far as these edits need it. */
interface StateResource {
  urn: string;
  inputs: { runtime?: string; handler?: string; environment: { variables: Record<string, string> } };
  outputs?: { environment?: { variables: Record<string, string> } };
}

/** The Lambda export, changed by `edit` (a parsed deployment), written to a temporary file. */
function editedState(edit: (resources: StateResource[]) => void): string {
  const doc = JSON.parse(readFileSync(state("lambda-key-plain.json"), "utf8"));
  edit(doc.deployment.resources);
  const file = path.join(tmp(), "state.json");
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}
const lambdaOf = (resources: StateResource[]) => resources.find((r) => r.urn.endsWith("::api"))!;

describe("--baseline and --write-baseline", () => {
  const dir = tmp();
  const baseline = path.join(dir, "baseline.json");

  beforeAll(async () => {
    const r = await cli(["audit", "--state", state("lambda-key-plain.json"), "--write-baseline", baseline]);
    expect(r.code).toBe(1); // writing a baseline does not change the verdict of the run
  });

  it("writes the run's JSON report, with a fingerprint, property path and key fingerprint per finding", () => {
    const written = JSON.parse(readFileSync(baseline, "utf8"));
    expect(written.schemaVersion).toBe(1);
    const [finding] = written.stacks[0].findings;
    expect(finding).toMatchObject({
      policy: "e2b-01-key-only-in-key-stores",
      path: "environment.variables.E2B_API_KEY",
      keyFingerprint: expect.stringMatching(/^sha256:[0-9a-f]{12}$/),
      fingerprint: expect.stringMatching(/^v1:[0-9a-f]{32}$/),
    });
    expect(readFileSync(baseline, "utf8")).not.toContain(KEY_HEX);
  });

  it("reports a known finding as existing and passes, even after reordering and unrelated changes", async () => {
    const changed = editedState((resources) => {
      resources.reverse();
      lambdaOf(resources).inputs.runtime = "nodejs22.x"; // unrelated to the finding
      lambdaOf(resources).inputs.handler = "main.handler";
    });
    const r = await cli(["audit", "--state", changed, "--baseline", baseline, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.baseline).toEqual({ file: baseline, new: 0, existing: 1, fixed: 0, unverified: 0 });
    expect(keyFindings(r)).toEqual([
      expect.objectContaining({ baseline: "existing", enforcementLevel: "mandatory" }),
    ]);
    // Counted and shown, but the case does not fail on it.
    expect(stackOf(r).cases.find((c: { id: string }) => c.id === "E2B-01").status).toBe("pass");
    expect(stackOf(r).fixed).toEqual([]);
  });

  it("fails on a new key next to a known one, and names only the new one as new", async () => {
    const changed = editedState((resources) => {
      lambdaOf(resources).inputs.environment.variables.E2B_FALLBACK_KEY = `e2b_${OTHER_HEX}`;
    });
    const r = await cli(["audit", "--state", changed, "--baseline", baseline, "--format", "json"]);
    expect(r.code).toBe(1);
    const byPath = Object.fromEntries(keyFindings(r).map((f) => [f.path, f.baseline]));
    expect(byPath).toEqual({
      "environment.variables.E2B_API_KEY": "existing",
      "environment.variables.E2B_FALLBACK_KEY": "new",
    });
    expect(JSON.parse(r.stdout).baseline).toMatchObject({ new: 1, existing: 1, fixed: 0 });
    expect(r.stdout).not.toContain(OTHER_HEX);
  });

  it("treats a different key at the same place as new, and the old one as fixed", async () => {
    const changed = editedState((resources) => {
      // Deployed with the new key: the Lambda's outputs carry it too, as in a real export.
      const lambda = lambdaOf(resources);
      lambda.inputs.environment.variables.E2B_API_KEY = `e2b_${OTHER_HEX}`;
      lambda.outputs!.environment!.variables.E2B_API_KEY = `e2b_${OTHER_HEX}`;
    });
    const summary = path.join(tmp(), "summary.md");
    writeFileSync(summary, "# earlier step\n");
    const r = await cli(["audit", "--state", changed, "--baseline", baseline, "--format", "github"], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(r.code).toBe(1);
    const commands = parseWorkflowCommands(r.stdout);
    const errors = commands.filter((c) => c.command === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0].properties.title).toBe("e2b-01-key-only-in-key-stores (E2B-01, mandatory)");
    expect(errors[0].message).toMatch(/^agents-api\/prod aws:lambda\/function:Function: api\n/);
    expect(errors[0].message).toContain("(e2b_…ba98) at environment.variables.E2B_API_KEY");
    const totals = commands.at(-1)!;
    expect(totals).toMatchObject({ command: "notice", properties: { title: "e2b-guardrails" } });
    expect(totals.message).toMatch(/1 new, 0 existing, 1 fixed/);
    // The summary is appended (earlier steps keep theirs) and lists the fixed finding.
    const md = readFileSync(summary, "utf8");
    expect(md.startsWith("# earlier step\n")).toBe(true);
    expect(md).toMatch(/## Baseline\n\n1 new, 0 existing, 1 fixed/);
    expect(md).toMatch(
      /### Fixed since the baseline\n\n- \*\*e2b-01-key-only-in-key-stores\*\* on `urn:pulumi:prod::agents-api::aws:lambda\/function:Function::api`/,
    );
    for (const t of [r.stdout, r.stderr, md]) {
      expect(t).not.toContain(KEY_HEX);
      expect(t).not.toContain(OTHER_HEX);
    }
  });

  it("lists the baseline's findings as fixed once they are gone (text and SARIF)", async () => {
    const text = await cli(["audit", "--state", state("clean.json"), "--baseline", baseline]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^Fixed since the baseline:\n {8}- e2b-01-key-only-in-key-stores {2}\(aws:lambda\/function:Function: api\)$/m,
    );
    expect(text.stdout).toMatch(/^Baseline: 0 new, 0 existing, 1 fixed \(baseline .*baseline\.json\)$/m);

    const sarif = await cli([
      "audit",
      "--state",
      state("lambda-key-plain.json"),
      "--baseline",
      baseline,
      "--format",
      "sarif",
    ]);
    expect(sarif.code).toBe(0);
    const run = JSON.parse(sarif.stdout).runs[0];
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({
      baselineState: "unchanged",
      partialFingerprints: { primaryLocationLineHash: expect.stringMatching(/^v1:/) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: "tests/engine/fixtures/state/lambda-key-plain.json" },
          },
        },
      ],
    });
  });

  it.each([
    ["not JSON", "{", /bad\.json: not valid JSON/],
    [
      "another schema version",
      JSON.stringify({ schemaVersion: 2, stacks: [] }),
      /bad\.json: field 'schemaVersion' must be 1/,
    ],
    [
      "a finding without a URN",
      JSON.stringify({
        schemaVersion: 1,
        stacks: [{ stack: "prod", project: "p", findings: [{ policy: "x", message: "m" }] }],
      }),
      /bad\.json: field 'stacks\[0\]\.findings\[0\]\.urn' /,
    ],
  ])(
    "exits 2 with one line naming the file and field when the baseline is %s",
    async (_what, text, message) => {
      const bad = path.join(tmp(), "bad.json");
      writeFileSync(bad, text);
      const r = await cli(["audit", "--state", state("clean.json"), "--baseline", bad]);
      expectOneLineError(r, message);
      expect(r.stderr).toMatch(/^error: --baseline /);
    },
  );

  it("masks encoded key material in the step summary and the baseline file, as on stdout", async () => {
    const encoded = Buffer.from(`e2b_${KEY_HEX}`).toString("base64");
    const stack = "urn:pulumi:prod::agents-api::pulumi:pulumi:Stack::agents-api-prod";
    const file = path.join(tmp(), "encoded-name.json");
    writeFileSync(
      file,
      JSON.stringify({
        version: 3,
        deployment: {
          resources: [
            { urn: stack, type: "pulumi:pulumi:Stack" },
            {
              urn: `urn:pulumi:prod::agents-api::aws:s3/bucket:Bucket::res-${encoded}`,
              type: "aws:s3/bucket:Bucket",
              custom: true,
              parent: stack,
            },
          ],
        },
      }),
    );
    const dir = tmp();
    const [summary, written] = [path.join(dir, "summary.md"), path.join(dir, "baseline.json")];
    const r = await cli(["audit", "--state", file, "--format", "github", "--write-baseline", written], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(r.code).toBe(1);
    const files = [readFileSync(summary, "utf8"), readFileSync(written, "utf8")];
    expect(files[0]).toContain("e2b-01");
    expect(files[1]).toContain("e2b-01");
    for (const t of [r.stdout, r.stderr, ...files]) {
      expect(t).not.toContain(encoded.slice(0, 24));
      expect(t).not.toContain(KEY_HEX.slice(0, 12));
    }
  });

  it("refreshes a baseline in place (--write-baseline naming --baseline), and refuses a report over an input, which is kept", async () => {
    // rt37 #14: the output was removed before the run, so the baseline (or export) named twice was
    // gone, and the run then failed "cannot read (ENOENT)".
    const d = tmp();
    const file = path.join(d, "baseline.json");
    writeFileSync(file, readFileSync(baseline));
    const r = await cli([
      "audit",
      "--state",
      state("lambda-key-plain.json"),
      "--baseline",
      file,
      "--write-baseline",
      file,
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(readFileSync(file, "utf8")).baseline).toMatchObject({ new: 0, fixed: 0 });
    const exported = path.join(d, "prod.json");
    writeFileSync(exported, readFileSync(state("lambda-key-plain.json")));
    expectOneLineError(
      await cli(["audit", "--state", exported, "--output", exported]),
      /^error: --output .*prod\.json: it is also read, as --state; write the report to another file$/,
    );
    expect(readFileSync(exported, "utf8")).toBe(readFileSync(state("lambda-key-plain.json"), "utf8"));
    expectOneLineError(
      await cli(["audit", "--state", exported, "--baseline", file, "--write-baseline", exported]),
      /^error: --write-baseline .*prod\.json: it is also read, as --state;/,
    );
    expect(readFileSync(exported, "utf8")).toBe(readFileSync(state("lambda-key-plain.json"), "utf8"));
    // rt38 note: a Markdown report written over the baseline written a moment before.
    const before = readFileSync(file, "utf8");
    expectOneLineError(
      await cli([
        "audit",
        "--state",
        exported,
        "--format",
        "markdown",
        "--output",
        file,
        "--write-baseline",
        file,
      ]),
      /^error: --write-baseline .*baseline\.json: it is also written, as --output; give each report its own file$/,
    );
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("exits 2 with one line for a missing or endless baseline or an unwritable --write-baseline", async () => {
    expectOneLineError(
      await cli(["audit", "--state", state("clean.json"), "--baseline", "/nonexistent/b.json"]),
      /^error: --baseline \/nonexistent\/b\.json: cannot read \(ENOENT\)$/,
    );
    expectOneLineError(
      await cli(["audit", "--state", state("clean.json"), "--baseline", "/dev/zero"]),
      /^error: --baseline too large: \/dev\/zero \(limit 128 MiB\)$/,
    );
    expectOneLineError(
      await cli(["audit", "--state", state("clean.json"), "--write-baseline", tmp()]),
      /^error: --write-baseline .*: cannot write there \(EISDIR\)$/,
    );
  });
});

describe("--fail-on", () => {
  const advisoryConfig = path.join(tmp(), "advisory.json");
  writeFileSync(advisoryConfig, JSON.stringify({ "e2b-01-key-only-in-key-stores": "advisory" }));
  const plain = state("lambda-key-plain.json");

  it.each([
    [["--fail-on", "none"], 0],
    [["--fail-on", "mandatory"], 1],
    [["--policy-config", advisoryConfig], 0],
    [["--policy-config", advisoryConfig, "--fail-on", "advisory"], 1],
  ])("audit %j exits %d", async (flags, code) => {
    const r = await cli(["audit", "--state", plain, ...(flags as string[])]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(code);
  });

  // E2B-01 inconclusive: the only E2B-named value besides the secret's ARN is encrypted in the export.
  const inconclusive = editedState((resources) => {
    const vars = {
      E2B_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:e2b",
      E2B_KEY: { [SECRET_SIG]: SECRET_VALUE, ciphertext: "v1:bm9uY2U=:ZW5jcnlwdGVk" },
    } as unknown as Record<string, string>;
    const api = lambdaOf(resources);
    api.inputs.environment.variables = vars;
    api.outputs = { ...api.outputs, environment: { variables: vars } };
  });

  it.each([
    [[], 0],
    [["--fail-on", "mandatory"], 0],
    [["--fail-on", "advisory"], 1],
    [["--fail-on", "none"], 0],
  ])("audit of a stack whose E2B-01 is inconclusive, %j, exits %d", async (flags, code) => {
    const r = await cli(["audit", "--state", inconclusive, "--format", "json", ...(flags as string[])]);
    expect(r.stderr).toBe("");
    expect(stackOf(r).cases.find((c: { id: string }) => c.id === "E2B-01").status).toBe("inconclusive");
    expect(r.code).toBe(code);
  });

  it("rejects an unknown level with one line", async () => {
    expectOneLineError(
      await cli(["audit", "--state", plain, "--fail-on", "critical"]),
      /--fail-on: 'critical' is not one of mandatory, advisory, none/,
    );
  });
});

describe("preview --compare-state", () => {
  const deployed = path.join(costChange, "deployed.json");

  it("reports per environment the modelled spend before and after, and a large increase as an E2B-03 finding", async () => {
    const config = path.join(tmp(), "policy-config.json");
    writeFileSync(
      config,
      JSON.stringify({
        "e2b-03-sandbox-profile-and-cost": {
          maxCostIncrease: { production: { usd: 200, percent: 50 }, staging: { percent: 10 } },
        },
      }),
    );
    const r = await cli([
      "preview",
      "--cwd",
      costChange,
      "--compare-state",
      deployed,
      "--policy-config",
      config,
      "--format",
      "json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const stack = stackOf(r);
    // 2 vCPU + 2 GiB at list price is $97.236 per sandbox-month: 4 → 10 average, 20 → 40 at most.
    expect(stack.costChange).toEqual([
      expect.objectContaining({
        environment: "prod",
        tier: "production",
        before: { expectedMonthlyUsd: 388.94, worstCaseMonthlyUsd: 1944.72 },
        after: { expectedMonthlyUsd: 972.36, worstCaseMonthlyUsd: 3889.44 },
        expectedDeltaUsd: 583.42,
        expectedDeltaPercent: 150,
        worstCaseDeltaPercent: 100,
      }),
      expect.objectContaining({ environment: "staging", expectedDeltaUsd: 0, expectedDeltaPercent: 0 }),
    ]);
    const increase = stack.findings.filter(
      (f: JsonFinding) => f.policy === "e2b-03-sandbox-profile-and-cost",
    );
    expect(increase).toEqual([
      expect.objectContaining({
        caseId: "E2B-03",
        enforcementLevel: "mandatory",
        urn: "urn:pulumi:prod::cost-change::e2b-guardrails:index:E2BEnvironment::prod",
        message: expect.stringContaining(
          "(expected $388.94 → $972.36, +150 %; worst case $1,944.72 → $3,889.44, +100 %)",
        ),
      }),
    ]);
    expect(stack.cases.find((c: { id: string }) => c.id === "E2B-03").status).toBe("fail");
  });

  it("shows the change in the text report and passes without a threshold", async () => {
    const r = await cli(["preview", "--cwd", costChange, "--compare-state", deployed]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Cost change \(deployed → previewed, per month\):$/m);
    expect(r.stdout).toMatch(
      /^ {4}prod \(production\): expected \$388\.94 → \$972\.36, \+150 %; worst case \$1,944\.72 → \$3,889\.44, \+100 %$/m,
    );
  });

  it("exits 2 with one line naming the flag and file when the deployed export is bad", async () => {
    const bad = path.join(tmp(), "deployed.json");
    writeFileSync(bad, JSON.stringify({ version: 9 }));
    expectOneLineError(
      await cli(["preview", "--cwd", costChange, "--compare-state", bad]),
      /^error: --compare-state .*deployed\.json: field 'version' /,
    );
  });
});

describe("--help", () => {
  it.each([
    [
      "preview",
      [
        "--baseline <file>",
        "--write-baseline <file>",
        "--fail-on <level>",
        "--compare-state <file>",
        "github",
      ],
    ],
    ["audit", ["--baseline <file>", "--write-baseline <file>", "--fail-on <level>", "github"]],
  ])("%s lists the adoption flags", async (command, flags) => {
    const r = await cli([command, "--help"]);
    expect(r.code).toBe(0);
    for (const f of flags) expect(r.stdout).toContain(f);
  });
});
