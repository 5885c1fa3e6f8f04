/** The pack's name and version, as CrossGuard and the report file name it. */
import * as fs from "node:fs";
import * as path from "node:path";

export const PACK_NAME = "e2b-guardrails";

function packVersion(): string {
  for (const p of [path.join(__dirname, "package.json"), path.join(__dirname, "..", "package.json")]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(p, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "e2b-guardrails-policies" && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return "0.0.0";
}

export const PACK_VERSION = packVersion();
