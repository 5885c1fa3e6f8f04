/**
 * Waived findings cross the gRPC boundary as advisory diagnostics whose message the pack formats; the
 * pack owns the format (policies/waivers.ts) and this re-exports its parser so the CLI stays in step.
 */
import type { Waiver } from "../policies/report";

type Parser = (message: string) => { message: string; waiver: Waiver } | undefined;

let parser: Parser | undefined;
try {
  // policies/waivers.ts is written alongside the pack's waiver support.
  parser = (require("../policies/waivers") as { parseWaiverMessage?: Parser }).parseWaiverMessage;
} catch {
  parser = undefined;
}

export function parseWaiverMessage(message: string): { message: string; waiver: Waiver } | undefined {
  return parser ? parser(message) : undefined;
}
