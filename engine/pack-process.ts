/**
 * A policy pack's process, started apart from its gRPC connection (analyzer-host.ts). Loading
 * @pulumi/pulumi in the pack takes about a second, and so does loading the engine and the report
 * model in the CLI: `audit` starts this first, loads the rest while the pack boots, then connects.
 * Light on purpose: no gRPC, no protobuf, no policy.
 *
 * Everything the pack says from its first byte is listened to here (the port line, stderr, an early
 * exit), so nothing is lost however late the connection comes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { cutBeforeRun, quoteValue, redactKeys } from "../policies/detect/keys";
import { killChild, trackChild } from "./children";
import { InputError } from "./errors";

/** The pack's report file variable (policies/report-file.ts REPORT_FILE_ENV; engine/ does not import it). */
const REPORT_FILE_ENV = "E2B_GUARDRAILS_REPORT";

export interface PackProcess {
  /** The pack's folder, resolved. */
  readonly dir: string;
  readonly child: ChildProcess;
  /** The pack's stderr and its stdout after the port line, redacted; the last 500 lines. */
  readonly log: string[];
  /** The port from the pack's first stdout line; rejects (InputError) when the pack dies or lies first. */
  readonly port: Promise<number>;
  /** `@pulumi/pulumi` as the pack resolves it: the gRPC stubs must come from the same copy. */
  readonly pulumiDir: string;
  /** Keep a line the pack printed (redacted) in `log`. */
  remember(line: string): void;
  /** The connection has taken the process over: `abandon` no longer ends it. */
  adopt(): void;
  /** End the process unless a connection adopted it (an `audit` whose input failed after the start). */
  abandon(): void;
}

/** Start `@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder. Throws InputError for a folder that is no pack. */
export function startPackProcess(packDir: string, opts: { env?: NodeJS.ProcessEnv } = {}): PackProcess {
  const dir = path.resolve(packDir);
  if (!existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
    throw new InputError(`${dir}: not a policy pack (no PulumiPolicy.yaml)`, dir);
  }
  let runner: string;
  try {
    runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
  } catch {
    throw new InputError(
      `${dir}: cannot resolve @pulumi/pulumi from the pack (run npm install in the pack folder)`,
      dir,
    );
  }
  // A JavaScript pack skips the SDK's TypeScript set-up (preload/js-pack.js): a third of its start.
  const preload = entryIsJavaScript(dir) ? ["-r", JS_PACK_PRELOAD] : [];
  // The engine address is ignored by @pulumi/policy; the CLI passes its own, we pass a placeholder.
  const env = { ...process.env, ...opts.env };
  // The pack runs in its own folder: a relative report path is the caller's, resolved here.
  const report = env[REPORT_FILE_ENV];
  if (report && !path.isAbsolute(report)) env[REPORT_FILE_ENV] = path.resolve(report);
  const child = spawn(process.execPath, [...preload, runner, "127.0.0.1:0", dir], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackChild(child);
  const log: string[] = [];
  const remember = (line: string) => {
    log.push(redactKeys(line));
    if (log.length > 500) log.shift();
  };
  readline.createInterface({ input: child.stderr! }).on("line", remember);
  let startTimer: NodeJS.Timeout | undefined;
  let onClose: ((code: number | null) => void) | undefined;
  const port = new Promise<number>((resolve, reject) => {
    // A pack that never says its port must not hang the run.
    const limit = packTimeoutMs();
    startTimer = setTimeout(
      () =>
        reject(new InputError(`${dir}: policy pack did not report its port within ${limit / 1000} s`, dir)),
      limit,
    );
    const lines = readline.createInterface({ input: child.stdout! });
    let first = true;
    lines.on("line", (line) => {
      if (!first) return remember(line); // keep draining: policies may console.log
      first = false;
      // eslint-disable-next-line no-control-regex
      const n = Number(line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim());
      if (Number.isInteger(n) && n > 0) resolve(n);
      else
        reject(
          new InputError(`${dir}: policy pack printed '${quoteValue(line, 200)}' instead of its port`, dir),
        );
    });
    // "close", not "exit": the pack's last stderr lines are read by then.
    onClose = (code) => {
      const why = startFailure(log);
      reject(
        new InputError(`${dir}: policy pack exited (${code}) before serving${why ? `: ${why}` : ""}`, dir),
      );
    };
    child.once("close", onClose);
    child.once("error", reject);
  }).finally(() => {
    clearTimeout(startTimer);
    if (onClose) child.removeListener("close", onClose);
  });
  // Nobody may be waiting yet (the CLI is still checking its input): a failure is read when connecting.
  port.catch(() => undefined);
  let adopted = false;
  return {
    dir,
    child,
    log,
    port,
    pulumiDir: path.dirname(path.dirname(path.dirname(runner))),
    remember,
    adopt: () => {
      adopted = true;
    },
    abandon: () => {
      if (!adopted) killChild(child);
    },
  };
}

const JS_PACK_PRELOAD = path.resolve(__dirname, "../engine/preload/js-pack.js");

/**
 * Whether the pack's entry point (package.json `main`, else index.js) is a JavaScript file, as in a
 * built or `npm pack`ed pack. Anything else (a .ts entry, an extensionless `main`) is left to
 * run-policy-pack's own TypeScript set-up.
 */
export function entryIsJavaScript(dir: string): boolean {
  let main = "index.js";
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { main?: unknown };
    if (typeof pkg.main === "string") main = pkg.main;
  } catch {
    // No readable package.json: Node looks for index.js, and so do we.
  }
  const entry = path.resolve(dir, main);
  return /\.c?js$/.test(entry) && existsSync(entry);
}

/**
 * One line saying why a pack died before serving: the first error line it printed (the exception
 * run-policy-pack reports, or @pulumi/policy's own complaint), else its last line. Already redacted.
 */
export function startFailure(log: readonly string[]): string {
  // eslint-disable-next-line no-control-regex
  const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;
  const lines = log.map((l) => l.replace(ansi, "").trim()).filter((l) => l && !/^at /.test(l));
  const error = lines.find((l) => /^(?:\w*Error|error)\b/.test(l) && !/^error: \[runtime\]/.test(l));
  return cutBeforeRun(error ?? lines[lines.length - 1] ?? "", 300);
}

/**
 * How long the pack may take to start or to answer one call (`E2B_GUARDRAILS_PACK_TIMEOUT_MS`,
 * default 5 minutes: far above a large stack's AnalyzeStack, far below forever).
 */
export function packTimeoutMs(): number {
  const n = Number(process.env.E2B_GUARDRAILS_PACK_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : 300_000;
}
