/**
 * The `evals` command end to end: real pack, real fixture programs. The first run is the real binary
 * as a user runs it (its own pack and program workers); the others run `main()` in-process with the
 * run's shared pack and workers (tests/support/cli.ts). E2B-08 is the case used because most of its
 * fixtures need no component.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sarifValidator } from "../reports/sarif-schema";
import { runCli, spawnCli } from "../support/cli";

const root = path.resolve(__dirname, "../..");
const cli = (args: string[]) => runCli(args, { env: { NO_COLOR: "1" } });

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "evals-cli-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Outcomes {
  cases: {
    id: string;
    fixtures: { name: string; ok: boolean; actual: { status: string; fired: string[] } }[];
  }[];
}

describe("e2b-guardrails evals", () => {
  it("runs a case, fires the expected policy and writes every report format (binary)", async () => {
    const dir = path.join(tmp, "reports");
    // One program worker: it loads @pulumi/pulumi and the providers once for the three fixtures (one
    // per core loads them twice here, ~25 % more CPU). Fixtures over several warm workers are what
    // the in-process runs below get from the shared scanner's pool.
    const r = await spawnCli(["evals", "--case", "E2B-08", "--concurrency", "1", "--report-dir", dir], {
      env: { NO_COLOR: "1" },
    });
    expect(r.stdout).toMatch(/│ E2B-08 │ access-token-in-lambda\s+│ FAIL\s+│ FAIL\s+│ ✓ │/);
    expect(r.stdout).toMatch(/E2B-08 Management credentials stay in IaC: \d\/3 fixtures as expected/);
    for (const f of [
      "report.json",
      "report.md",
      "report.html",
      "report.junit.xml",
      "report.sarif",
      "evals.json",
      "report.txt",
    ])
      expect(existsSync(path.join(dir, f))).toBe(true);
    const outcomes = JSON.parse(readFileSync(path.join(dir, "evals.json"), "utf8")) as Outcomes;
    const lambda = outcomes.cases[0].fixtures.find((f) => f.name === "access-token-in-lambda")!;
    expect(lambda.ok).toBe(true);
    expect(lambda.actual.fired).toContain("e2b-08-management-credential-scope");
    // The reports describe the same run: the fixture's stack failed E2B-08.
    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8"));
    const stack = report.stacks.find(
      (s: { project: string }) => s.project === "E2B-08/access-token-in-lambda",
    );
    expect(stack.cases.find((c: { id: string }) => c.id === "E2B-08").status).toBe("fail");
    // No report leaks the fixture's (fake) token.
    for (const f of [
      "report.json",
      "report.md",
      "report.html",
      "report.junit.xml",
      "report.sarif",
      "evals.json",
    ])
      expect(readFileSync(path.join(dir, f), "utf8")).not.toMatch(/sk_e2b_[0-9a-f]{40}/);
    // The SARIF of a real run, with every rule of the real pack, is valid SARIF 2.1.0.
    const sarif = JSON.parse(readFileSync(path.join(dir, "report.sarif"), "utf8"));
    const validate = sarifValidator();
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    expect(sarif.runs[0].tool.driver.rules.map((x: { id: string }) => x.id)).toContain("e2b-09-key-rotation");
    expect(r.code).toBe(outcomes.cases[0].fixtures.every((f) => f.ok) ? 0 : 1);
  });

  it("exits 1 naming the case and fixture when a policy is broken (disabled by config)", async () => {
    const config = path.join(tmp, "break-e2b-08.json");
    writeFileSync(config, JSON.stringify({ "e2b-08-management-credential-scope": "disabled" }));
    const r = await cli(["evals", "--case", "E2B-08", "--policy-config", config]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ E2B-08 Management credentials stay in IaC");
    expect(r.stdout).toMatch(
      /✗ E2B-08 access-token-in-lambda: .*did not fire: e2b-08-management-credential-scope/,
    );
    expect(r.stdout).toMatch(
      /✗ E2B-08 access-token-in-ci-secret: .*did not fire: e2b-08-management-credential-scope/,
    );
  });

  it("exits 2 with one line naming the file and field on a bad case file", async () => {
    const evals = path.join(tmp, "bad-evals");
    cpSync(path.join(root, "evals/cases/E2B-08.yaml"), path.join(evals, "cases/E2B-08.yaml"));
    cpSync(path.join(root, "evals/fixtures/E2B-08"), path.join(evals, "fixtures/E2B-08"), {
      recursive: true,
    });
    const file = path.join(evals, "cases/E2B-08.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("severity: high", "severity: severe"));
    const r = await cli(["evals", "--case", "E2B-08", "--evals-dir", evals]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*cases\/E2B-08\.yaml: severity: /);
    expect(r.stdout).toBe("");
  });

  it("exits 2 before running anything when --report-dir cannot be written", async () => {
    const blocker = path.join(tmp, "a-file");
    writeFileSync(blocker, "");
    const r = await cli(["evals", "--case", "E2B-08", "--report-dir", path.join(blocker, "reports")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: --report-dir .*a-file\/reports: cannot write there \(ENOTDIR\)\n$/);
  });

  it("exits 2 on an unknown case", async () => {
    const r = await cli(["evals", "--case", "E2B-10"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: --case: E2B-10 is not one of E2B-01, E2B-02, E2B-03, E2B-04, E2B-05, E2B-06, E2B-07, E2B-08, E2B-09\n",
    );
  });
});
