/**
 * The key detector, this checkout against another (its base, say), in CPU time: one process, the
 * same corpus, each variant's rounds interleaved with alternating order. On the shared 2-core
 * machine wall times of the same code vary 3× with load; process CPU time (user + system) of
 * single-threaded work varies much less, so this is where A/B figures come from.
 *
 *   npx tsx bench/profile/detector-ab.ts <other checkout> [rounds]
 *
 * Rows: ours (scanProps(…).keys over every tree, as bench/detector.ts), the tree prefilter alone,
 * the key walk over the trees the prefilter cannot clear — each for both checkouts — then
 * secretlint's pattern rule, one V8 regex, the visit floor (this checkout's bench code) and that
 * walk plus one native read of every long string.
 */
import path from "node:path";
import {
  detectorCorpus,
  ours,
  secretlintRunner,
  v8Regex,
  visitFloor,
  type DetectorCorpus,
  type Found,
} from "../detector";
import { stats } from "../lib";
import { mayHoldMaterialTree, type Tree } from "../../policies/detect/walk";
import type { scanProps as ScanProps } from "../../policies/detect/scanner";

type Detector = { scanProps: typeof ScanProps; mayHoldMaterialTree: typeof mayHoldMaterialTree };

/**
 * A floor for any detector that reads strings: visitFloor's walk, plus one native search through
 * every string of 44+ characters (`includes` of a character none holds: memchr over the whole text).
 */
function readFloor(c: DetectorCorpus): number {
  let hits = 0;
  const visit = (v: Tree[] | { [k: string]: Tree }): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === "string") hits += x.length >= 44 && x.includes("\u0000") ? 1 : 0;
        else if (x !== null && typeof x === "object") visit(x);
      }
      return;
    }
    for (const k in v) {
      const x = v[k];
      if (typeof x === "string") hits += x.length >= 44 && x.includes("\u0000") ? 1 : 0;
      else if (x !== null && typeof x === "object") visit(x);
    }
  };
  for (const { tree } of c.trees) if (tree !== null && typeof tree === "object") visit(tree);
  return hits;
}

function oursWith(d: Detector, trees: DetectorCorpus["trees"]): () => number {
  return () => {
    let n = 0;
    for (const { type, tree } of trees) n += d.scanProps(type, tree).keys.length;
    return n;
  };
}

async function main(): Promise<void> {
  const other = path.resolve(process.argv[2] ?? "");
  const rounds = Number(process.argv[3]) || 21;
  const load = (dir: string): Detector => ({
    ...require(`${dir}/policies/detect/scanner`),
    ...require(`${dir}/policies/detect/walk`),
  });
  const base = load(other);
  const here = load(path.resolve(__dirname, "../.."));
  const c = detectorCorpus(18);
  const candidates = c.trees.filter((t) => mayHoldMaterialTree(t.tree));
  const lint = await secretlintRunner();
  const rows: Array<[string, () => unknown]> = [
    ["ours, other checkout", oursWith(base, c.trees)],
    ["ours, this checkout", oursWith(here, c.trees)],
    ["prefilter alone, other", () => c.trees.filter((t) => base.mayHoldMaterialTree(t.tree)).length],
    ["prefilter alone, this", () => c.trees.filter((t) => here.mayHoldMaterialTree(t.tree)).length],
    [`key walk of the ${candidates.length} candidates, other`, oursWith(base, candidates)],
    [`key walk of the ${candidates.length} candidates, this`, oursWith(here, candidates)],
    ["secretlint pattern rule", () => lint(c)],
    ["one V8 regex", () => v8Regex(c)],
    ["visit floor", () => visitFloor(c)],
    ["visit + one read of each long string", () => readFloor(c)],
  ];
  const cpu = async (f: () => unknown): Promise<number> => {
    const t = process.cpuUsage();
    await f();
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1000;
  };
  const samples: number[][] = rows.map(() => []);
  for (let r = 0; r <= rounds; r++) {
    const order = rows.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const ms = await cpu(rows[i][1]);
      if (r > 0) samples[i].push(ms); // round 0 warms up
    }
  }
  const med = samples.map((s) => stats(s).median);
  for (let i = 0; i < rows.length; i++) console.log(`${rows[i][0].padEnd(40)} ${med[i].toFixed(2)} ms CPU`);
  const per = (a: number, b: number) => stats(samples[a].map((x, i) => x / samples[b][i]));
  const show = (label: string, a: number, b: number) => {
    const s = per(a, b);
    console.log(
      `${label.padEnd(40)} ${(med[a] / med[b]).toFixed(3)} (rounds ${s.min.toFixed(3)}–${s.max.toFixed(3)})`,
    );
  };
  show("ours: this / other", 1, 0);
  show("prefilter: this / other", 3, 2);
  show("candidate walk: this / other", 5, 4);
  show("secretlint / ours (other)", 6, 0);
  show("secretlint / ours (this)", 6, 1);
  show("regex / ours (other)", 7, 0);
  show("regex / ours (this)", 7, 1);
  console.log(
    `${rounds} rounds; recall check: ours found ${(ours(c) as Found).fingerprints.size} of ${c.planted.size}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
