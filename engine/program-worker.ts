/**
 * Two ways to run Pulumi programs offline. `runProgram` runs one program exactly as `pulumi preview`
 * does, through the language-host protocol (language-host.ts): the program's own SDK, module system and
 * TypeScript loader, any @pulumi/pulumi 3.x. `ProgramPool` keeps warm workers (program-host.ts) that run
 * many programs sharing one SDK copy in-process, for the eval suite and tests; both answer with the same
 * ResourceRecorder, so they record the same graph (tests/engine/program-pool.test.ts proves it).
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { describePlaceholders } from "../policies/detect/hidden-config";
import { longestRun, redactKeys } from "../policies/detect/keys";
import { redactMaterial } from "../policies/detect/redact";
import type { GraphResource, ResourceGraph } from "./graph";
import { trackChild } from "./children";
import {
  assertSupportedSdk,
  legacyConfigKeys,
  ProgramFailure,
  runLanguageHost,
  type LanguageHostResult,
} from "./language-host";
import type { HostJob, HostReply } from "./program-host";
import { readProject, readStackConfig, type ProjectInfo } from "./project";
import { stackFilesOf } from "./sibling-stacks";
import { InputError } from "./errors";
import { ProgramOutput, redactedOutput } from "./program-output";
import { maskKeysOfQuotedSources } from "./source-keys";
import { holdsSecrets, knownKeysOf, maskSecretValues, secretValuesOf, withKeysAround } from "./secret-values";

export interface RunProgramOptions {
  /** Folder holding Pulumi.yaml. */
  cwd: string;
  stack: string;
  organization?: string;
  /** Decrypts `secure:` config (passphrase provider); without it secure values are unknown secrets. */
  passphrase?: string;
  /** Kill the program after this long (default 120 s). */
  timeoutMs?: number;
}

export class ProgramError extends Error {
  /**
   * Each of the program's streams on its own (plain keys masked), when its output is relayed: the
   * message interleaves them by lines, which can split a blob one stream printed in pieces, so the
   * CLI's redactor reads these too (cli/main.ts).
   */
  readonly streams: string[];

  constructor(message: string, streams: string[] = []) {
    // An undecrypted value the program printed or threw reads as `[secret ns:key]`.
    super(describePlaceholders(message));
    this.streams = streams.map(describePlaceholders);
    this.name = "ProgramError";
  }
}

/** How long a program may run before it is killed (RunProgramOptions.timeoutMs overrides it). */
const DEFAULT_TIMEOUT_MS = 120_000;
/**
 * How long a reply or an exit waits for the rest of the program's output (still in the pipes): on a
 * loaded machine, tens of kilobytes can take a while to come through. A program that closed its
 * streams, or a grandchild that holds a pipe open past the worker's exit, is why the wait is bounded.
 */
const OUTPUT_DRAIN_MS = 10_000;

const hostScript = path.join(__dirname, `program-host${path.extname(__filename)}`);

/**
 * The language host hands a program its configuration in one environment variable (`PULUMI_CONFIG`,
 * as pulumi-language-nodejs does), and Linux caps one variable at 128 KiB: a larger configuration is
 * one line naming the stack file, not the spawn's `E2BIG`.
 */
const MAX_ENV_STRING = 128 * 1024;

function checkConfigSize(config: Record<string, string>, file: string): void {
  const bytes = Buffer.byteLength(`PULUMI_CONFIG=${JSON.stringify(legacyConfigKeys(config))}`) + 1;
  if (bytes > MAX_ENV_STRING)
    throw new InputError(
      `${file}: field 'config' is too large to hand to the program (${bytes} bytes as PULUMI_CONFIG; an environment variable holds at most ${MAX_ENV_STRING})`,
      file,
    );
}

/** Read project and stack config in the parent, so bad input is an InputError before any child starts. */
export function prepareJob(opts: RunProgramOptions): {
  job: HostJob;
  project: ProjectInfo;
  graph: Omit<ResourceGraph, "resources">;
  environments: string[];
} {
  const dir = path.resolve(opts.cwd);
  const project = readProject(dir, opts.stack);
  const stackConfig = readStackConfig(project, opts.passphrase);
  checkConfigSize(stackConfig.config, project.stackConfigFile);
  const organization = opts.organization ?? "organization";
  return {
    project,
    environments: stackConfig.environments,
    job: {
      main: project.main,
      dir,
      pwd: project.pwd,
      project: project.name,
      stack: opts.stack,
      organization,
      config: stackConfig.config,
      secretKeys: stackConfig.secretKeys,
      unknownSecretKeys: stackConfig.unknownSecretKeys,
      tracedSecretKeys: stackConfig.tracedSecretKeys,
    },
    graph: {
      project: project.name,
      stack: opts.stack,
      organization,
      source: { kind: "program", path: dir },
      programDir: project.pwd,
      stackConfigFile: project.stackConfigFile,
      tags: stackConfig.tags,
      config: stackConfig.config,
      configSecretKeys: stackConfig.secretKeys,
      ...(stackConfig.unknownSecretKeys.length ? { secretsHidden: true } : {}),
      configPlaintext: stackConfig.plaintextOfSecret,
      stackFiles: stackFilesOf(project, stackConfig, opts.passphrase),
    },
  };
}

export class ProgramWorker {
  private readonly child: ChildProcess;
  private readonly output = new ProgramOutput(64 * 1024);
  private nextId = 1;
  private pending:
    | {
        id: number;
        resolve: (r: LanguageHostResult) => void;
        reject: (e: Error) => void;
        main: string;
        dir: string;
      }
    | undefined;
  private exited = false;
  /** Part of each job's end marker (program-output.ts): nothing the program could have printed. */
  private readonly nonce = randomUUID();

  constructor(readonly sdkPath: string) {
    this.child = fork(hostScript, [], {
      env: { ...process.env, PULUMI_NODEJS_DRY_RUN: "true", PULUMI_DRY_RUN: "true" },
      execArgv: ["--require", require.resolve("tsx/cjs")],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    trackChild(this.child);
    this.output.listen(this.child.stdout!);
    this.output.listen(this.child.stderr!);
    this.child.on("message", async (msg: HostReply | { ready: true }) => {
      if (!("id" in msg) || !this.pending || msg.id !== this.pending.id) return;
      const p = this.pending;
      this.pending = undefined;
      await this.output.ended(OUTPUT_DRAIN_MS);
      if (msg.ok) {
        const { id: _id, ok: _ok, ...result } = msg;
        p.resolve(result);
      } else
        p.reject(
          new ProgramError(
            `${p.main}: the program failed: ${redactKeys(shownError(msg.error, p.dir))}${this.tail()}`,
            this.streams(),
          ),
        );
    });
    this.child.on("exit", async (code, signal) => {
      this.exited = true;
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      // Whatever the program printed last may still be in the pipes: read them to their end.
      await this.drained();
      p.reject(
        new ProgramError(
          `${p.main}: the program exited (${signal ?? code}) without finishing${this.tail()}`,
          this.streams(),
        ),
      );
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  run(job: HostJob, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<LanguageHostResult> {
    if (this.exited) return Promise.reject(new ProgramError(`${job.main}: program worker is gone`));
    if (this.pending) return Promise.reject(new Error("program worker is busy"));
    const id = this.nextId++;
    const end = `\u0000e2b-guardrails:end:${this.nonce}:${id}\u0000`;
    this.output.clear();
    this.output.knowKeys(() => knownKeysOf(job, [job.dir, job.pwd]));
    this.output.expectEnd(end);
    return new Promise<LanguageHostResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(
          new ProgramError(
            `${job.main}: the program did not finish within ${timeoutMs / 1000}s (preview --program-timeout allows more)`,
          ),
        );
      }, timeoutMs);
      this.pending = {
        id,
        main: job.main,
        dir: job.dir,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      this.child.send({ id, job, end });
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  /** Once both pipes have closed, or OUTPUT_DRAIN_MS later. */
  private drained(): Promise<void> {
    const open = [this.child.stdout!, this.child.stderr!].filter((s) => !s.closed);
    if (open.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, OUTPUT_DRAIN_MS);
      let left = open.length;
      for (const s of open)
        s.once("close", () => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
    });
  }

  private tail(): string {
    return outputTail(redactedOutput(this.output.text()));
  }

  private streams(): string[] {
    return this.output.streams().map((t) => redactedOutput(t));
  }
}

/** The line a failed program's relayed output starts under, in a ProgramError's message. */
export const OUTPUT_HEADING = "--- program output ---";

/**
 * The last lines of what a failed program printed, for its error message: redacted whole before it is
 * cut, as a dump or a byte list cut to its last rows no longer spells the key it holds (rt47 #1).
 */
function outputTail(text: string): string {
  const t = redactMaterial(text).trim();
  return t ? `\n${OUTPUT_HEADING}\n${t.split("\n").slice(-20).join("\n")}` : "";
}

/**
 * What a failed program's first line and those below show of its error: its first lines, with the
 * digits of keys written in the source files it quotes masked (source-keys.ts). `dir`: the program's.
 */
function shownError(text: string, dir: string): string {
  // Redacted whole before it is cut to its first lines (outputTail), up to the lines it could show.
  return maskKeysOfQuotedSources(failureLines(redactMaterial(showableLines(text)), 6), dir);
}

/**
 * The lines of an error that its first lines could take (six, and a wrapped blob's MAX_BLOB_LINES
 * after them), at most ERROR_CHARS of them where the first lines leave room; what follows is never
 * shown, and an API response of megabytes in an error took seconds to redact (rt48 #7).
 */
function showableLines(text: string): string {
  if (text.length <= ERROR_CHARS) return text;
  const lines = text.split("\n").slice(0, 6 + MAX_BLOB_LINES + 2);
  let kept = 0;
  let size = 0;
  while (kept < lines.length && (kept < 6 || size + lines[kept].length <= ERROR_CHARS))
    size += lines[kept++].length + 1;
  return lines.slice(0, kept).join("\n");
}

const ERROR_CHARS = 1 << 20;

/**
 * The first lines of a program's failure, the error first: the SDK heads an unhandled exception with
 * "Running program '…' failed with an unhandled exception:", and the first line is often the only
 * one a user reads (a CI log's summary, our one-line errors).
 */
export function failureLines(text: string, n: number): string {
  // The SDK blames the Pulumi CLI for a feature its engine lacks; here the engine is ours.
  text = text.replace(
    /The Pulumi CLI does not support transforms\. Please update the Pulumi CLI/g,
    "e2b-guardrails' offline preview does not run invoke transforms (registerInvokeTransform); preview this program with `pulumi preview --policy-pack` instead",
  );
  const lines = text.split("\n");
  if (lines.length > 1 && /^Running program .* failed with an unhandled exception:\s*$/.test(lines[0]))
    lines.shift();
  while (lines.length > 1 && lines[0].trim() === "") lines.shift();
  // util.inspect marks an error that refers to itself (`cause` cycles) with `<ref *1>`: noise to a user.
  lines[0] = lines[0].trimStart().replace(/^<ref \*\d+> /, "");
  // ts-node heads its diagnostics with a line of its own: the first diagnostic is the cause.
  if (lines.length > 1 && /Unable to compile TypeScript:\s*$/.test(lines[0]))
    lines.splice(0, 2, `${lines[0].trimEnd()} ${lines[1].trim()}`);
  // The closure serializer's message is a chain whose last line says what could not be serialized
  // (`… which indirectly referenced function 'x': which could not be serialized because it was a
  // native code function`): cut at the first lines, it names nothing.
  const limit = /^Error serializing /.test(lines[0]) ? Math.max(n, SERIALIZING_LINES) : n;
  const kept = keptLines(lines, limit);
  const shown = lines.slice(0, kept);
  if (kept < limit) shown.push("[a long block of encoded text is not shown]");
  return shown.join("\n");
}

/** The most lines of a closure serializer's chain shown (it runs a line or two per captured value). */
const SERIALIZING_LINES = 40;

/**
 * A line of a wrapped blob: base64 or hex characters only (after indentation), 16 or more; or a line
 * holding such a run of 40 or more with upper- and lower-case letters and digits in it, as base64 has,
 * or of hex digits only (`xxd -p`), after or before other text (a code frame's `12 | `, a quote's
 * `> `, a trailing `\`).
 */
const isBlobLine = (line: string) =>
  /^\s*[A-Za-z0-9+/=_-]{16,}\s*$/.test(line) ||
  (line.match(/[A-Za-z0-9+/=_-]{40,}/g) ?? []).some(
    (r) => (/[A-Z]/.test(r) && /[a-z]/.test(r) && /\d/.test(r)) || /^[0-9a-fA-F]+$/.test(r),
  );
/** A line's longest run of base64 characters. */
const runOf = (line: string) => longestRun(line, /[A-Za-z0-9+/=_-]{4,}/g);

/**
 * `line` goes on with the blob `prev` holds: the same frame before its run (`  7 | ` after `  6 | `,
 * digits aside), after a run long enough to be a blob's line (a blob's last line is shorter).
 */
function continuesBlob(prev: string, line: string): boolean {
  if (!isBlobLine(prev)) return false;
  const frame = (l: string, m: RegExpMatchArray) => l.slice(0, m.index).replace(/\d/g, "#");
  // Each line's longest run (a run before a trailing `\`), or the run that ends it (a last row of a
  // few characters, shorter than a word of the frame).
  for (const runOfLine of [runOf, finalRunOf]) {
    const a = runOfLine(prev);
    const b = runOfLine(line);
    if (a && b && a[0].length >= 16 && frame(prev, a) === frame(line, b)) return true;
  }
  return false;
}

/** The run of base64 characters that ends a line (trailing blanks aside). */
const finalRunOf = (line: string) => /[A-Za-z0-9+/=_-]+(?=\s*$)/.exec(line) ?? undefined;

/** The most lines a blob cut by `failureLines` is extended by, so the redactor sees it whole. */
const MAX_BLOB_LINES = 400;

/**
 * How many of `lines` to keep for about `n`: a blob wrapped over lines (base64 a program echoed in its
 * error) is never cut, since its first lines would still spell most of a key it holds while no longer
 * decoding to it for the redactor (cli/output.ts, after this). It is kept whole, or, past
 * MAX_BLOB_LINES, left out from its first line.
 */
function keptLines(lines: string[], n: number): number {
  const inBlob = (i: number) => isBlobLine(lines[i]) || (i > 0 && continuesBlob(lines[i - 1], lines[i]));
  if (lines.length <= n || !inBlob(n)) return n;
  let end = n;
  while (end < lines.length && inBlob(end)) end++;
  if (end - n <= MAX_BLOB_LINES) return end;
  let start = n;
  while (start > 0 && isBlobLine(lines[start - 1])) start--;
  // The blob's first line may start after other text (`cannot parse: QUJD…`): that line goes too.
  return start > 0 && /[A-Za-z0-9+/=_-]{16,}\s*$/.test(lines[start - 1]) ? start - 1 : start;
}

function sdkOf(dir: string): string {
  let sdk: string;
  try {
    sdk = require.resolve("@pulumi/pulumi", { paths: [dir] });
  } catch {
    throw new ProgramError(`${dir}: cannot resolve @pulumi/pulumi from the program (run npm install there)`);
  }
  assertSupportedSdk(dir);
  return sdk;
}

/**
 * A ProgramError with the run's decrypted secret values masked in its message and streams, and the
 * keys its environment and `.env` files hold (secret-values.ts).
 */
function withSecretsMasked(
  e: unknown,
  run: Parameters<typeof secretValuesOf>[0] & { dir: string; pwd?: string },
): unknown {
  if (!(e instanceof ProgramError)) return e;
  const secrets = withKeysAround(secretValuesOf(run), process.env, [run.dir, run.pwd ?? run.dir]);
  if (!holdsSecrets(secrets)) return e;
  const masked = new ProgramError(
    maskSecretValues(e.message, secrets),
    e.streams.map((s) => maskSecretValues(s, secrets)),
  );
  masked.stack = `${masked.name}: ${masked.message}`;
  return masked;
}

/** Offline preview of one program, run as the Pulumi CLI runs it (language-host protocol). */
export async function runProgram(opts: RunProgramOptions): Promise<ResourceGraph> {
  const { job, project, graph, environments } = prepareJob(opts);
  try {
    const { main: _main, dir: _dir, ...run } = job;
    const result = await runLanguageHost({
      ...run,
      root: project.dir,
      pwd: project.pwd,
      entryPoint: project.entryPoint,
      runtimeOptions: project.runtimeOptions,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    return {
      ...graph,
      resources: result.resources,
      offline: offlineNotes(result.resources, result.invokes, environments),
      programModules: result.modules,
      programReads: result.reads,
      programUnsetEnv: result.unsetEnv,
      programKeyEnv: result.keyEnv,
      ...(result.stackOutputs.length ? { stackOutputReads: result.stackOutputs } : {}),
    };
  } catch (e) {
    if (e instanceof ProgramFailure) {
      const tail = outputTail(e.output);
      // A program that read a provider function's result fails offline where the CLI would not: the
      // first line, the one a user sees, says so after the program's own error, which may well be
      // unrelated (a renamed API in the program's pinned SDK).
      const unexpanded = [
        ...(e.invokes.length
          ? [`provider functions are answered without a provider: ${e.invokes.join(", ")}`]
          : []),
        ...(e.components.length
          ? [
              `multi-language components are not expanded and their outputs are unknown: ${e.components.join(", ")}`,
            ]
          : []),
      ];
      // Failed in an apply: offline a resource's outputs are its inputs, so one the provider fills in
      // (a database's `loadBalancer: {}`) is known and empty where the CLI's preview has it unknown.
      const inApply = /\bapplyHelperAsync\b/.test(e.message);
      const offline = unexpanded.length
        ? ` (offline, ${unexpanded.join("; ")}; if the error comes from ${unexpanded.length > 1 || e.invokes.length ? "their results" : "their outputs"}, preview this program with \`pulumi preview --policy-pack\` instead)`
        : inApply
          ? " (offline, a resource's outputs are the inputs the program gave: what its provider computes at preview is missing, and an apply runs on that; if the error comes from such a value, preview this program with `pulumi preview --policy-pack` instead)"
          : "";
      const [first, ...rest] = shownError(e.message, project.dir).split("\n");
      throw withSecretsMasked(
        new ProgramError(
          `${project.main}: the program failed${environmentsNote(environments)}: ${[first + offline, ...undecryptedNote(first, job.unknownSecretKeys, opts.passphrase !== undefined), ...rest].join("\n")}${tail}`,
          e.streams,
        ),
        job,
      );
    }
    throw withSecretsMasked(e, job);
  }
}

/** What an offline preview could not do as the CLI would: reported once, so a PASS is read for what it covers. */
export function offlineNotes(
  resources: GraphResource[],
  invokes: string[],
  environments: string[] = [],
): ResourceGraph["offline"] {
  const unexpanded = [...new Set(resources.filter((r) => r.remote).map((r) => r.type))].sort();
  const unread = referencesNothingDependsOn(resources);
  // StackReferences are reads too; their outputs have their own notice (above).
  const reads = [
    ...new Set(resources.filter((r) => r.external && r.type !== STACK_REFERENCE).map((r) => r.type)),
  ].sort();
  return unexpanded.length || invokes.length || environments.length || unread.length || reads.length
    ? {
        unexpandedComponents: unexpanded,
        invokes,
        ...(environments.length ? { environments } : {}),
        ...(unread.length ? { undependedReferences: unread } : {}),
        ...(reads.length ? { reads } : {}),
      }
    : undefined;
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/**
 * The stacks StackReferences read that no resource depends on. Offline their outputs are unknown, and
 * a value awaited from one (`getOutputValue`, `getOutputDetails`, `requireOutputValue`) is undefined
 * and carries no dependency: what the program did with it vanished without a trace.
 */
function referencesNothingDependsOn(resources: GraphResource[]): string[] {
  const refs = resources.filter((r) => r.type === STACK_REFERENCE);
  if (refs.length === 0) return [];
  const dependedOn = new Set<string>();
  for (const r of resources) {
    for (const u of r.dependencies) dependedOn.add(u);
    for (const urns of Object.values(r.propertyDependencies)) for (const u of urns) dependedOn.add(u);
  }
  return refs
    .filter((r) => !dependedOn.has(r.urn))
    .map((r) => (typeof r.inputs.name === "string" ? r.inputs.name : r.name))
    .sort();
}

/**
 * A program that failed while secure values went undecrypted may have failed on one: it reads a
 * placeholder (`[secret <key>]`) where `pulumi preview` would hand it the value, and what it then does
 * (`JSON.parse(config.require("settings"))`) fails with an error that names no secret.
 */
function undecryptedNote(error: string, keys: readonly string[], passphraseGiven: boolean): string[] {
  // A compile error comes from the code, never from a value.
  if (keys.length === 0 || error.startsWith("TSError:")) return [];
  const shown = keys.slice(0, 3).join(", ") + (keys.length > 3 ? ` and ${keys.length - 3} more` : "");
  return [
    `note: secret config ${shown} could not be decrypted here and reached the program as a placeholder ([secret <key>]); if the error comes from one, ${passphraseGiven ? "" : "set PULUMI_CONFIG_PASSPHRASE for a passphrase stack, or "}preview with \`pulumi preview --policy-pack\`${passphraseGiven ? " (the stack's secrets are not the passphrase provider's)" : ""}`,
  ];
}

/** The first line's note on a failed program whose stack imports ESC environments the preview could not open. */
function environmentsNote(environments: string[]): string {
  return environments.length
    ? ` (the stack imports Pulumi ESC environment(s) ${environments.join(", ")}, which the offline preview cannot open: configuration they supply is missing)`
    : "";
}

/**
 * Warm workers, at most `size` at once, each running one program at a time. A worker whose program
 * failed is retired: the SDK's state after a failed run is not worth trusting for the next program.
 */
export class ProgramPool {
  private readonly idle: ProgramWorker[] = [];
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size = Math.max(1, os.availableParallelism())) {}

  async run(opts: RunProgramOptions): Promise<ResourceGraph> {
    const { job, graph, environments } = prepareJob(opts);
    const sdk = sdkOf(job.dir);
    while (this.running >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    const i = this.idle.findIndex((w) => w.sdkPath === sdk && w.alive);
    const worker = i >= 0 ? this.idle.splice(i, 1)[0] : new ProgramWorker(sdk);
    try {
      const { resources, invokes, modules, reads, unsetEnv, keyEnv, stackOutputs } = await worker.run(
        job,
        opts.timeoutMs,
      );
      this.idle.push(worker);
      return {
        ...graph,
        resources,
        offline: offlineNotes(resources, invokes, environments),
        programModules: modules,
        programReads: reads,
        programUnsetEnv: unsetEnv,
        programKeyEnv: keyEnv,
        ...(stackOutputs.length ? { stackOutputReads: stackOutputs } : {}),
      };
    } catch (e) {
      worker.kill();
      throw withSecretsMasked(e, job);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  close(): void {
    for (const w of this.idle.splice(0)) w.kill();
  }
}
