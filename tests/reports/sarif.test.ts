import type * as Sarif from "sarif";
import { toSarif } from "../../reports/sarif";
import { makeReport, prodKeyUrn } from "./fixture";
import { sarifValidator } from "./sarif-schema";

describe("sarif report", () => {
  const validate = sarifValidator();
  const text = toSarif(makeReport(), {
    policies: [
      {
        name: "e2b-01-no-client-side-key",
        description: "No E2B key on a client-side surface.",
        remediationSteps: "Read the key on the server from the secret store.",
        enforcementLevel: "mandatory",
        severity: "critical",
      },
      {
        name: "e2b-09-key-rotation",
        description: "Keys are rotated.",
        enforcementLevel: "mandatory",
        severity: "high",
      },
    ],
  });
  const log = JSON.parse(text) as Sarif.Log;
  const run = log.runs[0];

  it("validates against the SARIF 2.1.0 schema", () => {
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the validator catches a broken log (so the test above can fail)", () => {
    const broken = JSON.parse(text);
    broken.runs[0].results[0].level = "fatal";
    delete broken.runs[0].tool.driver.name;
    expect(validate(broken)).toBe(false);
  });

  it("has one rule per policy with help text and case id", () => {
    const ids = run.tool.driver.rules!.map((r) => r.id);
    expect(ids).toEqual([
      "e2b-01-key-only-in-key-stores",
      "e2b-01-no-client-side-key",
      "e2b-02-distinct-key-per-environment",
      "e2b-05-budget-alarm",
      "e2b-09-key-rotation",
      "third-party-advice",
    ]);
    const r = run.tool.driver.rules!.find((x) => x.id === "e2b-01-no-client-side-key")!;
    expect(r.help!.text).toContain("Remediation: Read the key on the server from the secret store.");
    expect(r.help!.text).toContain("Eval case E2B-01");
    expect(r.properties!.caseId).toBe("E2B-01");
    expect(r.defaultConfiguration!.level).toBe("error");
    const other = run.tool.driver.rules!.find((x) => x.id === "third-party-advice")!;
    expect(other.properties!.caseId).toBeUndefined();
    expect(other.defaultConfiguration!.level).toBe("warning");
  });

  it("gives results logical locations (URNs), levels from enforcement and rule indexes", () => {
    expect(run.results).toHaveLength(5);
    const r = run.results!.find((x) => x.ruleId === "e2b-01-no-client-side-key")!;
    expect(r.level).toBe("error");
    expect(r.locations![0].logicalLocations![0]).toEqual({
      fullyQualifiedName: prodKeyUrn,
      name: "next-public-e2b-key",
      kind: "resource",
    });
    expect(run.tool.driver.rules![r.ruleIndex!].id).toBe(r.ruleId);
    expect(r.properties!.stacks).toEqual(["web/prod"]);
    const advisory = run.results!.find((x) => x.ruleId === "third-party-advice")!;
    expect(advisory.level).toBe("warning");
  });

  it("reports waivers as accepted suppressions with reason, owner and expiry", () => {
    const w = run.results!.find((x) => x.ruleId === "e2b-05-budget-alarm")!;
    expect(w.suppressions).toEqual([
      expect.objectContaining({
        kind: "external",
        status: "accepted",
        justification: "Load test of 2026-12 needs headroom (owner platform@example.com, expires 2026-12-31)",
      }),
    ]);
    expect(run.results!.filter((x) => x.suppressions)).toHaveLength(1);
  });

  it("reports a finding shared by two stacks once", () => {
    const rep = makeReport();
    const shared = rep.stacks[1].findings[0];
    rep.stacks[0].findings.push(shared);
    const out = JSON.parse(toSarif(rep)) as Sarif.Log;
    const hits = out.runs[0].results!.filter((x) => x.ruleId === shared.policy);
    expect(hits).toHaveLength(1);
    expect(hits[0].properties!.stacks).toEqual(["web/prod", "agents/loadtest"]);
  });
});
