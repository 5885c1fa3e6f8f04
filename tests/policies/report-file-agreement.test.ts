/**
 * One truth in every report. For every eval fixture, the report file the pack writes itself at a
 * `pulumi preview` (E2B_GUARDRAILS_REPORT) and the report `preview --format json` prints for the same
 * program are the same document apart from `generatedAt` — with default config and with non-default
 * config (prices at 100×, other tag keys, levels, waivers). And the pack records resource inputs
 * whatever policies are enabled: disabling its one resource policy changes no other case's verdict.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ResourceGraph } from "../../engine";
import type { UserPolicyConfig } from "../../engine/policy-config";
import { loadCases, type Fixture } from "../../evals/load";
import type { Report, StackReport } from "../../policies/api";
import { render } from "../../reports";
import { scanGraph, type ScanSession } from "../../scan/session";
import { repoRoot, sharedBackend } from "../support/scan";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2b-report-agreement-"));
const file = path.join(dir, "pack-report.json");
// Read by the pack process when it starts: the sessions below get packs of their own (the shared
// scanner keys its packs by our E2B_GUARDRAILS_* environment too).
process.env.E2B_GUARDRAILS_REPORT = file;

const fixtures: Fixture[] = loadCases().flatMap((c) => c.fixtures);
const graphs = new Map<Fixture, ResourceGraph>();
/** The platform stack's prod environment (stacks/), the program of the reproduction. */
let platformProd: ResourceGraph;

/** Non-default settings every room must read from the same reconciled config. */
const nonDefault: UserPolicyConfig = {
  "e2b-03-sandbox-profile-and-cost": { prices: { vcpuSecondUsd: 0.0014, gibSecondUsd: 0.00045 } },
  "e2b-02-no-cross-environment-key-reference": { environmentTagKeys: ["stage", "environment"] },
  "e2b-04-timeout-ceiling": "advisory",
  "e2b-09-key-rotation": {
    waivers: [{ urn: "*", reason: "rotation window agreed", owner: "platform", expires: "2999-12-31" }],
  },
};

const withoutDate = (r: Report) => ({ ...r, generatedAt: undefined });

async function withSession<T>(policyConfig: UserPolicyConfig, f: (s: ScanSession) => Promise<T>): Promise<T> {
  const session = await sharedBackend.openSession({ policyConfig });
  try {
    return await f(session);
  } finally {
    await session.close();
  }
}

beforeAll(async () => {
  const run = sharedBackend.runProgram;
  await Promise.all([
    ...fixtures.map(async (f) =>
      graphs.set(f, await run({ cwd: f.dir, stack: f.expect.stack, organization: "evals" })),
    ),
    run({ cwd: repoRoot, stack: "prod" }).then((g) => (platformProd = g)),
  ]);
}, 300_000);

afterAll(() => {
  delete process.env.E2B_GUARDRAILS_REPORT;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What one policy config makes of every fixture: the pack's report file and the CLI's stack report. */
interface Scanned {
  pack: Report;
  cli: Report;
  stack: StackReport;
}

/** Each config's scans, made once: the agreement tests and the disabled-policy comparison share them. */
const scans = new Map<string, Promise<Map<Fixture, Scanned>>>();
function scanEveryFixture(policyConfig: UserPolicyConfig): Promise<Map<Fixture, Scanned>> {
  const id = JSON.stringify(policyConfig);
  if (!scans.has(id))
    scans.set(
      id,
      withSession(policyConfig, async (session) => {
        const out = new Map<Fixture, Scanned>();
        for (const f of fixtures) {
          fs.rmSync(file, { force: true });
          const stack = await scanGraph(session, graphs.get(f)!);
          out.set(f, {
            stack,
            cli: JSON.parse(render("json", session.report([stack]))) as Report,
            pack: JSON.parse(fs.readFileSync(file, "utf8")) as Report,
          });
        }
        return out;
      }),
    );
  return scans.get(id)!;
}

describe.each([
  ["default config", {}],
  ["prices at 100×, other tag keys, a level and a waiver", nonDefault],
])("with %s", (_label, policyConfig) => {
  it("the pack's report file equals `preview --format json` for every eval fixture", async () => {
    for (const [f, { pack, cli }] of await scanEveryFixture(policyConfig)) {
      expect({ fixture: `${f.caseId}/${f.name}`, ...withoutDate(pack) }).toEqual({
        fixture: `${f.caseId}/${f.name}`,
        ...withoutDate(cli),
      });
    }
  }, 300_000);
});

describe("the reproduction of issue 12 (prices at 100× in e2b-03's config)", () => {
  const prices = { "e2b-03-sandbox-profile-and-cost": nonDefault["e2b-03-sandbox-profile-and-cost"] };
  const expectOneFigure = (s: StackReport | undefined) => {
    expect(s?.costs).toEqual([expect.objectContaining({ environment: "prod", budgetMonthlyUsd: 1200 })]);
    expect(s?.costs?.[0].expectedMonthlyUsd).toBe(77_788.8);
    expect(s?.cases.find((c) => c.id === "E2B-05")?.status).toBe("fail");
    expect(s?.findings.map((x) => x.message).join("\n")).toMatch(
      /E2BEnvironment 'prod' budget \$1,200.00\/month is below its expected spend \(expected \$77,788.80\/month/,
    );
  };

  it("the platform stack's prod costs $77,788.80/month in both reports and its $1,200 budget fails E2B-05", async () => {
    await withSession(prices, async (session) => {
      fs.rmSync(file, { force: true });
      expectOneFigure(await scanGraph(session, platformProd));
      expectOneFigure((JSON.parse(fs.readFileSync(file, "utf8")) as Report).stacks[0]);
    });
  }, 120_000);

  it("reads e2b-05's deprecated `prices` when e2b-03 sets none", async () => {
    const deprecated = { "e2b-05-budget-alarm": nonDefault["e2b-03-sandbox-profile-and-cost"] };
    expectOneFigure(await withSession(deprecated, (s) => scanGraph(s, platformProd)));
  }, 120_000);
});

describe("with the pack's resource policy disabled", () => {
  const DISABLED = "e2b-01-key-only-in-key-stores";
  /** Verdicts of every case but E2B-01 and findings of every policy but the disabled one. */
  const others = (s: StackReport) => ({
    cases: s.cases.filter((c) => c.id !== "E2B-01").map((c) => `${c.id}:${c.status}`),
    findings: s.findings
      .filter((x) => x.policy !== DISABLED)
      .map((x) => `${x.policy}|${x.urn}|${x.enforcementLevel}|${x.message}`)
      .sort(),
  });

  it("every eval fixture keeps the verdicts and findings of the other cases", async () => {
    const enabled = await scanEveryFixture({});
    await withSession({ [DISABLED]: "disabled" }, async (s) => {
      for (const f of fixtures) {
        const stack = await scanGraph(s, graphs.get(f)!);
        // Its only finding says it was off (rt38 #3: the case must not read pass without it).
        expect(stack.findings.filter((x) => x.policy === DISABLED).map((x) => x.message)).toEqual([
          expect.stringMatching(/^e2b-01-key-only-in-key-stores is disabled by the policy config/),
        ]);
        expect(stack.findings.map((x) => x.message).join("\n")).not.toMatch(/model is not visible/);
        expect({ fixture: f.name, ...others(stack) }).toEqual({
          fixture: f.name,
          ...others(enabled.get(f)!.stack),
        });
      }
    });
  }, 300_000);
});
