/* eslint-disable @typescript-eslint/no-explicit-any -- wire-format JSON read back from the mocks */
/**
 * E2BEnvironment beyond the per-store matrix: input validation, imported keys, and the AWS leak and
 * budget monitor (the function reads the key at run time; its configuration never holds it).
 */
import * as pulumi from "@pulumi/pulumi";
import { E2BEnvironment, checkImportedKey } from "../../components/environment";
import { alarmSpecs } from "../../components/monitor/alarms";
import { monitorEnv } from "../../components/monitor/handler";
import { environmentSchema } from "../../policies/model";
import { fingerprintKey } from "../../policies/detect/keys";
import { environment } from "./support/fixtures";
import { PLANTED_KEY, byType, occurrences, one, record, unwrapSecrets } from "./support/harness";

describe("input validation", () => {
  beforeEach(() => {
    pulumi.runtime.setMocks({
      newResource: (a) => ({ id: `${a.name}_id`, state: a.inputs }),
      call: (a) => a.inputs,
    });
  });

  test("a bad input fails at construction with a message naming the field", () => {
    const bad = environment("aws-secrets-manager", {
      budget: { monthlyUsd: 100, alertThresholds: [80], owner: "not-an-email" },
    });
    expect(() => new E2BEnvironment("prod", bad)).toThrow(
      /E2BEnvironment "prod": invalid input budget\.owner:/,
    );
    const badTimeout = environment("aws-secrets-manager", { timeoutCeilingSeconds: 0 });
    expect(() => new E2BEnvironment("prod", badTimeout)).toThrow(/invalid input timeoutCeilingSeconds:/);
    // rt37 #13: `readers: ["*"]` wrote a resource policy that lets every principal read the key.
    for (const everyone of ["*", "allUsers", "allAuthenticatedUsers"])
      expect(
        () => new E2BEnvironment("prod", environment("aws-secrets-manager", { readers: [everyone] })),
      ).toThrow(/invalid input readers\.0: a reader of everyone/);
  });

  test("a store the AWS monitor cannot read with its role is refused unless monitor is none", () => {
    expect(() => new E2BEnvironment("prod", { ...environment("vault-kv"), monitor: "aws" })).toThrow(
      /the AWS monitor reads the key with its IAM role, so it needs an AWS store/,
    );
  });
});

describe("imported key from Pulumi secret config", () => {
  const env = environment("aws-secrets-manager", { key: { source: "imported", configKey: "prodE2bApiKey" } });

  test("no key resource; the key lands only in the store; outputs carry its fingerprint", async () => {
    let c!: E2BEnvironment;
    const resources = await record(
      () => {
        c = new E2BEnvironment("prod", env);
      },
      { config: { "e2b-platform:prodE2bApiKey": PLANTED_KEY }, secretKeys: ["e2b-platform:prodE2bApiKey"] },
    );
    expect(byType(resources, "pulumi-nodejs:dynamic:Resource")).toHaveLength(0);
    expect([...new Set(occurrences(resources, PLANTED_KEY).map((h) => h.type))]).toEqual([
      "aws:secretsmanager/secretVersion:SecretVersion",
    ]);
    const fp = await new Promise((r) => c.keyFingerprint.apply(r));
    expect(fp).toBe(fingerprintKey(PLANTED_KEY));
    expect(one(resources, "e2b-guardrails:index:E2BEnvironment").inputs.key).toEqual({
      source: "imported",
      configKey: "prodE2bApiKey",
    });
  });

  test("a malformed imported key fails with a message that does not echo it", () => {
    const notAKey = "sk-live-this-is-not-an-e2b-key-0123456789";
    let message = "";
    try {
      checkImportedKey(notAKey, "prodE2bApiKey");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/config prodE2bApiKey is not an E2B API key/);
    expect(message).not.toContain(notAKey);
    expect(checkImportedKey(PLANTED_KEY, "prodE2bApiKey")).toBe(PLANTED_KEY);
  });
});

describe("the management credential", () => {
  test("is in no resource input or output, from config or the environment", async () => {
    const token = "session-management-token-that-must-not-leak";
    const saved = process.env.E2B_MANAGEMENT_TOKEN;
    process.env.E2B_MANAGEMENT_TOKEN = token;
    try {
      const resources = await record(
        () => {
          new E2BEnvironment("prod", environment("aws-secrets-manager"));
        },
        { config: { "e2b:managementToken": token }, secretKeys: ["e2b:managementToken"] },
      );
      expect(resources.length).toBeGreaterThan(10);
      expect(occurrences(resources, token)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.E2B_MANAGEMENT_TOKEN;
      else process.env.E2B_MANAGEMENT_TOKEN = saved;
    }
  });
});

describe("AWS leak and budget monitor", () => {
  let resources: Awaited<ReturnType<typeof record>>;
  const env = environment("aws-secrets-manager");
  const model = environmentSchema.parse(env);

  beforeAll(async () => {
    resources = await record(() => {
      new E2BEnvironment("prod", env);
    });
  });

  test("the function's configuration names the secret, never the key", () => {
    const fn = unwrapSecrets(one(resources, "aws:lambda/function:Function").inputs) as any;
    const vars = fn.environment.variables;
    expect(vars[monitorEnv.secretStore]).toBe("aws-secrets-manager");
    expect(vars[monitorEnv.secretLocator]).toMatch(/^arn:aws:.*e2b\/prod\/api-key$/);
    expect(JSON.stringify(fn)).not.toContain(PLANTED_KEY);
    expect(Object.keys(vars).some((k) => /API_KEY$/.test(k))).toBe(false);
    expect(fn.handler).toBe("index.handler");
    expect(fn.runtime).toBe("nodejs20.x");
  });

  test("the function's role is granted read on the secret, and it runs on a schedule", () => {
    const policy = JSON.parse(
      (unwrapSecrets(one(resources, "aws:secretsmanager/secretPolicy:SecretPolicy").inputs) as any).policy,
    );
    expect(policy.Statement[0].Principal.AWS).toContain("arn:aws:iam::123456789012:role/prod-monitor");
    const rule = unwrapSecrets(one(resources, "aws:cloudwatch/eventRule:EventRule").inputs) as any;
    expect(rule.scheduleExpression).toBe("rate(5 minutes)");
    expect(byType(resources, "aws:cloudwatch/eventTarget:EventTarget")).toHaveLength(1);
    expect((unwrapSecrets(one(resources, "aws:lambda/permission:Permission").inputs) as any).principal).toBe(
      "events.amazonaws.com",
    );
  });

  test("leak and budget alarms notify the owners by e-mail through SNS", () => {
    const subs = byType(resources, "aws:sns/topicSubscription:TopicSubscription").map(
      (r) => unwrapSecrets(r.inputs) as any,
    );
    expect(subs.map((s) => [s.protocol, s.endpoint]).sort()).toEqual([
      ["email", "oncall@example.com"],
      ["email", "platform@example.com"],
    ]);
    const alarms = byType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(
      (r) => unwrapSecrets(r.inputs) as any,
    );
    const topicArn = "arn:aws:mock:us-east-1:123456789012:sns/topic/prod-alerts"; // the mock's ARN for the topic
    const specs = alarmSpecs(model);
    expect(alarms).toHaveLength(specs.length + 1); // + the monitor's own error alarm
    const byMetric = (m: string) => alarms.filter((a) => a.metricName === m);
    expect(byMetric("LiveSandboxes")[0]).toMatchObject({
      threshold: 50,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "breaching",
    });
    expect(byMetric("LeakedSandboxes")[0]).toMatchObject({ threshold: 0 });
    expect(
      byMetric("ProjectedMonthlyUsd")
        .map((a) => a.threshold)
        .sort((a, b) => a - b),
    ).toEqual([750, 1200, 1500]);
    for (const a of alarms) expect(a.alarmActions).toEqual([topicArn]);
    for (const s of subs) expect(s.topic).toBe(topicArn);
  });

  test("no monitor resources when monitor is none", async () => {
    const rs = await record(() => {
      new E2BEnvironment("prod", { ...env, monitor: "none" });
    });
    expect(byType(rs, "aws:lambda/function:Function")).toHaveLength(0);
    const policy = JSON.parse(
      (unwrapSecrets(one(rs, "aws:secretsmanager/secretPolicy:SecretPolicy").inputs) as any).policy,
    );
    expect(policy.Statement[0].Principal.AWS).toEqual(env.readers);
  });
});
