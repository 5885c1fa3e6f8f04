/**
 * Test helper: scan programs, graphs and state exports through the real engine and a real policy-pack
 * process over gRPC. The processes are the run's shared ones (tests/support/scan-service.ts, started
 * by the jest global setup): every test file that asks for the same pack and config gets the same
 * pack session, and programs run in warm workers. Use inside a describe block:
 *
 *   const scan = useScanner();                       // our pack, default config
 *   const { stack } = await scan.program("tests/policies/fixtures/x", "dev");
 *   expect(stack.findings.map((f) => f.policy)).toContain("e2b-01-no-client-side-key");
 *
 * A test that needs its own process (a pack's start-up, a fresh program child, the CLI) uses the
 * engine or the binary directly instead.
 */
import http from "node:http";
import path from "node:path";
import {
  InputError,
  ProgramError,
  type AnalysisResult,
  type AnalyzerInfo,
  type ResourceGraph,
} from "../../engine";
import type { Level, ReconciledEntry, UserPolicyConfig } from "../../engine/policy-config";
import type { Report, StackReport } from "../../policies/report";
import { buildReport } from "../../reports/build";
import {
  packEnvironment,
  type ProgramTarget,
  type ScanBackend,
  type ScanSession,
  type SessionOptions,
} from "../../scan/session";
import type { Request, SessionKey } from "./scan-service";

export const repoRoot = path.resolve(__dirname, "../..");

/** What a test sees of the shared session: the pack's info and reconciled config, and the report builder. */
export interface SharedSession {
  host: { info: AnalyzerInfo };
  enabled: Set<string>;
  levels: Map<string, Level>;
  config: Map<string, ReconciledEntry>;
  report(stacks: StackReport[]): Report;
}

export interface Scanner {
  session(): SharedSession;
  program(
    dir: string,
    stack: string,
    opts?: { passphrase?: string },
  ): Promise<{ graph: ResourceGraph; stack: StackReport; report: Report }>;
  graph(graph: ResourceGraph): Promise<{ stack: StackReport; report: Report }>;
  /** An org-wide audit of export files, or of graphs built in the test. */
  states(files: string[] | ResourceGraph[]): Promise<Report>;
}

/**
 * `env` is more environment for the pack process. The pack's own switches (`E2B_GUARDRAILS_*`, such
 * as E2B_GUARDRAILS_REPORT) set in the test file's process.env when the describe block starts are
 * passed too, as they would reach a pack started by this process. Files asking for the same pack,
 * config and environment share one pack process.
 */
export function useScanner(
  opts: { packDir?: string; policyConfig?: string | UserPolicyConfig; env?: Record<string, string> } = {},
): Scanner {
  const key = sessionKey(opts.packDir && path.resolve(repoRoot, opts.packDir), opts.policyConfig, {
    ...ourPackSwitches(),
    ...opts.env,
  });
  let session: SharedSession | undefined;
  beforeAll(async () => {
    session = await openShared(key, call);
  }, 60_000);
  afterAll(async () => {
    if (session) await call({ op: "release", key });
  });
  const s = () => {
    if (!session) throw new Error("scanner used outside a test");
    return session;
  };
  return {
    session: s,
    async program(dir, stack, o = {}) {
      const r = await call<{ graph: ResourceGraph; stack: StackReport }>({
        op: "program",
        key,
        cwd: path.resolve(repoRoot, dir),
        stack,
        passphrase: o.passphrase,
      });
      return { graph: r.graph, stack: r.stack, report: s().report([r.stack]) };
    },
    async graph(graph) {
      const r = await call<{ stack: StackReport }>({ op: "graph", key, graph });
      return { stack: r.stack, report: s().report([r.stack]) };
    },
    async states(files) {
      const r = await call<{ stacks: StackReport[] }>({
        op: "states",
        key,
        files: files.map((f) => (typeof f === "string" ? path.resolve(repoRoot, f) : f)) as
          string[] | ResourceGraph[],
      });
      return s().report(r.stacks);
    },
  };
}

/** The service's key: a pack folder, a config (a file's path made absolute: the service reads it), an environment. */
function sessionKey(
  packDir: string | undefined,
  policyConfig: string | UserPolicyConfig | undefined,
  env: Record<string, string>,
): SessionKey {
  return {
    packDir,
    policyConfig: typeof policyConfig === "string" ? path.resolve(policyConfig) : policyConfig,
    env: Object.keys(env).length > 0 ? env : undefined,
  };
}

/** Join (or start) the shared session for `key`: the pack's info and its reconciled config. */
async function openShared(
  key: SessionKey,
  send: <T>(req: Request) => Promise<T>,
): Promise<SharedSession & { host: { packDir: string } }> {
  const r = await send<{
    packDir: string;
    info: AnalyzerInfo;
    enabled: string[];
    levels: Array<[string, Level]>;
    config: Array<[string, ReconciledEntry]>;
  }>({ op: "open", key });
  return {
    host: { packDir: r.packDir, info: r.info },
    enabled: new Set(r.enabled),
    levels: new Map(r.levels),
    config: new Map(r.config),
    report: (stacks) => buildReport(r.info, stacks),
  };
}

/** The environment variables of ours a pack started by this process would inherit. */
function ourPackSwitches(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith("E2B_GUARDRAILS_") && e[1] !== undefined,
    ),
  );
}

/**
 * The shared scanner as a command's backend: `main(argv, sharedBackend)` runs a command in the test's
 * process with the run's pack sessions (same pack, config and environment: same process) and its warm
 * program workers, where the binary would start a pack and a language host of its own. A program's
 * graph is reused while its folder is unchanged. Errors keep their kind (bad input, a failed program),
 * so the command prints and exits as it would.
 */
export const sharedBackend: ScanBackend = {
  async openSession(opts: SessionOptions = {}): Promise<ScanSession> {
    // Our pack learns the stack from ConfigureStack; the PULUMI_NODEJS_* fallback a preview's pack
    // also gets is left out for it, so previews of any stack share one pack per config (a preview
    // through the binary, tests/cli/commands.test.ts, gets them). Another pack gets them all.
    const ours = opts.packDir === undefined;
    const env = { ...ourPackSwitches(), ...packEnvironment(ours ? { ...opts, stack: undefined } : opts) };
    const key = sessionKey(opts.packDir && path.resolve(opts.packDir), opts.policyConfig, env);
    const r = await openShared(key, command);
    let released = false;
    return {
      ...r,
      host: {
        ...r.host,
        analyze: (graph: ResourceGraph) => command<AnalysisResult>({ op: "analyze", key, graph }),
      },
      close: async () => {
        if (released) return;
        released = true;
        await call({ op: "release", key });
      },
    };
  },
  runProgram: async (target: ProgramTarget) =>
    (
      await command<{ graph: ResourceGraph }>({
        op: "run",
        target: { ...target, cwd: path.resolve(target.cwd) },
      })
    ).graph,
  fixturePrograms: () => ({ run: (target) => sharedBackend.runProgram(target), close: () => undefined }),
};

/** A request whose failure is rethrown as the kind of error the command would have met itself. */
async function command<T>(req: Request): Promise<T> {
  try {
    return await call<T>(req);
  } catch (e) {
    if (e instanceof Error && e.name === "InputError") throw new InputError(e.message);
    if (e instanceof Error && e.name === "ProgramError")
      throw new ProgramError(e.message, (e as { streams?: string[] }).streams);
    throw e;
  }
}

/**
 * One request to the shared scanner; its errors come back with their name and message. A connection
 * the service closed before it read the request (EPIPE, ECONNRESET: seen once under load on the CI
 * machine) is tried again, once: a scan request has no side effects, so running it twice changes
 * nothing a test checks.
 */
async function call<T>(req: Request): Promise<T> {
  try {
    return await callOnce<T>(req);
  } catch (e) {
    if (!(e instanceof Error) || !/: (EPIPE|ECONNRESET)\b/.test(e.message)) throw e;
    return callOnce<T>(req);
  }
}

function callOnce<T>(req: Request): Promise<T> {
  const socketPath = process.env.E2B_TEST_SCANNER;
  if (!socketPath)
    return Promise.reject(
      new Error("E2B_TEST_SCANNER is unset: run through jest, whose global setup starts the shared scanner"),
    );
  const body = JSON.stringify(req);
  return new Promise<T>((resolve, reject) => {
    const r = http.request(
      // A connection per request (agent: false): a kept-alive socket that the server closes after its
      // idle timeout, just as the next request reuses it, fails that request with EPIPE.
      {
        socketPath,
        path: "/",
        method: "POST",
        headers: { "content-type": "application/json" },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as
              { error: { name: string; message: string; streams?: string[] } } | T;
            if (parsed && typeof parsed === "object" && "error" in parsed) {
              const e = Object.assign(new Error(parsed.error.message), { streams: parsed.error.streams });
              e.name = parsed.error.name;
              reject(e);
            } else resolve(parsed as T);
          } catch (e) {
            reject(e);
          }
        });
        res.on("error", reject);
      },
    );
    r.on("error", (e) => reject(new Error(`shared scanner at ${socketPath}: ${e.message}`)));
    r.end(body);
  });
}
