/**
 * Test helper: run `e2b-guardrails` commands two ways.
 *
 * - `runCli(args)`: `main()` in the test's process, the code the binary runs, with the run's shared
 *   pack sessions and warm program workers (tests/support/scan.ts `sharedBackend`). What it prints is
 *   captured after the same redaction the binary applies to every byte. For the command contract:
 *   flags, reports, exit status, one-line errors.
 * - `spawnCli(args)`: the real binary in its own process, with its own pack and, for `preview`, the
 *   program under the language host, as a user runs it. For what only a process shows (start-up, the
 *   output guards on real file descriptors, a user's program under its own SDK); a few per command.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { main } from "../../cli/main";
import { repoRoot, sharedBackend } from "./scan";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

type Env = Record<string, string | undefined>;

export const bin = path.join(repoRoot, "bin/e2b-guardrails.js");

/** One command in this process. `env` is set for the command's duration (undefined unsets). */
export async function runCli(args: string[], opts: { env?: Env } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const streams = [process.stdout, process.stderr] as const;
  const saved = streams.map((s) => ({ write: s.write, isTTY: s.isTTY }));
  const capture = (append: (text: string) => void) =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const done = typeof enc === "function" ? enc : cb;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((t) => (stdout += t));
  process.stderr.write = capture((t) => (stderr += t));
  // The binary's output is a pipe here, never a terminal: no colours, no progress lines.
  for (const s of streams) s.isTTY = false as true;
  const env = { ...process.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.exitCode = undefined;
  try {
    const code = await main(["node", "e2b-guardrails", ...args], sharedBackend);
    return { code, stdout, stderr };
  } finally {
    streams.forEach((s, i) => {
      s.write = saved[i].write;
      s.isTTY = saved[i].isTTY as true;
    });
    process.env = env;
    process.exitCode = undefined;
  }
}

/** One command as its own process: the real binary, its own pack and program processes. */
export function spawnCli(
  args: string[],
  opts: { env?: Env; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === "number" ? code : 99, stdout, stderr });
      },
    );
  });
}
