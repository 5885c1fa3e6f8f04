/**
 * Runs a Pulumi program the way `pulumi preview` does: the engine serves the ResourceMonitor and Engine
 * gRPC services on loopback, and the program runs under its own `@pulumi/pulumi/cmd/run` with the
 * arguments and environment that pulumi-language-nodejs gives it (sdk/nodejs/cmd/pulumi-language-nodejs:
 * `constructArguments`, `constructConfig`, `execRuntime`). That contract has held across 3.x, so the
 * program's SDK version, module system (CommonJS, ESM), TypeScript loader and closure serialization are
 * the program's own, exactly as under the CLI.
 */
import fs from "node:fs";
import { spawn } from "node:child_process";
import path from "node:path";
import type { GraphResource, KeyRead, StackOutputRead } from "./graph";
import { ResourceRecorder, tracesSecrets, type MonitorProtos } from "./recorder";
import { killChild, tempDirUntilExit, trackChild } from "./children";
import { InputError } from "./errors";
import { ProgramOutput, redactedOutput } from "./program-output";
import { knownKeysOf } from "./secret-values";
import { transformProtocol } from "./transforms";

/** Which stack a program runs for and the config it gets: the same for both transports. */
export interface StackRun {
  project: string;
  stack: string;
  organization: string;
  config: Record<string, string>;
  secretKeys: string[];
  /** `secure:` keys that could not be decrypted: the program reads them as unknown secrets. */
  unknownSecretKeys: string[];
  /** Decrypted `secure:` keys about E2B: the program's secret getters mark their provenance. */
  tracedSecretKeys: string[];
}

export interface LanguageHostJob extends StackRun {
  /** The project folder (Pulumi.yaml). */
  root: string;
  /** The program's working directory and entry point, as the CLI's getPwdMain computes them. */
  pwd: string;
  entryPoint: string;
  runtimeOptions: NodeRuntimeOptions;
  timeoutMs: number;
}

export interface NodeRuntimeOptions {
  typescript: boolean;
  nodeargs: string[];
  tsconfig?: string;
}

export interface LanguageHostResult {
  resources: GraphResource[];
  invokes: string[];
  /** The modules the program loaded from its folder (engine/program-modules.js). */
  modules: string[];
  /** The other files it read from its folder (a `.env`, a cloud-init script). */
  reads: string[];
  /** The environment variables it read while they were unset or empty (engine/program-modules.js). */
  unsetEnv: string[];
  /** The E2B keys it read from environment variables that held them (engine/program-modules.js). */
  keyEnv: KeyRead[];
  /** The outputs it asked of each StackReference (engine/preload/stack-outputs.js). */
  stackOutputs: StackOutputRead[];
}

/**
 * The records of a list the record-modules preload wrote that have each of `fields` as a string: the
 * keys it read (`name`, `fingerprint`, `mask`), the StackReference outputs it asked for (`reference`,
 * `output`).
 */
function recordsWith<T extends Record<K, string>, K extends string>(v: unknown, fields: readonly K[]): T[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (x): x is T =>
      !!x &&
      typeof x === "object" &&
      fields.every((k) => typeof (x as Record<string, unknown>)[k] === "string"),
  );
}

/** The list the record-modules preload wrote as the program exited; none if it could not. */
function readProgramFiles(
  file: string,
): Pick<LanguageHostResult, "modules" | "reads" | "unsetEnv" | "keyEnv" | "stackOutputs"> | undefined {
  const paths = (v: unknown) => (Array.isArray(v) ? v.filter((f): f is string => typeof f === "string") : []);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const list = JSON.parse(text) as {
      modules?: unknown;
      read?: unknown;
      unsetEnv?: unknown;
      keyEnv?: unknown;
      stackOutputs?: unknown;
    };
    return {
      modules: paths(list?.modules),
      reads: paths(list?.read),
      unsetEnv: paths(list?.unsetEnv),
      keyEnv: recordsWith<KeyRead, keyof KeyRead>(list?.keyEnv, ["name", "fingerprint", "mask"]),
      stackOutputs: recordsWith<StackOutputRead, keyof StackOutputRead>(list?.stackOutputs, [
        "reference",
        "output",
      ]),
    };
  } catch {
    return { modules: [], reads: [], unsetEnv: [], keyEnv: [], stackOutputs: [] };
  }
}

export class ProgramFailure extends Error {
  constructor(
    message: string,
    readonly output: string,
    /** Provider functions the program called before it failed: offline they return no real data. */
    readonly invokes: string[] = [],
    /** Each stream's own output (ProgramOutput.streams), plain keys masked. */
    readonly streams: string[] = [],
    /** Multi-language components it registered: offline they are not expanded, their outputs unknown. */
    readonly components: string[] = [],
  ) {
    super(message);
    this.name = "ProgramFailure";
  }
}

// Plain JavaScript, loaded by the program's own Node.js; it sits beside this module's source.
const UNKNOWN_SECRETS_PRELOAD = path.resolve(__dirname, "../engine/preload/unknown-secrets.js");
const PLAIN_INSPECT_PRELOAD = path.resolve(__dirname, "../engine/preload/plain-inspect.js");
const LAZY_ARBORIST_PRELOAD = path.resolve(__dirname, "../engine/preload/lazy-arborist.js");
const RECORD_MODULES_PRELOAD = path.resolve(__dirname, "../engine/preload/record-modules.js");
const HIDDEN_DOCUMENTS_PRELOAD = path.resolve(__dirname, "../engine/preload/hidden-documents.js");
const STACK_OUTPUTS_PRELOAD = path.resolve(__dirname, "../engine/preload/stack-outputs.js");

/** The CLI's special exit code: the program already reported an actionable error through Engine.Log. */
const EXIT_AFTER_USER_MESSAGE = 32;

type Grpc = typeof import("@grpc/grpc-js");

function ourProtocol() {
  const load = (m: string) => require(require.resolve(m, { paths: [__dirname] }));
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [__dirname] }));
  const fromPulumi = (m: string) => require(require.resolve(m, { paths: [pulumiDir] }));
  const grpc = fromPulumi("@grpc/grpc-js") as Grpc;
  return {
    grpc,
    transforms: transformProtocol(load, grpc),
    resourceGrpc: load("@pulumi/pulumi/proto/resource_grpc_pb"),
    engineGrpc: load("@pulumi/pulumi/proto/engine_grpc_pb"),
    protos: {
      resource: load("@pulumi/pulumi/proto/resource_pb"),
      provider: load("@pulumi/pulumi/proto/provider_pb"),
      struct: fromPulumi("google-protobuf/google/protobuf/struct_pb"),
      empty: fromPulumi("google-protobuf/google/protobuf/empty_pb"),
    } as MonitorProtos,
    engine: load("@pulumi/pulumi/proto/engine_pb"),
  };
}

let protocol: ReturnType<typeof ourProtocol> | undefined;

/** Engine.Log severities (pulumi/proto/pulumi/engine.proto LogSeverity). */
const SEVERITY = ["debug", "info", "warning", "error"] as const;

export async function runLanguageHost(job: LanguageHostJob): Promise<LanguageHostResult> {
  protocol ??= ourProtocol();
  const { grpc, resourceGrpc, engineGrpc, protos, transforms } = protocol;
  const recorder = ResourceRecorder.forRun(job, protos, transforms);
  const errors: string[] = [];
  let rootUrn = "";

  const server = new grpc.Server({ "grpc.max_receive_message_length": 1 << 30 });
  type Reply = (e: unknown, r?: unknown) => void;
  type GrpcReply = (e: { code: number; details: string } | null, r?: unknown) => void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generated message classes are untyped here
  const unary = (fn: (req: any, cb: Reply) => void) => (call: { request: unknown }, cb: GrpcReply) =>
    fn(call.request, (e, r) =>
      cb(e ? { code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e) } : null, r),
    );
  server.addService(resourceGrpc.ResourceMonitorService, {
    supportsFeature: unary((r, cb) => recorder.supportsFeature(r, cb)),
    registerResource: unary((r, cb) => recorder.registerResource(r, cb)),
    registerStackTransform: unary((r, cb) => recorder.registerStackTransform(r, cb)),
    readResource: unary((r, cb) => recorder.readResource(r, cb)),
    registerResourceOutputs: unary((r, cb) => recorder.registerResourceOutputs(r, cb)),
    invoke: unary((r, cb) => recorder.invoke(r, cb)),
    signalAndWaitForShutdown: unary((_r, cb) => cb(null, new protos.empty.Empty())),
  });
  server.addService(engineGrpc.EngineService, {
    log: unary((r: { getSeverity(): number; getMessage(): string }, cb) => {
      if (SEVERITY[r.getSeverity()] === "error") errors.push(r.getMessage());
      cb(null, new protos.empty.Empty());
    }),
    getRootResource: unary((_r, cb) => {
      const resp = new protocol!.engine.GetRootResourceResponse();
      resp.setUrn(rootUrn);
      cb(null, resp);
    }),
    setRootResource: unary((r: { getUrn(): string }, cb) => {
      rootUrn = r.getUrn();
      cb(null, new protocol!.engine.SetRootResourceResponse());
    }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const address = `127.0.0.1:${port}`;

  const modulesDir = tempDirUntilExit("e2b-guardrails-modules-");
  const modulesFile = path.join(modulesDir.dir, "modules.json");
  try {
    const runPath = locateRun(job.pwd);
    const args = [
      ...job.runtimeOptions.nodeargs,
      "-r",
      PLAIN_INSPECT_PRELOAD,
      "-r",
      LAZY_ARBORIST_PRELOAD,
      "-r",
      RECORD_MODULES_PRELOAD,
      "-r",
      HIDDEN_DOCUMENTS_PRELOAD,
      "-r",
      STACK_OUTPUTS_PRELOAD,
      ...(tracesSecrets(job) ? ["-r", UNKNOWN_SECRETS_PRELOAD] : []),
      runPath,
      "--monitor",
      address,
      "--engine",
      address,
      "--organization",
      job.organization,
      "--project",
      job.project,
      "--root-directory",
      job.root,
      "--stack",
      job.stack,
      "--pwd",
      job.pwd,
      "--dry-run",
      job.entryPoint,
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(legacyConfigKeys(job.config)),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(job.secretKeys),
      E2B_GUARDRAILS_UNKNOWN_SECRETS: JSON.stringify(job.unknownSecretKeys),
      E2B_GUARDRAILS_TRACED_SECRETS: JSON.stringify(job.tracedSecretKeys),
      E2B_GUARDRAILS_MODULES_FILE: modulesFile,
    };
    if (job.runtimeOptions.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (job.runtimeOptions.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = job.runtimeOptions.tsconfig;
    // Type-checking is `tsc`'s job; the CLI's ts-node checks by default, which costs seconds per preview
    // for programs importing large provider SDKs. A user who wants the CLI's behaviour sets it to false.
    env.PULUMI_NODEJS_TRANSPILE_ONLY ??= "true";

    // Its own process group, so whatever the program starts ends with it.
    const child = spawn(process.execPath, args, {
      cwd: job.pwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const untrack = trackChild(child, { group: true });
    const output = new ProgramOutput(64 * 1024);
    output.knowKeys(() => knownKeysOf(job, [job.root, job.pwd]));
    output.listen(child.stdout!);
    output.listen(child.stderr!);
    const exit = await new Promise<{ code: number | null; signal: string | null; timedOut: boolean }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          killChild(child, true);
          resolve({ code: null, signal: "SIGKILL", timedOut: true });
        }, job.timeoutMs);
        child.on("error", (e) => (clearTimeout(timer), reject(e)));
        child.on("exit", (code, signal) => (clearTimeout(timer), resolve({ code, signal, timedOut: false })));
      },
    ).finally(() => {
      untrack();
      killChild(child, true); // anything the program left running in its group
    });
    // What the program printed is read (redacted, its known keys masked) only for a failure's message.
    const printed = () => ({
      text: redactedOutput(output.text()),
      streams: output.streams().map((t) => redactedOutput(t)),
    });
    if (exit.timedOut) {
      const { text, streams } = printed();
      throw new ProgramFailure(
        `the program did not finish within ${job.timeoutMs / 1000}s (preview --program-timeout allows more)`,
        text,
        [],
        streams,
      );
    }
    if (exit.code !== 0) {
      const reason = errors.length
        ? redactedOutput(errors.join("\n"))
        : exit.code === EXIT_AFTER_USER_MESSAGE
          ? "the program reported an error"
          : `the program exited with ${exit.signal ?? `code ${exit.code}`}`;
      const { text, streams } = printed();
      throw new ProgramFailure(reason, text, [...recorder.invokes].sort(), streams, remoteTypes(recorder));
    }
    const files = readProgramFiles(modulesFile);
    // The preload writes the list in an exit handler, whatever happens: without it, the process
    // ended without running its exit handlers (process.reallyExit, a native exit), and with them
    // the SDK's own check that every registration was sent.
    if (!files) {
      const { text, streams } = printed();
      throw new ProgramFailure(
        "the program ended without running its exit handlers (process.reallyExit, a native exit, or its exit listeners removed), so what it registered cannot be trusted to be complete",
        text,
        [...recorder.invokes].sort(),
        streams,
        remoteTypes(recorder),
      );
    }
    return {
      resources: recorder.resources(),
      invokes: [...recorder.invokes].sort(),
      ...files,
    };
  } finally {
    recorder.close();
    server.forceShutdown();
    modulesDir.remove();
  }
}

/** `@pulumi/pulumi/cmd/run` as the program resolves it (the language host's locateModule). */
function locateRun(pwd: string): string {
  let run: string;
  try {
    run = path.dirname(require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] }));
  } catch {
    // Nothing ran: bad input (exit 2 with one line), not a failing program.
    throw new InputError(
      `${pwd}: cannot resolve @pulumi/pulumi from the program (run npm install there)`,
      pwd,
    );
  }
  assertSupportedSdk(pwd);
  return run;
}

/**
 * Refuses a program on @pulumi/pulumi before 3.0 (one line, exit 2): the engine speaks the 3.x
 * language-host protocol, and a 2.x SDK failed or passed depending on whether secure config was
 * decrypted (real40 bug 2). 3.x releases before 3.100.0 run, untested (docs/compatibility.md).
 */
export function assertSupportedSdk(dir: string): void {
  let version: unknown;
  try {
    const file = require.resolve("@pulumi/pulumi/package.json", { paths: [dir] });
    version = (JSON.parse(fs.readFileSync(file, "utf8")) as { version?: unknown }).version;
  } catch {
    return;
  }
  const major = typeof version === "string" ? Number(/^(\d+)\./.exec(version)?.[1]) : NaN;
  if (major < 3)
    throw new InputError(
      `${dir}: the program's @pulumi/pulumi is ${String(version)}; the offline preview runs programs on @pulumi/pulumi 3.x (3.100.0 or later): upgrade it, or preview with \`pulumi preview --policy-pack\``,
      dir,
    );
}

/** The language host still presents config keys in the old `<ns>:config:<name>` form to the SDK. */
function legacyKey(key: string): string {
  const i = key.indexOf(":");
  return i < 0 ? key : `${key.slice(0, i)}:config:${key.slice(i + 1)}`;
}

export function legacyConfigKeys(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [legacyKey(k), v]));
}

/** The types of the multi-language components a run registered, each once, sorted. */
function remoteTypes(recorder: ResourceRecorder): string[] {
  return [
    ...new Set(
      recorder
        .resources()
        .filter((r) => r.remote)
        .map((r) => r.type),
    ),
  ].sort();
}
