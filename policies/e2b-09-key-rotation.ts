/**
 * E2B-09: key lifecycle. Every key is owned by an IaC resource (not imported from the dashboard), has a
 * creation date and is rotated before a maximum age, with overlap (the new key is stored before the
 * old one is deleted, so no `deleteBeforeReplace`), and a rotation is one config change (a trigger).
 */
import { z } from "zod";
import { NO_E2B_ENVIRONMENT, describe, managesE2B, modelledEnvironments } from "./common";
import type { Reporter } from "./policy-dsl";
import { readNumber, readString } from "./detect/env-model";
import { get, type EnvironmentResource, type StackIndex } from "./detect/stack";
import { isUnknown } from "./detect/unknowns";
import type { Tree } from "./detect/walk";
import { today } from "./waivers";
import { calendarDate, isCalendarDate } from "./model";
import { stackPolicy, type StackCheck } from "./policy-dsl";

const DAY_MS = 86_400_000;

type Config = { maxAgeDays: number; requireManagedKeys: boolean; asOf?: string };

/** One check of one modelled environment. */
type EnvironmentCheck = (
  env: EnvironmentResource,
  label: string,
  ctx: { config: Config; report: Reporter; asOf: number; ownedBy: Set<string> },
) => void;

const isImported = (env: EnvironmentResource) => {
  const src = readString(env.model, "key.source");
  return src.state === "known" && src.value === "imported";
};

/** A key imported from the dashboard cannot be rotated or revoked by anyone's `pulumi up`. */
const keyCreatedByIaC: EnvironmentCheck = (env, label, { config, report }) => {
  if (config.requireManagedKeys && isImported(env))
    report(
      `${label} imports a key created outside IaC; nobody's \`pulumi up\` can rotate or revoke it. Let the component create the key (key.source 'managed').`,
      env.resource.urn,
    );
};

/** A creation date and a rotation trigger, so a rotation is one config change. */
const rotationDeclared: EnvironmentCheck = (env, label, { report }) => {
  const urn = env.resource.urn;
  const created = readString(env.model, "rotation.createdAt");
  const trigger = readString(env.model, "rotation.trigger");
  if (created.state === "missing") report(`${label} key has no creation date. Set rotation.createdAt.`, urn);
  if (trigger.state === "missing")
    report(
      `${label} has no rotation trigger; a rotation should be one config change. Set rotation.trigger.`,
      urn,
    );
  if (created.state === "unknown" || trigger.state === "unknown")
    report(`${label} rotation settings are unknown at preview.`, urn, {
      advisory: true,
      at: { inconclusive: true },
    });
};

/** The declared maximum age within the configured one, and the key younger than both. */
const keyWithinMaximumAge: EnvironmentCheck = (env, label, { config, report, asOf }) => {
  const urn = env.resource.urn;
  const maxAge = readNumber(env.model, "rotation.maxAgeDays");
  const limit = Math.min(config.maxAgeDays, maxAge.state === "known" ? maxAge.value : config.maxAgeDays);
  if (maxAge.state === "known" && maxAge.value > config.maxAgeDays)
    report(
      `${label} allows keys to live ${maxAge.value} days, above the maximum of ${config.maxAgeDays}. Lower rotation.maxAgeDays.`,
      urn,
    );
  const created = readString(env.model, "rotation.createdAt");
  if (created.state !== "known") return;
  const t = Date.parse(`${created.value}T00:00:00Z`);
  if (!isCalendarDate(created.value)) {
    report(`${label} rotation.createdAt '${created.value}' is not a date (YYYY-MM-DD).`, urn);
    return;
  }
  const age = Math.floor((asOf - t) / DAY_MS);
  // A key is not created in the future: a mistyped year would otherwise pass for years.
  if (age < -1)
    report(
      `${label} rotation.createdAt is ${created.value}, after ${new Date(asOf).toISOString().slice(0, 10)}: that is no creation date, so the key's age is unknown. Write the day the current key was created.`,
      urn,
    );
  else if (age > limit)
    report(
      `${label} key was created on ${created.value}, ${age} days ago, beyond the maximum age of ${limit} days. Change rotation.trigger and run \`pulumi up\`.`,
      urn,
    );
};

/** A managed key is owned by an E2B key resource of this environment. */
const keyOwnedByResource: EnvironmentCheck = (env, label, { report, ownedBy }) => {
  if (isImported(env)) return;
  if (!ownedBy.has(env.resource.urn) && !ownedBy.has(`env:${env.name}`))
    report(
      `${label} declares a managed key but no E2B key resource belongs to it; the key must be owned by IaC.`,
      env.resource.urn,
    );
};

const ENVIRONMENT_CHECKS: readonly EnvironmentCheck[] = [
  keyCreatedByIaC,
  rotationDeclared,
  keyWithinMaximumAge,
  keyOwnedByResource,
];

/** Which environments own a key resource (by component ancestry or the key's environment input), once. */
function keyOwners(index: StackIndex): Set<string> {
  const ownedBy = new Set<string>();
  for (const k of index.keyResources) {
    const comp = index.environmentComponentOf(k);
    if (comp) ownedBy.add(comp.resource.urn);
    const e = get(k.props, "environment");
    if (typeof e === "string") ownedBy.add(`env:${e.toLowerCase()}`);
  }
  return ownedBy;
}

const hasRotationTrigger = (rot: unknown) =>
  !(
    rot === undefined ||
    rot === null ||
    rot === "" ||
    (typeof rot === "object" &&
      !Array.isArray(rot) &&
      !get(rot as Tree, "trigger") &&
      !isUnknown(get(rot as Tree, "trigger") as string))
  );

/** Key resources rotate with overlap (no deleteBeforeReplace) and through a rotation trigger input. */
const keyResourcesRotateWithOverlap: StackCheck<Config> = ({ index, report }) => {
  for (const k of index.keyResources) {
    if (k.deleteBeforeReplace === true)
      report(
        `${describe(k)} sets deleteBeforeReplace, so a rotation deletes the old key before the new one is stored (an outage). Remove deleteBeforeReplace.`,
        k.urn,
      );
    if (!hasRotationTrigger(get(k.props, "rotation")))
      report(
        `${describe(k)} has no rotation trigger input; rotating should be one config change. Pass rotation.`,
        k.urn,
      );
  }
};

export const keyRotation = stackPolicy(
  {
    name: "e2b-09-key-rotation",
    description:
      "Every E2B key is owned by an IaC resource, carries a creation date, is rotated before its maximum age with overlap, and rotates through one config change (a rotation trigger).",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Let the E2BEnvironment create the key (key.source 'managed') instead of importing a dashboard key.",
      "2. Set rotation.createdAt, rotation.maxAgeDays (at most the configured maximum) and a rotation.trigger.",
      "3. To rotate, change rotation.trigger and run `pulumi up`: the new key is stored before the old one is deleted (do not set deleteBeforeReplace).",
    ].join("\n"),
    config: z.object({
      maxAgeDays: z.number().int().positive().default(90).describe("Maximum key age in days."),
      requireManagedKeys: z
        .boolean()
        .default(true)
        .describe("Keys must be created by IaC, not imported from the dashboard."),
      // A date that does not exist (2025-13-01) would make every age NaN and the rule pass silently.
      asOf: calendarDate()
        .optional()
        .describe("Judge ages as of this date (YYYY-MM-DD) instead of today, for reproducible audits."),
    }),
    example:
      "E2BEnvironment 'prod' key was created on 2026-01-05, 120 days ago, beyond the maximum age of 90 days. Change rotation.trigger and run `pulumi up`.",
  },
  (ctx) => {
    const { index, config, report } = ctx;
    if (!managesE2B(index)) ctx.notApplicable(NO_E2B_ENVIRONMENT);
    const shared = {
      config,
      report,
      asOf: Date.parse(`${config.asOf ?? today()}T00:00:00Z`),
      ownedBy: keyOwners(index),
    };
    for (const env of modelledEnvironments(index, report))
      for (const check of ENVIRONMENT_CHECKS) check(env, `E2BEnvironment '${env.name}'`, shared);
    keyResourcesRotateWithOverlap(ctx);
  },
);
