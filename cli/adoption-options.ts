/**
 * The flags of the adoption features (baselines, gating, the cost change of a preview), apart from
 * what they do (./adoption.ts): the command table registers them at start-up, when nothing else of
 * the report pipeline is loaded.
 */
import { Option, type Command } from "commander";
import { InputError } from "../engine/errors";

export const failOnLevels = ["mandatory", "advisory", "none"] as const;
export type FailOn = (typeof failOnLevels)[number];

export function parseFailOn(value: string): FailOn {
  if ((failOnLevels as readonly string[]).includes(value)) return value as FailOn;
  throw new InputError(`--fail-on: '${value}' is not one of ${failOnLevels.join(", ")}`);
}

export interface AdoptionFlags {
  baseline?: string;
  writeBaseline?: string;
  failOn: FailOn;
  compareState?: string;
}

/** The flags `preview` and `audit` share; `--compare-state` is preview's only. */
export function withAdoptionOptions(cmd: Command, opts: { compareState?: boolean } = {}): Command {
  cmd
    .option("--baseline <file>", "JSON report of an earlier run: its findings are `existing` and never fail")
    .option(
      "--write-baseline <file>",
      "write this run's JSON report here, to serve as a baseline (may name the --baseline file: refreshed in place)",
    )
    .addOption(
      new Option("--fail-on <level>", `lowest level that fails the run: ${failOnLevels.join(", ")}`)
        .default("mandatory")
        .argParser(parseFailOn),
    );
  if (opts.compareState)
    cmd.option(
      "--compare-state <file>",
      "`pulumi stack export` of the deployed stack: report the modelled E2B spend before and after",
    );
  return cmd;
}
