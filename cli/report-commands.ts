/**
 * What `preview` and `audit` do once their flags are parsed: load the inputs, run the pack, render the
 * report. Loaded by the command table (./main.ts) only when one of them runs; it loads the engine, the
 * pack's report model and the adoption features itself, once the pack's process is on its way.
 */
import { statSync } from "node:fs";
import path from "node:path";
import type { StackReport } from "../policies/api";
import type { Format } from "../reports/formats";
import type { ResourceGraph } from "../engine";
import { InputError } from "../engine/errors";
import { startPackProcess, type PackProcess } from "../engine/pack-process";
import { passphraseFromEnv } from "../engine/passphrase";
import { readProject } from "../engine/project";
import { secretValuesOfGraph, withKeysAround } from "../engine/secret-values";
import { DEFAULT_ORGANIZATION } from "./defaults";
import { quoteValue } from "../policies/detect/keys";
import { defaultPackDir } from "../scan/pack-dir";
import type { ScanBackend, ScanSession } from "../scan/session";
import { checkOutputsAgainstInputs, emit, maskSecretsInOutput, prepareOutput, maskSecretsIn } from "./output";
import type { AdoptionFlags, AdoptionInputs } from "./adoption";

// Required when used, not at load: `audit` starts the pack's process first and loads these (the
// engine, the pack's report model: about a second) while the pack loads @pulumi/pulumi.
const adoption = () => require("./adoption") as typeof import("./adoption");
const scan = () => require("../scan/session") as typeof import("../scan/session");

export interface ReportFlags extends AdoptionFlags {
  policyPack?: string;
  policyConfig?: string;
  format: Format;
  output?: string;
  verifyKeys?: boolean;
}

export type PreviewFlags = ReportFlags & {
  cwd: string;
  stack?: string;
  organization: string;
  programTimeout?: string;
};
export type AuditFlags = ReportFlags & { state: string[] };

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
    const { exitStatusFor, finishReport, writeStepSummary } = adoption();
    if (o.verifyKeys) {
      const { keyCheckSummary, verifyLeakedKeys } =
        require("./verify-keys") as typeof import("./verify-keys");
      process.stderr.write(keyCheckSummary(await verifyLeakedKeys(reports, graphs())) + "\n");
    }
    const report = finishReport(maskSecretsIn(session.report(reports)), o, inputs);
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

/** A path as code scanning wants it: relative to where the command runs (the checkout), `/`-separated. */
function artifactPath(file: string): string {
  return path.relative(process.cwd(), path.resolve(file)).split(path.sep).join("/");
}

/**
 * `backend`: where the pack sessions and program runs come from; undefined is this process's own
 * (scan/session.ts `ownProcesses`, loaded with the engine when the command runs).
 */
/** `--program-timeout` in seconds, as milliseconds; undefined for the default. */
function programTimeoutMs(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const seconds = Number(flag);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 24 * 3600)
    throw new InputError(`--program-timeout: '${quoteValue(flag, 40)}' is not a number of seconds above 0`);
  return seconds * 1000;
}

/**
 * The files `preview` and `audit` write, checked against those they read (checkOutputsAgainstInputs):
 * the outputs `--write-baseline` may keep (it may refresh `--baseline` in place).
 */
function checkReportFiles(
  o: {
    output?: string;
    writeBaseline?: string;
    baseline?: string;
    compareState?: string;
    policyConfig?: string;
  },
  states: readonly string[] = [],
): Set<string> {
  return checkOutputsAgainstInputs(
    [
      ["--output", o.output],
      ["--write-baseline", o.writeBaseline],
    ],
    [
      ...states.map((f) => ["--state", f] as const),
      ["--baseline", o.baseline],
      ["--compare-state", o.compareState],
      ["--policy-config", o.policyConfig],
    ],
  );
}

export async function runPreview(o: PreviewFlags, backend?: ScanBackend): Promise<void> {
  const { loadAdoptionInputs, withCostChange } = adoption();
  const { previewProgram, scanGraph } = scan();
  const { defaultStack, parseStackRef } = require("./stack-name") as typeof import("./stack-name");
  const keep = checkReportFiles(o);
  if (o.output) prepareOutput(o.output, "--output");
  const inputs = loadAdoptionInputs(o, keep); // bad input fails before the program runs
  const timeoutMs = programTimeoutMs(o.programTimeout);
  const cwd = path.resolve(o.cwd);
  const ref =
    o.stack === undefined
      ? { stack: defaultStack(cwd) }
      : parseStackRef(o.stack, (name) => readProject(cwd, name).name);
  const stack = ref.stack;
  // An organization in --stack counts unless --organization was given (its default is a placeholder).
  const organization =
    o.organization !== DEFAULT_ORGANIZATION ? o.organization : (ref.organization ?? o.organization);
  // The pack starts while the program runs (previewProgram): both take about a second.
  const { session, graph } = await previewProgram(
    { packDir: o.policyPack, policyConfig: o.policyConfig },
    {
      cwd,
      stack,
      organization,
      passphrase: passphraseFromEnv(process.env),
      ...(timeoutMs ? { timeoutMs } : {}),
    },
    backend,
  );
  // And the keys the program may hold without its config, as a failed program's error masks them:
  // a successful preview shows a name built from one in every format (rt52 #6).
  maskSecretsInOutput(
    withKeysAround(secretValuesOfGraph(graph), process.env, [cwd, graph.programDir ?? cwd]),
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
}

/**
 * The pack's process when it can start at once: before this process loads the engine and the report
 * model, so both load at the same time. Undefined when it cannot (not a pack folder): the session
 * then starts it, and says why, after the inputs have been checked, as always.
 */
function startPackEarly(dir: string): PackProcess | undefined {
  try {
    return startPackProcess(dir);
  } catch {
    return undefined;
  }
}

/**
 * Whether every input file is a file on disk. One that is a pipe (`--state <(pulumi stack export)`) is
 * read with the thread blocked, and a signal then ends the run at once only while no child runs
 * (engine/children.ts): the pack starts after such inputs are read.
 */
function inputsOnDisk(files: Array<string | undefined>): boolean {
  return files.every((f) => {
    try {
      return f === undefined || statSync(f).isFile();
    } catch {
      return true; // a file that is not there is one line and exit 2, whenever the pack starts
    }
  });
}

export async function runAudit(o: AuditFlags, backend?: ScanBackend): Promise<void> {
  // A host's backend has its packs running already: only our own is worth starting this early.
  const early = !backend && inputsOnDisk([...o.state, o.baseline, o.policyConfig, o.compareState]);
  const pack = early ? startPackEarly(o.policyPack ?? defaultPackDir) : undefined;
  let session: ScanSession;
  let graphs: ResourceGraph[];
  let inputs: AdoptionInputs;
  try {
    const { loadStates, ownProcesses } = scan();
    const keep = checkReportFiles(o, o.state);
    if (o.output) prepareOutput(o.output, "--output");
    graphs = loadStates(o.state); // bad input is still one line and exit 2, and the pack is ended
    inputs = adoption().loadAdoptionInputs(o, keep);
    session = await (backend ?? ownProcesses).openSession({
      packDir: o.policyPack,
      policyConfig: o.policyConfig,
      process: pack,
    });
  } catch (e) {
    pack?.abandon();
    throw e;
  }
  const artifacts = Object.fromEntries(
    graphs.map((g, i) => [`${g.project}/${g.stack}`, artifactPath(o.state[i])]),
  );
  await finish(
    session,
    () => scan().scanStates(session, graphs),
    o,
    inputs,
    artifacts,
    () => graphs,
  );
}
