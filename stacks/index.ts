/**
 * The platform stack: one E2B environment per stack. Everything environment-specific is stack
 * config (`stacks/Pulumi.<stack>.yaml`); this program only turns it into an `E2BEnvironment` and
 * exports what applications need — never the key.
 *
 *   e2b-platform:environment   the environment model (policies/model.ts), validated by the component
 *   e2b-platform:monitor       optional monitor settings: { schedule, handler, codePath }
 *   e2b:managementToken        secure: the dashboard bearer token that creates keys (never deployed)
 *   e2b:apiUrl                 E2B API base URL (default https://api.e2b.app)
 */
import * as pulumi from "@pulumi/pulumi";
import { E2BEnvironment } from "../components";
import type { EnvironmentInput } from "../policies/model";

interface MonitorConfig {
  schedule?: string;
  handler?: string;
  /** Folder or zip of the bundled monitor (see docs/components.md); default: the component's. */
  codePath?: string;
}

const config = new pulumi.Config();
const environment = config.requireObject<EnvironmentInput>("environment");
const monitor = config.getObject<MonitorConfig>("monitor") ?? {};

// Not exported: a stack output of the component itself would serialise its children, key resource included.
const platform = new E2BEnvironment(environment.name, {
  ...environment,
  monitorSchedule: monitor.schedule,
  monitorHandler: monitor.handler,
  monitorCode: monitor.codePath ? new pulumi.asset.FileArchive(monitor.codePath) : undefined,
  apiUrl: new pulumi.Config("e2b").get("apiUrl"),
});

export const secretReference = platform.secretReference;
export const secretLocator = platform.secretLocator;
export const keyName = platform.keyName;
export const keyFingerprint = platform.keyFingerprint;
export const monthlyCostUsd = platform.monthlyCostUsd;
export const worstCaseMonthlyCostUsd = platform.worstCaseMonthlyCostUsd;
export const leakedSandboxCostUsd = platform.leakedSandboxCostUsd;
export const sandboxPolicyJson = platform.sandboxPolicyJson;
export const alertTopicArn = platform.alertTopicArn;
