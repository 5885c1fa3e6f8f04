/**
 * E2B-02 across a previewed project's stack files (detect/stack-files.ts): what the offline engine's
 * STACK_FILES_TAG makes the pack report, and the tag read back.
 */
import {
  parseStackFilesTag,
  stackFileFindings,
  type StackFileKeysLike,
} from "../../../policies/detect/stack-files";

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
const hidden = ["agents:e2bApiKey"];

describe("stackFileFindings", () => {
  it("reports a key this stack's file shares with another environment's, naming both files", () => {
    const own = file("staging", { keys: [key("1111")] });
    const siblings = [file("prod", { keys: [key("1111")] }), file("dev", { keys: [key("2222")] })];
    expect(stackFileFindings({ own, siblings })).toEqual([
      {
        message:
          "E2B key e2b_…1111 in this stack's config (agents:e2bApiKey, Pulumi.staging.yaml) is also in Pulumi.prod.yaml (stack prod, config agents:e2bApiKey): two environments share one key. Give every environment its own key.",
        path: "config.agents:e2bApiKey",
        keyFingerprint: "1111",
      },
    ]);
  });

  it("reports one ciphertext in two stack files without decrypting it: a copied file", () => {
    const sealed = [{ configKey: "agents:e2bApiKey", ciphertext: "c0ffee" }];
    const out = stackFileFindings({
      own: file("staging", { hidden, sealed }),
      siblings: [file("prod", { hidden, sealed })],
    });
    expect(out).toEqual([
      {
        message: expect.stringMatching(
          /^The encrypted E2B key in this stack's config .* is also in Pulumi\.prod\.yaml/,
        ),
        path: "config.agents:e2bApiKey",
        unknown: true,
      },
    ]);
  });

  it("compares a value under any name the stack says holds the key (an E2BEnvironment's key.configKey)", () => {
    // rt39 #1: `e2bKey` copied with the stack file read PASS without the passphrase.
    const sealed = [{ configKey: "agents:e2bKey", ciphertext: "c0ffee" }];
    const files = { own: file("staging", { sealed }), siblings: [file("prod", { sealed })] };
    expect(stackFileFindings(files)).toEqual([]);
    expect(stackFileFindings(files, new Set(["agents:e2bKey"]))).toEqual([
      expect.objectContaining({ path: "config.agents:e2bKey", unknown: true }),
    ]);
  });

  it("of a structured value's secure leaves, takes only the key's for the key: another service's copied key is not it (rt45 #3)", () => {
    const leaves = (e2b: string, openai: string, other: string) => [
      { configKey: "agents:agents", leaf: "e2bApiKey", ciphertext: e2b },
      { configKey: "agents:agents", leaf: "openaiApiKey", ciphertext: openai },
      { configKey: "agents:agents", leaf: "token", ciphertext: other },
    ];
    const compared = (theirs: ReturnType<typeof leaves>) =>
      stackFileFindings({
        own: file("staging", { hidden: ["agents:agents"], sealed: leaves("e1", "o1", "t1") }),
        siblings: [file("prod", { hidden: ["agents:agents"], sealed: theirs })],
      }).map((f) => [f.path, f.inconclusive ?? false, /encrypted E2B key/.test(f.message)]);
    // The OpenAI key copied, the E2B key not: not compared (no copy shows), never failed.
    expect(compared(leaves("e2", "o1", "t2"))).toEqual([["config.agents:agents", true, false]]);
    // The E2B key's own leaf copied: failed.
    expect(compared(leaves("e1", "o2", "t2"))).toEqual([["config.agents:agents", false, true]]);
    // A leaf whose name says nothing (`token`) copied: it may be the key.
    expect(compared(leaves("e2", "o2", "t1"))).toEqual([["config.agents:agents.token", true, false]]);
    // Under a config key named about E2B, another service's key is still not the E2B key (rt46 #1).
    const e2bValue = (webhook: string) => [
      { configKey: "agents:e2b", leaf: "apiKey", ciphertext: "k1" },
      { configKey: "agents:e2b", leaf: "webhookSecret", ciphertext: webhook },
    ];
    expect(
      stackFileFindings({
        own: file("staging", { hidden: ["agents:e2b"], sealed: e2bValue("w1") }),
        siblings: [
          file("prod", {
            hidden: ["agents:e2b"],
            sealed: [...e2bValue("w1")].map((x) => (x.leaf === "apiKey" ? { ...x, ciphertext: "k2" } : x)),
          }),
        ],
      }).map((f) => f.inconclusive ?? false),
    ).toEqual([true]);
  });

  it("is inconclusive, never silent, where a hidden value could not be compared, and says why", () => {
    const out = stackFileFindings({
      own: file("staging", { keys: [key("1111")] }),
      siblings: [file("prod", { hidden, hiddenBecause: "the passphrase does not open it" })],
    });
    expect(out).toEqual([
      {
        message: expect.stringMatching(
          /could not be compared with the other environments' stack files Pulumi\.prod\.yaml \(agents:e2bApiKey; the passphrase does not open it\)/,
        ),
        path: "config.agents:e2bApiKey",
        unknown: true,
        inconclusive: true,
      },
    ]);
    const sealed = [{ configKey: "agents:e2bApiKey", ciphertext: "a" }];
    expect(
      stackFileFindings({
        own: file("staging", { hidden, sealed }),
        siblings: [file("prod", { keys: [key("1111")] })],
      }),
    ).toEqual([expect.objectContaining({ inconclusive: true })]);
  });

  it("counts another environment's undecrypted value under a name the stack says holds the key as not compared (rt40 #2)", () => {
    // prod's e2bKey decrypted here, staging's not (a passphrase per stack): neither silent nor a PASS.
    const files = {
      own: file("prod", { keys: [{ ...key("1111"), configKey: "agents:e2bKey" }] }),
      siblings: [file("staging", { sealed: [{ configKey: "agents:e2bKey", ciphertext: "b" }] })],
    };
    expect(stackFileFindings(files)).toEqual([]);
    expect(stackFileFindings(files, new Set(["agents:e2bKey"]))).toEqual([
      expect.objectContaining({
        inconclusive: true,
        message: expect.stringMatching(/stack files Pulumi\.staging\.yaml \(agents:e2bKey\)/),
      }),
    ]);
  });

  it("is inconclusive where another environment's stack file could not be read at all (rt39 #8)", () => {
    const out = stackFileFindings({
      own: file("staging", { keys: [key("1111")] }),
      siblings: [file("prod", { unread: true, hiddenBecause: "it could not be read: not valid YAML" })],
    });
    expect(out).toEqual([
      expect.objectContaining({
        inconclusive: true,
        message: expect.stringMatching(
          /stack files Pulumi\.prod\.yaml \(it could not be read: not valid YAML\)/,
        ),
      }),
    ]);
  });

  it("compares only stacks named for different environments, and only when this stack's config has the key", () => {
    const shared = { keys: [key("1111")] };
    // `production` spells prod; `alice` and `own` name no environment.
    expect(stackFileFindings({ own: file("prod", shared), siblings: [file("production", shared)] })).toEqual(
      [],
    );
    expect(
      stackFileFindings({
        own: file("staging", shared),
        siblings: [file("alice", shared), file("own", shared)],
      }),
    ).toEqual([]);
    expect(stackFileFindings({ own: file("own", shared), siblings: [file("prod", shared)] })).toEqual([]);
    // Regions or variants of one environment are one environment (real36 bug 3); environments of one
    // tier are not (dev and qa, rt41 #3).
    expect(
      stackFileFindings({
        own: file("prod-us", shared),
        siblings: [file("prod-eu", shared), file("staging_new", shared)],
      }).map((f) => f.message),
    ).toEqual([expect.stringMatching(/is also in Pulumi\.staging_new\.yaml \(stack staging_new/)]);
    expect(
      stackFileFindings({
        own: file("dev", shared),
        siblings: [file("qa", shared), file("dev_alice", shared)],
      }).map((f) => f.message),
    ).toEqual([expect.stringMatching(/is also in Pulumi\.qa\.yaml \(stack qa/)]);
    // The environment word need not come first (rt42 #1).
    expect(
      stackFileFindings({ own: file("acme-prod", shared), siblings: [file("acme-staging", shared)] }).map(
        (f) => f.message,
      ),
    ).toEqual([expect.stringMatching(/is also in Pulumi\.acme-staging\.yaml/)]);
    // Nor need the first such word be the environment's (rt43 #2: `sandbox` is a tier word too).
    expect(
      stackFileFindings({
        own: file("sandbox-runner-prod", shared),
        siblings: [file("sandbox-runner-staging", shared), file("sandbox-runner-prod-eu", shared)],
      }).map((f) => f.message),
    ).toEqual([expect.stringMatching(/is also in Pulumi\.sandbox-runner-staging\.yaml/)]);
    expect(stackFileFindings({ own: file("staging"), siblings: [file("prod", shared)] })).toEqual([]);
  });

  it("tells environments apart by the environment words two names do not share, wherever they stand (rt44 #1)", () => {
    const shared = { keys: [key("1111")] };
    const sharing = (own: string, sibling: string, project = "agents") =>
      stackFileFindings(
        { own: file(own, shared), siblings: [file(sibling, shared)] },
        undefined,
        undefined,
        project,
      ).length > 0;
    // The project's own name may hold a tier word (`sandbox`, `ci`, `test`, `live`) after the environment.
    for (const [own, sibling] of [
      ["prod-sandbox-runner", "staging-sandbox-runner"],
      ["prod-e2b-sandbox", "dev-e2b-sandbox"],
      ["prod-agents-ci", "dev-agents-ci"],
      ["prod-api-test", "staging-api-test"],
      ["prod-live", "dev-live"],
      ["agentsProd", "agentsStaging"],
      ["prod", "prod-staging-mirror"],
      // A qualifier makes another environment of the word it precedes (rt45 #1).
      ["prod", "pre-prod"],
      ["prod", "preProd"],
      ["prod", "non-prod"],
      ["nonprod", "prod"],
      ["agents-prod", "agents-nonprod"],
      // A qualified word is its own environment, wherever the qualifier stands (rt46 #3).
      ["staging", "pre-staging"],
      ["prod", "pre-prd"],
      ["prod", "nonprd"],
      ["prod", "post-prod"],
      ["dev", "pre-dev"],
      ["prod", "prod-pre"],
      ["prod1", "staging1"],
      ["dev2", "prod2"],
      // A tier word beside a shared one is another environment: a load test or CI of prod (rt47 #7).
      ["prod", "prod-load"],
      ["prod", "prod-stress"],
      ["prod", "prod-test"],
      ["prod", "prod-ci"],
      ["prod", "prod-preview"],
      ["prd-test", "prd"],
      ["staging", "test-staging"],
      // Test and load words beyond the first list (rt48 #3).
      ["prod", "prod-e2e"],
      ["prod", "prod-tests"],
      ["prod", "prod-benchmark"],
      ["prod", "prod-integration"],
      ["staging", "staging-e2e"],
    ])
      expect([own, sibling, sharing(own, sibling)]).toEqual([own, sibling, true]);
    // Regions, variants and spellings of one environment are one.
    for (const [own, sibling] of [
      ["prod-us", "prod-eu"],
      ["prod-sandbox-runner", "prod-sandbox-runner-eu"],
      ["prod", "production"],
      ["agentsProd", "agentsProdEu"],
      ["dev", "dev_alice"],
      // `sandbox` and `live` beside a shared environment word (rt46 #2).
      ["sandbox-runner-prod", "prod"],
      ["prod-live", "prod"],
      // Spellings of one environment, wherever they stand (rt48 #3).
      ["prod", "live"],
      ["live", "prod-live"],
      ["prod-test", "prod-testing"],
      // Numbered instances of one environment, numbered apart or not (real39 obs.).
      ["prod1", "prod2"],
      ["prod01", "prod-02"],
      ["agentsProd1", "agentsProd"],
    ])
      expect([own, sibling, sharing(own, sibling)]).toEqual([own, sibling, false]);
    // A tier word of the project's own name, beside a shared one (rt46 #2), is the project's.
    for (const [own, sibling, project] of [
      ["preview-api-prod", "prod", "preview-api"],
      ["e2b-test-harness-staging", "staging", "e2b-test-harness"],
      ["agents-ci-prod", "prod", "agents-ci"],
    ])
      expect([own, sibling, sharing(own, sibling, project)]).toEqual([own, sibling, false]);
    expect(sharing("prod", "prod-ci", "agents-ci")).toBe(false);
    expect(sharing("prod", "staging", "prod-staging-sync")).toBe(true);
  });
});

describe("parseStackFilesTag", () => {
  it("reads the engine's tag back and ignores anything of another shape", () => {
    const files = { own: file("staging", { keys: [key("1111")] }), siblings: [file("prod", { hidden })] };
    expect(parseStackFilesTag(JSON.stringify(files))).toEqual(files);
    for (const bad of [
      undefined,
      "",
      "{",
      "[]",
      JSON.stringify({ own: files.own, siblings: [{ stack: 1 }] }),
    ])
      expect(parseStackFilesTag(bad)).toBeUndefined();
  });
});
