/**
 * Temporary folders for tests, removed when the test file ends (tests/support/tmp-cleanup.ts, a
 * `setupFilesAfterEnv` of both jest configs), so a run leaves nothing behind in the system's temp folder.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

/**
 * A copy of the program folder `from` in a new temp folder, the repository's node_modules linked in
 * (so the program resolves our pinned SDK and providers), with `files` (relative path → text) written
 * over it.
 */
export function programCopy(prefix: string, from: string, files: Record<string, string> = {}): string {
  const dir = tmpDir(prefix);
  cpSync(from, dir, { recursive: true });
  symlinkSync(path.resolve(__dirname, "../../node_modules"), path.join(dir, "node_modules"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
