/**
 * The alarms an environment gets, as data: computed from the environment model only, so tests and
 * docs can read them without creating any resource. The monitor function publishes these metrics
 * (namespace `E2B/Guardrails`, dimension `Environment`) every run.
 */
import type { Environment } from "../../policies/model";
import { HOURS_PER_MONTH } from "../../policies/cost";

export const METRIC_NAMESPACE = "E2B/Guardrails";

export const metrics = {
  live: "LiveSandboxes",
  leaked: "LeakedSandboxes",
  burnRate: "BurnRateUsdPerHour",
  projectedMonthly: "ProjectedMonthlyUsd",
} as const;

export interface AlarmSpec {
  /** Suffix of the alarm's resource name. */
  id: string;
  description: string;
  metric: (typeof metrics)[keyof typeof metrics];
  threshold: number;
  comparison: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold";
  /** A monitor that stops reporting must alarm too, or a broken Lambda would look like a quiet one. */
  treatMissingData: "breaching" | "notBreaching";
  /** `leak` alarms go to the leak owner, `budget` alarms to the budget owner. */
  owner: "leak" | "budget";
}

export function alarmSpecs(env: Environment): AlarmSpec[] {
  const specs: AlarmSpec[] = [
    {
      id: "leak-live-count",
      description: `${env.name}: more than ${env.leakAlarm.liveCountThreshold} E2B sandboxes live at once (possible leak)`,
      metric: metrics.live,
      threshold: env.leakAlarm.liveCountThreshold,
      comparison: "GreaterThanThreshold",
      treatMissingData: "breaching",
      owner: "leak",
    },
    {
      id: "leak-old-sandboxes",
      // The monitor counts every leak reason the auditor finds, not only age.
      description:
        `${env.name}: leaked E2B sandboxes (running longer than ${env.leakAlarm.maxSandboxAgeSeconds} s` +
        (env.requiredMetadata.length ? `, or missing metadata ${env.requiredMetadata.join(", ")})` : ")"),
      metric: metrics.leaked,
      threshold: 0,
      comparison: "GreaterThanThreshold",
      treatMissingData: "breaching",
      owner: "leak",
    },
  ];
  for (const pct of [...new Set(env.budget.alertThresholds)].sort((a, b) => a - b)) {
    specs.push({
      id: `budget-${pct}pct`,
      description:
        `${env.name}: E2B spend projected at the current burn rate reaches ${pct}% of the ` +
        `$${env.budget.monthlyUsd}/month budget (${HOURS_PER_MONTH} h month)`,
      metric: metrics.projectedMonthly,
      threshold: Math.round(env.budget.monthlyUsd * pct) / 100,
      comparison: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      owner: "budget",
    });
  }
  return specs;
}
