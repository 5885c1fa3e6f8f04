/**
 * E2B-05: a monthly budget per environment with alert thresholds routed to an owner; load-test and
 * development also have a hard stop; the budget is at least the modelled expected spend (cost.ts, at
 * the pack's one price table).
 */
import { z } from "zod";
import {
  NO_E2B_ENVIRONMENT,
  checkAlarmsDeployed,
  describe,
  managesE2B,
  mutedAlarms,
  orphanKeys,
  modelledEnvironments,
} from "./common";
import { describeCost, pricesSchema, usd } from "./cost";
import {
  environmentCost,
  readBoolean,
  readNumber,
  readNumbers,
  readString,
  tierOf,
} from "./detect/env-model";
import { tiers } from "./model";
import { stackPolicy } from "./policy-dsl";

export const budgetAlarm = stackPolicy(
  {
    name: "e2b-05-budget-alarm",
    description:
      "Each E2B environment has a monthly budget with alert thresholds and an owner, a hard limit where its tier requires one, and a budget no smaller than its modelled expected spend; alerts from a monitor whose schedule is disabled or runs less often than its alarms look back, or whose alarms notify nobody, do not count.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Set `budget: { monthlyUsd, alertThresholds: [50, 80, 100], owner }` on the E2BEnvironment.",
      "2. Set `budget.hardLimit: true` for load-test and development environments (the monitor then kills leaked sandboxes without asking), and set a usage limit for their E2B team in the E2B dashboard: E2B offers spend limits only there.",
      "3. Raise the budget to at least the expected monthly cost, or shrink the sandbox profile.",
    ].join("\n"),
    config: z.object({
      requiredThresholds: z
        .array(z.number().positive())
        .default([50, 80, 100])
        .describe("Alert thresholds (percent of the monthly budget) every budget must include."),
      hardLimitTiers: z
        .array(z.enum(tiers))
        .default(["load-test", "development"])
        .describe(
          "Tiers whose budget must also declare a hard limit (the monitor kills leaked sandboxes unasked).",
        ),
      prices: pricesSchema
        .optional()
        .describe(
          "Deprecated: set prices once, as e2b-03-sandbox-profile-and-cost.prices. Read only when that is unset, and then used by every rule and report.",
        ),
    }),
    example:
      "E2BEnvironment 'prod' budget $500.00/month is below its expected spend (expected $777.89/month, worst case $5,834.16/month at maximum concurrency, one leaked sandbox $0.13 until its timeout ceiling). Raise the budget or shrink the profile.",
  },
  ({ index, config, prices, report, notApplicable }) => {
    if (!managesE2B(index)) notApplicable(NO_E2B_ENVIRONMENT);
    const mutedByEnvironment = mutedAlarms(index);
    for (const env of modelledEnvironments(index, report)) {
      const label = `E2BEnvironment '${env.name}'`;
      const urn = env.resource.urn;
      const monthly = readNumber(env.model, "budget.monthlyUsd");
      if (monthly.state === "missing") {
        report(`${label} declares no monthly budget. Set budget with alert thresholds and an owner.`, urn);
        continue;
      }
      if (monthly.state === "known" && monthly.value <= 0) report(`${label} budget must be positive.`, urn);
      checkAlarmsDeployed(report, env, label, mutedByEnvironment.get(urn), {
        name: "budget alarm",
        declared: "budget alerts",
      });
      const th = readNumbers(env.model, "budget.alertThresholds");
      if (th.state !== "unknown") {
        const have = th.state === "known" ? th.value : [];
        const missing = config.requiredThresholds.filter((t) => !have.includes(t));
        if (missing.length)
          report(
            `${label} budget alerts at [${have.join(", ")}]% but not at ${missing.join(", ")}%. Add the missing alert thresholds.`,
            urn,
          );
      }
      if (readString(env.model, "budget.owner").state === "missing")
        report(`${label} budget has no owner for its alerts. Set budget.owner.`, urn);
      const tier = tierOf(env);
      const hard = readBoolean(env.model, "budget.hardLimit");
      if (
        tier &&
        config.hardLimitTiers.includes(tier) &&
        hard.state !== "unknown" &&
        !(hard.state === "known" && hard.value)
      )
        report(
          `${label} is ${tier} but its budget has no hard limit. Set budget.hardLimit: true so its monitor kills leaked sandboxes without asking, and set a usage limit for its team in the E2B dashboard.`,
          urn,
        );
      const cost = environmentCost(env, prices);
      if (monthly.state === "known" && "figures" in cost && monthly.value < cost.figures.expectedMonthlyUsd)
        report(
          `${label} budget ${usd(monthly.value)}/month is below its expected spend (${describeCost(cost.figures)}). Raise the budget or shrink the profile.`,
          urn,
        );
      if (monthly.state === "unknown")
        report(`${label} budget is unknown at preview.`, urn, { advisory: true, at: { inconclusive: true } });
    }
    for (const k of orphanKeys(index))
      report(`${describe(k)} is not part of an E2BEnvironment, so no budget alarm covers its spend.`, k.urn);
  },
);
