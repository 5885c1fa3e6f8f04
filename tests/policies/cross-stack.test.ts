/**
 * Org-wide audit: several `pulumi stack export` files, loaded by the engine, compared by the pack's
 * cross-stack functions (what `audit --state a --state b` calls), and each analysed through the pack.
 */
import { loadStateExport } from "../../engine";
import { crossStackFindingsForGraphs } from "../../policies/cross-stack";
import { useScanner } from "../support/scan";
import { PLANTED, fx } from "./helpers";

const states = ["org-prod.json", "org-dev.json", "org-staging.json"].map((f) => `${fx("states")}/${f}`);

describe("cross-stack detection over state exports", () => {
  it("reports the shared key, the shared secret and the shared team in each stack involved", () => {
    const graphs = states.map((f) => loadStateExport(f));
    const out = crossStackFindingsForGraphs(graphs);
    for (const s of ["agents/prod", "agents/dev"]) {
      const msgs = out
        .get(s)!
        .map((f) => `${f.policy}: ${f.message}`)
        .join("\n");
      expect(msgs).toMatch(
        /e2b-02-no-cross-environment-key-reference: E2B key e2b_…4567 of environment (prod|dev) is also used by agents\/(dev|prod)/,
      );
      expect(msgs).toMatch(
        /e2b-02-no-cross-environment-key-reference: Secret aws-secrets-manager:e2b\/shared\/api-key/,
      );
      expect(msgs).toMatch(/e2b-07-workspace-isolation: E2B team team-shared serves/);
    }
    // Staging has its own key, secret and team: nothing to report there.
    expect(out.get("agents/staging")).toEqual([]);
    expect(JSON.stringify([...out.values()])).not.toContain(PLANTED[0]);
  });

  it("cannot compare a key an export holds as an encrypted secret: inconclusive for each stack involved, never a pass (real45 #2)", () => {
    const lambda = (stack: string, key: unknown) => ({
      project: "agents",
      stack,
      resources: [
        {
          urn: `urn:pulumi:${stack}::agents::aws:lambda/function:Function::api`,
          type: "aws:lambda/function:Function",
          name: "api",
          custom: true,
          dependencies: [],
          propertyDependencies: {},
          inputs: { environment: { variables: { E2B_API_KEY: key } } },
          outputs: {},
        },
      ],
    });
    const hidden = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "[secret]",
    };
    const out = crossStackFindingsForGraphs([
      lambda("prod", hidden),
      lambda("staging", hidden),
      lambda("dev", null),
    ]);
    for (const s of ["agents/prod", "agents/staging"]) {
      const [f, ...rest] = out.get(s)!;
      expect(rest).toEqual([]);
      expect(f).toMatchObject({
        policy: "e2b-02-no-cross-environment-key-reference",
        enforcementLevel: "advisory",
        path: "environment.variables.E2B_API_KEY",
        unknown: true,
        inconclusive: true,
      });
      expect(f.message).toMatch(/could not be compared with the keys of agents\/(staging|prod)/);
    }
    // A stack with no key in it has nothing to compare.
    expect(out.get("agents/dev")).toEqual([]);
    // Two environments whose keys show are compared, and differ: nothing to say.
    const shown = crossStackFindingsForGraphs([
      lambda("prod", `e2b_${PLANTED[0]}`),
      lambda("staging", `e2b_${PLANTED[1]}`),
    ]);
    expect([...shown.values()].flat()).toEqual([]);
    // Under another name E2B-01 reads as the key (rt56 #3).
    const renamed = (stack: string) => {
      const g = lambda(stack, hidden);
      g.resources[0].inputs = { environment: { variables: { E2B_SANDBOX_KEY: hidden } } } as never;
      return g;
    };
    const other = crossStackFindingsForGraphs([renamed("prod"), lambda("staging", `e2b_${PLANTED[1]}`)]);
    expect(other.get("agents/prod")?.map((f) => f.inconclusive)).toEqual([true]);
    // Stacks of one environment by the project's rule (dev, dev-2; prod, production) compare nothing,
    // and may share a key (rt56 #4).
    for (const [a, b] of [
      ["dev", "dev-2"],
      ["prod", "production"],
    ]) {
      expect(
        [...crossStackFindingsForGraphs([lambda(a, hidden), lambda(b, hidden)]).values()].flat(),
      ).toEqual([]);
      expect(
        [
          ...crossStackFindingsForGraphs([
            lambda(a, `e2b_${PLANTED[0]}`),
            lambda(b, `e2b_${PLANTED[0]}`),
          ]).values(),
        ].flat(),
      ).toEqual([]);
    }
  });

  const scan = useScanner();
  it("analyses each export through the pack (per-stack verdicts stay per stack)", async () => {
    const report = await scan.states(states);
    expect(report.stacks.map((s) => s.stack)).toEqual(["prod", "dev", "staging"]);
    for (const s of report.stacks) expect(s.cases.find((c) => c.id === "E2B-01")?.status).toBe("fail");
    expect(JSON.stringify(report)).not.toContain(PLANTED[0]);
  });
});
