/**
 * The environment's runtime sandbox policy: the JSON the E2BEnvironment component outputs for
 * applications, passed in by the caller or read from `E2B_SANDBOX_POLICY`, validated with the shared
 * zod schema. Parsing returns a value; only the `load…` helper throws (a typed GuardrailViolation).
 */
import { sandboxPolicySchema, type SandboxPolicy } from "../policies/model";
import { findKeysInString } from "../policies/detect/keys";
import { GuardrailViolation, type Violation } from "./errors";

/** Environment variable holding the policy JSON (the component's `sandboxPolicy` output). */
export const POLICY_ENV_VAR = "E2B_SANDBOX_POLICY";

export type PolicyResult = { ok: true; policy: SandboxPolicy } | { ok: false; violation: Violation };

function invalid(field: string, message: string): PolicyResult {
  return { ok: false, violation: { code: "policy-invalid", field, message } };
}

/** Validate a policy given as an object or as JSON text. `source` names it in messages. */
export function parseSandboxPolicy(value: unknown, source = "sandbox policy"): PolicyResult {
  try {
    return parsePolicy(value, source);
  } catch (e) {
    // JSON.stringify and the schema recurse per level: a few thousand levels run the stack out.
    if (e instanceof RangeError) return invalid("policy", `${source} is nested too deeply to read`);
    throw e;
  }
}

function parsePolicy(value: unknown, source: string): PolicyResult {
  let data = value;
  if (typeof value === "string") {
    // A policy never carries a key; one that does was built wrong and must not be echoed anywhere.
    const keys = findKeysInString(value);
    if (keys.length > 0)
      return invalid(
        "policy",
        `${source} contains key material (${keys[0].mask}); a policy must hold no key`,
      );
    try {
      data = JSON.parse(value);
    } catch (e) {
      return invalid("policy", `${source} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (value !== null && typeof value === "object") {
    const keys = findKeysInString(JSON.stringify(value));
    if (keys.length > 0)
      return invalid(
        "policy",
        `${source} contains key material (${keys[0].mask}); a policy must hold no key`,
      );
  }
  const r = sandboxPolicySchema.safeParse(data);
  if (r.success) return { ok: true, policy: r.data };
  const issue = r.error.issues[0];
  const path = issue.path.join(".") || "(root)";
  return invalid(`policy.${path}`, `${source} is invalid at ${path}: ${issue.message}`);
}

/**
 * The policy to enforce: `given` (object or JSON text) when present, otherwise the JSON in
 * `E2B_SANDBOX_POLICY`. Throws GuardrailViolation (`policy-missing` / `policy-invalid`).
 */
export function loadSandboxPolicy(
  given?: SandboxPolicy | string | null,
  env: Record<string, string | undefined> = process.env,
): SandboxPolicy {
  if (given === undefined || given === null) {
    const text = env[POLICY_ENV_VAR];
    if (text === undefined || text.trim() === "") {
      throw new GuardrailViolation([
        {
          code: "policy-missing",
          field: POLICY_ENV_VAR,
          message: `no sandbox policy: pass one, or set ${POLICY_ENV_VAR} to the E2BEnvironment component's sandboxPolicy output (JSON)`,
        },
      ]);
    }
    const r = parseSandboxPolicy(text, POLICY_ENV_VAR);
    if (!r.ok) throw new GuardrailViolation([r.violation]);
    return r.policy;
  }
  const r = parseSandboxPolicy(given);
  if (!r.ok) throw new GuardrailViolation([r.violation]);
  return r.policy;
}
