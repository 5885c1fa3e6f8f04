/**
 * The pack's own report file: with `E2B_GUARDRAILS_REPORT=<file>` set, `pulumi preview` leaves the same
 * JSON report our CLI writes (DESIGN.md "JSON report"). Written once per stack, when AnalyzeStack ends
 * (analyzer-hooks.ts), atomically, keys redacted. A file we cannot write never breaks the preview.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { redactKeys } from "./detect/keys";
import { redactMaterial } from "./detect/redact";
import { PACK_NAME, PACK_VERSION } from "./pack-info";
import { buildReport, type StackReport } from "./report";

export const REPORT_FILE_ENV = "E2B_GUARDRAILS_REPORT";

/**
 * Where the report goes, or undefined when nobody asked for one. A relative path is the caller's:
 * the Pulumi CLI starts the pack in its own folder, so it is resolved against the folder `pulumi` ran
 * in as the shell's `PWD` names it (a program that starts `pulumi` with another working folder and no
 * shell leaves `PWD` behind: give an absolute path there); failing that, the pack's own folder. Our
 * `preview` hands the pack an absolute path (engine/pack-process.ts).
 */
export function reportFileTarget(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[REPORT_FILE_ENV];
  if (!file) return undefined;
  const base = env.PWD && path.isAbsolute(env.PWD) ? env.PWD : process.cwd();
  return path.resolve(base, file);
}

export function writeReportFile(file: string, stacks: StackReport[]): void {
  try {
    const report = buildReport(stacks, {
      tool: { name: PACK_NAME, version: PACK_VERSION },
      pack: { name: PACK_NAME, version: PACK_VERSION },
    });
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, redactMaterial(JSON.stringify(report, null, 2)) + "\n");
    fs.renameSync(tmp, file);
  } catch (e) {
    reportFileProblem(e);
  }
}

/** Say why on stderr (no key material); the preview goes on. */
export function reportFileProblem(e: unknown): void {
  console.error(`e2b-guardrails: cannot write ${REPORT_FILE_ENV} (${redactKeys(String(e))})`);
}
