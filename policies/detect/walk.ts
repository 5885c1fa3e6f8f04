/**
 * Property trees as plain data, and one linear walk over them.
 *
 * Policies receive props deserialized by @pulumi/policy (assets as SDK objects whose contents are
 * promises); state files and our engine carry the wire format (secret and asset signatures). Both are
 * normalized once into plain JSON-like trees, where an asset is `{ $asset, text?, path?, uri? }` and an
 * archive `{ $archive, assets?, path?, uri? }`. The walk is iterative (deep nesting cannot overflow
 * the stack), visits each node once, and builds a leaf's path only when a caller asks for it.
 */
import { parse as parseYaml } from "yaml";
import { ARCHIVE_SIG, ASSET_SIG, SECRET_SIG, SIG_KEY, isUnknown } from "./unknowns";
import { shortenRedacted } from "./keys";
import { mayHoldEmbeddedMaterial, mayHoldMaterial } from "./material";
import { redactMaterial } from "./redact";
import { parseSimpleYaml } from "./simple-yaml";

export type Tree = null | boolean | number | string | Tree[] | { [key: string]: Tree };

/** A segment chain: paths are materialized lazily, so the walk stays linear in the tree's size. */
export interface PathNode {
  parent: PathNode | null;
  seg: string;
}

/**
 * Paths in messages stay readable: very deep ones keep their start and their end. Keys in the path
 * (property names can be keys, plain or encoded) are masked before it is shortened, so a cut never
 * leaves half a key.
 */
export function displayPath(path: string, max = 160): string {
  // Encoded keys only where the detector's prefilter sees a possible one (most paths hold none);
  // shortenRedacted masks plain and escaped keys and key heads in every path, as the CLI prints the
  // pack's messages without our output layer.
  return shortenRedacted(mayHoldMaterial(path) ? redactMaterial(path) : path, max, 60);
}

/**
 * A file or key name as messages show it: JSON-quoted when it holds a control character or a line
 * break, so a name cannot move the terminal's cursor or forge a line of a text report.
 */
export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name) ? JSON.stringify(name) : name;
}

export function pathOf(node: PathNode | null): string {
  const segs: string[] = [];
  for (let n = node; n; n = n.parent) segs.push(n.seg);
  let out = "";
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i];
    if (STRUCTURAL_SEG.test(s)) out += s;
    else if (PLAIN_KEY.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Index (`[3]`) and embedded-document (`{json}`) segments, which the walk makes itself. */
const STRUCTURAL_SEG = /^(?:\[\d+\]|\{(?:json|yaml)\})$/;
/**
 * Keys written as `a.b`; any other key is quoted as Pulumi writes property paths (`code.assets["."]`,
 * `data["config.yaml"]`), so a key holding a dot, a bracket or a blank cannot read as two segments.
 */
const PLAIN_KEY = /^[^.[\]{}"\s]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Copy a tree iteratively, letting `special` replace nodes (assets, secrets); the copy holds no
 * proxies, class instances or cycles (a node seen twice is copied as null the second time).
 */
function copyTree(root: unknown, special: (v: Record<string, unknown>) => Tree | undefined): Tree {
  const seen = new WeakSet<object>();
  const holder: { [k: string]: Tree } = { v: null };
  // Three parallel stacks (source, the copy it goes into, the key or index there): no allocation
  // per node beyond the copy itself.
  const srcs: unknown[] = [root];
  const outs: Array<{ [k: string]: Tree } | Tree[]> = [holder];
  const keys: Array<string | number> = ["v"];
  while (srcs.length) {
    const src = srcs.pop();
    const into = outs.pop()! as { [k: string]: Tree };
    const key = keys.pop()! as string;
    if (src === null || src === undefined) into[key] = null;
    else if (typeof src === "string" || typeof src === "boolean") into[key] = src;
    else if (typeof src === "number") into[key] = Number.isFinite(src) ? src : null;
    else if (typeof src !== "object") into[key] = null;
    else if (seen.has(src)) into[key] = null;
    else {
      seen.add(src);
      if (Array.isArray(src)) {
        const out: Tree[] = new Array(src.length).fill(null);
        into[key] = out;
        for (let i = 0; i < src.length; i++) {
          srcs.push(src[i]);
          outs.push(out);
          keys.push(i);
        }
      } else {
        const replaced = special(src as Record<string, unknown>);
        if (replaced !== undefined) {
          into[key] = replaced;
          continue;
        }
        const out: { [k: string]: Tree } = {};
        into[key] = out;
        for (const k of Object.keys(src)) {
          const v = (src as Record<string, unknown>)[k];
          if (v === undefined || typeof v === "function") continue;
          srcs.push(v);
          outs.push(out);
          keys.push(k);
        }
      }
    }
  }
  return holder.v;
}

/** Wire format (engine graph, state export) → plain tree: secrets unwrapped, assets tagged. */
export function normalizeWire(value: unknown): Tree {
  return copyTree(value, (o) => {
    const sig = o[SIG_KEY];
    if (sig === undefined) return undefined;
    if (sig === SECRET_SIG) {
      // Encrypted secrets of a state export (`ciphertext`) cannot be read: they stay opaque.
      return "value" in o ? normalizeWire(o.value) : "[secret]";
    }
    if (sig === ASSET_SIG) {
      return {
        $asset: typeof o.text === "string" ? "string" : typeof o.path === "string" ? "file" : "remote",
        ...(typeof o.text === "string" ? { text: o.text } : {}),
        ...(typeof o.path === "string" ? { path: o.path } : {}),
        ...(typeof o.uri === "string" ? { uri: o.uri } : {}),
      };
    }
    if (sig === ARCHIVE_SIG) {
      return {
        $archive: isObject(o.assets) ? "assets" : typeof o.path === "string" ? "file" : "remote",
        ...(isObject(o.assets) ? { assets: normalizeWire(o.assets) } : {}),
        ...(typeof o.path === "string" ? { path: o.path } : {}),
        ...(typeof o.uri === "string" ? { uri: o.uri } : {}),
      };
    }
    return undefined;
  });
}

/**
 * Props as @pulumi/policy deserializes them → plain tree. SDK assets keep their contents in promises
 * (`StringAsset.text`), so they are resolved here, once, before any detector runs.
 */
export async function normalizeProps(value: unknown): Promise<Tree> {
  const pending: Array<Promise<void>> = [];
  const tree = copyTree(value, (o) => {
    if (o.__pulumiAsset === true) {
      const out: { [k: string]: Tree } = { $asset: "asset" };
      for (const field of ["text", "path", "uri"] as const) {
        const p = o[field];
        if (p && typeof (p as Promise<unknown>).then === "function") {
          pending.push(
            (p as Promise<unknown>).then(
              (v) => {
                if (typeof v === "string") {
                  out[field] = v;
                  out.$asset = field === "text" ? "string" : field === "path" ? "file" : "remote";
                }
              },
              () => undefined,
            ),
          );
        }
      }
      return out;
    }
    if (o.__pulumiArchive === true) {
      const out: { [k: string]: Tree } = { $archive: "archive" };
      const assets = o.assets as Promise<unknown> | undefined;
      if (assets && typeof assets.then === "function") {
        pending.push(
          assets.then(
            async (a) => {
              if (isObject(a)) {
                out.assets = await normalizeProps(a);
                out.$archive = "assets";
              }
            },
            () => undefined,
          ),
        );
      }
      // FileArchive / RemoteArchive: the same tags as the wire format's.
      for (const field of ["path", "uri"] as const) {
        const p = o[field];
        if (p && typeof (p as Promise<unknown>).then === "function") {
          pending.push(
            (p as Promise<unknown>).then(
              (v) => {
                if (typeof v === "string") {
                  out[field] = v;
                  out.$archive = field === "path" ? "file" : "remote";
                }
              },
              () => undefined,
            ),
          );
        }
      }
      return out;
    }
    // Values wrapped as secrets by remediation proxies (`Secret` objects) expose `.value`.
    return undefined;
  });
  if (pending.length) await Promise.all(pending);
  return tree;
}

/** Names that mark an env-var-like entry: `{ name | key, value }` (ECS, Kubernetes, Vercel, Netlify, GitHub). */
export const ENTRY_NAME_KEYS = ["name", "key", "secretName", "variableName"];
/** The sibling properties an entry's name applies to. */
const ENTRY_VALUE_KEYS = new Set([
  "value",
  "values",
  "valueFrom",
  // Cloud Run v2: `{ name, valueSource: { secretKeyRef } }`.
  "valueSource",
  // Azure Container Apps `{ name, secretRef }` and Container Instances `{ name, secureValue }`.
  "secretRef",
  "secureValue",
  "secretValue",
  "secretValues",
  "text",
  "plaintextValue",
  "encryptedValue",
]);
/** An environment variable name as frameworks and platforms write them. */
export const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** ENV_NAME without a regex call for the usual camelCase property names (the walk's hot path). */
export function isEnvName(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 65 && c <= 90 && ENV_NAME.test(k);
}

export interface WalkContext {
  /** Nearest enclosing environment-variable-like name (map key or `name`/`key` sibling), if any. */
  envName: string | null;
  /** Outermost enclosing name that starts with a public prefix, if any. */
  publicName: string | null;
  /** Every enclosing name, outermost first, joined with "/" (e.g. `SANDBOX_ENV_VARS/E2B_API_KEY`). */
  nameChain: string;
  /** Top-level property the leaf sits under. */
  top: string;
  /** True inside JSON/YAML parsed out of a string, or inside an asset's text. */
  embedded: boolean;
}

export interface Leaf extends WalkContext {
  value: string | number | boolean | null;
  unknown: boolean;
  node: PathNode | null;
  /** The object or array that holds this leaf (for sibling conditions such as `sensitive: true`). */
  container: Tree;
  /** A string leaf that was also parsed as an embedded document (its keys are reported from there). */
  parsed: boolean;
}

export interface WalkOptions {
  /** Called for every property name, with the name's own path (key material in names is still material). */
  visitKey?: (key: string, node: PathNode, ctx: WalkContext) => void;
  /** Public prefixes (see client-surfaces.ts); a name starting with one makes its subtree public. */
  publicPrefixes?: readonly string[];
  /**
   * Parse JSON/YAML text found in strings when this returns true (default: strings mentioning e2b);
   * `ctx` is the string's own context (a document under an env-var name names every leaf in it).
   */
  parseEmbedded?: (text: string, ctx: WalkContext) => boolean;
  /** The run's parsed documents (run-state.ts): each distinct text is parsed once per run. */
  documents?: DocumentCache;
  /**
   * Which subtrees to walk (default: all): a leaf, object or array under an object or array is
   * visited only when this says so (property names are still passed to `visitKey`). A document
   * parsed out of a string is passed to `onDocument` before its children are asked about.
   */
  prune?: {
    keep: (child: Tree, container: Tree[] | { [key: string]: Tree }) => boolean;
    onDocument: (doc: Tree) => void;
  };
}

export type Embedded = { kind: "json" | "yaml"; doc: Tree } | null;

/**
 * Documents parsed out of strings, by their text, for one run: the rules and the scans walk the same
 * trees (and inputs and outputs repeat the same container JSON), so each text is parsed once. The
 * parsed trees are shared and never written to. Owned by the DetectRun, dropped with it.
 */
export class DocumentCache {
  private docs = new Map<string, Embedded>();

  parse(text: string): Embedded {
    let d = this.docs.get(text);
    if (d === undefined) {
      d = parseEmbedded(text);
      this.docs.set(text, d);
    }
    return d;
  }

  clear(): void {
    this.docs.clear();
  }
}

const MAX_EMBEDDED = 1_000_000;

function defaultParseEmbedded(text: string): boolean {
  return /e2b/i.test(text);
}

/** JSON or YAML documents embedded in a string (container definitions, manifests, ESC YAML). */
export function parseEmbedded(text: string): Embedded {
  if (text.length > MAX_EMBEDDED) return null;
  const t = text.trimStart();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return { kind: "json", doc: normalizeWire(JSON.parse(t)) };
    } catch {
      // Not JSON after all; it may still be YAML flow style.
    }
  }
  // YAML only for multi-line mappings; a plain sentence with a colon is not a document.
  if (!t.startsWith("{") && (!t.includes("\n") || !t.includes(":"))) return null;
  if (!/^[\w"'-][^\n]*:\s*(\S.*)?\n/m.test(t) && !t.startsWith("{")) return null;
  try {
    const docs: Tree[] = [];
    for (const part of t.split(/^---\s*$/m)) {
      if (!part.trim()) continue;
      // logLevel "error": the parser's warnings (an unknown tag such as CloudFormation's `!Ref`) quote
      // the source line, key material included, on the pack's stderr.
      const d =
        parseSimpleYaml(part) ??
        (parseYaml(part, { uniqueKeys: false, maxAliasCount: 100, logLevel: "error" }) as unknown);
      if (d !== null && typeof d === "object") docs.push(normalizeWire(d));
    }
    if (docs.length === 0) return null;
    return { kind: "yaml", doc: docs.length === 1 ? docs[0] : docs };
  } catch {
    return null;
  }
}

/**
 * Visit every primitive leaf of a normalized tree, once, with its context. Strings that hold JSON or
 * YAML are visited as strings and then descended into; asset text is visited as a string too.
 */
export function walkLeaves(root: Tree, visit: (leaf: Leaf) => void, opts: WalkOptions = {}): void {
  const prefixes = opts.publicPrefixes ?? [];
  const wantsParse = opts.parseEmbedded ?? defaultParseEmbedded;
  const documents = opts.documents;
  const visitKey = opts.visitKey;
  const prune = opts.prune;
  // Parallel stacks (value, path node, context, container): no allocation per node for the walk itself.
  const vs: Tree[] = [root];
  const nodes: Array<PathNode | null> = [null];
  const ctxs: WalkContext[] = [{ envName: null, publicName: null, nameChain: "", top: "", embedded: false }];
  const containers: Tree[] = [null];
  while (vs.length) {
    const v = vs.pop() as Tree;
    const node = nodes.pop() as PathNode | null;
    const ctx = ctxs.pop()!;
    const container = containers.pop() as Tree;
    if (v === null || typeof v !== "object") {
      const unknown = isUnknown(v);
      let parsed = false;
      if (typeof v === "string" && !unknown && v.length > 2 && wantsParse(v, ctx)) {
        const emb = documents ? documents.parse(v) : parseEmbedded(v);
        if (emb) {
          parsed = true;
          prune?.onDocument(emb.doc);
          vs.push(emb.doc);
          nodes.push({ parent: node, seg: `{${emb.kind}}` });
          ctxs.push({ ...ctx, embedded: true });
          containers.push(container);
        }
      }
      visit({
        value: v,
        unknown,
        node,
        container,
        parsed,
        envName: ctx.envName,
        publicName: ctx.publicName,
        nameChain: ctx.nameChain,
        top: ctx.top,
        embedded: ctx.embedded,
      });
      continue;
    }
    if (Array.isArray(v)) {
      // A key cut into the elements of a list of strings (`[k.slice(0, 24), k.slice(24)]`): the
      // elements joined are one more leaf, at the list's own path.
      const joined = joinedPieces(v);
      if (joined !== undefined)
        visit({
          value: joined,
          unknown: false,
          node,
          container,
          parsed: false,
          envName: ctx.envName,
          publicName: ctx.publicName,
          nameChain: ctx.nameChain,
          top: ctx.top,
          embedded: ctx.embedded,
        });
      for (let i = 0; i < v.length; i++) {
        if (prune && !prune.keep(v[i], v)) continue;
        vs.push(v[i]);
        nodes.push({ parent: node, seg: indexSeg(i) });
        ctxs.push(ctx);
        containers.push(v);
      }
      continue;
    }
    // `{ name: "X", value: … }` entries name their value; map keys name their subtree.
    let entryName: string | null = null;
    for (const nk of ENTRY_NAME_KEYS) {
      const n = v[nk];
      if (typeof n === "string" && ENV_NAME.test(n)) entryName = n;
    }
    const isAsset = typeof v.$asset === "string" || typeof v.$archive === "string";
    for (const k of Object.keys(v)) {
      const skip = prune !== undefined && !prune.keep(v[k], v);
      if (skip && !(visitKey && k.length >= 44)) continue;
      let name = ctx.envName;
      if (entryName && ENTRY_VALUE_KEYS.has(k)) name = entryName;
      else if (isEnvName(k)) name = k;
      const embedded = ctx.embedded || (isAsset && (k === "text" || k === "assets"));
      // Most children share their parent's context: allocate a new one only when something changes.
      const childCtx: WalkContext =
        name === ctx.envName && ctx.top && embedded === ctx.embedded
          ? ctx
          : {
              envName: name,
              publicName: ctx.publicName ?? (name && isPublic(prefixes, name) ? name : null),
              nameChain: name && name !== ctx.envName ? `${ctx.nameChain}/${name}` : ctx.nameChain,
              top: ctx.top || k,
              embedded,
            };
      const childNode: PathNode = { parent: node, seg: k };
      if (visitKey && k.length >= 44) visitKey(k, childNode, childCtx);
      if (skip) continue;
      vs.push(v[k]);
      nodes.push(childNode);
      ctxs.push(childCtx);
      containers.push(v);
    }
  }
}

/**
 * Every known string of a tree and of the documents parsed out of its strings, in walkLeaves' order
 * (a string before its document's leaves), without the context, path and leaf objects walkLeaves
 * builds for each: for callers that read only the text.
 */
export function walkKnownStrings(
  root: Tree,
  visit: (text: string) => void,
  opts: { documents?: DocumentCache; parseEmbedded?: (text: string) => boolean } = {},
): void {
  const wantsParse = opts.parseEmbedded ?? defaultParseEmbedded;
  const documents = opts.documents;
  const stack: Tree[] = [root];
  while (stack.length) {
    const v = stack.pop() as Tree;
    if (typeof v === "string") {
      if (isUnknown(v)) continue;
      if (v.length > 2 && wantsParse(v)) {
        const emb = documents ? documents.parse(v) : parseEmbedded(v);
        if (emb) stack.push(emb.doc);
      }
      visit(v);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (v !== null && typeof v === "object") {
      for (const k of Object.keys(v)) stack.push(v[k]);
    }
  }
}

function isPublic(prefixes: readonly string[], name: string): boolean {
  for (const p of prefixes) if (name.startsWith(p)) return true;
  return false;
}

/** `[i]` path segments, shared for the usual small indexes. */
/**
 * A key's head cut short at the end of a string: `e2b_` (or `sk_e2b_`) and at most 36 digits, so the
 * rest is a piece of its own. A near miss of 37 to 39 digits next to a short word is not taken for a
 * cut key (`["e2b_<39 digits>", "a"]` would join into one).
 */
const CUT_KEY_HEAD = /e2b_[0-9a-f]{0,36}$/i;
/** Characters that may end a piece cut inside the `e2b_` prefix (`e`, `2`, `b`, either case). */
const PREFIX_CUT_END = new Set([0x65, 0x45, 0x32, 0x62, 0x42]);

/** Whether `x` ends and `next` begins with the two parts of an `e2b_` prefix cut in two (`…e2` | `b_…`). */
function cutInPrefix(x: string, next: Tree): boolean {
  if (typeof next !== "string" || !PREFIX_CUT_END.has(x.charCodeAt(x.length - 1))) return false;
  const tail = x.slice(-3);
  const at = (tail + next.slice(0, 3)).toLowerCase().indexOf("e2b_");
  // Four characters cannot fit in the (at most three) of the tail: a match there crosses the cut.
  return at >= 0 && at < tail.length;
}

/** Lists longer than this, or longer joined, are not joined (a key is 44 to 47 characters). */
const MAX_PIECES = 16;
const MAX_JOINED = 4096;

/**
 * The elements of a short list of strings joined, when one of them ends with a key's head cut short
 * (the rest of the key in the elements after it); otherwise undefined. Linear in the list.
 */
function joinedPieces(list: readonly Tree[]): string | undefined {
  if (list.length < 2 || list.length > MAX_PIECES) return undefined;
  let cut = false;
  let length = 0;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== "string") return undefined;
    length += x.length;
    if (i === list.length - 1 || cut) continue;
    // Only a string's last characters can hold a cut head: the test reads at most 47 of them.
    if (x.length >= 4) cut = CUT_KEY_HEAD.test(x.length > 47 ? x.slice(-47) : x);
    if (!cut) cut = cutInPrefix(x, list[i + 1]);
  }
  return cut && length <= MAX_JOINED ? (list as string[]).join("") : undefined;
}

/** For the tree prefilter: a list whose elements joined may hold a key (walkLeaves visits that join). */
function mayHoldJoined(list: readonly Tree[]): boolean {
  const joined = joinedPieces(list);
  return joined !== undefined && mayHoldString(joined);
}

const INDEX_SEGS = Array.from({ length: 256 }, (_, i) => `[${i}]`);
const indexSeg = (i: number) => (i < INDEX_SEGS.length ? INDEX_SEGS[i] : `[${i}]`);

/** Deeper than this, `mayHoldMaterialTree` stops proving and answers "may" (the full walk is iterative). */
const MAX_PROOF_DEPTH = 1000;

/**
 * The tree-level prefilter: false only when no walk of `root` (its values, property names, JSON/YAML
 * embedded in its strings) can find key material — then a key scan need not walk it with context,
 * parse its documents or decode anything. One recursive pass without allocation; asset and archive
 * objects answer "may" when `artifacts` is set (their files are read by the full scan).
 */
export function mayHoldMaterialTree(root: Tree, opts: { artifacts?: boolean } = {}): boolean {
  if (typeof root === "string") return mayHoldString(root);
  return root !== null && typeof root === "object" && mayHoldIn(root, 0, opts.artifacts === true);
}

const mayHoldString = (s: string) => s.length >= 44 && mayHoldEmbeddedMaterial(s);

/**
 * Over an object or array. Children are tested here rather than by a call each (most are strings
 * and numbers): a fifth less time on the usual tree than one call per node.
 */
function mayHoldIn(v: Tree[] | { [key: string]: Tree }, depth: number, artifacts: boolean): boolean {
  if (depth > MAX_PROOF_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === "string") {
        if (mayHoldString(x)) return true;
      } else if (x !== null && typeof x === "object" && mayHoldIn(x, depth + 1, artifacts)) return true;
    }
    return mayHoldJoined(v);
  }
  if (artifacts && (v.$asset !== undefined || v.$archive !== undefined)) return true;
  for (const k in v) {
    if (k.length >= 44 && mayHoldMaterial(k)) return true;
    const x = v[k];
    if (typeof x === "string") {
      if (mayHoldString(x)) return true;
    } else if (x !== null && typeof x === "object" && mayHoldIn(x, depth + 1, artifacts)) return true;
  }
  return false;
}

/**
 * The tree prefilter's answer for every object and array of `root`: the ones it cannot prove
 * key-free (those holding, at any depth, a string or property name the prefilter accepts, or with
 * `artifacts` an asset or archive) are added to `marks`. A key scan walks only those, so the walk
 * with context touches the few paths that lead to candidates instead of whole trees; any key a walk
 * of the whole tree finds is on such a path (the prefilter is exact). Returns whether `root` itself
 * may hold material, or null when the tree is deeper than the proof goes (then walk it all).
 */
export function markMaterial(
  root: Tree,
  marks: Set<Tree>,
  opts: { artifacts?: boolean } = {},
): boolean | null {
  if (typeof root === "string") return mayHoldString(root);
  if (root === null || typeof root !== "object") return false;
  try {
    return markIn(root, 0, opts.artifacts === true, marks);
  } catch (e) {
    if (e === TOO_DEEP) return null;
    throw e;
  }
}

const TOO_DEEP = new Error("deeper than the prefilter's proof");

/** mayHoldIn without the early return: every child is judged, and containers that may are marked. */
function markIn(
  v: Tree[] | { [key: string]: Tree },
  depth: number,
  artifacts: boolean,
  marks: Set<Tree>,
): boolean {
  if (depth > MAX_PROOF_DEPTH) throw TOO_DEEP;
  let may = false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === "string") {
        if (mayHoldString(x)) may = true;
      } else if (x !== null && typeof x === "object" && markIn(x, depth + 1, artifacts, marks)) may = true;
    }
    if (!may && mayHoldJoined(v)) may = true;
  } else {
    if (artifacts && (v.$asset !== undefined || v.$archive !== undefined)) may = true;
    for (const k in v) {
      if (k.length >= 44 && mayHoldMaterial(k)) may = true;
      const x = v[k];
      if (typeof x === "string") {
        if (mayHoldString(x)) may = true;
      } else if (x !== null && typeof x === "object" && markIn(x, depth + 1, artifacts, marks)) may = true;
    }
  }
  if (may) marks.add(v);
  return may;
}

/** Visit every string leaf with its dotted path (kept for callers that only need strings). */
export type Visit = (value: string, path: string) => void;

export function walkStrings(value: unknown, visit: Visit): void {
  walkLeaves(normalizeWire(value), (leaf) => {
    if (typeof leaf.value === "string" && !leaf.unknown) visit(leaf.value, pathOf(leaf.node));
  });
}
