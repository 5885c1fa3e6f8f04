/**
 * The leaf scan's first step (leaf-prefilter.ts) may say "nothing to find" only when the full walk
 * finds no unknown and no env-var-named leaf; on a generated platform stack it must clear the trees
 * that have neither (so it does work) and keep every tree that has one (so verdicts do not change).
 */
import { generateStack } from "../../../bench/generate";
import { mayNameOrHideLeaves } from "../../../policies/detect/embedded-names";
import { mayHoldLeafFacts } from "../../../policies/detect/leaf-prefilter";
import {
  DocumentCache,
  normalizeWire,
  walkLeaves,
  type Tree,
  type WalkContext,
} from "../../../policies/detect/walk";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
// The scanner's own predicate: documents mentioning E2B that can name or hide a leaf.
const parse = (text: string, ctx: WalkContext) => /e2b/i.test(text) && mayNameOrHideLeaves(text, ctx);

function walkFinds(tree: Tree, documents = new DocumentCache()): boolean {
  let found = false;
  walkLeaves(
    tree,
    (l) => {
      if (l.unknown || l.envName) found = true;
    },
    { parseEmbedded: parse, documents },
  );
  return found;
}

describe("mayHoldLeafFacts", () => {
  it.each([
    ["an env-var-like key", { environment: { variables: { LOG_LEVEL: "info" } } }],
    ["an entry named like an env var", { env: [{ name: "E2B_API_KEY", valueFrom: "arn" }] }],
    ["an unknown value deep in an array", { a: [{ b: [UNKNOWN] }] }],
    [
      "a document that names its leaves",
      { spec: '{"env": {"E2B_SECRET_ARN": "arn:aws:secretsmanager:e2b"}}' },
    ],
  ])("keeps a tree with %s", (_, tree) => {
    expect(walkFinds(normalizeWire(tree))).toBe(true);
    expect(mayHoldLeafFacts(normalizeWire(tree), parse)).toBe(true);
  });

  it.each([
    [
      "tags and plain values",
      { bucket: "site", tags: { Environment: "prod", team: "web" }, versioning: [true] },
    ],
    [
      "an IAM policy naming the E2B secret",
      { policy: '{"Statement":[{"Resource":"arn:aws:secretsmanager:r:1:secret:e2b/prod"}]}' },
    ],
  ])("clears a tree with %s", (_, tree) => {
    expect(walkFinds(normalizeWire(tree))).toBe(false);
    expect(mayHoldLeafFacts(normalizeWire(tree), parse)).toBe(false);
  });

  it("clears only trees the walk finds nothing in, across a generated stack's inputs and outputs", () => {
    const { export: state } = generateStack(900, { seed: 5 });
    const resources = (state as { deployment: { resources: Array<{ inputs?: Tree; outputs?: Tree }> } })
      .deployment.resources;
    let cleared = 0;
    let kept = 0;
    for (const r of resources)
      for (const t of [r.inputs, r.outputs]) {
        if (t === undefined) continue;
        const tree = normalizeWire(t);
        if (mayHoldLeafFacts(tree, parse)) kept++;
        else {
          cleared++;
          expect(walkFinds(tree)).toBe(false);
        }
      }
    expect(cleared).toBeGreaterThan(200);
    expect(kept).toBeGreaterThan(200);
  });
});
