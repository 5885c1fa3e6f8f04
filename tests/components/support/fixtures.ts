/** Valid environment inputs for each secret store, so tests vary one thing at a time. */
import type { EnvironmentInput, SecretStore } from "../../../policies/model";

export const stores: Record<
  SecretStore["kind"],
  { store: EnvironmentInput["secretStore"]; readers: string[] }
> = {
  "aws-secrets-manager": {
    store: { kind: "aws-secrets-manager", name: "e2b/prod/api-key" },
    readers: [
      "arn:aws:iam::123456789012:role/agent-api",
      "arn:aws:iam::123456789012:role/batch/agent-worker",
    ],
  },
  "aws-ssm-parameter": {
    store: { kind: "aws-ssm-parameter", name: "/e2b/prod/api-key" },
    readers: [
      "arn:aws:iam::123456789012:role/agent-api",
      "arn:aws:iam::123456789012:role/batch/agent-worker",
    ],
  },
  "gcp-secret-manager": {
    store: { kind: "gcp-secret-manager", secretId: "e2b-prod-api-key", project: "agents-prod" },
    readers: ["agent-api@agents-prod.iam.gserviceaccount.com", "group:agent-oncall@example.com"],
  },
  "azure-key-vault": {
    store: {
      kind: "azure-key-vault",
      vaultName: "kv-agents-prod",
      resourceGroupName: "rg-agents",
      secretName: "e2b-api-key",
    },
    readers: ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"],
  },
  "vault-kv": {
    store: { kind: "vault-kv", mount: "secret", path: "e2b/prod/api-key" },
    readers: ["group:agents-runtime", "entity:5f3c0a1e-0000-0000-0000-000000000001"],
  },
  "pulumi-esc": {
    store: { kind: "pulumi-esc", organization: "acme", project: "e2b", environment: "prod-api-key" },
    readers: ["agents-runtime", "agents-oncall"],
  },
};

export function environment(
  kind: SecretStore["kind"],
  overrides: Partial<EnvironmentInput> = {},
): EnvironmentInput {
  return {
    name: "prod",
    tier: "production",
    teamId: "7d5c3a2e-0000-4000-8000-00000000a001",
    plan: "pro",
    secretStore: stores[kind].store,
    readers: stores[kind].readers,
    sandbox: { vcpu: 2, memoryMiB: 2048, avgConcurrency: 10, maxConcurrency: 40 },
    timeoutCeilingSeconds: 3_600,
    budget: { monthlyUsd: 1_500, alertThresholds: [50, 80, 100], owner: "platform@example.com" },
    leakAlarm: { liveCountThreshold: 50, maxSandboxAgeSeconds: 7_200, owner: "oncall@example.com" },
    rotation: { createdAt: "2026-11-01", maxAgeDays: 90, trigger: "2026-11" },
    ...overrides,
  };
}
