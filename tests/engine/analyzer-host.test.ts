/**
 * The analyzer host against a pack we did not write (tests/engine/fixtures/foreign-pack, plain JS):
 * config defaults and overrides reach the pack, mandatory and advisory findings come back, stack
 * policies see parents and property dependencies, bad config is a clear InputError.
 */
import path from "node:path";
import { writeFileSync } from "node:fs";
import { AnalyzerHost, InputError, type ResourceGraph } from "../../engine";
import { sharedBackend } from "../support/scan";
import { tmpDir } from "../support/tmp";

const packDir = path.join(__dirname, "fixtures/foreign-pack");
const programDir = path.join(__dirname, "fixtures/recording");

describe("analyzer host with a third-party pack", () => {
  let host: AnalyzerHost;
  let graph: ResourceGraph;
  beforeAll(async () => {
    // The pack is this file's own process (its start-up is under test); the program's graph is only
    // input, so it comes from the run's warm program workers (the same graph as a fresh process:
    // tests/engine/program-pool.test.ts).
    [host, graph] = await Promise.all([
      AnalyzerHost.start(packDir),
      sharedBackend.runProgram({ cwd: programDir, stack: "dev" }),
    ]);
  });
  afterAll(() => host.stop());

  it("reads the pack's info over GetAnalyzerInfo", () => {
    expect(host.info).toMatchObject({ name: "acme-tagging", version: "2.3.4" });
    expect(host.info.policies.map((p) => [p.name, p.enforcementLevel, p.policyType])).toEqual([
      ["buckets-need-owner-tag", "mandatory", "resource"],
      ["stack-shape", "advisory", "stack"],
      ["never-applies", "advisory", "stack"],
    ]);
  });

  it("applies schema defaults when no config is given", async () => {
    const config = await host.configure();
    expect(config.get("buckets-need-owner-tag")).toEqual({
      enforcementLevel: "mandatory",
      properties: { tagKey: "owner", maxTags: 5 },
    });
    const r = await host.analyze(graph);
    // The bucket has an owner tag: the default tagKey passes.
    expect(r.diagnostics.filter((d) => d.policyName === "buckets-need-owner-tag")).toEqual([]);
  });

  it("reports a mandatory finding from user config and an advisory stack finding with wiring", async () => {
    await host.configure({ "buckets-need-owner-tag": { tagKey: "cost-center" } });
    const r = await host.analyze(graph);
    const mandatory = r.diagnostics.find((d) => d.policyName === "buckets-need-owner-tag")!;
    expect(mandatory).toMatchObject({
      enforcementLevel: "mandatory",
      severity: "high",
      policyPackName: "acme-tagging",
      urn: "urn:pulumi:dev::recording::acme:index:Storage$aws:s3/bucket:Bucket::logs-bucket",
    });
    expect(mandatory.message).toBe("Buckets must carry an owner tag.\nmissing tag 'cost-center'");
    const advisory = r.diagnostics.find((d) => d.policyName === "stack-shape")!;
    expect(advisory.enforcementLevel).toBe("advisory");
    expect(advisory.message).toContain("logs-policy parent=logs bucketDeps=logs-bucket deps=logs-bucket ");
    expect(r.stackNotApplicable).toEqual([{ policy: "never-applies", reason: "nothing to see" }]);
  });

  it("sends stack tags with ConfigureStack", async () => {
    await host.configure();
    const r = await host.analyze({ ...graph, tags: { team: "platform" } });
    expect(r.diagnostics.find((d) => d.policyName === "stack-shape")!.message).toContain(
      // The engine adds one tag of its own: the program's folder, so the pack can read deployed files.
      `tags=[["e2b-guardrails:program-dir","${programDir}"],["team","platform"]]`,
    );
  });

  it("honours 'all' and per-policy levels in the CLI's config format", async () => {
    await host.configure({ all: "disabled", "stack-shape": "mandatory" });
    const r = await host.analyze(graph);
    expect(r.diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
      ["stack-shape", "mandatory"],
    ]);
  });

  it.each([
    [
      { "buckets-need-owner-tag": { maxTags: 500 } },
      /policy 'buckets-need-owner-tag': field 'maxTags' must be <= 50/,
    ],
    [
      { "buckets-need-owner-tag": { tagKey: "" } },
      /policy 'buckets-need-owner-tag': field 'tagKey' must NOT have fewer than 1 characters/,
    ],
    [{ "no-such-policy": "mandatory" }, /field 'no-such-policy': the pack has no policy named/],
    [
      { "stack-shape": "loud" },
      /field 'stack-shape' must be one of advisory, mandatory, remediate, disabled/,
    ],
  ])("rejects bad config %j with a message naming the policy and field", async (config, message) => {
    await expect(host.configure(config)).rejects.toThrow(InputError);
    await expect(host.configure(config)).rejects.toThrow(message);
  });

  it("names the config file when it is not JSON", async () => {
    const file = path.join(tmpDir("cfg-"), "policy-config.json");
    writeFileSync(file, "{ not json");
    await expect(host.configure(file)).rejects.toThrow(/policy-config\.json: not valid JSON/);
  });
});

describe("analyzer host start-up errors", () => {
  it("refuses a folder that is not a pack", async () => {
    await expect(AnalyzerHost.start(programDir)).rejects.toThrow(
      /not a policy pack \(no PulumiPolicy\.yaml\)/,
    );
  });

  const crashingPack = path.join(__dirname, "fixtures/crashing-pack");
  const startError = async (mode: string): Promise<Error> => {
    const e = await AnalyzerHost.start(crashingPack, { env: { CRASH_MODE: mode } }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e).toBeInstanceOf(InputError);
    return e!;
  };

  it("says in one line, naming the pack, why a pack died before serving, with no key in it", async () => {
    const e = await startError("throw");
    expect(e.message.split("\n")).toHaveLength(1);
    expect(e.message).toMatch(
      /crashing-pack: policy pack exited \(\d+\) before serving: Error: cannot load policies/,
    );
    expect(e.message).toContain("e2b_…4567");
    expect(e.message).not.toContain("0123456789abcdef0123456789abcdef01234567");
  });

  it("stops a pack that printed something other than its port", async () => {
    const before = new Set(childPids());
    const e = await startError("garbage");
    expect(e.message).toMatch(
      /crashing-pack: policy pack printed 'listening with e2b_…4567' instead of its port/,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(childPids().filter((p) => !before.has(p))).toEqual([]);
  });
});

/** Live child processes of this test process (Linux /proc). */
function childPids(): number[] {
  const { readdirSync, readFileSync } = require("node:fs") as typeof import("node:fs");
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(fields[1]) === process.pid && fields[0] !== "Z";
      } catch {
        return false;
      }
    })
    .map(Number);
}
