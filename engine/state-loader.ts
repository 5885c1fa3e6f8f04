/**
 * Reads `pulumi stack export` files (deployment versions 1 to 4), and the checkpoints a DIY backend
 * keeps (`pulumi login file://…`, `s3://…`: `.pulumi/stacks/<project>/<stack>.json`, also gzipped), into
 * a ResourceGraph. Secrets arrive either
 * encrypted (`ciphertext`: we cannot read them, so they become the opaque secret `"[secret]"`, as
 * `pulumi policy analyze --file` does) or shown with `--show-secrets` (`plaintext`: a JSON encoding
 * of the value).
 */
import { gunzipSync } from "node:zlib";
import { quoteValue } from "../policies/detect/keys";
import { InputError, jsonSyntaxProblem } from "./errors";
import {
  LIMITS,
  checkJsonSize,
  refuseRepeatedMembers,
  checkTree,
  nextResource,
  spendValues,
  readBoundedBytes,
  decodeText,
  mib,
  valueBudget,
  type ValueBudget,
} from "./limits";
import { checkAssetShape } from "./asset-shapes";
import { RESOURCE_REFERENCE_SIG } from "./marshal";
import {
  ARCHIVE_VALUE,
  ASSET_VALUE,
  SECRET_SIG,
  SECRET_VALUE,
  secretValue,
  type GraphResource,
  type ResourceGraph,
  type WireObject,
  type WireValue,
} from "./graph";

export const OPAQUE_SECRET = "[secret]";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The resource fields the graph reads; anything else is kept in `otherFields` and scanned. */
const READ_FIELDS = new Set([
  "urn",
  "type",
  "custom",
  "external",
  "id",
  "parent",
  "provider",
  "dependencies",
  "propertyDependencies",
  "inputs",
  "outputs",
  "protect",
  "additionalSecretOutputs",
]);
/** The members of a file, a checkpoint and a deployment the reader takes by name (checkSpelling). */
const FILE_FIELDS = byFolded(["version", "features", "deployment", "checkpoint"]);
const CHECKPOINT_FIELDS = byFolded(["stack", "config", "latest"]);
const DEPLOYMENT_FIELDS = byFolded([
  "manifest",
  "secrets_providers",
  "resources",
  "pending_operations",
  "metadata",
  "snippets",
  "extensions",
]);
const RECORD_FIELDS = byFolded(READ_FIELDS);
/** Read fields that are flags: a value that is not a boolean is refused (checkIdentity). */
const FLAGS = new Set(["custom", "external", "protect"]);

/**
 * The features a version 4 deployment may need, as the CLI knows them (pkg/resource/stack/deployment.go
 * `supportedFeatures`); it refuses a deployment that needs any other, and so does this reader.
 */
const FEATURES = new Set([
  "refreshBeforeUpdate",
  "views",
  "hooks",
  "taint",
  "replaceWith",
  "snippets-prototype",
  "extensionParameterization",
  "byteString",
]);
/** A number JSON cannot write (NaN, ±Infinity), as its IEEE 754 bits in hexadecimal. */
const FLOAT_SIG = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c";
/** A string with bytes that are not UTF-8, as the standard base64 of its bytes. */
const BYTE_STRING_SIG = "803fd3297a5875dc03ca845dda5d2a98";

export function loadStateExport(file: string): ResourceGraph {
  const text = decodeText(uncompressed(readBoundedBytes(file, LIMITS.stateBytes), file));
  // An array is no export: said at once, not after parsing up to 128 MiB of nested arrays.
  if (/^\s*\[/.test(text.slice(0, 4096)))
    throw new InputError(`${file}: field '(root)' must be an object (a \`pulumi stack export\` file)`, file);
  const counts = { members: 0 };
  const parsable = checkJsonSize(text, file, undefined, counts);
  let doc: Json;
  try {
    doc = JSON.parse(parsable) as Json;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${jsonSyntaxProblem(e)})`, file);
  }
  refuseRepeatedMembers(parsable, doc, counts.members, file);
  return parseStateExport(doc, file);
}

export function parseStateExport(doc: unknown, file: string): ResourceGraph {
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${file}: field '${field}' ${problem}`, file);
  };
  if (!isObject(doc)) return fail("(root)", "must be an object (a `pulumi stack export` file)");
  const { deployment, root, fileFields, version, named } = deploymentOf(doc, fail);
  const rawResources = deployment.resources ?? [];
  if (!Array.isArray(rawResources)) return fail(`${root}.resources`, "must be an array");

  const budget = valueBudget();
  const seen = { opaqueSecret: false };
  // Records of one URN (copies pending deletion beside their replacement) are one resource (pendingDeletes).
  const urns = new Map<string, number[]>();
  // Every record names the stack and project of the first (checkIdentity), which the graph takes.
  const first: unknown = rawResources[0];
  const head = isObject(first) && typeof first.urn === "string" ? urnParts(first.urn) : undefined;
  const records: GraphResource[] = rawResources.map((r, i) => {
    const at = `${root}.resources[${i}]`;
    nextResource(budget);
    if (!isObject(r)) return fail(at, "must be an object");
    if (typeof r.urn !== "string" || !r.urn.startsWith("urn:pulumi:"))
      fail(`${at}.urn`, "must be a Pulumi URN");
    if (typeof r.type !== "string" || !r.type) fail(`${at}.type`, "is required");
    const urn = r.urn as string;
    checkIdentity(r, urn, at, { head, root }, fail);
    const same = urns.get(urn);
    if (same) same.push(i);
    else urns.set(urn, [i]);
    const tooDeep: TooDeep = [];
    const read = (v: unknown, field: string): WireValue =>
      readField(v, field, `${at}.${field}`, { file, budget, fail, tooDeep, seen });
    const props = (v: unknown, field: string): WireObject => {
      if (v === undefined || v === null) return {};
      if (!isObject(v)) return fail(`${at}.${field}`, "must be an object");
      return read(v, field) as WireObject;
    };
    const strings = (v: unknown, field: string): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
        return fail(`${at}.${field}`, "must be an array of URNs");
      return v as string[];
    };
    const propertyDependencies: Record<string, string[]> = {};
    // Before version 3 there were none: the CLI takes every input to depend on all the dependencies
    // (migrate.UpToResourceV3).
    if (version < 3 && isObject(r.inputs))
      for (const k of Object.keys(r.inputs))
        propertyDependencies[k] = strings(r.dependencies, "dependencies");
    if (r.propertyDependencies !== undefined && r.propertyDependencies !== null) {
      if (!isObject(r.propertyDependencies)) fail(`${at}.propertyDependencies`, "must be an object");
      for (const [k, v] of Object.entries(r.propertyDependencies as object)) {
        propertyDependencies[k] = strings(v, `propertyDependencies.${k}`);
      }
    }
    // What the graph has no field for is kept for the scan: provider errors echo values into
    // `initErrors`, and an alias or an import id can hold anything.
    const otherFields: WireObject = {};
    for (const [k, v] of Object.entries(r)) {
      if (READ_FIELDS.has(k)) continue;
      checkSpelling(k, RECORD_FIELDS, `${at}.`, fail);
      if (v !== undefined && v !== null) otherFields[k] = read(v, k);
    }
    return {
      urn,
      type: r.type as string,
      name: urn.split("::").pop() ?? urn,
      custom: r.custom === true,
      external: r.external === true || undefined,
      id: typeof r.id === "string" && r.id ? r.id : undefined,
      parent: typeof r.parent === "string" && r.parent ? r.parent : undefined,
      provider: typeof r.provider === "string" && r.provider ? r.provider : undefined,
      dependencies: strings(r.dependencies, "dependencies"),
      propertyDependencies,
      inputs: props(r.inputs, "inputs"),
      outputs: props(r.outputs, "outputs"),
      options: {
        protect: r.protect === true || undefined,
        additionalSecretOutputs: names(r.additionalSecretOutputs, `${at}.additionalSecretOutputs`, fail),
      },
      ...(Object.keys(otherFields).length ? { otherFields } : {}),
      ...(tooDeep.length ? { tooDeep } : {}),
    };
  });
  const resources = pendingDeletes(records, rawResources as Record<string, unknown>[], urns, root, fail);

  // Everything else the deployment (and a checkpoint) holds is scanned too (a key in the manifest or
  // the secrets provider's state is a leak like any other), under the same limits.
  const deploymentFields: WireObject = {};
  const deploymentTooDeep: TooDeep = [];
  const readDeploymentField = (k: string, v: unknown, where: string) => {
    if (v === undefined || v === null) return;
    nextResource(budget);
    // Two fields of one name (the latest deployment's `checkpoint.config` beside the checkpoint's
    // config) are both kept: neither hides the other from the scan.
    let name = k;
    for (let n = 2; name in deploymentFields; n++) name = `${k} (${n})`;
    deploymentFields[name] = readField(v, k, where, { file, budget, fail, tooDeep: deploymentTooDeep, seen });
  };
  for (const [k, v] of fileFields) readDeploymentField(k, v, k);
  for (const [k, v] of Object.entries(deployment))
    if (k !== "resources") readDeploymentField(k, v, `${root}.${k}`);

  // A checkpoint names its stack (`dev` or `org/project/dev`) even when it holds no resource yet.
  const parts = typeof named === "string" && named ? named.split("/") : [];
  return {
    project: head?.project || (parts.length === 3 ? parts[1] : "") || "unknown",
    stack: head?.stack || parts[parts.length - 1] || "unknown",
    organization: "organization",
    source: { kind: "state", path: file },
    tags: {},
    config: {},
    resources,
    ...(Object.keys(deploymentFields).length ? { deploymentFields } : {}),
    ...(deploymentTooDeep.length ? { deploymentTooDeep } : {}),
    ...(seen.opaqueSecret ? { secretsHidden: true } : {}),
  };
}

type TooDeep = NonNullable<GraphResource["tooDeep"]>;
/** Refuses the file, naming the field: every check here takes it. */
type Fail = (field: string, problem: string) => never;

/**
 * A DIY backend writes its checkpoints gzipped or zstd-compressed when asked to (PULUMI_DIY_BACKEND_GZIP,
 * `.json.gz`; PULUMI_DIY_BACKEND_ZSTD, `.json.zst`); gzip is read within the same size limit, zstd is
 * refused: Node 20 has no zstd.
 */
function uncompressed(b: Buffer, file: string): Buffer {
  if (b[0] === 0x1f && b[1] === 0x8b) {
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      inflated = gunzipSync(b, {
        maxOutputLength: LIMITS.stateBytes,
        info: true,
      }) as unknown as typeof inflated;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE")
        throw new InputError(`too large: ${file} (limit ${mib(LIMITS.stateBytes)} uncompressed)`, file);
      throw new InputError(`${file}: not valid gzip (${code ?? (e as Error).message})`, file);
    }
    // Bytes after the last member that are no member: Node drops them, Go's reader refuses the file
    // (rt58 #4: a key there went unread).
    if (inflated.engine.bytesWritten < b.length)
      throw new InputError(`${file}: not valid gzip (data after the compressed stream)`, file);
    return inflated.buffer;
  }
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd)
    throw new InputError(
      `${file}: is zstd-compressed (a DIY backend's .json.zst checkpoint), which this reader cannot decompress: run \`zstd -d\` on it first`,
      file,
    );
  return b;
}

/**
 * A resource being replaced leaves its old record, marked `delete: true`, beside the new one until the
 * old is deleted (an update cut short keeps them so). Pulumi allows a URN more than once only so,
 * when all its records or all but one are marked (deploy/snapshot.go VerifyIntegrity), and so does
 * this reader (real47 #1). Each old copy is still a resource in the cloud and is judged as one, with
 * every rule (a key store's old version is a key store: rt61 #1), under its own name, `<name>
 * (pending deletion)`, so that the graph's URNs stay one per resource and its findings are its own.
 */
function pendingDeletes(
  records: GraphResource[],
  raw: Record<string, unknown>[],
  urns: ReadonlyMap<string, number[]>,
  root: string,
  fail: Fail,
): GraphResource[] {
  if (urns.size === records.length) return records;
  for (const indexes of urns.values()) {
    if (indexes.length === 1) continue;
    const live = indexes.filter((i) => raw[i].delete !== true);
    if (live.length > 1)
      fail(
        `${root}.resources[${live[1]}].urn`,
        `repeats the URN of ${root}.resources[${live[0]}], and neither is marked delete: true (Pulumi refuses such a state)`,
      );
    const kept = live[0] ?? indexes[indexes.length - 1];
    let n = 0;
    for (const i of indexes) {
      if (i === kept) continue;
      const r = records[i];
      const name = `${r.name} (pending deletion${++n > 1 ? ` ${n}` : ""})`;
      records[i] = { ...r, name, urn: `${r.urn.slice(0, r.urn.length - r.name.length)}${name}` };
    }
  }
  return records;
}

/**
 * The deployment a file holds: an export's, or the latest one of a DIY backend's checkpoint, whose
 * other fields (the stack's name, its configuration) are scanned too. Versions 1 to 4, as the CLI
 * reads them (`pulumi stack export` writes 3, or 4 with features).
 */
function deploymentOf(doc: Record<string, unknown>, fail: Fail): FileDeployment {
  // A checkpoint from before checkpoints had a version (2017) is a CheckpointV1 itself, which the DIY
  // backend still reads (real47 #2): its fields stand at the top.
  const unversioned =
    (doc.version === undefined || doc.version === null || doc.version === 0) &&
    !("deployment" in doc) &&
    !("checkpoint" in doc);
  // Its fields folded as Go folds them, whether it turns out to be one or not (`Latest` alone is `latest`).
  if (unversioned) for (const k of Object.keys(doc)) checkSpelling(k, CHECKPOINT_FIELDS, "", fail);
  if (unversioned && ("latest" in doc || "stack" in doc)) {
    const { version: _version, features, ...checkpoint } = doc;
    if (Array.isArray(features) && features.length)
      fail(
        "features",
        "is written only with version 4 (the CLI does not read it in a checkpoint without a version)",
      );
    return fromCheckpoint(checkpoint, "", [], 0, fail);
  }
  for (const k of Object.keys(doc)) checkSpelling(k, FILE_FIELDS, "", fail);
  const version = doc.version;
  if (version !== 1 && version !== 2 && version !== 3 && version !== 4)
    return fail(
      "version",
      `is ${shown(doc.version)}; expected 1 to 4 (the deployment formats the CLI reads: \`pulumi stack export\` writes 3 or 4)`,
    );
  if (doc.features !== undefined && doc.features !== null) {
    const features = doc.features;
    if (!Array.isArray(features) || features.some((f) => typeof f !== "string"))
      return fail("features", "must be an array of feature names");
    const unknown = (features as string[]).filter((f) => !FEATURES.has(f));
    if (version !== 4 && features.length)
      fail("features", `is written only with version 4 (the CLI does not read it in version ${version})`);
    if (doc.version === 4 && unknown.length)
      fail(
        "features",
        `names features the Pulumi CLI does not know (${unknown.map(shown).join(", ")}): it refuses such a deployment`,
      );
  }
  // What else the file holds is scanned (fileFields) like the deployment's fields: nothing goes unread.
  const { version: _version, features: _features, deployment: exported, checkpoint, ...others } = doc;
  if (exported !== undefined && checkpoint !== undefined)
    fail(
      "checkpoint",
      "stands beside 'deployment': a file is an export (`pulumi stack import` reads its deployment) or a checkpoint (the DIY backend reads its latest), not both",
    );
  if (checkpoint !== undefined) {
    if (!isObject(checkpoint)) return fail("checkpoint", "must be an object (a DIY backend's checkpoint)");
    return fromCheckpoint(checkpoint, "checkpoint.", Object.entries(others), version, fail);
  }
  if (!isObject(exported)) return fail("deployment", "is missing");
  for (const k of Object.keys(exported)) checkSpelling(k, DEPLOYMENT_FIELDS, "deployment.", fail);
  return { deployment: exported, root: "deployment", fileFields: Object.entries(others), version };
}

interface FileDeployment {
  deployment: Record<string, unknown>;
  /** Where the deployment stands in the file, for the fields a refusal names. */
  root: string;
  /** The file's other fields, scanned like the deployment's. */
  fileFields: Array<[string, unknown]>;
  version: number;
  /** The stack a checkpoint names. */
  named?: unknown;
}

/**
 * A checkpoint's latest deployment (none for a stack never updated: nothing in it to judge) and its
 * other fields, checked where they stand in the file (`at`: `checkpoint.`, or nothing for one without
 * a version).
 */
function fromCheckpoint(
  checkpoint: Record<string, unknown>,
  at: string,
  others: Array<[string, unknown]>,
  version: number,
  fail: Fail,
): FileDeployment {
  for (const k of Object.keys(checkpoint)) checkSpelling(k, CHECKPOINT_FIELDS, at, fail);
  const { latest, ...rest } = checkpoint;
  checkCheckpointFields(rest, at, fail);
  if (latest !== undefined && latest !== null && !isObject(latest))
    fail(`${at}latest`, "must be an object (the stack's latest deployment)");
  const deployment = (latest ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(deployment)) checkSpelling(k, DEPLOYMENT_FIELDS, `${at}latest.`, fail);
  const checkpointFields = Object.entries(rest).map(([k, v]): [string, unknown] => [`checkpoint.${k}`, v]);
  return {
    deployment,
    root: `${at}latest`,
    fileFields: [...checkpointFields, ...others],
    version,
    named: rest.stack,
  };
}

/** A checkpoint's stack is a name and its config a map, or Go's reader refuses the file (rt61 #7). */
function checkCheckpointFields(cp: { stack?: unknown; config?: unknown }, at: string, fail: Fail): void {
  if (cp.stack !== undefined && cp.stack !== null && typeof cp.stack !== "string")
    fail(`${at}stack`, "must be the stack's name (a string)");
  if (cp.config !== undefined && cp.config !== null && !isObject(cp.config))
    fail(`${at}config`, "must be a map of the stack's configuration");
}

/**
 * The CLI reads these files with Go's encoding/json, which takes a member for a field whatever its
 * letter case (and `ſ` for `s`, `K` for `k`), the last one when there are two. Pulumi writes each field
 * in one spelling; a member that is a field in other letters is refused, so that what this reader
 * judges is what the CLI would read (rt58 #1: a key in `Deployment` beside a clean `deployment`).
 */
function checkSpelling(k: string, fields: ReadonlyMap<string, string>, at: string, fail: Fail): void {
  if (fields.get(k) === k) return; // spelled as Pulumi writes it
  const field = fields.get(folded(k));
  if (field !== undefined && field !== k)
    fail(
      `${at}${k}`,
      `is '${field}' in other letters: Pulumi writes '${field}', and the CLI would read either (the last of two)`,
    );
}

function folded(k: string): string {
  const lower = k.toLowerCase();
  return lower.includes("ſ") ? lower.replace(/ſ/g, "s") : lower;
}

/** Field names by their folded spelling, for checkSpelling. */
function byFolded(names: Iterable<string>): Map<string, string> {
  return new Map([...names].map((n): [string, string] => [folded(n), n]));
}

/**
 * One field's tree within the limits, secrets decoded. A tree deeper than the limit keeps a marker in
 * place of what lies deeper, and that part is read as text (`tooDeep`), so a key there is still found
 * and the field is still judged.
 */
function readField(
  v: unknown,
  field: string,
  where: string,
  ctx: {
    file: string;
    budget: ValueBudget;
    fail: Fail;
    tooDeep: TooDeep;
    /** Set when a secret is encrypted (an export made without --show-secrets). */
    seen: { opaqueSecret: boolean };
  },
): WireValue {
  const { file, budget, fail, tooDeep, seen } = ctx;
  const onTooDeep = (value: object, holder: Record<string | number, unknown>, key: string | number) => {
    holder[key] = TOO_DEEP;
    tooDeep.push({ field, text: textOf(value, () => spendValues(budget, 1, file, where)) });
  };
  checkTree(v, where, file, budget, 0, LIMITS.depth, onTooDeep);
  return convertSecrets(v, where, fail, { file, budget, depth: 0, tooDeep: onTooDeep, seen });
}

/** A value in a message: short, and never half a key (masked first, then shortened). */
function shown(v: unknown): string {
  return quoteValue(JSON.stringify(v) ?? String(v), 60);
}

/** `additionalSecretOutputs`: property names, or absent. */
function names(v: unknown, at: string, fail: Fail): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    return fail(at, "must be an array of property names");
  return v as string[];
}

interface Limits {
  file: string;
  budget: ValueBudget;
  depth: number;
  /** Set aside what nests deeper than the limit (checkTree's onTooDeep). */
  tooDeep?: (value: object, holder: Record<string | number, unknown>, key: string | number) => void;
  seen?: { opaqueSecret: boolean };
}

/** What a subtree past the depth limit is replaced with in the tree. */
export const TOO_DEEP = "[nested deeper than the depth limit: read as text only]";

/** Every string and property name of `v`, iteratively, each counted against the budget. */
function textOf(v: unknown, spend: () => void): string[] {
  const out: string[] = [];
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") {
      spend();
      out.push(x);
    } else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x !== null && typeof x === "object")
      for (const [k, y] of Object.entries(x)) {
        spend();
        out.push(k);
        stack.push(y);
      }
  }
  return out;
}

/**
 * Secrets in the wire format. A shown secret's plaintext is JSON, decoded here and converted in turn:
 * it may hold secrets itself (a secret inside a secret is one secret: the pack sees no secret object
 * inside a secret's value), and its decoded tree counts against the same limits as the rest.
 */
function convertSecrets(root: unknown, rootAt: string, fail: Fail, lim: Limits): WireValue {
  // Iterative: a tree as deep as the limits allow must not run out of stack. Each node's result is
  // put in place by `set`; objects list their keys first, so their order is the export's.
  const result: { v: WireValue } = { v: null };
  type Work = { v: unknown; at: string; depth: number; set: (x: WireValue) => void };
  const work: Work[] = [{ v: root, at: rootAt, depth: lim.depth, set: (x) => (result.v = x) }];
  while (work.length) {
    const { v, at, depth, set } = work.pop()!;
    if (Array.isArray(v)) {
      const out: WireValue[] = new Array<WireValue>(v.length).fill(null);
      set(out);
      for (let i = v.length - 1; i >= 0; i--)
        work.push({ v: v[i], at: `${at}[${i}]`, depth: depth + 1, set: (x) => (out[i] = x) });
      continue;
    }
    if (!isObject(v)) {
      set(v as WireValue);
      continue;
    }
    // Most objects are plain maps: the signature is looked up once.
    const sig = SECRET_SIG in v ? v[SECRET_SIG] : undefined;
    if (sig !== undefined) checkSignature(v, at, fail);
    if (sig === FLOAT_SIG) {
      set(floatOf(v.value as string));
      continue;
    }
    if (sig === BYTE_STRING_SIG) {
      set(Buffer.from(v.value as string, "base64").toString("utf8"));
      continue;
    }
    if (sig === SECRET_VALUE) {
      let inner: unknown;
      let innerAt: string;
      if (typeof v.plaintext === "string") {
        try {
          inner = JSON.parse(v.plaintext);
        } catch {
          return fail(at, "holds a secret whose plaintext is not JSON");
        }
        innerAt = `${at}.plaintext`;
        checkTree(inner, innerAt, lim.file, lim.budget, depth, LIMITS.depth, lim.tooDeep);
      } else if ("value" in v) {
        inner = v.value;
        innerAt = `${at}.value`;
      } else {
        set(secretValue(OPAQUE_SECRET));
        if (lim.seen) lim.seen.opaqueSecret = true;
        continue;
      }
      // A secret of a secret is one secret: the inner one's result stands for both.
      if (isObject(inner) && inner[SECRET_SIG] === SECRET_VALUE) {
        work.push({ v: inner, at: innerAt, depth: depth + 1, set });
        continue;
      }
      const wrapper = secretValue(null);
      set(wrapper);
      work.push({ v: inner, at: innerAt, depth: depth + 1, set: (x) => (wrapper.value = x) });
      continue;
    }
    const out: WireObject = {};
    set(out);
    const entries = Object.entries(sig === RESOURCE_REFERENCE_SIG ? asWrittenNow(v) : v);
    for (const [k] of entries)
      // JSON.parse makes `__proto__` an own key; plain assignment would set the prototype instead and
      // hide what is under it from every check.
      Object.defineProperty(out, k, { value: null, enumerable: true, writable: true, configurable: true });
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i];
      work.push({ v: x, at: `${at}.${k}`, depth: depth + 1, set: (y) => (out[k] = y) });
    }
  }
  return result.v;
}

/**
 * The fields that say which resource a record is, as Pulumi writes them (apitype ResourceV3): a type
 * that is the URN's, the stack and project of the export's first resource, flags that are booleans
 * and an id, parent and provider reference that are strings. A record that differs was not written by
 * Pulumi, and a key in what differs would be judged nowhere (rt54 #4): it is refused, naming the field.
 */
function checkIdentity(
  r: Record<string, unknown>,
  urn: string,
  at: string,
  first: { head: ReturnType<typeof urnParts>; root: string },
  fail: Fail,
): void {
  const { head, root } = first;
  const parts = urnParts(urn);
  if (!parts) return fail(`${at}.urn`, "must be a Pulumi URN (urn:pulumi:stack::project::type::name)");
  if (r.type !== parts.type)
    fail(`${at}.type`, `is ${shown(r.type)}, but the URN's type is ${shown(parts.type)}`);
  if (head && (head.stack !== parts.stack || head.project !== parts.project))
    fail(`${at}.urn`, `names another stack or project than ${root}.resources[0] (an export holds one stack)`);
  for (const f of FLAGS)
    if (r[f] !== undefined && r[f] !== null && typeof r[f] !== "boolean")
      fail(`${at}.${f}`, "must be true or false");
  for (const f of ["id", "parent", "provider"])
    if (r[f] !== undefined && r[f] !== null && typeof r[f] !== "string")
      fail(`${at}.${f}`, "must be a string");
  if (typeof r.parent === "string" && r.parent && !urnParts(r.parent))
    fail(`${at}.parent`, "must be the URN of the parent resource");
  if (typeof r.provider === "string" && r.provider) {
    const cut = r.provider.lastIndexOf("::");
    if (cut < 0 || !urnParts(r.provider.slice(0, cut)))
      fail(`${at}.provider`, "must be a provider reference (the provider's URN, '::' and its id)");
  }
}

/** A URN's stack, project and type (the last of a qualified type's `$` parts), or undefined. */
function urnParts(urn: string): { stack: string; project: string; type: string } | undefined {
  if (!urn.startsWith("urn:pulumi:")) return undefined;
  const parts = urn.slice("urn:pulumi:".length).split("::");
  if (parts.length < 4 || parts.slice(0, 3).some((p) => !p)) return undefined;
  return { stack: parts[0], project: parts[1], type: parts[2].split("$").pop()! };
}

/**
 * An object with Pulumi's signature member is one of the values it names, whole, as the CLI
 * deserializes a state (sdk/go/common/resource/stack/deployment.go `DeserializePropertyValue`): a secret
 * with its ciphertext or plaintext as text, an asset or archive of the right shape, a resource
 * reference. Any other signature, or a value of the wrong shape, is refused as the CLI refuses it,
 * rather than left to the pack (rt54 #4, #5: a plaintext that is an array went unread, an unknown
 * signature stopped the pack and the whole audit with it).
 */
function checkSignature(v: Record<string, unknown>, at: string, fail: Fail): void {
  const sig = v[SECRET_SIG];
  switch (sig) {
    case SECRET_VALUE:
      if ("plaintext" in v && typeof v.plaintext !== "string")
        fail(`${at}.plaintext`, "must be the secret's value as JSON text");
      if ("ciphertext" in v && typeof v.ciphertext !== "string") fail(`${at}.ciphertext`, "must be a string");
      return;
    case ASSET_VALUE:
    case ARCHIVE_VALUE:
      try {
        checkAssetShape(v as { [k: string]: WireValue });
      } catch (e) {
        fail(at, `holds a malformed ${sig === ASSET_VALUE ? "asset" : "archive"}: ${(e as Error).message}`);
      }
      return;
    case RESOURCE_REFERENCE_SIG:
      if (typeof v.urn !== "string") fail(`${at}.urn`, "must be the URN the resource reference names");
      if ("packageVersion" in v && typeof v.packageVersion !== "string")
        fail(`${at}.packageVersion`, "must be a string");
      if ("id" in v && typeof v.id !== "string" && !isObject(v.id))
        fail(`${at}.id`, "must be the id of the resource the reference names (a string)");
      if (isObject(v.id)) checkIdMap(v.id, `${at}.id`, fail);
      return;
    case FLOAT_SIG:
      // strconv.ParseUint(hex, 16, 64), as the CLI reads it
      if (typeof v.value !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(v.value))
        fail(`${at}.value`, "must be a number's 64 bits in hexadecimal");
      return;
    case BYTE_STRING_SIG:
      // base64.StdEncoding, as the CLI reads it: padded, and blind to line breaks
      if (typeof v.value !== "string" || !isStdBase64(v.value))
        fail(`${at}.value`, "must be the string's bytes in standard base64");
      return;
    default:
      fail(at, `holds an object with an unknown Pulumi signature ${shown(sig)}`);
  }
}

/**
 * A resource reference as the CLI writes it today. Older CLIs wrote the id as a map, `{"V": id}`
 * (a bug the CLI still reads: `deserializeID`): a string V is the id, a map V an id not yet known, no
 * V a component's reference, which has none.
 */
function asWrittenNow(ref: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(ref.id)) return ref;
  const { id, ...rest } = ref;
  const v = (id as Record<string, unknown>).V;
  if (v === undefined || v === null) return rest;
  return { ...rest, id: typeof v === "string" ? v : "" };
}

/**
 * An id in the map form: `V` alone, as the bug wrote it (a resource.PropertyValue), holding the id, an
 * unknown one (`{"Element": {"V": ""}}`, no text in it) or nothing. Whatever else is there the CLI
 * drops unread, so a key in it would be judged nowhere (rt58 #3): refused.
 */
function checkIdMap(id: Record<string, unknown>, at: string, fail: Fail): void {
  for (const k of Object.keys(id))
    if (k !== "V") fail(`${at}.${k}`, "is no member of a resource reference's id (only V is)");
  const v = id.V;
  if (v === undefined || v === null || typeof v === "string") return;
  const holdsText = (x: unknown, depth: number): boolean =>
    isObject(x) ? depth > 8 || Object.values(x).some((y) => holdsText(y, depth + 1)) : x !== "" && x !== null;
  if (holdsText(v, 0))
    fail(`${at}.V`, "must be the id of the resource the reference names (a string), or an unknown id");
}

/** NaN or ±Infinity from the bits the CLI writes (any other bits read as the number they are). */
function floatOf(hex: string): number {
  return Buffer.from(hex.padStart(16, "0"), "hex").readDoubleBE(0);
}

function isStdBase64(s: string): boolean {
  const t = s.replace(/[\r\n]/g, "");
  return t.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(t);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
