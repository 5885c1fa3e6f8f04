/**
 * E2B-03: a leaked-sandbox alarm exists and has an owner: live count above N, or sandboxes older than
 * their expected lifetime. Thresholds that can never fire (above the concurrency cap, beyond the
 * timeout ceiling) count as no alarm.
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
import { readNumber, readString } from "./detect/env-model";
import { stackPolicy } from "./policy-dsl";

export const leakAlarm = stackPolicy(
  {
    name: "e2b-03-leak-alarm",
    description:
      "Each E2B environment has a leaked-sandbox alarm (live count above a threshold or sandboxes past a maximum age) that can fire and has an owner; a deployed monitor whose schedule is disabled or runs less often than its alarms look back, or whose alarms notify nobody, is no alarm.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Set `leakAlarm: { liveCountThreshold, maxSandboxAgeSeconds, owner }` on the E2BEnvironment.",
      "2. Keep liveCountThreshold at or below the environment's maxConcurrency and maxSandboxAgeSeconds within its timeout ceiling.",
      "3. Route the alarm to an owner who can kill sandboxes (`e2b-guardrails sandboxes audit --kill`).",
    ].join("\n"),
    config: z.object({
      requireOwner: z.boolean().default(true).describe("The alarm must name an owner."),
    }),
    example:
      "E2BEnvironment 'prod' leak alarm threshold 150 live sandboxes is above its concurrency cap of 100, so it can never fire. Lower liveCountThreshold.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!managesE2B(index)) notApplicable(NO_E2B_ENVIRONMENT);
    const mutedByEnvironment = mutedAlarms(index);
    for (const env of modelledEnvironments(index, report)) {
      const label = `E2BEnvironment '${env.name}'`;
      const urn = env.resource.urn;
      const live = readNumber(env.model, "leakAlarm.liveCountThreshold");
      const age = readNumber(env.model, "leakAlarm.maxSandboxAgeSeconds");
      const owner = readString(env.model, "leakAlarm.owner");
      if (live.state === "missing" && age.state === "missing") {
        report(
          `${label} declares no leaked-sandbox alarm. Set leakAlarm with a live-count threshold, a maximum sandbox age and an owner.`,
          urn,
        );
        continue;
      }
      checkAlarmsDeployed(report, env, label, mutedByEnvironment.get(urn), {
        name: "leak alarm",
        declared: "a leaked-sandbox alarm",
      });
      if (config.requireOwner && owner.state === "missing")
        report(`${label} leak alarm has no owner. Set leakAlarm.owner.`, urn);
      const cap = readNumber(env.model, "sandbox.maxConcurrency");
      if (live.state === "known" && cap.state === "known" && live.value > cap.value)
        report(
          `${label} leak alarm threshold ${live.value} live sandboxes is above its concurrency cap of ${cap.value}, so it can never fire. Lower liveCountThreshold.`,
          urn,
        );
      const ceiling = readNumber(env.model, "timeoutCeilingSeconds");
      if (age.state === "known" && ceiling.state === "known" && age.value > ceiling.value)
        report(
          `${label} leak alarm fires at sandbox age ${age.value}s, beyond the timeout ceiling of ${ceiling.value}s, so it can never fire. Lower maxSandboxAgeSeconds.`,
          urn,
        );
      if (live.state === "unknown" || age.state === "unknown")
        report(`${label} leak alarm thresholds are unknown at preview.`, urn, {
          advisory: true,
          at: { inconclusive: true },
        });
    }
    for (const k of orphanKeys(index))
      report(`${describe(k)} is not part of an E2BEnvironment, so no leaked-sandbox alarm covers it.`, k.urn);
  },
);
