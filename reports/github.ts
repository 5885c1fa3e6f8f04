/**
 * `--format github`: GitHub Actions workflow commands, one per finding (`::error` for a new blocking
 * finding, `::warning` for an advisory one, `::notice` for waived and baseline-existing ones), then
 * per case with values unknown at preview one command listing them (`::warning` when they leave the
 * case inconclusive, `::notice` beside a verdict), a notice per cost change and one with the totals. Values are escaped as the Actions runner unescapes
 * them (actions/toolkit `command.ts`): `%`, CR and LF in the message; also `:` and `,` in properties.
 * The step summary (Markdown, appended to $GITHUB_STEP_SUMMARY by the CLI) is the Markdown view.
 */
import { redactKeys } from "../policies/detect/keys";
import { isBlocking, type Finding, type Report } from "../policies/api";
import { baselineSummary, costChangeRows } from "./adoption";
import { toMarkdown } from "./markdown";
import { urnLabel } from "./text";
import { caseOf, redactReport, stackLabel, statusCounts, unknownSummary } from "./view-helpers";
import { caseIds } from "../policies/api";

export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export type CommandName = "error" | "warning" | "notice";

export function workflowCommand(name: CommandName, props: Record<string, string>, message: string): string {
  const p = Object.entries(props)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(",");
  return `::${name}${p ? " " + p : ""}::${escapeData(message)}`;
}

function commandOf(f: Finding): CommandName {
  if (f.waiver || f.baseline === "existing") return "notice";
  if (isBlocking(f)) return "error";
  return f.enforcementLevel === "advisory" ? "warning" : "notice";
}

function titleOf(f: Finding): string {
  const tags = [
    f.caseId,
    f.enforcementLevel,
    f.baseline === "existing" ? "existing" : "",
    f.waiver ? "waived" : "",
  ];
  return `${f.policy} (${tags.filter(Boolean).join(", ")})`;
}

export function toGithub(input: Report): string {
  const report = redactReport(input);
  const lines: string[] = [];
  for (const s of report.stacks) {
    for (const f of s.findings) {
      const where = urnLabel(f.urn);
      const waiver = f.waiver
        ? `\nWaived by ${f.waiver.owner} until ${f.waiver.expires}: ${f.waiver.reason}`
        : "";
      lines.push(
        workflowCommand(
          commandOf(f),
          { title: titleOf(f) },
          `${stackLabel(s)}${where ? ` ${where}` : ""}\n${f.message}${waiver}`,
        ),
      );
    }
    for (const id of caseIds) {
      const c = caseOf(s, id);
      const unknown = unknownSummary(c);
      if (!unknown) continue;
      const inconclusive = c.status === "inconclusive";
      lines.push(
        workflowCommand(
          inconclusive ? "warning" : "notice",
          { title: `${c.id} ${inconclusive ? "inconclusive" : c.status}: values unknown at preview` },
          `${stackLabel(s)} ${c.id} ${c.title}: ${unknown}`,
        ),
      );
    }
    for (const c of costChangeRows(s.costChange))
      lines.push(
        workflowCommand(
          "notice",
          { title: `E2B cost change: ${c.environment}` },
          `${stackLabel(s)} ${c.environment} (${c.tier}), modelled monthly spend: expected ${c.expected}; worst case ${c.worstCase}`,
        ),
      );
  }
  const blocking = report.stacks.reduce((n, s) => n + s.findings.filter(isBlocking).length, 0);
  const total = report.stacks.reduce((n, s) => n + s.findings.length, 0);
  const base = baselineSummary(report);
  lines.push(
    workflowCommand(
      "notice",
      { title: "e2b-guardrails" },
      `${report.stacks.length} stack(s), ${total} finding(s), ${blocking} blocking; case verdicts: ${statusCounts(report)}${base ? `; ${base}` : ""}`,
    ),
  );
  return redactKeys(lines.join("\n") + "\n");
}

/** Markdown for $GITHUB_STEP_SUMMARY: the Markdown view (cases, cost change, new / existing / fixed). */
export function githubStepSummary(report: Report): string {
  return redactKeys(toMarkdown(report).trimEnd() + "\n\n");
}
