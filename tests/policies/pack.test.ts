/** Pack-wide behaviour through the engine: case applicability, waivers, odd shapes, no key in any output. */
import { formats, render } from "../../reports";
import type { StackReport } from "../../policies/report";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, useScanner } from "../support/scan";
import { programCopy } from "../support/tmp";
import { PLANTED, expectClean, fx, of, status } from "./helpers";

describe("case applicability", () => {
  const scan = useScanner();

  it("reports every case not-applicable for a stack without E2B", async () => {
    const { stack } = await scan.program(fx("no-e2b"), "dev");
    expect(stack.cases.map((c) => c.status)).toEqual(Array(9).fill("not-applicable"));
    expect(stack.findings).toEqual([]);
  });

  it("reports every case applicable and passing for a remediated E2B stack", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    expect(stack.cases.map((c) => `${c.id}:${c.status}`)).toEqual(
      ["01", "02", "03", "04", "05", "06", "07", "08", "09"].map((n) => `E2B-${n}:pass`),
    );
  });

  it("makes key-material cases applicable when only raw key material shows E2B use", async () => {
    const { stack } = await scan.program(fx("odd-shapes"), "dev");
    expect(status(stack, "E2B-01")).toBe("fail");
    expect(status(stack, "E2B-06")).toBe("pass");
  });
});

describe("odd shapes", () => {
  const scan = useScanner();
  it("never throws on mixed arrays, nulls, deep nesting, YAML strings and nested archives, and still finds keys", async () => {
    const { stack } = await scan.program(fx("odd-shapes"), "dev");
    const msgs = of(stack, "e2b-01-key-only-in-key-stores").map((f) => f.message);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/'archive' .* at code\.assets\["index\.js"\]\.text/),
        expect.stringMatching(/'weird' .* at spec\.manifest\{yaml\}\.data\.E2B_API_KEY/),
        expect.stringMatching(/'weird' .* at spec\.deep\.level299\.level298.*…/),
        expect.stringMatching(/'secret-but-plain' .* at value,/),
      ]),
    );
    // Deep paths are shortened in messages.
    expect(Math.max(...msgs.map((m) => m.length))).toBeLessThan(500);
    expectClean(stack);
  });
});

describe("waivers from policy config", () => {
  const P = "e2b-01-key-only-in-key-stores";
  const scan = useScanner({
    policyConfig: {
      [P]: {
        waivers: [
          {
            urn: "urn:pulumi:*::*aws:lambda/function:Function::api",
            reason: "legacy [migrating]",
            owner: "ops@example.com",
            expires: "2099-12-31",
          },
          { urn: "*::worker", reason: "old exception", owner: "dev@example.com", expires: "2020-01-01" },
        ],
      },
    },
  });

  it("reports a waived finding as advisory with its waiver, and an expired waiver as expired", async () => {
    const { stack } = await scan.program(fx("lambda-plaintext-key"), "dev");
    const fs = of(stack, P);
    const api = fs.find((f) => f.urn.endsWith("::api"))!;
    expect(api).toMatchObject({
      enforcementLevel: "advisory",
      waiver: { owner: "ops@example.com", reason: "legacy [migrating]", expires: "2099-12-31" },
    });
    expect(api.message).not.toMatch(/waived/);
    const worker = fs.find((f) => f.urn.endsWith("::worker"))!;
    expect(worker.enforcementLevel).toBe("mandatory");
    expect(worker.waiver).toBeUndefined();
    expect(worker.message).toMatch(/waiver by dev@example\.com \("old exception"\) expired on 2020-01-01/);
    // The ConfigMap is not waived, so the case still fails.
    expect(status(stack, "E2B-01")).toBe("fail");
  });
});

describe("enforcement levels from config", () => {
  const scan = useScanner({ policyConfig: { all: "advisory" } });
  it("reports at the configured level and passes cases with advisory findings only", async () => {
    const { stack } = await scan.program(fx("lambda-plaintext-key"), "dev");
    expect(stack.findings.length).toBeGreaterThan(0);
    expect(stack.findings.every((f) => f.enforcementLevel === "advisory")).toBe(true);
    expect(status(stack, "E2B-01")).toBe("pass");
  });
});

describe("no key material in any output", () => {
  const scan = useScanner();
  it("plants keys in every fixture and finds none in any report format", async () => {
    const stacks: StackReport[] = [];
    for (const [dir, st] of [
      ["lambda-plaintext-key", "dev"],
      ["client-side-key", "prod"],
      ["key-straight-from-resource", "prod"],
      ["key-in-sandbox", "dev"],
      ["management-credentials", "dev"],
      ["odd-shapes", "dev"],
      ["shared-key", "dev"],
    ] as const) {
      stacks.push((await scan.program(fx(dir), st)).stack);
    }
    expect(stacks.flatMap((s) => s.findings).length).toBeGreaterThan(20);
    const report = scan.session().report(stacks);
    for (const format of formats) {
      const text = render(format, report, { policies: scan.session().host.info.policies });
      expect(text.length).toBeGreaterThan(100);
      for (const hex of PLANTED) expect(text).not.toContain(hex);
      expect(text).not.toMatch(/e2b_[0-9a-f]{40}/);
    }
  });
});

describe("with the pack's resource policy disabled", () => {
  const scan = useScanner({ policyConfig: { "e2b-01-key-only-in-key-stores": "disabled" } });
  it("still sees the components' inputs (recorded for every resource), so the stack is judged, not blinded", async () => {
    const { stack } = await scan.program(fx("pass-prod"), "prod");
    expect(stack.findings.filter((f) => /model is not visible/.test(f.message))).toEqual([]);
    // E2B-01 was judged without the disabled policy: it cannot read pass (rt38 #3), and says why.
    expect(stack.cases.map((c) => `${c.id}:${c.status}`)).toEqual([
      "E2B-01:inconclusive",
      ...["02", "03", "04", "05", "06", "07", "08", "09"].map((n) => `E2B-${n}:pass`),
    ]);
    expect(stack.findings.filter((f) => f.policy === "e2b-01-key-only-in-key-stores")).toEqual([
      expect.objectContaining({
        enforcementLevel: "advisory",
        inconclusive: true,
        message:
          "e2b-01-key-only-in-key-stores is disabled by the policy config, so E2B-01 was judged without it: what it checks was not checked.",
      }),
    ]);
    const { stack: wrong } = await scan.program(fx("cost-and-alarms-wrong"), "prod");
    expect(wrong.cases.find((c) => c.id === "E2B-05")?.status).toBe("fail");
  });
});

describe("with a one-policy case's policy disabled", () => {
  const scan = useScanner({ policyConfig: { "e2b-05-budget-alarm": "disabled" } });
  it("judges that case without it where the stack holds its evidence (inconclusive), and nowhere else", async () => {
    // rt39 #2: the case read not-applicable, as if the stack had no E2B environment.
    const { stack } = await scan.program(fx("cost-and-alarms-wrong"), "prod");
    expect(status(stack, "E2B-05")).toBe("inconclusive");
    expect(of(stack, "e2b-05-budget-alarm").map((f) => f.message)).toEqual([
      "e2b-05-budget-alarm is disabled by the policy config, so E2B-05 was judged without it: what it checks was not checked.",
    ]);
    // A stack with a key but no E2B environment has no budget to judge: still not applicable.
    const { stack: noEnvironment } = await scan.program(fx("artifacts-website-key"), "prod");
    expect(status(noEnvironment, "E2B-05")).toBe("not-applicable");
  });
});

describe("with a case's policies disabled, its evidence is what they would have judged (rt40 #4)", () => {
  const scan = useScanner({
    policyConfig: {
      "e2b-01-key-only-in-key-stores": "disabled",
      "e2b-01-key-from-secret-store": "disabled",
      "e2b-01-no-client-side-key": "disabled",
      "e2b-06-no-key-in-sandbox": "disabled",
    },
  });
  it("a key only in a file a website deploys, or baked into a sandbox template, leaves its case inconclusive, not not-applicable", async () => {
    // The CLI's own index did not read deployed files, so the CLI said N/A where the pack's report said inconclusive.
    const { stack: site } = await scan.program(fx("artifacts-website-key"), "prod");
    expect(status(site, "E2B-01")).toBe("inconclusive");
    const { stack: template } = await scan.program(fx("template-dockerfile-key"), "prod");
    expect(status(template, "E2B-06")).toBe("inconclusive");
    // A key only the program's code shows (written into a value not known at preview, rt41 #6).
    const { stack: code } = await scan.program(fx("key-behind-apply"), "prod");
    expect(status(code, "E2B-01")).toBe("inconclusive");
    // Nothing of E2B at all: still not applicable.
    const { stack: none } = await scan.program(fx("no-e2b"), "dev");
    expect(none.cases.map((c) => c.status)).toEqual(none.cases.map(() => "not-applicable"));
  });
});

describe("with E2B-02's policies disabled, a key the project's stack files share is still its evidence (rt41 #6)", () => {
  const scan = useScanner({
    policyConfig: {
      "e2b-02-distinct-key-per-environment": "disabled",
      "e2b-02-no-cross-environment-key-reference": "disabled",
    },
  });
  it("reads inconclusive, not not-applicable, with the passphrase or without it", async () => {
    const from = path.join(repoRoot, "evals/fixtures/E2B-02/stack-file-copied-to-prod");
    const renamed = (file: string) =>
      readFileSync(path.join(from, file), "utf8").replaceAll("e2bApiKey", "sandboxToken");
    const dir = programCopy("stack-file-disabled-", from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const secret = new aws.secretsmanager.Secret("e2b-api-key");',
        'new aws.secretsmanager.SecretVersion("e2b-api-key-v1", { secretId: secret.id, secretString: new pulumi.Config().requireSecret("sandboxToken") });',
      ].join("\n"),
      "Pulumi.prod.yaml": renamed("Pulumi.prod.yaml"),
      "Pulumi.staging.yaml": renamed("Pulumi.staging.yaml"),
    });
    for (const opts of [{}, { passphrase: "correct horse" }]) {
      const { stack } = await scan.program(dir, "prod", opts);
      expect([opts, status(stack, "E2B-02")]).toEqual([opts, "inconclusive"]);
    }
  });
});

describe("with the resource policy disabled, the E2BEnvironment component's model output still counts", () => {
  // The templates' rotation date is pinned as in tests/stacks/templates.test.ts.
  const scan = useScanner({
    policyConfig: {
      "e2b-01-key-only-in-key-stores": "disabled",
      "e2b-09-key-rotation": { asOf: "2026-12-01" },
    },
  });
  it("judges the platform templates (all pass but E2B-01, judged without it) and a load-test without a hard limit (E2B-05 fails)", async () => {
    const { stack: prod } = await scan.program(".", "prod");
    expect(prod.findings.filter((f) => /model is not visible/.test(f.message))).toEqual([]);
    expect(prod.cases.map((c) => c.status)).toEqual(["inconclusive", ...Array(8).fill("pass")]);

    const { stack: loadtest } = await scan.program(
      "evals/fixtures/E2B-05/loadtest-without-hard-limit",
      "loadtest",
    );
    expect(loadtest.cases.find((c) => c.id === "E2B-05")?.status).toBe("fail");
    expect(loadtest.findings.map((f) => f.policy)).toContain("e2b-05-budget-alarm");
  });
});
