/**
 * How every policy of the pack is defined and run: config parsed with zod (schema defaults apply even
 * when the engine sends no config), messages masked, waivers applied, findings collected in-process
 * for the `E2B_GUARDRAILS_REPORT` file, and case applicability recorded from stack policies.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  EnforcementLevel,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { z } from "zod";
import { caseOfPolicy, type CaseId, type Severity } from "./cases";
import { redactKeys } from "./detect/keys";
import type { ArtifactReader } from "./detect/artifacts";
import { DetectRun } from "./detect/run-state";
import type { StackIndex } from "./detect/stack-index";
import { rawProps } from "./detect/unknowns";
import { normalizeProps, type Tree } from "./detect/walk";
import { environmentCost } from "./detect/env-model";
import { locationTrailer, type FindingLocation } from "./location";
import { DEFAULT_PRICES, type Prices } from "./cost";
import { applicableCases, buildReport, buildStackReport, type CostFigures, type Finding } from "./report";
import {
  expiredWaiverMessage,
  matchWaiver,
  waivedMessage,
  waiversSchema,
  type WaiverConfig,
} from "./waivers";

export const PACK_NAME = "e2b-guardrails";

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

function withWaivers<S extends z.ZodObject>(schema: S) {
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

// ---------------------------------------------------------------------------------------------
// Effective enforcement levels. The SDK keeps the Configure map private; the report needs the level
// each finding was reported at, so we observe the ConfigureAnalyzerRequest as the SDK decodes it.

const configuredLevels = new Map<string, EnforcementLevel>();
(function observeConfigure() {
  try {
    const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const pb = require("@pulumi/pulumi/proto/analyzer_pb") as any;
    const proto = pb?.ConfigureAnalyzerRequest?.prototype;
    const original = proto?.getPolicyconfigMap;
    if (typeof original !== "function" || original.__e2bObserved) return;

    const observed = function (this: unknown, ...a: unknown[]) {
      const map = original.apply(this, a);
      try {
        configuredLevels.clear();
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        map.forEach((v: any, k: string) => {
          const l = LEVELS[v.getEnforcementlevel()];
          if (l) configuredLevels.set(k, l);
        });
      } catch {
        // Observation only; never break the SDK's own handling.
      }
      return map;
    };
    (observed as unknown as { __e2bObserved: boolean }).__e2bObserved = true;
    proto.getPolicyconfigMap = observed;
  } catch {
    // No proto module: fall back to declared levels.
  }
})();

function effectiveLevel(name: string, declared: EnforcementLevel): EnforcementLevel {
  const l = configuredLevels.get(name) ?? declared;
  return l === "remediate" ? "mandatory" : l;
}

// ---------------------------------------------------------------------------------------------
// In-process collection for the report written at AnalyzeStack.

let phase: "resource" | "stack" | "idle" = "idle";
/** The detectors' state for the current preview (recorded inputs, stack index, artifacts). */
const detectRun = new DetectRun();
const collected = new Map<string, Finding>();
const stackPoliciesRun = new Set<string>();
const stackNotApplicable = new Set<string>();
let reportPrices: Prices = DEFAULT_PRICES;

function enterResourcePhase() {
  if (phase === "stack") {
    detectRun.reset();
    collected.clear();
    stackPoliciesRun.clear();
    stackNotApplicable.clear();
  }
  phase = "resource";
}

function enterStackPhase() {
  phase = "stack";
}

export function setReportPrices(p: Prices): void {
  reportPrices = p;
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
  {
    name,
    enforcementLevel: declared,
    severity,
    description,
  }: Pick<PolicyMeta<z.ZodObject>, "name" | "enforcementLevel" | "severity" | "description">,
  waivers: readonly WaiverConfig[],
  reportViolation: ReportViolation,
): Reporter {
  const seen = new Set<string>();
  return (rawMessage: string, urn: string, opts?: ReportOptions) => {
    let message = redactKeys(rawMessage);
    const dedupe = `${urn}\u0000${message}`;
    if (seen.has(dedupe)) return;
    seen.add(dedupe);
    // A hint (`advisory`) never blocks, whatever level the policy runs at.
    const level = opts?.advisory ? "advisory" : effectiveLevel(name, declared);
    const m = matchWaiver(waivers, name, urn);
    const finding: Finding = {
      policy: name,
      caseId: caseOfPolicy(name),
      enforcementLevel: level,
      severity,
      urn,
      message,
      ...(opts?.at?.path ? { path: opts.at.path } : {}),
      ...(opts?.at?.keyFingerprint ? { keyFingerprint: opts.at.keyFingerprint } : {}),
    };
    // Last in the message, after any waiver trailer: findingFromDiagnostic reads it first.
    const at = locationTrailer(opts?.at);
    if (m && !m.expired) {
      finding.enforcementLevel = "advisory";
      finding.waiver = { reason: m.waiver.reason, owner: m.waiver.owner, expires: m.waiver.expires };
      // The object form sets the level; the SDK then uses `message` as is (no description prefix).
      (reportViolation as unknown as (v: object) => void)({
        message: `${description}\n${waivedMessage(message, m.waiver)}${at}`,
        urn,
        enforcementLevel: "advisory",
      });
    } else {
      if (m?.expired) message = expiredWaiverMessage(message, m.waiver);
      finding.message = message;
      if (opts?.advisory) {
        (reportViolation as unknown as (v: object) => void)({
          message: `${description}\n${message}${at}`,
          urn,
          enforcementLevel: "advisory",
        });
      } else reportViolation(message + at, urn);
    }
    collected.set(`${name}\u0000${dedupe}`, finding);
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
  return {
    ...describedBy(meta, schema),
    validateResource: async (args, reportViolation) => {
      enterResourcePhase();
      const config = parseConfig<S>(meta.name, schema, args.getConfig());
      // Always from this request: a cached copy could belong to an earlier preview in this process.
      const props = await normalizeProps(rawProps(args.props));
      detectRun.recordInputs(args.urn, props);
      const reporter = makeReporter(meta, config.waivers, reportViolation);
      await validate({
        type: args.type,
        urn: args.urn,
        name: args.name,
        props,
        config,
        report: (m, o) => reporter(m, args.urn, o),
        artifacts: detectRun.artifacts(args.stackTags),
        args,
      });
    },
  };
}

export interface StackContext<C> {
  index: StackIndex;
  config: C;
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
  return {
    ...describedBy(meta, schema),
    validateStack: async (args, reportViolation) => {
      enterStackPhase();
      const config = parseConfig<S>(meta.name, schema, args.getConfig());
      const index = await detectRun.indexFor(args.resources, args.stackTags);
      const reporter = makeReporter(meta, config.waivers, reportViolation);
      stackPoliciesRun.add(meta.name);
      try {
        await validate({
          index,
          config,
          report: reporter,
          notApplicable: (reason: string) => {
            stackNotApplicable.add(meta.name);
            return args.notApplicable(reason);
          },
          args,
        });
      } finally {
        writeReportFile(index);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------

function packVersion(): string {
  for (const p of [path.join(__dirname, "package.json"), path.join(__dirname, "..", "package.json")]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(p, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "e2b-guardrails-policies" && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return "0.0.0";
}

export const PACK_VERSION = packVersion();

/** Cost figures of every E2BEnvironment in the stack (environments with unknown profiles are skipped). */
export function costFiguresOf(index: StackIndex, prices: Prices = DEFAULT_PRICES): CostFigures[] {
  const out: CostFigures[] = [];
  for (const env of index.environments) {
    const c = environmentCost(env, prices);
    if ("figures" in c) out.push(c.figures);
  }
  return out;
}

/** The stack report from what this process saw (findings of Analyze and AnalyzeStack so far). */
export function currentStackReport(index: StackIndex) {
  const envNames = [...new Set(index.environments.map((e) => e.name))];
  return buildStackReport({
    stack: index.stack,
    project: index.project,
    environment: envNames.length === 1 ? envNames[0] : index.stack || envNames.join(","),
    // Only this stack's findings: a stack without Analyze calls must not inherit the previous one's.
    findings: [...collected.values()].filter((f) => index.byUrn.has(f.urn)),
    applicable: applicableCases(stackPoliciesRun, stackNotApplicable) as Set<CaseId>,
    costs: costFiguresOf(index, reportPrices),
  });
}

function writeReportFile(index: StackIndex) {
  const file = process.env.E2B_GUARDRAILS_REPORT;
  if (!file) return;
  try {
    const report = buildReport([currentStackReport(index)], {
      tool: { name: PACK_NAME, version: PACK_VERSION },
      pack: { name: PACK_NAME, version: PACK_VERSION },
    });
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, redactKeys(JSON.stringify(report, null, 2)) + "\n");
    fs.renameSync(tmp, file);
  } catch (e) {
    // A report we cannot write must not break the preview; say why on stderr (no key material).
    console.error(`e2b-guardrails: cannot write E2B_GUARDRAILS_REPORT (${redactKeys(String(e))})`);
  }
}
