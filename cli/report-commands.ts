/**
 * What `preview` and `audit` do once their flags are parsed: load the inputs, run the pack, render the
 * report. Loaded by the command table (./main.ts) only when one of them runs, because it pulls in the
 * engine, the pack's report model and the adoption features.
 */
import path from "node:path";
import type { StackReport } from "../policies/api";
import type { Format } from "../reports/formats";
import type { ResourceGraph } from "../engine";
import { emit, prepareOutput } from "./output";
import {
  exitStatusFor,
  finishReport,
  loadAdoptionInputs,
  withCostChange,
  writeStepSummary,
  type AdoptionFlags,
  type AdoptionInputs,
} from "./adoption";
import {
  loadStates,
  openSession,
  previewProgram,
  scanGraph,
  scanStates,
  type ScanSession,
} from "../scan/session";
import { defaultStack } from "./stack-name";
import { keyCheckSummary, verifyLeakedKeys } from "./verify-keys";

export interface ReportFlags extends AdoptionFlags {
  policyPack?: string;
  policyConfig?: string;
  format: Format;
  output?: string;
  verifyKeys?: boolean;
}

export type PreviewFlags = ReportFlags & { cwd: string; stack?: string; organization: string };
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

/** A path as code scanning wants it: relative to where the command runs (the checkout), `/`-separated. */
function artifactPath(file: string): string {
  return path.relative(process.cwd(), path.resolve(file)).split(path.sep).join("/");
}

export async function runPreview(o: PreviewFlags): Promise<void> {
  if (o.output) prepareOutput(o.output, "--output");
  const inputs = loadAdoptionInputs(o); // bad input fails before the program runs
  const cwd = path.resolve(o.cwd);
  const stack = o.stack ?? defaultStack(cwd);
  const { session, graph } = await previewProgram(
    { packDir: o.policyPack, policyConfig: o.policyConfig },
    { cwd, stack, organization: o.organization, passphrase: process.env.PULUMI_CONFIG_PASSPHRASE },
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

export async function runAudit(o: AuditFlags): Promise<void> {
  const graphs = loadStates(o.state); // bad input fails before the pack starts
  if (o.output) prepareOutput(o.output, "--output");
  const inputs = loadAdoptionInputs(o);
  const session = await openSession({ packDir: o.policyPack, policyConfig: o.policyConfig });
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
}
