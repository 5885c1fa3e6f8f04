/**
 * Markdown view of a `Report`: a summary table of the nine cases per stack, the cost model's
 * figures, then findings grouped by case. Meant for PR comments and CI job summaries.
 */
import { redactKeys } from "../policies/detect/keys";
import { caseIds } from "../policies/api";
import { sortFindings, type Finding, type Report } from "../policies/api";
import {
  caseOf,
  redactReport,
  stackLabel,
  statusCounts,
  statusLabel,
  uncasedFindings,
  unknownSummary,
  usd,
} from "./view-helpers";
import { baselineGroups, baselineSummary, costChangeRows } from "./adoption";

const badge = {
  pass: "✅ PASS",
  fail: "❌ FAIL",
  inconclusive: "❔ INCONCLUSIVE",
  "not-applicable": "➖ N-A",
} as const;

/** Table cells cannot hold pipes or newlines; inline text must not open code spans or HTML. */
function cell(text: string): string {
  return (
    text
      .replace(/\\/g, "\\\\")
      .replace(/\|/g, "\\|")
      // Names are data: `[…](…)` and `![…](…)` in one would be a live link or a remote image.
      .replace(/[[\]]/g, "\\$&")
      .replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"))
      .replace(/\r?\n/g, " ")
  );
}

function code(text: string): string {
  // A run of backticks inside a code span ends it when its fence is as long: fence with one backtick
  // more than the longest run, padded so a backtick at either end stays inside (CommonMark 6.1).
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  if (longest === 0) return `\`${text}\``;
  const fence = "`".repeat(longest + 1);
  return `${fence} ${text} ${fence}`;
}

function findingItem(f: Finding): string {
  const lines = [
    `- **${cell(f.policy)}** (${[f.enforcementLevel, f.severity, f.baseline ?? ""].filter(Boolean).join(", ")}) on ${code(f.urn)}  `,
    `  ${cell(f.message)}`,
  ];
  if (f.waiver) {
    lines.push(
      `  _Waived_: ${cell(f.waiver.reason)} — owner ${cell(f.waiver.owner)}, expires ${cell(f.waiver.expires)}`,
    );
  }
  return lines.join("\n");
}

export function toMarkdown(input: Report): string {
  const report = redactReport(input);
  const out: string[] = [];
  out.push("# E2B guardrails compliance report", "");
  out.push(
    `Generated ${report.generatedAt} by ${report.tool.name} ${report.tool.version} with policy pack ${report.pack.name} ${report.pack.version}.`,
    "",
  );

  out.push("## Cases per stack", "");
  if (report.stacks.length === 0) {
    out.push("_No stacks were analysed._", "");
  } else {
    // Rows are stacks and columns the nine cases, so the table stays readable with many stacks.
    out.push(`| Stack | Environment | ${caseIds.join(" | ")} |`);
    out.push(`|---|---|${caseIds.map(() => "---").join("|")}|`);
    for (const s of report.stacks) {
      const verdicts = caseIds.map((id) => {
        const c = caseOf(s, id);
        const unknown = c.unknown?.length ?? 0;
        return unknown ? `${badge[c.status]} (${unknown} unknown)` : badge[c.status];
      });
      out.push(`| ${cell(stackLabel(s))} | ${cell(s.environment)} | ${verdicts.join(" | ")} |`);
    }
    out.push("", `Case verdicts: ${statusCounts(report)}.`, "");
    for (const id of caseIds) {
      const info = caseOf(report.stacks[0], id);
      out.push(`- **${id}** ${cell(info.title)} (${info.severity})`);
    }
    out.push("");
  }

  const costs = report.stacks.flatMap((s) => (s.costs ?? []).map((c) => ({ stack: stackLabel(s), ...c })));
  if (costs.length > 0) {
    out.push("## Cost model", "");
    out.push(
      "| Stack | Environment | Expected / month | Worst case / month | One leaked sandbox | Budget / month |",
    );
    out.push("|---|---|---|---|---|---|");
    for (const c of costs) {
      const budget = c.budgetMonthlyUsd === undefined ? "none" : usd(c.budgetMonthlyUsd);
      out.push(
        `| ${cell(c.stack)} | ${cell(c.environment)} | ${usd(c.expectedMonthlyUsd)} | ${usd(c.worstCaseMonthlyUsd)} | ${usd(c.leakedSandboxUsd)} | ${budget} |`,
      );
    }
    out.push("");
  }

  const changes = report.stacks.flatMap((s) =>
    costChangeRows(s.costChange).map((c) => ({ stack: stackLabel(s), ...c })),
  );
  if (changes.length > 0) {
    out.push("## Cost change", "", "Modelled monthly E2B spend, deployed stack → this preview.", "");
    out.push("| Stack | Environment | Tier | Expected / month | Worst case / month |");
    out.push("|---|---|---|---|---|");
    for (const c of changes)
      out.push(
        `| ${cell(c.stack)} | ${cell(c.environment)} | ${cell(c.tier)} | ${cell(c.expected)} | ${cell(c.worstCase)} |`,
      );
    out.push("");
  }

  const base = baselineSummary(report);
  if (base) {
    out.push("## Baseline", "", `${cell(base)}.`, "");
    for (const kind of ["fixed", "unverified"] as const) {
      const listed = report.stacks.flatMap((s) =>
        baselineGroups(s)
          .filter((g) => g.kind === kind)
          .flatMap((g) => g.findings.map((f) => ({ s, f, heading: g.heading }))),
      );
      if (listed.length === 0) continue;
      out.push(`### ${listed[0].heading}`, "");
      for (const { s, f } of listed)
        out.push(`- **${cell(f.policy)}** on ${code(f.urn)} (${cell(stackLabel(s))})`);
      out.push("");
    }
  }

  out.push("## Findings by case", "");
  let any = false;
  for (const id of caseIds) {
    const perStack = report.stacks
      .map((s) => ({ s, c: caseOf(s, id) }))
      .filter(({ c }) => c.findings.length > 0);
    if (perStack.length === 0) continue;
    any = true;
    out.push(`### ${id} ${cell(perStack[0].c.title)}`, "");
    for (const { s, c } of perStack) {
      out.push(`#### ${cell(stackLabel(s))}: ${statusLabel[c.status]}`, "");
      const unknown = unknownSummary(c);
      if (unknown) out.push(`_${cell(unknown)}_`, "");
      for (const f of sortFindings(c.findings)) out.push(findingItem(f));
      out.push("");
    }
  }
  for (const s of report.stacks) {
    const other = uncasedFindings(s);
    if (other.length === 0) continue;
    any = true;
    out.push(`### Other policies: ${cell(stackLabel(s))}`, "");
    for (const f of sortFindings(other)) out.push(findingItem(f));
    out.push("");
  }
  if (!any) out.push("_No findings._", "");

  return redactKeys(out.join("\n"));
}
