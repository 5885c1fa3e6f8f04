/**
 * Refuse to run in a browser (E2B-01): creating sandboxes needs the team API key, and a key in a
 * browser bundle is a key every visitor can read. Every runtime entry point imports this module
 * first, and it imports nothing itself, so in a browser bundle it is the first of our code to run
 * and throws while the bundle loads, before any key is touched or any Node-only module is needed.
 */

export const BROWSER_REFUSAL =
  "e2b-guardrails/runtime must not run in a browser: sandbox creation needs the E2B API key, which belongs on the server. " +
  "Call your own backend endpoint from the browser and create the sandbox there.";

/** Thrown at import in a browser. Same shape as a GuardrailViolation (`code`, `field`, `violations`). */
export class BrowserRuntimeError extends Error {
  readonly code = "browser-runtime" as const;
  readonly field = "runtime";
  readonly violations = [{ code: "browser-runtime" as const, field: "runtime", message: BROWSER_REFUSAL }];

  constructor() {
    super(BROWSER_REFUSAL);
    this.name = "BrowserRuntimeError";
  }
}

/** True in a browser main thread (window and document both exist); Node, Deno, Bun and workers pass. */
export function isBrowser(
  scope: Record<string, unknown> = globalThis as unknown as Record<string, unknown>,
): boolean {
  return typeof scope.window !== "undefined" && typeof scope.document !== "undefined";
}

export function assertServerRuntime(scope?: Record<string, unknown>): void {
  if (isBrowser(scope)) throw new BrowserRuntimeError();
}

assertServerRuntime();
