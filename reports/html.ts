/**
 * HTML view of a `Report` for a compliance reviewer: one self-contained file (inline CSS, no script,
 * no external assets; a Content-Security-Policy forbids loading any), with a per-stack case matrix,
 * expandable findings, waivers, the cost model's figures, generation time and pack version.
 * Every value is HTML-escaped after key redaction.
 */
import { redactKeys } from "../policies/detect/keys";
import { caseIds } from "../policies/api";
import { sortFindings, type CaseResult, type Finding, type Report, type StackReport } from "../policies/api";
import {
  caseOf,
  redactReport,
  resourceName,
  stackLabel,
  statusCounts,
  statusLabel,
  uncasedFindings,
  unknownSummary,
  usd,
} from "./view-helpers";
import { baselineGroups, baselineSummary, costChangeRows } from "./adoption";

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]);
}

const e = escapeHtml;

const css = `
:root { --pass:#1a7f37; --fail:#cf222e; --inconclusive:#9a6700; --na:#6e7781; --waived:#9a6700; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2328; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
.meta { color: #57606a; margin: 0 0 1.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 3.2rem; text-align: center; border-radius: 1rem; padding: 0 .5rem;
  font-weight: 600; font-size: .8rem; color: #fff; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.not-applicable { background: var(--na); }
.badge.inconclusive { background: var(--inconclusive); }
.badge.waived { background: var(--waived); } .badge.existing { background: var(--na); } .badge.new { background: #0969da; }
section.stack { border-top: 2px solid var(--line); margin-top: 2rem; padding-top: 1rem; }
details.case { margin: .4rem 0; border: 1px solid var(--line); border-radius: 6px; padding: .3rem .6rem; }
details.case > summary { cursor: pointer; font-weight: 600; }
details.finding { margin: .4rem 0 .4rem 1rem; border-left: 3px solid var(--fail); padding-left: .6rem; }
details.finding.advisory { border-left-color: var(--na); } details.finding.waived { border-left-color: var(--waived); }
details.finding > summary { cursor: pointer; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: .4rem 0; }
dt { color: #57606a; } dd { margin: 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.empty { color: #57606a; font-style: italic; }
.unknown { color: #9a6700; font-weight: 600; }
table.matrix td { text-align: center; }
ul.legend { columns: 3; color: #57606a; padding-left: 1.2rem; margin: 0 0 1.5rem; } .sev { font-size: .85em; }
`;

function badge(status: CaseResult["status"]): string {
  return `<span class="badge ${status}">${statusLabel[status]}</span>`;
}

function anchor(stackIndex: number, id: string): string {
  return `s${stackIndex}-${id}`;
}

function findingHtml(f: Finding): string {
  const cls = f.waiver ? "waived" : f.enforcementLevel === "advisory" ? "advisory" : "blocking";
  const waiverRows = f.waiver
    ? `<dt>Waiver</dt><dd class="waiver">${e(f.waiver.reason)}</dd>` +
      `<dt>Waiver owner</dt><dd>${e(f.waiver.owner)}</dd><dt>Waiver expires</dt><dd>${e(f.waiver.expires)}</dd>`
    : "";
  const tag =
    (f.waiver ? ' <span class="badge waived">WAIVED</span>' : "") +
    (f.baseline ? ` <span class="badge ${f.baseline}">${f.baseline.toUpperCase()}</span>` : "");
  const baselineAttr = f.baseline ? ` data-baseline="${f.baseline}"` : "";
  return (
    `<details class="finding ${cls}" data-policy="${e(f.policy)}" data-urn="${e(f.urn)}"${baselineAttr}>` +
    `<summary><code>${e(f.policy)}</code> on <strong>${e(resourceName(f.urn))}</strong>${tag}</summary>` +
    `<p class="message">${e(f.message)}</p>` +
    `<dl><dt>Resource</dt><dd><code>${e(f.urn)}</code></dd>` +
    `<dt>Enforcement</dt><dd>${e(f.enforcementLevel)}</dd><dt>Severity</dt><dd>${e(f.severity)}</dd>${waiverRows}</dl>` +
    `</details>`
  );
}

/** Rows are stacks and columns the nine cases, so the table stays readable with many stacks. */
function matrixHtml(report: Report): string {
  if (report.stacks.length === 0) return `<p class="empty">No stacks were analysed.</p>`;
  const head = caseIds
    .map((id) => {
      const info = caseOf(report.stacks[0], id);
      return `<th scope="col" title="${e(`${info.title} (${info.severity})`)}">${id}</th>`;
    })
    .join("");
  const rows = report.stacks.map((s, i) => {
    const cells = caseIds
      .map((id) => {
        const c = caseOf(s, id);
        return `<td data-stack="${e(s.stack)}" data-case="${id}" data-status="${c.status}"><a href="#${anchor(i, id)}">${badge(c.status)}</a></td>`;
      })
      .join("");
    return `<tr><th scope="row"><a href="#s${i}">${e(stackLabel(s))}</a></th><td>${e(s.environment)}</td>${cells}</tr>`;
  });
  const legend = caseIds
    .map((id) => {
      const info = caseOf(report.stacks[0], id);
      return `<li><strong>${id}</strong> ${e(info.title)} <span class="sev">(${e(info.severity)})</span></li>`;
    })
    .join("");
  return (
    `<table class="matrix"><thead><tr><th>Stack</th><th>Environment</th>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>` +
    `<ul class="legend">${legend}</ul>`
  );
}

function costsHtml(stack: StackReport): string {
  const costs = stack.costs ?? [];
  if (costs.length === 0) return "";
  const rows = costs.map(
    (c) =>
      `<tr><td>${e(c.environment)}</td><td class="num">${usd(c.expectedMonthlyUsd)}</td><td class="num">${usd(c.worstCaseMonthlyUsd)}</td>` +
      `<td class="num">${usd(c.leakedSandboxUsd)}</td><td class="num">${c.budgetMonthlyUsd === undefined ? "none" : usd(c.budgetMonthlyUsd)}</td></tr>`,
  );
  return (
    `<h3>Cost model</h3><table class="costs"><thead><tr><th>Environment</th><th>Expected / month</th><th>Worst case / month</th>` +
    `<th>One leaked sandbox</th><th>Budget / month</th></tr></thead><tbody>${rows.join("")}</tbody></table>`
  );
}

function costChangeHtml(stack: StackReport): string {
  const rows = costChangeRows(stack.costChange);
  if (rows.length === 0) return "";
  return (
    `<h3>Cost change (deployed → this preview)</h3><table class="cost-change"><thead><tr><th>Environment</th><th>Tier</th>` +
    `<th>Expected / month</th><th>Worst case / month</th></tr></thead><tbody>` +
    rows
      .map(
        (c) =>
          `<tr><td>${e(c.environment)}</td><td>${e(c.tier)}</td><td class="num">${e(c.expected)}</td><td class="num">${e(c.worstCase)}</td></tr>`,
      )
      .join("") +
    `</tbody></table>`
  );
}

function baselineGroupsHtml(stack: StackReport): string {
  return baselineGroups(stack)
    .map((g) => {
      const rows = g.findings.map(
        (f) =>
          `<tr data-baseline="${g.kind}"><td><code>${e(f.policy)}</code></td><td><code>${e(f.urn)}</code></td><td>${e(f.message)}</td></tr>`,
      );
      return (
        `<h3>${e(g.heading)}</h3><table class="${g.kind}"><thead><tr><th>Policy</th><th>Resource</th><th>Message (baseline)</th></tr></thead>` +
        `<tbody>${rows.join("")}</tbody></table>`
      );
    })
    .join("");
}

function waiversHtml(stack: StackReport): string {
  const waived = stack.findings.filter((f) => f.waiver);
  if (waived.length === 0) return "";
  const rows = waived.map(
    (f) =>
      `<tr><td><code>${e(f.policy)}</code></td><td><code>${e(f.urn)}</code></td><td>${e(f.waiver!.reason)}</td>` +
      `<td>${e(f.waiver!.owner)}</td><td>${e(f.waiver!.expires)}</td></tr>`,
  );
  return (
    `<h3>Waivers</h3><table class="waivers"><thead><tr><th>Policy</th><th>Resource</th><th>Reason</th><th>Owner</th><th>Expires</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`
  );
}

function stackHtml(stack: StackReport, i: number): string {
  const caseBlocks = caseIds.map((id) => {
    const c = caseOf(stack, id);
    const unknown = unknownSummary(c);
    const body =
      (unknown ? `<p class="unknown">${e(unknown)}</p>` : "") +
      (c.findings.length === 0
        ? `<p class="empty">No findings.</p>`
        : sortFindings(c.findings).map(findingHtml).join(""));
    const open = c.status === "fail" || c.status === "inconclusive" ? " open" : "";
    return (
      `<details class="case" id="${anchor(i, id)}" data-case="${id}" data-status="${c.status}"${open}>` +
      `<summary>${badge(c.status)} ${id} ${e(c.title)} <span class="count">(${c.findings.length} finding${c.findings.length === 1 ? "" : "s"}${c.unknown?.length ? `, ${c.unknown.length} unknown at preview` : ""})</span></summary>` +
      `${body}</details>`
    );
  });
  const other = uncasedFindings(stack);
  const otherHtml =
    other.length === 0 ? "" : `<h3>Other policies</h3>${sortFindings(other).map(findingHtml).join("")}`;
  return (
    `<section class="stack" id="s${i}" data-stack="${e(stack.stack)}"><h2>${e(stackLabel(stack))}</h2>` +
    `<p class="meta">Environment: <strong>${e(stack.environment)}</strong></p>` +
    `${costsHtml(stack)}${costChangeHtml(stack)}${waiversHtml(stack)}${baselineGroupsHtml(stack)}<h3>Cases</h3>${caseBlocks.join("")}${otherHtml}</section>`
  );
}

export function toHtml(input: Report): string {
  const report = redactReport(input);
  const failing = report.stacks.reduce((n, s) => n + s.cases.filter((c) => c.status === "fail").length, 0);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>E2B guardrails compliance report</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>E2B guardrails compliance report</h1>
<p class="meta">Generated <time class="generated" datetime="${e(report.generatedAt)}">${e(report.generatedAt)}</time>
 by ${e(report.tool.name)} ${e(report.tool.version)} · policy pack <span class="pack">${e(report.pack.name)} ${e(report.pack.version)}</span>
 · ${report.stacks.length} stack${report.stacks.length === 1 ? "" : "s"}, ${failing} failing case verdict${failing === 1 ? "" : "s"} · <span class="status-counts">${e(statusCounts(report))}</span>${baselineSummary(report) ? ` · <span class="baseline">${e(baselineSummary(report)!)}</span>` : ""}</p>
</header>
<main>
<h2>Case matrix</h2>
${matrixHtml(report)}
${report.stacks.map(stackHtml).join("\n")}
</main>
</body>
</html>
`;
  return redactKeys(html);
}
