/**
 * Offline preview: run a Pulumi TypeScript/JavaScript program for one stack in a child process and
 * return every registration as a ResourceGraph. No Pulumi CLI, no cloud credentials.
 */
import { fork } from "node:child_process";
import path from "node:path";
import { redactKeys } from "../policies/detect/keys";
import { InputError } from "./errors";
import type { GraphResource, ResourceGraph } from "./graph";
import { readProject, readStackConfig } from "./project";

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
  constructor(message: string) {
    super(message);
    this.name = "ProgramError";
  }
}

const hostScript = path.join(__dirname, `program-host${path.extname(__filename)}`);

export async function runProgram(opts: RunProgramOptions): Promise<ResourceGraph> {
  const dir = path.resolve(opts.cwd);
  const project = readProject(dir, opts.stack);
  const stackConfig = readStackConfig(project, opts.passphrase);
  const organization = opts.organization ?? "organization";

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(stackConfig.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(stackConfig.secretKeys),
    PULUMI_NODEJS_PROJECT: project.name,
    PULUMI_NODEJS_STACK: opts.stack,
    PULUMI_NODEJS_ORGANIZATION: organization,
    PULUMI_NODEJS_DRY_RUN: "true",
    PULUMI_DRY_RUN: "true",
    TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH,
  };
  const hostArgs = JSON.stringify({
    main: project.main,
    dir,
    project: project.name,
    stack: opts.stack,
    organization,
    unknownSecretKeys: stackConfig.unknownSecretKeys,
  });

  const child = fork(hostScript, [hostArgs], {
    cwd: dir,
    env,
    execArgv: ["--require", require.resolve("tsx/cjs")],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString("utf8"));
    if (output.length > 200) output.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);

  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise<ResourceGraph>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new ProgramError(`${project.main}: program did not finish within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const finish = (err: Error | null, resources?: GraphResource[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) return reject(err);
      resolve({
        project: project.name,
        stack: opts.stack,
        organization,
        source: { kind: "program", path: dir },
        tags: stackConfig.tags,
        config: stackConfig.config,
        resources: resources!,
      });
    };
    child.on("message", (msg: { ok: boolean; resources?: GraphResource[]; error?: string }) => {
      if (msg.ok) finish(null, msg.resources);
      else
        finish(
          new ProgramError(
            `${project.main}: the program failed: ${redactKeys(firstLines(msg.error ?? "", 6))}${tail(output)}`,
          ),
        );
    });
    child.on("error", (e) => finish(e));
    child.on("exit", (code, signal) => {
      if (!settled) {
        finish(
          new ProgramError(
            `${project.main}: the program exited (${signal ?? code}) without finishing${tail(output)}`,
          ),
        );
      }
    });
  });
}

function firstLines(text: string, n: number): string {
  return text.split("\n").slice(0, n).join("\n");
}

function tail(chunks: string[]): string {
  const text = redactKeys(chunks.join("")).trim();
  return text ? `\n--- program output ---\n${text.split("\n").slice(-20).join("\n")}` : "";
}

export { InputError };
