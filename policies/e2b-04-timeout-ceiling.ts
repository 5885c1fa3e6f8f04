/**
 * E2B-04: timeout ceilings. Every environment sets a sandbox timeout ceiling at or below the configured
 * maximum for its tier and the plan's limit (Hobby 1 h, Pro 24 h); non-production ceilings are shorter
 * than production's; auto-pause is off or bounded (paused sandboxes keep snapshots until killed).
 * Timeouts handed to applications in env vars (`E2B_SANDBOX_TIMEOUT_MS`, …) must respect the ceiling.
 */
import { z } from "zod";
import {
  NO_E2B_ENVIRONMENT,
  describe,
  managesE2B,
  orphanKeys,
  modelledEnvironments,
  regexSchema,
} from "./common";
import { planLimits, type Tier } from "./model";
import { planOf, readBoolean, readNumber, tierOf } from "./detect/env-model";
import type { EnvironmentResource } from "./detect/stack";
import { stackPolicy, type Reporter, type StackCheck } from "./policy-dsl";
import { DEFAULT_ENVIRONMENT_TAG_KEYS, environmentKey } from "./detect/environment";
import type { IndexedResource, StackIndex } from "./detect/stack-index";

const config = z.object({
  maxTimeoutSecondsByTier: z
    .object({
      production: z.number().int().positive().default(3_600),
      staging: z.number().int().positive().default(3_600),
      "load-test": z.number().int().positive().default(1_800),
      development: z.number().int().positive().default(1_800),
    })
    .default({ production: 3_600, staging: 3_600, "load-test": 1_800, development: 1_800 })
    .describe("Largest timeout ceiling (seconds) allowed per tier."),
  maxPausedSeconds: z
    .number()
    .int()
    .positive()
    .default(604_800)
    .describe("Longest a paused sandbox may be kept (seconds)."),
  timeoutEnvVarPattern: regexSchema(
    "^(E2B_)?SANDBOX_TIMEOUT(_MS|_SECONDS|_S)?$|^E2B_TIMEOUT(_MS|_SECONDS|_S)?$",
    "Regex for env vars that hand a sandbox timeout to applications (`_MS` means milliseconds).",
  ),
});

type Config = z.output<typeof config>;

/** An environment's timeout ceiling as the checks need it (known values only). */
interface Ceiling {
  name: string;
  urn: string;
  tier: Tier | null;
  seconds: number;
}

/** A set ceiling, at or below its tier's maximum and its plan's limit; its value when known. */
function ceilingWithinLimits(
  env: EnvironmentResource,
  label: string,
  { config, report }: { config: Config; report: Reporter },
): Ceiling | undefined {
  const urn = env.resource.urn;
  const c = readNumber(env.model, "timeoutCeilingSeconds");
  if (c.state === "missing") {
    report(`${label} sets no sandbox timeout ceiling. Set timeoutCeilingSeconds.`, urn);
    return undefined;
  }
  if (c.state === "unknown") {
    report(`${label} timeout ceiling is unknown at preview.`, urn, {
      advisory: true,
      at: { inconclusive: true },
    });
    return undefined;
  }
  const v = c.value;
  const tier = tierOf(env);
  const tierMax = tier ? config.maxTimeoutSecondsByTier[tier] : undefined;
  if (tierMax !== undefined && v > tierMax)
    report(
      `${label} timeout ceiling ${v}s exceeds the ${tier} maximum of ${tierMax}s. Lower timeoutCeilingSeconds.`,
      urn,
    );
  const plan = planOf(env.model);
  if (plan && v > planLimits[plan].maxTimeoutSeconds)
    report(
      `${label} timeout ceiling ${v}s exceeds the ${plan} plan limit of ${planLimits[plan].maxTimeoutSeconds}s; E2B rejects such sandboxes.`,
      urn,
    );
  return { name: env.name, urn, tier, seconds: v };
}

/** With auto-pause on, paused sandboxes (which keep their snapshots) are killed within the maximum. */
function autoPauseBounded(
  env: EnvironmentResource,
  label: string,
  { config, report }: { config: Config; report: Reporter },
): void {
  const ap = readBoolean(env.model, "autoPause.enabled");
  if (!(ap.state === "known" && ap.value)) return;
  const mp = readNumber(env.model, "autoPause.maxPausedSeconds");
  if (mp.state === "missing")
    report(
      `${label} enables auto-pause without autoPause.maxPausedSeconds; paused sandboxes keep their snapshots until killed. Bound it.`,
      env.resource.urn,
    );
  else if (mp.state === "known" && mp.value > config.maxPausedSeconds)
    report(
      `${label} keeps paused sandboxes up to ${mp.value}s, above the maximum of ${config.maxPausedSeconds}s. Lower autoPause.maxPausedSeconds.`,
      env.resource.urn,
    );
}

/** Non-production ceilings are shorter than production's (the shortest production one). */
function nonProductionShorter(ceilings: readonly Ceiling[], report: Reporter): void {
  const prodCeilings = ceilings.filter((c) => c.tier === "production").map((c) => c.seconds);
  if (!prodCeilings.length) return;
  const prod = Math.min(...prodCeilings);
  for (const k of ceilings)
    if (k.tier && k.tier !== "production" && k.seconds >= prod)
      report(
        `E2BEnvironment '${k.name}' (${k.tier}) timeout ceiling ${k.seconds}s is not shorter than production's ${prod}s. Non-production ceilings must be shorter.`,
        k.urn,
      );
}

/** Timeouts handed to applications in env vars respect their environment's ceiling (else the plan's). */
function timeoutEnvVarsWithinCeiling(
  { index, config, report }: Parameters<StackCheck<Config>>[0],
  ceilings: readonly Ceiling[],
): void {
  // `prod` and `production` are one environment (environmentKey), whichever spelling each side uses.
  const ceilingByEnv = new Map(ceilings.map((c) => [environmentKey(c.name), c]));
  const pattern = new RegExp(config.timeoutEnvVarPattern);
  for (const r of index.resources) {
    for (const l of index.scan(r).named) {
      if (!l.envName || !pattern.test(l.envName) || l.unknown) continue;
      const seconds = timeoutSeconds(l.value, /_MS$/.test(l.envName));
      if (seconds === undefined) {
        if (typeof l.value === "string" && l.value.trim() !== "")
          report(
            `${describe(r)} sets ${l.envName} to a value that is not read as a duration, so it was not held to a ceiling. Write it in seconds${/_MS$/.test(l.envName) ? " (milliseconds for a _MS variable)" : ""}.`,
            r.urn,
            { advisory: true, at: { path: l.path, inconclusive: true } },
          );
        continue;
      }
      const env = index.environmentOf(r, DEFAULT_ENVIRONMENT_TAG_KEYS);
      const ceiling =
        ceilingByEnv.get(environmentKey(env.name)) ??
        ceilingOfDependencies(index, r, ceilingByEnv) ??
        (ceilings.length === 1 ? ceilings[0] : undefined);
      const limit = ceiling?.seconds ?? planLimits.pro.maxTimeoutSeconds;
      if (seconds > limit)
        report(
          `${describe(r)} sets ${l.envName}=${l.value} (${seconds}s), above ${ceiling !== undefined ? `environment ${ceiling.name}'s ceiling of ${ceiling.seconds}s` : `the largest plan limit of ${limit}s`}. Lower it to the ceiling.`,
          r.urn,
        );
    }
  }
}

/** Go-style duration parts (`6h`, `1h30m`, `21600s`, `500ms`), in seconds per unit. */
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gi;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A timeout variable's value in seconds: a number (milliseconds for a `_MS` variable), digits with
 * thousands separators (`21,600`, `21_600`), or a duration with units (`6h`, `1h30m`, `21600s`);
 * undefined when it reads as none of these, or as two: `21.600` is 21.6 s with a decimal point and
 * six hours where a dot groups thousands.
 */
export function timeoutSeconds(value: unknown, inMilliseconds: boolean): number | undefined {
  const scale = (n: number) => (inMilliseconds ? n / 1000 : n);
  if (typeof value === "number") return Number.isFinite(value) ? scale(value) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^[1-9]\d{0,2}\.\d{3}$/.test(text)) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return scale(Number(text));
  if (/^\d{1,3}([,_]\d{3})+$/.test(text)) return scale(Number(text.replace(/[,_]/g, "")));
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/i.test(text)) return undefined;
  let seconds = 0;
  for (const m of text.matchAll(DURATION_PART)) seconds += Number(m[1]) * UNIT_SECONDS[m[2].toLowerCase()];
  return seconds;
}

/**
 * The ceiling of the environment a resource takes values from (a Lambda given an environment's secret
 * locator or sandbox policy) when its own environment name matches none: the strictest, if several.
 */
function ceilingOfDependencies(
  index: StackIndex,
  r: IndexedResource,
  byEnv: ReadonlyMap<string, Ceiling>,
): Ceiling | undefined {
  let found: Ceiling | undefined;
  for (const u of r.dependencies) {
    const dep = index.byUrn.get(u);
    const comp = dep && index.environmentComponentOf(dep);
    const c = comp && byEnv.get(environmentKey(comp.name));
    if (c && (!found || c.seconds < found.seconds)) found = c;
  }
  return found;
}

export const timeoutCeiling = stackPolicy(
  {
    name: "e2b-04-timeout-ceiling",
    description:
      "Each E2B environment sets a sandbox timeout ceiling within its tier's maximum and its plan's limit, non-production ceilings are shorter than production's, and auto-pause is bounded.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Set `timeoutCeilingSeconds` on the E2BEnvironment at or below the tier maximum and the plan limit (Hobby 3600 s, Pro 86400 s).",
      "2. Make staging, load-test and development ceilings shorter than production's.",
      "3. With auto-pause on, set `autoPause.maxPausedSeconds` so paused sandboxes are killed.",
    ].join("\n"),
    config,
    example:
      "E2BEnvironment 'dev' timeout ceiling 7200s exceeds the development maximum of 1800s. Lower timeoutCeilingSeconds.",
  },
  (ctx) => {
    const { index, report } = ctx;
    if (!managesE2B(index)) ctx.notApplicable(NO_E2B_ENVIRONMENT);
    const ceilings: Ceiling[] = [];
    for (const env of modelledEnvironments(index, report)) {
      const label = `E2BEnvironment '${env.name}'`;
      const c = ceilingWithinLimits(env, label, ctx);
      if (c) ceilings.push(c);
      autoPauseBounded(env, label, ctx);
    }
    nonProductionShorter(ceilings, report);
    timeoutEnvVarsWithinCeiling(ctx, ceilings);
    for (const k of orphanKeys(index))
      report(
        `${describe(k)} is not part of an E2BEnvironment, so no timeout ceiling is declared for it.`,
        k.urn,
      );
  },
);
