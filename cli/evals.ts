/**
 * `e2b-guardrails evals [--case E2B-0N] [--report-dir DIR] [--policy-config FILE]`: run the nine eval
 * cases' fixtures through the pack and compare with their expectations. Exit 0 when every fixture
 * matches, 1 on any mismatch (named by case and fixture), 2 on bad input.
 */
import type { Command } from "commander";
import path from "node:path";
import { renderSummary } from "../evals/summary";
import { runEvals } from "../evals/runner";
import { writeReports } from "../evals/write-reports";

export function registerEvalsCommand(program: Command): void {
  program
    .command("evals")
    .description("Run the nine eval cases' fixture programs through the policy pack and check every verdict")
    .option("--case <id>", "run one case only (E2B-01 … E2B-09)")
    .option(
      "--report-dir <dir>",
      "write the run's report in every format (json, markdown, html, junit, sarif) here",
    )
    .option("--policy-pack <dir>", "CrossGuard policy pack folder (default: ours)")
    .option("--policy-config <file>", "policy config JSON, in the format of pulumi's --policy-pack-config")
    .option("--concurrency <n>", "programs run at once (default: the number of cores)", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--concurrency: '${v}' is not a positive integer`);
      return n;
    })
    .action(
      async (o: {
        case?: string;
        reportDir?: string;
        policyPack?: string;
        policyConfig?: string;
        concurrency?: number;
      }) => {
        const run = await runEvals({
          only: o.case,
          packDir: o.policyPack,
          policyConfig: o.policyConfig,
          concurrency: o.concurrency,
        });
        process.stdout.write(renderSummary(run, { color: process.stdout.isTTY && !process.env.NO_COLOR }));
        if (o.reportDir) {
          const files = writeReports(run, path.resolve(o.reportDir));
          process.stdout.write(`Reports: ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}\n`);
        }
        process.exitCode = run.ok ? 0 : 1;
      },
    );
}
