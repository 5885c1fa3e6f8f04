/** The text view of a sandbox audit report: a summary, attribution totals, leaked sandboxes. */
import { inert } from "../policies/detect/keys";
import type { AuditReport } from "./auditor";

/**
 * Lines as printed: template ids, metadata values and API errors come from the API, and a control
 * character in one (`\r`, an ANSI erase, a line break) could rewrite the report on a terminal
 * ("No leaked sandboxes." over a leaked row, just before a --kill prompt), so each is written `\uXXXX`.
 */
const printed = (lines: string[]) => lines.map((l) => inert(l, true)).join("\n");

const usd = (n: number) => (n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);

export function formatAuditText(
  r: AuditReport,
  extra: { spared?: string[]; gone?: string[]; failed?: { sandboxId: string; error: string }[] } = {},
): string {
  const lines: string[] = [];
  lines.push(
    `Sandboxes at ${r.generatedAt}: ${r.total} (${r.running} running, ${r.paused} paused), ${usd(r.costPerHourUsd)}/h while running`,
  );
  if (r.attribution.length > 0) {
    lines.push("", "Attribution:");
    const width = Math.min(
      40,
      Math.max(...r.attribution.map((a) => `${a.key}=${a.value ?? "(missing)"}`.length)),
    );
    for (const a of r.attribution) {
      const label = `${a.key}=${a.value ?? "(missing)"}`;
      lines.push(
        `  ${label.padEnd(width)}  ${String(a.count).padStart(6)} sandboxes  ${usd(a.costPerHourUsd)}/h`,
      );
    }
  }
  lines.push("", r.leaked.length === 0 ? "No leaked sandboxes." : `Leaked sandboxes: ${r.leaked.length}`);
  for (const l of r.leaked) {
    lines.push(
      `  ${l.sandboxId}  ${l.templateId}  ${l.state}  started ${l.startedAt}  ${usd(l.costSoFarUsd)} so far`,
    );
    for (const reason of l.reasons) lines.push(`      - ${reason}`);
  }
  if (r.suspect?.length) {
    lines.push("", `Suspect (implausible times, not judged by age): ${r.suspect.length}`);
    for (const x of r.suspect)
      lines.push(`  ${x.sandboxId}`, ...x.reasons.map((reason) => `      - ${reason}`));
  }
  if (r.skipped?.length) {
    lines.push("", `Skipped (not judged): ${r.skipped.length}`);
    for (const x of r.skipped) lines.push(`  ${x.sandboxId ?? "(no id)"}: ${x.reason}`);
  }
  const tail = formatKillText(r.killed, extra);
  return printed(lines) + "\n" + (tail ? "\n" + tail : "");
}

/** The kill outcome lines alone (printed after a confirmation prompt). */
export function formatKillText(
  killed: string[],
  extra: { spared?: string[]; gone?: string[]; failed?: { sandboxId: string; error: string }[] } = {},
): string {
  const lines: string[] = [];
  if (killed.length > 0) lines.push(`Killed: ${killed.join(", ")}`);
  if (extra.gone?.length) lines.push(`Already gone: ${extra.gone.join(", ")}`);
  if (extra.spared?.length)
    lines.push(`No longer leaked on re-check, left alone: ${extra.spared.join(", ")}`);
  for (const f of extra.failed ?? []) lines.push(`Could not kill ${f.sandboxId}: ${f.error}`);
  return lines.length > 0 ? printed(lines) + "\n" : "";
}
