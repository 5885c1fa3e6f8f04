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
import { emit, oneLine, parseFormat, prepareOutput, writeStderr } from "./output";
import {
  exitStatusFor,
  finishReport,
  loadAdoptionInputs,
  withAdoptionOptions,
  withCostChange,
  writeStepSummary,
  type AdoptionFlags,
  type AdoptionInputs,
} from "./adoption";
import {
  loadStates,
  ownProcesses,
  previewProgram,
  scanGraph,
  scanStates,
  type ScanBackend,
  type ScanSession,
} from "../scan/session";
import { defaultStack } from "./stack-name";
import { keyCheckSummary, verifyLeakedKeys } from "./verify-keys";
import type { ResourceGraph } from "../engine";

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
    .option("--output <file>", "write the report here instead of stdout")
    .option(
      "--verify-keys",
      "ask the E2B API (E2B_API_URL or api.e2b.app, one read-only call per distinct key found) whether each leaked key is live, revoked or unknown; without it no key leaves the machine",
    );
}

/** Render the session's report for these stacks, set the exit status, and stop the pack. */
async function finish(
  session: ScanSession,
  stacks: () => Promise<StackReport[]>,
  o: ReportFlags,
  inputs: AdoptionInputs,
  artifacts: Record<string, string>,
  graphs: () => readonly ResourceGraph[],
): Promise<void> {
  try {
    const reports = await stacks();
    if (o.verifyKeys) process.stderr.write(keyCheckSummary(await verifyLeakedKeys(reports, graphs())) + "\n");
    const report = finishReport(session.report(reports), o, inputs);
    emit(report, o.format, o.output, {
      packPath: session.host.packDir,
      policies: session.host.info.policies,
      artifacts,
    });
    writeStepSummary(report, o.format);
    process.exitCode = exitStatusFor(report, o.failOn);
  } finally {
    await session.close();
  }
}

interface ReportFlags extends AdoptionFlags {
  policyPack?: string;
  policyConfig?: string;
  format: Format;
  output?: string;
  verifyKeys?: boolean;
}

/** A path as code scanning wants it: relative to where the command runs (the checkout), `/`-separated. */
function artifactPath(file: string): string {
  return path.relative(process.cwd(), path.resolve(file)).split(path.sep).join("/");
}

/** The command line; `backend` supplies its pack sessions and program runs (default: its own processes). */
export function buildProgram(backend: ScanBackend = ownProcesses): Command {
  const program = new Command("e2b-guardrails")
    .description("Guardrails for E2B API keys, sandbox cost and workspaces on Pulumi stacks.")
    .version(version)
    .option("--debug", "on an unexpected error, print its stack trace (redacted) as well")
    // Bad usage is one line (exit 2): no help dump after the error, and commander's "Did you mean"
    // suggestion joins the error's line.
    .configureOutput({
      outputError: (str, write) =>
        write(
          redactKeys(str)
            .trimEnd()
            .replace(/\s*\n\s*/g, " ") + "\n",
        ),
      writeErr: (str) => writeStderr(str),
      writeOut: (str) => process.stdout.write(redactKeys(str)),
    })
    .exitOverride();

  withAdoptionOptions(
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
    ),
    { compareState: true },
  )
    .addHelpText(
      "after",
      "\nThe program runs under its own installed @pulumi/pulumi (run npm install there first), as under `pulumi preview`.\n`secure:` config values are decrypted with PULUMI_CONFIG_PASSPHRASE (passphrase provider) when the stack has any; otherwise, or with another secrets provider, they are unknown secrets.",
    )
    .action(async (o: ReportFlags & { cwd: string; stack?: string; organization: string }) => {
      if (o.output) prepareOutput(o.output, "--output");
      const inputs = loadAdoptionInputs(o); // bad input fails before the program runs
      const cwd = path.resolve(o.cwd);
      const stack = o.stack ?? defaultStack(cwd);
      const { session, graph } = await previewProgram(
        { packDir: o.policyPack, policyConfig: o.policyConfig },
        { cwd, stack, organization: o.organization, passphrase: process.env.PULUMI_CONFIG_PASSPHRASE },
        backend,
      );
      await finish(
        session,
        async () => {
          const stack = await scanGraph(session, graph);
          return [inputs.deployed ? withCostChange(session, stack, graph, inputs.deployed) : stack];
        },
        o,
        inputs,
        { [`${graph.project}/${graph.stack}`]: artifactPath(path.join(cwd, "Pulumi.yaml")) },
        () => [graph],
      );
    });

  withAdoptionOptions(
    withReportOptions(
      program
        .command("audit")
        .description(
          "Check `pulumi stack export` files (deployment v3); several files are one org-wide audit",
        )
        .requiredOption(
          "--state <file>",
          "a stack export (repeat for an org-wide audit)",
          (v: string, acc: string[] = []) => [...acc, v],
        ),
    ),
  )
    .addHelpText(
      "after",
      "\nSecrets may be encrypted (ciphertext) or shown (`pulumi stack export --show-secrets`).",
    )
    .action(async (o: ReportFlags & { state: string[] }) => {
      const graphs = loadStates(o.state); // bad input fails before the pack starts
      if (o.output) prepareOutput(o.output, "--output");
      const inputs = loadAdoptionInputs(o);
      const session = await backend.openSession({ packDir: o.policyPack, policyConfig: o.policyConfig });
      const artifacts = Object.fromEntries(
        graphs.map((g, i) => [`${g.project}/${g.stack}`, artifactPath(o.state[i])]),
      );
      await finish(
        session,
        () => scanStates(session, graphs),
        o,
        inputs,
        artifacts,
        () => graphs,
      );
    });

  registerEvalsCommand(program, backend);
  registerSandboxesCommand(program);
  return program;
}

export async function main(argv: string[], backend: ScanBackend = ownProcesses): Promise<number> {
  const program = buildProgram(backend);
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
      writeStderr(`error: ${oneLine(e)}\n`);
      if (e instanceof ProgramError) {
        // The program's own output, relayed (redacted by writeStderr like every other byte).
        const rest = redactKeys(e.message).split("\n").slice(1).join("\n");
        if (rest.trim()) writeStderr(rest + "\n");
      }
      return 2;
    }
    // Anything else is our bug or the environment's (a dead pack, a deep tree): still one line.
    const debug = argv.includes("--debug");
    writeStderr(`error: ${debug && e instanceof Error && e.stack ? redactKeys(e.stack) : oneLine(e)}\n`);
    return 2;
  }
}
