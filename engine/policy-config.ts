/**
 * Policy-pack configuration as the Pulumi CLI reconciles it (pkg/resource/analyzer/config.go): every
 * policy starts from its declared enforcement level and its schema defaults, then the pack's initial
 * config, then the user's `--policy-config` file (`"all"` first, then per-policy entries), and each
 * policy's properties are validated against its JSON schema. The full map is what Configure receives.
 */
import { Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import { InputError, jsonSyntaxProblem } from "./errors";
import { LIMITS, readBoundedText } from "./limits";
import { quoteValue } from "../policies/detect/keys";

import { ENFORCEMENT_LEVELS, type EnforcementLevel } from "../policies/enforcement";
import { ALL_POLICIES, unknownPolicy, unknownSetting } from "../policies/config-settings";

/** The one enforcement-level type and order (policies/enforcement.ts: protocol vocabulary, no policy). */
export type Level = EnforcementLevel;
export const levels: readonly Level[] = ENFORCEMENT_LEVELS;

export interface PolicySchema {
  properties: Record<string, unknown>;
  required?: string[];
}

export interface PolicyDescriptor {
  name: string;
  enforcementLevel: Level;
  configSchema?: PolicySchema;
}

export interface ReconciledEntry {
  enforcementLevel: Level;
  properties: Record<string, unknown>;
}

export type UserPolicyConfig = Record<string, unknown>;

/** Read and shape-check a `--policy-config` file (the CLI's `--policy-pack-config` format). */
export function readPolicyConfigFile(file: string): UserPolicyConfig {
  const text = readBoundedText(file, LIMITS.policyConfigBytes);
  if (text.trim() === "") return {}; // The CLI accepts an empty file.
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${jsonSyntaxProblem(e)})`, file);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InputError(`${file}: must be a JSON object keyed by policy name`, file);
  }
  return doc as UserPolicyConfig;
}

function schemaDefaults(schema: PolicySchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema?.properties ?? {})) {
    if (v && typeof v === "object" && "default" in v)
      out[k] = structuredClone((v as { default: unknown }).default);
  }
  return out;
}

export function reconcilePolicyConfig(
  policies: readonly PolicyDescriptor[],
  initial: Record<string, { enforcementLevel?: Level; properties?: Record<string, unknown> }>,
  user: UserPolicyConfig,
  source = "policy config",
): Map<string, ReconciledEntry> {
  const out = new Map<string, ReconciledEntry>();
  for (const p of policies) {
    out.set(p.name, { enforcementLevel: p.enforcementLevel, properties: schemaDefaults(p.configSchema) });
  }
  /** A user's setting the policy does not have is a typo or a setting that moved: said, not ignored. */
  const checkSetting = (name: string, key: string) => {
    const problem = unknownSetting(policies, name, key);
    if (problem) throw new InputError(`${source}: ${problem}`);
  };
  const apply = (name: string, value: unknown, field: string, user = false) => {
    const entry = out.get(name)!;
    if (typeof value === "string") {
      entry.enforcementLevel = checkLevel(value, `${source}: field '${field}'`);
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InputError(`${source}: field '${field}' must be an enforcement level or an object`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (k === "enforcementLevel")
        entry.enforcementLevel = checkLevel(v, `${source}: field '${field}.enforcementLevel'`);
      else {
        if (user) checkSetting(name, k);
        entry.properties[k] = v;
      }
    }
  };
  // The pack's initial config may set "all" too (the CLI's applyConfig treats both layers alike).
  const initialAll = initial.all?.enforcementLevel;
  if (initialAll) {
    const checked = checkLevel(initialAll, `policy pack initial config: field 'all'`);
    for (const e of out.values()) e.enforcementLevel = checked;
  }
  for (const [name, v] of Object.entries(initial)) {
    if (!out.has(name)) continue;
    apply(
      name,
      { ...(v.properties ?? {}), ...(v.enforcementLevel ? { enforcementLevel: v.enforcementLevel } : {}) },
      name,
    );
  }
  if ("environments" in user) {
    throw new InputError(
      `${source}: field 'environments': ESC environments need a Pulumi Cloud backend; not supported offline`,
    );
  }
  if (ALL_POLICIES in user) {
    const all = user.all;
    if (typeof all !== "string" && (typeof all !== "object" || all === null || Array.isArray(all)))
      throw new InputError(`${source}: field 'all' must be an enforcement level or an object`);
    if (typeof all === "object") for (const k of Object.keys(all as object)) checkSetting(ALL_POLICIES, k);
    const level =
      typeof all === "string" ? all : (all as { enforcementLevel?: unknown } | null)?.enforcementLevel;
    if (level !== undefined) {
      const checked = checkLevel(level, `${source}: field 'all'`);
      for (const e of out.values()) e.enforcementLevel = checked;
    }
  }
  for (const [name, v] of Object.entries(user)) {
    if (name === ALL_POLICIES) continue;
    const unknown = unknownPolicy(policies, name);
    if (unknown) throw new InputError(`${source}: ${unknown}`);
    apply(name, v, name, true);
  }
  validate(policies, out, source);
  return out;
}

function checkLevel(v: unknown, where: string): Level {
  if (typeof v === "string" && (levels as readonly string[]).includes(v)) return v as Level;
  throw new InputError(
    `${where} must be one of ${levels.join(", ")} (got ${quoteValue(JSON.stringify(v) ?? String(v), 40)})`,
  );
}

function validate(
  policies: readonly PolicyDescriptor[],
  config: Map<string, ReconciledEntry>,
  source: string,
): void {
  for (const p of policies) {
    if (!p.configSchema) continue;
    const { schema, validator } = validatorFor(p.configSchema);
    const properties = config.get(p.name)!.properties;
    const r = validator.validate(properties);
    if (!r.valid) {
      throw new InputError(`${source}: policy '${p.name}': ${describe(r.errors, schema, properties)}`);
    }
  }
}

/**
 * One validator per distinct schema, for the process's life (a process that reconfigures its packs,
 * like the tests' shared scanner, sends dozens of Configures). @cfworker/json-schema interprets the
 * schema instead of generating code: our pack's 14 schemas cost ~9 ms of CPU where ajv's compile took
 * ~185 ms (plus its load), paid by every command that starts a pack. Draft 7, as the CLI's validator
 * reads a pack's schemas; formats are checked.
 */
const validators = new Map<string, { schema: Schema; validator: Validator }>();

function validatorFor(configSchema: PolicySchema): { schema: Schema; validator: Validator } {
  const schema: Schema = {
    type: "object",
    properties: configSchema.properties as Record<string, Schema>,
    required: configSchema.required ?? [],
  };
  const key = JSON.stringify(schema);
  let entry = validators.get(key);
  if (!entry) {
    entry = { schema, validator: new Validator(schema, "7", true) };
    validators.set(key, entry);
  }
  return entry;
}

/** Keywords whose error only says that something inside failed; the error after them says what. */
const WRAPPERS = new Set(["properties", "items", "additionalItems", "allOf", "$ref", "false"]);

/** A JSON pointer's segments ("#/waivers/0/urn" → waivers, 0, urn). */
function segments(pointer: string): string[] {
  return pointer
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((s) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(pointer: string, root: unknown): unknown {
  let v = root;
  for (const k of segments(pointer))
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

const fieldOf = (pointer: string) => segments(pointer).join(".");

/** What a failed keyword requires, in ajv's wording (which the CLI's messages resemble). */
const MUST: Record<string, (rule: unknown) => string> = {
  maximum: (r) => `must be <= ${r}`,
  minimum: (r) => `must be >= ${r}`,
  exclusiveMaximum: (r) => `must be < ${r}`,
  exclusiveMinimum: (r) => `must be > ${r}`,
  type: (r) => `must be ${Array.isArray(r) ? r.join(",") : r}`,
  minLength: (r) => `must NOT have fewer than ${r} characters`,
  maxLength: (r) => `must NOT have more than ${r} characters`,
  minItems: (r) => `must NOT have fewer than ${r} items`,
  maxItems: (r) => `must NOT have more than ${r} items`,
  pattern: (r) => `must match pattern "${r}"`,
  format: (r) => `must match format "${r}"`,
  enum: () => "must be equal to one of the allowed values",
  const: () => "must be equal to constant",
};

/** One line naming the innermost failing field and what it must be. */
function describe(errors: OutputUnit[], schema: Schema, instance: unknown): string {
  const e = [...errors].reverse().find((u) => !WRAPPERS.has(u.keyword)) ?? errors[errors.length - 1];
  const field = fieldOf(e.instanceLocation);
  const prefix = field ? field + "." : "";
  const rule = valueAt(e.keywordLocation, schema);
  if (e.keyword === "required") {
    const value = valueAt(e.instanceLocation, instance);
    const missing = ((rule as string[] | undefined) ?? []).find(
      (k) => !(value && typeof value === "object" && k in value),
    );
    return `field '${prefix}${missing ?? "?"}' is required`;
  }
  if (e.keyword === "additionalProperties") {
    const extra = errors[errors.indexOf(e) + 1];
    return `field '${extra ? fieldOf(extra.instanceLocation) : prefix + "?"}' is not allowed`;
  }
  return `field '${field || "(root)"}' ${MUST[e.keyword]?.(rule) ?? e.error.replace(/\.$/, "")}`;
}
