/**
 * The key detector against two references on one corpus: an ~18 MB stack export holding 94 planted
 * keys and a few hundred decoys.
 *
 * - ours: the pack's detector over property trees (`scanProps(…).keys` on each resource's normalized
 *   inputs and outputs — what a policy sees; JSON parsing and wire normalization are not timed, the
 *   pack receives trees): the exact prefilter, then a walk with context of the trees it cannot clear.
 *   It runs as the pack ships it: compiled by tsc into policies/dist (built first if stale), as
 *   `pulumi preview` loads the pack. Run from the TypeScript source through tsx instead, esbuild's
 *   `keepNames` transform adds a call for every function created, which cost this corpus 17.5 ms
 *   against 13.6 ms compiled (medians of 21, session 24) — a cost no user pays;
 * - secretlint: @secretlint/core with @secretlint/secretlint-rule-pattern configured with the same
 *   E2B pattern, in-process, over the export's text;
 * - one V8 regex (the same pattern) over the flat text: the limit.
 *
 * Recall is counted on distinct keys (fingerprints) and false positives are reports that match no
 * planted key. Key material never leaves this process: only counts and fingerprints are compared.
 */
import type { scanProps as ScanProps } from "../policies/detect/scanner";
import {
  normalizeWire,
  type mayHoldMaterialTree as MayHoldMaterialTree,
  type Tree,
} from "../policies/detect/walk";
import { fingerprintKey } from "../policies/detect/keys";
import { parseStateExport } from "../engine/state-loader";
import { generateStack } from "./generate";
import { interleave, stats, type Stats } from "./lib";

/**
 * The same pattern as policies/detect/keys.ts, any letter case (kept in sync by the recall check
 * below): a key glued to other text or upper-cased is still a key (issue 10).
 */
const E2B_PATTERN = "(sk_e2b_|e2b_)([0-9a-f]{40})(?![0-9a-f])";
const E2B_FLAGS = "gi";

/** The detector as the pack runs it: policies/dist, compiled by tsc (see above). */
function shipped(): { scanProps: typeof ScanProps; mayHoldMaterialTree: typeof MayHoldMaterialTree } {
  (require("../tests/support/build-pack.js") as { buildPack: () => void }).buildPack();
  return {
    scanProps: (require("../policies/dist/detect/scanner") as { scanProps: typeof ScanProps }).scanProps,
    mayHoldMaterialTree: (
      require("../policies/dist/detect/walk") as { mayHoldMaterialTree: typeof MayHoldMaterialTree }
    ).mayHoldMaterialTree,
  };
}
let detector: ReturnType<typeof shipped> | undefined;
const pack = () => (detector ??= shipped());

export interface DetectorCorpus {
  text: string;
  trees: Array<{ type: string; tree: Tree }>;
  planted: Set<string>;
  plantedCount: number;
  decoys: number;
}

/** Enough resources for ~18 MB of export text with exactly `keys` planted keys. */
export function detectorCorpus(targetMb = 18, keys = 94): DetectorCorpus {
  let size = Math.round(targetMb * 520);
  let g = generateStack(size, { plant: keys, seed: 7 });
  let text = JSON.stringify(g.export);
  size = Math.round((size * targetMb * 1e6) / text.length);
  g = generateStack(size, { plant: keys, seed: 7 });
  text = JSON.stringify(g.export);
  // The trees a policy sees: the export read by the engine (shown secrets decoded), then normalized.
  const resources = parseStateExport(JSON.parse(text), "bench-corpus.json").resources;
  const trees = resources.flatMap((r) => [
    { type: r.type, tree: normalizeWire(r.inputs) },
    { type: r.type, tree: normalizeWire(r.outputs) },
  ]);
  // The planted set, found by the plain regex over the text (every planted key is a plain-text key).
  const planted = new Set<string>();
  for (const m of text.matchAll(new RegExp(E2B_PATTERN, E2B_FLAGS))) planted.add(fingerprintKey(m[0]));
  return { text, trees, planted, plantedCount: g.planted, decoys: g.decoys };
}

export interface Found {
  fingerprints: Set<string>;
  reports: number;
}

export function ours(c: DetectorCorpus): Found {
  const { scanProps } = pack();
  const fingerprints = new Set<string>();
  let reports = 0;
  // Indexed loops: an iterator per tree was a third of the garbage this loop made.
  const trees = c.trees;
  for (let i = 0; i < trees.length; i++) {
    const keys = scanProps(trees[i].type, trees[i].tree).keys;
    for (let j = 0; j < keys.length; j++) fingerprints.add(keys[j].fingerprint);
    reports += keys.length;
  }
  return { fingerprints, reports };
}

/**
 * Diagnostic, not a detector: the tree-level prefilter `ours` runs first (mayHoldMaterialTree), alone;
 * the trees it cannot prove key-free are then scanned with context. Counts the trees, not keys.
 */
function prefilterOnly(c: DetectorCorpus): Found {
  const { mayHoldMaterialTree } = pack();
  let candidates = 0;
  for (const { tree } of c.trees) if (mayHoldMaterialTree(tree)) candidates++;
  return { fingerprints: c.planted, reports: candidates };
}

/**
 * Not a detector: the cost floor of any walk over the same trees that only looks at strings (no
 * context, no embedded documents), for comparison with ours.
 */
function treeWalkFloor(c: DetectorCorpus): Found {
  const fingerprints = new Set<string>();
  let reports = 0;
  const re = new RegExp(E2B_PATTERN, E2B_FLAGS);
  const stack: Tree[] = c.trees.map((t) => t.tree);
  while (stack.length) {
    const v = stack.pop()!;
    if (typeof v === "string") {
      if (v.length >= 44 && v.includes("e2b_"))
        for (const m of v.matchAll(re)) {
          fingerprints.add(fingerprintKey(m[0]));
          reports++;
        }
    } else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === "object") for (const k in v) stack.push(v[k]);
  }
  return { fingerprints, reports };
}

/**
 * Not a detector: the least any walk over the trees can cost — every node visited (the fastest way
 * we found: recursion, children tested inline, `for…in`), no character of any string read (only
 * lengths). Whatever a detector over trees does comes on top of this. Counts long strings.
 */
export function visitFloor(c: DetectorCorpus): Found {
  let longStrings = 0;
  const visit = (v: Tree[] | { [k: string]: Tree }): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === "string") longStrings += x.length >= 44 ? 1 : 0;
        else if (x !== null && typeof x === "object") visit(x);
      }
      return;
    }
    for (const k in v) {
      const x = v[k];
      if (typeof x === "string") longStrings += x.length >= 44 ? 1 : 0;
      else if (x !== null && typeof x === "object") visit(x);
    }
  };
  for (const { tree } of c.trees) if (tree !== null && typeof tree === "object") visit(tree);
  return { fingerprints: c.planted, reports: longStrings };
}

export function v8Regex(c: DetectorCorpus): Found {
  const fingerprints = new Set<string>();
  let reports = 0;
  for (const m of c.text.matchAll(new RegExp(E2B_PATTERN, E2B_FLAGS))) {
    fingerprints.add(fingerprintKey(m[0]));
    reports++;
  }
  return { fingerprints, reports };
}

type LintSource = (o: unknown) => Promise<{ messages: Array<{ range: [number, number] }> }>;

export async function secretlintRunner(): Promise<(c: DetectorCorpus) => Promise<Found>> {
  const { lintSource } = (await import("@secretlint/core")) as unknown as { lintSource: LintSource };
  const { creator } = (await import("@secretlint/secretlint-rule-pattern")) as { creator: unknown };
  const config = {
    rules: [
      {
        id: "@secretlint/secretlint-rule-pattern",
        rule: creator,
        options: { patterns: [{ name: "E2B API key", patterns: [`/${E2B_PATTERN}/i`] }] },
      },
    ],
  };
  return async (c) => {
    const r = await lintSource({
      source: { content: c.text, filePath: "/bench/stack.json", ext: ".json", contentType: "text" },
      options: { config, maskSecrets: true, noPhysicFilePath: true },
    });
    const fingerprints = new Set<string>();
    for (const m of r.messages) fingerprints.add(fingerprintKey(c.text.slice(m.range[0], m.range[1])));
    return { fingerprints, reports: r.messages.length };
  };
}

export interface DetectorVariant {
  name: string;
  ms: Stats;
  mbPerS: number;
  recall: number;
  /** Distinct reported values that are no planted key (decoys taken for keys). */
  falsePositives: number;
}

export interface DetectorResult {
  corpusMb: number;
  planted: number;
  decoys: number;
  variants: DetectorVariant[];
  /** secretlint time / ours (≥ 2 is the goal). */
  speedupVsSecretlint: Stats;
  /** Our throughput / one V8 regex's (≥ 0.25 is the goal). */
  shareOfRegex: Stats;
}

export async function benchDetector(rounds: number, targetMb = 18): Promise<DetectorResult> {
  const corpus = detectorCorpus(targetMb);
  const lint = await secretlintRunner();
  const timed = (f: (c: DetectorCorpus) => Found | Promise<Found>) => async () => {
    const t0 = performance.now();
    const found = await f(corpus);
    return { ms: performance.now() - t0, found };
  };
  const variants = [
    timed(ours),
    timed(lint),
    timed(v8Regex),
    timed(treeWalkFloor),
    timed(prefilterOnly),
    timed(visitFloor),
  ];
  await interleave(variants, 1); // warm-up: JIT and module loading, not measured
  const samples = await interleave(variants, rounds);
  const mb = corpus.text.length / 1e6;
  const names = [
    "our detector (property trees)",
    "secretlint pattern rule (text)",
    "one V8 regex (text)",
    "floor of a string-only tree walk (not a detector)",
    "diagnostic: our tree prefilter alone (not a detector)",
    "floor of any tree walk: every node visited, no string read (not a detector)",
  ];
  const out = samples.map((s, i): DetectorVariant => {
    const f = s[0].found;
    const hits = [...f.fingerprints];
    const ms = stats(s.map((x) => x.ms));
    return {
      name: names[i],
      ms,
      mbPerS: mb / (ms.median / 1000),
      recall: hits.filter((h) => corpus.planted.has(h)).length / corpus.planted.size,
      falsePositives: hits.filter((h) => !corpus.planted.has(h)).length,
    };
  });
  const per = (a: number, b: number, f: (x: number, y: number) => number) =>
    stats(samples[a].map((x, i) => f(x.ms, samples[b][i].ms)));
  const speedup = per(1, 0, (lintMs, oursMs) => lintMs / oursMs);
  const share = per(2, 0, (reMs, oursMs) => reMs / oursMs);
  return {
    corpusMb: mb,
    planted: corpus.planted.size,
    decoys: corpus.decoys,
    variants: out,
    speedupVsSecretlint: { ...speedup, median: out[1].ms.median / out[0].ms.median },
    shareOfRegex: { ...share, median: out[2].ms.median / out[0].ms.median },
  };
}

if (require.main === module) {
  benchDetector(Number(process.argv[2]) || 5).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => (console.error(e), process.exit(1)),
  );
}
