/**
 * `e2b-guardrails`: offline preview and audit of Pulumi stacks against the E2B guardrails pack, the
 * eval suite, and the live sandbox auditor. Exit status: 0 clean, 1 mandatory violation (or failed
 * eval), 2 bad usage or unreadable input (one line naming the file and field).
 */
import path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { InputError } from "../engine/errors";
import { redactKeys } from "../policies/detect/keys";
import { redactMaterial } from "../policies/detect/redact";
import { formats } from "../reports/formats";
import { registerEvalsCommand } from "./evals";
import { registerSandboxesCommand } from "./sandboxes";
import { forgetSecretsInOutput, oneLine, parseFormat, writeStderr } from "./output";
import { withAdoptionOptions } from "./adoption-options";
import type { AuditFlags, PreviewFlags } from "./report-commands";
import { DEFAULT_ORGANIZATION } from "./defaults";
import type { ScanBackend } from "../scan/session";

/**
 * The command table: flags, help and which module runs each command. It loads only commander and a
 * few small modules, so `--help`, bad usage and every command start without paying for the others;
 * a command's own module (the engine, the pack's report model, the e2b SDK) is required when it runs.
 */
const reportCommands = () => require("./report-commands") as typeof import("./report-commands");

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

/**
 * The command line. `backend` supplies its pack sessions and program runs; without one, each command
 * starts its own processes (scan/session.ts `ownProcesses`).
 */
export function buildProgram(backend?: ScanBackend): Command {
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
          "stack whose Pulumi.<stack>.yaml config to use: stack, org/stack or org/project/stack (default: the only one there is)",
        )
        .option(
          "--organization <name>",
          "organization name reported to the pack (default: the one in --stack org/stack, else this placeholder)",
          DEFAULT_ORGANIZATION,
        )
        .option(
          "--program-timeout <seconds>",
          "how long the program may run before it is stopped (default 120; a program registering tens of thousands of resources needs more)",
        ),
    ),
    { compareState: true },
  )
    .addHelpText(
      "after",
      "\nThe program runs under its own installed @pulumi/pulumi (run npm install there first), as under `pulumi preview`.\n`secure:` config values are decrypted with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (passphrase provider) when the stack has any; otherwise, or with another secrets provider, they are unknown secrets.\nThe project's other stack files are read too (E2B-02: one key in two environments' Pulumi.<stack>.yaml).",
    )
    .action((o: PreviewFlags) => reportCommands().runPreview(o, backend));

  withAdoptionOptions(
    withReportOptions(
      program
        .command("audit")
        .description(
          "Check `pulumi stack export` files or a DIY backend's checkpoints; several files are one org-wide audit",
        )
        .requiredOption(
          "--state <file>",
          "a stack export or checkpoint (repeat for an org-wide audit)",
          (v: string, acc: string[] = []) => [...acc, v],
        ),
    ),
  )
    .addHelpText(
      "after",
      "\nSecrets may be encrypted (ciphertext) or shown (`pulumi stack export --show-secrets`).\n" +
        "Exports of deployment versions 1 to 4; checkpoints as `pulumi login file://…` or `s3://…` keeps\n" +
        "them (.pulumi/stacks/<project>/<stack>.json, or .json.gz). Relative asset paths in them are read\n" +
        "from E2B_GUARDRAILS_PROGRAM_DIR (the program's folder) if set, else named in an advisory.",
    )
    .action((o: AuditFlags) => reportCommands().runAudit(o, backend));

  registerEvalsCommand(program, backend);
  registerSandboxesCommand(program);
  return program;
}

export async function main(argv: string[], backend?: ScanBackend): Promise<number> {
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
    // Required on the error path only: the engine is not loaded for commands that do not use it.
    const { ProgramError, OUTPUT_HEADING } =
      require("../engine/program-worker") as typeof import("../engine/program-worker");
    if (e instanceof InputError || e instanceof ProgramError) {
      writeStderr(errorLine(argv, oneLine(e), e instanceof InputError ? e.file : undefined));
      if (e instanceof ProgramError) {
        // The program's own output, relayed (redacted by writeStderr like every other byte). When a
        // stream on its own holds encoded key material the interleaved log may have split (a blob
        // printed in two writes with the other stream's line between), each stream is relayed on its
        // own instead, so the redactor sees the blob whole.
        // Redacted whole, as the error line was (oneLine): a blob across the first line's end is masked in both.
        const lines = redactMaterial(e.message).split("\n").slice(1);
        const split = e.streams.some((t) => redactMaterial(t) !== t);
        const rest = split ? separateStreams(lines, e.streams, OUTPUT_HEADING) : lines.join("\n");
        if (rest.trim()) writeStderr(relayed(argv, rest));
      }
      return 2;
    }
    // Anything else is our bug or the environment's (a dead pack, a deep tree): still one line.
    const debug = argv.includes("--debug");
    writeStderr(
      debug && e instanceof Error && e.stack
        ? `error: ${redactKeys(e.stack)}\n`
        : errorLine(argv, oneLine(e), undefined),
    );
    return 2;
  } finally {
    // A command's secrets are its own: a host runs several commands in one process.
    forgetSecretsInOutput();
  }
}

/**
 * The one line an exit 2 prints: `error: …`, or under `--format github` the same text as an `::error`
 * workflow command (the runner reads commands on stderr too), so the failed step carries an annotation
 * naming the file, not only a line in its log.
 */
function errorLine(argv: string[], message: string, file: string | undefined): string {
  if (formatOf(argv) !== "github") return `error: ${message}\n`;
  const { workflowCommand } = require("../reports/github") as typeof import("../reports/github");
  // Annotations link files relative to the checkout the workflow runs in.
  const rel = file && path.relative(process.env.GITHUB_WORKSPACE || process.cwd(), path.resolve(file));
  const props: Record<string, string> = { title: "e2b-guardrails" };
  if (rel && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)) props.file = rel;
  return `${workflowCommand("error", props, `error: ${message}`)}\n`;
}

/**
 * The error's own lines, then each stream's last lines under its name (the engine listens to stdout,
 * then stderr), in place of the interleaved log.
 */
function separateStreams(lines: string[], streams: string[], heading: string): string {
  const cut = lines.indexOf(heading);
  const head = cut < 0 ? lines : lines.slice(0, cut);
  const names = ["stdout", "stderr"];
  // Each stream redacted whole before its last lines are taken: cut first, a blob wrapped over the
  // cut would leave rows that no longer decode for the redactor yet spell most of a key.
  const parts = streams.flatMap((t, i) =>
    t.trim()
      ? [
          `--- program output (${names[i] ?? `stream ${i + 1}`}) ---`,
          ...redactMaterial(t).trim().split("\n").slice(-20),
        ]
      : [],
  );
  return [...head, ...parts].join("\n");
}

/**
 * A failed program's output, relayed after the error line. Under `--format github` it is fenced with
 * `::stop-commands::`, so a line the program printed (`::error …`, `::add-mask::`) is shown, not run.
 */
function relayed(argv: string[], text: string): string {
  if (formatOf(argv) !== "github") return `${text}\n`;
  const token = `e2b-guardrails-${require("node:crypto").randomBytes(8).toString("hex")}`;
  return `::stop-commands::${token}\n${text}\n::${token}::\n`;
}

/** The `--format` given, as commander reads it: the last one before `--`. */
function formatOf(argv: string[]): string | undefined {
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a === "--format") format = argv[++i];
    else if (a.startsWith("--format=")) format = a.slice("--format=".length);
  }
  return format;
}
