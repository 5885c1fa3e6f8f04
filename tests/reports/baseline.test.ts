/**
 * Baselines on the report model, and how every view shows the three groups (new / existing / fixed)
 * and a preview's cost change.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { applyBaseline, loadBaseline } from "../../reports/baseline";
import { formats, render } from "../../reports";
import { buildStackReport, type Finding, type Report } from "../../policies/report";
import { costChanges } from "../../policies/cost-change";
import { renderJson } from "../../reports/json";
import { makeFindings, makeReport } from "./fixture";
import { tmpDir } from "../support/tmp";

/** The fixture as the CLI builds it: findings carry fingerprints. */
function report(f = makeFindings()): Report {
  const r = makeReport(f);
  return {
    ...r,
    stacks: r.stacks.map((s) =>
      buildStackReport({
        ...s,
        applicable: new Set(s.cases.filter((c) => c.status !== "not-applicable").map((c) => c.id)),
      }),
    ),
  };
}

function baselineFile(r: Report): string {
  const file = path.join(tmpDir("baseline-"), "baseline.json");
  writeFileSync(file, renderJson(r));
  return file;
}

/** An E2B-01 finding (critical, mandatory unless `fields` say otherwise) of these tests. */
const e2b01 = (
  fields: Omit<Finding, "caseId" | "severity" | "enforcementLevel"> & Partial<Finding>,
): Finding => ({
  caseId: "E2B-01",
  enforcementLevel: "mandatory",
  severity: "critical",
  ...fields,
});

const newFinding: Finding = {
  policy: "e2b-04-timeout-ceiling",
  caseId: "E2B-04",
  enforcementLevel: "mandatory",
  severity: "high",
  urn: "urn:pulumi:prod::web::e2b-guardrails:index:E2BEnvironment::prod",
  message: "E2BEnvironment 'prod' timeout ceiling 90000 s is above the Pro plan limit of 86400 s.",
};

describe("applyBaseline", () => {
  it("marks everything existing after reordering and a changed figure, and fixes nothing", () => {
    const base = loadBaseline(baselineFile(report()));
    const f = makeFindings();
    f.prod.reverse();
    f.prod[0] = { ...f.prod[0] }; // same finding object content, different order
    const out = applyBaseline(report(f), base);
    expect(out.baseline).toMatchObject({ new: 0, existing: 5, fixed: 0 });
    for (const s of out.stacks) {
      expect(s.findings.every((x) => x.baseline === "existing")).toBe(true);
      expect(s.fixed).toEqual([]);
      // Existing findings never fail a case.
      expect(s.cases.filter((c) => c.status === "fail")).toEqual([]);
    }
  });

  it("knows again a finding on a resource whose name holds a key: the baseline keeps only its mask", () => {
    const key = "e2b_" + "7c1d9e3a5b2f40816d3e9a7c5b1f2e4d6a8c0b93";
    const leaked = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn: `urn:pulumi:prod::web::aws:s3/bucketV2:BucketV2::p-${key}`,
      path: "bucket",
      keyFingerprint: "sha256:0f3c",
      message: "BucketV2 carries E2B key material (e2b_…0b93) in its name, outside any approved key store.",
    });
    const f = makeFindings();
    f.prod.push(leaked);
    const file = baselineFile(report(f));
    expect(require("node:fs").readFileSync(file, "utf8")).not.toContain(key.slice(4));
    const out = applyBaseline(report(f), loadBaseline(file));
    expect(out.baseline).toMatchObject({ new: 0, fixed: 0 });
  });

  it("keeps new findings failing and lists the gone ones as fixed, per stack", () => {
    const base = loadBaseline(baselineFile(report()));
    const f = makeFindings();
    const gone = f.prod.shift()!;
    f.prod.push(newFinding);
    const out = applyBaseline(report(f), base);
    expect(out.baseline).toMatchObject({ new: 1, existing: 4, fixed: 1 });
    const prod = out.stacks[0];
    expect(prod.findings.find((x) => x.policy === newFinding.policy)!.baseline).toBe("new");
    expect(prod.fixed!.map((x) => [x.policy, x.urn])).toEqual([[gone.policy, gone.urn]]);
    expect(prod.cases.find((c) => c.id === "E2B-04")!.status).toBe("fail");
    expect(prod.cases.find((c) => c.id === "E2B-01")!.status).toBe("pass"); // its other finding is existing
    expect(out.stacks[1].fixed).toEqual([]);
  });

  it("takes a finding about a hidden value for the key found once decrypted only on the same case, resource and top-level property", () => {
    const urn = "urn:pulumi:prod::web::aws:lambda/function:Function::api";
    const decrypted = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn,
      message: "Function 'api' holds an E2B API key (e2b_…4567) at code.assets[\"__index.js\"].text.",
      path: 'code.assets["__index.js"].text',
      keyFingerprint: "sha256:0123456789abcdef",
    });
    const hidden = (path: string, caseId: Finding["caseId"] = "E2B-01"): Finding =>
      e2b01({
        policy: "e2b-01-key-from-secret-store",
        caseId,
        urn,
        message: `Function 'api' property ${path} takes its value from secret config web:e2bApiKey (not decrypted here).`,
        path,
        unknown: true,
      });
    const base = loadBaseline(baselineFile(report({ ...makeFindings(), prod: [decrypted] })));
    const states = (f: Finding[]) =>
      applyBaseline(report({ ...makeFindings(), prod: f }), base).stacks[0].findings.map((x) => x.baseline);
    expect(states([hidden("code")])).toEqual(["existing"]);
    // Another property, another case, or a second hidden finding for the one baseline finding: new.
    expect(states([hidden("environment")])).toEqual(["new"]);
    expect(states([hidden("code", "E2B-06")])).toEqual(["new"]);
    expect(states([hidden("code"), { ...hidden("code"), message: "another" }])).toEqual(["existing", "new"]);
    // The key must lie at or under the hidden value's path, and an advisory stands for no key found.
    expect(states([hidden("code.assets")])).toEqual(["existing"]);
    expect(states([hidden("code.environment")])).toEqual(["new"]);
    expect(states([{ ...hidden("code"), enforcementLevel: "advisory" }])).toEqual(["new"]);
  });

  it("pairs a hidden value with a key found only across runs that differ in what they could read", () => {
    // A baseline written without the passphrase judged the hidden config as the key; a later run,
    // again without it, finds another key written into the program at that place: a new finding.
    const urn = "urn:pulumi:prod::web::aws:lambda/function:Function::api";
    const hidden = e2b01({
      policy: "e2b-01-key-from-secret-store",
      urn,
      message:
        "Function 'api' property environment takes its value from secret config web:e2bApiKey (not decrypted here).",
      path: "environment",
      unknown: true,
    });
    const found = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn,
      message: "Function 'api' holds an E2B API key (e2b_…4357) at environment.variables.E2B_API_KEY.",
      path: "environment.variables.E2B_API_KEY",
      keyFingerprint: "sha256:fedcba987654",
    });
    const withMode = (r: Report, secretsHidden: boolean): Report => ({
      ...r,
      stacks: r.stacks.map((s, i) => (i === 0 && secretsHidden ? { ...s, secretsHidden: true } : s)),
    });
    const base = loadBaseline(baselineFile(withMode(report({ ...makeFindings(), prod: [hidden] }), true)));
    const state = (secretsHidden: boolean) =>
      applyBaseline(withMode(report({ ...makeFindings(), prod: [found] }), secretsHidden), base).stacks[0]
        .findings[0].baseline;
    expect(state(true)).toBe("new");
    // With the passphrase, the key found is what the hidden value was.
    expect(state(false)).toBe("existing");
  });

  it("pairs one key found in the program's code without the passphrase and in a property with it, both ways (real39 bug 4)", () => {
    // User data templated inside `secret.apply`: hidden without the passphrase, so the key shows in the
    // code that wrote it; with the passphrase, in the server's user data.
    const inCode = e2b01({
      policy: "e2b-01-key-from-secret-store",
      urn: "urn:pulumi:prod::web::pulumi:pulumi:Stack::web-prod",
      message:
        "The program's code holds E2B key material (e2b_…3496) in user-data.ts line 24, which no resource input showed at preview.",
      keyFingerprint: "sha256:2ba8b4d3c6ae",
    });
    const inProperty = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn: "urn:pulumi:prod::web::hcloud:index/server:Server::vps",
      message: "Server 'vps' holds an E2B API key (e2b_…3496) at userData, outside any approved key store.",
      path: "userData",
      keyFingerprint: "sha256:2ba8b4d3c6ae",
    });
    const run = (f: Finding, secretsHidden: boolean): Report => {
      const r = report({ ...makeFindings(), prod: [f] });
      return {
        ...r,
        stacks: r.stacks.map((s, i) =>
          i === 0 && secretsHidden ? { ...s, secretsHidden: true as const } : s,
        ),
      };
    };
    const state = (f: Finding, hidden: boolean, base: Finding, baseHidden: boolean) =>
      applyBaseline(run(f, hidden), loadBaseline(baselineFile(run(base, baseHidden)))).stacks[0].findings[0]
        .baseline;
    expect(state(inCode, true, inProperty, false)).toBe("existing");
    expect(state(inProperty, false, inCode, true)).toBe("existing");
    // In runs that read the same, they are two findings.
    expect(state(inCode, true, inProperty, true)).toBe("new");
    // Another key is another finding.
    expect(state({ ...inCode, keyFingerprint: "sha256:000000000000" }, true, inProperty, false)).toBe("new");
  });

  it("lets one baseline finding stand for one finding only, whichever way it is paired (rt46 #4)", () => {
    // Baseline with the passphrase: the key in the Lambda's env. Without it, that env is hidden (its
    // counterpart), and a new resource pasting the same key must stay new.
    const urn = "urn:pulumi:prod::web::aws:lambda/function:Function::agent";
    const found = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn,
      message: "Function 'agent' holds an E2B API key (e2b_…4357) at environment.variables.E2B_API_KEY.",
      path: "environment.variables.E2B_API_KEY",
      keyFingerprint: "sha256:fedcba987654",
    });
    const hidden = e2b01({
      policy: "e2b-01-key-from-secret-store",
      urn,
      message: "Function 'agent' property environment takes its value from secret config web:e2bApiKey.",
      path: "environment",
      unknown: true,
    });
    const pasted = {
      ...found,
      urn: `${urn.slice(0, -"agent".length)}debug-agent`,
      message: "Function 'debug-agent' holds an E2B API key (e2b_…4357).",
    };
    const base = loadBaseline(baselineFile(report({ ...makeFindings(), prod: [found] })));
    const r = report({ ...makeFindings(), prod: [hidden, pasted] });
    const run = {
      ...r,
      stacks: r.stacks.map((s, i) => (i === 0 ? { ...s, secretsHidden: true as const } : s)),
    };
    expect(applyBaseline(run, base).stacks[0].findings.map((f) => f.baseline)).toEqual(["existing", "new"]);
  });

  it("pairs a hidden value with a key found in a document decoded from that property (cloud-init YAML, a JSON string)", () => {
    // real34 bug 9: `userData{yaml}.write_files[0].content` was not taken to lie under `userData`.
    const urn = "urn:pulumi:prod::web::digitalocean:index/droplet:Droplet::web";
    const hidden = e2b01({
      policy: "e2b-01-key-from-secret-store",
      urn,
      message:
        "Droplet 'web' property userData takes its value from secret config web:e2bApiKey (not decrypted here).",
      path: "userData",
      unknown: true,
    });
    const found = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn,
      message: "Droplet 'web' holds an E2B API key (e2b_…4357) at userData{yaml}.write_files[0].content.",
      path: "userData{yaml}.write_files[0].content",
      keyFingerprint: "sha256:fedcba987654",
    });
    const hiddenRun = (r: Report): Report => ({
      ...r,
      stacks: r.stacks.map((s, i) => (i === 0 ? { ...s, secretsHidden: true } : s)),
    });
    // Either way round: a baseline with the passphrase, a run without it, and the reverse.
    const run = applyBaseline(
      hiddenRun(report({ ...makeFindings(), prod: [hidden] })),
      loadBaseline(baselineFile(report({ ...makeFindings(), prod: [found] }))),
    ).stacks[0];
    expect([run.findings[0].baseline, run.fixed ?? []]).toEqual(["existing", []]);
    const back = applyBaseline(
      report({ ...makeFindings(), prod: [found] }),
      loadBaseline(baselineFile(hiddenRun(report({ ...makeFindings(), prod: [hidden] })))),
    ).stacks[0];
    expect([back.findings[0].baseline, back.fixed ?? []]).toEqual(["existing", []]);
  });

  it("does not call a key found fixed when this run could only list its property as hidden (an advisory)", () => {
    // A baseline written with the passphrase; in a run without it the property is hidden, listed by
    // an advisory that stands for no key found: the finding is not seen again, nor is it gone.
    const urn = "urn:pulumi:dev::agent::aws:ec2/instance:Instance::agent";
    const found = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn,
      message:
        "Instance 'agent' holds an E2B API key (e2b_…4567) at userData, outside any approved key store.",
      path: "userData",
      keyFingerprint: "sha256:0123456789abcdef",
    });
    const listed = e2b01({
      policy: "e2b-01-key-from-secret-store",
      enforcementLevel: "advisory",
      urn,
      message:
        "Instance 'agent' property userData is not known at preview and takes a value from the secret config value agent:settings.",
      path: "userData",
      unknown: true,
      inconclusive: true,
    });
    const base = loadBaseline(baselineFile(report({ ...makeFindings(), prod: [found] })));
    const after = applyBaseline(report({ ...makeFindings(), prod: [listed] }), base);
    expect(after.stacks[0].fixed ?? []).toEqual([]);
    expect(after.baseline?.fixed).toBe(0);
    // It is listed apart, as not verified, so it is in no group by silence.
    expect(after.stacks[0].unverified?.map((x) => [x.policy, x.path])).toEqual([[found.policy, "userData"]]);
    expect(after.baseline?.unverified).toBe(1);
    // With no such advisory it is gone, and fixed.
    const gone = applyBaseline(report({ ...makeFindings(), prod: [] }), base);
    expect(gone.stacks[0].fixed).toHaveLength(1);
    expect(gone.stacks[0].unverified).toBeUndefined();
    expect(gone.baseline?.unverified).toBe(0);
  });

  describe("every view lists the findings it could not verify", () => {
    const urn = "urn:pulumi:prod::web::aws:lambda/function:Function::api";
    const found = e2b01({
      policy: "e2b-01-key-only-in-key-stores",
      urn,
      message: "Function 'api' holds an E2B API key (e2b_…4567) at environment.variables.TOKEN.",
      path: "environment.variables.TOKEN",
      keyFingerprint: "sha256:0123456789ab",
    });
    const listed = e2b01({
      policy: "e2b-01-key-from-secret-store",
      enforcementLevel: "advisory",
      urn,
      message: "Function 'api' property environment is not known at preview.",
      path: "environment",
      unknown: true,
      inconclusive: true,
    });
    const base = loadBaseline(baselineFile(report({ ...makeFindings(), prod: [found] })));
    const out = applyBaseline(report({ ...makeFindings(), prod: [listed] }), base);

    it.each(formats.map((x) => [x]))("%s", (format) => {
      const text = render(format, out);
      expect(text).toMatch(/1 unverified|"unverified": 1|baseline\.unverified" value="1"/);
      // The GitHub annotations carry the counts only; every other view lists the finding.
      if (format !== "github") {
        expect(text).toMatch(/not verified|"unverified": \[/i);
        expect(text).toContain("e2b-01-key-only-in-key-stores");
      }
    });
  });

  it("does not call a stack's findings fixed when the stack is not in this run", () => {
    const base = loadBaseline(baselineFile(report()));
    const only = report();
    const out = applyBaseline({ ...only, stacks: [only.stacks[1]] }, base);
    expect(out.baseline).toMatchObject({ existing: 2, fixed: 0 });
  });
});

describe("loadBaseline", () => {
  it("accepts a report written before findings had fingerprints", () => {
    const r = report();
    const old = JSON.parse(renderJson(r));
    for (const s of old.stacks) for (const f of s.findings) delete f.fingerprint;
    const file = baselineFile(r);
    writeFileSync(file, JSON.stringify(old));
    expect(applyBaseline(r, loadBaseline(file)).baseline).toMatchObject({ new: 0, existing: 5 });
  });

  it.each([
    [{ schemaVersion: 1 }, "field 'stacks' "],
    [
      { schemaVersion: 1, stacks: [{ stack: "s", project: "p", findings: [{ policy: 1 }] }] },
      "field 'stacks[0].findings[0].policy' ",
    ],
  ])("names the field of a bad baseline %#", (doc, field) => {
    const file = baselineFile(report());
    writeFileSync(file, JSON.stringify(doc));
    expect(() => loadBaseline(file)).toThrow(`--baseline ${file}: ${field}`);
    try {
      loadBaseline(file);
    } catch (e) {
      expect((e as Error).message.split("\n")).toHaveLength(1);
    }
  });
});

describe("every view shows the three groups and the cost change", () => {
  const f = makeFindings();
  const base = loadBaseline(baselineFile(report()));
  f.prod.shift();
  f.prod.push(newFinding);
  const out = applyBaseline(report(f), base);
  out.stacks[0] = {
    ...out.stacks[0],
    costChange: costChanges(
      [
        {
          environment: "prod",
          tier: "production",
          urn: "u",
          figures: {
            environment: "prod",
            expectedMonthlyUsd: 1200,
            worstCaseMonthlyUsd: 4000,
            leakedSandboxUsd: 0,
          },
        },
      ],
      [
        {
          environment: "prod",
          tier: "production",
          urn: "u",
          figures: {
            environment: "prod",
            expectedMonthlyUsd: 2650,
            worstCaseMonthlyUsd: 4000,
            leakedSandboxUsd: 0,
          },
        },
      ],
    ),
  };

  it.each(formats.map((x) => [x]))("%s", (format) => {
    const text = render(format, out);
    if (format === "json") expect(text).toMatch(/"expectedDeltaPercent": 120.8/);
    else expect(text).toContain("$1,200.00 → $2,650.00, +120.8 %");
    expect(text).toMatch(/existing/i);
    if (format !== "github") {
      // The fixed finding (the client-side key of the fixture) is listed by policy.
      expect(text).toMatch(/fixed/i);
      expect(text).toContain("e2b-01-no-client-side-key");
    }
    expect(text).toMatch(/\bnew\b/i);
  });
});
