/**
 * Where a CPU profile's time went: self time by function (name, file:line) and by file, as shares of
 * the profile's sampled time. `npx tsx bench/profile/summary.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: Array<{ name: string; where: string; ms: number; share: number }>;
  files: Array<{ file: string; ms: number; share: number }>;
  /** Inclusive time (self and callees) of the functions whose file matches `inclusiveOf`. */
  inclusive: Array<{ name: string; where: string; ms: number; share: number }>;
}

const root = path.resolve(__dirname, "../..");

function shortUrl(url: string): string {
  const p = url.replace(/^file:\/\//, "");
  if (!p) return "(native)";
  const nm = p.lastIndexOf("node_modules/");
  if (nm >= 0) return p.slice(nm + "node_modules/".length);
  return p.startsWith(root) ? path.relative(root, p) : p;
}

export function summarize(file: string, top = 25, inclusiveOf?: RegExp): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0) / 1000;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  let total = 0;
  const fns = new Map<string, { name: string; where: string; ms: number }>();
  const files = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") continue;
    total += ms;
    const f = shortUrl(url);
    const where = url ? `${f}:${lineNumber + 1}` : f;
    const key = `${functionName}@${where}`;
    const e = fns.get(key) ?? { name: functionName || "(anonymous)", where, ms: 0 };
    e.ms += ms;
    fns.set(key, e);
    const fileKey = functionName === "(garbage collector)" ? "(garbage collector)" : f;
    files.set(fileKey, (files.get(fileKey) ?? 0) + ms);
  }
  // Inclusive: each sample counts once for every distinct function on its stack.
  const incl = new Map<string, { name: string; where: string; ms: number }>();
  if (inclusiveOf)
    for (const [id, ms] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
        const { functionName, url, lineNumber } = byId.get(cur)!.callFrame;
        if (!inclusiveOf.test(url)) continue;
        const where = `${shortUrl(url)}:${lineNumber + 1}`;
        const key = `${functionName}@${where}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const e = incl.get(key) ?? { name: functionName || "(anonymous)", where, ms: 0 };
        e.ms += ms;
        incl.set(key, e);
      }
    }
  const share = (ms: number) => (total ? ms / total : 0);
  return {
    totalMs: total,
    functions: [...fns.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: share(f.ms) })),
    files: [...files]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, ms]) => ({ file, ms, share: share(ms) })),
    inclusive: [...incl.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: share(f.ms) })),
  };
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  const s = summarize(file, Number(top) || 25);
  console.log(`sampled (non-idle) ${s.totalMs.toFixed(0)} ms`);
  console.log("-- by file (self)");
  for (const f of s.files)
    console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.file}`);
  console.log("-- by function (self)");
  for (const f of s.functions)
    console.log(
      `${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}`,
    );
}
