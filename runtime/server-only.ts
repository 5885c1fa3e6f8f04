/**
 * Refuse to run in a browser (E2B-01): creating sandboxes needs the team API key, and a key in a
 * browser bundle is a key every visitor can read. Imported first by every runtime entry point, so a
 * bundle that includes the runtime helpers throws while it loads, before any key is touched.
 */
import { GuardrailViolation } from "./errors";

export const BROWSER_REFUSAL =
  "e2b-guardrails/runtime must not run in a browser: sandbox creation needs the E2B API key, which belongs on the server. " +
  "Call your own backend endpoint from the browser and create the sandbox there.";

/** True in a browser main thread (window and document both exist); Node, Deno, Bun and workers pass. */
export function isBrowser(
  scope: Record<string, unknown> = globalThis as unknown as Record<string, unknown>,
): boolean {
  return typeof scope.window !== "undefined" && typeof scope.document !== "undefined";
}

export function assertServerRuntime(scope?: Record<string, unknown>): void {
  if (isBrowser(scope)) {
    throw new GuardrailViolation([{ code: "browser-runtime", field: "runtime", message: BROWSER_REFUSAL }]);
  }
}

assertServerRuntime();
