/**
 * The resource monitor both transports share: it answers a program's RegisterResource / ReadResource /
 * RegisterResourceOutputs / Invoke / SupportsFeature requests as the Pulumi engine does in a preview of
 * a new stack, and records every registration as a GraphResource.
 *
 * It is written against the request/response shapes of the resource monitor protocol
 * (pulumi/proto/pulumi/resource.proto), not against any SDK class: the language-host transport
 * (language-host.ts) feeds it the requests our gRPC server decodes, the warm in-process transport
 * (program-host.ts) the requests the program's SDK hands to `setMockOptions`. The protobuf message
 * classes it answers with come from whoever calls it, so each side serializes its own messages.
 */
import {
  NAME_DEPENDENCIES,
  describePlaceholders,
  markerUrn,
  placeholderKeys,
  undecryptedConfigKey,
} from "../policies/detect/hidden-config";
import { holdsKeyPiece, keyDigitPieces } from "../policies/detect/keys";
import { withAutonames } from "./autonames";
import { checkAssetShapes } from "./asset-shapes";
import { limitDepth } from "./depth-limit";
import {
  ASSET_VALUE,
  SECRET_SIG,
  UNKNOWN,
  type GraphResource,
  type WireObject,
  type WireValue,
} from "./graph";
import { secretInvokeResult, secretLookupResult } from "./secret-invokes";
import { TransformRunner, type TransformProtocol } from "./transforms";

type Struct = { toJavaScript(): WireObject };
type StructModule = { Struct: { fromJavaScript(o: unknown): unknown } };
type Msg = Record<string, (...a: never[]) => unknown>;
type Callback = (err: unknown, resp?: unknown) => void;

/** The message classes a transport answers with (its own copy of the generated protobuf code). */
export interface MonitorProtos {
  resource: Record<string, new () => Msg>;
  provider: Record<string, new () => Msg>;
  struct: StructModule;
  empty: { Empty: new () => Msg };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getRemote?(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getObject(): Struct | undefined;
  getImportid?(): string;
  getProtect?(): boolean;
  getIgnorechangesList?(): string[];
  getAdditionalsecretoutputsList?(): unknown[];
  getDeletebeforereplace?(): boolean;
  getAliasurnsList?(): string[];
  getAliasesList?(): Array<{ hasUrn(): boolean; getUrn(): string; getSpec(): AliasSpec }>;
  getCustomtimeouts?(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

interface ReadRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getId(): string;
  getDependenciesList(): string[];
  getProperties(): Struct | undefined;
}

/**
 * Features the engine reports to the SDK. `outputValues` stays off so inputs arrive as plain values
 * plus propertyDependencies (what analyzers see); hooks are off because nothing offline would run
 * them, and an SDK that sees them unsupported does not send them. `transforms` is on when the
 * transport can reach the program's callback server (RecorderOptions.transforms).
 */
const FEATURES = new Set(["secrets", "resourceReferences", "deletedWith", "aliasSpecs"]);

/** `pulumi:pulumi:getResource`: the engine's own invoke for rehydrating a resource reference. */
const GET_RESOURCE = "pulumi:pulumi:getResource";

export interface RecorderOptions {
  project: string;
  stack: string;
  protos: MonitorProtos;
  /**
   * The stack has `secure:` values the engine could not decrypt, or traces (unknown-secrets.js), so
   * names, inputs and outputs may hold their placeholders (hidden-config.ts); without, no tree is
   * walked for them.
   */
  hiddenConfig: boolean;
  /**
   * The decrypted values of traced secret config (about E2B), each with its config key: a string that
   * holds one (code a closure serialized around `.get()`) depends on that key, as it does without
   * the passphrase, where the closure captures the value's placeholder (rt49 #6, real42 #5).
   */
  tracedValues?: ReadonlyArray<{ value: string; key: string; pieces: ReadonlySet<string> }>;
  /** How to call the program's resource transforms (transforms.ts); without it they are unsupported. */
  transforms?: TransformProtocol;
}

/**
 * Whether a run's program reads secret config through the unknown-secrets preload (values it could
 * not decrypt, or decrypted ones it traces): then names, inputs and outputs may hold placeholders.
 */
export const tracesSecrets = (run: {
  unknownSecretKeys: readonly string[];
  tracedSecretKeys: readonly string[];
}): boolean => run.unknownSecretKeys.length + run.tracedSecretKeys.length > 0;

/** A traced value shorter than this is not looked for in strings: too likely to be there by chance. */
const MIN_TRACED_VALUE = 8;

export class ResourceRecorder {
  private readonly recorded = new Map<string, GraphResource>();
  private readonly order: string[] = [];
  /** Invoke tokens answered offline with their own arguments: reported, because a real preview asks the provider. */
  readonly invokes = new Set<string>();
  /** Whether an invoke answered with a secret's placeholder: registrations are then untagged too. */
  private invokeSecrets = false;

  private readonly transforms: TransformRunner | undefined;

  constructor(private readonly opts: RecorderOptions) {
    this.transforms = opts.transforms && new TransformRunner(opts.transforms);
  }

  /** The recorder for one run of a program, in either transport. */
  static forRun(
    run: {
      project: string;
      stack: string;
      config: Readonly<Record<string, string>>;
      unknownSecretKeys: readonly string[];
      tracedSecretKeys: readonly string[];
    },
    protos: MonitorProtos,
    transforms: TransformProtocol | undefined,
  ): ResourceRecorder {
    return new ResourceRecorder({
      project: run.project,
      stack: run.stack,
      protos,
      hiddenConfig: tracesSecrets(run),
      // A value derived from a key (`k.slice(4)`, upper-cased, reversed) holds pieces of its digits.
      tracedValues: run.tracedSecretKeys
        .map((key) => ({ value: run.config[key], key }))
        .filter(({ value }) => typeof value === "string" && value.length >= MIN_TRACED_VALUE)
        .map((t) => ({ ...t, pieces: keyDigitPieces(t.value) })),
      transforms,
    });
  }

  /** Close the clients of the program's callback servers. */
  close(): void {
    this.transforms?.close();
  }

  /**
   * URNs as the engine makes them (resource.NewURN): the parent's whole qualified type chain, and no
   * `pulumi:pulumi:Stack$` prefix for top-level resources.
   */
  urnOf(
    parent: string,
    type: string,
    name: string,
    stack = this.opts.stack,
    project = this.opts.project,
  ): string {
    const parentType = parent ? parent.split("::")[2] : "";
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
  }

  /**
   * Strings holding an undecrypted value read through a plain getter (hidden-config.ts
   * `undecryptedPlaceholder`) become the unknown they stand for, in place; returned: per top-level
   * property, the marker URNs of the config keys it held, as its property dependencies. An asset's
   * text (a serialized closure that captured the value) keeps the rest of its code, where other key
   * material may be, with each placeholder written as `[secret <key>]`.
   */
  private untagPlaceholders(props: WireObject): Map<string, string[]> {
    const found = new Map<string, string[]>();
    if (!this.opts.hiddenConfig && !this.invokeSecrets) return found;
    for (const top of Object.keys(props)) {
      const keys = new Set<string>();
      const stack: Array<{ holder: Record<string | number, WireValue>; at: string | number }> = [
        { holder: props as Record<string, WireValue>, at: top },
      ];
      while (stack.length) {
        const { holder, at } = stack.pop()!;
        const v = holder[at];
        if (typeof v === "string") {
          for (const t of this.opts.tracedValues ?? [])
            if (v.includes(t.value) || holdsKeyPiece(v, t.pieces)) keys.add(t.key);
          const ks = placeholderKeys(v);
          if (ks.length) {
            const assetText = at === "text" && (holder as WireObject)[SECRET_SIG] === ASSET_VALUE;
            holder[at] = assetText ? describePlaceholders(v) : UNKNOWN;
            for (const k of ks) keys.add(k);
          }
        } else if (Array.isArray(v)) v.forEach((_, i) => stack.push({ holder: v as never, at: i }));
        else if (v && typeof v === "object") {
          const o = v as Record<string, WireValue>;
          for (const k of Object.keys(o)) {
            // A map key built from the value (`{ [key]: "1" }`) names it by its config key instead.
            const ks = placeholderKeys(k);
            let name = k;
            if (ks.length) {
              name = describePlaceholders(k);
              o[name] = o[k];
              delete o[k];
              for (const c of ks) keys.add(c);
            }
            stack.push({ holder: o, at: name });
          }
        }
      }
      if (keys.size)
        found.set(
          top,
          [...keys].map((k) => markerUrn(this.opts.stack, this.opts.project, k)),
        );
    }
    return found;
  }

  /** An alias spec's URN: what it names, the registration's own type, name and parent otherwise. */
  private aliasUrn(r: RegisterRequest, spec: AliasSpec): string {
    const parent = spec.getNoparent() ? "" : spec.getParenturn() || r.getParent();
    return this.urnOf(
      parent,
      spec.getType() || r.getType(),
      spec.getName() || r.getName(),
      spec.getStack() || this.opts.stack,
      spec.getProject() || this.opts.project,
    );
  }

  /** A name built from undecrypted values: their markers, under NAME_DEPENDENCIES. */
  private nameDependencies(rawName: string, propertyDependencies: Record<string, string[]>): void {
    const markers = placeholderKeys(rawName).map((k) => markerUrn(this.opts.stack, this.opts.project, k));
    if (markers.length) addDependencies(propertyDependencies, NAME_DEPENDENCIES, markers);
  }

  resources(): GraphResource[] {
    return this.order.map((urn) => this.recorded.get(urn)!);
  }

  /**
   * A response's property Struct. Nesting is bounded as for the pack (depth-limit.ts): the program's
   * SDK stringifies every RegisterResource response for its debug log, recursively, and runs out of
   * stack on a Struct nested some 800 levels deep, so a program whose resource nests that deep fails
   * under `pulumi preview`; here it gets the deep part flattened and its resource is judged.
   */
  private struct(o: WireObject): unknown {
    return this.opts.protos.struct.Struct.fromJavaScript(limitDepth(o));
  }

  private message(module: "resource" | "provider", name: string): Msg {
    const Ctor = this.opts.protos[module][name];
    return new Ctor();
  }

  supportsFeature(req: { getId(): string }, cb: Callback): void {
    const resp = this.message("resource", "SupportsFeatureResponse");
    const id = req.getId();
    resp.setHassupport((FEATURES.has(id) || (id === "transforms" && !!this.transforms)) as never);
    cb(null, resp);
  }

  registerStackTransform(req: unknown, cb: Callback): void {
    try {
      if (!this.transforms) throw new Error("transforms are not supported");
      this.transforms.registerStackTransform(req);
      cb(null, new this.opts.protos.empty.Empty());
    } catch (e) {
      cb(e);
    }
  }

  registerResource(r: RegisterRequest, cb: Callback): void {
    try {
      const name = describePlaceholders(r.getName());
      const urn = this.urnOf(r.getParent(), r.getType(), name);
      const transforms = this.transforms?.transformsFor(r, urn, (u) => this.recorded.get(u)?.parent);
      if (transforms?.length)
        this.transforms!.apply(r, transforms).then(
          () => this.registerNow(r, name, urn, cb),
          (e: unknown) => {
            // The warm transport's SDK (mocks) does not fail the program on a refused registration.
            const why = e instanceof Error ? ((e as { details?: string }).details ?? e.message) : String(e);
            this.failure ??= `failed to register new resource ${name} [${r.getType()}]: transform failed: ${why}`;
            cb(e);
          },
        );
      else this.registerNow(r, name, urn, cb);
    } catch (e) {
      cb(e);
    }
  }

  private registerNow(r: RegisterRequest, name: string, urn: string, cb: Callback): void {
    try {
      const registered = r.getObject()?.toJavaScript() ?? {};
      try {
        checkAssetShapes(registered);
      } catch (e) {
        this.failure ??= `failed to register new resource ${name} [${r.getType()}]: ${(e as Error).message}`;
        throw e;
      }
      // What the provider's Check fills in at preview: the pack and the program see the checked inputs.
      const inputs = r.getCustom() ? withAutonames(r.getType(), name, urn, registered) : registered;
      const propertyDependencies: Record<string, string[]> = {};
      r.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
      this.nameDependencies(r.getName(), propertyDependencies);
      for (const [top, markers] of this.untagPlaceholders(inputs))
        addDependencies(propertyDependencies, top, markers);
      const importId = r.getImportid?.() || "";
      // In a preview of a new stack a custom resource's id is not known yet (the SDK then makes `.id`
      // unknown), unless it is being imported.
      const id = r.getCustom() ? importId : "";
      this.record({
        urn,
        type: r.getType(),
        name,
        custom: r.getCustom(),
        remote: r.getRemote?.() || undefined,
        id: id || undefined,
        parent: r.getParent() || undefined,
        provider: r.getProvider() || undefined,
        // The unknown-secrets preload's markers are provenance for the pack, not resources.
        dependencies: r.getDependenciesList().filter((u) => undecryptedConfigKey(u) === undefined),
        propertyDependencies,
        inputs,
        // The engine's preview of a create answers with the (checked) inputs; what the provider would
        // compute is absent, which the SDK turns into unknowns.
        outputs: inputs,
        options: optionsOf(r, (spec) => this.aliasUrn(r, spec)),
      });
      const resp = this.message("resource", "RegisterResourceResponse");
      resp.setUrn(urn as never);
      resp.setId(id as never);
      resp.setObject(this.struct(inputs) as never);
      cb(null, resp);
    } catch (e) {
      cb(e);
    }
  }

  readResource(r: ReadRequest, cb: Callback): void {
    try {
      const name = describePlaceholders(r.getName());
      const urn = this.urnOf(r.getParent(), r.getType(), name);
      const inputs = r.getProperties()?.toJavaScript() ?? {};
      const tagged = this.untagPlaceholders(inputs);
      // A read carries no property dependencies; the unknown-secrets preload's markers in its
      // dependencies are the provenance of its unknown inputs (a StackReference's name built from a
      // secret), so they go to those properties, as a registration would list them.
      const deps = r.getDependenciesList();
      const markers = deps.filter((u) => undecryptedConfigKey(u) !== undefined);
      const propertyDependencies: Record<string, string[]> = {};
      if (markers.length)
        for (const [k, v] of Object.entries(inputs)) if (holdsUnknown(v)) propertyDependencies[k] = markers;
      for (const [top, m] of tagged) addDependencies(propertyDependencies, top, m);
      this.nameDependencies(r.getName(), propertyDependencies);
      this.record({
        urn,
        type: r.getType(),
        name,
        custom: true,
        external: true,
        id: r.getId(),
        parent: r.getParent() || undefined,
        provider: r.getProvider() || undefined,
        dependencies: deps.filter((u) => undecryptedConfigKey(u) === undefined),
        propertyDependencies,
        inputs,
        outputs: inputs,
      });
      const resp = this.message("resource", "ReadResourceResponse");
      resp.setUrn(urn as never);
      resp.setProperties(this.struct(inputs) as never);
      cb(null, resp);
    } catch (e) {
      cb(e);
    }
  }

  registerResourceOutputs(r: { getUrn(): string; getOutputs(): Struct | undefined }, cb: Callback): void {
    const res = this.recorded.get(r.getUrn());
    if (!res) return cb(new Error(`unknown resource ${r.getUrn()}`));
    res.outputs = r.getOutputs()?.toJavaScript() ?? {};
    // An output (of the root stack or a component) fed by an undecrypted value depends on it as an
    // input would: the protocol sends outputs without dependencies. Rules read a resource's
    // `dependencies` as every property's when it has no property dependencies at all, so a
    // component with none gets that reading spelled out for each output before the markers join.
    const markers = this.untagPlaceholders(res.outputs);
    const pd = res.propertyDependencies;
    if (markers.size && Object.keys(pd).length === 0 && res.dependencies.length)
      for (const top of Object.keys(res.outputs)) pd[top] = [...res.dependencies];
    for (const [top, urns] of markers) addDependencies(pd, top, urns);
    cb(null, new this.opts.protos.empty.Empty());
  }

  invoke(req: { getTok(): string; getArgs(): Struct | undefined }, cb: Callback): void {
    try {
      const tok = req.getTok();
      const args = req.getArgs()?.toJavaScript() ?? {};
      let result: WireObject;
      if (tok === GET_RESOURCE) {
        const r = this.recorded.get(String(args.urn));
        if (!r) throw new Error(`unknown resource ${String(args.urn)}`);
        result = { urn: r.urn, id: r.id ?? null, state: r.outputs };
      } else {
        // Offline there is no provider to ask: the invoke answers with its own arguments (what the
        // SDK's mocks do), and the report names the token.
        this.invokes.add(tok);
        const secret = secretInvokeResult(tok, args);
        // A secret's value read at deploy time: a hidden value named by the secret (secret-invokes.ts).
        if (secret) this.invokeSecrets = true;
        result = secret ?? secretLookupResult(tok, args) ?? args;
      }
      const resp = this.message("provider", "InvokeResponse");
      resp.setReturn(this.struct(result) as never);
      cb(null, resp);
    } catch (e) {
      cb(e);
    }
  }

  /**
   * Why the run must fail though the program may not (under the SDK's mocks a refused registration
   * only rejects the resource's outputs): the first registration the CLI's engine would refuse.
   */
  failure: string | undefined;

  /** Two registrations of one URN fail the run, as the CLI's step generator fails them. */
  private record(r: GraphResource): void {
    if (this.recorded.has(r.urn)) {
      this.failure ??= `Duplicate resource URN '${r.urn}'; try giving it a unique name`;
      throw new Error(this.failure);
    }
    this.order.push(r.urn);
    this.recorded.set(r.urn, r);
  }
}

/** An alias given as a spec (`{ name }`, `{ type, parent }`), as the engine turns it into a URN. */
type AliasSpec = {
  getName(): string;
  getType(): string;
  getStack(): string;
  getProject(): string;
  getParenturn(): string;
  getNoparent(): boolean;
};

function optionsOf(r: RegisterRequest, aliasUrn: (spec: AliasSpec) => string): GraphResource["options"] {
  const list = <T>(xs: T[] | undefined) => (xs && xs.length ? xs : undefined);
  const timeouts = r.getCustomtimeouts?.();
  const seconds = (s: string | undefined) => (s ? parseDuration(s) : undefined);
  const customTimeouts = timeouts
    ? {
        create: seconds(timeouts.getCreate()),
        update: seconds(timeouts.getUpdate()),
        delete: seconds(timeouts.getDelete()),
      }
    : undefined;
  const options = {
    protect: r.getProtect?.() || undefined,
    ignoreChanges: list(r.getIgnorechangesList?.()),
    additionalSecretOutputs: list(r.getAdditionalsecretoutputsList?.())?.map(String),
    deleteBeforeReplace: r.getDeletebeforereplace?.() || undefined,
    // The CLI hands analyzers aliases as URNs: specs (what SDKs send today) are made into theirs.
    aliases: list([
      ...(r.getAliasurnsList?.() ?? []),
      ...(r.getAliasesList?.() ?? []).map((a) => (a.hasUrn() ? a.getUrn() : aliasUrn(a.getSpec()))),
    ]),
    customTimeouts:
      customTimeouts && Object.values(customTimeouts).some((v) => v !== undefined)
        ? customTimeouts
        : undefined,
  };
  if (!Object.values(options).some((v) => v !== undefined)) return undefined;
  return JSON.parse(JSON.stringify(options)) as GraphResource["options"];
}

/** Go durations as the SDK sends custom timeouts ("5m", "1h30m", "90s"), in seconds. */
function parseDuration(s: string): number | undefined {
  let total = 0;
  let matched = false;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === "h" ? n * 3600 : m[2] === "m" ? n * 60 : m[2] === "s" ? n : n / 1000;
  }
  return matched ? total : undefined;
}

export type { WireValue };

/** `urns` added to a property's dependencies, each once. */
function addDependencies(propertyDependencies: Record<string, string[]>, top: string, urns: string[]): void {
  propertyDependencies[top] = [...new Set([...(propertyDependencies[top] ?? []), ...urns])];
}

/** Whether a wire value is or contains the unknown sentinel (iteratively: inputs may nest deeply). */
function holdsUnknown(value: unknown): boolean {
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === "object") stack.push(...Object.values(v));
  }
  return false;
}
