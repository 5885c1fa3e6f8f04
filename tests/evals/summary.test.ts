import { randomBytes } from "node:crypto";
import { renderSummary } from "../../evals/summary";
import { outcomesJson } from "../../evals/write-reports";
import type { EvalRun, FixtureOutcome } from "../../evals/runner";

function outcome(
  name: string,
  verdict: "pass" | "fail",
  ok: boolean,
  problems: string[] = [],
): FixtureOutcome {
  return {
    fixture: {
      caseId: "E2B-04",
      name,
      mechanism: "m",
      dir: `/x/${name}`,
      expect: {
        stack: "dev",
        case: "E2B-04",
        verdict,
        policies: verdict === "fail" ? ["e2b-04-timeout-ceiling"] : [],
      },
    },
    actual: ok
      ? {
          status: verdict,
          fired: verdict === "fail" ? ["e2b-04-timeout-ceiling"] : [],
          reported: verdict === "fail" ? ["e2b-04-timeout-ceiling"] : [],
        }
      : { status: "pass", fired: [], reported: [] },
    ok,
    problems,
    durationMs: 10,
  };
}

function run(outcomes: FixtureOutcome[]): EvalRun {
  const ok = outcomes.every((o) => o.ok);
  return {
    cases: [{ id: "E2B-04", title: "Timeout ceilings", ok, fixtures: outcomes }],
    report: {
      schemaVersion: 1,
      tool: { name: "t", version: "1" },
      pack: { name: "p", version: "1" },
      generatedAt: "x",
      stacks: [],
    },
    policies: [],
    ok,
    durationMs: 1234,
  };
}

describe("evals summary", () => {
  it("prints a row per fixture and a verdict per case", () => {
    const text = renderSummary(
      run([outcome("hobby-ceiling-above-plan", "fail", true), outcome("bounded-ceilings", "pass", true)]),
    );
    const rows = text.split("\n");
    expect(rows.some((l) => /│ E2B-04 │ hobby-ceiling-above-plan\s+│ FAIL\s+│ FAIL\s+│ ✓ │/.test(l))).toBe(
      true,
    );
    expect(rows.some((l) => /│ E2B-04 │ bounded-ceilings\s+│ PASS\s+│ PASS\s+│ ✓ │/.test(l))).toBe(true);
    expect(text).toContain("✓ E2B-04 Timeout ceilings: 2/2 fixtures as expected");
    expect(text).toContain("1 case, 2 fixtures: 2 as expected, 0 mismatched (1.2 s)");
    expect(text.includes("\u001b[")).toBe(false); // no colour unless asked
  });

  it("names case and fixture of every mismatch", () => {
    const text = renderSummary(
      run([
        outcome("dev-longer-than-prod", "fail", false, [
          "E2B-04 is pass, expected fail",
          "did not fire: e2b-04-timeout-ceiling",
        ]),
        outcome("bounded-ceilings", "pass", true),
      ]),
    );
    expect(text).toContain("✗ E2B-04 Timeout ceilings: 1/2 fixtures as expected");
    expect(text).toContain(
      "✗ E2B-04 dev-longer-than-prod: E2B-04 is pass, expected fail; did not fire: e2b-04-timeout-ceiling",
    );
    expect(text).toContain("1 mismatched");
  });

  it("shows an inconclusive fixture as such, and as a mismatch of an expected pass", () => {
    const o = outcome("ceiling-from-output", "pass", false, ["E2B-04 is inconclusive, expected pass"]);
    o.actual = { status: "inconclusive", fired: [], reported: ["e2b-04-timeout-ceiling"] };
    const text = renderSummary(run([o]));
    expect(
      text.split("\n").some((l) => /│ ceiling-from-output\s+│ PASS\s+│ INCONCLUSIVE\s+│ ✗ │/.test(l)),
    ).toBe(true);
    expect(text).toContain("✗ E2B-04 ceiling-from-output: E2B-04 is inconclusive, expected pass");
  });

  it("never prints key material, even from a program's error", () => {
    const key = `e2b_${randomBytes(20).toString("hex")}`;
    const r = run([outcome("leaky", "fail", false, [`could not run: bad value ${key}`])]);
    for (const out of [renderSummary(r), outcomesJson(r)]) {
      expect(out).not.toContain(key);
      expect(out).toContain(`e2b_…${key.slice(-4)}`);
    }
  });
});
