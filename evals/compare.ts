/**
 * Judging one fixture: the stack report the pack produced against the fixture's expectation. Pure,
 * so the rules of "matches" are tested without running any program.
 */
import { isBlocking, type CaseStatus, type StackReport } from "../policies/api";
import type { Expectation } from "./schema";

export interface Verdict {
  status: CaseStatus | "error";
  /** Policies with a blocking finding in the fixture's case. */
  fired: string[];
  /** Policies with any finding (advisory or waived included) in the fixture's case. */
  reported: string[];
}

export interface Judgement {
  actual: Verdict;
  ok: boolean;
  /** Why it does not match, one short sentence each. */
  problems: string[];
}

export function verdictOf(stack: StackReport, caseId: string): Verdict {
  const c = stack.cases.find((x) => x.id === caseId);
  if (!c) return { status: "not-applicable", fired: [], reported: [] };
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    status: c.status,
    fired: uniq(c.findings.filter(isBlocking).map((f) => f.policy)),
    reported: uniq(c.findings.map((f) => f.policy)),
  };
}

export function judge(expect: Expectation, stack: StackReport, packPolicies: ReadonlySet<string>): Judgement {
  const actual = verdictOf(stack, expect.case);
  const problems: string[] = [];
  for (const p of expect.policies) {
    if (!packPolicies.has(p)) problems.push(`policy ${p} is not in the pack`);
  }
  if (actual.status !== expect.verdict) {
    problems.push(`${expect.case} is ${actual.status}, expected ${expect.verdict}`);
  }
  if (expect.verdict === "fail") {
    const missing = expect.policies.filter((p) => !actual.fired.includes(p));
    if (missing.length > 0) problems.push(`did not fire: ${missing.join(", ")}`);
  } else if (actual.reported.length > 0) {
    problems.push(`expected no finding, got: ${actual.reported.join(", ")}`);
  }
  return { actual, ok: problems.length === 0, problems };
}

export function errorJudgement(message: string): Judgement {
  return { actual: { status: "error", fired: [], reported: [] }, ok: false, problems: [message] };
}
