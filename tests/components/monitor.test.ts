/**
 * The monitor function's logic with the real sandbox auditor (runtime/) against the local E2B API
 * server, and its configuration read back from what the component registers for the Lambda.
 */
import path from "node:path";
import { E2BEnvironment } from "../../components/environment";
import { readMonitorConfig, runMonitor, type MonitorConfig } from "../../components/monitor/handler";
import { auditWithRuntime } from "../../components/monitor/lambda";
import { buildMonitorBundle } from "../../components/monitor/build";
import { isKeyMaterial } from "../../policies/detect/keys";
import { startE2BServer, type E2BServer } from "../support/e2b-api";
import { environment } from "./support/fixtures";
import { one, record, unwrapSecrets } from "./support/harness";

let server: E2BServer;
/** What the handler reads from the Lambda the component registers: recorded once, each test runs on a copy. */
let registered: MonitorConfig;
beforeAll(async () => {
  server = await startE2BServer();
  const rs = await record(() => {
    new E2BEnvironment("prod", { ...environment("aws-secrets-manager"), apiUrl: server.url });
  });
  const fn = unwrapSecrets(one(rs, "aws:lambda/function:Function").inputs) as {
    environment: { variables: Record<string, string> };
  };
  registered = readMonitorConfig(fn.environment.variables);
});
afterAll(() => server.close());

const lambdaConfig = (): MonitorConfig => structuredClone(registered);

test("the Lambda's registered configuration is what the handler reads, with no key in it", async () => {
  const config = lambdaConfig();
  expect(config).toMatchObject({
    environment: "prod",
    secretStore: "aws-secrets-manager",
    maxSandboxAgeSeconds: 7200,
    requiredMetadata: ["user_id", "request_id"],
    killLeaked: false,
    apiUrl: server.url,
  });
  expect(isKeyMaterial(JSON.stringify(config))).toBe(false);
});

test("a run audits the team's sandboxes with the key from the store and publishes the metrics", async () => {
  const { teamId } = server.state.addTeam();
  const { key } = server.state.addApiKey(teamId, { name: "e2b-platform-prod" });
  const now = Date.now();
  server.state.seedSandboxes(3, {
    teamId,
    metadata: { user_id: "u1", request_id: "r1" },
    startedAt: new Date(now - 60_000),
    endAt: new Date(now + 600_000),
    cpuCount: 2,
    memoryMB: 2048,
  });
  server.state.seedSandboxes(2, {
    teamId,
    idPrefix: "old",
    metadata: { user_id: "u2", request_id: "r2" },
    startedAt: new Date(now - 3 * 3_600_000),
    endAt: new Date(now + 600_000),
    cpuCount: 2,
    memoryMB: 2048,
  });
  const config = { ...lambdaConfig(), teamId };
  const lines: string[] = [];
  const readKey = jest.fn(async () => key);
  const summary = await runMonitor(config, {
    readKey,
    audit: auditWithRuntime,
    log: (l) => lines.push(l),
    now: () => new Date(now),
  });

  expect(readKey).toHaveBeenCalledWith(config);
  expect(summary).toMatchObject({ live: 5, leaked: 2, killed: 0 });
  // 5 running × (2 × 0.000014 + 2 × 0.0000045) × 3600
  expect(summary.burnRateUsdPerHour).toBeCloseTo(5 * 0.000037 * 3600, 6);
  expect(lines).toHaveLength(1);
  const emf = JSON.parse(lines[0]);
  expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
    Namespace: "E2B/Guardrails",
    Dimensions: [["Environment"]],
  });
  expect(emf).toMatchObject({ Environment: "prod", LiveSandboxes: 5, LeakedSandboxes: 2 });
  expect(emf.ProjectedMonthlyUsd).toBeCloseTo(summary.burnRateUsdPerHour * 730, 6);
  expect(isKeyMaterial(lines.join("\n"))).toBe(false);
});

test("under a hard limit the monitor kills the leaked sandboxes, and only those", async () => {
  const { teamId } = server.state.addTeam();
  const { key } = server.state.addApiKey(teamId);
  const now = Date.now();
  server.state.seedSandboxes(1, {
    teamId,
    metadata: { user_id: "u", request_id: "r" },
    startedAt: new Date(now - 60_000),
    endAt: new Date(now + 600_000),
  });
  server.state.seedSandboxes(2, {
    teamId,
    idPrefix: "old",
    metadata: { user_id: "u", request_id: "r" },
    startedAt: new Date(now - 3 * 3_600_000),
    endAt: new Date(now + 600_000),
  });
  const config = { ...lambdaConfig(), teamId, killLeaked: true };
  const summary = await runMonitor(config, {
    readKey: async () => key,
    audit: auditWithRuntime,
    log: () => undefined,
    now: () => new Date(),
  });
  expect(summary.killed).toBe(2);
  expect(server.state.runningCount(teamId)).toBe(1);
});

test("failures name the step and never carry the key", async () => {
  const config = lambdaConfig();
  const planted = "e2b_" + "ab".repeat(20);
  await expect(
    runMonitor(config, {
      readKey: async () => {
        throw new Error(`AccessDenied reading ${planted}`);
      },
      audit: auditWithRuntime,
      log: () => undefined,
      now: () => new Date(),
    }),
  ).rejects.toThrow(/cannot read the E2B key from aws-secrets-manager: AccessDenied reading e2b_…abab$/);
  const revoked = runMonitor(config, {
    readKey: async () => planted,
    audit: auditWithRuntime,
    log: () => undefined,
    now: () => new Date(),
  });
  await expect(revoked).rejects.toThrow(/sandbox audit failed/);
  await revoked.catch((e: Error) => expect(isKeyMaterial(e.message)).toBe(false));
});

test("the bundle builds with the handler exported and the AWS SDK left to the Lambda runtime", () => {
  const out = buildMonitorBundle(path.join(__dirname, "../../test-output/monitor-bundle"));
  const text = require("node:fs").readFileSync(out, "utf8") as string;
  expect(text).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
  const mod = require(out) as { handler: unknown };
  expect(typeof mod.handler).toBe("function");
});
