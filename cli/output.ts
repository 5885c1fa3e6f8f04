/**
 * The one output layer of the command: every byte it writes — reports on stdout or in files, errors
 * and prompts on stderr, relayed program and pack output — goes through here, and here key
 * redaction is the last step (`redactOutput`: keys plain, escaped or encoded, as the detector finds
 * them, policies/detect/redact.ts; and a previewed stack's decrypted secrets). `installOutputGuards` also
 * wraps `process.stdout.write` / `process.stderr.write` themselves, so a library that prints on its
 * own (commander, a console.log in a dependency) is redacted too and nothing can bypass it.
 *
 * Output that cannot be written is one line and exit 2, never an unhandled 'error' event:
 * - a full disk or any other write error on stdout (`> /dev/full`): `error: cannot write the report
 *   to stdout (ENOSPC)` on stderr, exit 2;
 * - a closed pipe on stdout (`| head -c 100`): the reader has gone, so nothing is said (as `yes | head`
 *   says nothing) and the exit status is 2, so `set -o pipefail` never reads a cut report as a pass;
 * - `--output FILE` / `--report-dir DIR` that cannot be created: `--output FILE: cannot write there
 *   (ENOENT)`, exit 2, checked before any work is done.
 */
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import path from "node:path";
import type { Report } from "../policies/api";
import { redactMaterial } from "../policies/detect/redact";
import { holdsSecrets, maskSecretValues, type SecretValues } from "../engine/secret-values";
import type { RenderOptions } from "../reports";
import { formats, type Format } from "../reports/formats";
import { InputError } from "../engine/errors";
import { pause } from "../engine/limits";

export function parseFormat(value: string): Format {
  if ((formats as readonly string[]).includes(value)) return value as Format;
  throw new InputError(`--format: '${value}' is not one of ${formats.join(", ")}`);
}

type StdStream = NodeJS.WriteStream & { [GUARDED]?: true };
const GUARDED = Symbol.for("e2b-guardrails.output-guard");

/** What went wrong writing stdout or stderr, if anything: the process's output state, one per process. */
export interface OutputState {
  /** `EPIPE` for a reader that went away; any other code is a write error worth one line. */
  stdoutFailure?: string;
  stderrFailure?: boolean;
  /**
   * The secret config values this process decrypted (a previewed stack's, with the passphrase):
   * masked as `[secret]` in everything written from then on, as the Pulumi CLI masks them, for a
   * program can put them where no pattern finds them (rt50 #7: `"agent-" + key.slice(4)` as a
   * resource's name shows the key's digits in its URN).
   */
  secrets?: SecretValues;
}

/** Per process, as stdout and stderr are: set by the guards, read once when the command exits. */
const state: OutputState = {};

/** The output state of this process (read by bin/e2b-guardrails.js to choose the exit status). */
export function outputState(): Readonly<OutputState> {
  return state;
}

/** Mask these decrypted secret values in all output from now on (see OutputState.secrets). */
export function maskSecretsInOutput(secrets: SecretValues): void {
  if (holdsSecrets(secrets)) state.secrets = secrets;
}

/** The command that decrypted them is done. */
export function forgetSecretsInOutput(): void {
  state.secrets = undefined;
}

/**
 * `value` (a report) with the decrypted secrets masked in every string, names too: before a format
 * escapes them (JSON's `\"`, HTML's `&quot;`, Markdown's `&lt;`), which `redactOutput` could no longer
 * match (rt52 #2). The same value when nothing was decrypted.
 */
export function maskSecretsIn<T>(value: T): T {
  const secrets = state.secrets;
  if (!secrets) return value;
  const mask = (v: unknown): unknown => {
    if (typeof v === "string") return maskSecretValues(v, secrets);
    if (Array.isArray(v)) return v.map(mask);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [maskSecretValues(k, secrets), mask(x)]));
    return v;
  };
  return mask(value) as T;
}

/** The last step before bytes leave the process: key material redacted, decrypted secrets masked. */
export function redactOutput(text: string): string {
  const redacted = redactMaterial(text);
  return state.secrets ? maskSecretValues(redacted, state.secrets) : redacted;
}

/**
 * Redact everything written to stdout and stderr, and turn their write errors into the output state
 * instead of an unhandled 'error' event. Idempotent.
 */
export function installOutputGuards(proc: NodeJS.Process = process): void {
  // Reports hold masks, but a name can be an encoded key (a base64 one as a property's name), and
  // diagnostics (errors, a failed program's relayed output) hold whatever a program printed.
  guard(proc.stdout as StdStream, redactOutput, (code) => {
    state.stdoutFailure ??= code;
  });
  guard(proc.stderr as StdStream, redactOutput, () => {
    state.stderrFailure = true;
  });
}

function guard(stream: StdStream, redact: (text: string) => string, onFailure: (code: string) => void): void {
  if (stream[GUARDED]) return;
  stream[GUARDED] = true;
  let failed = false;
  const original = stream.write.bind(stream) as (chunk: string, cb?: (e?: Error | null) => void) => boolean;
  const fail = (e: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    onFailure(e.code ?? "EIO");
  };
  stream.on("error", fail);
  stream.write = ((chunk: unknown, enc?: unknown, cb?: unknown): boolean => {
    const done = (typeof enc === "function" ? enc : cb) as ((e?: Error | null) => void) | undefined;
    if (failed) {
      // Written to a stream that already failed: drop it, but let a waiting caller go on.
      if (done) process.nextTick(done);
      return false;
    }
    const text =
      typeof chunk === "string"
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(
            typeof enc === "string" ? (enc as BufferEncoding) : "utf8",
          );
    // The write's own callback learns of a failure first (before 'error', before later callbacks),
    // so the exit status chosen in the last callback already knows.
    return original(redact(text), (e) => {
      if (e) fail(e as NodeJS.ErrnoException);
      done?.(e);
    });
  }) as typeof stream.write;
}

/** Write to stdout, redacted of keys in any encoding findMaterial knows (see installOutputGuards). */
export function writeStdout(text: string): void {
  process.stdout.write(redactOutput(text));
}

/** Write to stderr, redacted of keys in any encoding findMaterial knows (see installOutputGuards). */
export function writeStderr(text: string): void {
  process.stderr.write(redactOutput(text));
}

/** The one line for stdout's failure (none for a reader that left), once the command is done. */
export function stdoutFailureLine(): string | undefined {
  const code = state.stdoutFailure;
  if (code === undefined || code === "EPIPE") return undefined;
  return `error: cannot write the report to stdout (${code})`;
}

/**
 * The exit status once the command is done: 2 when stdout could not be written (with its one line
 * on stderr, except for a reader that left), else the command's own.
 */
export function finalExitCode(code: number): number {
  if (state.stdoutFailure === undefined) return code;
  const line = stdoutFailureLine();
  if (line) writeStderr(line + "\n");
  return 2;
}

/**
 * An exception nobody caught, or a promise rejection nobody handled, is still one redacted line and
 * exit 2 (the stack only with `--debug`), never Node's multi-line trace and never exit 0. Exiting
 * runs the process's 'exit' listeners, where child processes are ended.
 */
export function installCrashGuards(debug: boolean, proc: NodeJS.Process = process): void {
  const crash = (e: unknown) => {
    const text = debug && e instanceof Error && e.stack ? e.stack : oneLine(e);
    try {
      writeStderr(`error: ${text}\n`);
    } finally {
      proc.exit(2);
    }
  };
  proc.on("uncaughtException", crash);
  proc.on("unhandledRejection", crash);
}

/** The first line of an error's message, as the one line a user sees. */
export function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return redactMaterial(message).split("\n")[0].trim() || (e instanceof Error ? e.name : "unknown error");
}

function writeProblem(e: unknown): string {
  // Opened without waiting (writeOutputFile), a FIFO nobody reads says ENXIO.
  if ((e as NodeJS.ErrnoException).code === "ENXIO") return "ENXIO: no process is reading this pipe";
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

function isFifo(file: string): boolean {
  try {
    return statSync(file).isFIFO();
  } catch {
    return false;
  }
}

/**
 * `mkdir -p` that cannot spin: walks up to the nearest existing ancestor (a bounded number of
 * steps: one per path segment), which must be a folder, then creates each missing segment once.
 * Node's own recursive mkdir loops forever under /proc (`mkdir /proc/x/y` answers ENOENT for ever).
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = lstatSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      const up = path.dirname(at);
      if (up === at) throw e;
      missing.push(at);
      at = up;
      continue;
    }
    if (!(st.isDirectory() || (st.isSymbolicLink() && isDirectory(at))))
      throw Object.assign(new Error(`${at} is not a folder`), { code: "ENOTDIR" });
    break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Whether two paths name one file (the same inode, through links too); by path when one is missing. */
function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/**
 * Files a run writes checked against the files it reads, before either: a report written over its
 * own input would destroy it (and, since a report file is removed before the run, the input was gone
 * before it was read). One exception, the way a baseline is refreshed: `--write-baseline` may name
 * the `--baseline` file, which is read first, then overwritten; it is not removed beforehand, so a
 * failed run leaves it as it was. Returns the outputs not to remove (prepareOutput's `keep`).
 */
export function checkOutputsAgainstInputs(
  outputs: ReadonlyArray<readonly [flag: string, file: string | undefined]>,
  inputs: ReadonlyArray<readonly [flag: string, file: string | undefined]>,
): Set<string> {
  const keep = new Set<string>();
  // Two reports into one file: the second would replace the first (a baseline gone, the next run's
  // --baseline then unreadable).
  for (let i = 0; i < outputs.length; i++)
    for (let j = i + 1; j < outputs.length; j++) {
      const [a, fa] = outputs[i];
      const [b, fb] = outputs[j];
      if (fa && fb && !isStandardStream(fa) && sameFile(fa, fb))
        throw new InputError(`${b} ${fb}: it is also written, as ${a}; give each report its own file`, fb);
    }
  for (const [outFlag, out] of outputs) {
    if (!out || isStandardStream(out)) continue;
    for (const [inFlag, input] of inputs) {
      if (!input || !sameFile(out, input)) continue;
      if (outFlag === "--write-baseline" && inFlag === "--baseline") keep.add(out);
      else
        throw new InputError(
          `${outFlag} ${out}: it is also read, as ${inFlag}; write the report to another file`,
          out,
        );
    }
  }
  return keep;
}

/** `/dev/stdout` and the like: written to, never removed or compared. */
function isStandardStream(file: string): boolean {
  return /^\/dev\/(?:stdout|stderr|fd\/[12])$/.test(file);
}

/**
 * Make sure a report can be written to `file` (its folder is created) before any work is done, so a
 * bad `--output` or `--report-dir` is one line and exit 2, not a lost run; a report file already
 * there is removed, unless it is also an input to keep (checkOutputsAgainstInputs). `flag` names the
 * option.
 */
export function prepareOutput(file: string, flag: string, kind: "file" | "dir" = "file", keep = false): void {
  const dir = kind === "dir" ? path.resolve(file) : path.dirname(path.resolve(file));
  try {
    makeDirectory(dir);
    if (kind === "file") {
      let existing: Stats | undefined;
      try {
        existing = lstatSync(file);
      } catch {
        // does not exist yet: fine
      }
      if (existing?.isDirectory()) throw Object.assign(new Error("is a folder"), { code: "EISDIR" });
      // A report of an earlier run must not outlive a run that fails: a CI step that uploads the file
      // whatever the exit status would upload stale results. Only a regular file (never a device or
      // the link /dev/stdout is).
      if (existing?.isFile() && !keep) unlinkSync(file);
    }
  } catch (e) {
    throw new InputError(`${flag} ${file}: cannot write there (${writeProblem(e)})`, file);
  }
}

/**
 * Write a report file, redacted, and flushed to disk before we say it is written: a full disk is
 * this command's error (one line, exit 2), not a silently short file.
 */
export function writeOutputFile(file: string, text: string, flag = "--output", mode: "w" | "a" = "w"): void {
  try {
    // A FIFO is opened without waiting for a reader: a blocked open(2) would hold the thread, and a
    // signal would not end the run until some process read the pipe.
    const fifo = isFifo(file);
    const fd = fifo
      ? openSync(file, constants.O_WRONLY | constants.O_NONBLOCK | (mode === "a" ? constants.O_APPEND : 0))
      : openSync(file, mode);
    try {
      const buf = Buffer.from(redactOutput(text), "utf8");
      for (let off = 0; off < buf.length;) {
        try {
          off += writeSync(fd, buf, off);
        } catch (e) {
          // A reader slower than the report: wait for room in the pipe.
          if (!fifo || (e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
          pause(10);
        }
      }
      try {
        fsyncSync(fd);
      } catch (e) {
        // Character devices and pipes (`--output /dev/stdout`) cannot be synced; that is not a failure.
        if (!["EINVAL", "ENOTSUP", "EROFS"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new InputError(`${flag} ${file}: cannot write there (${writeProblem(e)})`, file);
  }
}

export function emit(report: Report, format: Format, output: string | undefined, opts: RenderOptions): void {
  // Loaded here, not at start-up: every command imports this module, few of them render a report.
  const { render } = require("../reports") as typeof import("../reports");
  const text = render(format, report, {
    ...opts,
    color: !output && format === "text" && process.stdout.isTTY,
  });
  if (output) {
    prepareOutput(output, "--output");
    writeOutputFile(output, text);
  } else {
    writeStdout(text.endsWith("\n") ? text : text + "\n");
  }
}

/** 0: no mandatory violation; 1: at least one (waived findings never count). */
export function exitStatus(report: Report): 0 | 1 {
  const { isBlocking } = require("../policies/api") as typeof import("../policies/api");
  return report.stacks.some((s) => s.findings.some(isBlocking)) ? 1 : 0;
}
