/** `--report-dir`: every report format of the run's one Report, plus the eval outcomes as JSON. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { redactKeys } from "../policies/detect/keys";
import { fileExtension, formats, render } from "../reports";
import type { EvalRun } from "./runner";

export function outcomesJson(run: EvalRun): string {
  const data = {
    ok: run.ok,
    durationMs: run.durationMs,
    cases: run.cases.map((k) => ({
      id: k.id,
      title: k.title,
      ok: k.ok,
      fixtures: k.fixtures.map((o) => ({
        name: o.fixture.name,
        mechanism: o.fixture.mechanism,
        stack: o.fixture.expect.stack,
        expected: { verdict: o.fixture.expect.verdict, policies: o.fixture.expect.policies },
        actual: o.actual,
        ok: o.ok,
        problems: o.problems,
        durationMs: o.durationMs,
      })),
    })),
  };
  return redactKeys(JSON.stringify(data, null, 2) + "\n");
}

/** How a report file is written: the CLI passes its output layer (cli/output.ts writeOutputFile). */
export type WriteFile = (file: string, text: string) => void;

const plainWrite: WriteFile = (file, text) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, redactKeys(text));
};

/** Writes `report.<ext>` for each format and `evals.json`; returns the files written. */
export function writeReports(run: EvalRun, dir: string, write: WriteFile = plainWrite): string[] {
  const written: string[] = [];
  for (const format of formats) {
    const file = path.join(dir, `report.${fileExtension[format]}`);
    write(file, render(format, run.report, { policies: run.policies, color: false }));
    written.push(file);
  }
  const outcomes = path.join(dir, "evals.json");
  write(outcomes, outcomesJson(run));
  written.push(outcomes);
  return written;
}
