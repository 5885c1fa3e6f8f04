/**
 * `e2b-guardrails sandboxes audit`: the live sandbox auditor on the command line. Lists every
 * sandbox of the key's team, reports counts, cost per hour, attribution and leaked sandboxes, and
 * with `--kill` kills the leaked ones (after a prompt unless `--yes`).
 *
 * The API key comes from `E2B_API_KEY` only, never from a flag (flags end up in shell history and
 * process lists). Exit status: 0 nothing leaked, 1 leaks found, 2 bad usage or an unreachable API.
 */
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import { Command, Option } from "commander";
import type { SandboxPolicy } from "../policies/model";
import { findKeysInString, inert, redactKeys } from "../policies/detect/keys";
import { maskedName, maskOwnKey } from "../runtime/key-material";
import { parseDuration } from "../runtime/duration";
import { refuseRedirects } from "../runtime/no-redirects";
import { boundResponses } from "../runtime/bounded-responses";
import { AuditError } from "../runtime/errors";
import type { AuditReport } from "../runtime/auditor";
import type { KillOutcome, runDeadline } from "../runtime/audit-run";
import { formatAuditText, formatKillText } from "../runtime/audit-text";
import type { RetryOptions } from "../runtime/retry";
import { checkOutputsAgainstInputs, prepareOutput, writeOutputFile } from "./output";
import { InputError } from "../engine/errors";
import { LIMITS, readBoundedText } from "../engine/limits";

// Loaded when the command runs, not when the command table is built: the e2b SDK and zod (the
// policy schema, the price table) are most of this command's start-up time and none of `--help`'s.
const auditRun = () => require("../runtime/audit-run") as typeof import("../runtime/audit-run");
const auditor = () => require("../runtime/auditor") as typeof import("../runtime/auditor");
const sandboxPolicy = () => require("../runtime/policy") as typeof import("../runtime/policy");

/**
 * The most of one API answer read, as inflated: a page of 100 sandboxes with their metadata is tens
 * of kilobytes, so this leaves room for generous metadata and still bounds memory.
 */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface SandboxesAuditFlags {
  env?: string;
  policy?: string;
  format?: string;
  output?: string;
  kill?: boolean;
  yes?: boolean;
  maxAge?: string;
  maxPausedAge?: string;
  requireMetadata?: string;
  by?: string;
  metadata?: string[];
  vcpuPrice?: string;
  gibPrice?: string;
  pageSize?: string;
  apiUrl?: string;
  requestTimeout?: string;
  deadline?: string;
}

export interface AuditIO {
  env: Record<string, string | undefined>;
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  /** Injected in tests so retries do not wait. */
  retry?: RetryOptions;
  now?: () => Date;
}

class UsageError extends Error {}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);

function duration(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const r = parseDuration(v);
  if (!r.ok) throw new UsageError(`${flag}: ${r.error}`);
  return r.seconds;
}

/**
 * The longest a timer flag may ask for: 24 days, under the longest a Node timer waits (2^31 - 1 ms,
 * about 24.8 days; a longer one fires at once, with a warning: rt54 #8).
 */
const MAX_TIMER_DAYS = 24;

function timer(flag: string, v: string | undefined): number | undefined {
  const seconds = duration(flag, v);
  if (seconds !== undefined && seconds > MAX_TIMER_DAYS * 86_400)
    throw new UsageError(`${flag}: "${v}" is longer than ${MAX_TIMER_DAYS} days`);
  return seconds;
}

function price(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag}: "${v}" is not a price in USD (a number ≥ 0)`);
  return n;
}

/**
 * The environment's sandbox policy: from `--policy FILE` (one policy, an array of policies, or an
 * object of policies keyed by environment name; `--env` picks one) or from `E2B_SANDBOX_POLICY`.
 */
export function resolvePolicy(flags: SandboxesAuditFlags, env: AuditIO["env"]): SandboxPolicy | undefined {
  const { POLICY_ENV_VAR, parseSandboxPolicy } = sandboxPolicy();
  let candidates: unknown[];
  let source: string;
  if (flags.policy) {
    source = flags.policy;
    let text: string;
    try {
      // Bounded like a policy config: `--policy /dev/zero` is one line, not an endless read.
      text = readBoundedText(flags.policy, LIMITS.policyConfigBytes);
    } catch (e) {
      if (e instanceof InputError) throw new UsageError(`--policy ${e.message}`);
      throw e;
    }
    // A policy never holds a key. Refuse one that does before parsing: V8's JSON errors quote the
    // text around the fault (`"e2b_012345"...`), which could be the start of that key.
    const keys = findKeysInString(text);
    if (keys.length > 0)
      throw new UsageError(
        `--policy ${flags.policy}: contains key material (${keys[0].mask}); a sandbox policy must hold no key`,
      );
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--policy ${flags.policy}: not valid JSON: ${(e as Error).message}`);
    }
    const isSingle = data !== null && typeof data === "object" && "environment" in (data as object);
    candidates = Array.isArray(data) ? data : isSingle ? [data] : Object.values((data ?? {}) as object);
  } else if (env[POLICY_ENV_VAR]) {
    source = POLICY_ENV_VAR;
    candidates = [env[POLICY_ENV_VAR]];
  } else {
    if (flags.env)
      throw new UsageError(
        `--env ${flags.env}: no policy to read it from; pass --policy FILE or set ${POLICY_ENV_VAR}`,
      );
    return undefined;
  }
  const policies: SandboxPolicy[] = [];
  for (const [i, c] of candidates.entries()) {
    const r = parseSandboxPolicy(c, candidates.length > 1 ? `${source} [${i}]` : source);
    if (!r.ok) throw new UsageError(r.violation.message);
    policies.push(r.policy);
  }
  if (flags.env) {
    const p = policies.find((x) => x.environment === flags.env);
    if (!p)
      throw new UsageError(
        `--env ${flags.env}: ${source} has no policy for it (has: ${policies.map((x) => x.environment).join(", ") || "none"})`,
      );
    return p;
  }
  if (policies.length !== 1)
    throw new UsageError(`${source} holds ${policies.length} policies; choose one with --env NAME`);
  return policies[0];
}

async function confirm(io: AuditIO, question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once("close", () => resolve(undefined));
      rl.question(question, resolve);
    });
    return answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/** Run the audit; returns the exit status. Everything printed is redacted of key material. */
export async function runSandboxesAudit(flags: SandboxesAuditFlags, io: AuditIO): Promise<number> {
  // One line whatever the API's message holds: its control characters and line breaks as `\uXXXX`.
  // The key it sends is masked as it is too: a self-hosted key need not look like `e2b_…`, and an API
  // (or a proxy in front of it) may echo the request's headers in an error.
  const ownKey = io.env.E2B_API_KEY;
  const err = (line: string) => io.stderr.write(maskedName(inert(line, true), ownKey) + "\n");
  let deadline: ReturnType<typeof runDeadline> | undefined;
  try {
    const format = flags.format ?? "text";
    if (format !== "text" && format !== "json")
      throw new UsageError(`--format: "${format}" is not text or json`);
    if (flags.yes && !flags.kill) throw new UsageError("--yes only makes sense with --kill");
    const apiKey = io.env.E2B_API_KEY;
    if (!apiKey)
      throw new UsageError(
        "E2B_API_KEY is not set: the auditor reads the team API key from the environment only",
      );
    // The key goes only to the API named: a redirect elsewhere is an error, never followed. And no
    // answer is read past what a page of sandboxes can hold (a gzip bomb inflates in memory).
    refuseRedirects();
    boundResponses(MAX_ANSWER_BYTES);
    const { POLICY_ENV_VAR } = sandboxPolicy();
    // The report must not replace the policy it is judged by (it would be gone after one run).
    checkOutputsAgainstInputs(
      [["--output", flags.output]],
      [["--policy", flags.policy ?? io.env[POLICY_ENV_VAR]]],
    );
    const policy = resolvePolicy(flags, io.env);
    const maxAgeSeconds = duration("--max-age", flags.maxAge) ?? policy?.timeoutCeilingSeconds;
    if (maxAgeSeconds === undefined)
      throw new UsageError(
        `no maximum age: pass --max-age (e.g. 2h), or the environment's policy with --policy FILE / ${POLICY_ENV_VAR}`,
      );
    const maxPausedAgeSeconds =
      duration("--max-paused-age", flags.maxPausedAge) ?? policy?.autoPause.maxPausedSeconds;
    const requireMetadata = list(flags.requireMetadata) ?? policy?.requiredMetadata ?? [];
    const attributionKeys = list(flags.by) ?? [];
    const { E2B_PRICES } = auditor();
    const prices = {
      vcpuSecondUsd: price("--vcpu-price", flags.vcpuPrice, E2B_PRICES.vcpuSecondUsd),
      gibSecondUsd: price("--gib-price", flags.gibPrice, E2B_PRICES.gibSecondUsd),
    };
    const pageSize = flags.pageSize === undefined ? 100 : Number(flags.pageSize);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
      throw new UsageError(`--page-size: must be 1–100 (got ${flags.pageSize})`);
    let metadata: Record<string, string> | undefined;
    for (const pair of flags.metadata ?? []) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`--metadata: "${pair}" is not KEY=VALUE`);
      metadata = { ...metadata, [pair.slice(0, eq)]: pair.slice(eq + 1) };
    }
    const apiUrl = flags.apiUrl ?? io.env.E2B_API_URL;
    if (apiUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(apiUrl))
      throw new UsageError(`--api-url: "${apiUrl}" is not an http(s) URL`);

    const requestTimeoutMs = (timer("--request-timeout", flags.requestTimeout) ?? 30) * 1000;
    const deadlineMs = (timer("--deadline", flags.deadline) ?? 600) * 1000;

    // A report we cannot write is bad usage before any API call, not an error after the kills.
    if (flags.output) prepareOutput(flags.output, "--output");
    const { auditSandboxes, killLeaked, runDeadline } = auditRun();
    deadline = runDeadline(deadlineMs);
    const conn = {
      apiKey,
      apiUrl,
      retry: io.retry,
      now: io.now,
      requestTimeoutMs,
      signal: deadline.signal,
      metadata,
    };
    const run = await auditSandboxes({
      ...conn,
      rules: { maxAgeSeconds, maxPausedAgeSeconds, requireMetadata, attributionKeys, prices },
      pageSize,
      metadata,
    });
    let report: AuditReport = run.report;
    let outcome: KillOutcome | undefined;
    const out = (text: string) => io.stdout.write(redactKeys(maskOwnKey(text, ownKey)));
    // Text asked interactively: the report first, so the person sees what they are asked to kill.
    const interactive = !!flags.kill && !flags.yes && report.leaked.length > 0;
    const earlyText = interactive && format === "text" && !flags.output;
    if (interactive) {
      if (earlyText) out(formatAuditText(report));
      const ids = report.leaked.map((l) => l.sandboxId);
      const shown = ids.slice(0, 10).join(", ") + (ids.length > 10 ? `, … (${ids.length - 10} more)` : "");
      const go = await confirm(
        io,
        `Kill ${ids.length} leaked sandbox${ids.length === 1 ? "" : "es"} (${shown})? [y/N] `,
      );
      if (go) outcome = await killLeaked(conn, report.leaked, run.rules);
      else err("Not killed: no confirmation (answer y, or pass --yes).");
    } else if (flags.kill && report.leaked.length > 0) {
      outcome = await killLeaked(conn, report.leaked, run.rules);
    }
    if (outcome) report = { ...report, killed: outcome.killed };
    const text =
      format === "json"
        ? JSON.stringify(report, null, 2) + "\n"
        : earlyText
          ? formatKillText(report.killed, outcome)
          : formatAuditText(report, outcome);
    if (flags.output) writeOutputFile(flags.output, maskOwnKey(text, ownKey));
    else out(text);
    // In JSON the report has no room for failures; say them on stderr.
    if (format === "json")
      for (const f of outcome?.failed ?? []) err(`could not kill ${f.sandboxId}: ${f.error}`);
    return report.leaked.length > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof AuditError || e instanceof InputError) {
      err(`error: ${e.message}`);
      return 2;
    }
    err(`error: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
    return 2;
  } finally {
    deadline?.dispose();
  }
}

export function registerSandboxesCommand(program: Command): void {
  const sandboxes = program
    .command("sandboxes")
    .description("Live E2B sandboxes of the team whose key is in E2B_API_KEY");
  sandboxes
    .command("audit")
    .description(
      "List every sandbox (running and paused): counts, cost per hour, attribution and leaked sandboxes",
    )
    .option("--env <name>", "environment whose sandbox policy applies (from --policy or E2B_SANDBOX_POLICY)")
    .option(
      "--policy <file>",
      "sandbox policy JSON (the E2BEnvironment sandboxPolicy output; one, an array, or keyed by environment)",
    )
    .addOption(new Option("--format <format>", "report format").choices(["text", "json"]).default("text"))
    .option("--output <file>", "write the report here instead of stdout")
    .option(
      "--max-age <duration>",
      "running longer than this is leaked (90s, 15m, 2h, 7d); default: the policy's timeout ceiling",
    )
    .option(
      "--max-paused-age <duration>",
      "paused longer than this is leaked; default: the policy's autoPause.maxPausedSeconds",
    )
    .option(
      "--require-metadata <keys>",
      "comma-separated metadata keys every sandbox must carry; default: the policy's",
    )
    .option("--by <keys>", "comma-separated metadata keys to attribute count and cost by (e.g. user_id)")
    .option(
      "--metadata <key=value>",
      "only sandboxes with this metadata (repeatable)",
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option("--vcpu-price <usd>", "USD per vCPU-second (default: E2B's published price)")
    .option("--gib-price <usd>", "USD per GiB-second of RAM (default: E2B's published price)")
    .option("--page-size <n>", "sandboxes per API page (1–100)", "100")
    .option("--api-url <url>", "E2B API base URL (default: E2B_API_URL, else https://api.e2b.app)")
    .option("--request-timeout <duration>", "give up on one API request after this long (at most 24d)", "30s")
    .option(
      "--deadline <duration>",
      "give up on the whole run (listing, re-checks, kills) after this long (at most 24d)",
      "10m",
    )
    .option("--kill", "kill the leaked sandboxes (asks first unless --yes); never any other")
    .option("--yes", "with --kill: do not ask")
    .addHelpText(
      "after",
      "\nThe API key is read from E2B_API_KEY only. Exit: 0 nothing leaked, 1 leaks found, 2 bad usage or API unreachable.",
    )
    .action(async (flags: SandboxesAuditFlags) => {
      process.exitCode = await runSandboxesAudit(flags, {
        env: process.env,
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: process.stdin,
      });
    });
}
