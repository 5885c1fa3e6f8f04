/**
 * `e2b-guardrails`: offline preview and audit of Pulumi stacks against the E2B guardrails pack, the
 * eval suite, and the live sandbox auditor. Exit status: 0 clean, 1 mandatory violation (or failed
 * eval), 2 bad usage or unreadable input (one line naming the file and field).
 */
import { Command, CommanderError, Option } from "commander";
import path from "node:path";
import { InputError, ProgramError } from "../engine";
import { redactKeys } from "../policies/detect/keys";
import { formats, type Format } from "../reports";
import type { StackReport } from "../policies/api";
import { registerEvalsCommand } from "./evals";
import { registerSandboxesCommand } from "./sandboxes";
import { emit, exitStatus, parseFormat, prepareOutput } from "./output";
import {
  loadStates,
  openSession,
  previewProgram,
  scanGraph,
  scanStates,
  type ScanSession,
} from "../scan/session";
import { defaultStack } from "./stack-name";

const version: string = (require("../package.json") as { version: string }).version;

const formatOption = () =>
  new Option("--format <format>", `report format: ${formats.join(", ")}`)
    .default("text")
    .argParser(parseFormat);

/** The options preview and audit share: which pack, its config, and where the report goes. */
function withReportOptions(cmd: Command): Command {
  return cmd
    .option("--policy-pack <dir>", "CrossGuard policy pack folder (default: ours)")
    .option("--policy-config <file>", "policy config JSON, in the format of pulumi's --policy-pack-config")
    .addOption(formatOption())
    .option("--output <file>", "write the report here instead of stdout");
}

/** Render the session's report for these stacks, set the exit status, and stop the pack. */
async function finish(
  session: ScanSession,
  stacks: () => Promise<StackReport[]>,
  o: ReportFlags,
): Promise<void> {
  try {
    const report = session.report(await stacks());
    emit(report, o.format, o.output, {
      packPath: session.host.packDir,
      policies: session.host.info.policies,
    });
    process.exitCode = exitStatus(report);
  } finally {
    await session.close();
  }
}

interface ReportFlags {
  policyPack?: string;
  policyConfig?: string;
  format: Format;
  output?: string;
}

export function buildProgram(): Command {
  const program = new Command("e2b-guardrails")
    .description("Guardrails for E2B API keys, sandbox cost and workspaces on Pulumi stacks.")
    .version(version)
    // Bad usage is one line (exit 2): no help dump after the error, and commander's "Did you mean"
    // suggestion joins the error's line.
    .configureOutput({
      outputError: (str, write) =>
        write(
          redactKeys(str)
            .trimEnd()
            .replace(/\s*\n\s*/g, " ") + "\n",
        ),
    })
    .exitOverride();

  withReportOptions(
    program
      .command("preview")
      .description(
        "Run a Pulumi TypeScript program offline (no CLI, no credentials) and check it with a policy pack",
      )
      .option("--cwd <dir>", "folder holding Pulumi.yaml", ".")
      .option(
        "--stack <name>",
        "stack whose Pulumi.<stack>.yaml config to use (default: the only one there is)",
      )
      .option("--organization <name>", "organization name reported to the pack", "organization"),
  )
    .addHelpText(
      "after",
      "\n`secure:` config values are unknown secrets unless PULUMI_CONFIG_PASSPHRASE is set (passphrase provider).",
    )
    .action(async (o: ReportFlags & { cwd: string; stack?: string; organization: string }) => {
      if (o.output) prepareOutput(o.output, "--output");
      const cwd = path.resolve(o.cwd);
      const stack = o.stack ?? defaultStack(cwd);
      const { session, graph } = await previewProgram(
        { packDir: o.policyPack, policyConfig: o.policyConfig },
        { cwd, stack, organization: o.organization, passphrase: process.env.PULUMI_CONFIG_PASSPHRASE },
      );
      await finish(session, async () => [await scanGraph(session, graph)], o);
    });

  withReportOptions(
    program
      .command("audit")
      .description("Check `pulumi stack export` files (deployment v3); several files are one org-wide audit")
      .requiredOption(
        "--state <file>",
        "a stack export (repeat for an org-wide audit)",
        (v: string, acc: string[] = []) => [...acc, v],
      ),
  )
    .addHelpText(
      "after",
      "\nSecrets may be encrypted (ciphertext) or shown (`pulumi stack export --show-secrets`).",
    )
    .action(async (o: ReportFlags & { state: string[] }) => {
      const graphs = loadStates(o.state); // bad input fails before the pack starts
      if (o.output) prepareOutput(o.output, "--output");
      const session = await openSession({ packDir: o.policyPack, policyConfig: o.policyConfig });
      await finish(session, () => scanStates(session, graphs), o);
    });

  registerEvalsCommand(program);
  registerSandboxesCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is bad usage.
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0
        ? 0
        : 2;
    }
    if (e instanceof InputError || e instanceof ProgramError) {
      process.stderr.write(`error: ${redactKeys(e.message.split("\n")[0])}\n`);
      if (e instanceof ProgramError && e.message.includes("\n")) {
        process.stderr.write(redactKeys(e.message.split("\n").slice(1).join("\n")) + "\n");
      }
      return 2;
    }
    process.stderr.write(`error: ${redactKeys(e instanceof Error ? e.message : String(e))}\n`);
    return 2;
  }
}
