/**
 * Warm worker (a child process) that runs Pulumi programs in preview mode in-process, one at a time,
 * and sends the registrations to its parent over IPC. The program's own `@pulumi/pulumi` (resolved
 * from the program directory) serializes every request; our ResourceRecorder answers it, installed as
 * the SDK's monitor with `setMockOptions` — the same recorder the language-host transport serves over
 * gRPC, so both record the same graph.
 *
 * Started by program-worker.ts with `--require tsx/cjs` so TypeScript programs load without a compile
 * step. Between jobs it resets the SDK's runtime state the way the Automation API's inline-program
 * server does (setMockOptions, setAllConfig) and drops the previous program's modules, so a warm worker
 * can run many programs without paying the SDK's and providers' load time again. This path depends on
 * those SDK internals; it serves our own fixtures (evals, tests), which share one pinned SDK. Users'
 * programs go through the language host (language-host.ts).
 */
import { writeSync } from "node:fs";
import path from "node:path";
import type { KeyRead, StackOutputRead } from "./graph";
import type { LanguageHostResult, StackRun } from "./language-host";
import { ResourceRecorder, type MonitorProtos } from "./recorder";
import { transformProtocol } from "./transforms";

const { keyEnvReads, programModules, programReads, recordReads, recordUnsetEnvReads, watchEnvironment } =
  require("./program-modules.js") as {
    programModules: (loaded: Iterable<string>, dir: string) => string[];
    programReads: (read: Iterable<string>, modules: string[], dir: string) => string[];
    recordReads: () => Set<string>;
    recordUnsetEnvReads: (dir: string) => Set<string>;
    keyEnvReads: () => Map<string, KeyRead>;
    watchEnvironment: () => void;
  };

export interface HostJob extends StackRun {
  main: string;
  /** The project's folder (Pulumi.yaml). */
  dir: string;
  /** The program's working directory: the project's folder, or its `main` folder (project.ts pwdMain). */
  pwd: string;
}

export type HostReply =
  ({ id: number; ok: true } & LanguageHostResult) | { id: number; ok: false; error: string };

/** Everything loaded once per worker from the SDK copy the first program resolves. */
function createRuntime(sdkFrom: string) {
  const req = (m: string) => require(require.resolve(m, { paths: [sdkFrom] }));
  const pulumi = req("@pulumi/pulumi");
  const settings = req("@pulumi/pulumi/runtime/settings");
  const state = req("@pulumi/pulumi/runtime/state");
  const runtimeConfig = req("@pulumi/pulumi/runtime/config");
  const sdkPath = require.resolve("@pulumi/pulumi", { paths: [sdkFrom] });
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [sdkFrom] }));
  const fromPulumi = (m: string) => require(require.resolve(m, { paths: [pulumiDir] }));
  // The SDK checks responses with its own message classes, so the recorder answers with them.
  const protos: MonitorProtos = {
    resource: req("@pulumi/pulumi/proto/resource_pb"),
    provider: req("@pulumi/pulumi/proto/provider_pb"),
    struct: fromPulumi("google-protobuf/google/protobuf/struct_pb"),
    empty: fromPulumi("google-protobuf/google/protobuf/empty_pb"),
  };

  // Resource transforms reach the program's callback server over gRPC; an SDK older than them has none.
  const transforms = (() => {
    try {
      return transformProtocol(req, fromPulumi("@grpc/grpc-js"));
    } catch {
      return undefined;
    }
  })();

  return {
    sdkPath,
    async run(job: HostJob): Promise<LanguageHostResult> {
      const recorder = ResourceRecorder.forRun(job, protos, transforms);
      // The previous job's callback server (resource transforms) answers to the previous recorder.
      const store = state.getStore();
      store.callbacks?.shutdown?.();
      store.callbacks = undefined;
      settings.setMockOptions(recorder, job.project, job.stack, /* preview */ true, job.organization);
      // What SupportsFeature would answer over gRPC (setMockOptions skips the feature handshake).
      Object.assign(store, {
        supportsSecrets: true,
        supportsResourceReferences: true,
        supportsOutputValues: false,
        supportsDeletedWith: true,
        supportsAliasSpecs: true,
        supportsTransforms: transforms !== undefined,
      });
      runtimeConfig.setAllConfig(job.config, job.secretKeys);
      process.env.E2B_GUARDRAILS_UNKNOWN_SECRETS = JSON.stringify(job.unknownSecretKeys);
      process.env.E2B_GUARDRAILS_TRACED_SECRETS = JSON.stringify(job.tracedSecretKeys);
      process.chdir(job.pwd);
      // Undecryptable secure config reads as unknown secrets, as in the language-host transport.
      require("./preload/unknown-secrets.js");
      // A placeholder (undecrypted config, a secret read at deploy time) parses as a document of them.
      require("./preload/hidden-documents.js");
      // Which outputs the program asks of each StackReference (names only).
      const stackOutputs = (
        require("./preload/stack-outputs.js") as { stackOutputReads: () => StackOutputRead[] }
      ).stackOutputReads();
      stackOutputs.length = 0;
      forgetProgramModules(job.dir);
      // What this run loads (the program's own modules were just forgotten, so they load again).
      const loadedBefore = new Set(Object.keys(require.cache));
      const read = recordReads();
      read.clear();
      const unsetEnv = recordUnsetEnvReads(job.dir);
      unsetEnv.clear();
      const keyEnv = keyEnvReads();
      keyEnv.clear();
      // A program may set variables (a `.env` loader): the next program in this worker starts without them.
      const envBefore = { ...process.env };
      // A rejection nothing handles fails the program, as under the CLI (the SDK's run.ts): an apply
      // that throws while its value is serialized for a resource's input.
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => void rejections.push(reason);
      process.on("unhandledRejection", onRejection);

      try {
        await pulumi.runtime.runInPulumiStack(async () => {
          const mod = require(job.main);
          const fn =
            typeof mod === "function" ? mod : typeof mod?.default === "function" ? mod.default : undefined;
          return fn ? await fn() : mod;
        });
        // The stack's outputs can settle before every registration has been sent; the CLI waits for all RPCs.
        await settings.waitForRPCs();
        // Rejections are reported after the microtasks of the turn that left them unhandled.
        await new Promise((r) => setImmediate(r));
      } finally {
        recorder.close();
        // The recording environment back in place first, should the program have replaced it.
        watchEnvironment();
        restoreEnvironment(envBefore);
        process.off("unhandledRejection", onRejection);
      }
      if (recorder.failure) throw new Error(recorder.failure);
      if (rejections.length) throw rejections[0];
      const loaded = Object.keys(require.cache).filter((f) => !loadedBefore.has(f));
      const modules = programModules(loaded, job.dir);
      return {
        resources: recorder.resources(),
        invokes: [...recorder.invokes].sort(),
        modules,
        reads: programReads(read, modules, job.dir),
        unsetEnv: [...unsetEnv],
        keyEnv: [...keyEnv.values()],
        stackOutputs: [...stackOutputs],
      };
    },
  };
}

/** Puts process.env back as it was: variables a program added are removed, those it changed reset. */
function restoreEnvironment(before: Record<string, string | undefined>): void {
  for (const name of Object.keys(process.env)) if (!(name in before)) delete process.env[name];
  for (const [name, value] of Object.entries(before))
    if (process.env[name] !== value) process.env[name] = value;
}

/**
 * tsx loads TypeScript with esbuild, whose ES-module-to-CommonJS output replaces `module.exports`
 * with a new object; the SDK's ts-node, which `pulumi preview` runs programs with, keeps the one
 * object. A module that mixes `export const` with `exports["name"] = …` would lose the latter (a
 * program's stack outputs) here, so what it put on its first exports object is carried over.
 */
const ESBUILD_ESM_EXPORTS = /\bmodule\.exports\s*=\s*__toCommonJS\(/;

function keepFirstExportsObject(): void {
  const Module = require("node:module") as {
    prototype: { _compile(this: { exports: unknown }, content: string, filename: string): unknown };
  };
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    const first = this.exports as Record<string, unknown>;
    const result = compile.call(this, content, filename);
    const now = this.exports as Record<string, unknown> | null;
    // Only esbuild's replacement: a CommonJS module that assigns `module.exports` itself drops its
    // first object under Node and ts-node alike.
    if (
      now !== first &&
      now &&
      typeof now === "object" &&
      !filename.includes(`${path.sep}node_modules${path.sep}`) &&
      ESBUILD_ESM_EXPORTS.test(content)
    )
      for (const k of Object.keys(first)) if (!Object.hasOwn(now, k)) now[k] = first[k];
    return result;
  };
}
keepFirstExportsObject();

/** A program's own modules must run again for the next job; its dependencies stay loaded. */
function forgetProgramModules(dir: string): void {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(prefix) && !file.includes(`${path.sep}node_modules${path.sep}`))
      delete require.cache[file];
  }
}

type Runtime = ReturnType<typeof createRuntime>;
let runtime: Runtime | undefined;

function sdkOf(dir: string): string {
  return require.resolve("@pulumi/pulumi", { paths: [dir] });
}

/**
 * Writes to a full pipe are queued, and a program that calls `process.exit` (or crashes) drops what
 * is queued: the last lines of its output, often the ones that say why. Blocking writes keep them.
 */
for (const stream of [process.stdout, process.stderr])
  (stream as unknown as { _handle?: { setBlocking?: (on: boolean) => void } })._handle?.setBlocking?.(true);

process.on("message", (msg: { id: number; job: HostJob; end: string }) => {
  const { id, job, end } = msg;
  const reply = (r: HostReply) => {
    // After everything the program printed, on each stream: the parent reads up to it (program-output.ts).
    // Straight to the descriptors, as the streams' writes block: a program that replaced
    // `process.stdout.write` cannot swallow it.
    writeSync(1, end);
    writeSync(2, end);
    process.send!(r);
  };
  (async () => {
    runtime ??= createRuntime(job.dir);
    if (runtime.sdkPath !== sdkOf(job.dir)) {
      throw new Error(`program uses another @pulumi/pulumi (${sdkOf(job.dir)}) than this worker`);
    }
    return runtime.run({ ...job, main: path.resolve(job.main) });
  })().then(
    (result) => reply({ id, ok: true, ...result }),
    (err: unknown) =>
      reply({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.send?.({ ready: true });
