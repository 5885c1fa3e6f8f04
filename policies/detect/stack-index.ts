/**
 * One index per AnalyzeStack, built once and shared by every stack policy: resources by URN with their
 * properties as plain trees, E2B environments and key resources, and per-resource scans (key
 * material, unknown leaves, env-var names), computed lazily and memoised in one place (`memo`).
 * Everything here is linear in the size of the stack.
 *
 * Inputs vs outputs: at AnalyzeStack the SDK passes each resource's *outputs*. For a component (our
 * E2BEnvironment) outputs are whatever it registered, not the model it was given, so resource
 * policies record every resource's *inputs* at Analyze time (run-state.ts) and the index prefers
 * them; state files and stacks analysed without Analyze calls fall back to outputs.
 */
import type { StackFiles } from "./stack-files";
import { E2B_ENVIRONMENT_TYPE } from "../model";
import type { ArtifactReader } from "./artifacts";
import { DEFAULT_PUBLIC_PREFIXES } from "./client-surfaces";
import {
  environmentFromTags,
  inferTier,
  normalizeEnvName,
  stackOfUrn,
  type EnvironmentInfo,
} from "./environment";
import {
  approvedStoreOfHidden,
  isStoreOnlyType,
  storeContainerProperty,
  storeValueProperties,
} from "./key-stores";
import {
  isKeyResource,
  ScanCache,
  scanRecord,
  optionStringsOf,
  STACK_TYPE,
  type KeyHit,
  type RecordHit,
  type ResourceRecord,
  type ResourceScan,
  type TextOptions,
} from "./scanner";
import { holdsKeyPiece, keyDigitPieces } from "./keys";
import { holdsVariables } from "./variable-holders";
import { get, isObjectTree } from "./tree";
import { isUnknown, rawProps } from "./unknowns";
import { plainTreeNow } from "./plain-tree";
import {
  normalizeWire,
  printable,
  walkKnownStrings,
  walkLeaves,
  type Embedded,
  type Leaf,
  type Tree,
  type WalkOptions,
} from "./walk";
import {
  ACCESS_TOKEN_NAME,
  CONFIG_KEY_NAME,
  E2B_NAME,
  SECURE_LEAF,
  configKeyAsVariable,
  describedPlaceholder,
  invokeSecretName,
  e2bSecureLeaves,
  placeholderKeys,
  undecryptedConfigKey,
} from "./hidden-config";

export { E2B_NAME };

/** The default `keyNamePattern` of the E2B-01 rules: variable names meant to carry the E2B key. */
export const KEY_NAME_PATTERN = "(^|_)E2B_(API_KEY|ACCESS_TOKEN)$";

/**
 * A secret config value the offline engine could not decrypt, as properties depend on it
 * (hidden-config.ts). `carriesKey`: its name, read as a variable, names the key (CONFIG_KEY_NAME), so
 * it is judged as the key; `e2bNamed`: its name is only about E2B (`e2bToken`); `e2bLeaf`: a
 * structured value's secure leaf about E2B (`e2b.apiKey`), so any part of it may be the key.
 */
export interface HiddenConfig {
  key: string;
  variable: string;
  carriesKey: boolean;
  accessToken: boolean;
  e2bNamed: boolean;
  e2bLeaf?: string;
  /** A secure leaf about E2B that names an access token (`e2b.accessToken`): E2B-08's evidence, hidden. */
  e2bTokenLeaf?: string;
}

const NO_CONFIGS: readonly HiddenConfig[] = Object.freeze([]);

/** The marker URNs of config values whose name says they carry the key. */
function carriersOfKey(configs: ReadonlyMap<string, HiddenConfig>): Set<string> {
  const out = new Set<string>();
  for (const [u, c] of configs) if (c.carriesKey) out.add(u);
  return out;
}

/** What a config key's name says it holds (the one reading of config key names). */
export function hiddenConfigOf(key: string): HiddenConfig {
  const variable = configKeyAsVariable(key);
  return {
    key,
    variable,
    carriesKey: CONFIG_KEY_NAME.test(variable),
    accessToken: ACCESS_TOKEN_NAME.test(variable),
    e2bNamed: E2B_NAME.test(variable),
  };
}

export interface IndexedResource extends ResourceRecord {
  deleteBeforeReplace?: boolean;
  /** Inputs when recorded at Analyze, otherwise outputs. */
  props: Tree;
  /**
   * True when `props` are the inputs a resource policy saw at Analyze (so it judged them); false for
   * reads, stacks analysed without Analyze calls and graphs handed to the index directly.
   */
  inputsRecorded: boolean;
}

/** What the index needs from a resource: the SDK's PolicyResource or a plain graph record. */
export interface ResourceLike {
  urn: string;
  type: string;
  name: string;
  props: unknown;
  parent?: { urn: string } | string;
  provider?: { urn: string } | string;
  dependencies?: Array<{ urn: string } | string>;
  propertyDependencies?: Record<string, Array<{ urn: string } | string>>;
  /** `opts.parent` is the raw parent URN, kept by the SDK even when no such resource is in the stack. */
  opts?: TextOptions & { deleteBeforeReplace?: boolean; parent?: string };
}

const urnOf = (x: { urn: string } | string) => (typeof x === "string" ? x : x.urn);

/**
 * URNs of a reference list: the list itself when it already holds only URNs (the list the analyzer
 * hooks read from the request, stack-request.ts), so the index keeps no second copy per resource.
 */
function urnsOf(list: ReadonlyArray<{ urn: string } | string> | undefined): string[] {
  if (!list) return [];
  for (const x of list) if (typeof x !== "string") return list.map(urnOf);
  return list as string[];
}

function propertyUrnsOf(
  deps: Record<string, ReadonlyArray<{ urn: string } | string> | undefined> | undefined,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (deps)
    for (const k of Object.keys(deps)) {
      // An own "__proto__" key (a hostile export) stays a key, as Object.fromEntries kept it.
      if (k === "__proto__")
        Object.defineProperty(out, k, {
          value: urnsOf(deps[k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[k] = urnsOf(deps[k]);
    }
  return out;
}

/** Counts of what shows the stack uses E2B (cases' applicability, see common.ts). */
export interface E2BEvidence {
  environments: number;
  keys: number;
  /** Key material anywhere in the stack (properties, names, artifacts, outputs, URNs, references). */
  material: number;
  /** Access tokens (`sk_e2b_`) among that material. */
  accessTokens: number;
  /** Leaves under an E2B-named env var (`E2B_API_KEY`, `E2B_ACCESS_TOKEN`, …). */
  names: number;
  /**
   * Properties fed by a secret config value named to carry the key or about E2B, decrypted or not: a consumer of
   * the key whatever the property's shape, which a value hidden at preview may hide (an env map built
   * in an `apply`), so both modes count it.
   */
  keyConfigFeeds: number;
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
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  inputs?: unknown;
  outputs?: unknown;
  options?: TextOptions & { deleteBeforeReplace?: boolean };
}

/**
 * The stack's configuration as the CLI sends it at ConfigureStack: every value (`ns:key` → text,
 * structured values as JSON, secure ones decrypted) and which keys are secure in the stack file.
 */
export interface StackConfigValues {
  values: Readonly<Record<string, string>>;
  secretKeys: ReadonlySet<string>;
  /**
   * Secret keys with a structured value, as the file writes it with the `secure:` leaves masked
   * (JSON, SECURE_LEAF): its plaintext leaves and its secure leaves' names. The CLI sends such a key
   * only decrypted and secret as a whole; our offline engine adds this in the stack tag
   * CONFIG_PLAINTEXT_TAG.
   */
  plaintextOfSecret?: Readonly<Record<string, string>>;
  /** The E2B keys of the project's stack files, from the offline engine (stack-files.ts STACK_FILES_TAG). */
  stackFiles?: StackFiles;
  /**
   * The outputs the program asked of its StackReferences, by the reference's resource name, from the
   * offline engine (STACK_OUTPUT_READS_TAG): offline the outputs themselves are unknown.
   */
  stackOutputReads?: ReadonlyArray<{ reference: string; output: string }>;
}

/** Stack tag the offline engine sets to the outputs the program asked of its StackReferences (JSON). */
export const STACK_OUTPUT_READS_TAG = "e2b-guardrails:stack-output-reads";

/** STACK_OUTPUT_READS_TAG's list; anything else is none. */
export function parseStackOutputReads(
  tag: unknown,
): Array<{ reference: string; output: string }> | undefined {
  if (typeof tag !== "string") return undefined;
  try {
    const v: unknown = JSON.parse(tag);
    if (!Array.isArray(v)) return undefined;
    return v.filter(
      (x): x is { reference: string; output: string } =>
        !!x && typeof x === "object" && typeof x.reference === "string" && typeof x.output === "string",
    );
  } catch {
    return undefined;
  }
}

/** Stack tag the offline engine sets to the shapes of structured secret config (StackConfigValues). */
export const CONFIG_PLAINTEXT_TAG = "e2b-guardrails:config-plaintext";

/** The pseudo-type stack configuration is scanned as: not a resource, not a key store. */
const STACK_CONFIG_TYPE = "pulumi:config";

/**
 * Resources that belong to an environment of the platform they deploy to, by the property naming it:
 * a GitHub Actions environment's secrets and variables (`environment: "production"`).
 */
const PLATFORM_ENVIRONMENT: Readonly<Record<string, string>> = {
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": "environment",
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "environment",
};

export class StackIndex {
  readonly stack: string;
  readonly project: string;
  /** The stack's configuration when the preview sent it (not in a state export). */
  readonly config?: StackConfigValues;
  readonly resources: IndexedResource[];
  readonly byUrn = new Map<string, IndexedResource>();
  readonly environments: EnvironmentResource[] = [];
  readonly keyResources: IndexedResource[] = [];
  readonly keyResourceUrns = new Set<string>();
  /** Reads what assets and archives deploy (one per run, shared with the resource policies). */
  readonly artifacts?: ArtifactReader;
  /** The run's scans and parsed documents (shared with the resource policies when the run gives it). */
  private readonly scans: ScanCache;
  private envByUrn = new Map<string, EnvironmentResource>();
  /** Every derived value of this index, by a key naming what it is and for which inputs. */
  private memos = new Map<string, unknown>();
  /**
   * The per-resource memos, by URN (no key string built per lookup: stack policies ask for every
   * resource's record scan and environment, some several times).
   */
  private records = new Map<string, RecordHit[]>();
  private envComponents = new Map<string, EnvironmentResource | null>();
  private environmentsByTags = new Map<string, Map<string, EnvironmentInfo>>();

  constructor(
    resources: IndexedResource[],
    stack?: string,
    project?: string,
    opts: { artifacts?: ArtifactReader; scans?: ScanCache; config?: StackConfigValues } = {},
  ) {
    this.resources = resources;
    this.artifacts = opts.artifacts;
    this.config = opts.config;
    this.scans = opts.scans ?? new ScanCache();
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
    for (const r of resources) this.setAsideDanglingReferences(r);
  }

  /**
   * References to URNs the stack does not hold (a state export's leftovers; the SDK drops them from a
   * stack policy's resources) leave `dependencies` and `propertyDependencies`, so no rule follows them
   * and a property whose only dependency dangles still counts as from no resource; the record scan
   * still reads them (`danglingReferences`). Undecrypted-config markers stay: they are provenance.
   */
  private setAsideDanglingReferences(r: IndexedResource): void {
    const set: NonNullable<IndexedResource["danglingReferences"]>[number][] = [];
    const held = (field: "dependencies" | "propertyDependencies", urns: string[]) => {
      const kept = urns.filter((u, i) => {
        if (this.byUrn.has(u) || undecryptedConfigKey(u) !== undefined) return true;
        set.push({ field, urn: u, at: `${field}[${i}]` });
        return false;
      });
      return kept.length === urns.length ? urns : kept;
    };
    r.dependencies = held("dependencies", r.dependencies);
    for (const [k, urns] of Object.entries(r.propertyDependencies)) {
      const kept = held("propertyDependencies", urns);
      if (kept !== urns) r.propertyDependencies = { ...r.propertyDependencies, [k]: kept };
    }
    if (set.length) r.danglingReferences = set;
  }

  /** The one memoisation scheme: compute once per key for the life of this index. */
  private memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = compute();
    this.memos.set(key, v);
    return v;
  }

  /**
   * Build from the resources a stack policy receives (props read without the unknown-checking proxy).
   * `inputsOf` gives the inputs recorded at Analyze (run-state.ts).
   */
  static async fromPolicyResources(
    resources: readonly ResourceLike[],
    opts: {
      inputsOf?: (urn: string) => Tree | undefined;
      artifacts?: ArtifactReader;
      scans?: ScanCache;
      stack?: string;
      project?: string;
      config?: StackConfigValues;
    } = {},
  ): Promise<StackIndex> {
    const out: IndexedResource[] = [];
    // Outputs are used as the SDK deserialized them (copied only when they hold assets, plain-tree.ts);
    // only assets' contents are awaited, all at once.
    const allOutputs = resources.map((r) => plainTreeNow(rawProps(r.props)));
    if (allOutputs.some((o) => o instanceof Promise)) {
      const settled = await Promise.all(allOutputs);
      for (let i = 0; i < settled.length; i++) allOutputs[i] = settled[i];
    }
    for (let i = 0; i < resources.length; i++) {
      const r = resources[i];
      const outputs = allOutputs[i] as Tree;
      const recorded = opts.inputsOf?.(r.urn);
      out.push({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent ? urnOf(r.parent) : r.opts?.parent || undefined,
        provider: r.provider ? urnOf(r.provider) : undefined,
        dependencies: urnsOf(r.dependencies),
        propertyDependencies: propertyUrnsOf(r.propertyDependencies),
        deleteBeforeReplace: r.opts?.deleteBeforeReplace,
        optionStrings: r.opts && optionStringsOf(r.opts),
        // Inputs recorded by the resource policy; failing that, E2BEnvironment also outputs its model.
        props: recorded ?? environmentModelOutput(r.type, outputs) ?? outputs,
        outputs,
        inputsRecorded: recorded !== undefined,
      });
    }
    return new StackIndex(
      out,
      opts.stack ?? process.env.PULUMI_NODEJS_STACK,
      opts.project ?? process.env.PULUMI_NODEJS_PROJECT,
      { artifacts: opts.artifacts, scans: opts.scans, config: opts.config },
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
    opts: { artifacts?: ArtifactReader; config?: StackConfigValues } = {},
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
          provider: r.provider,
          dependencies: r.dependencies ?? [],
          propertyDependencies: r.propertyDependencies ?? {},
          deleteBeforeReplace: r.options?.deleteBeforeReplace,
          optionStrings: r.options && optionStringsOf(r.options),
          props: inputs,
          outputs,
          inputsRecorded: false,
        };
      }),
      stack,
      project,
      { artifacts: opts.artifacts, config: opts.config },
    );
  }

  /**
   * Key material in the stack's plaintext configuration: values the stack file holds as they are
   * (`Pulumi.<stack>.yaml` is committed with the program), structured values parsed. Secure values
   * are encrypted at rest and not judged here.
   */
  configKeyHits(): KeyHit[] {
    return this.memo("config-keys", () => {
      const config = this.config;
      if (!config) return [];
      const plain: Record<string, Tree> = {};
      for (const [k, v] of Object.entries(config.values)) if (!config.secretKeys.has(k)) plain[k] = v;
      // A secret key's plaintext leaves are committed as written (its secure leaves read `[secret]`),
      // and so is its name: a key used as a config key's name is in the file whatever its value.
      for (const k of config.secretKeys)
        if (k in config.values) plain[k] = config.plaintextOfSecret?.[k] ?? SECURE_LEAF;
      return this.scans.scan(STACK_CONFIG_TYPE, plain).keys;
    });
  }

  /** The keys a resource shows: in its properties and in its record (URN, references, outputs). */
  private *keyHitsOf(r: IndexedResource): Iterable<KeyHit | RecordHit> {
    yield* this.scan(r).keys;
    yield* this.scanRecord(r);
  }

  /**
   * Keys the stack shows only where an approved store holds them (every hit has a `store`): by
   * fingerprint, the first resource that holds it.
   */
  storedOnlyKeys(): ReadonlyMap<string, IndexedResource> {
    return this.memo("stored-only-keys", () => {
      const stored = new Map<string, IndexedResource>();
      const elsewhere = new Set<string>();
      for (const r of this.resources)
        for (const k of this.keyHitsOf(r)) {
          if ("store" in k && k.store) {
            if (!stored.has(k.fingerprint)) stored.set(k.fingerprint, r);
          } else elsewhere.add(k.fingerprint);
        }
      for (const f of elsewhere) stored.delete(f);
      return stored;
    });
  }

  /** Fingerprints of every key found in the stack's resources: properties and records. */
  keyFingerprints(): ReadonlySet<string> {
    return this.memo("key-fingerprints", () => {
      const out = new Set<string>();
      for (const r of this.resources) for (const k of this.keyHitsOf(r)) out.add(k.fingerprint);
      return out;
    });
  }

  /**
   * Secret config values that hold the E2B key while nothing preview could see holds that key or
   * takes the value: decrypted, key material no resource shows; not decrypted, a config key named to
   * carry the key (CONFIG_KEY_NAME) no property depends on. Where the key goes is then not known at
   * preview: a plain getter's value used inside an `apply` over an output not known yet (container
   * definitions built from a load balancer's DNS name) never reaches a value preview shows.
   */
  unseenSecretConfig(): Array<{ key: string; mask?: string }> {
    return this.memo("unseen-secret-config", () => {
      const config = this.config;
      if (!config) return [];
      const seen = this.keyFingerprints();
      const fed = new Set(
        [...this.hiddenConfigs().values(), ...this.tracedConfigs().values()].map((c) => c.key),
      );
      const out: Array<{ key: string; mask?: string }> = [];
      for (const key of config.secretKeys) {
        const value = config.values[key];
        if (value === undefined || fed.has(key)) continue;
        if (placeholderKeys(value).length) {
          if (hiddenConfigOf(key).carriesKey) out.push({ key });
          continue;
        }
        const unseen = this.scans.material.find(value).matches.find((m) => !seen.has(m.fingerprint));
        if (unseen) out.push({ key, mask: unseen.mask });
      }
      return out;
    });
  }

  /** The scan of a resource's props (once per run: the run's scan of the same tree, see ScanCache). */
  scan(r: IndexedResource, publicPrefixes: readonly string[] = DEFAULT_PUBLIC_PREFIXES): ResourceScan {
    return this.scans.scan(r.type, r.props, publicPrefixes, this.artifacts);
  }

  /** walkLeaves over a tree of this stack, with the run's parsed documents (each text parsed once). */
  walkLeaves(root: Tree, visit: (leaf: Leaf) => void, opts: Omit<WalkOptions, "documents"> = {}): void {
    walkLeaves(root, visit, { ...opts, documents: this.scans.documents });
  }

  /** walkKnownStrings over a tree of this stack, with the run's parsed documents. */
  walkKnownStrings(root: Tree, visit: (text: string) => void): void {
    walkKnownStrings(root, visit, { documents: this.scans.documents });
  }

  /** The document in a string, parsed once per run (walk.ts parseEmbedded). */
  parsedDocument(text: string): Embedded {
    return this.scans.documents.parse(text);
  }

  /** The scan of a resource's outputs (once per run, as `scan`; outputs are scanned without artifacts). */
  scanOutputs(r: IndexedResource): ResourceScan {
    return this.scans.scan(r.type, r.outputs);
  }

  /** Key material in a resource's URN, name, references and outputs (not its input properties). */
  scanRecord(r: IndexedResource): RecordHit[] {
    let hits = this.records.get(r.urn);
    if (hits === undefined) {
      const rootJudgesStack =
        r.type !== STACK_TYPE &&
        this.memo("hasRoot", () => this.resources.some((x) => x.type === STACK_TYPE));
      hits = scanRecord(r, (u) => this.byUrn.has(u), rootJudgesStack, this.scans);
      this.records.set(r.urn, hits);
    }
    return hits;
  }

  /** The nearest E2BEnvironment ancestor (or the resource itself), memoised along the chain. */
  environmentComponentOf(r: IndexedResource): EnvironmentResource | undefined {
    const chain: string[] = [];
    let cur: IndexedResource | undefined = r;
    let found: EnvironmentResource | null = null;
    while (cur) {
      const known = this.envComponents.get(cur.urn);
      if (known !== undefined) {
        found = known;
        break;
      }
      chain.push(cur.urn);
      if (cur.type === E2B_ENVIRONMENT_TYPE) {
        // By URN, not a scan of the environments: a stack of many environments stays linear.
        found = this.envByUrn.get(cur.urn) ?? null;
        break;
      }
      cur = cur.parent ? this.byUrn.get(cur.parent) : undefined;
      // A parent cycle (a hostile state file) ends here rather than looping.
      if (chain.length > this.resources.length) break;
    }
    for (const u of chain) this.envComponents.set(u, found);
    return found ?? undefined;
  }

  /** The environment of a resource: component, key `environment` input, tag, or stack name. */
  environmentOf(r: IndexedResource, tagKeys: readonly string[]): EnvironmentInfo {
    const tagsKey = tagKeys.join(",");
    let byUrn = this.environmentsByTags.get(tagsKey);
    if (!byUrn) this.environmentsByTags.set(tagsKey, (byUrn = new Map()));
    let info = byUrn.get(r.urn);
    if (info === undefined) byUrn.set(r.urn, (info = this.environmentFor(r, tagKeys)));
    return info;
  }

  private environmentFor(r: IndexedResource, tagKeys: readonly string[]): EnvironmentInfo {
    const comp = this.environmentComponentOf(r);
    const keyEnv = isKeyResource(r.type, r.props) ? get(r.props, "environment") : undefined;
    const tagEnv = environmentFromTags(r.props, tagKeys);
    if (comp) {
      const tier = get(comp.model, "tier");
      return {
        name: comp.name,
        tier: typeof tier === "string" ? (inferTier(tier) ?? inferTier(comp.name)) : inferTier(comp.name),
        source: "component",
      };
    }
    if (typeof keyEnv === "string" && keyEnv && !isUnknown(keyEnv))
      return { name: normalizeEnvName(keyEnv), tier: inferTier(keyEnv), source: "key" };
    const platform = PLATFORM_ENVIRONMENT[r.type];
    const platformEnv = platform ? get(r.props, platform) : undefined;
    if (typeof platformEnv === "string" && platformEnv && !isUnknown(platformEnv))
      return { name: normalizeEnvName(platformEnv), tier: inferTier(platformEnv), source: "tag" };
    if (tagEnv) return { name: tagEnv, tier: inferTier(tagEnv), source: "tag" };
    const s = (this.stack || stackOfUrn(r.urn).stack).toLowerCase();
    return { name: s, tier: inferTier(s), source: "stack" };
  }

  /**
   * The undecrypted secret config values some property depends on, by marker URN (hidden-config.ts).
   * Empty under the Pulumi CLI, which decrypts every value before the program runs.
   */
  hiddenConfigs(): Map<string, HiddenConfig> {
    return this.memo("hiddenConfigs", () => {
      const out = new Map<string, HiddenConfig>();
      for (const [u, key] of this.configMarkers()) {
        if (this.decrypted(key)) continue;
        const shape = this.config?.plaintextOfSecret?.[key];
        const leaves = shape === undefined ? [] : e2bSecureLeaves(shape, key);
        // A leaf is only maybe what the property took: it makes E2B-01 inconclusive, and E2B-08
        // too when one names an access token.
        const token = leaves.find((l) => ACCESS_TOKEN_NAME.test(l.variable));
        out.set(
          u,
          leaves.length
            ? { ...hiddenConfigOf(key), e2bLeaf: leaves[0].path, e2bTokenLeaf: token?.path }
            : hiddenConfigOf(key),
        );
      }
      return out;
    });
  }

  /**
   * Decrypted secret config values named about E2B that some property depends on, by marker URN: the
   * offline engine marks their provenance too (engine/project.ts tracedSecretKeys), so a property
   * they feed that preview cannot see is judged as the value would be. Empty under the Pulumi CLI.
   */
  tracedConfigs(): Map<string, HiddenConfig> {
    return this.memo("tracedConfigs", () => {
      const out = new Map<string, HiddenConfig>();
      for (const [u, key] of this.configMarkers()) if (this.decrypted(key)) out.set(u, hiddenConfigOf(key));
      return out;
    });
  }

  /** Every config-provenance marker some property depends on (hidden-config.ts), with its config key. */
  private configMarkers(): Map<string, string> {
    return this.memo("configMarkers", () => {
      const out = new Map<string, string>();
      for (const r of this.resources)
        for (const urns of Object.values(r.propertyDependencies))
          for (const u of urns) {
            const key = out.has(u) ? undefined : undecryptedConfigKey(u);
            if (key !== undefined) out.set(u, key);
          }
      return out;
    });
  }

  /** The pieces of the E2B key a decrypted config value holds (keys.ts keyDigitPieces), once per key. */
  private decryptedKeyPieces(key: string): ReadonlySet<string> {
    return this.memo(`key-pieces\u0000${key}`, () => keyDigitPieces(this.config?.values[key] ?? ""));
  }

  /** The stack's configuration holds the decrypted value of this secret key (the offline engine traced it). */
  private decrypted(key: string): boolean {
    const v = this.config?.values[key];
    return v !== undefined && placeholderKeys(v).length === 0;
  }

  /**
   * Where resource inputs that hold variables or settings (an env map, a container definition, a Function
   * App's `siteConfig`) are not known at preview, for a message (`siteConfig of azure-native:web:WebApp
   * 'fn'`); the first such place, or undefined when there is none. A value the program holds (a key it
   * read from its environment) may be in one unseen (real44 #1).
   */
  hiddenVariables(): string | undefined {
    return this.memo("hiddenVariables", () => {
      for (const r of this.resources) {
        if (r.type.startsWith("pulumi:")) continue;
        const hidden = this.scan(r).unknowns.find((l) => !l.envName && holdsVariables(l.path));
        if (hidden) return `${printable(hidden.path)} of ${r.type} '${printable(r.name)}'`;
      }
      return undefined;
    });
  }

  /**
   * The traced (decrypted) config values that feed `top` of `r` where preview cannot see what they
   * fed: the property holds an unknown, or code a closure serialized around a value preview could
   * not see (the engine writes that capture `[secret <key>]`), and no key was read there.
   */
  unseenTracedFeeds(r: IndexedResource, top: string): readonly HiddenConfig[] {
    const traced = this.tracedConfigs();
    // Most stacks trace nothing: no list per property of every resource (e2bEvidence asks for each).
    if (traced.size === 0) return NO_CONFIGS;
    return this.memo(`unseen-traced\u0000${r.urn}\u0000${top}`, () => {
      const feeds = (r.propertyDependencies[top] ?? []).flatMap((u) => traced.get(u) ?? []);
      if (feeds.length === 0) return NO_CONFIGS;
      // The root stack's property dependencies are its outputs' (engine/recorder.ts).
      const root = r.type === STACK_TYPE;
      const scan = root ? this.scanOutputs(r) : this.scan(r);
      if (scan.keyTops.has(top)) return NO_CONFIGS;
      if (scan.unknownTops.has(top)) return feeds;
      const tree = root ? r.outputs : r.props;
      const text = JSON.stringify((isObjectTree(tree) ? tree[top] : undefined) ?? null);
      // Or the value shows a piece of the decrypted key (`k.slice(4)`, upper-cased, reversed: rt50 #6),
      // which without the passphrase is the hidden value itself, judged as the key.
      return feeds.filter(
        (c) =>
          text.includes(JSON.stringify(describedPlaceholder(c.key)).slice(1, -1)) ||
          holdsKeyPiece(text, this.decryptedKeyPieces(c.key)),
      );
    });
  }

  /**
   * Config values, decrypted or not, named to carry the key or about E2B (`e2bApiKey`, `e2bKey`), by
   * marker URN: what E2B-02 reads as the key and what makes a property a key consumer in both modes.
   */
  e2bKeyConfigs(): Map<string, HiddenConfig> {
    return this.memo("e2bKeyConfigs", () => {
      const out = new Map<string, HiddenConfig>();
      for (const configs of [this.hiddenConfigs(), this.tracedConfigs()])
        for (const [u, c] of configs) if (c.carriesKey || c.e2bNamed) out.set(u, c);
      return out;
    });
  }

  /** Marker URNs of traced (decrypted) config values named to carry the key. */
  tracedKeyConfigUrns(): Set<string> {
    return this.memo("tracedKeyConfigUrns", () => carriersOfKey(this.tracedConfigs()));
  }

  /** Marker URNs of undecrypted config values named to carry the key: judged as the key itself. */
  hiddenKeyConfigUrns(): Set<string> {
    return this.memo("hiddenKeyConfigUrns", () => carriersOfKey(this.hiddenConfigs()));
  }

  /** What holds the key, for "depends on …, which holds the E2B key": holders and key-named hidden config. */
  keySources(): Set<string> {
    return this.memo("keySources", () => new Set([...this.keyHolders(), ...this.hiddenKeyConfigUrns()]));
  }

  /** How messages name what a property depends on: `'prod-key'`, or a hidden config value by its key. */
  sourceName(urn: string): string {
    const hidden = this.hiddenConfigs().get(urn);
    const readAtDeploy = hidden && invokeSecretName(hidden.key);
    if (readAtDeploy !== undefined)
      return `the secret ${printable(readAtDeploy)} (read by a provider function at deploy time, not known offline)`;
    if (hidden) return `secret config ${printable(hidden.key)} (not decrypted here)`;
    const traced = this.tracedConfigs().get(urn);
    if (traced) return `secret config ${printable(traced.key)}`;
    return `'${this.byUrn.get(urn)?.name ?? urn}'`;
  }

  /** sourceName of each, as a list in a message. */
  sourceNames(urns: readonly string[]): string {
    return urns.map((u) => this.sourceName(u)).join(", ");
  }

  /** URNs of resources that hold the key: key resources and stores whose secret value holds or depends on it. */
  keyHolders(): Set<string> {
    return this.memo("keyHolders", () => {
      const holders = new Set(this.keyResourceUrns);
      const hiddenKeys = this.hiddenKeyConfigUrns();
      for (const r of this.resources) {
        // A store that is a runtime too gives nothing stored back: what depends on it is not fed by it.
        if (!isStoreOnlyType(r.type) || holders.has(r.urn)) continue;
        if (this.scan(r).keys.some((k) => k.store)) {
          holders.add(r.urn);
          continue;
        }
        // A hidden key counts only where the store would hold the decrypted key (`SecureString`, not
        // `String`), as the value itself would be judged.
        const isKey = (p: string) => (u: string) =>
          this.keyResourceUrns.has(u) ||
          (hiddenKeys.has(u) && approvedStoreOfHidden(r.type, p, r.props, r.props) !== undefined);
        for (const p of storeValueProperties(r.type)) {
          if ((r.propertyDependencies[p] ?? []).some(isKey(p))) {
            holders.add(r.urn);
            break;
          }
        }
      }
      // The secret a holding version belongs to holds the key too (its ARN is how runtimes read it).
      for (const r of this.resources) {
        if (!holders.has(r.urn) || this.keyResourceUrns.has(r.urn)) continue;
        const cp = storeContainerProperty(r.type);
        // Only resources: a container fed by an undecrypted config value (its ARN) is no resource.
        if (cp) for (const u of r.propertyDependencies[cp] ?? []) if (this.byUrn.has(u)) holders.add(u);
      }
      return holders;
    });
  }

  /**
   * Which of `targets` a property of `r` depends on. Uses `propertyDependencies`; when a resource
   * carries none at all (older state files), its `dependencies` stand in for every property.
   */
  dependsOn(r: IndexedResource, top: string, targets: ReadonlySet<string>): string[] {
    const pd = r.propertyDependencies;
    const list = Object.keys(pd).length > 0 ? (pd[top] ?? []) : r.dependencies;
    return list.filter((u) => targets.has(u));
  }

  /** What shows this stack uses E2B, counted once (cases' applicability, see common.ts). */
  e2bEvidence(): E2BEvidence {
    return this.memo("evidence", () => {
      let material = 0;
      let accessTokens = 0;
      let names = 0;
      const count = (k: KeyHit | RecordHit) => {
        material++;
        if (k.kind === "access-token") accessTokens++;
      };
      for (const r of this.resources) {
        for (const k of this.keyHitsOf(r)) count(k);
        for (const l of this.scan(r).named) if (E2B_NAME.test(l.envName ?? "")) names++;
      }
      for (const k of this.configKeyHits()) count(k);
      // The key in secret config, gone where preview cannot see: maybe leaked (E2B-01 inconclusive).
      material += this.unseenSecretConfig().length;
      // A property fed by an undecrypted value named to carry the key: the key, had it been decrypted;
      // by a structured one with a secure leaf about E2B: maybe the key (E2B-01 judges it inconclusive).
      const hidden = this.hiddenConfigs();
      const keyConfigs = this.e2bKeyConfigs();
      let keyConfigFeeds = 0;
      for (const r of this.resources)
        for (const [top, urns] of Object.entries(r.propertyDependencies)) {
          if (keyConfigs.size && urns.some((u) => keyConfigs.has(u))) keyConfigFeeds++;
          // A decrypted value about E2B feeding a value preview cannot see: maybe the key, as below.
          for (const c of this.unseenTracedFeeds(r, top)) if (c.carriesKey || c.e2bNamed) material++;
          for (const u of urns) {
            const c = hidden.get(u);
            // Only named about E2B (`e2bKey`): maybe the key, as a secure e2b leaf.
            if (!c?.carriesKey && !c?.e2bLeaf && !c?.e2bNamed) continue;
            material++;
            if ((c.carriesKey && c.accessToken) || c.e2bTokenLeaf !== undefined) accessTokens++;
          }
        }
      return {
        environments: this.environments.length,
        keys: this.keyResources.length,
        material,
        accessTokens,
        names,
        keyConfigFeeds,
      };
    });
  }
}
