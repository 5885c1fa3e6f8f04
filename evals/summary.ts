/**
 * The text the `evals` command prints: a table of fixtures (case, fixture, expected, actual, ✓/✗),
 * the per-case verdicts and, on failure, one line per mismatch naming case and fixture.
 */
import Table from "cli-table3";
import pc from "picocolors";
import { redactKeys } from "../policies/detect/keys";
import type { Expectation } from "./schema";
import type { Verdict } from "./compare";
import type { EvalRun } from "./runner";

type Colors = Pick<typeof pc, "green" | "red" | "dim" | "bold">;
const plain: Colors = { green: String, red: String, dim: String, bold: String } as unknown as Colors;

function expected(e: Expectation): string {
  return e.verdict === "fail" ? `FAIL\n${e.policies.join("\n")}` : "PASS\n(no finding)";
}

function actual(v: Verdict): string {
  const status = v.status === "not-applicable" ? "N-A" : v.status.toUpperCase();
  if (v.reported.length === 0) return v.status === "error" ? "ERROR" : `${status}\n(no finding)`;
  return `${status}\n${v.reported.map((p) => (v.fired.includes(p) ? p : `${p} (advisory)`)).join("\n")}`;
}

export function renderSummary(run: EvalRun, opts: { color?: boolean } = {}): string {
  const c: Colors = opts.color ? pc : plain;
  const table = new Table({
    head: ["Case", "Fixture", "Expected", "Actual", ""],
    style: { head: opts.color ? ["bold"] : [], border: opts.color ? ["grey"] : [] },
  });
  for (const k of run.cases) {
    for (const o of k.fixtures) {
      table.push([
        k.id,
        `${o.fixture.name}\n${c.dim(`stack ${o.fixture.expect.stack}`)}`,
        expected(o.fixture.expect),
        actual(o.actual),
        o.ok ? c.green("✓") : c.red("✗"),
      ]);
    }
  }
  const lines = [table.toString(), ""];
  for (const k of run.cases) {
    const passed = k.fixtures.filter((o) => o.ok).length;
    const mark = k.ok ? c.green("✓") : c.red("✗");
    lines.push(`${mark} ${k.id} ${k.title}: ${passed}/${k.fixtures.length} fixtures as expected`);
  }
  const mismatches = run.cases.flatMap((k) => k.fixtures.filter((o) => !o.ok));
  if (mismatches.length > 0) {
    lines.push("");
    for (const o of mismatches) {
      lines.push(c.red(`✗ ${o.fixture.caseId} ${o.fixture.name}: ${o.problems.join("; ")}`));
    }
  }
  const total = run.cases.reduce((n, k) => n + k.fixtures.length, 0);
  lines.push(
    "",
    c.bold(
      `${run.cases.length} case${run.cases.length === 1 ? "" : "s"}, ${total} fixtures: ${total - mismatches.length} as expected, ` +
        `${mismatches.length} mismatched (${(run.durationMs / 1000).toFixed(1)} s)`,
    ),
  );
  return redactKeys(lines.join("\n") + "\n");
}
