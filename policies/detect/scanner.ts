/**
 * The scanner: one linear pass over a resource's property tree that finds key material (in values,
 * property names, parsed documents and deployed artifacts), unknown leaves and env-var-like names;
 * and a scan of everything else a resource record carries (URN, name, references, outputs).
 */
import { E2B_API_KEY_KIND } from "../model";
import {
  deployedPathsOf,
  lineAt,
  type ArtifactFile,
  type ArtifactReader,
  type FolderIgnore,
} from "./artifacts";
import { DEFAULT_PUBLIC_PREFIXES } from "./client-surfaces";
import { approvedStoreAt, type KeyStore } from "./key-stores";
import { mayNameOrHideLeaves } from "./embedded-names";
import { MaterialFinder, findMaterial, mayHoldEmbeddedMaterial, type Encoding } from "./material";
import { get, isObjectTree } from "./tree";
import {
  displayPath,
  markMaterial,
  mayHoldMaterialTree,
  pathOf,
  walkLeaves,
  DocumentCache,
  type Leaf,
  type PathNode,
  type Tree,
  type WalkContext,
} from "./walk";
import { mayHoldLeafFacts } from "./leaf-prefilter";

export const DYNAMIC_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
export const STACK_TYPE = "pulumi:pulumi:Stack";

/** The root stack resource's URN ("" without one): where findings about the stack as a whole sit. */
export function stackUrnOf(resources: readonly { type: string; urn: string }[]): string {
  return resources.find((r) => r.type === STACK_TYPE)?.urn ?? "";
}
export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

export interface KeyHit {
  kind: "api-key" | "access-token";
  mask: string;
  fingerprint: string;
  encoding: Encoding;
  path: string;
  top: string;
  envName: string | null;
  publicName: string | null;
  embedded: boolean;
  /** The approved store that legitimately holds this value, if any. */
  store?: KeyStore;
  /**
   * Set when the key is in a file the resource deploys (the property at `path` names the artifact),
   * or, with `document`, in a file the provider reads as a document of its own (DOCUMENT_FILE_INPUTS:
   * `path` is then the key's place in that document).
   */
  artifact?: { source: string; file: string; line: number; document?: true };
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

/** An artifact the resource deploys that was (partly) not read: reported as an advisory. */
export interface ArtifactNote {
  path: string;
  note: string;
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
  artifactNotes: ArtifactNote[];
  /** Paths of values holding compressed data that was not read to its end (MaterialFinder). */
  partlyRead: string[];
}

export interface ScanOptions {
  publicPrefixes?: readonly string[];
  /** Reads the files assets and archives deploy; without it, only their paths are scanned. */
  artifacts?: ArtifactReader;
  /** The run's parsed documents (each text parsed once per run). */
  documents?: DocumentCache;
  /** The run's key search (each text searched once, streams inflated within the run's limit). */
  material?: MaterialFinder;
}

export function isKeyResource(type: string, props: Tree): boolean {
  if (type === "e2b-guardrails:index:ApiKey") return true;
  return type === DYNAMIC_RESOURCE_TYPE && get(props, "kind") === E2B_API_KEY_KIND;
}

/** `$asset: "file"` / `$archive: "file"` at `path`, or a remote one at `uri` (see walk.ts). */
function artifactAt(container: Tree, seg: string | undefined): "file" | "archive" | null {
  if (!isObjectTree(container) || (seg !== "path" && seg !== "uri")) return null;
  const a = container.$asset;
  const ar = container.$archive;
  const expect = seg === "path" ? "file" : "remote";
  if (a === expect) return "file";
  if (ar === expect) return "archive";
  return null;
}

/**
 * The scan of one resource's properties, in two independent walks, each run only when asked for:
 *
 * - keys (and the artifacts the resource deploys): the tree-level prefilter first — when it proves
 *   the tree holds no key material (most resources) there are no keys and nothing is parsed or
 *   decoded; otherwise a walk with context that parses only the embedded documents that may hold
 *   material (`mayHoldEmbeddedMaterial`, exact for keys);
 * - unknown and env-var-named leaves: the walk with context that parses embedded documents
 *   mentioning E2B (their names matter to the rules even where no key is).
 */
export function scanProps(
  type: string,
  props: Tree,
  publicPrefixes: readonly string[] = DEFAULT_PUBLIC_PREFIXES,
  opts: Omit<ScanOptions, "publicPrefixes"> = {},
): ResourceScan {
  return new LazyScan(type, props, publicPrefixes, opts.artifacts, opts.documents, opts.material);
}

/**
 * The scans of one run, by the property tree they read (identity) and the options: the resource
 * policy's scan of a resource's inputs at Analyze is the stack policies' scan of the same recorded
 * tree at AnalyzeStack. Holds the run's parsed documents too. Owned by a DetectRun or a StackIndex.
 */
export class ScanCache {
  readonly documents = new DocumentCache();
  readonly material = new MaterialFinder();
  /** Per tree, its scans (one per type, prefix list and reader; almost always exactly one). */
  private scans = new WeakMap<object, ScanEntry[]>();
  /** A prefix list's key, by list (a policy's configured list is one array for all its resources). */
  private prefixKeys = new WeakMap<readonly string[], string>();

  private prefixKey(prefixes: readonly string[]): string {
    let k = this.prefixKeys.get(prefixes);
    if (k === undefined) this.prefixKeys.set(prefixes, (k = prefixes.join("\u0000")));
    return k;
  }

  scan(
    type: string,
    props: Tree,
    publicPrefixes: readonly string[] = DEFAULT_PUBLIC_PREFIXES,
    artifacts?: ArtifactReader,
  ): ResourceScan {
    if (props === null || typeof props !== "object")
      return scanProps(type, props, publicPrefixes, this.optionsWith(artifacts));
    // Looked up without building a key: stack policies ask for every resource's scan many times.
    let entries = this.scans.get(props);
    if (!entries) this.scans.set(props, (entries = []));
    let prefixKey: string | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.type !== type) continue;
      if (e.prefixes !== publicPrefixes && e.prefixKey !== (prefixKey ??= this.prefixKey(publicPrefixes)))
        continue;
      if (e.reader === artifacts) return e.scan;
      // The same scan with another artifact reader: replaced, as the reader decides what is read.
      entries.splice(i, 1);
      break;
    }
    const scan = scanProps(type, props, publicPrefixes, this.optionsWith(artifacts));
    entries.push({
      type,
      prefixes: publicPrefixes,
      prefixKey: prefixKey ?? this.prefixKey(publicPrefixes),
      reader: artifacts,
      scan,
    });
    return scan;
  }

  private optionsWith(artifacts: ArtifactReader | undefined): Omit<ScanOptions, "publicPrefixes"> {
    return { artifacts, documents: this.documents, material: this.material };
  }
}

interface ScanEntry {
  type: string;
  prefixes: readonly string[];
  prefixKey: string;
  reader: ArtifactReader | undefined;
  scan: ResourceScan;
}

/** A ResourceScan whose two parts are computed on first use, once. */
class LazyScan implements ResourceScan {
  private keyPart: KeyPart | undefined;
  private leafPart: LeafPart | undefined;

  constructor(
    private readonly type: string,
    private readonly props: Tree,
    private readonly publicPrefixes: readonly string[],
    private readonly reader: ArtifactReader | undefined,
    private readonly documents: DocumentCache | undefined,
    private readonly material: MaterialFinder | undefined,
  ) {}

  private keyScan(): KeyPart {
    return (this.keyPart ??= scanKeys(
      this.type,
      this.props,
      this.publicPrefixes,
      this.reader,
      this.documents,
      this.material,
    ));
  }

  private leafScan(): LeafPart {
    return (this.leafPart ??= scanLeaves(this.props, this.publicPrefixes, this.documents));
  }

  get keys(): KeyHit[] {
    return this.keyScan().keys;
  }
  get keyTops(): Set<string> {
    return this.keyScan().keyTops;
  }
  get artifactNotes(): ArtifactNote[] {
    return this.keyScan().artifactNotes;
  }
  get partlyRead(): string[] {
    return this.keyScan().partlyRead;
  }
  get unknowns(): LeafInfo[] {
    return this.leafScan().unknowns;
  }
  get named(): LeafInfo[] {
    return this.leafScan().named;
  }
  get unknownTops(): Set<string> {
    return this.leafScan().unknownTops;
  }
}

type KeyPart = Pick<ResourceScan, "keys" | "keyTops" | "artifactNotes" | "partlyRead">;

/** A set that stays empty: shared by every scan that found nothing, so it must refuse writes. */
class EmptySet<T> extends Set<T> {
  override add(): this {
    throw new TypeError("a shared empty scan result is read-only");
  }
}

/**
 * The key part of every tree the prefilter clears (most of a stack): one shared, read-only value
 * rather than two arrays and a Set per resource for the garbage collector.
 */
const NO_KEYS: KeyPart = Object.freeze({
  keys: Object.freeze([]) as unknown as KeyHit[],
  keyTops: new EmptySet<string>(),
  artifactNotes: Object.freeze([]) as unknown as ArtifactNote[],
  partlyRead: Object.freeze([]) as unknown as string[],
});
type LeafPart = Pick<ResourceScan, "unknowns" | "named" | "unknownTops">;

/**
 * The leaf part of every tree with neither unknown nor env-var-named leaves: shared and read-only, as
 * NO_KEYS. Scans live until AnalyzeStack, so per-resource empty arrays and Sets were retained state.
 */
const NO_LEAVES: LeafPart = Object.freeze({
  unknowns: Object.freeze([]) as unknown as LeafInfo[],
  named: Object.freeze([]) as unknown as LeafInfo[],
  unknownTops: new EmptySet<string>(),
});

function leafInfo(leaf: Leaf): LeafInfo {
  return {
    path: pathOf(leaf.node),
    top: leaf.top,
    envName: leaf.envName,
    publicName: leaf.publicName,
    nameChain: leaf.nameChain,
    value: leaf.value,
    unknown: leaf.unknown,
    embedded: leaf.embedded,
    container: leaf.container,
  };
}

/** The documents a walk parses by default (walk.ts): strings mentioning E2B. */
const MENTIONS_E2B = /e2b/i;

function scanLeaves(
  props: Tree,
  publicPrefixes: readonly string[],
  documents: DocumentCache | undefined,
): LeafPart {
  // Documents mentioning E2B, as by default, but only those that can name or hide a leaf.
  const parseEmbedded = (text: string, ctx: WalkContext) =>
    MENTIONS_E2B.test(text) && mayNameOrHideLeaves(text, ctx);
  if (!mayHoldLeafFacts(props, parseEmbedded)) return NO_LEAVES;
  const unknowns: LeafInfo[] = [];
  const named: LeafInfo[] = [];
  walkLeaves(
    props,
    (leaf) => {
      if (!leaf.unknown && !leaf.envName) return;
      const li = leafInfo(leaf);
      if (leaf.unknown) unknowns.push(li);
      if (leaf.envName) named.push(li);
    },
    {
      publicPrefixes,
      documents,
      parseEmbedded,
    },
  );
  if (unknowns.length === 0 && named.length === 0) return NO_LEAVES;
  return { unknowns, named, unknownTops: new Set(unknowns.map((l) => l.top)) };
}

function scanKeys(
  type: string,
  props: Tree,
  publicPrefixes: readonly string[],
  reader: ArtifactReader | undefined,
  documents: DocumentCache | undefined,
  material: MaterialFinder | undefined,
): KeyPart {
  const deployed = reader ? deployedPathsOf(type, props) : NO_DEPLOYED;
  const opts = reader ? WITH_ARTIFACTS : NO_ARTIFACTS;
  if (deployed.length === 0 && !mayHoldMaterialTree(props, opts)) return NO_KEYS;
  const scan = new KeyScan(type, props, reader, material);
  walkLeaves(scan.props, scan.visitLeaf, {
    publicPrefixes,
    // Only documents that may hold material are parsed: exact for keys (see material.ts).
    parseEmbedded: mayHoldEmbeddedMaterial,
    documents,
    visitKey: scan.visitKey,
    prune: new MaterialPaths(scan.props, opts),
  });
  return scan.finish(deployed);
}

/**
 * Inputs a provider reads as a document of its own, not a file it deploys: given as a FileAsset,
 * the file is judged as the same document given as a StringAsset would be (its paths, and its store:
 * an ESC environment's `fn::secret`). Data, easy to extend.
 */
const DOCUMENT_FILE_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "pulumiservice:index:Environment": ["yaml"],
};

/**
 * `props` with each document FileAsset that could be read replaced by its text (the rest as it was),
 * and those files by the top-level property that names them.
 */
function withDocumentFiles(
  type: string,
  props: Tree,
  reader: ArtifactReader | undefined,
): { props: Tree; files: Map<string, ArtifactFile & { source: string }> } {
  const files = new Map<string, ArtifactFile & { source: string }>();
  const tops = DOCUMENT_FILE_INPUTS[type];
  if (!reader || !tops || !isObjectTree(props)) return { props, files };
  let out = props;
  for (const top of tops) {
    const asset = props[top];
    if (!isObjectTree(asset) || asset.$asset !== "file" || typeof asset.path !== "string") continue;
    // Not read (missing, too large, binary): left a file asset, so the artifact walk says why.
    const read = reader.read("file", asset.path).files;
    if (read.length !== 1) continue;
    files.set(top, { ...read[0], source: asset.path });
    out = { ...out, [top]: { $asset: "string", text: read[0].text } };
  }
  return { props: out, files };
}

/**
 * The key walk's pruning: only objects and arrays the prefilter cannot clear (markMaterial), and
 * strings long enough to hold material (or, when artifacts are read, whatever an asset or archive
 * object holds: its `path` names a file). Documents parsed on the way are marked as they open; a
 * tree deeper than the prefilter's proof is walked whole.
 */
class MaterialPaths {
  private readonly marks = new Set<Tree>();
  private all = false;
  readonly keep: (child: Tree, container: Tree[] | { [key: string]: Tree }) => boolean;
  readonly onDocument: (doc: Tree) => void;

  constructor(
    root: Tree,
    private readonly opts: { artifacts: boolean },
  ) {
    this.keep = this.keeps.bind(this);
    this.onDocument = this.mark.bind(this);
    this.mark(root);
  }

  private mark(root: Tree): void {
    if (!this.all && markMaterial(root, this.marks, this.opts) === null) this.all = true;
  }

  private keeps(child: Tree, container: Tree[] | { [key: string]: Tree }): boolean {
    if (this.all) return true;
    if (typeof child === "string")
      return (
        child.length >= KEY_LENGTH ||
        (this.opts.artifacts &&
          !Array.isArray(container) &&
          (container.$asset !== undefined || container.$archive !== undefined))
      );
    return child !== null && typeof child === "object" && this.marks.has(child);
  }
}

/** The shortest text that can hold a key (material.ts answers "no" below it). */
const KEY_LENGTH = 44;

const NO_DEPLOYED: ReturnType<typeof deployedPathsOf> = [];
const WITH_ARTIFACTS = Object.freeze({ artifacts: true });
const NO_ARTIFACTS = Object.freeze({ artifacts: false });

type Found = ReturnType<typeof findMaterial>[number];
type HitContext = { top: string; envName: string | null; publicName: string | null; embedded: boolean };

/**
 * The key walk's state for one tree that may hold material; its two visitors are bound to it. A key found in the raw text of a parsed document is kept aside and
 * reported only when the document's own leaves did not report it (a key in a YAML comment, say),
 * so its path and store are worked out only then.
 */
class KeyScan {
  readonly keys: KeyHit[] = [];
  readonly artifactNotes: ArtifactNote[] = [];
  readonly partlyRead: string[] = [];
  private readonly origin: boolean;
  private readonly embeddedFingerprints = new Set<string>();
  private readonly rawCandidates: Array<{ m: Found; leaf: Leaf }> = [];
  /** The tree walked: the resource's props with its document files' text in place (withDocumentFiles). */
  readonly props: Tree;
  private readonly documentFiles: Map<string, ArtifactFile & { source: string }>;

  constructor(
    private readonly type: string,
    props: Tree,
    private readonly reader: ArtifactReader | undefined,
    private readonly material: MaterialFinder | undefined,
  ) {
    ({ props: this.props, files: this.documentFiles } = withDocumentFiles(type, props, reader));
    this.origin = isKeyResource(type, props);
    this.visitLeaf = this.onLeaf.bind(this);
    this.visitKey = this.onKey.bind(this);
  }

  /** The walk's visitors, bound to this scan. */
  readonly visitLeaf: (leaf: Leaf) => void;
  readonly visitKey: (key: string, node: PathNode, ctx: HitContext) => void;

  private onLeaf(leaf: Leaf): void {
    if (typeof leaf.value !== "string" || leaf.unknown) return;
    const art = this.reader ? artifactAt(leaf.container, leaf.node?.seg) : null;
    if (art) {
      // The artifact is named by its asset object's path (`source`, `code`), not by `.path`.
      const at = pathOf(leaf.node?.parent ?? null) || leaf.top;
      this.readArtifact(art, leaf.value, displayPath(at), leaf);
    }
    // The dynamic provider's serialized source is code, not configuration; key material there is
    // still material, so it is scanned like everything else.
    const found = this.search(leaf.value, leaf.node);
    if (found.length === 0) return;
    if (leaf.parsed) {
      for (const m of found) this.rawCandidates.push({ m, leaf });
      return;
    }
    const fullPath = pathOf(leaf.node);
    for (const m of found) {
      if (leaf.embedded) this.embeddedFingerprints.add(m.fingerprint);
      this.keys.push(this.hit(m, fullPath, leaf, leaf.container));
    }
  }

  /** The key material in a text, through the run's finder when there is one. */
  private search(text: string, node: PathNode | null): Found[] {
    if (!this.material) return findMaterial(text);
    const { matches, cut } = this.material.find(text);
    if (cut) this.partlyRead.push(displayPath(pathOf(node)));
    return matches;
  }

  private onKey(key: string, node: PathNode, ctx: HitContext): void {
    const found = this.search(key, node);
    if (found.length === 0) return;
    const at = `${pathOf(node)} (property name)`;
    for (const m of found) {
      // A name inside a parsed document is also in the document's raw text: reported once, as a name.
      if (ctx.embedded) this.embeddedFingerprints.add(m.fingerprint);
      this.keys.push(this.hit(m, at, ctx, null));
    }
  }

  finish(deployed: ReturnType<typeof deployedPathsOf>): KeyPart {
    for (const { m, leaf } of this.rawCandidates)
      if (!this.embeddedFingerprints.has(m.fingerprint))
        this.keys.push(this.hit(m, pathOf(leaf.node), leaf, leaf.container));
    // Files and folders named by plain strings (artifacts.ts FOLDER_INPUTS).
    for (const d of deployed)
      if (d.unread) this.artifactNotes.push({ path: d.at, note: d.unread });
      else if (!d.localOnly || this.reader?.isLocalPath(d.source))
        this.readArtifact(d.kind, d.source, d.at, { top: d.top, envName: null, publicName: null }, d.ignore);
    const keys = this.keys;
    return {
      keys,
      artifactNotes: this.artifactNotes,
      partlyRead: this.partlyRead,
      keyTops: new Set(keys.map((k) => k.top)),
    };
  }

  private hit(m: Found, fullPath: string, ctx: HitContext, container: Tree): KeyHit {
    const doc = this.documentFiles.get(ctx.top);
    const at = doc && this.reader?.materialIn(doc).find((d) => d.fingerprint === m.fingerprint);
    return {
      ...(doc && {
        artifact: {
          source: doc.source,
          file: doc.name,
          line: at ? lineAt(doc.text, at.index) : 1,
          document: true,
        },
      }),
      kind: m.kind,
      mask: m.mask,
      fingerprint: m.fingerprint,
      encoding: m.encoding,
      path: displayPath(fullPath),
      top: ctx.top,
      envName: ctx.envName,
      publicName: ctx.publicName,
      embedded: ctx.embedded,
      store: this.origin
        ? { type: this.type, store: "E2B API key resource", paths: ["**"] }
        : approvedStoreAt(this.type, fullPath, container, this.props),
    };
  }

  private readArtifact(
    kind: "file" | "archive",
    source: string,
    at: string,
    ctx: { top: string; envName: string | null; publicName: string | null },
    ignore?: FolderIgnore,
  ): void {
    if (!this.reader) return;
    const content = this.reader.read(kind, source, ignore);
    for (const note of content.notes) this.artifactNotes.push({ path: at, note });
    for (const f of content.files) {
      for (const m of this.reader.materialIn(f)) {
        this.keys.push({
          kind: m.kind,
          mask: m.mask,
          fingerprint: m.fingerprint,
          encoding: m.encoding,
          path: at,
          top: ctx.top,
          envName: ctx.envName,
          publicName: ctx.publicName,
          embedded: true,
          artifact: { source, file: f.name, line: lineAt(f.text, m.index) },
        });
      }
    }
  }
}

/** What a resource record carries besides its properties (the index's IndexedResource has these). */
export interface ResourceRecord {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  provider?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /**
   * References to URNs the stack does not hold, taken out of `dependencies` and `propertyDependencies`
   * by the StackIndex so no rule follows them: text that can still carry a key, scanned here.
   */
  danglingReferences?: ReadonlyArray<{
    field: "dependencies" | "propertyDependencies";
    urn: string;
    at: string;
  }>;
  outputs: Tree;
  /** Resource options that are text (aliases, ignoreChanges, additionalSecretOutputs), where they were. */
  optionStrings?: ReadonlyArray<{ field: string; value: string; at: string }>;
}

/** The resource options the analyzer protocol carries as text. */
export interface TextOptions {
  aliases?: string[];
  ignoreChanges?: string[];
  additionalSecretOutputs?: string[];
}

/** The text of a resource's options, as ResourceRecord.optionStrings lists it. */
export function optionStringsOf(o: TextOptions): ResourceRecord["optionStrings"] {
  const out: Array<{ field: string; value: string; at: string }> = [];
  for (const field of ["aliases", "ignoreChanges", "additionalSecretOutputs"] as const)
    (o[field] ?? []).forEach((value, i) => out.push({ field, value, at: `options.${field}[${i}]` }));
  return out.length ? out : undefined;
}

/** A key found outside a resource's input properties: in its URN, name, references or outputs. */
export interface RecordHit extends KeyHit {
  /** `urn`, `name`, `type`, `parent`, `provider`, `dependencies`, `propertyDependencies`, `outputs`. */
  field: string;
}

/**
 * Key material in the parts of a record that are not its inputs: identity strings, references and
 * outputs (with their property names). Outputs are scanned without artifacts (the inputs carry them).
 */
export function scanRecord(
  r: ResourceRecord,
  inStack: (urn: string) => boolean = () => false,
  /** The stack and project segments are judged on the root stack's URN: scan only this one's own part. */
  ownUrnPartOnly = false,
  /** The run's scans: outputs scanned once per run, texts searched through the run's finder. */
  scans?: ScanCache,
): RecordHit[] {
  const out: RecordHit[] = [];
  const plain = (field: string, value: string | undefined, where = field) => {
    if (!value) return;
    for (const m of scans ? scans.material.find(value).matches : findMaterial(value))
      out.push({
        kind: m.kind,
        mask: m.mask,
        fingerprint: m.fingerprint,
        encoding: m.encoding,
        path: where,
        top: field,
        envName: null,
        publicName: null,
        embedded: false,
        field,
      });
  };
  // The URN holds the stack, project, parent type, type and name: one finding for all of them, and a
  // key in the stack or project name once for the stack, not once per resource.
  plain("urn", ownUrnPartOnly ? urnOwnPart(r.urn) : r.urn);
  if (!r.urn) plain("name", r.name);
  // A reference to a resource of this stack repeats that resource's URN, whose own record reports it:
  // only references to URNs the stack does not hold are scanned here, so a key in one name is one
  // finding, not one per dependent.
  const reference = (field: string, urn: string | undefined, where = field) => {
    if (urn && !inStack(urn)) plain(field, urn, where);
  };
  reference("parent", r.parent);
  if (r.provider) {
    // `urn::id`: the id is the provider's own, whoever else references it.
    const cut = r.provider.lastIndexOf("::");
    if (cut > 0 && inStack(r.provider.slice(0, cut))) plain("provider", r.provider.slice(cut + 2));
    else plain("provider", r.provider);
  }
  r.dependencies.forEach((d, i) => reference("dependencies", d, `dependencies[${i}]`));
  for (const [k, urns] of Object.entries(r.propertyDependencies)) {
    plain("propertyDependencies", k, `propertyDependencies.${k.length > 60 ? "…" : k}`);
    urns.forEach((d, i) => reference("propertyDependencies", d, `propertyDependencies[${i}]`));
  }
  for (const d of r.danglingReferences ?? []) plain(d.field, d.urn, d.at);
  for (const o of r.optionStrings ?? []) plain(o.field, o.value, o.at);
  const outputs = scans ? scans.scan(r.type, r.outputs) : scanProps(r.type, r.outputs);
  for (const k of outputs.keys) out.push({ ...k, path: `outputs.${k.path}`, field: "outputs" });
  return out;
}

/** A URN after `urn:pulumi:<stack>::<project>::` (the part that differs between resources). */
function urnOwnPart(urn: string): string {
  const m = /^urn:pulumi:[^:]*::[^:]*::/.exec(urn);
  return m ? urn.slice(m[0].length) : urn;
}
