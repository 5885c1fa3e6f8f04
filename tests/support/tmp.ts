/**
 * Temporary folders for tests, removed when the test file ends (tests/support/tmp-cleanup.ts, a
 * `setupFilesAfterEnv` of both jest configs), so a run leaves nothing behind in the system's temp folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const made: string[] = [];

/** A new empty folder under the system's temp folder, named `<prefix>XXXXXX`. */
export function tmpDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder `tmpDir` made in this test file. */
export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
