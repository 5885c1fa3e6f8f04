/**
 * Org-wide audit: several `pulumi stack export` files, loaded by the engine, compared by the pack's
 * cross-stack functions (what `audit --state a --state b` calls), and each analysed through the pack.
 */
import { loadStateExport } from "../../engine";
import {
  crossStackFindingsForGraphs,
  stackFileFindings,
  type StackFileKeysLike,
} from "../../policies/cross-stack";
import type { PackConfig } from "../../policies/settings";
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

describe("E2B-02 across a previewed project's stack files", () => {
  const urn = "urn:pulumi:staging::agents::pulumi:pulumi:Stack::agents-staging";
  const key = (fingerprint: string) => ({
    configKey: "agents:e2bApiKey",
    fingerprint,
    mask: `e2b_…${fingerprint}`,
  });
  const file = (stack: string, more: Partial<StackFileKeysLike> = {}): StackFileKeysLike => ({
    stack,
    file: `Pulumi.${stack}.yaml`,
    keys: [],
    hidden: [],
    sealed: [],
    ...more,
  });
  const staging = (more: Partial<StackFileKeysLike> = {}) => ({ ...file("staging", more), urn });

  it("fails a key this stack's file shares with another environment's, naming both files", () => {
    const [f] = stackFileFindings(staging({ keys: [key("1111")] }), [
      file("prod", { keys: [key("1111")] }),
      file("dev", { keys: [key("2222")] }),
    ]);
    expect(f).toMatchObject({
      policy: "e2b-02-no-cross-environment-key-reference",
      enforcementLevel: "mandatory",
      urn,
      path: "config.agents:e2bApiKey",
      keyFingerprint: "1111",
    });
    expect(f.message).toBe(
      "E2B key e2b_…1111 in this stack's config (agents:e2bApiKey, Pulumi.staging.yaml) is also in Pulumi.prod.yaml (stack prod, config agents:e2bApiKey): two environments share one key. Give every environment its own key.",
    );
  });

  it("fails one ciphertext in two stack files without decrypting it: a copied file", () => {
    const sealed = [{ configKey: "agents:e2bApiKey", ciphertext: "c0ffee" }];
    const hidden = ["agents:e2bApiKey"];
    const out = stackFileFindings(staging({ hidden, sealed }), [file("prod", { hidden, sealed })]);
    expect(out).toHaveLength(1);
    expect(out[0].message).toMatch(
      /^The encrypted E2B key in this stack's config .* is also in Pulumi\.prod\.yaml/,
    );
    expect(out[0]).toMatchObject({ enforcementLevel: "mandatory", unknown: true });
    expect(out[0].inconclusive).toBeUndefined();
  });

  it("is inconclusive, never a pass, where a hidden value could not be compared, and says why", () => {
    const [f, ...rest] = stackFileFindings(staging({ keys: [key("1111")] }), [
      file("prod", { hidden: ["agents:e2bApiKey"], hiddenBecause: "the passphrase does not open it" }),
    ]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ enforcementLevel: "advisory", unknown: true, inconclusive: true });
    expect(f.message).toMatch(
      /could not be compared with the other environments' stack files Pulumi\.prod\.yaml \(agents:e2bApiKey; the passphrase does not open it\)/,
    );
    const hidden = staging({
      hidden: ["agents:e2bApiKey"],
      sealed: [{ configKey: "agents:e2bApiKey", ciphertext: "a" }],
    });
    expect(stackFileFindings(hidden, [file("prod", { keys: [key("1111")] })])[0]).toMatchObject({
      inconclusive: true,
    });
  });

  it("compares only stacks named for different environments", () => {
    const shared = { keys: [key("1111")] };
    // `production` spells prod; `alice` and `own` name no environment.
    expect(stackFileFindings({ ...file("prod", shared), urn }, [file("production", shared)])).toEqual([]);
    expect(stackFileFindings(staging(shared), [file("alice", shared), file("own", shared)])).toEqual([]);
    expect(stackFileFindings({ ...file("own", shared), urn }, [file("prod", shared)])).toEqual([]);
    // Nothing of the key in this stack's config: nothing to compare.
    expect(stackFileFindings(staging(), [file("prod", shared)])).toEqual([]);
  });

  it("reports nothing when the policy is disabled", () => {
    const disabled: PackConfig = new Map([
      ["e2b-02-no-cross-environment-key-reference", { enforcementLevel: "disabled", properties: {} }],
    ]);
    expect(
      stackFileFindings(staging({ keys: [key("1111")] }), [file("prod", { keys: [key("1111")] })], disabled),
    ).toEqual([]);
  });
});
