/**
 * `npm run bench` — every measure of issue 14 in one run, written to bench/RESULTS.md from the
 * numbers measured (nothing in RESULTS.md is edited by hand; the prose comes from bench/analysis.md).
 *
 *   npm run bench                 full: 10k and 50k stacks, 500 × 200 org, 100k sandboxes, 5 rounds
 *   npm run bench -- --quick      smaller sizes for development (RESULTS-quick.md)
 *   npm run bench -- --only=detector,audit   a subset (prints, writes nothing)
 *   npm run bench -- --rounds=7   more rounds (--size=N: the single-stack size)
 *   npm run bench -- --render     rewrite RESULTS.md from RESULTS.json (after editing analysis.md)
 *   npm run bench -- --only=detector,engine --update   re-measure a subset and merge it into
 *                                 RESULTS.json / RESULTS.md (each merged measure says when and under
 *                                 what load it ran; the others keep their last run; --write is the same)
 *   npm run bench -- --only=startup --startup-baseline=DIR   also time another checkout's bin (before/after)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { benchDetector, type DetectorResult } from "./detector";
import { fmtMs, fmtStats, machine, type Machine, type Stats } from "./lib";
import {
  auditVsFloor,
  orgWide,
  packVsEmpty,
  previewTemplates,
  sandboxesAudit,
  startup,
  Workspace,
  type AuditVsFloor,
  type OrgWide,
  type PackVsEmpty,
  type PreviewRuns,
  type SandboxesAudit,
  type StartupRuns,
} from "./measures";

interface Plan {
  mode: "full" | "quick";
  rounds: number;
  size: number;
  large: number;
  /** Rounds of the large-stack audit (each also runs the small one, interleaved). */
  largeRounds: number;
  org: { small: number; large: number; size: number; rounds: number };
  sandboxes: { small: number; large: number; rounds: number };
  preview: { stacks: string[]; rounds: number };
  detectorMb: number;
}

const plans: Record<"full" | "quick", Plan> = {
  full: {
    mode: "full",
    rounds: 5,
    size: 10_000,
    large: 50_000,
    largeRounds: 1,
    org: { small: 100, large: 500, size: 200, rounds: 1 },
    sandboxes: { small: 10_000, large: 100_000, rounds: 5 },
    preview: { stacks: ["prod", "staging", "loadtest"], rounds: 2 },
    detectorMb: 18,
  },
  quick: {
    mode: "quick",
    rounds: 5,
    size: 1_000,
    large: 5_000,
    largeRounds: 1,
    org: { small: 10, large: 50, size: 200, rounds: 1 },
    sandboxes: { small: 2_000, large: 10_000, rounds: 3 },
    preview: { stacks: ["prod"], rounds: 1 },
    detectorMb: 18,
  },
};

interface Results {
  plan: Plan;
  /** Written while the run goes on: some measures are still missing. */
  partial?: boolean;
  machineBefore: Machine;
  machineAfter?: Machine;
  startedAt: string;
  elapsedMs?: number;
  packVsEmpty?: PackVsEmpty;
  audit?: AuditVsFloor;
  org?: OrgWide;
  detector?: DetectorResult;
  sandboxes?: SandboxesAudit;
  preview?: PreviewRuns;
  /** Older merges (before `measuredApart`): kept so RESULTS.md still says where those rows came from. */
  updates?: Array<{
    measures: string[];
    startedAt: string;
    elapsedMs: number;
    machine: Machine;
    rounds: number;
    size: number;
  }>;
  startup?: StartupRuns;
  /** Measures merged in from a later `--only=… --update` run: when, and under what load. */
  measuredApart?: Record<
    string,
    { command: string; startedAt: string; machineBefore: Machine; machineAfter: Machine }
  >;
}

/** The Results field each `--only` measure writes (where the two names differ). */
const RESULT_OF: Record<string, keyof Results> = { engine: "packVsEmpty" };

const x = (n: number) => `${n.toFixed(2)}×`;
const spread = (s: Stats, f: (n: number) => string = x) =>
  `${f(s.median)} (rounds ${f(s.min)}–${f(s.max)}, n=${s.runs})`;
const yes = (ok: boolean) => (ok ? "**met**" : "**not met**");
const mb = (n: number) => `${Math.round(n)} MB`;

/** Memory "flat": what listing keeps at the large size is within 25 % of the small size's (nothing leaked). */
const listingFlat = (s: SandboxesAudit) =>
  s.peakRssMb.largeNoLeaks === undefined
    ? s.peakRssMb.large <= s.peakRssMb.small * 1.25
    : s.peakRssMb.largeNoLeaks <= s.peakRssMb.smallNoLeaks * 1.25;
const memory = (s: SandboxesAudit) =>
  s.peakRssMb.largeNoLeaks === undefined
    ? `${mb(s.peakRssMb.large)} vs ${mb(s.peakRssMb.small)} at ${s.small.toLocaleString("en")}`
    : `listing with nothing leaked ${mb(s.peakRssMb.largeNoLeaks)} vs ${mb(s.peakRssMb.smallNoLeaks)} at ${s.small.toLocaleString("en")}; with every leaked sandbox in the report ${mb(s.peakRssMb.large)} vs ${mb(s.peakRssMb.small)}`;

function goals(r: Results): string[] {
  const rows = ["| measure | goal | measured | |", "|---|---|---|---|"];
  const p = r.packVsEmpty;
  if (p)
    rows.push(
      `| our pack vs an empty pack, analysis through the engine, ${p.resources.toLocaleString("en")} resources | ≤ 1.10× | ${spread(p.ratio)} | ${yes(p.ratio.median <= 1.1)} |`,
    );
  const a = r.audit;
  if (a) {
    rows.push(
      `| whole \`audit\` of a ${a.resources.toLocaleString("en")} export vs the minimal analyzer client (bench/minimal-client.js) | ≤ 2.0× | ${spread(a.ratio)} | ${yes(a.ratio.median <= 2)} |`,
      `| time(${a.large / 1000}k) / time(${a.resources / 1000}k) for \`audit\` | ≤ ${(5.5 * a.large) / a.resources / 5} | ${spread(a.scaling)} | ${yes(a.scaling.median <= (5.5 * a.large) / a.resources / 5)} |`,
    );
  }
  const o = r.org;
  if (o) {
    const linear = o.scaling.median <= (o.large / o.small) * 1.1;
    const rss = o.peakRssMb.cli + o.peakRssMb.pack;
    rows.push(
      `| org-wide \`audit\` of ${o.large} exports × ${o.size} resources: time, peak RSS | linear in stacks; RSS ≤ 1.5 GB | ${fmtStats(o.largeRun)}; time(${o.large})/time(${o.small}) ${spread(o.scaling)} (linear: ${o.large / o.small}); peak RSS CLI ${mb(o.peakRssMb.cli)} + pack ${mb(o.peakRssMb.pack)} | ${yes(linear)} (time), ${yes(rss <= 1536)} (RSS) |`,
    );
  }
  const d = r.detector;
  if (d) {
    const [ours, lint] = d.variants;
    const recallOk = ours.recall === 1 && lint.recall === 1 && ours.falsePositives === 0;
    rows.push(
      `| key detector over property trees vs secretlint's pattern rule, ${d.corpusMb.toFixed(0)} MB, ${d.planted} planted keys | ≥ 2× faster, 100 % recall, 0 false positives | ${spread(d.speedupVsSecretlint)} faster; recall ours ${(ours.recall * 100).toFixed(0)} % / secretlint ${(lint.recall * 100).toFixed(0)} %; false positives ours ${ours.falsePositives} / secretlint ${lint.falsePositives} (${d.decoys} decoys) | ${yes(d.speedupVsSecretlint.median >= 2)} (speed), ${yes(recallOk)} (recall, decoys) |`,
      `| key detector vs one V8 regex over the flat text | ≥ 25 % of its throughput | ${(d.shareOfRegex.median * 100).toFixed(1)} % (rounds ${(d.shareOfRegex.min * 100).toFixed(1)}–${(d.shareOfRegex.max * 100).toFixed(1)} %) | ${yes(d.shareOfRegex.median >= 0.25)} |`,
    );
  }
  const s = r.sandboxes;
  if (s)
    rows.push(
      `| \`sandboxes audit\` of ${s.large.toLocaleString("en")} sandboxes on the local server | ≤ 6 s, memory flat | ${fmtStats(s.largeRun)}${s.floor ? ` (the floor, a minimal client fetching the same pages: ${fmtStats(s.floor)})` : ""}; peak RSS ${memory(s)} | ${yes(s.largeRun.median <= 6000)} (time), ${yes(listingFlat(s))} (memory of the listing) |`,
    );
  const v = r.preview;
  if (v)
    rows.push(
      `| \`preview\` of the stack templates (${v.stacks.join(", ")}), cold and warm | reported | cold ${fmtStats(v.cold)}, warm ${fmtStats(v.warm)} | reported |`,
    );
  return rows;
}

function details(r: Results): string[] {
  const out: string[] = [];
  const a = r.audit;
  if (a) {
    out.push(
      "",
      `### \`audit\`, whole processes, ${a.resources.toLocaleString("en")} resources (interleaved)`,
      "",
      "| variant | wall, median (min–max) |",
      "|---|---|",
      `| \`audit\` with our pack | ${fmtStats(a.audit)} |`,
      `| \`audit\` with the empty pack (bench/empty-pack) | ${fmtStats(a.emptyPackAudit)} |`,
      `| minimal analyzer client + empty pack (the floor) | ${fmtStats(a.floor)} |`,
      `| \`audit\` with our pack, ${a.large.toLocaleString("en")} resources | ${fmtStats(a.auditLarge)} |`,
      "",
      `Empty-pack \`audit\` / floor: ${spread(a.emptyRatio)} — what the engine and CLI cost beyond the protocol.`,
      `The floor's own split (medians): pack start and parse ${fmtMs(a.floorSplit.start)}, Analyze × ${a.resources.toLocaleString("en")} (16 in flight) ${fmtMs(a.floorSplit.analyze)}, AnalyzeStack ${fmtMs(a.floorSplit.analyzeStack)}.`,
      `Peak RSS at ${a.resources / 1000}k: CLI ${mb(a.peakRssMb.cli)}, pack ${mb(a.peakRssMb.pack)}; at ${a.large / 1000}k: CLI ${mb(a.peakRssMb.cliLarge)}, pack ${mb(a.peakRssMb.packLarge)}.`,
    );
  }
  const p = r.packVsEmpty;
  if (p)
    out.push(
      "",
      `### Analysis through the engine (AnalyzerHost.analyze, in-process), ${p.resources.toLocaleString("en")} resources`,
      "",
      `Our pack ${fmtStats(p.ours)}; empty pack ${fmtStats(p.empty)} (after one warm-up analysis each).`,
      ...(p.cpu
        ? [
            "",
            `CPU time of the pack process per analysis (less sensitive to the machine's load than wall time): our pack ${fmtStats(p.cpu.ours)}; empty pack ${fmtStats(p.cpu.empty)}; ratio ${spread(p.cpu.ratio)}.`,
          ]
        : []),
      ...(p.sameDecoding
        ? [
            "",
            `Our pack decodes the requests' property Structs from their bytes when read (policies/fast-struct.ts), which the empty pack, on the SDK as it ships, does not. Against the empty pack with the same decoding (bench/empty-pack-fast-struct), i.e. what the rules alone cost: empty pack ${fmtStats(p.sameDecoding.empty)}, ratio ${spread(p.sameDecoding.ratio)}` +
              (p.sameDecoding.cpu
                ? `; CPU ${fmtStats(p.sameDecoding.cpu.empty)}, ratio ${spread(p.sameDecoding.cpu.ratio)}.`
                : "."),
          ]
        : []),
    );
  const o = r.org;
  if (o)
    out.push(
      "",
      `### Org-wide \`audit\` (${o.size} resources per export)`,
      "",
      `${o.small} exports: ${fmtStats(o.smallRun)}; ${o.large} exports: ${fmtStats(o.largeRun)}.`,
    );
  const d = r.detector;
  if (d) {
    out.push(
      "",
      `### Key detection, ${d.corpusMb.toFixed(1)} MB export, ${d.planted} planted keys, ${d.decoys} decoys`,
      "",
      "| detector | time, median (min–max) | MB/s | recall | false positives |",
      "|---|---|---:|---:|---:|",
    );
    for (const v of d.variants)
      out.push(
        `| ${v.name} | ${fmtStats(v.ms)} | ${v.mbPerS.toFixed(0)} | ${(v.recall * 100).toFixed(0)} % | ${v.falsePositives} |`,
      );
  }
  const s = r.sandboxes;
  if (s) {
    out.push(
      "",
      "### `sandboxes audit` (CLI process; the local server runs in the bench process)",
      "",
      `${s.small.toLocaleString("en")} sandboxes: ${fmtStats(s.smallRun)}, peak RSS ${mb(s.peakRssMb.small)}; ${s.large.toLocaleString("en")}: ${fmtStats(s.largeRun)}, peak RSS ${mb(s.peakRssMb.large)}.`,
    );
    if (s.floor)
      out.push(
        "",
        `The floor (bench/minimal-sandboxes-client.js: the same ${s.pages} pages from the same server, one after the other, Node's fetch and JSON.parse, nothing else): ${fmtStats(s.floor)} whole process, ${fmtStats(s.floorListing)} of listing, peak RSS ${mb(s.peakRssMb.floor)}. \`sandboxes audit\` / floor: ${spread(s.ratio)}. The server's CPU during one ${s.large.toLocaleString("en")}-sandbox audit (it runs in the bench process): ${fmtStats(s.serverCpuMs)}.`,
      );
  }
  const u = r.startup;
  if (u) {
    out.push(
      "",
      "### CLI start-up (whole processes, interleaved, after one warm-up run of each)",
      "",
      `| command | ${u.variants.map((v) => v.label).join(" | ")} |`,
      `|---|${u.variants.map(() => "---|").join("")}`,
      ...u.commands.map((c) => `| ${c.name} | ${c.runs.map((x) => fmtStats(x)).join(" | ")} |`),
    );
  }
  return out;
}

function render(r: Results): string {
  const m = r.machineBefore;
  const lines = [
    "# Benchmark results",
    "",
    ...(r.partial
      ? ["**Partial: the run was still going (or was stopped) when this was written.**", ""]
      : []),
    `Written by \`npm run bench${r.plan.mode === "quick" ? " -- --quick" : ""}\` on ${r.startedAt} (${r.plan.mode} mode, ${r.plan.rounds} interleaved rounds per A/B unless stated; took ${fmtMs(r.elapsedMs ?? 0)}). Every figure below comes from that run${r.measuredApart ? ", except the measures named under Machine as measured apart" : ""}.`,
    ...(r.updates ?? []).map(
      (u) =>
        `\nUpdated: ${u.measures.join(", ")} re-measured on ${u.startedAt} by \`npm run bench -- --only=${u.measures.join(",")} --update\` (${u.rounds} interleaved rounds, ${u.size.toLocaleString("en")} resources for the engine measure; took ${fmtMs(u.elapsedMs)}; load average ${u.machine.loadAverage.join(" / ")} at the start). Their rows and details below come from that run; the other measures from the run above.`,
    ),
    "",
    "## Machine",
    "",
    `- node ${m.node}, ${m.platform}`,
    `- CPU ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM`,
    `- load average at the start ${m.loadAverage.join(" / ")} (1 / 5 / 15 min)${r.machineAfter ? `, at the end ${r.machineAfter.loadAverage.join(" / ")}` : ""}`,
    "- shared with other engineers' jobs: absolute times are noisy; the ratios compare interleaved runs.",
    ...Object.entries(r.measuredApart ?? {}).map(
      ([name, m]) =>
        `- **${name}** was measured apart, by \`${m.command}\` (started ${m.startedAt}): load average at its start ${m.machineBefore.loadAverage.join(" / ")}, at its end ${m.machineAfter.loadAverage.join(" / ")}.`,
    ),
    "",
    "## Goals",
    "",
    ...goals(r),
    "",
    "## Details",
    ...details(r),
  ];
  const analysis = path.join(__dirname, "analysis.md");
  if (existsSync(analysis)) lines.push("", readFileSync(analysis, "utf8").trim());
  return lines.join("\n") + "\n";
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes("--render")) {
    // Re-render RESULTS.md from the last run's RESULTS.json (after editing analysis.md): no new figures.
    const file = path.join(__dirname, args.includes("--quick") ? "RESULTS-quick.md" : "RESULTS.md");
    const r = JSON.parse(readFileSync(file.replace(/\.md$/, ".json"), "utf8")) as Results;
    writeFileSync(file, render(r));
    return;
  }
  const plan = { ...plans[args.includes("--quick") ? "quick" : "full"] };
  const rounds = args.find((a) => a.startsWith("--rounds="));
  if (rounds) plan.rounds = Number(rounds.split("=")[1]);
  const size = args.find((a) => a.startsWith("--size="));
  if (size) plan.size = Number(size.split("=")[1]);
  const only = args
    .find((a) => a.startsWith("--only="))
    ?.split("=")[1]
    .split(",");
  const want = (m: string) => !only || only.includes(m);
  const baselineDir = args.find((a) => a.startsWith("--startup-baseline="))?.split("=")[1];
  const startupBaseline = baselineDir
    ? { label: `before (${path.basename(path.resolve(baselineDir))})`, dir: path.resolve(baselineDir) }
    : undefined;
  const merge = only && (args.includes("--update") || args.includes("--write"));
  const r: Results = { plan, machineBefore: machine(), startedAt: new Date().toISOString() };
  const t0 = performance.now();
  const ws = new Workspace();
  const file = path.join(__dirname, plan.mode === "quick" ? "RESULTS-quick.md" : "RESULTS.md");
  const step = async <T>(name: string, f: () => Promise<T>, set: (v: T) => void): Promise<void> => {
    if (!want(name)) return;
    const t = performance.now();
    process.stderr.write(`bench: ${name}…`);
    set(await f());
    process.stderr.write(` ${fmtMs(performance.now() - t)} (load ${machine().loadAverage[0]})\n`);
    // A long run that is stopped still leaves what it measured (marked partial).
    if (!only) writeFileSync(file, render({ ...r, elapsedMs: performance.now() - t0, partial: true }));
  };
  try {
    await step(
      "detector",
      () => benchDetector(plan.rounds, plan.detectorMb),
      (v) => (r.detector = v),
    );
    await step(
      "engine",
      () => packVsEmpty(ws, plan.size, plan.rounds),
      (v) => (r.packVsEmpty = v),
    );
    await step(
      "audit",
      () => auditVsFloor(ws, plan.size, plan.large, plan.rounds, plan.largeRounds),
      (v) => (r.audit = v),
    );
    await step(
      "org",
      () => orgWide(ws, plan.org.small, plan.org.large, plan.org.size, plan.org.rounds),
      (v) => (r.org = v),
    );
    await step(
      "sandboxes",
      () => sandboxesAudit(plan.sandboxes.small, plan.sandboxes.large, plan.sandboxes.rounds),
      (v) => (r.sandboxes = v),
    );
    await step(
      "startup",
      () => startup(ws, Math.max(plan.rounds, 5), startupBaseline),
      (v) => (r.startup = v),
    );
    await step(
      "preview",
      () => previewTemplates(ws, plan.preview.stacks, plan.preview.rounds),
      (v) => (r.preview = v),
    );
  } finally {
    ws.close();
  }
  r.elapsedMs = performance.now() - t0;
  r.machineAfter = machine();
  if (merge) {
    // Merge the measures just run into the last full run's results, each marked as measured apart.
    const json = file.replace(/\.md$/, ".json");
    const last = existsSync(json) ? (JSON.parse(readFileSync(json, "utf8")) as Results) : r;
    const merged: Results = { ...last, measuredApart: { ...last.measuredApart } };
    for (const m of only) {
      const key = RESULT_OF[m] ?? m;
      if (!(key in r)) continue;
      (merged as unknown as Record<string, unknown>)[key] = (r as unknown as Record<string, unknown>)[key];
      merged.measuredApart![m] = {
        command: `npm run bench -- ${args.join(" ")}`,
        startedAt: r.startedAt,
        machineBefore: r.machineBefore,
        machineAfter: r.machineAfter,
      };
    }
    writeFileSync(file, render(merged));
    writeFileSync(json, JSON.stringify(merged, null, 2) + "\n");
    process.stdout.write(render(merged));
    process.stderr.write(`bench: merged ${only.join(", ")} into ${path.relative(process.cwd(), file)}\n`);
    return;
  }
  const text = render(r);
  if (only) {
    process.stdout.write(text);
    return;
  }
  writeFileSync(file, text);
  writeFileSync(file.replace(/\.md$/, ".json"), JSON.stringify(r, null, 2) + "\n");
  process.stdout.write(text);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), file)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
