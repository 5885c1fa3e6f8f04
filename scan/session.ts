/**
 * One scan session: a policy pack process, configured once, serving any number of stacks — programs
 * (offline preview) or state exports (audit). The room between the engine (programs, state exports,
 * the analyzer protocol) and the report model: preview, audit (cli/) and the eval runner (evals/) all
 * go through here, and none of them talks to the engine's pack host directly.
 */
import path from "node:path";
import {
  AnalyzerHost,
  InputError,
  loadStateExport,
  ProgramPool,
  runProgram,
  type RunProgramOptions,
  type ResourceGraph,
} from "../engine";
import type { PackProcess } from "../engine/pack-process";
import { readProject } from "../engine/project";
import {
  readPolicyConfigFile,
  type Level,
  type ReconciledEntry,
  type UserPolicyConfig,
} from "../engine/policy-config";
import { policies as ownPolicies, withWaivers, type Report, type StackReport } from "../policies/api";
import { buildReport, buildStackReport, OUR_PACK } from "../reports/build";
import { withCrossStackFindings } from "./cross-stack";
import { offlineNotices } from "./offline-notices";

import { defaultPackDir } from "./pack-dir";

export { defaultPackDir };

/** What commands use of a session's pack process. */
export type PackHandle = Pick<AnalyzerHost, "packDir" | "info" | "analyze">;

export interface ScanSession {
  host: PackHandle;
  /** Policies whose reconciled enforcement level is not `disabled`. */
  enabled: Set<string>;
  /** Each policy's reconciled enforcement level (defaults, pack config, user config). */
  levels: Map<string, Level>;
  /** The full reconciled config, as sent to the pack with Configure (the pack reads the same map). */
  config: Map<string, ReconciledEntry>;
  report(stacks: StackReport[]): Report;
  close(): Promise<void>;
}

export interface SessionOptions {
  packDir?: string;
  policyConfig?: string | UserPolicyConfig;
  /** The one stack this session serves, if known: set in the pack's environment as the CLI does. */
  stack?: { project: string; stack: string; organization: string; dryRun: boolean };
  /** More environment for the pack process (as a variable exported before `pulumi preview`). */
  env?: Record<string, string>;
  /**
   * The pack's process, already started for the same folder and environment (engine/pack-process.ts):
   * `audit` starts it before loading the rest of itself. Ended by the session (or on its failure).
   */
  process?: PackProcess;
}

/** The environment a session's pack process gets beyond the command's own. */
export function packEnvironment(opts: SessionOptions): Record<string, string> {
  // Packs that call pulumi.getStack()/getProject() read these, as under `pulumi preview`. A session
  // serving several stacks (org-wide audit, evals) cannot say one, so it leaves them unset.
  return {
    ...opts.env,
    ...(opts.stack && {
      PULUMI_NODEJS_PROJECT: opts.stack.project,
      PULUMI_NODEJS_STACK: opts.stack.stack,
      PULUMI_NODEJS_ORGANIZATION: opts.stack.organization,
      PULUMI_NODEJS_DRY_RUN: String(opts.stack.dryRun),
    }),
  };
}

export async function openSession(opts: SessionOptions = {}): Promise<ScanSession> {
  const env = packEnvironment(opts);
  // A config file that cannot be read or parsed fails before any pack starts.
  if (typeof opts.policyConfig === "string") readPolicyConfigFile(opts.policyConfig);
  const host = await AnalyzerHost.start(opts.packDir ?? defaultPackDir, { env, process: opts.process });
  try {
    return await configureSession(host, opts.policyConfig);
  } catch (e) {
    await host.stop();
    throw e;
  }
}

/**
 * Send a policy config to a started pack (Configure) and describe the session it makes. A pack takes
 * Configure again between stacks, as it replaces the whole config: a host that runs many commands
 * (the test suite's shared scanner) serves several configs with one pack process this way.
 */
export async function configureSession(
  host: AnalyzerHost,
  policyConfig?: string | UserPolicyConfig,
): Promise<ScanSession> {
  const config = await host.configure(policyConfig);
  checkOwnPolicyConfig(host, config, typeof policyConfig === "string" ? policyConfig : "policy config");
  const enabled = new Set([...config].filter(([, e]) => e.enforcementLevel !== "disabled").map(([n]) => n));
  return {
    host,
    enabled,
    levels: new Map([...config].map(([n, e]) => [n, e.enforcementLevel])),
    config,
    report: (stacks) => buildReport(host.info, stacks),
    close: () => host.stop(),
  };
}

/**
 * Our pack's config schemas say more than the JSON schema the CLI checks (a regex must compile, as
 * the rule builds it): check them now, at configure time, so a bad value is one line naming the file
 * and field rather than an error thrown inside the pack during analysis.
 */
function checkOwnPolicyConfig(
  host: AnalyzerHost,
  config: Map<string, ReconciledEntry>,
  source: string,
): void {
  if (host.info.name !== OUR_PACK) return;
  for (const p of ownPolicies) {
    const entry = config.get(p.meta.name);
    if (!entry) continue;
    const r = withWaivers(p.meta.config).safeParse(entry.properties);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InputError(
        `${source}: policy '${p.meta.name}': field '${issue.path.join(".") || "(root)"}' ${issue.message}`,
        typeof source === "string" ? source : undefined,
      );
    }
  }
}

export type ProgramTarget = Pick<
  RunProgramOptions,
  "cwd" | "stack" | "organization" | "passphrase" | "timeoutMs"
>;

/** Runs programs, several at once; `close()` ends its processes. */
export interface ProgramRunner {
  run(target: ProgramTarget): Promise<ResourceGraph>;
  close(): void;
}

/**
 * The processes a command scans with: a pack per session, the language host for a user's program,
 * warm workers for the eval fixtures (our own programs, one pinned SDK). The CLI starts its own
 * (`ownProcesses`); a host that runs many commands in one process may hand out shared ones.
 */
export interface ScanBackend {
  openSession(opts?: SessionOptions): Promise<ScanSession>;
  runProgram(target: ProgramTarget): Promise<ResourceGraph>;
  fixturePrograms(concurrency: number): ProgramRunner;
}

export const ownProcesses: ScanBackend = {
  openSession,
  runProgram,
  fixturePrograms: (concurrency) => new ProgramPool(concurrency),
};

export async function scanProgram(
  session: ScanSession,
  target: ProgramTarget,
): Promise<{ graph: ResourceGraph; stack: StackReport }> {
  const graph = await runProgram(target);
  return { graph, stack: await scanGraph(session, graph) };
}

export async function scanGraph(session: ScanSession, graph: ResourceGraph): Promise<StackReport> {
  const analysis = await session.host.analyze(graph);
  const stack = buildStackReport(session.host.info, graph, analysis, session.config);
  const notices = offlineNotices(graph);
  return notices.length ? { ...stack, findings: [...stack.findings, ...notices] } : stack;
}

/**
 * Parse every export first: bad input fails with exit 2 before any pack starts. One stack per file:
 * the same file twice, or two exports of the same stack, would report the stack twice and make its
 * cross-stack findings ambiguous, so both are bad usage.
 */
export function loadStates(files: string[]): ResourceGraph[] {
  if (files.length === 0) throw new InputError("--state: at least one stack export is required");
  const seen = new Map<string, string>();
  for (const f of files) {
    const at = seen.get(path.resolve(f));
    if (at !== undefined) throw new InputError(`${f}: --state given twice (also as ${at})`, f);
    seen.set(path.resolve(f), f);
  }
  const stacks = new Map<string, string>();
  return files.map((f) => {
    const g = loadStateExport(f);
    if (g.resources.length === 0) return g; // an empty stack's export does not say which stack it is
    const key = `${g.project}/${g.stack}`;
    const other = stacks.get(key);
    if (other !== undefined)
      throw new InputError(`${f}: stack '${key}' is also exported in ${other}; give one file per stack`, f);
    stacks.set(key, f);
    return g;
  });
}

/** An org-wide audit: each export analysed on its own, then what only shows across stacks. */
export async function scanStates(
  session: ScanSession,
  files: string[] | ResourceGraph[],
): Promise<StackReport[]> {
  const graphs = files.map((f) => (typeof f === "string" ? loadStateExport(f) : f));
  const reports: StackReport[] = [];
  for (const g of graphs) reports.push(await scanGraph(session, g));
  return withCrossStackFindings(session, graphs, reports);
}

/** Start the pack while the program runs: both take about a second, and neither needs the other. */
export async function previewProgram(
  opts: SessionOptions,
  target: ProgramTarget,
  backend: ScanBackend = ownProcesses,
): Promise<{ session: ScanSession; graph: ResourceGraph }> {
  const project = readProject(path.resolve(target.cwd), target.stack).name; // bad input fails here, first
  const sessionP = backend.openSession({
    ...opts,
    stack: {
      project,
      stack: target.stack,
      organization: target.organization ?? "organization",
      dryRun: true,
    },
  });
  const graphP = backend.runProgram(target);
  const [session, graph] = await Promise.allSettled([sessionP, graphP]);
  if (session.status === "rejected" || graph.status === "rejected") {
    if (session.status === "fulfilled") await session.value.close();
    throw session.status === "rejected" ? session.reason : (graph as PromiseRejectedResult).reason;
  }
  return { session: session.value, graph: graph.value };
}
