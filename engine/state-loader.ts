/**
 * Reads `pulumi stack export` files (deployment version 3) into a ResourceGraph. Secrets arrive either
 * encrypted (`ciphertext`: we cannot read them, so they become the opaque secret `"[secret]"`, as
 * `pulumi policy analyze --file` does) or shown with `--show-secrets` (`plaintext`: a JSON encoding
 * of the value).
 */
import { readFileSync } from "node:fs";
import { InputError, jsonSyntaxProblem } from "./errors";
import {
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

export function loadStateExport(file: string): ResourceGraph {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${jsonSyntaxProblem(e)})`, file);
  }
  return parseStateExport(doc, file);
}

export function parseStateExport(doc: unknown, file: string): ResourceGraph {
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${file}: field '${field}' ${problem}`, file);
  };
  if (!isObject(doc)) return fail("(root)", "must be an object (a `pulumi stack export` file)");
  if (doc.version !== 3)
    fail("version", `is ${JSON.stringify(doc.version)}; expected 3 (deployment format v3)`);
  const deployment = doc.deployment;
  if (!isObject(deployment)) return fail("deployment", "is missing");
  const rawResources = deployment.resources ?? [];
  if (!Array.isArray(rawResources)) return fail("deployment.resources", "must be an array");

  const resources: GraphResource[] = rawResources.map((r, i) => {
    const at = `deployment.resources[${i}]`;
    if (!isObject(r)) return fail(at, "must be an object");
    if (typeof r.urn !== "string" || !r.urn.startsWith("urn:pulumi:"))
      fail(`${at}.urn`, "must be a Pulumi URN");
    if (typeof r.type !== "string" || !r.type) fail(`${at}.type`, "is required");
    const urn = r.urn as string;
    const props = (v: unknown, field: string): WireObject => {
      if (v === undefined || v === null) return {};
      if (!isObject(v)) return fail(`${at}.${field}`, "must be an object");
      return convertSecrets(v, `${at}.${field}`, fail) as WireObject;
    };
    const strings = (v: unknown, field: string): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
        return fail(`${at}.${field}`, "must be an array of URNs");
      return v as string[];
    };
    const propertyDependencies: Record<string, string[]> = {};
    if (r.propertyDependencies !== undefined && r.propertyDependencies !== null) {
      if (!isObject(r.propertyDependencies)) fail(`${at}.propertyDependencies`, "must be an object");
      for (const [k, v] of Object.entries(r.propertyDependencies as object)) {
        propertyDependencies[k] = strings(v, `propertyDependencies.${k}`);
      }
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
        additionalSecretOutputs: Array.isArray(r.additionalSecretOutputs)
          ? (r.additionalSecretOutputs as string[])
          : undefined,
      },
    };
  });

  const first = resources[0]?.urn ?? "";
  const [, stackPart, projectPart] = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(first) ?? [];
  const [stack, project] = [stackPart, projectPart].map((x) => x ?? "");
  return {
    project: project || "unknown",
    stack: stack || "unknown",
    organization: "organization",
    source: { kind: "state", path: file },
    tags: {},
    config: {},
    resources,
  };
}

/**
 * Copy a property tree, decoding secrets. The field path of a node is needed only for an error, so it
 * is built from the chain of parents then, not concatenated for every node of a large export.
 */
function convertSecrets(v: unknown, at: string, fail: (field: string, problem: string) => never): WireValue {
  return convert(v, { up: null, seg: at }, fail);
}

interface At {
  up: At | null;
  seg: string | number;
}

function pathOf(at: At): string {
  const segs: Array<string | number> = [];
  for (let a: At | null = at; a; a = a.up) segs.push(a.seg);
  let out = "";
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i];
    out += typeof s === "number" ? `[${s}]` : out ? `.${s}` : s;
  }
  return out;
}

function convert(v: unknown, at: At, fail: (field: string, problem: string) => never): WireValue {
  if (Array.isArray(v)) {
    const out: WireValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      out[i] = x !== null && typeof x === "object" ? convert(x, { up: at, seg: i }, fail) : (x as WireValue);
    }
    return out;
  }
  if (!isObject(v)) return v as WireValue;
  if (v[SECRET_SIG] === SECRET_VALUE) {
    if (typeof v.plaintext === "string") {
      try {
        return secretValue(JSON.parse(v.plaintext) as WireValue);
      } catch {
        return fail(pathOf(at), "holds a secret whose plaintext is not JSON");
      }
    }
    if ("value" in v) return secretValue(convert(v.value, { up: at, seg: "value" }, fail));
    return secretValue(OPAQUE_SECRET);
  }
  const out: WireObject = {};
  for (const k in v) {
    const x = v[k];
    out[k] = x !== null && typeof x === "object" ? convert(x, { up: at, seg: k }, fail) : (x as WireValue);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
