/**
 * Child process that runs Pulumi programs in preview mode under a recording MockMonitor and sends the
 * registrations to its parent over IPC. It uses the programs' own `@pulumi/pulumi` (resolved from the
 * program directory), so the recorded requests are exactly what that SDK sends to a real engine.
 *
 * Started by program-worker.ts with `--require tsx/cjs` so TypeScript programs load as they would under
 * the Pulumi CLI's ts-node, without type-checking. It serves one job at a time; between jobs it resets
 * the SDK's runtime state the way the Automation API's inline-program server does (resetOptions via
 * setMockOptions, setAllConfig) and drops the previous program's modules, so a warm worker can run
 * many programs without paying the SDK's and providers' load time again.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import type { GraphResource, WireObject } from "./graph";

export interface HostJob {
  main: string;
  dir: string;
  project: string;
  stack: string;
  organization: string;
  config: Record<string, string>;
  secretKeys: string[];
  unknownSecretKeys: string[];
}

export type HostReply =
  { id: number; ok: true; resources: GraphResource[] } | { id: number; ok: false; error: string };

type Req = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getObject(): { toJavaScript(): WireObject } | undefined;
  getProtect?(): boolean;
  getIgnorechangesList?(): string[];
  getAdditionalsecretoutputsList?(): string[];
  getDeletebeforereplace?(): boolean;
  getAliasurnsList?(): string[];
  getImportid?(): string;
};

type ReadReq = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getId(): string;
  getDependenciesList(): string[];
  getProperties(): { toJavaScript(): WireObject } | undefined;
};

function plausibleId(type: string, name: string): string {
  const h = createHash("sha256").update(`${type}::${name}`).digest("hex").slice(0, 8);
  return `${name}-${h}`;
}

/** Everything loaded once per worker from the SDK copy the first program resolves. */
function createRuntime(sdkFrom: string) {
  const req = (m: string) => require(require.resolve(m, { paths: [sdkFrom] }));
  const pulumi = req("@pulumi/pulumi");
  // The program's own SDK copy decides the wire format, so its MockMonitor is loaded dynamically.
  const { MockMonitor } = req("@pulumi/pulumi/runtime/mocks") as {
    MockMonitor: new (mocks: unknown) => {
      resources: Map<string, { state: unknown }>;
      registerResource(r: unknown, cb: unknown): Promise<void>;
      readResource(r: unknown, cb: unknown): Promise<void>;
      getRegisteredResources(): Map<string, { state: unknown }>;
    };
  };
  const settings = req("@pulumi/pulumi/runtime/settings");
  const state = req("@pulumi/pulumi/runtime/state");
  const runtimeConfig = req("@pulumi/pulumi/runtime/config");
  const outputModule = req("@pulumi/pulumi/output");
  const sdkPath = require.resolve("@pulumi/pulumi", { paths: [sdkFrom] });

  // Outputs echo the inputs (the engine does the same in a preview); ids are plausible and stable.
  const mocks = {
    newResource: (a: { type: string; name: string; inputs: Record<string, unknown>; id?: string }) => ({
      id: a.id || plausibleId(a.type, a.name),
      state: a.inputs,
    }),
    call: (a: { inputs: Record<string, unknown> }) => a.inputs,
  };

  class RecordingMonitor extends MockMonitor {
    readonly recorded = new Map<string, GraphResource>();
    readonly order: string[] = [];

    /**
     * URNs as the engine makes them (resource.NewURN): the parent's whole qualified type chain, and no
     * `pulumi:pulumi:Stack$` prefix for top-level resources. The SDK's MockMonitor keeps only the last
     * parent type and does prefix the stack, which would make waiver globs written against real URNs miss.
     */
    newUrn(parent: string, type: string, name: string): string {
      const parentType = parent ? parent.split("::")[2] : "";
      const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
      return `urn:pulumi:${settings.getStack()}::${settings.getProject()}::${qualified}::${name}`;
    }

    override async registerResource(
      r: Req,
      callback: (err: unknown, resp?: { getUrn(): string; getId(): string }) => void,
    ) {
      const propertyDependencies: Record<string, string[]> = {};
      r.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
      const inputs = r.getObject()?.toJavaScript() ?? {};
      return super.registerResource(r, (err: unknown, resp?: { getUrn(): string; getId(): string }) => {
        if (!err && resp) {
          const urn = resp.getUrn();
          const options = {
            protect: r.getProtect?.() || undefined,
            ignoreChanges: r.getIgnorechangesList?.().length ? r.getIgnorechangesList?.() : undefined,
            additionalSecretOutputs: r.getAdditionalsecretoutputsList?.().length
              ? r.getAdditionalsecretoutputsList?.()
              : undefined,
            deleteBeforeReplace: r.getDeletebeforereplace?.() || undefined,
            aliases: r.getAliasurnsList?.().length ? r.getAliasurnsList?.() : undefined,
          };
          this.recorded.set(urn, {
            urn,
            type: r.getType(),
            name: r.getName(),
            custom: r.getCustom(),
            id: r.getCustom() ? resp.getId() || undefined : undefined,
            parent: r.getParent() || undefined,
            provider: r.getProvider() || undefined,
            dependencies: r.getDependenciesList(),
            propertyDependencies,
            inputs,
            outputs: {},
            options: Object.values(options).some((v) => v !== undefined)
              ? JSON.parse(JSON.stringify(options))
              : undefined,
          });
          this.order.push(urn);
        }
        callback(err, resp);
      });
    }

    override async readResource(r: ReadReq, callback: (err: unknown, resp?: { getUrn(): string }) => void) {
      const inputs = r.getProperties()?.toJavaScript() ?? {};
      return super.readResource(r, (err: unknown, resp?: { getUrn(): string }) => {
        if (!err && resp) {
          const urn = resp.getUrn();
          this.recorded.set(urn, {
            urn,
            type: r.getType(),
            name: r.getName(),
            custom: true,
            external: true,
            id: r.getId(),
            parent: r.getParent() || undefined,
            provider: r.getProvider() || undefined,
            dependencies: r.getDependenciesList(),
            propertyDependencies: {},
            inputs,
            outputs: {},
          });
          this.order.push(urn);
        }
        callback(err, resp);
      });
    }

    // The SDK's MockMonitor stores the raw protobuf Struct here; keep plain JSON instead.
    registerResourceOutputs(
      r: { getUrn(): string; getOutputs(): { toJavaScript(): WireObject } | undefined },
      cb: (e: unknown, v?: unknown) => void,
    ) {
      const res = this.resources.get(r.getUrn());
      if (!res) return cb(new Error(`unknown resource ${r.getUrn()}`));
      res.state = r.getOutputs()?.toJavaScript() ?? {};
      cb(null, {});
    }
  }

  // Secrets we could not decrypt are unknown at preview, as a program running without the key would see.
  const unknownKeys = { current: new Set<string>() };
  patchConfigForUnknownSecrets(pulumi, outputModule, unknownKeys);

  return {
    sdkPath,
    async run(job: HostJob): Promise<GraphResource[]> {
      const monitor = new RecordingMonitor(mocks);
      settings.setMockOptions(monitor, job.project, job.stack, /* preview */ true, job.organization);
      Object.assign(state.getStore(), {
        supportsSecrets: true,
        supportsResourceReferences: true,
        supportsOutputValues: false,
        supportsDeletedWith: true,
        supportsAliasSpecs: true,
      });
      runtimeConfig.setAllConfig(job.config, job.secretKeys);
      unknownKeys.current = new Set(job.unknownSecretKeys);
      process.chdir(job.dir);
      forgetProgramModules(job.dir);

      await pulumi.runtime.runInPulumiStack(async () => {
        const mod = require(job.main);
        const fn =
          typeof mod === "function" ? mod : typeof mod?.default === "function" ? mod.default : undefined;
        return fn ? await fn() : mod;
      });
      // The stack's outputs can settle before every registration has been sent; the CLI waits for all RPCs.
      await settings.waitForRPCs();

      const registered = monitor.getRegisteredResources();
      return monitor.order.map((urn) => {
        const r = monitor.recorded.get(urn)!;
        const st = registered.get(urn)?.state;
        r.outputs = st && typeof st === "object" ? (st as WireObject) : {};
        return r;
      });
    },
  };
}

/** A program's own modules must run again for the next job; its dependencies stay loaded. */
function forgetProgramModules(dir: string): void {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(prefix) && !file.includes(`${path.sep}node_modules${path.sep}`))
      delete require.cache[file];
  }
}

function patchConfigForUnknownSecrets(
  pulumi: { Config: { prototype: Record<string, unknown> }; secret(v: unknown): unknown },
  outputModule: { unknown: unknown },
  unknownKeys: { current: Set<string> },
): void {
  const proto = pulumi.Config.prototype as Record<string, unknown>;
  const fullKey = (cfg: { name: string }, key: string) => (key.includes(":") ? key : `${cfg.name}:${key}`);
  for (const method of [
    "getSecret",
    "requireSecret",
    "getSecretObject",
    "requireSecretObject",
    "getSecretNumber",
    "requireSecretNumber",
    "getSecretBoolean",
    "requireSecretBoolean",
  ]) {
    const original = proto[method] as (this: { name: string }, key: string, ...rest: unknown[]) => unknown;
    if (typeof original !== "function") continue;
    proto[method] = function (this: { name: string }, key: string, ...rest: unknown[]) {
      if (unknownKeys.current.has(fullKey(this, key))) return pulumi.secret(outputModule.unknown);
      return original.call(this, key, ...rest);
    };
  }
}

type Runtime = ReturnType<typeof createRuntime>;
let runtime: Runtime | undefined;

function sdkOf(dir: string): string {
  return require.resolve("@pulumi/pulumi", { paths: [dir] });
}

process.on("message", (msg: { id: number; job: HostJob }) => {
  const { id, job } = msg;
  const reply = (r: HostReply) => process.send!(r);
  (async () => {
    runtime ??= createRuntime(job.dir);
    if (runtime.sdkPath !== sdkOf(job.dir)) {
      throw new Error(`program uses another @pulumi/pulumi (${sdkOf(job.dir)}) than this worker`);
    }
    return runtime.run({ ...job, main: path.resolve(job.main) });
  })().then(
    (resources) => reply({ id, ok: true, resources }),
    (err: unknown) =>
      reply({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.send?.({ ready: true });
