/**
 * Pack processes side by side through the engine, interleaved: CPU time per analysis of each pack
 * process (process.cpuUsage inside it) and the garbage collector's pauses by kind, from
 * bench/profile/gc-hook.js. For comparing a pack with its own earlier build and with the empty pack,
 * where the bench's engine row only gives the ratio.
 *
 *   npx tsx bench/profile/pack-cpu.ts [--size=10000] [--rounds=5] label=packDir ...
 *
 * (default: ours=policies empty=bench/empty-pack). Every pack folder needs its dist/ built and must
 * resolve @pulumi/policy from where it lies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AnalyzerHost, loadStateExport } from "../../engine";
import { generateStack } from "../generate";
import { interleave, stats } from "../lib";

const root = path.resolve(__dirname, "../..");

interface Sample {
  cpuMs: number;
  gcMs: number;
  gc: Record<string, { count: number; ms: number }>;
  wallMs: number;
}

function packPid(dir: string): number {
  // The pack process is our child whose command line names its folder.
  for (const pid of require("node:fs").readdirSync("/proc") as string[]) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) !== process.pid) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\u0000").includes(dir)) return Number(pid);
    } catch {
      continue;
    }
  }
  throw new Error(`no pack process for ${dir}`);
}

async function snapshot(pid: number, dir: string, seq: number) {
  process.kill(pid, "SIGUSR2");
  const file = path.join(dir, `gc-${pid}.json`);
  for (let i = 0; i < 500; i++) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      const s = JSON.parse(readFileSync(file, "utf8"));
      if (s.seq === seq) return s as { cpuMs: number; totals: Sample["gc"] };
    } catch {
      /* not written yet */
    }
  }
  throw new Error("no GC snapshot");
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (k: string, d: number) => Number(args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
  const size = opt("size", 10000);
  const rounds = opt("rounds", 5);
  let packs = args.filter((a) => !a.startsWith("--")).map((a) => a.split("="));
  if (!packs.length)
    packs = [
      ["ours", "policies"],
      ["empty", "bench/empty-pack"],
    ];
  const tmp = mkdtempSync(path.join(os.tmpdir(), "e2b-pack-cpu-"));
  try {
    const file = path.join(tmp, "stack.json");
    writeFileSync(file, JSON.stringify(generateStack(size).export));
    const graph = loadStateExport(file);
    const hook = path.join(__dirname, "gc-hook.js");
    const hosts = [];
    for (const [, d] of packs)
      hosts.push(
        await AnalyzerHost.start(path.resolve(root, d), {
          env: { BENCH_GC_DIR: tmp, NODE_OPTIONS: `--require ${hook}` },
        }),
      );
    const pids = packs.map(([, d]) => packPid(path.resolve(root, d)));
    const seqs = pids.map(() => 0);
    try {
      for (const h of hosts) {
        await h.configure();
        await h.analyze(graph); // warm-up
      }
      const runs = await interleave(
        hosts.map((h, i) => async (): Promise<Sample> => {
          const a = await snapshot(pids[i], tmp, ++seqs[i]);
          const t0 = performance.now();
          await h.analyze(graph);
          const wallMs = performance.now() - t0;
          const b = await snapshot(pids[i], tmp, ++seqs[i]);
          const gc: Sample["gc"] = {};
          let gcMs = 0;
          for (const [k, v] of Object.entries(b.totals)) {
            const p = a.totals[k] ?? { count: 0, ms: 0 };
            gc[k] = { count: v.count - p.count, ms: v.ms - p.ms };
            gcMs += v.ms - p.ms;
          }
          return { cpuMs: b.cpuMs - a.cpuMs, gcMs, gc, wallMs };
        }),
        rounds,
      );
      console.log(
        `${size} resources, ${rounds} rounds, load ${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join(" ")}`,
      );
      const med = (xs: number[]) => stats(xs).median.toFixed(0);
      const mm = (xs: number[]) => `${stats(xs).min.toFixed(0)}–${stats(xs).max.toFixed(0)}`;
      runs.forEach((rs, i) => {
        const kinds = [...new Set(rs.flatMap((r) => Object.keys(r.gc)))];
        const kindText = kinds
          .map(
            (k) =>
              `${k} ${med(rs.map((r) => r.gc[k]?.ms ?? 0))} ms/${med(rs.map((r) => r.gc[k]?.count ?? 0))}`,
          )
          .join(", ");
        console.log(
          `${packs[i][0].padEnd(8)} cpu ${med(rs.map((r) => r.cpuMs))} ms (${mm(rs.map((r) => r.cpuMs))})  ` +
            `gc ${med(rs.map((r) => r.gcMs))} ms (${kindText})  non-gc ${med(rs.map((r) => r.cpuMs - r.gcMs))} ms  wall ${med(rs.map((r) => r.wallMs))} ms`,
        );
      });
      for (let i = 1; i < runs.length; i++) {
        const per = runs[0].map((r, j) => r.cpuMs / runs[i][j].cpuMs);
        console.log(
          `cpu ${packs[0][0]}/${packs[i][0]}: ${(stats(runs[0].map((r) => r.cpuMs)).median / stats(runs[i].map((r) => r.cpuMs)).median).toFixed(3)} (rounds ${stats(per).min.toFixed(2)}–${stats(per).max.toFixed(2)})`,
        );
      }
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => (console.error(e), process.exit(1)));
