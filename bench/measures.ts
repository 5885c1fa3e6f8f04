/**
 * The measures of `npm run bench`, one function each. Every A/B pair runs interleaved within one call
 * (see lib.ts), so a ratio compares runs that saw the same machine load.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AnalyzerHost, loadStateExport } from "../engine";
import { generateStack } from "./generate";
import { childCpuMs, interleave, ratio, runProcess, stats, type ProcessRun, type Stats } from "./lib";

const root = path.resolve(__dirname, "..");
const cli = path.join(root, "bin/e2b-guardrails.js");
const ourPack = path.join(root, "policies");
const emptyPack = path.join(__dirname, "empty-pack");
/** The empty pack with our pack's Struct decoding (policies/fast-struct.ts): our rules' cost alone. */
const emptyFastStructPack = path.join(__dirname, "empty-pack-fast-struct");
const minimalClient = path.join(__dirname, "minimal-client.js");
const minimalSandboxesClient = path.join(__dirname, "minimal-sandboxes-client.js");

/** A scratch folder for generated exports, removed by `close()`. */
export class Workspace {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "e2b-bench-"));
  private stacks = new Map<string, string>();

  /** A generated export of `size` resources (written once per size and options). */
  stack(size: number, opts: { project?: string; stack?: string; seed?: number } = {}): string {
    const key = `${size}-${opts.project ?? ""}-${opts.stack ?? ""}-${opts.seed ?? ""}`;
    let file = this.stacks.get(key);
    if (!file) {
      file = path.join(this.dir, `stack-${key}.json`);
      writeFileSync(file, JSON.stringify(generateStack(size, opts).export));
      this.stacks.set(key, file);
    }
    return file;
  }

  /** `count` exports of `size` resources each, in their own folder: one org. */
  org(count: number, size: number): string[] {
    const dir = path.join(this.dir, `org-${count}x${size}`);
    mkdirSync(dir, { recursive: true });
    const envs = ["prod", "staging", "dev"];
    return Array.from({ length: count }, (_, i) => {
      const file = path.join(dir, `team-${i}.json`);
      const g = generateStack(size, { project: `svc-${Math.floor(i / 3)}`, stack: envs[i % 3], seed: i + 1 });
      writeFileSync(file, JSON.stringify(g.export));
      return file;
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const out = (ws: Workspace) => path.join(ws.dir, `report-${process.hrtime.bigint()}.json`);

function audit(ws: Workspace, states: string[], pack?: string): Promise<ProcessRun> {
  const args = [
    cli,
    "audit",
    ...states.flatMap((s) => ["--state", s]),
    "--format",
    "json",
    "--output",
    out(ws),
  ];
  if (pack) args.push("--policy-pack", pack);
  return runProcess(process.execPath, args).then((r) => {
    // 0 clean, 1 mandatory findings (the planted keys): both are completed audits.
    if (r.code !== 0 && r.code !== 1) throw new Error(`audit exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    return r;
  });
}

function floor(state: string): Promise<ProcessRun & { protocol: Record<string, number> }> {
  return runProcess(process.execPath, [minimalClient, emptyPack, state]).then((r) => {
    if (r.code !== 0) throw new Error(`minimal client exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    return { ...r, protocol: (JSON.parse(r.stdout) as { ms: Record<string, number> }).ms };
  });
}

const ms = (runs: ProcessRun[]) => runs.map((r) => r.ms);

// ---------------------------------------------------------------------------------------------

export interface PackVsEmpty {
  resources: number;
  ours: Stats;
  empty: Stats;
  ratio: Stats;
  /**
   * CPU time of the pack process itself per analysis (ms), ours vs empty, and their ratio: less
   * sensitive than wall time to the other engineers' load on the 2 cores (absent before s14-pack).
   */
  cpu?: { ours: Stats; empty: Stats; ratio: Stats };
  /**
   * The same against the empty pack decoding Structs as ours does (absent before s27): what the rules
   * cost, without what fast-struct.ts saves on decoding.
   */
  sameDecoding?: { empty: Stats; ratio: Stats; cpu?: { empty: Stats; ratio: Stats } };
}

/** Analysis through the engine (AnalyzerHost, in-process), our pack vs the empty pack, same graph. */
export async function packVsEmpty(ws: Workspace, size: number, rounds: number): Promise<PackVsEmpty> {
  const graph = loadStateExport(ws.stack(size));
  const packs = [ourPack, emptyPack, emptyFastStructPack];
  const hosts = await Promise.all(packs.map((p) => AnalyzerHost.start(p)));
  try {
    for (const h of hosts) {
      await h.configure();
      await h.analyze(graph); // warm-up: JIT and first-call costs in every process
    }
    const runs = await interleave(
      hosts.map((h, i) => async () => {
        const c0 = childCpuMs(packs[i]);
        const t0 = performance.now();
        await h.analyze(graph);
        const ms = performance.now() - t0;
        const c1 = childCpuMs(packs[i]);
        return { ms, cpu: c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined };
      }),
      rounds,
    );
    const [o, e, f] = runs.map((rs) => rs.map((r) => r.ms));
    const [oc, ec, fc] = runs.map((rs) => rs.map((r) => r.cpu).filter((c): c is number => c !== undefined));
    const cpuKnown = [oc, ec, fc].every((c) => c.length === rounds);
    const cpu = cpuKnown ? { ours: stats(oc), empty: stats(ec), ratio: ratio(oc, ec) } : undefined;
    const sameDecoding = {
      empty: stats(f),
      ratio: ratio(o, f),
      cpu: cpuKnown ? { empty: stats(fc), ratio: ratio(oc, fc) } : undefined,
    };
    return { resources: size, ours: stats(o), empty: stats(e), ratio: ratio(o, e), cpu, sameDecoding };
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
  }
}

export interface AuditVsFloor {
  resources: number;
  large: number;
  audit: Stats;
  emptyPackAudit: Stats;
  floor: Stats;
  /** The floor's own split: pack start, Analyze calls, AnalyzeStack (medians). */
  floorSplit: { start: number; analyze: number; analyzeStack: number };
  auditLarge: Stats;
  ratio: Stats;
  emptyRatio: Stats;
  scaling: Stats;
  peakRssMb: { cli: number; pack: number; cliLarge: number; packLarge: number };
}

/**
 * Whole `audit` processes: our pack, the empty pack and the minimal client (the protocol's floor) on
 * the same export, interleaved; then `audit` of a `large` export against the same-size audit again,
 * interleaved, for the scaling ratio (`largeRounds` rounds: a large audit takes minutes here).
 */
export async function auditVsFloor(
  ws: Workspace,
  size: number,
  large: number,
  rounds: number,
  largeRounds: number,
): Promise<AuditVsFloor> {
  const state = ws.stack(size);
  const big = ws.stack(large);
  const [a, e, f] = await interleave<ProcessRun & { protocol?: Record<string, number> }>(
    [() => audit(ws, [state]), () => audit(ws, [state], emptyPack), () => floor(state)],
    rounds,
  );
  const [s2, l] = await interleave([() => audit(ws, [state]), () => audit(ws, [big])], largeRounds);
  const med = (k: string) => stats(f.map((r) => r.protocol![k])).median;
  const peak = (runs: ProcessRun[], k: "self" | "children") => Math.max(...runs.map((r) => r.peakRssMb[k]));
  return {
    resources: size,
    large,
    audit: stats(ms(a)),
    emptyPackAudit: stats(ms(e)),
    floor: stats(ms(f)),
    floorSplit: { start: med("start"), analyze: med("analyze"), analyzeStack: med("analyzeStack") },
    auditLarge: stats(ms(l)),
    ratio: ratio(ms(a), ms(f)),
    emptyRatio: ratio(ms(e), ms(f)),
    scaling: ratio(ms(l), ms(s2)),
    peakRssMb: {
      cli: peak(a, "self"),
      pack: peak(a, "children"),
      cliLarge: peak(l, "self"),
      packLarge: peak(l, "children"),
    },
  };
}

export interface OrgWide {
  size: number;
  small: number;
  large: number;
  smallRun: Stats;
  largeRun: Stats;
  /** time(large) / time(small); linear in stacks means ≈ large / small. */
  scaling: Stats;
  peakRssMb: { cli: number; pack: number };
}

/** Org-wide `audit` of `large` exports vs `small` exports, each of `size` resources. */
export async function orgWide(
  ws: Workspace,
  small: number,
  large: number,
  size: number,
  rounds: number,
): Promise<OrgWide> {
  const s = ws.org(small, size);
  const l = ws.org(large, size);
  const [sr, lr] = await interleave([() => audit(ws, s), () => audit(ws, l)], rounds);
  return {
    size,
    small,
    large,
    smallRun: stats(ms(sr)),
    largeRun: stats(ms(lr)),
    scaling: ratio(ms(lr), ms(sr)),
    peakRssMb: {
      cli: Math.max(...lr.map((r) => r.peakRssMb.self)),
      pack: Math.max(...lr.map((r) => r.peakRssMb.children)),
    },
  };
}

export interface SandboxesAudit {
  small: number;
  large: number;
  smallRun: Stats;
  largeRun: Stats;
  /** bench/minimal-sandboxes-client.js over the same large server: the same pages, nothing else. */
  floor: Stats;
  /** The floor's listing alone (its own clock, after start-up). */
  floorListing: Stats;
  /** `sandboxes audit` (large) / floor, per round. */
  ratio: Stats;
  /** With leaks (half the mix is older than 1 h, all listed in the report) and with nothing leaked (`--max-age 100h`): what listing itself keeps. */
  peakRssMb: { small: number; large: number; floor: number; smallNoLeaks: number; largeNoLeaks: number };
  /** CPU the server (in the bench process) spent per large run, median: it must not be what is timed. */
  serverCpuMs: Stats;
  pages: number;
}

/** Seed a local E2B API server's team with `n` sandboxes of the bench's mix; returns URL and key. */
async function seededServer(n: number) {
  const { startE2BServer } = await import("../tests/support/e2b-api");
  const srv = await startE2BServer();
  const { teamId } = srv.state.addTeam({ plan: "pro" });
  const { key } = srv.state.addApiKey(teamId, { name: "bench" });
  srv.state.seedSandboxes(n, {
    teamId,
    state: (j) => (j % 10 ? "running" : "paused"),
    metadata: (j): Record<string, string> => (j % 13 ? { user_id: `u${j % 97}`, request_id: `r${j}` } : {}),
    startedAt: (j) => new Date(Date.now() - (j % 7200) * 1000),
  });
  return { srv, env: { E2B_API_KEY: key, E2B_API_URL: srv.url } };
}

function sandboxesCli(env: Record<string, string>, bin = cli, maxAge = "1h"): Promise<ProcessRun> {
  return runProcess(
    process.execPath,
    [bin, "sandboxes", "audit", "--max-age", maxAge, "--format", "json", "--output", "/dev/null"],
    { env },
  ).then((r) => {
    // 0 nothing leaked, 1 leaks found (half the mix is older than 1 h): both are completed audits.
    if (r.code !== 0 && r.code !== 1)
      throw new Error(`sandboxes audit exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    return r;
  });
}

/**
 * `sandboxes audit` (the CLI, spawned) against the local E2B API server with seeded sandboxes, at
 * two sizes, and the floor (the same pages fetched by a minimal client), interleaved. The servers run
 * in this process; their CPU time per run is reported so a slow server cannot pass for a slow client.
 */
export async function sandboxesAudit(small: number, large: number, rounds: number): Promise<SandboxesAudit> {
  const servers = await Promise.all([seededServer(small), seededServer(large)]);
  try {
    const serverCpu: number[] = [];
    const timedServer = async <T>(f: () => Promise<T>) => {
      const c0 = process.cpuUsage();
      const r = await f();
      const c = process.cpuUsage(c0);
      serverCpu.push((c.user + c.system) / 1000);
      return r;
    };
    const [s, l, f, sn, ln] = await interleave<ProcessRun>(
      [
        () => sandboxesCli(servers[0].env),
        () => timedServer(() => sandboxesCli(servers[1].env)),
        () =>
          runProcess(process.execPath, [minimalSandboxesClient], { env: servers[1].env }).then((r) => {
            if (r.code !== 0) throw new Error(`minimal sandboxes client exited ${r.code}: ${r.stderr}`);
            return r;
          }),
        () => sandboxesCli(servers[0].env, cli, "100h"),
        () => sandboxesCli(servers[1].env, cli, "100h"),
      ],
      rounds,
    );
    const floorOut = f.map((r) => JSON.parse(r.stdout) as { pages: number; items: number; ms: number });
    if (floorOut.some((o) => o.items !== large))
      throw new Error(`the minimal client listed ${floorOut[0].items} sandboxes, not ${large}`);
    return {
      small,
      large,
      smallRun: stats(ms(s)),
      largeRun: stats(ms(l)),
      floor: stats(ms(f)),
      floorListing: stats(floorOut.map((o) => o.ms)),
      ratio: ratio(ms(l), ms(f)),
      peakRssMb: {
        small: Math.max(...s.map((r) => r.peakRssMb.self)),
        large: Math.max(...l.map((r) => r.peakRssMb.self)),
        floor: Math.max(...f.map((r) => r.peakRssMb.self)),
        smallNoLeaks: Math.max(...sn.map((r) => r.peakRssMb.self)),
        largeNoLeaks: Math.max(...ln.map((r) => r.peakRssMb.self)),
      },
      serverCpuMs: stats(serverCpu),
      pages: floorOut[0].pages,
    };
  } finally {
    await Promise.all(servers.map((s) => s.srv.close()));
  }
}

export interface StartupRuns {
  /** The checkouts compared: this one, and optionally another (`--startup-baseline=DIR`). */
  variants: { label: string; bin: string }[];
  /** Per command, per variant (in `variants` order). */
  commands: { name: string; runs: Stats[] }[];
  sandboxes: number;
}

/**
 * The CLI's start-up, as every command and every test that spawns the bin pays it: `--help`,
 * `audit` of a small clean export (start-up, pack start, one small analysis), `sandboxes audit`
 * of a few sandboxes on the local server. Whole processes, interleaved across commands and variants.
 */
export async function startup(
  ws: Workspace,
  rounds: number,
  baseline?: { label: string; dir: string },
  sandboxes = 100,
): Promise<StartupRuns> {
  const { buildStartupBundle } = await import("./startup-bundle");
  const variants = [
    { label: "this checkout (tsx)", bin: cli },
    { label: "start-up set precompiled (bench/startup-bundle.ts)", bin: await buildStartupBundle(ws.dir) },
  ];
  if (baseline)
    variants.push({ label: baseline.label, bin: path.join(baseline.dir, "bin/e2b-guardrails.js") });
  const { srv, env } = await seededServer(sandboxes);
  const clean = path.join(root, "tests/engine/fixtures/state/clean.json");
  const expect = (name: string, ok: number[]) => (r: ProcessRun) => {
    if (r.code === null || !ok.includes(r.code))
      throw new Error(`${name} exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    return r.ms;
  };
  const commands: { name: string; run: (bin: string) => Promise<number> }[] = [
    {
      name: "`--help`",
      run: (bin) => runProcess(process.execPath, [bin, "--help"]).then(expect("--help", [0])),
    },
    {
      name: "`audit --state tests/engine/fixtures/state/clean.json`",
      run: (bin) =>
        runProcess(process.execPath, [bin, "audit", "--state", clean, "--format", "json"]).then(
          expect("audit", [0]),
        ),
    },
    {
      name: `\`sandboxes audit\` (${sandboxes} sandboxes, local server)`,
      run: (bin) => sandboxesCli(env, bin).then((r) => r.ms),
    },
  ];
  try {
    const tasks = commands.flatMap((c) => variants.map((v) => () => c.run(v.bin)));
    for (const t of tasks) await t(); // warm-up: tsx's compile cache and the OS file cache
    const samples = await interleave(tasks, rounds);
    return {
      variants,
      commands: commands.map((c, i) => ({
        name: c.name,
        runs: variants.map((_, j) => stats(samples[i * variants.length + j])),
      })),
      sandboxes,
    };
  } finally {
    await srv.close();
  }
}

export interface PreviewRuns {
  stacks: string[];
  cold: Stats;
  warm: Stats;
}

/**
 * `preview` of each stack template (stacks/Pulumi.<stack>.yaml). Cold: a fresh TMPDIR, so tsx has no
 * compile cache for the CLI, the program or the engine; warm: the same TMPDIR again.
 */
export async function previewTemplates(
  ws: Workspace,
  stacks: string[],
  rounds: number,
): Promise<PreviewRuns> {
  const warmTmp = path.join(ws.dir, "tmp-warm");
  mkdirSync(warmTmp, { recursive: true });
  const run = (tmp: string, stack: string) =>
    runProcess(
      process.execPath,
      [cli, "preview", "--cwd", root, "--stack", stack, "--format", "json", "--output", out(ws)],
      {
        env: { TMPDIR: tmp, PULUMI_CONFIG_PASSPHRASE: "e2b-guardrails-example" },
      },
    ).then((r) => {
      if (r.code !== 0 && r.code !== 1)
        throw new Error(`preview exited ${r.code}: ${r.stderr.slice(0, 300)}`);
      return r.ms;
    });
  for (const s of stacks) await run(warmTmp, s); // prime the warm cache
  let n = 0;
  const cold = async () => {
    const tmp = path.join(ws.dir, `tmp-cold-${n++}`);
    mkdirSync(tmp);
    const stack = stacks[n % stacks.length];
    return run(tmp, stack);
  };
  const warm = async () => run(warmTmp, stacks[n % stacks.length]);
  const [c, w] = await interleave([cold, warm], rounds);
  return { stacks, cold: stats(c), warm: stats(w) };
}
