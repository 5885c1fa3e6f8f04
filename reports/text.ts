/**
 * The default `text` view, shaped like the "Policies:" block of `pulumi preview`, followed by the
 * per-case verdicts of each stack.
 */
import pc from "picocolors";
import { redactKeys } from "../policies/detect/keys";
import { isBlocking, type Finding, type Report } from "../policies/api";

export interface TextOptions {
  color?: boolean;
  /** Where the pack was loaded from, shown as pulumi does for local packs. */
  packPath?: string;
}

export function renderText(report: Report, opts: TextOptions = {}): string {
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
          cs.status === "pass" ? c.green("PASS") : cs.status === "fail" ? c.red("FAIL") : c.dim("N/A ");
        const n = cs.findings.length
          ? ` (${cs.findings.length} finding${cs.findings.length === 1 ? "" : "s"})`
          : "";
        lines.push(`    ${status}  ${cs.id}  ${cs.title}${n}`);
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
    lines.push("");
  }
  return redactKeys(lines.join("\n"));
}

function finding(f: Finding, c: ReturnType<typeof pc.createColors>): string[] {
  const level = f.waiver ? "[waived]" : `[${f.enforcementLevel}]`;
  const levelText = f.enforcementLevel === "mandatory" && !f.waiver ? c.red(level) : c.yellow(level);
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
