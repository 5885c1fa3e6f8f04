/**
 * Policy-pack configuration as the Pulumi CLI reconciles it (pkg/resource/analyzer/config.go): every
 * policy starts from its declared enforcement level and its schema defaults, then the pack's initial
 * config, then the user's `--policy-config` file (`"all"` first, then per-policy entries), and each
 * policy's properties are validated against its JSON schema. The full map is what Configure receives.
 */
import type { default as Ajv, ErrorObject, ValidateFunction } from "ajv";
import { InputError, jsonSyntaxProblem } from "./errors";
import { LIMITS, readBoundedText } from "./limits";
import { shortenRedacted } from "../policies/detect/keys";

import { ENFORCEMENT_LEVELS, type EnforcementLevel } from "../policies/enforcement";

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
  const apply = (name: string, value: unknown, field: string) => {
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
      else entry.properties[k] = v;
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
  if ("all" in user) {
    const all = user.all;
    if (typeof all !== "string" && (typeof all !== "object" || all === null || Array.isArray(all)))
      throw new InputError(`${source}: field 'all' must be an enforcement level or an object`);
    const level =
      typeof all === "string" ? all : (all as { enforcementLevel?: unknown } | null)?.enforcementLevel;
    if (level !== undefined) {
      const checked = checkLevel(level, `${source}: field 'all'`);
      for (const e of out.values()) e.enforcementLevel = checked;
    }
  }
  for (const [name, v] of Object.entries(user)) {
    if (name === "all") continue;
    if (!out.has(name))
      throw new InputError(`${source}: field '${name}': the pack has no policy named '${name}'`);
    apply(name, v, name);
  }
  validate(policies, out, source);
  return out;
}

function checkLevel(v: unknown, where: string): Level {
  if (typeof v === "string" && (levels as readonly string[]).includes(v)) return v as Level;
  throw new InputError(
    `${where} must be one of ${levels.join(", ")} (got ${shortenRedacted(JSON.stringify(v) ?? String(v), 40)})`,
  );
}

function validate(
  policies: readonly PolicyDescriptor[],
  config: Map<string, ReconciledEntry>,
  source: string,
): void {
  for (const p of policies) {
    if (!p.configSchema) continue;
    const check = validatorFor(p.configSchema);
    if (!check(config.get(p.name)!.properties)) {
      throw new InputError(`${source}: policy '${p.name}': ${describe(check.errors![0])}`);
    }
  }
}

/**
 * One compiled validator per distinct schema, for the process's life: compiling our pack's 14 schemas
 * costs ~130 ms of CPU, paid once per process instead of once per Configure (a process that
 * reconfigures its packs, like the tests' shared scanner, sends dozens). Keyed by the schema's text,
 * so another pack process with the same policies reuses them.
 */
const validators = new Map<string, ValidateFunction>();
let ajv: Ajv | undefined;

function validatorFor(configSchema: PolicySchema): ValidateFunction {
  const schema = {
    type: "object",
    properties: configSchema.properties,
    required: configSchema.required ?? [],
  };
  const key = JSON.stringify(schema);
  let check = validators.get(key);
  if (!check) {
    if (!ajv) {
      // Loaded here, not at the top: every process that reads a report or a config would pay ~0.2 s
      // of CPU for ajv, and only reconciling a pack's config validates anything.
      const { default: AjvClass } = require("ajv") as typeof import("ajv");
      const { default: addFormats } = require("ajv-formats") as typeof import("ajv-formats");
      ajv = new AjvClass({ allErrors: false, strict: false });
      addFormats(ajv);
    }
    check = ajv.compile(schema);
    validators.set(key, check);
  }
  return check;
}

function describe(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
  if (e.keyword === "required")
    return `field '${(e.params as { missingProperty: string }).missingProperty}' is required`;
  if (e.keyword === "additionalProperties") {
    return `field '${field ? field + "." : ""}${(e.params as { additionalProperty: string }).additionalProperty}' is not allowed`;
  }
  return `field '${field || "(root)"}' ${e.message ?? "is invalid"}`;
}
