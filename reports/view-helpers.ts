/**
 * Small helpers shared by the Markdown, HTML, JUnit and SARIF views of a `Report`
 * (policies/report.ts). Kept apart so each writer holds only its own format.
 */
import { inert, redactKeys } from "../policies/detect/keys";

export { inert };
import { CASE_STATUSES, cases, type CaseId } from "../policies/api";
import type { CaseResult, CaseStatus, Finding, Report, StackReport } from "../policies/api";

/**
 * A copy of the report with every string passed through `redactKeys` and made inert for a terminal
 * or a log. The pack never puts key material in a message, but a report can be built from other
 * packs' findings, so every writer redacts its input first and its output last. Names come from the
 * program or the export (a resource named `"b\u001b[31m\nFORGED ✅"`): control characters are
 * written as `\uXXXX`, and in identifiers (URNs, stack names) line breaks too, so no view prints an
 * escape sequence or a line the report did not make.
 */
export function redactReport(report: Report): Report {
  return redactDeep(report, false) as Report;
}

/** Fields that name something, where a line break is never the report's own. */
const IDENTIFIER_FIELDS = new Set(["urn", "stack", "project", "organization", "environment", "name"]);

function redactDeep(value: unknown, identifier: boolean): unknown {
  if (typeof value === "string") return inert(redactKeys(value), identifier);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, identifier));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactDeep(v, IDENTIFIER_FIELDS.has(k))]),
    );
  }
  return value;
}

export const statusLabel: Record<CaseStatus, string> = {
  pass: "PASS",
  fail: "FAIL",
  inconclusive: "INCONCLUSIVE",
  "not-applicable": "N-A",
};

/**
 * How many case verdicts of each status the report holds, over all stacks, in one line:
 * `2 fail, 1 inconclusive, 14 pass, 1 not-applicable` (statuses with no case are left out).
 */
export function statusCounts(report: Report): string {
  const n = new Map<CaseStatus, number>();
  for (const s of report.stacks) for (const c of s.cases) n.set(c.status, (n.get(c.status) ?? 0) + 1);
  const parts = CASE_STATUSES.filter((st) => n.has(st)).map((st) => `${n.get(st)} ${st}`);
  return parts.length ? parts.join(", ") : "no cases";
}

/** Stack label as people say it: `project/stack`. */
export function stackLabel(s: StackReport): string {
  return `${s.project}/${s.stack}`;
}

/** The case result of a stack, or a not-applicable placeholder when the stack lacks that case. */
export function caseOf(stack: StackReport, id: CaseId): CaseResult {
  const found = stack.cases.find((c) => c.id === id);
  if (found) return found;
  const info = cases.find((c) => c.id === id)!;
  return { id, title: info.title, severity: info.severity, status: "not-applicable", findings: [] };
}

/** Findings not tied to any of the nine cases (e.g. from another pack). */
export function uncasedFindings(stack: StackReport): Finding[] {
  return stack.findings.filter((f) => f.caseId === null);
}

export function usd(n: number): string {
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** One line per finding, for plain-text contexts (JUnit failure bodies, SARIF help). */
export function findingLine(f: Finding): string {
  const waived = f.waiver
    ? ` [waived: ${f.waiver.reason}; owner ${f.waiver.owner}; expires ${f.waiver.expires}]`
    : "";
  const existing = f.baseline === "existing" ? " [existing]" : "";
  return `[${f.enforcementLevel}/${f.severity}]${existing} ${f.policy} ${f.urn}: ${f.message}${waived}`;
}

/** The resource name at the end of a URN (`urn:pulumi:stack::project::type::name`). */
export function resourceName(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

/**
 * What a case could not judge because preview did not know it (`CaseResult.unknown`), in one line:
 * `2 values unknown at preview: aws:lambda/function:Function 'api' environment.variables.E2B_API_KEY; …`.
 * Every view shows it beside the verdict, so a pass is never read as covering what was hidden.
 */
export function unknownSummary(c: CaseResult): string | undefined {
  const u = c.unknown ?? [];
  if (u.length === 0) return undefined;
  const items = u.map((v) => {
    const parts = v.urn.split("::");
    const what = parts.length >= 4 ? `${parts[2].split("$").pop()} '${parts.slice(3).join("::")}'` : v.urn;
    return v.path ? `${what} ${v.path}` : what;
  });
  const why =
    c.status === "inconclusive"
      ? ` (the case is inconclusive until ${u.length === 1 ? "it is" : "they are"} known)`
      : "";
  return `${u.length} value${u.length === 1 ? "" : "s"} unknown at preview${why}: ${items.join("; ")}`;
}
