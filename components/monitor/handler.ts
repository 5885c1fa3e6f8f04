/**
 * What the scheduled monitor does on each run, independent of AWS: read the key from the secret
 * store, run the sandbox auditor with it, and publish live count, leaked count, burn rate and the
 * projected month as metrics. The key stays in this function's memory; it is never logged, never
 * returned, and never part of the function's configuration (only the store locator is).
 */
import { redactKeys } from "../../policies/detect/keys";
import { HOURS_PER_MONTH } from "../../policies/cost";
import { METRIC_NAMESPACE, metrics } from "./alarms";

/** Configuration the function receives through its environment variables: locators, never keys. */
export interface MonitorConfig {
  environment: string;
  teamId: string;
  secretStore: "aws-secrets-manager" | "aws-ssm-parameter";
  /** ARN of the secret or parameter holding the key. */
  secretLocator: string;
  apiUrl?: string;
  maxSandboxAgeSeconds: number;
  /** Cost of one sandbox-second at this environment's profile (from the cost model). */
  perSandboxSecondUsd: number;
  requiredMetadata: string[];
  /** Kill sandboxes past their maximum age (the environment's hard limit). */
  killLeaked: boolean;
}

export const monitorEnv = {
  environment: "E2B_ENVIRONMENT",
  teamId: "E2B_TEAM_ID",
  secretStore: "E2B_SECRET_STORE",
  secretLocator: "E2B_SECRET_LOCATOR",
  apiUrl: "E2B_API_URL",
  maxSandboxAgeSeconds: "E2B_MAX_SANDBOX_AGE_SECONDS",
  perSandboxSecondUsd: "E2B_PER_SANDBOX_SECOND_USD",
  requiredMetadata: "E2B_REQUIRED_METADATA",
  killLeaked: "E2B_KILL_LEAKED",
} as const;

export function readMonitorConfig(env: Record<string, string | undefined>): MonitorConfig {
  const need = (k: keyof typeof monitorEnv) => {
    const v = env[monitorEnv[k]];
    if (v === undefined || v === "") throw new Error(`monitor misconfigured: ${monitorEnv[k]} is not set`);
    return v;
  };
  const store = need("secretStore");
  if (store !== "aws-secrets-manager" && store !== "aws-ssm-parameter") {
    throw new Error(`monitor misconfigured: ${monitorEnv.secretStore}=${store} is not an AWS store`);
  }
  return {
    environment: need("environment"),
    teamId: need("teamId"),
    secretStore: store,
    secretLocator: need("secretLocator"),
    apiUrl: env[monitorEnv.apiUrl] || undefined,
    maxSandboxAgeSeconds: Number(need("maxSandboxAgeSeconds")),
    perSandboxSecondUsd: Number(need("perSandboxSecondUsd")),
    requiredMetadata: (env[monitorEnv.requiredMetadata] ?? "").split(",").filter(Boolean),
    killLeaked: env[monitorEnv.killLeaked] === "true",
  };
}

/** What the monitor needs from the sandbox auditor (runtime/). */
export interface AuditSummary {
  live: number;
  leaked: number;
  /** Sandboxes the auditor killed (only when asked to). */
  killed?: number;
  /** Current cost per hour of all live sandboxes, if the auditor computes it. */
  burnRateUsdPerHour?: number;
}

export interface MonitorDeps {
  readKey(config: MonitorConfig): Promise<string>;
  audit(key: string, config: MonitorConfig): Promise<AuditSummary>;
  /** Print one line to the function's log (CloudWatch turns EMF lines into metrics). */
  log(line: string): void;
  now(): Date;
}

/** One CloudWatch Embedded Metric Format record: metrics without an SDK call or extra permission. */
export function emfRecord(environment: string, values: Record<string, number>, at: Date): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [["Environment"]],
          Metrics: Object.keys(values).map((Name) => ({
            Name,
            Unit: Name.endsWith("Sandboxes") ? "Count" : "None",
          })),
        },
      ],
    },
    Environment: environment,
    ...values,
  });
}

export async function runMonitor(
  config: MonitorConfig,
  deps: MonitorDeps,
): Promise<AuditSummary & { burnRateUsdPerHour: number }> {
  let key: string;
  try {
    key = await deps.readKey(config);
  } catch (e) {
    // No `cause`: the original error may quote the key; only the redacted message leaves.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(
      redactKeys(
        `monitor ${config.environment}: cannot read the E2B key from ${config.secretStore}: ${(e as Error).message}`,
      ),
    );
  }
  let summary: AuditSummary;
  try {
    summary = await deps.audit(key, config);
  } catch (e) {
    // eslint-disable-next-line preserve-caught-error -- see above
    throw new Error(
      redactKeys(`monitor ${config.environment}: sandbox audit failed: ${(e as Error).message}`),
    );
  }
  const burn = summary.burnRateUsdPerHour ?? summary.live * config.perSandboxSecondUsd * 3600;
  deps.log(
    emfRecord(
      config.environment,
      {
        [metrics.live]: summary.live,
        [metrics.leaked]: summary.leaked,
        [metrics.burnRate]: burn,
        [metrics.projectedMonthly]: burn * HOURS_PER_MONTH,
      },
      deps.now(),
    ),
  );
  return { ...summary, burnRateUsdPerHour: burn };
}
