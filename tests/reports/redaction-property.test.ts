/**
 * Property: whatever a stack holds and wherever a key is planted in it — resource names, property
 * names, values, stack and project names (URN segments), behind control characters, in another
 * letter case, inside JSON text, split by an invisible character — no output of any format shows
 * 20 consecutive characters of the key. Random stacks go through the real pack (one process for
 * the file) and the real report views, and the pack never fails on them.
 */
import fc from "fast-check";
import type { GraphResource, ResourceGraph, WireObject, WireValue } from "../../engine";
import { formats, render } from "../../reports";
import { useScanner } from "../support/scan";

/** Every 20-character window of `key`, case-folded. */
function windows(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 20 <= key.length; i++) out.push(key.slice(i, i + 20).toLowerCase());
  return out;
}

const hex40 = fc.stringMatching(/^[0-9a-f]{40}$/);
const keyArb = fc.tuple(fc.constantFrom("e2b_", "sk_e2b_"), hex40).map(([p, h]) => p + h);

/** A planted key as it may stand in a name or value. */
const planting = fc.constantFrom<(k: string) => string>(
  (k) => k,
  (k) => k.toUpperCase(),
  (k) => `x${k}_prod`,
  (k) => `\t${k}`,
  (k) => `\n${k}\n`,
  (k) => `\u0001${k}`,
  (k) => `${k.slice(0, 24)}\u000b${k.slice(24)}`,
  (k) => `${k.slice(0, 20)}\u200b${k.slice(20)}`,
  (k) => JSON.stringify({ env: { E2B_API_KEY: k } }),
  (k) => `export E2B_API_KEY=${k}`,
);

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

const types = [
  "aws:lambda/function:Function",
  "aws:s3/bucket:Bucket",
  "kubernetes:core/v1:ConfigMap",
  "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  "aws:ecs/taskDefinition:TaskDefinition",
];

interface Plan {
  key: string;
  plant: (k: string) => string;
  stackGetsKey: boolean;
  projectGetsKey: boolean;
  resources: { type: string; name: string; nameGetsKey: boolean; path: string[]; keyAsPropName: boolean }[];
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  key: keyArb,
  plant: planting,
  stackGetsKey: fc.boolean(),
  projectGetsKey: fc.boolean(),
  resources: fc.array(
    fc.record({
      type: fc.constantFrom(...types),
      name: word,
      nameGetsKey: fc.boolean(),
      path: fc.array(word, { minLength: 1, maxLength: 5 }),
      keyAsPropName: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

function graphOf(p: Plan): ResourceGraph {
  const planted = p.plant(p.key);
  const stack = p.stackGetsKey ? `dev${planted}` : "dev";
  const project = p.projectGetsKey ? `app${planted}` : "app";
  const resources: GraphResource[] = p.resources.map((r, i) => {
    const name = r.nameGetsKey ? `${r.name}${planted}${i}` : `${r.name}${i}`;
    let value: WireValue = planted;
    const segs = [...r.path];
    if (r.keyAsPropName) segs.splice(1, 0, planted);
    for (const seg of segs.reverse()) value = { [seg]: value };
    const props = { environment: { variables: value as WireObject }, tags: { env: "dev" } } as WireObject;
    return {
      urn: `urn:pulumi:${stack}::${project}::${r.type}::${name}`,
      type: r.type,
      name,
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      inputs: props,
      outputs: props,
    };
  });
  return {
    project,
    stack,
    organization: "organization",
    source: { kind: "state", path: "property.json" },
    tags: {},
    config: {},
    resources,
  };
}

describe("no planted key in any output", () => {
  const scan = useScanner();

  it("holds for random stacks through the pack and every report format", async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const { report } = await scan.graph(graphOf(plan));
        const policies = scan.session().host.info.policies;
        for (const format of formats) {
          const out = render(format, report, { policies }).toLowerCase();
          for (const w of windows(plan.key)) {
            if (out.includes(w))
              throw new Error(`${format} output shows '${w.slice(0, 8)}…' of a planted key`);
          }
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

describe("no planted key in waivers or cross-stack findings", () => {
  const key = "e2b_" + "5c".repeat(20);
  const scan = useScanner({
    policyConfig: {
      "e2b-01-key-only-in-key-stores": {
        waivers: [
          {
            urn: "*",
            reason: `approved\t${key}`,
            owner: `\u0001${key.toUpperCase()}`,
            expires: "2099-01-01",
          },
        ],
      },
    },
  });

  it("holds for an org-wide audit whose stacks share a key, with waivers quoting keys", async () => {
    await fc.assert(
      fc.asyncProperty(planting, planting, async (plantA, plantB) => {
        const a = graphOf({
          key,
          plant: plantA,
          stackGetsKey: true,
          projectGetsKey: false,
          resources: [
            { type: types[0], name: "api", nameGetsKey: false, path: ["E2B_API_KEY"], keyAsPropName: false },
          ],
        });
        const b = graphOf({
          key,
          plant: plantB,
          stackGetsKey: false,
          projectGetsKey: true,
          resources: [
            { type: types[0], name: "api", nameGetsKey: true, path: ["E2B_API_KEY"], keyAsPropName: true },
          ],
        });
        // A plain key as well, so a finding (and its waiver) always exists beside the planted forms.
        const plain = { environment: { variables: { E2B_API_KEY: key } } } as WireObject;
        a.resources.push({
          ...a.resources[0],
          urn: `${a.resources[0].urn}-plain`,
          name: "plain",
          inputs: plain,
          outputs: plain,
        });
        b.stack = "prod";
        for (const r of b.resources) r.urn = r.urn.replace("urn:pulumi:dev::", "urn:pulumi:prod::");
        const report = await scan.states([a, b]);
        expect(report.stacks.some((s) => s.findings.some((f) => f.waiver))).toBe(true);
        for (const format of formats) {
          const out = render(format, report, { policies: scan.session().host.info.policies }).toLowerCase();
          for (const w of windows(key)) expect(out.includes(w)).toBe(false);
        }
      }),
      { numRuns: 6 },
    );
  }, 60_000);
});
