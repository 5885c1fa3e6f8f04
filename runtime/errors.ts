/**
 * Typed errors of the runtime guardrails. Messages never contain key material: anything that could
 * hold a key is shown as a mask (`e2b_…a1b2`) or a fingerprint, and every message passes through
 * `redactKeys` as a last line of defence.
 */
import { inert, redactKeys } from "../policies/detect/keys";
import { redactMaterial } from "../policies/detect/redact";

export type ViolationCode =
  /** The module was loaded in a browser: sandbox creation belongs on the server (E2B-01). */
  | "browser-runtime"
  /** No sandbox policy was passed and the policy env var is not set. */
  | "policy-missing"
  /** The policy is not valid JSON or does not match the shared `sandboxPolicySchema`. */
  | "policy-invalid"
  /** A metadata key the environment requires is missing or empty (E2B-03). */
  | "metadata-missing"
  /** The caller's metadata names a different environment than the policy. */
  | "metadata-environment-mismatch"
  /** A metadata value is key material (metadata is listed to anyone holding the team key). */
  | "metadata-key-material"
  /** The requested timeout is above the environment's ceiling (E2B-04). */
  | "timeout-above-ceiling"
  /** The requested timeout is zero or negative. */
  | "timeout-invalid"
  /** Pause-on-timeout while the environment does not allow auto-pause (E2B-04). */
  | "auto-pause-not-allowed"
  /** An env var's value is key material (E2B-06). */
  | "env-key-material"
  /** An env var's name is an E2B credential, e.g. E2B_API_KEY (E2B-06). */
  | "env-credential-name"
  /** An env var holds a third-party credential (by name or value shape): use E2B Secrets (E2B-06). */
  | "env-third-party-credential"
  /**
   * The same three for a setting of an MCP server (the SDK's `mcp` option): E2B's MCP gateway runs
   * inside the sandbox with its whole configuration on its command line (E2B-06).
   */
  | "mcp-key-material"
  | "mcp-credential-name"
  | "mcp-third-party-credential"
  /** The network config's callbacks threw or returned something the SDK would refuse. */
  | "network-invalid"
  /** The policy requires deny-by-default egress and the create does not deny all traffic. */
  | "network-not-deny-by-default"
  /** `network.allowOut` names a destination outside the policy's allowlist. */
  | "network-destination-not-allowed"
  /** The policy requires `allowPublicTraffic: false` and the create leaves sandbox URLs public. */
  | "network-public-traffic"
  /** A credential header in `network.rules` is plaintext instead of an E2B placeholder. */
  | "network-rule-plaintext-credential"
  /** E2B key material in `network.rules` or the egress proxy config. */
  | "network-rule-key-material"
  /** A `${e2b.secrets.*}` placeholder names a secret the environment does not declare. */
  | "network-secret-undeclared"
  /** A declared secret is sent to a host it is not declared for. */
  | "network-secret-wrong-host"
  /** Warning (never a refusal): the egress proxy's password is passed in plaintext from code. */
  | "egress-proxy-plaintext-password";

export interface Violation {
  code: ViolationCode;
  /** Where: `metadata.user_id`, `envs.E2B_API_KEY`, `timeoutMs`, `policy.requiredMetadata`… */
  field: string;
  message: string;
}

/** Thrown by the guard when a sandbox request breaks the environment's policy; nothing was created. */
export class GuardrailViolation extends Error {
  readonly code: ViolationCode;
  readonly field: string;
  readonly violations: readonly Violation[];

  constructor(violations: Violation[]) {
    const first = violations[0];
    const more =
      violations.length > 1
        ? ` (and ${violations.length - 1} more: ${violations
            .slice(1)
            .map((v) => v.code)
            .join(", ")})`
        : "";
    // Fields name what the caller passed (an env var's name may be the key itself, in any encoding):
    // every text an application may log is masked, and made inert for a terminal.
    const shown = (t: string) => redactMaterial(inert(t, true));
    super(shown(`${first.message}${more}`));
    this.name = "GuardrailViolation";
    this.code = first.code;
    this.field = shown(first.field);
    this.violations = violations.map((v) => ({ ...v, field: shown(v.field), message: shown(v.message) }));
  }
}

export type AuditErrorCode =
  /** Bad flags or policy: exit 2. */
  | "bad-usage"
  /** 401 from the API: the key is unknown, malformed or revoked. */
  | "unauthorized"
  /** The API could not be reached, or kept failing after retries. */
  | "unreachable"
  /** Any other refusal from the API (e.g. 400 for a bad filter). */
  | "api-error";

/** Thrown by the sandbox auditor for conditions that end the audit (exit 2 in the CLI). */
export class AuditError extends Error {
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(redactKeys(message));
    this.name = "AuditError";
  }
}
