/**
 * A pack process takes Configure again between stacks (configureSession): the test suite's shared
 * scanner serves every policy config with one pack process this way, so no verdict may depend on the
 * config a process was sent before.
 */
import path from "node:path";
import { AnalyzerHost, loadStateExport, type ResourceGraph } from "../../engine";
import type { UserPolicyConfig } from "../../engine/policy-config";
import type { StackReport } from "../../policies/report";
import { configureSession, defaultPackDir, scanGraph } from "../../scan/session";

const root = path.resolve(__dirname, "../..");
const KEY_STORES = "e2b-01-key-only-in-key-stores";

const graphs: ResourceGraph[] = [
  "tests/engine/fixtures/state/lambda-key-plain.json",
  "tests/policies/fixtures/states/org-dev.json",
  "tests/policies/fixtures/states/org-prod.json",
].map((f) => loadStateExport(path.join(root, f)));

const COST = "e2b-03-sandbox-profile-and-cost";

/**
 * Levels and properties both change: every policy advisory, a waiver on every key-store finding, and
 * a cost ceiling priced with the pack's price table (which the pack keeps from Configure itself).
 */
const relaxed: UserPolicyConfig = {
  all: "advisory",
  [KEY_STORES]: {
    waivers: [{ urn: "*", reason: "migrating", owner: "ops@example.com", expires: "2099-12-31" }],
  },
  [COST]: {
    maxWorstCaseMonthlyUsd: { production: 1 },
    prices: { vcpuSecondUsd: 0.00005, gibSecondUsd: 0.00002 },
  },
};

describe("one pack process, its config replaced between stacks", () => {
  let reused: AnalyzerHost;
  let fresh: AnalyzerHost;
  beforeAll(async () => {
    [reused, fresh] = await Promise.all([
      AnalyzerHost.start(defaultPackDir),
      AnalyzerHost.start(defaultPackDir),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([reused?.stop(), fresh?.stop()]);
  });

  const judge = async (host: AnalyzerHost, config: UserPolicyConfig | undefined): Promise<StackReport[]> => {
    const session = await configureSession(host, config);
    const out: StackReport[] = [];
    for (const g of graphs) out.push(await scanGraph(session, g));
    return out;
  };

  it("judges each stack by the config sent last, as a process configured only once does", async () => {
    const defaults = await judge(reused, undefined);
    const relaxedAfterDefaults = await judge(reused, relaxed);
    const defaultsAgain = await judge(reused, undefined);
    const relaxedOnly = await judge(fresh, relaxed);

    expect(relaxedAfterDefaults).toEqual(relaxedOnly);
    expect(defaultsAgain).toEqual(defaults);

    // The two configs do judge differently: mandatory, unwaived findings under the defaults only.
    const findings = (rs: StackReport[]) => rs.flatMap((r) => r.findings);
    const keyStore = (rs: StackReport[]) => findings(rs).filter((f) => f.policy === KEY_STORES);
    expect(keyStore(defaults).length).toBeGreaterThan(0);
    expect(keyStore(defaults).some((f) => f.enforcementLevel === "mandatory" && !f.waiver)).toBe(true);
    expect(keyStore(relaxedOnly).length).toBe(keyStore(defaults).length);
    expect(keyStore(relaxedOnly).every((f) => f.waiver?.owner === "ops@example.com")).toBe(true);
    expect(findings(relaxedOnly).every((f) => f.enforcementLevel === "advisory")).toBe(true);
    const cost = (rs: StackReport[]) =>
      findings(rs)
        .filter((f) => f.policy === COST)
        .map((f) => f.message);
    expect(cost(defaults)).toEqual([]);
    expect(cost(relaxedOnly)).toEqual([expect.stringMatching(/worst-case monthly cost \$[\d,.]+ exceeds/)]);
  }, 60_000);
});
