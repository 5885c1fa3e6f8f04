/**
 * Guarded sandbox creation for backend code: `createGuardedSandbox` checks the request against the
 * environment's policy before `Sandbox.create` is called (nothing is created when a check fails),
 * and `withSandbox` kills the sandbox when the work settles, success or failure.
 */
import "./server-only";
import { Sandbox, type SandboxOpts, type SandboxNetworkUpdate } from "e2b";
import type { SandboxPolicy } from "../policies/model";
import { redactKeys } from "../policies/detect/keys";
import { GuardrailViolation, type Violation } from "./errors";
import { loadSandboxPolicy } from "./policy";
import { checkSandboxRequest } from "./checks";
import { maskedName } from "./key-material";
import { checkNetwork, egressProxyWarnings, type NetworkRequest } from "./network";

export interface GuardedSandboxOpts extends Omit<SandboxOpts, "metadata" | "envs" | "timeoutMs"> {
  /** Attribution: becomes `metadata.user_id`. */
  userId?: string;
  /** Attribution: becomes `metadata.request_id`. */
  requestId?: string;
  metadata?: Record<string, string>;
  envs?: Record<string, string>;
  /** Sandbox lifetime; default: the policy's default (else the SDK's 300 s), capped at the ceiling. */
  timeoutMs?: number;
  /**
   * E2B API base URL. The SDK honours `apiUrl` (and `E2B_API_URL`) but marks it internal in its
   * types, so it is declared here.
   */
  apiUrl?: string;
  /** Where `E2B_SANDBOX_POLICY` and `E2B_API_KEY` are read from when not passed; default process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Told about what is allowed but worth fixing (an egress proxy password passed from code).
   * Default: one line on stderr, without the value.
   */
  onWarning?: (warning: Violation) => void;
}

/**
 * Create a sandbox only if the request meets the policy: required metadata present (the
 * environment name is always added), timeout within the ceiling, no key material or E2B credential
 * in env vars, MCP server settings or metadata, no third-party credential in env vars or MCP settings. `policy` may be the policy object, its JSON, or undefined to read
 * `E2B_SANDBOX_POLICY`. Throws GuardrailViolation (with `code`, `field`, `violations`).
 */
export async function createGuardedSandbox(
  policy: SandboxPolicy | string | undefined | null,
  opts: GuardedSandboxOpts = {},
): Promise<Sandbox> {
  // The caller's own objects are read while the request is judged (option getters, `toJSON`): what
  // they throw leaves as a new error whose message is masked, with nothing else of it (rt44, rt45 #5).
  let judged: ReturnType<typeof judgeRequest>;
  try {
    judged = judgeRequest(policy, opts);
  } catch (e) {
    if (e instanceof GuardrailViolation) throw e;
    throw judgingError(e, callerKey(opts));
  }
  const { checked, sdkOpts, envs, apiKey, onWarning } = judged;
  checked.warnings.forEach(onWarning ?? defaultWarningReport);
  if (!checked.ok) throw new GuardrailViolation(checked.violations);
  try {
    return await Sandbox.create({
      ...(sdkOpts as SandboxOpts),
      metadata: checked.metadata,
      envs,
      timeoutMs: checked.timeoutMs,
    });
  } catch (e) {
    throw withoutKey(e, apiKey);
  }
}

/** The request read once and judged: what createGuardedSandbox sends if it passes. */
function judgeRequest(policy: SandboxPolicy | string | undefined | null, opts: GuardedSandboxOpts) {
  const { userId, requestId, metadata, timeoutMs, env = process.env, onWarning, ...rest } = opts;
  // Judged and sent as one snapshot of what the SDK serializes: a map's own `toJSON`, or a getter
  // that answers differently on a second read, cannot send what was not judged (rt41 #5).
  const envs = asSentSnapshot(opts.envs);
  const sdkOpts = { ...rest, mcp: asSentSnapshot(rest.mcp) };
  const apiKey = sdkOpts.apiKey ?? env.E2B_API_KEY;
  const checked = checkSandboxRequest(loadSandboxPolicy(policy, env), {
    metadata,
    userId,
    requestId,
    envs,
    mcp: sdkOpts.mcp,
    timeoutMs,
    onTimeout: sdkOpts.lifecycle?.onTimeout,
    apiKey,
    network: sdkOpts.network as NetworkRequest | undefined,
    allowInternetAccess: sdkOpts.allowInternetAccess,
  });
  return { checked, sdkOpts, envs, apiKey, onWarning };
}

/** The caller's key, if reading the options for it does not itself throw. */
function callerKey(opts: GuardedSandboxOpts): string | undefined {
  try {
    return opts.apiKey ?? (opts.env ?? process.env).E2B_API_KEY;
  } catch {
    return undefined;
  }
}

/**
 * What the caller's code threw while the request was judged, as a new Error of the same name: its
 * message masked (key material, the caller's own key), and no cause, fields or stack of the original,
 * which may hold the key in any of them.
 */
function judgingError(e: unknown, apiKey: string | undefined): Error {
  let name = "Error";
  let text: string;
  try {
    const o = e as { name?: unknown; message?: unknown };
    if (typeof o?.name === "string") name = o.name;
    text = typeof o?.message === "string" ? o.message : String(e);
  } catch {
    text = "a value of the request could not be read";
  }
  const err = new Error(maskedName(text, apiKey));
  err.name = maskedName(name, apiKey);
  return err;
}

/**
 * `value` as `JSON.stringify` writes it into the create request, read back: undefined stays
 * undefined, and what cannot be serialized is passed on as it is (the SDK fails on it the same way).
 */
function asSentSnapshot<T>(value: T): T {
  if (value === undefined) return value;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? value : (JSON.parse(json) as T);
  } catch {
    return value;
  }
}

/**
 * The SDK's error as it is (its class, for `instanceof`), its message and stack with key material
 * and the caller's own key masked: an API, or a proxy in front of it, may echo the request's
 * `X-API-Key` header in its answer, and applications log these errors.
 */
function withoutKey(e: unknown, apiKey: string | undefined): unknown {
  // Not `instanceof Error`: an error made in another realm (Node's own DOMException seen from a vm
  // context, as under Jest) carries the key all the same.
  if (typeof e !== "object" || e === null || typeof (e as Error).message !== "string") return e;
  return maskedError(e as Error, apiKey);
}

function maskedError(e: Error, apiKey: string | undefined): Error {
  // A DOMException (a timed-out or aborted request) has `message` as a getter with no setter: it is
  // shadowed on the instance, never assigned, and an error that cannot take that (a frozen one) is
  // replaced by a plain Error of the same name, so masking never throws in place of the error.
  try {
    for (const field of ["message", "stack"] as const) {
      const text = e[field];
      if (typeof text !== "string") continue;
      const masked = maskedName(text, apiKey);
      if (masked !== text)
        Object.defineProperty(e, field, {
          value: masked,
          writable: true,
          configurable: true,
          enumerable: false,
        });
    }
    return e;
  } catch {
    const plain = new Error(maskedName(String(e.message), apiKey));
    plain.name = e.name;
    return plain;
  }
}

export interface WithSandboxOpts extends GuardedSandboxOpts {
  /**
   * Told when the final kill fails after `fn` already failed (that error wins and is rethrown).
   * Default: one redacted line on stderr, so a possibly leaked sandbox is never silent.
   */
  onKillError?: (error: unknown, sandboxId: string) => void;
}

/** Thrown when `fn` succeeded but the sandbox could not be killed: it may still be running. */
export class SandboxKillError extends Error {
  constructor(
    readonly sandboxId: string,
    message: string,
  ) {
    super(redactKeys(message));
    this.name = "SandboxKillError";
  }
}

/**
 * Create a guarded sandbox, run `fn` with it, and kill it when `fn` settles, whether it resolved or
 * threw. `fn`'s result or error is passed through; a sandbox already gone (404) counts as killed.
 */
export async function withSandbox<T>(
  policy: SandboxPolicy | string | undefined | null,
  opts: WithSandboxOpts,
  fn: (sandbox: Sandbox) => Promise<T> | T,
): Promise<T> {
  const { onKillError, ...createOpts } = opts;
  const apiKey = opts.apiKey ?? (opts.env ?? process.env).E2B_API_KEY;
  const sandbox = await createGuardedSandbox(policy, createOpts);
  let result: T;
  try {
    result = await fn(sandbox);
  } catch (fnError) {
    try {
      await sandbox.kill();
    } catch (killError) {
      (onKillError ?? defaultKillErrorReport)(withoutKey(killError, apiKey), sandbox.sandboxId);
    }
    throw fnError;
  }
  try {
    await sandbox.kill();
  } catch (killError) {
    throw new SandboxKillError(
      sandbox.sandboxId,
      `sandbox ${sandbox.sandboxId} finished its work but could not be killed (it may run until its timeout): ${(withoutKey(killError, apiKey) as Error).message}`,
    );
  }
  return result;
}

function defaultKillErrorReport(error: unknown, sandboxId: string): void {
  process.stderr.write(
    redactKeys(
      `e2b-guardrails: could not kill sandbox ${sandboxId} after a failure: ${(error as Error)?.message ?? String(error)}\n`,
    ),
  );
}

/**
 * `sandbox.updateNetwork(network)` after the same egress checks as a create. E2B replaces the whole
 * configuration on update, so the update alone must meet the policy (an update that leaves out
 * `denyOut` opens all egress). `allowPublicTraffic` is not part of an update and is not judged.
 */
export async function updateGuardedNetwork(
  policy: SandboxPolicy | string | undefined | null,
  sandbox: Pick<Sandbox, "updateNetwork">,
  network: SandboxNetworkUpdate,
  opts: Pick<GuardedSandboxOpts, "env" | "onWarning"> = {},
): Promise<void> {
  const env = opts.env ?? process.env;
  const p = loadSandboxPolicy(policy, env);
  const req = {
    network: network as NetworkRequest,
    allowInternetAccess: network.allowInternetAccess,
    update: true,
    apiKey: env.E2B_API_KEY,
  };
  egressProxyWarnings(req).forEach(opts.onWarning ?? defaultWarningReport);
  const violations = checkNetwork(p, req);
  if (violations.length > 0) throw new GuardrailViolation(violations);
  await sandbox.updateNetwork(network);
}

function defaultWarningReport(warning: Violation): void {
  process.stderr.write(redactKeys(`e2b-guardrails: warning: ${warning.message}\n`));
}
