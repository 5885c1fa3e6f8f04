/**
 * E2B-09: key lifecycle. Every key is owned by an IaC resource (not imported from the dashboard), has a
 * creation date and is rotated before a maximum age, with overlap (the new key is stored before the
 * old one is deleted, so no `deleteBeforeReplace`), and a rotation is one config change (a trigger).
 */
import { z } from "zod";
import { NO_E2B_ENVIRONMENT, describe, managesE2B, modelledEnvironments } from "./common";
import { readNumber, readString } from "./detect/env-model";
import { get } from "./detect/stack";
import { isUnknown } from "./detect/unknowns";
import { today } from "./waivers";
import { stackPolicy } from "./policy-dsl";

const DAY_MS = 86_400_000;

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
      asOf: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        // A date that does not exist (2025-13-01) would make every age NaN and the rule pass silently.
        .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { message: "not a calendar date" })
        .optional()
        .describe("Judge ages as of this date (YYYY-MM-DD) instead of today, for reproducible audits."),
    }),
    example:
      "E2BEnvironment 'prod' key was created on 2026-01-05, 120 days ago, beyond the maximum age of 90 days. Change rotation.trigger and run `pulumi up`.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!managesE2B(index)) notApplicable(NO_E2B_ENVIRONMENT);
    // Which environments own a key resource (by component ancestry or the key's environment input), once.
    const ownedBy = new Set<string>();
    for (const k of index.keyResources) {
      const comp = index.environmentComponentOf(k);
      if (comp) ownedBy.add(comp.resource.urn);
      const e = get(k.props, "environment");
      if (typeof e === "string") ownedBy.add(`env:${e.toLowerCase()}`);
    }
    const asOf = Date.parse(`${config.asOf ?? today()}T00:00:00Z`);
    for (const env of modelledEnvironments(index, report)) {
      const label = `E2BEnvironment '${env.name}'`;
      const urn = env.resource.urn;
      const src = readString(env.model, "key.source");
      if (config.requireManagedKeys && src.state === "known" && src.value === "imported")
        report(
          `${label} imports a key created outside IaC; nobody's \`pulumi up\` can rotate or revoke it. Let the component create the key (key.source 'managed').`,
          urn,
        );
      const created = readString(env.model, "rotation.createdAt");
      const maxAge = readNumber(env.model, "rotation.maxAgeDays");
      const trigger = readString(env.model, "rotation.trigger");
      if (created.state === "missing")
        report(`${label} key has no creation date. Set rotation.createdAt.`, urn);
      if (trigger.state === "missing")
        report(
          `${label} has no rotation trigger; a rotation should be one config change. Set rotation.trigger.`,
          urn,
        );
      const limit = Math.min(config.maxAgeDays, maxAge.state === "known" ? maxAge.value : config.maxAgeDays);
      if (maxAge.state === "known" && maxAge.value > config.maxAgeDays)
        report(
          `${label} allows keys to live ${maxAge.value} days, above the maximum of ${config.maxAgeDays}. Lower rotation.maxAgeDays.`,
          urn,
        );
      if (created.state === "known") {
        const t = Date.parse(`${created.value}T00:00:00Z`);
        if (Number.isNaN(t))
          report(`${label} rotation.createdAt '${created.value}' is not a date (YYYY-MM-DD).`, urn);
        else {
          const age = Math.floor((asOf - t) / DAY_MS);
          if (age > limit)
            report(
              `${label} key was created on ${created.value}, ${age} days ago, beyond the maximum age of ${limit} days. Change rotation.trigger and run \`pulumi up\`.`,
              urn,
            );
        }
      }
      if (created.state === "unknown" || trigger.state === "unknown")
        report(`${label} rotation settings are unknown at preview.`, urn, { advisory: true });
      if (!(src.state === "known" && src.value === "imported")) {
        const owned = ownedBy.has(urn) || ownedBy.has(`env:${env.name}`);
        if (!owned)
          report(
            `${label} declares a managed key but no E2B key resource belongs to it; the key must be owned by IaC.`,
            urn,
          );
      }
    }
    for (const k of index.keyResources) {
      if (k.deleteBeforeReplace === true)
        report(
          `${describe(k)} sets deleteBeforeReplace, so a rotation deletes the old key before the new one is stored (an outage). Remove deleteBeforeReplace.`,
          k.urn,
        );
      const rot = get(k.props, "rotation");
      if (
        rot === undefined ||
        rot === null ||
        rot === "" ||
        (typeof rot === "object" &&
          !Array.isArray(rot) &&
          !get(rot, "trigger") &&
          !isUnknown(get(rot, "trigger") as string))
      )
        report(
          `${describe(k)} has no rotation trigger input; rotating should be one config change. Pass rotation.`,
          k.urn,
        );
    }
  },
);
