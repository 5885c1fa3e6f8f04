/**
 * Runtime guardrails for server code on the `e2b` SDK: guarded sandbox creation and the live
 * sandbox auditor. Importing this module in a browser throws (E2B-01): the first import below
 * checks before anything else loads.
 */
import "./server-only";

export { assertServerRuntime, isBrowser, BROWSER_REFUSAL, BrowserRuntimeError } from "./server-only";
export {
  GuardrailViolation,
  AuditError,
  type Violation,
  type ViolationCode,
  type AuditErrorCode,
} from "./errors";
export { POLICY_ENV_VAR, loadSandboxPolicy, parseSandboxPolicy, type PolicyResult } from "./policy";
export {
  checkSandboxRequest,
  isCredentialName,
  ENVIRONMENT_METADATA_KEY,
  SDK_DEFAULT_TIMEOUT_MS,
  E2B_SECRETS_POINTER,
  type SandboxRequest,
  type CheckResult,
} from "./checks";
export {
  checkNetwork,
  networkForPolicy,
  resolveNetwork,
  destinationCovers,
  placeholdersIn,
  ALL_TRAFFIC,
  type NetworkRequest,
  type NetworkCheckInput,
  type ResolvedNetwork,
} from "./network";
export {
  createGuardedSandbox,
  withSandbox,
  updateGuardedNetwork,
  SandboxKillError,
  type GuardedSandboxOpts,
  type WithSandboxOpts,
} from "./guard";
export { parseDuration, formatDuration } from "./duration";
export { refuseRedirects } from "./no-redirects";
export { withRetry, classifyError, backoffDelay, DEFAULT_RETRY, type RetryOptions } from "./retry";
export {
  SandboxAuditor,
  leakReasons,
  costPerHourUsd,
  E2B_PRICES,
  OTHER_GROUP,
  type AuditReport,
  type AuditRules,
  type AuditedSandbox,
  type AttributionRow,
  type LeakedSandbox,
  type Prices,
} from "./auditor";
export {
  auditSandboxes,
  auditOnce,
  killLeaked,
  summarize,
  toAuditError,
  type AuditRunOptions,
  type AuditRun,
  type KillOutcome,
  type ApiConnection,
} from "./audit-run";
export { formatAuditText, formatKillText } from "./audit-text";
export type { SandboxPolicy } from "../policies/model";
