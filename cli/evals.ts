/**
 * `e2b-guardrails evals [--case E2B-0N] [--report-dir DIR]`: run the nine eval cases' fixture programs
 * through the policy pack and compare each verdict with its expectation. Exit 0 when every fixture
 * matches, 1 on any mismatch (named by case and fixture), 2 on bad input (one line naming file and field).
 */
import type { Command } from "commander";
import path from "node:path";
import { InputError } from "../engine/errors";
import { prepareOutput, writeOutputFile, writeStdout } from "./output";
import type { ScanBackend } from "../scan/session";

interface EvalsFlags {
  case?: string;
  reportDir?: string;
  evalsDir?: string;
  policyPack?: string;
  policyConfig?: string;
  concurrency?: number;
}

function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--concurrency: '${v}' is not a positive integer`);
  return n;
}

export function registerEvalsCommand(program: Command, backend?: ScanBackend): void {
  program
    .command("evals")
    .description("Run the nine eval cases' fixture programs through the policy pack and check every verdict")
    .option("--case <id>", "run one case only (E2B-01 … E2B-09)")
    .option("--report-dir <dir>", "also write the run's report as json, markdown, html, junit and sarif here")
    .option("--evals-dir <dir>", "folder holding cases/ and fixtures/ (default: the evals shipped here)")
    .option("--policy-pack <dir>", "CrossGuard policy pack folder (default: ours)")
    .option("--policy-config <file>", "policy config JSON, in the format of pulumi's --policy-pack-config")
    .option("--concurrency <n>", "programs run at once (default: the number of cores)", positiveInteger)
    .action(async (o: EvalsFlags) => {
      // A report folder we cannot write to is bad usage before the run, not an error after it.
      if (o.reportDir) prepareOutput(o.reportDir, "--report-dir", "dir");
      // The runner (the engine and the pack) is loaded when the command runs, not at start-up.
      const { runEvals } = require("../evals/runner") as typeof import("../evals/runner");
      const { renderSummary } = require("../evals/summary") as typeof import("../evals/summary");
      const { writeReports } = require("../evals/write-reports") as typeof import("../evals/write-reports");
      const run = await runEvals({
        only: o.case,
        evalsDir: o.evalsDir && path.resolve(o.evalsDir),
        packDir: o.policyPack,
        policyConfig: o.policyConfig,
        concurrency: o.concurrency,
        backend,
      });
      writeStdout(renderSummary(run, { color: process.stdout.isTTY && !process.env.NO_COLOR }));
      if (o.reportDir) {
        const files = writeReports(run, path.resolve(o.reportDir), (f, text) =>
          writeOutputFile(f, text, "--report-dir"),
        );
        writeStdout(`Reports: ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}\n`);
      }
      process.exitCode = run.ok ? 0 : 1;
    });
}
