/**
 * Child process that runs one Pulumi program in preview mode under a recording MockMonitor and sends
 * the registrations to its parent over IPC. It uses the program's own `@pulumi/pulumi` (resolved from the
 * program directory), so the recorded requests are exactly what that SDK sends to a real engine.
 *
 * Started by program-runner.ts with `--require tsx/cjs` so TypeScript programs load as they would under
 * the Pulumi CLI's ts-node, without type-checking.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import type { GraphResource, WireObject } from "./graph";

interface HostArgs {
  main: string;
  dir: string;
  project: string;
  stack: string;
  organization: string;
  unknownSecretKeys: string[];
}

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

async function main(args: HostArgs): Promise<void> {
  const req = (m: string) => require(require.resolve(m, { paths: [args.dir] }));
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
  const outputModule = req("@pulumi/pulumi/output");

  const recorded = new Map<string, GraphResource>();
  const order: string[] = [];

  // Outputs echo the inputs (the engine does the same in a preview); ids are plausible and stable.
  const mocks = {
    newResource: (a: { type: string; name: string; inputs: Record<string, unknown>; id?: string }) => ({
      id: a.id || plausibleId(a.type, a.name),
      state: a.inputs,
    }),
    call: (a: { inputs: Record<string, unknown> }) => a.inputs,
  };

  class RecordingMonitor extends MockMonitor {
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
          recorded.set(urn, {
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
          order.push(urn);
        }
        callback(err, resp);
      });
    }

    override async readResource(r: ReadReq, callback: (err: unknown, resp?: { getUrn(): string }) => void) {
      const inputs = r.getProperties()?.toJavaScript() ?? {};
      return super.readResource(r, (err: unknown, resp?: { getUrn(): string }) => {
        if (!err && resp) {
          const urn = resp.getUrn();
          recorded.set(urn, {
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
          order.push(urn);
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

  const monitor = new RecordingMonitor(mocks);
  settings.setMockOptions(monitor, args.project, args.stack, /* preview */ true, args.organization);
  const store = state.getStore();
  Object.assign(store, {
    supportsSecrets: true,
    supportsResourceReferences: true,
    supportsOutputValues: false,
    supportsDeletedWith: true,
    supportsAliasSpecs: true,
  });

  // Secrets we could not decrypt are unknown at preview, as a program running without the key would see.
  const unknownKeys = new Set(args.unknownSecretKeys);
  if (unknownKeys.size > 0) patchConfigForUnknownSecrets(pulumi, outputModule, args.project, unknownKeys);

  process.chdir(args.dir);
  await pulumi.runtime.runInPulumiStack(async () => {
    const mod = require(args.main);
    const fn = typeof mod === "function" ? mod : typeof mod?.default === "function" ? mod.default : undefined;
    return fn ? await fn() : mod;
  });
  // The stack's outputs can settle before every registration has been sent; the CLI waits for all RPCs.
  await settings.waitForRPCs();

  const registered: Map<string, { state: unknown }> = monitor.getRegisteredResources();
  const resources = order.map((urn) => {
    const r = recorded.get(urn)!;
    const st = registered.get(urn)?.state;
    r.outputs = st && typeof st === "object" ? (st as WireObject) : {};
    return r;
  });
  await new Promise<void>((resolve, reject) =>
    process.send!({ ok: true, resources }, (e: Error | null) => (e ? reject(e) : resolve())),
  );
}

function patchConfigForUnknownSecrets(
  pulumi: { Config: { prototype: Record<string, unknown> }; secret(v: unknown): unknown },
  outputModule: { unknown: unknown },
  project: string,
  unknownKeys: Set<string>,
): void {
  const proto = pulumi.Config.prototype as Record<string, unknown> & { name?: string };
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
      if (unknownKeys.has(fullKey(this, key))) return pulumi.secret(outputModule.unknown);
      return original.call(this, key, ...rest);
    };
  }
  void project;
}

const raw = process.argv[2];
if (!raw) {
  console.error("program-host: missing arguments");
  process.exit(2);
}
const hostArgs = JSON.parse(raw) as HostArgs;
hostArgs.main = path.resolve(hostArgs.main);
main(hostArgs).then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.send?.({ ok: false, error: message }, () => process.exit(1));
  },
);
