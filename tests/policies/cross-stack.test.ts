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

  const scan = useScanner();
  it("analyses each export through the pack (per-stack verdicts stay per stack)", async () => {
    const report = await scan.states(states);
    expect(report.stacks.map((s) => s.stack)).toEqual(["prod", "dev", "staging"]);
    for (const s of report.stacks) expect(s.cases.find((c) => c.id === "E2B-01")?.status).toBe("fail");
    expect(JSON.stringify(report)).not.toContain(PLANTED[0]);
  });
});
