/**
 * The monitor's Lambda entry point: `index.handler` in the bundle `build.ts` writes. It reads the
 * key from the AWS store named in its configuration with the function's own role, runs the sandbox
 * auditor from runtime/ with it, and publishes the metrics the alarms watch.
 */
import { auditSandboxes, killLeaked } from "../../runtime/audit-run";
import { E2B_PRICES } from "../../runtime/auditor";
import { readMonitorConfig, runMonitor, type AuditSummary, type MonitorConfig } from "./handler";

/**
 * The Lambda Node.js 20 runtime ships AWS SDK v3, so the bundle leaves it out (and this package does
 * not depend on it); `require` keeps the import lazy and untyped on purpose.
 */
export async function readKeyFromAws(config: MonitorConfig): Promise<string> {
  if (config.secretStore === "aws-secrets-manager") {
    const sm = require("@aws-sdk/client-secrets-manager");
    const out = await new sm.SecretsManagerClient({}).send(
      new sm.GetSecretValueCommand({ SecretId: config.secretLocator }),
    );
    if (typeof out.SecretString !== "string")
      throw new Error(`secret ${config.secretLocator} has no string value`);
    return out.SecretString;
  }
  const ssm = require("@aws-sdk/client-ssm");
  const out = await new ssm.SSMClient({}).send(
    new ssm.GetParameterCommand({ Name: config.secretLocator, WithDecryption: true }),
  );
  if (typeof out.Parameter?.Value !== "string")
    throw new Error(`parameter ${config.secretLocator} has no value`);
  return out.Parameter.Value;
}

/** Run the auditor with the environment's rules; kill leaked sandboxes only under a hard limit. */
export async function auditWithRuntime(key: string, config: MonitorConfig): Promise<AuditSummary> {
  const run = await auditSandboxes({
    apiKey: key,
    apiUrl: config.apiUrl,
    rules: {
      maxAgeSeconds: config.maxSandboxAgeSeconds,
      requireMetadata: config.requiredMetadata,
      attributionKeys: [],
      prices: E2B_PRICES,
    },
  });
  let killed = 0;
  if (config.killLeaked && run.report.leaked.length > 0) {
    killed = (await killLeaked({ apiKey: key, apiUrl: config.apiUrl }, run.report.leaked, run.rules)).killed
      .length;
  }
  return {
    live: run.report.running,
    leaked: run.report.leaked.length,
    killed,
    burnRateUsdPerHour: run.report.costPerHourUsd,
  };
}

export async function handler(): Promise<AuditSummary> {
  return runMonitor(readMonitorConfig(process.env), {
    readKey: readKeyFromAws,
    audit: auditWithRuntime,
    log: (line) => console.log(line),
    now: () => new Date(),
  });
}
