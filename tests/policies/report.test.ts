/**
 * Case verdicts from findings (`caseResults`): a case fails on a blocking finding, is not-applicable
 * without evidence, and is inconclusive — never pass — when a finding says the value it judges was
 * unknown at preview and nothing settled it. Values unknown beside a verdict that names and
 * dependencies did settle are listed, and the verdict stands.
 */
import { locationTrailer, parseLocationTrailer } from "../../policies/location";
import { caseResults, findingFromDiagnostic, type CaseResult, type Finding } from "../../policies/report";
import type { CaseId } from "../../policies/cases";

const env = "urn:pulumi:prod::agents::e2b-guardrails:index:E2BEnvironment::prod";
const lambda = "urn:pulumi:prod::agents-api::aws:lambda/function:Function::api";

const ceilingUnknown: Finding = {
  policy: "e2b-04-timeout-ceiling",
  caseId: "E2B-04",
  enforcementLevel: "advisory",
  severity: "high",
  urn: env,
  message: "E2BEnvironment 'prod' timeout ceiling is unknown at preview.",
  unknown: true,
  inconclusive: true,
};
const ceilingTooHigh: Finding = {
  ...ceilingUnknown,
  enforcementLevel: "mandatory",
  message: "E2BEnvironment 'prod' timeout ceiling 90000s exceeds the production maximum of 3600s.",
  unknown: undefined,
  inconclusive: undefined,
};
/** A hidden value under an unrelated name: listed beside the verdict, not the case's evidence. */
const unrelatedHidden: Finding = {
  policy: "e2b-01-key-from-secret-store",
  caseId: "E2B-01",
  enforcementLevel: "advisory",
  severity: "critical",
  urn: lambda,
  message: "value at environment.variables.DB_PASSWORD is hidden at preview",
  path: "environment.variables.DB_PASSWORD",
  unknown: true,
};

const of = (results: CaseResult[], id: CaseId) => results.find((c) => c.id === id)!;
const applicable = (...ids: CaseId[]) => new Set<CaseId>(ids);

describe("caseResults", () => {
  it("makes an applicable case with an inconclusive finding and nothing blocking inconclusive", () => {
    const c = of(caseResults([ceilingUnknown], applicable("E2B-04")), "E2B-04");
    expect(c.status).toBe("inconclusive");
    expect(c.unknown).toEqual([{ urn: env, policy: "e2b-04-timeout-ceiling" }]);
  });

  it("fails the case when a blocking finding is there too: what was seen already fails it", () => {
    expect(of(caseResults([ceilingUnknown, ceilingTooHigh], applicable("E2B-04")), "E2B-04").status).toBe(
      "fail",
    );
  });

  it("keeps a case without evidence not-applicable, whatever it could not see", () => {
    expect(of(caseResults([ceilingUnknown], applicable()), "E2B-04").status).toBe("not-applicable");
  });

  it("passes a case whose only unknown is listed, not its evidence, and lists it", () => {
    const c = of(caseResults([unrelatedHidden], applicable("E2B-01")), "E2B-01");
    expect(c.status).toBe("pass");
    expect(c.unknown?.map((u) => u.path)).toEqual(["environment.variables.DB_PASSWORD"]);
  });

  it("passes a case whose inconclusive finding is waived: someone decided to accept it", () => {
    const waived = {
      ...ceilingUnknown,
      waiver: { reason: "set at up", owner: "ops", expires: "2099-01-01" },
    };
    expect(of(caseResults([waived], applicable("E2B-04")), "E2B-04").status).toBe("pass");
  });

  it("reads pass with no finding at all, and leaves other cases alone", () => {
    const results = caseResults([ceilingUnknown], applicable("E2B-04", "E2B-05"));
    expect(of(results, "E2B-05")).toMatchObject({ status: "pass", findings: [] });
    expect(of(results, "E2B-05").unknown).toBeUndefined();
  });
});

describe("the inconclusive mark across the analyzer protocol", () => {
  it("round-trips through the location trailer, and implies unknown", () => {
    const trailer = locationTrailer({ path: "timeoutCeilingSeconds", inconclusive: true });
    expect(trailer).toBe('\n[at] path="timeoutCeilingSeconds" unknown inconclusive');
    expect(parseLocationTrailer(`message${trailer}`)).toEqual({
      message: "message",
      location: { path: "timeoutCeilingSeconds", unknown: true, inconclusive: true },
    });
    // A plain unknown stays only unknown.
    expect(parseLocationTrailer(`m${locationTrailer({ unknown: true })}`).location).toEqual({
      unknown: true,
    });
  });

  it("becomes Finding.inconclusive, and the case's status, from a diagnostic", () => {
    const f = findingFromDiagnostic({
      policyName: "e2b-04-timeout-ceiling",
      enforcementLevel: "advisory",
      urn: env,
      message: `E2BEnvironment 'prod' timeout ceiling is unknown at preview.${locationTrailer({ inconclusive: true })}`,
    });
    expect(f).toMatchObject({ unknown: true, inconclusive: true, caseId: "E2B-04" });
    expect(f.message).toBe("E2BEnvironment 'prod' timeout ceiling is unknown at preview.");
    expect(of(caseResults([f], applicable("E2B-04")), "E2B-04").status).toBe("inconclusive");
  });
});
