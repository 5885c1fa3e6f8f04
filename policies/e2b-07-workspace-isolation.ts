/**
 * E2B-07: production runs in its own E2B team (workspace/project), apart from load-test and dev, so a
 * runaway test cannot take production's concurrency quota (20 Hobby / 100 Pro) or budget; each
 * environment declares a concurrency cap that fits its team's quota. An optional teams inventory in
 * config pins which tiers each team may serve.
 */
import { z } from "zod";
import { NO_E2B_ENVIRONMENT, describe, managesE2B, modelledEnvironments } from "./common";
import { planLimits, plans, tiers } from "./model";
import { planOf, readNumber, readString, tierOf } from "./detect/env-model";
import { get } from "./detect/stack";
import { isUnknown } from "./detect/unknowns";
import { stackPolicy } from "./policy-dsl";

export const workspaceIsolation = stackPolicy(
  {
    name: "e2b-07-workspace-isolation",
    description:
      "Production runs in its own E2B team, separate from load-test and development; each environment's concurrency cap fits its team's quota.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Create a separate E2B team for production and point the production E2BEnvironment's teamId at it.",
      "2. Set sandbox.maxConcurrency per environment so the caps of one team sum to at most its quota.",
      "3. List your teams in this policy's `teams` config to pin which tiers each may serve.",
    ].join("\n"),
    config: z.object({
      isolatedTiers: z
        .array(z.enum(tiers))
        .default(["load-test", "development"])
        .describe("Tiers that must not share an E2B team with production."),
      teams: z
        .array(
          z.object({
            id: z.string().min(1),
            plan: z.enum(plans).optional(),
            tiers: z.array(z.enum(tiers)).optional().describe("Tiers this team may serve."),
            maxConcurrency: z
              .number()
              .int()
              .positive()
              .optional()
              .describe("The team's concurrency quota (default: its plan's)."),
          }),
        )
        .default([])
        .describe("Inventory of E2B teams; when non-empty, every environment's team must be listed."),
    }),
    example:
      "E2BEnvironment 'loadtest' (load-test) shares E2B team team-shared with production environment prod; a runaway test would take production's concurrency quota and budget. Give production its own team.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!managesE2B(index)) notApplicable(NO_E2B_ENVIRONMENT);
    const inventory = new Map(config.teams.map((t) => [t.id, t]));
    const byTeam = new Map<
      string,
      Array<{
        name: string;
        tier: string | null;
        urn: string;
        cap?: number;
        capUnknown: boolean;
        plan: string | null;
      }>
    >();
    const environments = modelledEnvironments(index, report);
    for (const env of environments) {
      const label = `E2BEnvironment '${env.name}'`;
      const team = readString(env.model, "teamId");
      const tier = tierOf(env);
      const plan = planOf(env.model);
      const cap = readNumber(env.model, "sandbox.maxConcurrency");
      if (team.state === "missing") {
        report(`${label} declares no E2B team. Set teamId.`, env.resource.urn);
        continue;
      }
      if (cap.state === "known" && plan && cap.value > planLimits[plan].maxConcurrency)
        report(
          `${label} caps concurrency at ${cap.value}, above the ${plan} plan quota of ${planLimits[plan].maxConcurrency}. Lower sandbox.maxConcurrency.`,
          env.resource.urn,
        );
      if (team.state !== "known") {
        // Which team is hidden: whether it is production's, or listed, is what this case judges.
        if (inventory.size || environments.length > 1)
          report(
            `${label} team is unknown at preview (teamId is a secret that could not be decrypted here, or a value not known yet), so whether it shares an E2B team with another environment${inventory.size ? " or is in the teams inventory" : ""} was not judged.`,
            env.resource.urn,
            { advisory: true, at: { path: "teamId", unknown: true, inconclusive: true } },
          );
        continue;
      }
      const list = byTeam.get(team.value) ?? byTeam.set(team.value, []).get(team.value)!;
      list.push({
        name: env.name,
        tier,
        urn: env.resource.urn,
        cap: cap.state === "known" ? cap.value : undefined,
        capUnknown: cap.state === "unknown",
        plan,
      });
      if (inventory.size) {
        const t = inventory.get(team.value);
        if (!t)
          report(
            `${label} uses E2B team ${team.value}, which is not in the teams inventory.`,
            env.resource.urn,
          );
        else if (t.tiers && tier && !t.tiers.includes(tier))
          report(
            `${label} (${tier}) uses E2B team ${team.value}, which the teams inventory reserves for ${t.tiers.join(", ")}.`,
            env.resource.urn,
          );
      }
    }
    for (const [team, envs] of byTeam) {
      // Names listed in messages are joined once per team, so many environments stay linear.
      const prodNames = envs
        .filter((e) => e.tier === "production")
        .map((p) => p.name)
        .join(", ");
      if (prodNames)
        for (const e of envs)
          if (e.tier && (config.isolatedTiers as string[]).includes(e.tier))
            report(
              `E2BEnvironment '${e.name}' (${e.tier}) shares E2B team ${team} with production environment ${prodNames}; a runaway test would take production's concurrency quota and budget. Give production its own team.`,
              e.urn,
            );
      const caps = envs.filter((e) => e.cap !== undefined);
      const plan = envs.find((e) => e.plan)?.plan as keyof typeof planLimits | undefined;
      const quota =
        inventory.get(team)?.maxConcurrency ?? (plan ? planLimits[plan].maxConcurrency : undefined);
      const total = caps.reduce((s, e) => s + (e.cap ?? 0), 0);
      if (quota !== undefined && envs.length > 1 && total > quota) {
        const message = `E2B team ${team} quota is ${quota} concurrent sandboxes, but its environments (${caps.map((c) => `${c.name}: ${c.cap}`).join(", ")}) cap ${total} in total. Lower the caps or split the team.`;
        for (const e of caps) report(message, e.urn);
      } else if (quota !== undefined && envs.length > 1) {
        // The caps that are known fit; one not known at preview may not.
        for (const e of envs)
          if (e.capUnknown)
            report(
              `E2BEnvironment '${e.name}' concurrency cap is unknown at preview, so whether the caps of team ${team} fit its quota of ${quota} was not judged.`,
              e.urn,
              { advisory: true, at: { path: "sandbox.maxConcurrency", unknown: true, inconclusive: true } },
            );
      }
    }
    for (const k of index.keyResources) {
      const comp = index.environmentComponentOf(k);
      const kt = get(k.props, "teamId");
      const ct = comp ? readString(comp.model, "teamId") : undefined;
      if (comp && typeof kt === "string" && !isUnknown(kt) && ct?.state === "known" && kt !== ct.value)
        report(
          `${describe(k)} is created in E2B team ${kt} but its environment '${comp.name}' declares team ${ct.value}.`,
          k.urn,
        );
    }
  },
);
