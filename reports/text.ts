/**
 * The default `text` view, shaped like the "Policies:" block of `pulumi preview`, followed by the
 * per-case verdicts of each stack.
 */
import pc from "picocolors";
import { redactKeys } from "../policies/detect/keys";
import { isBlocking, type Finding, type Report } from "../policies/api";
import { baselineGroups, baselineSummary, costChangeRows } from "./adoption";
import { redactReport, statusCounts, unknownSummary } from "./view-helpers";

export interface TextOptions {
  color?: boolean;
  /** Where the pack was loaded from, shown as pulumi does for local packs. */
  packPath?: string;
}

export function renderText(input: Report, opts: TextOptions = {}): string {
  // Redact values before they are split into lines: a key split by a newline in a message is
  // joined (and masked) here, not left as two halves on two indented lines.
  const report = redactReport(input);
  const c = pc.createColors(opts.color ?? false);
  const lines: string[] = [];
  for (const s of report.stacks) {
    const all = s.findings;
    const mark = all.some(isBlocking) ? "❌" : all.some((f) => !f.waiver) ? "⚠️ " : "✅";
    lines.push(c.bold(`Stack ${s.project}/${s.stack} (environment: ${s.environment})`));
    lines.push("Policies:");
    lines.push(
      `    ${mark} ${report.pack.name}@v${report.pack.version}${opts.packPath ? ` (local: ${opts.packPath})` : ""}`,
    );
    for (const f of all) lines.push(...finding(f, c));
    const cases = s.cases.filter(
      (x) => x.status !== "not-applicable" || report.pack.name === "e2b-guardrails",
    );
    if (cases.length > 0) {
      lines.push("Cases:");
      for (const cs of cases) {
        const status =
          cs.status === "pass"
            ? c.green("PASS")
            : cs.status === "fail"
              ? c.red("FAIL")
              : cs.status === "inconclusive"
                ? c.yellow("INCONCLUSIVE")
                : c.dim("N/A ");
        const n = cs.findings.length
          ? ` (${cs.findings.length} finding${cs.findings.length === 1 ? "" : "s"})`
          : "";
        lines.push(`    ${status}  ${cs.id}  ${cs.title}${n}`);
        const unknown = unknownSummary(cs);
        if (unknown) lines.push(`          ${unknown}`);
      }
    }
    if (s.costs?.length) {
      lines.push("Cost model:");
      for (const k of s.costs) {
        const budget = k.budgetMonthlyUsd !== undefined ? `, budget $${k.budgetMonthlyUsd.toFixed(2)}` : "";
        lines.push(
          `    ${k.environment}: expected $${k.expectedMonthlyUsd.toFixed(2)}/month, worst case $${k.worstCaseMonthlyUsd.toFixed(2)}/month, one leaked sandbox $${k.leakedSandboxUsd.toFixed(2)}${budget}`,
        );
      }
    }
    const changes = costChangeRows(s.costChange);
    if (changes.length) {
      lines.push("Cost change (deployed → previewed, per month):");
      for (const k of changes)
        lines.push(`    ${k.environment} (${k.tier}): expected ${k.expected}; worst case ${k.worstCase}`);
    }
    for (const g of baselineGroups(s)) {
      lines.push(`${g.heading}:`);
      for (const f of g.findings)
        lines.push(`        - ${f.policy}${urnLabel(f.urn) ? `  (${urnLabel(f.urn)})` : ""}`);
    }
    lines.push("");
  }
  if (report.stacks.length) lines.push(`Case verdicts: ${statusCounts(report)}`, "");
  const base = baselineSummary(report);
  if (base) lines.push(`Baseline: ${base}`, "");
  return redactKeys(lines.join("\n"));
}

function finding(f: Finding, c: ReturnType<typeof pc.createColors>): string[] {
  const level =
    (f.waiver ? "[waived]" : `[${f.enforcementLevel}]`) + (f.baseline === "existing" ? " [existing]" : "");
  const levelText = isBlocking(f) ? c.red(level) : c.yellow(level);
  const where = urnLabel(f.urn);
  const head = `        - ${levelText} [severity: ${f.severity}]  ${f.policy}${where ? `  (${where})` : ""}`;
  const body = f.message.split("\n").map((l) => `          ${l}`);
  if (f.waiver)
    body.push(`          waived by ${f.waiver.owner} until ${f.waiver.expires}: ${f.waiver.reason}`);
  return [head, ...body];
}

/** `urn:…::aws:lambda/function:Function::api` → `aws:lambda/function:Function: api`, as pulumi prints it. */
export function urnLabel(urn: string): string {
  if (!urn) return "";
  const parts = urn.split("::");
  if (parts.length < 4) return urn;
  const type = parts[2].split("$").pop();
  return `${type}: ${parts.slice(3).join("::")}`;
}
