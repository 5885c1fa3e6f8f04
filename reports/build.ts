/**
 * Turns what the analyzer returned for one stack into the report data model (policies/report.ts).
 * The verdict rules themselves live in the pack's folder so that `pulumi preview` (through
 * E2B_GUARDRAILS_REPORT) and our commands decide cases with the same code.
 */
import { caseIds, caseOfPolicy, type CaseId, type Severity } from "../policies/cases";
import { redactKeys } from "../policies/detect/keys";
import { caseResults, sortFindings, type Finding, type Report, type StackReport } from "../policies/report";
import type { AnalysisResult, AnalyzerInfo } from "../engine/analyzer-host";
import type { ResourceGraph } from "../engine/graph";
import { parseWaiverMessage } from "./waiver-message";
import { stackEnvironment } from "./environment";

/** Our pack's name: only its policies map to cases; with any other pack every case is not-applicable. */
export const OUR_PACK = "e2b-guardrails";

const toolVersion: string = (require("../package.json") as { version: string }).version;

export function findingsOf(analysis: AnalysisResult): Finding[] {
  return analysis.diagnostics.map((d) => {
    // The SDK prefixes the policy description to string violations; keep only what the rule said.
    const detail = d.message.startsWith(d.description + "\n")
      ? d.message.slice(d.description.length + 1)
      : d.message;
    const parsed = parseWaiverMessage(detail);
    const f: Finding = {
      policy: d.policyName,
      caseId: d.policyPackName === OUR_PACK ? caseOfPolicy(d.policyName) : null,
      enforcementLevel: d.enforcementLevel,
      severity: toSeverity(d.severity),
      urn: d.urn,
      message: redactKeys(parsed ? parsed.message : detail),
    };
    if (parsed) f.waiver = parsed.waiver;
    return f;
  });
}

function toSeverity(s: string): Severity {
  return s === "critical" || s === "high" || s === "medium" || s === "low" ? s : "low";
}

/** Cases the stack gives evidence for: a stack policy of the case ran and did not say not-applicable. */
export function applicableCases(
  info: AnalyzerInfo,
  analysis: AnalysisResult,
  enabled: ReadonlySet<string>,
): Set<CaseId> {
  if (info.name !== OUR_PACK) return new Set();
  const notApplicable = new Set(analysis.stackNotApplicable.map((n) => n.policy));
  const out = new Set<CaseId>();
  for (const p of info.policies) {
    const c = caseOfPolicy(p.name);
    if (c && p.policyType === "stack" && enabled.has(p.name) && !notApplicable.has(p.name)) out.add(c);
  }
  return out;
}

export function buildStackReport(
  info: AnalyzerInfo,
  graph: ResourceGraph,
  analysis: AnalysisResult,
  enabled: ReadonlySet<string>,
  extraFindings: Finding[] = [],
): StackReport {
  const findings = sortFindings([...findingsOf(analysis), ...extraFindings]);
  const ours = info.name === OUR_PACK;
  const cases = ours
    ? caseResults(findings, applicableCases(info, analysis, enabled))
    : caseResults([], new Set<CaseId>()).map((c) => ({ ...c, findings: [] }));
  void caseIds;
  return {
    stack: graph.stack,
    project: graph.project,
    environment: stackEnvironment(graph),
    cases,
    findings,
  };
}

export function buildReport(info: AnalyzerInfo, stacks: StackReport[], generatedAt = new Date()): Report {
  return {
    schemaVersion: 1,
    tool: { name: "e2b-guardrails", version: toolVersion },
    pack: { name: info.name, version: info.version },
    generatedAt: generatedAt.toISOString(),
    stacks,
  };
}
