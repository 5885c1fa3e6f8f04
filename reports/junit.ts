/**
 * JUnit XML view of a `Report`, for CI systems that show test results: one testsuite per stack, one
 * testcase per eval case. A failing case carries a <failure> whose text lists its findings; a
 * not-applicable case is <skipped>, and so is an inconclusive one (JUnit has no such outcome, and it
 * does not fail the run), with a message that says so and the values that were unknown; waived or
 * advisory findings of a passing case go to <system-out>.
 */
import { create } from "xmlbuilder2";
import { redactKeys } from "../policies/detect/keys";
import { caseIds } from "../policies/api";
import { isBlocking, sortFindings, type Report } from "../policies/api";
import { caseOf, findingLine, redactReport, stackLabel, unknownSummary } from "./view-helpers";
import { baselineGroups, costChangeRows } from "./adoption";

/** XML 1.0 cannot carry most control characters, even escaped; drop them. */
function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
}

export function toJUnit(input: Report): string {
  const report = redactReport(input);
  const totals = { tests: 0, failures: 0, skipped: 0 };
  const doc = create({ version: "1.0", encoding: "UTF-8" });
  const root = doc.ele("testsuites", {
    name: xmlText(`${report.tool.name} ${report.pack.name} ${report.pack.version}`),
  });

  for (const stack of report.stacks) {
    const results = caseIds.map((id) => caseOf(stack, id));
    const failures = results.filter((c) => c.status === "fail").length;
    const skipped = results.filter(
      (c) => c.status === "not-applicable" || c.status === "inconclusive",
    ).length;
    totals.tests += results.length;
    totals.failures += failures;
    totals.skipped += skipped;
    const suite = root.ele("testsuite", {
      name: xmlText(stackLabel(stack)),
      tests: String(results.length),
      failures: String(failures),
      errors: "0",
      skipped: String(skipped),
      timestamp: xmlText(report.generatedAt),
    });
    const props = suite
      .ele("properties")
      .ele("property", { name: "environment", value: xmlText(stack.environment) })
      .up()
      .ele("property", { name: "pack", value: xmlText(`${report.pack.name}@${report.pack.version}`) })
      .up();
    if (report.baseline) {
      const count = (b: "new" | "existing") => stack.findings.filter((f) => f.baseline === b).length;
      props.ele("property", { name: "baseline.new", value: String(count("new")) });
      props.ele("property", { name: "baseline.existing", value: String(count("existing")) });
      props.ele("property", { name: "baseline.fixed", value: String(stack.fixed?.length ?? 0) });
      props.ele("property", { name: "baseline.unverified", value: String(stack.unverified?.length ?? 0) });
    }
    for (const c of costChangeRows(stack.costChange)) {
      props.ele("property", { name: `cost.${c.environment}.expected`, value: xmlText(c.expected) });
      props.ele("property", { name: `cost.${c.environment}.worstCase`, value: xmlText(c.worstCase) });
    }

    for (const c of results) {
      const tc = suite.ele("testcase", {
        name: xmlText(`${c.id} ${c.title}`),
        classname: xmlText(`e2b-guardrails.${stack.project}.${stack.stack}`),
      });
      const sorted = sortFindings(c.findings);
      const unknown = unknownSummary(c);
      if (unknown) tc.ele("properties").ele("property", { name: "unknown", value: xmlText(unknown) });
      const lines = [...(unknown ? [unknown] : []), ...sorted.map(findingLine)];
      if (c.status === "fail") {
        const blocking = sorted.filter(isBlocking);
        tc.ele("failure", {
          message: xmlText(`${c.id} failed on ${stackLabel(stack)}: ${blocking.length} blocking finding(s)`),
          type: c.severity,
        }).txt(xmlText(lines.join("\n")));
      } else if (c.status === "not-applicable") {
        tc.ele("skipped", { message: "not applicable: the stack shows no evidence for this case" });
      } else if (c.status === "inconclusive") {
        tc.ele("skipped", { message: xmlText(`inconclusive: ${unknown ?? "values unknown at preview"}`) });
        tc.ele("system-out").txt(xmlText(lines.join("\n")));
      } else if (lines.length > 0) {
        tc.ele("system-out").txt(xmlText(lines.join("\n")));
      }
    }
    for (const g of baselineGroups(stack))
      suite.ele("system-out").txt(xmlText([`${g.heading}:`, ...g.findings.map(findingLine)].join("\n")));
  }
  root.att({
    tests: String(totals.tests),
    failures: String(totals.failures),
    errors: "0",
    skipped: String(totals.skipped),
  });
  return redactKeys(doc.end({ prettyPrint: true }) + "\n");
}
