/* eslint-disable @typescript-eslint/no-explicit-any -- protobuf requests from the SDK are untyped */
/**
 * Run a Pulumi program under the SDK's MockMonitor and record every RegisterResource request
 * (type, name, parent, dependencies, property dependencies, wire inputs) plus the outputs components
 * register — what the engine forwards to the policy pack, so tests judge the same data.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
  /** Inputs in wire format: secrets are `{4dabf18193072939515e22adb298388d: …, value}` objects. */
  inputs: Record<string, unknown>;
  /** Outputs registered with `registerOutputs` (components), wire format. */
  outputs?: Record<string, unknown>;
}

/** A real-looking, planted test key: never a live key. */
export const PLANTED_KEY = "e2b_" + "0123456789abcdef".repeat(2) + "01234567";

export type StateFor = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
) => Record<string, unknown>;

/** Provider outputs the mocks return, per type: enough for ARNs, ids and the created key. */
export const defaultState: StateFor = (type, name, inputs) => {
  const base = { ...inputs };
  if (type === "pulumi-nodejs:dynamic:Resource") {
    return {
      ...base,
      key: PLANTED_KEY,
      mask: "e2b_…4567",
      fingerprint: "sha256:planted",
      createdAt: "2026-11-01T00:00:00Z",
    };
  }
  if (type === "aws:iam/role:Role") return { ...base, arn: `arn:aws:iam::123456789012:role/${name}`, name };
  if (type.startsWith("aws:")) {
    const arnName = typeof inputs.name === "string" ? inputs.name : name;
    return {
      ...base,
      arn: `arn:aws:mock:us-east-1:123456789012:${type.split(":")[1]}/${arnName}`,
      name: inputs.name ?? name,
    };
  }
  if (type.startsWith("gcp:"))
    return { ...base, project: inputs.project ?? "mock-project", name: `projects/mock/secrets/${name}` };
  return base;
};

export async function record(
  program: () => void | Promise<void>,
  opts: {
    stateFor?: StateFor;
    project?: string;
    stack?: string;
    config?: Record<string, string>;
    secretKeys?: string[];
  } = {},
): Promise<Recorded[]> {
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as {
    MockMonitor: new (mocks: pulumi.runtime.Mocks) => {
      registerResource(req: any, cb: (err: unknown, res?: any) => void): Promise<void>;
      registerResourceOutputs(req: any, cb: (err: unknown, res?: any) => void): void;
    };
  };
  const stateFor = opts.stateFor ?? defaultState;
  const recorded = new Map<string, Recorded>();
  // A registration that fails must fail the record: under mocks the SDK only logs it, and a test
  // asserting what the recorded resources hold would pass on a resource that was never recorded.
  const failures: unknown[] = [];

  class RecordingMonitor extends MockMonitor {
    override async registerResource(req: any, callback: (err: unknown, res?: any) => void) {
      let entry: Omit<Recorded, "urn">;
      try {
        const propDeps: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v: any, k: string) => (propDeps[k] = v.getUrnsList()));
        entry = {
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent: req.getParent(),
          dependencies: req.getDependenciesList(),
          propertyDependencies: propDeps,
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          inputs: req.getObject().toJavaScript(),
        };
      } catch (e) {
        // Answer the SDK, which otherwise waits for this RPC forever.
        failures.push(e);
        return callback(e);
      }
      return super.registerResource(req, (err: unknown, res: any) => {
        if (err) failures.push(err);
        if (res) recorded.set(res.getUrn(), { urn: res.getUrn(), ...entry });
        callback(err, res);
      });
    }
    override registerResourceOutputs(req: any, callback: (err: unknown, res?: any) => void) {
      const r = recorded.get(req.getUrn());
      if (r) r.outputs = req.getOutputs()?.toJavaScript();
      return super.registerResourceOutputs(req, callback);
    }
  }

  const mocks: pulumi.runtime.Mocks = {
    newResource: (a) => ({ id: `${a.name}_id`, state: stateFor(a.type, a.name, a.inputs) }),
    call: (a) => {
      if (a.token === "azure-native:authorization:getClientConfig") {
        return {
          subscriptionId: "00000000-0000-0000-0000-000000000001",
          tenantId: "t",
          clientId: "c",
          objectId: "o",
        };
      }
      return a.inputs;
    },
  };
  const project = opts.project ?? "e2b-platform";
  const stack = opts.stack ?? "test";
  const monitor = new RecordingMonitor(mocks);
  if (opts.config) {
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
  }
  await pulumi.runtime.setMockOptions(monitor, project, stack, false);
  const store = require("@pulumi/pulumi/runtime/state").getStore();
  store.supportsSecrets = true;
  store.supportsResourceReferences = true;
  store.supportsOutputValues = false;
  store.supportsDeletedWith = true;
  store.supportsAliasSpecs = true;
  store.supportsTransforms = false;
  store.supportsInvokeTransforms = false;
  store.supportsParameterization = true;

  // The SDK captures a stack trace for every promise it makes (runtime/debuggable.ts), only to print
  // it if the promise leaks. Under jest each capture source-maps up to 100 frames: that was most of
  // a record's CPU (one E2BEnvironment: ~380 ms at jest's limit, ~270 ms at Node's 10, ~60 ms at 0).
  // Nothing here reads those traces (resource source positions set their own limit), so programs run
  // with none; an error thrown inside keeps its message, which is what tests assert. Set
  // E2B_TEST_PROGRAM_STACKS=1 to get the frames back when debugging a failing program.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!process.env.E2B_TEST_PROGRAM_STACKS) Error.stackTraceLimit = 0;
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      await program();
      return undefined;
    });
    // Registrations run asynchronously after the program returns; wait for every outstanding RPC.
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (failures.length) throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
  return [...recorded.values()];
}

/** Every string in a value, with its path; walks arrays, objects and JSON embedded in strings. */
export function strings(
  value: unknown,
  path = "",
  out: { path: string; value: string }[] = [],
): { path: string; value: string }[] {
  if (typeof value === "string") {
    out.push({ path, value });
    const t = value.trim();
    if ((t.startsWith("{") || t.startsWith("[")) && t.length < 1_000_000) {
      try {
        strings(JSON.parse(t), `${path}<json>`, out);
      } catch {
        // not JSON
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) strings(v, path ? `${path}.${k}` : k, out);
  }
  return out;
}

/** Paths at which a value occurs anywhere (inputs, outputs, embedded JSON/YAML text). */
export function occurrences(
  resources: Recorded[],
  needle: string,
): { urn: string; type: string; path: string }[] {
  const hits: { urn: string; type: string; path: string }[] = [];
  for (const r of resources) {
    for (const s of strings({ inputs: r.inputs, outputs: r.outputs ?? {} })) {
      if (s.value.includes(needle)) hits.push({ urn: r.urn, type: r.type, path: s.path });
    }
  }
  return hits;
}

/** Secret wire values unwrapped (`{4dabf…: sig, value}` → value), for comparing against plain data. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270")
      return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

export function byType(resources: Recorded[], type: string): Recorded[] {
  return resources.filter((r) => r.type === type);
}

export function one(resources: Recorded[], type: string): Recorded {
  const found = byType(resources, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}
