/**
 * One index per AnalyzeStack, built once and shared by every stack policy: resources by URN with their
 * properties as plain trees, E2B environments and key resources, and per-resource scans (key
 * material, unknown leaves, env-var names), computed lazily and cached. Everything here is linear in
 * the size of the stack.
 *
 * Inputs vs outputs: at AnalyzeStack the SDK passes each resource's *outputs*. For a component (our
 * E2BEnvironment) outputs are whatever it registered, not the model it was given, so resource
 * policies record every resource's *inputs* at Analyze time (see inputs store below) and the index
 * prefers them; state files and stacks analysed without Analyze calls fall back to outputs.
 */
import { E2B_API_KEY_KIND, E2B_ENVIRONMENT_TYPE } from "../model";
import {
  environmentFromTags,
  inferTier,
  normalizeEnvName,
  stackOfUrn,
  type EnvironmentInfo,
} from "./environment";
import {
  approvedStoreAt,
  isKeyStoreType,
  storeContainerProperty,
  storeValueProperties,
  type KeyStore,
} from "./key-stores";
import { findMaterial } from "./material";
import { isUnknown, rawProps } from "./unknowns";
import { displayPath, normalizeProps, normalizeWire, pathOf, walkLeaves, type Tree } from "./walk";
import { DEFAULT_PUBLIC_PREFIXES } from "./client-surfaces";

export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
export const STACK_TYPE = "pulumi:pulumi:Stack";
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

// ---------------------------------------------------------------------------------------------
// Inputs recorded during Analyze (one process serves one preview at a time).

const recordedInputs = new Map<string, Tree>();

export function recordInputs(urn: string, props: Tree): void {
  recordedInputs.set(urn, props);
}

export function clearRecordedInputs(): void {
  recordedInputs.clear();
}

export function recordedInputsOf(urn: string): Tree | undefined {
  return recordedInputs.get(urn);
}

// ---------------------------------------------------------------------------------------------

export interface KeyHit {
  kind: "api-key" | "access-token";
  mask: string;
  fingerprint: string;
  encoding: "plain" | "base64";
  path: string;
  top: string;
  envName: string | null;
  publicName: string | null;
  embedded: boolean;
  /** The approved store that legitimately holds this value, if any. */
  store?: KeyStore;
}

export interface LeafInfo {
  path: string;
  top: string;
  envName: string | null;
  publicName: string | null;
  /** Every enclosing env-var-like name, outermost first, joined with "/". */
  nameChain: string;
  value: string | number | boolean | null;
  unknown: boolean;
  embedded: boolean;
  container: Tree;
}

export interface ResourceScan {
  /** Top-level properties holding an unknown leaf / key material (O(1) lookups for the rules). */
  unknownTops: Set<string>;
  keyTops: Set<string>;
  keys: KeyHit[];
  /** Leaves whose value is unknown at preview. */
  unknowns: LeafInfo[];
  /** Leaves under an environment-variable-like name (value known or unknown). */
  named: LeafInfo[];
}

export interface IndexedResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  deleteBeforeReplace?: boolean;
  /** Inputs when recorded at Analyze, otherwise outputs. */
  props: Tree;
  outputs: Tree;
}

/** What the index needs from a resource: the SDK's PolicyResource or a plain graph record. */
export interface ResourceLike {
  urn: string;
  type: string;
  name: string;
  props: unknown;
  parent?: { urn: string } | string;
  dependencies?: Array<{ urn: string } | string>;
  propertyDependencies?: Record<string, Array<{ urn: string } | string>>;
  opts?: { deleteBeforeReplace?: boolean };
}

const urnOf = (x: { urn: string } | string) => (typeof x === "string" ? x : x.urn);

function isObj(v: Tree | undefined): v is { [k: string]: Tree } {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

export function get(tree: Tree | undefined, path: string): Tree | undefined {
  let cur: Tree | undefined = tree;
  for (const p of path.split(".")) {
    if (!isObj(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function isKeyResource(type: string, props: Tree): boolean {
  if (type === "e2b-guardrails:index:ApiKey") return true;
  return type === DYNAMIC_RESOURCE_TYPE && get(props, "kind") === E2B_API_KEY_KIND;
}

export function scanProps(
  type: string,
  props: Tree,
  publicPrefixes: readonly string[] = DEFAULT_PUBLIC_PREFIXES,
): ResourceScan {
  const keys: KeyHit[] = [];
  const unknowns: LeafInfo[] = [];
  const named: LeafInfo[] = [];
  const origin = isKeyResource(type, props);
  const embeddedFingerprints = new Set<string>();
  const rawCandidates: KeyHit[] = [];
  walkLeaves(
    props,
    (leaf) => {
      const info = (): LeafInfo => ({
        path: pathOf(leaf.node),
        top: leaf.top,
        envName: leaf.envName,
        publicName: leaf.publicName,
        nameChain: leaf.nameChain,
        value: leaf.value,
        unknown: leaf.unknown,
        embedded: leaf.embedded,
        container: leaf.container,
      });
      let li: LeafInfo | undefined;
      if (leaf.unknown) unknowns.push((li ??= info()));
      if (leaf.envName) named.push((li ??= info()));
      if (typeof leaf.value !== "string" || leaf.unknown) return;
      // The dynamic provider's serialized source is code, not configuration; key material there is
      // still material, so it is scanned like everything else.
      const found = findMaterial(leaf.value);
      if (found.length === 0) return;
      const fullPath = (li ?? info()).path;
      const path = displayPath(fullPath);
      for (const m of found) {
        const hit: KeyHit = {
          kind: m.kind,
          mask: m.mask,
          fingerprint: m.fingerprint,
          encoding: m.encoding,
          path,
          top: leaf.top,
          envName: leaf.envName,
          publicName: leaf.publicName,
          embedded: leaf.embedded,
          store: origin
            ? { type, store: "E2B API key resource", paths: ["**"] }
            : approvedStoreAt(type, fullPath, leaf.container, props),
        };
        if (leaf.parsed) rawCandidates.push(hit);
        else {
          if (leaf.embedded) embeddedFingerprints.add(m.fingerprint);
          keys.push(hit);
        }
      }
    },
    { publicPrefixes },
  );
  for (const c of rawCandidates) if (!embeddedFingerprints.has(c.fingerprint)) keys.push(c);
  return {
    keys,
    unknowns,
    named,
    unknownTops: new Set(unknowns.map((l) => l.top)),
    keyTops: new Set(keys.map((k) => k.top)),
  };
}

export interface EnvironmentResource {
  resource: IndexedResource;
  name: string;
  model: Tree;
  /**
   * False when only the component's registered outputs were available (its inputs were not recorded
   * because no resource policy ran): the model's fields are then unknown to the rules, not missing.
   */
  modelAvailable: boolean;
}

const MODEL_FIELDS = ["tier", "teamId", "plan", "sandbox", "budget", "secretStore"];

function environmentModelOutput(type: string, outputs: Tree): Tree | undefined {
  if (
    type !== E2B_ENVIRONMENT_TYPE ||
    typeof outputs !== "object" ||
    outputs === null ||
    Array.isArray(outputs)
  )
    return undefined;
  const model = outputs.model;
  return typeof model === "object" && model !== null && !Array.isArray(model) ? model : undefined;
}

/** A resource as the engine graph or a state export carries it (wire format). */
export interface GraphResourceLike {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  inputs?: unknown;
  outputs?: unknown;
  options?: { deleteBeforeReplace?: boolean };
}

export class StackIndex {
  readonly stack: string;
  readonly project: string;
  readonly resources: IndexedResource[];
  readonly byUrn = new Map<string, IndexedResource>();
  readonly environments: EnvironmentResource[] = [];
  readonly keyResources: IndexedResource[] = [];
  readonly keyResourceUrns = new Set<string>();
  private envByUrn = new Map<string, EnvironmentResource>();
  private scans = new Map<string, ResourceScan>();
  private envMemo = new Map<string, Map<string, EnvironmentInfo>>();

  constructor(resources: IndexedResource[], stack?: string, project?: string) {
    this.resources = resources;
    const first = resources.find((r) => r.urn.startsWith("urn:pulumi:"));
    const fromUrn = first ? stackOfUrn(first.urn) : { stack: "", project: "" };
    this.stack = stack || fromUrn.stack;
    this.project = project || fromUrn.project;
    for (const r of resources) {
      this.byUrn.set(r.urn, r);
      if (r.type === E2B_ENVIRONMENT_TYPE) {
        const n = get(r.props, "name");
        const env: EnvironmentResource = {
          resource: r,
          // A name unknown at preview is not a name: fall back to the resource's.
          name: typeof n === "string" && n && !isUnknown(n) ? normalizeEnvName(n) : normalizeEnvName(r.name),
          model: r.props,
          modelAvailable: MODEL_FIELDS.some((f) => get(r.props, f) !== undefined),
        };
        this.environments.push(env);
        this.envByUrn.set(r.urn, env);
      }
      if (isKeyResource(r.type, r.props)) {
        this.keyResources.push(r);
        this.keyResourceUrns.add(r.urn);
      }
    }
  }

  /** Build from the resources a stack policy receives (props read without the unknown-checking proxy). */
  static async fromPolicyResources(
    resources: readonly ResourceLike[],
    opts: { inputsOf?: (urn: string) => Tree | undefined; stack?: string; project?: string } = {},
  ): Promise<StackIndex> {
    const inputsOf = opts.inputsOf ?? recordedInputsOf;
    const out: IndexedResource[] = [];
    for (const r of resources) {
      const outputs = await normalizeProps(rawProps(r.props));
      const recorded = inputsOf(r.urn);
      out.push({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent ? urnOf(r.parent) : undefined,
        dependencies: (r.dependencies ?? []).map(urnOf),
        propertyDependencies: Object.fromEntries(
          Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, (v ?? []).map(urnOf)]),
        ),
        deleteBeforeReplace: r.opts?.deleteBeforeReplace,
        // Inputs recorded by the resource policy; failing that, E2BEnvironment also outputs its model.
        props: recorded ?? environmentModelOutput(r.type, outputs) ?? outputs,
        outputs,
      });
    }
    return new StackIndex(
      out,
      opts.stack ?? process.env.PULUMI_NODEJS_STACK,
      opts.project ?? process.env.PULUMI_NODEJS_PROJECT,
    );
  }

  /**
   * Build from engine graph records or state-export resources (wire format: secrets and assets as
   * signature objects). Inputs stand in for props, as the pack's recorded inputs do.
   */
  static fromGraph(
    resources: ReadonlyArray<GraphResourceLike>,
    stack?: string,
    project?: string,
  ): StackIndex {
    return new StackIndex(
      resources.map((r) => {
        const outputs = normalizeWire(r.outputs ?? {});
        const inputs = r.inputs && Object.keys(r.inputs as object).length ? normalizeWire(r.inputs) : outputs;
        return {
          urn: r.urn,
          type: r.type,
          name: r.name,
          parent: r.parent,
          dependencies: r.dependencies ?? [],
          propertyDependencies: r.propertyDependencies ?? {},
          deleteBeforeReplace: r.options?.deleteBeforeReplace,
          props: inputs,
          outputs,
        };
      }),
      stack,
      project,
    );
  }

  scan(r: IndexedResource, publicPrefixes: readonly string[] = DEFAULT_PUBLIC_PREFIXES): ResourceScan {
    const cacheKey = `${r.urn}\u0000${publicPrefixes.join(",")}`;
    let s = this.scans.get(cacheKey);
    if (!s) {
      s = scanProps(r.type, r.props, publicPrefixes);
      this.scans.set(cacheKey, s);
    }
    return s;
  }

  /** The nearest E2BEnvironment ancestor (or the resource itself), memoized along the chain. */
  environmentComponentOf(r: IndexedResource): EnvironmentResource | undefined {
    const byUrn = this.envComponentMemo;
    const chain: string[] = [];
    let cur: IndexedResource | undefined = r;
    let found: EnvironmentResource | undefined | null = undefined;
    while (cur) {
      const memo = byUrn.get(cur.urn);
      if (memo !== undefined) {
        found = memo;
        break;
      }
      chain.push(cur.urn);
      if (cur.type === E2B_ENVIRONMENT_TYPE) {
        // By URN, not a scan of the environments: a stack of many environments stays linear.
        found = this.envByUrn.get(cur.urn) ?? null;
        break;
      }
      cur = cur.parent ? this.byUrn.get(cur.parent) : undefined;
      if (chain.length > 10_000) break;
    }
    for (const u of chain) byUrn.set(u, found ?? null);
    return found ?? undefined;
  }
  private envComponentMemo = new Map<string, EnvironmentResource | null>();

  /** The environment of a resource: component, key `environment` input, tag, or stack name. */
  environmentOf(r: IndexedResource, tagKeys: readonly string[]): EnvironmentInfo {
    const memoKey = tagKeys.join(",");
    let memo = this.envMemo.get(memoKey);
    if (!memo) this.envMemo.set(memoKey, (memo = new Map()));
    const hit = memo.get(r.urn);
    if (hit) return hit;
    let info: EnvironmentInfo;
    const comp = this.environmentComponentOf(r);
    const keyEnv = isKeyResource(r.type, r.props) ? get(r.props, "environment") : undefined;
    const tagEnv = environmentFromTags(r.props, tagKeys);
    if (comp) {
      const tier = get(comp.model, "tier");
      info = {
        name: comp.name,
        tier: typeof tier === "string" ? (inferTier(tier) ?? inferTier(comp.name)) : inferTier(comp.name),
        source: "component",
      };
    } else if (typeof keyEnv === "string" && keyEnv && !isUnknown(keyEnv)) {
      info = { name: normalizeEnvName(keyEnv), tier: inferTier(keyEnv), source: "key" };
    } else if (tagEnv) {
      info = { name: tagEnv, tier: inferTier(tagEnv), source: "tag" };
    } else {
      const s = (this.stack || stackOfUrn(r.urn).stack).toLowerCase();
      info = { name: s, tier: inferTier(s), source: "stack" };
    }
    memo.set(r.urn, info);
    return info;
  }

  /** URNs of resources that hold the key: key resources and stores whose secret value holds or depends on it. */
  keyHolders(): Set<string> {
    if (this._holders) return this._holders;
    const holders = new Set(this.keyResourceUrns);
    for (const r of this.resources) {
      if (!isKeyStoreType(r.type) || holders.has(r.urn)) continue;
      if (this.scan(r).keys.some((k) => k.store)) {
        holders.add(r.urn);
        continue;
      }
      for (const p of storeValueProperties(r.type)) {
        if ((r.propertyDependencies[p] ?? []).some((u) => this.keyResourceUrns.has(u))) {
          holders.add(r.urn);
          break;
        }
      }
    }
    // The secret a holding version belongs to holds the key too (its ARN is how runtimes read it).
    for (const r of this.resources) {
      if (!holders.has(r.urn) || this.keyResourceUrns.has(r.urn)) continue;
      const cp = storeContainerProperty(r.type);
      if (cp) for (const u of r.propertyDependencies[cp] ?? []) holders.add(u);
    }
    this._holders = holders;
    return holders;
  }
  private _holders?: Set<string>;

  /**
   * Which of `targets` a property of `r` depends on. Uses `propertyDependencies`; when a resource
   * carries none at all (older state files), its `dependencies` stand in for every property.
   */
  dependsOn(r: IndexedResource, top: string, targets: ReadonlySet<string>): string[] {
    const pd = r.propertyDependencies;
    const list = Object.keys(pd).length > 0 ? (pd[top] ?? []) : r.dependencies;
    return list.filter((u) => targets.has(u));
  }

  /** True when the stack shows any E2B evidence at all (used by case applicability). */
  e2bEvidence(): { environments: number; keys: number; material: number; names: number } {
    if (this._evidence) return this._evidence;
    let material = 0;
    let names = 0;
    for (const r of this.resources) {
      const s = this.scan(r);
      material += s.keys.length;
      for (const l of s.named) if (/(^|_)E2B(_|$)/.test(l.envName ?? "")) names++;
    }
    this._evidence = {
      environments: this.environments.length,
      keys: this.keyResources.length,
      material,
      names,
    };
    return this._evidence;
  }
  private _evidence?: { environments: number; keys: number; material: number; names: number };
}

/** Cache: every stack policy of one AnalyzeStack call gets fresh resource objects, so key by content identity. */
let cached: { signature: string; generation: number; index: Promise<StackIndex> } | undefined;
let generation = 0;

/** A new preview started (an Analyze call after an AnalyzeStack): drop the previous stack's data. */
export function newGeneration(): void {
  generation++;
  cached = undefined;
  clearRecordedInputs();
}

export function stackIndexFor(resources: readonly ResourceLike[]): Promise<StackIndex> {
  let signature = `${resources.length}`;
  for (const r of resources) signature += `|${r.urn}`;
  if (cached && cached.signature === signature && cached.generation === generation) return cached.index;
  const index = StackIndex.fromPolicyResources(resources);
  cached = { signature, generation, index };
  return index;
}

export { isObj as isObjectTree };
