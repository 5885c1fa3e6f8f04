/**
 * Where the pack writes E2B_GUARDRAILS_REPORT (policies/report-file.ts): the Pulumi CLI, like our
 * `preview`, starts the pack in its own folder, so a relative path is the caller's (real37 bug 2).
 */
import path from "node:path";
import { reportFileTarget } from "../../policies/report-file";

describe("reportFileTarget", () => {
  it("resolves a relative path against the folder the command ran in (PWD), not the pack's", () => {
    expect(reportFileTarget({ E2B_GUARDRAILS_REPORT: "out/e2b-report.json", PWD: "/ci/work" })).toBe(
      path.resolve("/ci/work", "out/e2b-report.json"),
    );
    expect(reportFileTarget({ E2B_GUARDRAILS_REPORT: "/tmp/r.json", PWD: "/ci/work" })).toBe("/tmp/r.json");
  });

  it("falls back to the process's folder without an absolute PWD, and asks for nothing when unset", () => {
    expect(reportFileTarget({ E2B_GUARDRAILS_REPORT: "r.json" })).toBe(path.resolve("r.json"));
    expect(reportFileTarget({})).toBeUndefined();
  });
});
