/**
 * E2B-03: every environment declares its sandbox profile (vCPU, RAM, expected average and maximum
 * concurrency, timeout ceiling), so the cost model gives a monthly estimate, a worst case and the cost
 * of one leaked sandbox at preview; optional ceilings per tier turn the figures into a gate.
 */
import { z } from "zod";
import { NO_E2B_ENVIRONMENT, describe, managesE2B, orphanKeys, modelledEnvironments } from "./common";
import { describeCost, pricesSchema, usd } from "./cost";
import { costIncreaseSchema } from "./cost-change";
import { environmentCost, readNumber, tierOf } from "./detect/env-model";
import { stackPolicy } from "./policy-dsl";

const perTier = z
  .object({
    production: z.number().positive().optional(),
    staging: z.number().positive().optional(),
    "load-test": z.number().positive().optional(),
    development: z.number().positive().optional(),
  })
  .default({});

export const sandboxProfileAndCost = stackPolicy(
  {
    name: "e2b-03-sandbox-profile-and-cost",
    description:
      "Each E2B environment declares its sandbox profile (vCPU, memory, average and maximum concurrency, timeout ceiling) so its cost is modelled at preview and stays within the configured ceilings.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Declare `sandbox: { vcpu, memoryMiB, avgConcurrency, maxConcurrency }` and `timeoutCeilingSeconds` on the E2BEnvironment.",
      "2. Keep average concurrency at or below the maximum.",
      "3. If the worst case exceeds the ceiling, lower maxConcurrency or the sandbox size, or raise the ceiling in policy config deliberately.",
    ].join("\n"),
    config: z.object({
      prices: pricesSchema
        .optional()
        .describe(
          "The pack's price table (default: E2B's list prices). Every rule that prices sandboxes (this one and e2b-05-budget-alarm), the pack's report file and the CLI's reports read it from here.",
        ),
      maxExpectedMonthlyUsd: perTier.describe(
        "Ceiling on the expected monthly cost, per tier (unset: no ceiling).",
      ),
      maxWorstCaseMonthlyUsd: perTier.describe(
        "Ceiling on the worst-case monthly cost at maximum concurrency, per tier.",
      ),
      maxLeakedSandboxUsd: perTier.describe(
        "Ceiling on the cost of one sandbox leaked until its timeout ceiling, per tier.",
      ),
      // Judged by `e2b-guardrails preview --compare-state` (the pack never sees the deployed stack).
      maxCostIncrease: costIncreaseSchema,
    }),
    example:
      "E2BEnvironment 'loadtest' worst-case monthly cost $4,861.80 exceeds the load-test ceiling of $1,000.00 (expected $486.18/month, worst case $4,861.80/month at maximum concurrency, one leaked sandbox $0.07 until its timeout ceiling). Lower maxConcurrency, the sandbox size or the timeout ceiling.",
  },
  ({ index, config, prices, report, notApplicable }) => {
    if (!managesE2B(index)) notApplicable(NO_E2B_ENVIRONMENT);
    for (const env of modelledEnvironments(index, report)) {
      const label = `E2BEnvironment '${env.name}'`;
      const c = environmentCost(env, prices);
      if (!("figures" in c)) {
        if (c.missing.length)
          report(
            `${label} does not declare ${c.missing.join(", ")}, so its sandbox cost cannot be modelled. Declare the sandbox profile.`,
            env.resource.urn,
          );
        else
          report(
            `${label} sandbox profile (${c.unknown.join(", ")}) is unknown at preview; the cost model runs once the values are known.`,
            env.resource.urn,
            { advisory: true, at: { inconclusive: true } },
          );
        continue;
      }
      const f = c.figures;
      const avg = readNumber(env.model, "sandbox.avgConcurrency");
      const max = readNumber(env.model, "sandbox.maxConcurrency");
      if (avg.state === "known" && max.state === "known" && avg.value > max.value)
        report(
          `${label} expects an average of ${avg.value} concurrent sandboxes but caps them at ${max.value}. The average cannot exceed the cap.`,
          env.resource.urn,
        );
      const tier = tierOf(env);
      if (!tier) continue;
      const checks: Array<[number | undefined, number, string]> = [
        [config.maxExpectedMonthlyUsd[tier], f.expectedMonthlyUsd, "expected monthly cost"],
        [config.maxWorstCaseMonthlyUsd[tier], f.worstCaseMonthlyUsd, "worst-case monthly cost"],
        [config.maxLeakedSandboxUsd[tier], f.leakedSandboxUsd, "cost of one leaked sandbox"],
      ];
      for (const [ceiling, value, what] of checks) {
        if (ceiling !== undefined && value > ceiling)
          report(
            `${label} ${what} ${usd(value)} exceeds the ${tier} ceiling of ${usd(ceiling)} (${describeCost(f)}). Lower maxConcurrency, the sandbox size or the timeout ceiling.`,
            env.resource.urn,
          );
      }
    }
    for (const k of orphanKeys(index))
      report(
        `${describe(k)} is not part of an E2BEnvironment, so no sandbox profile or cost model covers it. Create keys through E2BEnvironment.`,
        k.urn,
      );
  },
);
