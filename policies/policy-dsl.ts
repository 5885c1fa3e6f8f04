/**
 * How a policy of this pack is written: `resourcePolicy(meta, validate)` and `stackPolicy(meta,
 * validate)` turn a self-describing object (name, description, severity, level, remediation, a zod
 * config schema, an example) and a body of named checks into a CrossGuard policy. Config is parsed
 * with zod (schema defaults apply even when no config is sent), messages are masked, waivers applied,
 * and stack policies share one StackIndex per AnalyzeStack. Per-preview state lives in the preview
 * session (preview-session.ts), not here.
 */
import type {
  EnforcementLevel,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { z } from "zod";
import { caseOfPolicy, type Severity } from "./cases";
import type { Prices } from "./cost";
import type { ArtifactReader } from "./detect/artifacts";
import { redactMaterial } from "./detect/redact";
import type { ResourceScan } from "./detect/scanner";
import type { StackIndex } from "./detect/stack";
import { rawProps } from "./detect/unknowns";
import { plainTree } from "./detect/plain-tree";
import type { Tree } from "./detect/walk";
import { locationTrailer, type FindingLocation } from "./location";
import { previewSession } from "./preview-session";
import type { Finding } from "./report";
import { configuredLevel, configuredProperties, type PackConfig } from "./settings";
import {
  expiredWaiverMessage,
  matchWaiver,
  waivedMessage,
  waiversSchema,
  type WaiverConfig,
} from "./waivers";

export interface PolicyMeta<S extends z.ZodObject> {
  name: string;
  description: string;
  severity: Severity;
  enforcementLevel: EnforcementLevel;
  remediationSteps: string;
  /** Config properties (a `waivers` list is added to every policy). */
  config: S;
  /** An example violation message, for the README. */
  example: string;
  /**
   * What makes this policy judge a stack beyond its case's evidence (common.ts CASE_HAS_EVIDENCE):
   * asked when the policy config disables the policy, so that its case is judged on what the policy
   * would have seen (summary.ts), not called not-applicable.
   */
  evidence?: (index: StackIndex, config: PackConfig) => boolean;
}

export type ConfigOf<S extends z.ZodObject> = z.output<S> & { waivers: WaiverConfig[] };

/** Emit a policy config schema the way CrossGuard wants it (no `enforcementLevel`, no `$schema`). */
export function configSchemaOf(schema: z.ZodObject): {
  properties: Record<string, unknown>;
  required?: string[];
} {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  const properties = json.properties ?? {};
  if ("enforcementLevel" in properties) throw new Error("enforcementLevel is reserved by CrossGuard");
  return json.required?.length ? { properties, required: json.required } : { properties };
}

/** A policy's config schema as the pack parses it: its own settings plus `waivers`. */
export function withWaivers<S extends z.ZodObject>(schema: S) {
  return schema.extend({ waivers: waiversSchema });
}

/** Parse config; an invalid config is a clear error naming the field (the CLI validates first). */
function parseConfig<S extends z.ZodObject>(name: string, schema: z.ZodObject, raw: unknown): ConfigOf<S> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `invalid config for policy ${name}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  return r.data as ConfigOf<S>;
}

/**
 * parseConfig for one policy, remembering the last config it parsed: the SDK hands every resource of
 * a preview a fresh copy of the same config (`getConfig()`), so the schema runs once per config, not
 * once per resource. Keyed by the config's JSON text, so a new config is parsed again.
 */
function configParser<S extends z.ZodObject>(
  name: string,
  schema: z.ZodObject,
): (raw: unknown) => ConfigOf<S> {
  let last: { text: string; config: ConfigOf<S> } | undefined;
  return (raw) => {
    const text = JSON.stringify(raw ?? {});
    if (last?.text !== text) last = { text, config: parseConfig<S>(name, schema, raw) };
    return last.config;
  };
}

/**
 * A policy's settings read from the reconciled config, parsed by its own schema: what the policy sees
 * inside the pack, for code that runs outside it (cross-stack rules, reports).
 */
export function settingsOf<S extends z.ZodObject>(
  policy: { meta: PolicyMeta<S> },
  config: PackConfig,
): ConfigOf<S> {
  return parseConfig<S>(
    policy.meta.name,
    withWaivers(policy.meta.config),
    configuredProperties(config, policy.meta.name),
  );
}

/** The level a policy's findings are reported at under this config (remediate → mandatory). */
export function levelOf(policy: { meta: PolicyMeta<z.ZodObject> }, config: PackConfig): EnforcementLevel {
  const l = configuredLevel(config, policy.meta.name, policy.meta.enforcementLevel);
  return l === "remediate" ? "mandatory" : l;
}

/**
 * One finding as a policy reports it: message masked, level applied (a hint is always advisory), and
 * the policy's waivers matched. The pack's reporter and the cross-stack rules both judge with this.
 */
export function judgeFinding(args: {
  policy: string;
  severity: Severity;
  level: EnforcementLevel;
  waivers: readonly WaiverConfig[];
  urn: string;
  message: string;
  advisory?: boolean;
}): Finding {
  // The Pulumi CLI prints this message as it is: a name in it may be a key in any encoding.
  const message = redactMaterial(args.message);
  const finding: Finding = {
    policy: args.policy,
    caseId: caseOfPolicy(args.policy),
    enforcementLevel: args.advisory ? "advisory" : args.level,
    severity: args.severity,
    urn: args.urn,
    message,
  };
  const m = matchWaiver(args.waivers, args.policy, args.urn);
  if (m && !m.expired) {
    finding.enforcementLevel = "advisory";
    finding.waiver = { reason: m.waiver.reason, owner: m.waiver.owner, expires: m.waiver.expires };
  } else if (m?.expired) finding.message = expiredWaiverMessage(message, m.waiver);
  return finding;
}

/** How a policy judges findings made outside the pack: its configured level and waivers. */
export interface Judge {
  policy: string;
  finding: (urn: string, message: string, opts?: { advisory?: boolean }) => Finding;
}

/**
 * How a policy's findings are judged under this config, for its code that runs outside the pack
 * (cross-stack rules, an export's fields, a program's code); null when the policy is disabled.
 */
export function judgeAs<S extends z.ZodObject>(
  policy: { meta: PolicyMeta<S> },
  config: PackConfig,
): Judge | null {
  const level = levelOf(policy, config);
  if (level === "disabled") return null;
  const { waivers } = settingsOf(policy, config);
  const { name, severity } = policy.meta;
  return {
    policy: name,
    finding: (urn, message, opts) =>
      judgeFinding({ policy: name, severity, level, waivers, urn, message, advisory: opts?.advisory }),
  };
}

/**
 * A finding computed outside the pack (the cost change of `preview --compare-state`) judged by its
 * policy's configured waivers, as the pack's reporter judges its own.
 */
export function judgeConfiguredFinding(f: Finding, config: PackConfig): Finding {
  const waivers = (configuredProperties(config, f.policy).waivers ?? []) as WaiverConfig[];
  const judged = judgeFinding({
    policy: f.policy,
    severity: f.severity,
    level: f.enforcementLevel,
    waivers,
    urn: f.urn,
    message: f.message,
  });
  return { ...f, ...judged, caseId: f.caseId };
}

export interface ReportOptions {
  /** A hint: never blocks, whatever level the policy runs at. */
  advisory?: boolean;
  /** The property path and key fingerprint the finding is about (its stable identity in baselines). */
  at?: FindingLocation;
}

export interface Reporter {
  /** Report a finding on `urn`; the message must not contain key material (it is masked anyway). */
  (message: string, urn: string, opts?: ReportOptions): void;
}

function makeReporter(
  meta: Pick<PolicyMeta<z.ZodObject>, "name" | "enforcementLevel" | "severity" | "description">,
  waivers: readonly WaiverConfig[],
  reportViolation: ReportViolation,
): Reporter {
  const seen = new Set<string>();
  // The object form sets the level; the SDK then uses `message` as is (no description prefix).
  const reportAt = reportViolation as unknown as (v: object) => void;
  return (message: string, urn: string, opts?: ReportOptions) => {
    const f = judgeFinding({
      policy: meta.name,
      severity: meta.severity,
      level: previewSession.levelOf(meta.name, meta.enforcementLevel),
      waivers,
      urn,
      message,
      advisory: opts?.advisory,
    });
    const dedupe = `${urn}\u0000${f.message}`;
    if (seen.has(dedupe)) return;
    seen.add(dedupe);
    // Last in the message, after any waiver trailer: findingFromDiagnostic reads it first.
    const at = locationTrailer(opts?.at);
    if (f.waiver)
      reportAt({
        message: `${meta.description}\n${waivedMessage(f.message, f.waiver)}${at}`,
        urn,
        enforcementLevel: "advisory",
      });
    else if (opts?.advisory)
      reportAt({ message: `${meta.description}\n${f.message}${at}`, urn, enforcementLevel: "advisory" });
    else reportViolation(f.message + at, urn);
  };
}

// ---------------------------------------------------------------------------------------------

export interface ResourceContext<C> {
  type: string;
  urn: string;
  name: string;
  /** Inputs as a plain tree (no unknown-checking proxy). */
  props: Tree;
  config: C;
  report: (message: string, opts?: ReportOptions) => void;
  /** Reads the files the resource's assets and archives deploy (bounded, once per preview). */
  artifacts: ArtifactReader;
  /** The scan of `props` with the artifacts (once per preview: the stack policies reuse it). */
  scan: (publicPrefixes?: readonly string[]) => ResourceScan;
  args: ResourceValidationArgs;
}

export type PackPolicy = (ResourceValidationPolicy | StackValidationPolicy) & {
  meta: PolicyMeta<z.ZodObject>;
};

/** What CrossGuard reads about a policy, the same for resource and stack policies. */
function describedBy<S extends z.ZodObject>(meta: PolicyMeta<S>, schema: z.ZodObject) {
  return {
    name: meta.name,
    description: meta.description,
    severity: meta.severity,
    enforcementLevel: meta.enforcementLevel,
    remediationSteps: meta.remediationSteps,
    configSchema: configSchemaOf(schema) as ResourceValidationPolicy["configSchema"],
    meta,
  };
}

export function resourcePolicy<S extends z.ZodObject>(
  meta: PolicyMeta<S>,
  validate: (ctx: ResourceContext<ConfigOf<S>>) => void | Promise<void>,
): ResourceValidationPolicy & { meta: PolicyMeta<S> } {
  const schema = withWaivers(meta.config);
  const configOf = configParser<S>(meta.name, schema);
  return {
    ...describedBy(meta, schema),
    validateResource: async (args, reportViolation) => {
      const config = configOf(args.getConfig());
      // This request's inputs, as the analyzer hooks recorded them when it arrived (decoded once);
      // without the hooks, decoded here. Never a copy from an earlier preview: the session resets.
      const props = (await previewSession.inputsOf(args.urn)) ?? (await plainTree(rawProps(args.props)));
      const reporter = makeReporter(meta, config.waivers, reportViolation);
      const artifacts = previewSession.artifacts(args.stackTags);
      await validate({
        type: args.type,
        urn: args.urn,
        name: args.name,
        props,
        config,
        report: (m, o) => reporter(m, args.urn, o),
        artifacts,
        scan: (publicPrefixes) => previewSession.scan(args.type, props, publicPrefixes, artifacts),
        args,
      });
    },
  };
}

export interface StackContext<C> {
  index: StackIndex;
  config: C;
  /** The one price table of the pack (configured as e2b-03-sandbox-profile-and-cost.prices). */
  prices: Prices;
  report: Reporter;
  /** Declare the case not applicable to this stack (no evidence); ends the validation. */
  notApplicable: (reason: string) => never;
  args: StackValidationArgs;
}

export function stackPolicy<S extends z.ZodObject>(
  meta: PolicyMeta<S>,
  validate: (ctx: StackContext<ConfigOf<S>>) => void | Promise<void>,
): StackValidationPolicy & { meta: PolicyMeta<S> } {
  const schema = withWaivers(meta.config);
  const configOf = configParser<S>(meta.name, schema);
  return {
    ...describedBy(meta, schema),
    validateStack: async (args, reportViolation) => {
      const config = configOf(args.getConfig());
      const index = await previewSession.stackIndex(args.resources, args.stackTags);
      await validate({
        index,
        config,
        prices: previewSession.prices,
        report: makeReporter(meta, config.waivers, reportViolation),
        notApplicable: (reason: string) => args.notApplicable(reason),
        args,
      });
    },
  };
}

/** A named check of a stack policy: one concern, reading the shared context. */
export type StackCheck<C> = (ctx: StackContext<C>) => void;
