import { judge, verdictOf } from "../../evals/compare";
import { caseResults, type Finding, type StackReport } from "../../policies/report";
import type { CaseId } from "../../policies/cases";

const finding = (
  policy: string,
  level: Finding["enforcementLevel"] = "mandatory",
  waived = false,
): Finding => ({
  policy,
  caseId: `E2B-${policy.slice(4, 6)}` as CaseId,
  enforcementLevel: level,
  severity: "high",
  urn: `urn:pulumi:prod::p::aws:s3/bucket:Bucket::${policy}`,
  message: "m",
  ...(waived ? { waiver: { reason: "r", owner: "o@example.com", expires: "2099-01-01" } } : {}),
});

function stack(findings: Finding[], applicable: CaseId[] = []): StackReport {
  return {
    stack: "prod",
    project: "p",
    environment: "prod",
    findings,
    cases: caseResults(findings, new Set(applicable)),
  };
}

const pack = new Set(["e2b-04-timeout-ceiling", "e2b-05-budget-alarm"]);

describe("judging a fixture", () => {
  it("a failing fixture matches when its case fails and every named policy fired", () => {
    const j = judge(
      { stack: "prod", case: "E2B-04", verdict: "fail", policies: ["e2b-04-timeout-ceiling"] },
      stack([finding("e2b-04-timeout-ceiling")]),
      pack,
    );
    expect(j).toEqual({
      ok: true,
      problems: [],
      actual: { status: "fail", fired: ["e2b-04-timeout-ceiling"], reported: ["e2b-04-timeout-ceiling"] },
    });
  });

  it("an advisory or waived finding does not count as firing", () => {
    for (const f of [
      finding("e2b-04-timeout-ceiling", "advisory"),
      finding("e2b-04-timeout-ceiling", "mandatory", true),
    ]) {
      const j = judge(
        { stack: "prod", case: "E2B-04", verdict: "fail", policies: ["e2b-04-timeout-ceiling"] },
        stack([f], ["E2B-04"]),
        pack,
      );
      expect(j.ok).toBe(false);
      expect(j.problems).toEqual(["E2B-04 is pass, expected fail", "did not fire: e2b-04-timeout-ceiling"]);
    }
  });

  it("a passing fixture needs a pass verdict (not N-A) and no finding at all", () => {
    const expectPass = { stack: "prod", case: "E2B-05" as const, verdict: "pass" as const, policies: [] };
    expect(judge(expectPass, stack([], ["E2B-05"]), pack).ok).toBe(true);
    expect(judge(expectPass, stack([]), pack).problems).toEqual(["E2B-05 is not-applicable, expected pass"]);
    expect(
      judge(expectPass, stack([finding("e2b-05-budget-alarm", "advisory")], ["E2B-05"]), pack).problems,
    ).toEqual(["expected no finding, got: e2b-05-budget-alarm"]);
  });

  it("names a policy the pack does not have", () => {
    const j = judge(
      { stack: "prod", case: "E2B-09", verdict: "fail", policies: ["e2b-09-key-rotation"] },
      stack([]),
      pack,
    );
    expect(j.problems[0]).toBe("policy e2b-09-key-rotation is not in the pack");
  });

  it("reads only the fixture's case", () => {
    expect(verdictOf(stack([finding("e2b-04-timeout-ceiling")]), "E2B-05")).toEqual({
      status: "not-applicable",
      fired: [],
      reported: [],
    });
  });
});
