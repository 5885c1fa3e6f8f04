/* eslint-disable @typescript-eslint/no-explicit-any -- wire-format JSON read back from the mocks */
/**
 * E2BEnvironment under Pulumi mocks, once per secret store: the key lands only in the store's
 * secret resource, the read grant names only the given principals, outputs hold no key material,
 * and the component's registered inputs are exactly the validated environment model.
 */
import { E2BEnvironment } from "../../components/environment";
import { storeKinds } from "../../components/stores";
import {
  E2B_API_KEY_KIND,
  E2B_ENVIRONMENT_TYPE,
  environmentSchema,
  sandboxPolicySchema,
} from "../../policies/model";
import { costOf } from "../../policies/cost";
import { fingerprintKey, isKeyMaterial } from "../../policies/detect/keys";
import { environment, stores } from "./support/fixtures";
import {
  PLANTED_KEY,
  byType,
  occurrences,
  one,
  record,
  strings,
  unwrapSecrets,
  type Recorded,
} from "./support/harness";

/** The one resource type per store whose inputs may hold the key. */
const secretType: Record<string, string> = {
  "aws-secrets-manager": "aws:secretsmanager/secretVersion:SecretVersion",
  "aws-ssm-parameter": "aws:ssm/parameter:Parameter",
  "gcp-secret-manager": "gcp:secretmanager/secretVersion:SecretVersion",
  "azure-key-vault": "azure-native:keyvault:Secret",
  "vault-kv": "vault:kv/secretV2:SecretV2",
  "pulumi-esc": "pulumiservice:index:Environment",
};

const MONITOR_ROLE_ARN = "arn:aws:iam::123456789012:role/prod-monitor";

/** Principals each store's grant resources name, read back from the recorded inputs. */
function grantedPrincipals(kind: string, resources: Recorded[]): string[] {
  const inputs = (type: string) =>
    byType(resources, type).map((r) => unwrapSecrets(r.inputs) as Record<string, any>);
  switch (kind) {
    case "aws-secrets-manager":
      return inputs("aws:secretsmanager/secretPolicy:SecretPolicy").flatMap((i) =>
        JSON.parse(i.policy).Statement.flatMap((s: any) => s.Principal.AWS),
      );
    case "aws-ssm-parameter":
      // Inline policies are attached to roles by name; map names back to the readers' ARNs.
      return inputs("aws:iam/rolePolicy:RolePolicy")
        .filter((i) => JSON.parse(i.policy).Statement.some((s: any) => s.Action.includes("ssm:GetParameter")))
        .map((i) => i.role);
    case "gcp-secret-manager":
      return inputs("gcp:secretmanager/secretIamBinding:SecretIamBinding").flatMap((i) => i.members);
    case "azure-key-vault":
      return inputs("azure-native:authorization:RoleAssignment").map((i) => i.principalId);
    case "vault-kv":
      return [
        ...inputs("vault:identity/groupPolicies:GroupPolicies").map((i) => `group:${i.groupId}`),
        ...inputs("vault:identity/entityPolicies:EntityPolicies").map((i) => `entity:${i.entityId}`),
      ];
    case "pulumi-esc":
      return inputs("pulumiservice:index:TeamEnvironmentPermission").map((i) => i.team);
  }
  throw new Error(kind);
}

function expectedPrincipals(kind: keyof typeof stores): string[] {
  const readers = stores[kind].readers;
  switch (kind) {
    case "aws-secrets-manager":
      return [...readers, MONITOR_ROLE_ARN];
    case "aws-ssm-parameter":
      return ["agent-api", "agent-worker", "prod-monitor"];
    case "gcp-secret-manager":
      return [
        "serviceAccount:agent-api@agents-prod.iam.gserviceaccount.com",
        "group:agent-oncall@example.com",
      ];
    default:
      return readers;
  }
}

describe.each(storeKinds)("E2BEnvironment with %s", (kind) => {
  let resources: Recorded[];
  let component: E2BEnvironment;
  let outputs: Record<string, unknown>;

  beforeAll(async () => {
    resources = await record(() => {
      component = new E2BEnvironment("prod", environment(kind));
    });
    const c = component;
    outputs = {
      secretReference: await value(c.secretReference),
      secretLocator: await value(c.secretLocator),
      keyName: await value(c.keyName),
      keyFingerprint: await value(c.keyFingerprint),
      monthlyCostUsd: await value(c.monthlyCostUsd),
      worstCaseMonthlyCostUsd: await value(c.worstCaseMonthlyCostUsd),
      leakedSandboxCostUsd: await value(c.leakedSandboxCostUsd),
      sandboxPolicyJson: await value(c.sandboxPolicyJson),
    };
  });

  test("the key lands only in the store's secret resource", () => {
    const hits = occurrences(resources, PLANTED_KEY);
    expect(hits.length).toBeGreaterThan(0);
    expect([...new Set(hits.map((h) => h.type))]).toEqual([secretType[kind]]);
    // …and every occurrence there is inside a value marked secret on the wire.
    expect(keyOutsideSecrets(one(resources, secretType[kind]).inputs)).toEqual([]);
  });

  test("the read grant names only the given principals", () => {
    expect([...grantedPrincipals(kind, resources)].sort()).toEqual([...expectedPrincipals(kind)].sort());
  });

  test("outputs hold no key material, only the fingerprint", () => {
    const comp = one(resources, E2B_ENVIRONMENT_TYPE);
    for (const s of strings({ registered: comp.outputs, resolved: outputs }))
      expect(isKeyMaterial(s.value)).toBe(false);
    expect(outputs.keyFingerprint).toBe(fingerprintKey(PLANTED_KEY));
    expect(unwrapSecrets(comp.outputs?.keyFingerprint)).toBe(fingerprintKey(PLANTED_KEY));
    expect(outputs.keyName).toBe("e2b-platform-prod");
  });

  test("its outputs say which alarms it deploys: the AWS monitor for an AWS store, none elsewhere", () => {
    const comp = one(resources, E2B_ENVIRONMENT_TYPE);
    expect(comp.outputs?.monitor).toBe(kind.startsWith("aws-") ? "aws" : "none");
  });

  test("registered inputs are exactly the validated environment model", () => {
    const comp = one(resources, E2B_ENVIRONMENT_TYPE);
    expect(comp.custom).toBe(false);
    expect(comp.inputs).toEqual(JSON.parse(JSON.stringify(environmentSchema.parse(environment(kind)))));
  });

  test("the key resource carries the marker, name, environment, team and rotation, and no credential", () => {
    const key = one(resources, "pulumi-nodejs:dynamic:Resource");
    const { __provider, ...inputs } = key.inputs;
    expect(inputs).toEqual({
      kind: E2B_API_KEY_KIND,
      name: "e2b-platform-prod",
      environment: "prod",
      teamId: "7d5c3a2e-0000-4000-8000-00000000a001",
      rotation: "2026-11",
    });
    expect(typeof __provider).toBe("string");
    expect(key.additionalSecretOutputs).toEqual(["key"]);
  });

  test("the store's secret depends on the key resource, so a rotation updates it before the old key goes", () => {
    const key = one(resources, "pulumi-nodejs:dynamic:Resource");
    const holder = one(resources, secretType[kind]);
    expect(Object.values(holder.propertyDependencies).flat()).toContain(key.urn);
  });

  test("cost outputs come from the cost model and the sandbox policy validates", () => {
    const cost = costOf("prod", {
      vcpu: 2,
      memoryMiB: 2048,
      avgConcurrency: 10,
      maxConcurrency: 40,
      timeoutCeilingSeconds: 3600,
    });
    expect(outputs.monthlyCostUsd).toBe(cost.expectedMonthlyUsd);
    expect(outputs.worstCaseMonthlyCostUsd).toBe(cost.worstCaseMonthlyUsd);
    expect(outputs.leakedSandboxCostUsd).toBe(cost.leakedSandboxUsd);
    // 10 × 730 h × 3600 s × (2 × 0.000014 + 2 × 0.0000045) = 972.36
    expect(outputs.monthlyCostUsd).toBeCloseTo(972.36, 2);
    const policy = sandboxPolicySchema.parse(JSON.parse(outputs.sandboxPolicyJson as string));
    expect(policy).toMatchObject({
      environment: "prod",
      timeoutCeilingSeconds: 3600,
      requiredMetadata: ["user_id", "request_id"],
    });
  });
});

/** Paths where the planted key occurs outside any secret-marked wire value. */
function keyOutsideSecrets(value: unknown, path = ""): string[] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => keyOutsideSecrets(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => keyOutsideSecrets(v, `${path}.${k}`));
  return typeof value === "string" && value.includes(PLANTED_KEY) ? [path] : [];
}

function value<T>(o: { apply: (f: (v: T) => void) => unknown }): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}
