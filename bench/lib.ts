/**
 * What every benchmark shares: statistics, interleaved A/B rounds, child processes with their peak
 * memory, and a description of the machine the numbers came from.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: s.length };
}

/**
 * Run each variant `rounds` times, interleaved (ABBA order, so drift in the machine's load falls on
 * both sides alike); returns each variant's samples in their input order.
 */
export async function interleave<T>(
  variants: ReadonlyArray<() => Promise<T>>,
  rounds: number,
): Promise<T[][]> {
  const out: T[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) out[i].push(await variants[i]());
  }
  return out;
}

/** Ratio of medians, plus the spread of per-round ratios (each round's A and B ran back to back). */
export function ratio(a: readonly number[], b: readonly number[]): Stats {
  const per = a.map((x, i) => x / b[i]);
  const r = stats(per);
  return { ...r, median: stats(a).median / stats(b).median };
}

export interface ProcessRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory (VmHWM) of the process and of its children, polled, in MB. */
  peakRssMb: { self: number; children: number };
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Run a command to completion, timing it and polling the peak RSS of it and its children. */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; pollMs?: number } = {},
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const peak = new Map<number, number>();
    const poll = () => {
      if (!child.pid) return;
      peak.set(child.pid, Math.max(peak.get(child.pid) ?? 0, vmHwmKb(child.pid)));
      for (const c of childPids(child.pid)) peak.set(c, Math.max(peak.get(c) ?? 0, vmHwmKb(c)));
    };
    const timer = setInterval(poll, opts.pollMs ?? 100);
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - t0;
      clearInterval(timer);
      const self = (peak.get(child.pid!) ?? 0) / 1024;
      let children = 0;
      for (const [pid, kb] of peak) if (pid !== child.pid) children = Math.max(children, kb / 1024);
      child.stdout.once("close", () => resolve({ ms, code, stdout, stderr, peakRssMb: { self, children } }));
      if (child.stdout.closed) resolve({ ms, code, stdout, stderr, peakRssMb: { self, children } });
    });
  });
}

export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  platform: string;
  loadAverage: number[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const fmtStats = (s: Stats, f: (x: number) => string = fmtMs) =>
  `${f(s.median)} (${f(s.min)}–${f(s.max)}, n=${s.runs})`;

/**
 * CPU time (user + system, ms) a child process of this one has used so far, found by a string in its
 * command line (Linux /proc; undefined elsewhere or when no such child runs). Clock ticks are taken
 * as 100 per second, Linux's USER_HZ on x86-64 and arm64.
 */
export function childCpuMs(commandLineHas: string): number | undefined {
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) !== process.pid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\u0000");
      if (!cmd.includes(commandLineHas)) continue;
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
