import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { InputError } from "../../engine/errors";
import { caseIds } from "../../policies/cases";
import { evalsDir, loadCases } from "../../evals/load";

describe("eval cases as shipped", () => {
  const cases = loadCases();

  it("has all nine cases, each with two failing variants and a passing one", () => {
    expect(cases.map((c) => c.spec.id)).toEqual([...caseIds]);
    for (const c of cases) {
      const fail = c.fixtures.filter((f) => f.expect.verdict === "fail");
      const pass = c.fixtures.filter((f) => f.expect.verdict === "pass");
      expect(fail.length).toBeGreaterThanOrEqual(2);
      expect(pass.length).toBeGreaterThanOrEqual(1);
      // Failing variants differ in mechanism, not just in name.
      expect(new Set(fail.map((f) => f.mechanism)).size).toBe(fail.length);
    }
  });

  it("cites the seed for 01-03 and marks the others inferred", () => {
    expect(cases.slice(0, 3).map((c) => c.spec.source)).toEqual([
      "seed case 01",
      "seed case 02",
      "seed case 03",
    ]);
    for (const c of cases.slice(3)) expect(c.spec.source).toBe("inferred");
  });

  it("maps every rubric criterion to policies or a tested behaviour, and every policy of the pack to a case", () => {
    const named = new Set(cases.flatMap((c) => c.spec.rubric.flatMap((r) => r.enforcedBy.policies)));
    // The thirteen policy names issue #3 fixes.
    for (const p of [
      "e2b-01-no-client-side-key",
      "e2b-01-key-only-in-key-stores",
      "e2b-02-distinct-key-per-environment",
      "e2b-02-no-cross-environment-key-reference",
      "e2b-03-sandbox-profile-and-cost",
      "e2b-03-required-sandbox-metadata",
      "e2b-03-leak-alarm",
      "e2b-04-timeout-ceiling",
      "e2b-05-budget-alarm",
      "e2b-06-no-key-in-sandbox",
      "e2b-07-workspace-isolation",
      "e2b-08-management-credential-scope",
      "e2b-09-key-rotation",
    ])
      expect(named).toContain(p);
  });

  it("keeps fixture keys fake: only the documented all-zero test keys appear", () => {
    const keyLike = /(?:sk_)?e2b_[0-9a-f]{40}/g;
    for (const c of cases)
      for (const f of c.fixtures) {
        const text = readFileSync(path.join(f.dir, "index.ts"), "utf8");
        for (const k of text.match(keyLike) ?? []) expect(k).toMatch(/_0{35}fa\d{3}$/);
      }
  });
});

describe("loader errors: one line naming the file and the field", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "evals-load-"));
    mkdirSync(path.join(dir, "cases"));
    cpSync(path.join(evalsDir, "cases", "E2B-07.yaml"), path.join(dir, "cases", "E2B-07.yaml"));
    cpSync(path.join(evalsDir, "fixtures", "E2B-07"), path.join(dir, "fixtures", "E2B-07"), {
      recursive: true,
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const caseFile = () => path.join(dir, "cases", "E2B-07.yaml");
  const edit = (file: string, from: string | RegExp, to: string) => {
    const text = readFileSync(file, "utf8");
    const next = text.replace(from, to);
    expect(next).not.toBe(text);
    writeFileSync(file, next);
  };
  const error = (): string => {
    try {
      loadCases({ dir, only: "E2B-07" });
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      const msg = (e as Error).message;
      expect(msg.split("\n")).toHaveLength(1);
      return msg;
    }
    throw new Error("expected the loader to reject the input");
  };

  it("loads the untouched copy", () => {
    expect(loadCases({ dir, only: "E2B-07" })[0].fixtures).toHaveLength(3);
  });

  it("gives up on a case file that is a pipe no process writes to, instead of waiting for ever (rt54 #9)", () => {
    rmSync(caseFile());
    execFileSync("mkfifo", [caseFile()]);
    expect(error()).toMatch(
      /cases\/E2B-07\.yaml: nothing to read: no process opened this pipe to write to it/,
    );
  });

  it("names a missing field", () => {
    edit(caseFile(), /^scenario:[\s\S]*?(?=^idealBehaviour:)/m, "");
    expect(error()).toMatch(/cases\/E2B-07\.yaml: scenario: /);
  });

  it("names a bad nested field with its path", () => {
    edit(caseFile(), "policies: [e2b-07-workspace-isolation]", "policies: [workspace-isolation]");
    expect(error()).toMatch(/cases\/E2B-07\.yaml: rubric\.0\.enforcedBy\.policies\.0: a policy name like/);
  });

  it("rejects a title that drifted from the catalogue", () => {
    edit(caseFile(), "title: Workspace isolation", "title: Team isolation");
    expect(error()).toMatch(/E2B-07\.yaml: title: must be "Workspace isolation"/);
  });

  it("rejects invalid YAML", () => {
    writeFileSync(caseFile(), "id: [unclosed\n");
    expect(error()).toMatch(/E2B-07\.yaml: not valid YAML/);
  });

  it("rejects a fixture folder that is not listed", () => {
    cpSync(path.join(dir, "fixtures/E2B-07/separate-teams"), path.join(dir, "fixtures/E2B-07/stray"), {
      recursive: true,
    });
    expect(error()).toMatch(/E2B-07\.yaml: fixtures: folder .*fixtures\/E2B-07\/stray is not listed/);
  });

  it("checks each expectation: verdict, policies of its case, stack file", () => {
    const exp = path.join(dir, "fixtures/E2B-07/cap-above-plan-quota/expect.yaml");
    edit(exp, "e2b-07-workspace-isolation", "e2b-04-timeout-ceiling");
    expect(error()).toMatch(
      /cap-above-plan-quota\/expect\.yaml: policies\.0: e2b-04-timeout-ceiling does not belong to E2B-07/,
    );
    edit(exp, "e2b-04-timeout-ceiling", "e2b-07-workspace-isolation");
    edit(exp, "stack: dev", "stack: qa");
    expect(error()).toMatch(/expect\.yaml: stack: no Pulumi\.qa\.yaml beside it/);
    edit(exp, "stack: qa", "stack: dev");
    edit(exp, "verdict: fail", "verdict: maybe");
    expect(error()).toMatch(/expect\.yaml: verdict: /);
  });

  it("requires two failing variants and a passing one", () => {
    edit(
      path.join(dir, "fixtures/E2B-07/cap-above-plan-quota/expect.yaml"),
      /verdict: fail\npolicies:\n.*\n/,
      "verdict: pass\n",
    );
    expect(error()).toMatch(/E2B-07\.yaml: fixtures: needs at least two failing variants \(has 1\)/);
  });

  it("rejects an unknown case id", () => {
    expect(() => loadCases({ dir, only: "E2B-10" })).toThrow(/--case: E2B-10 is not one of E2B-01/);
  });
});
