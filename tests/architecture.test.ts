/**
 * The rooms' boundaries from DESIGN.md, checked on the import graph: the pack is self-contained (so
 * `pulumi policy publish` can pack it) and the engine knows no policy (it speaks only the analyzer
 * protocol; it may use the key redactor so no program output it relays can leak a key).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (f === "node_modules" || f === "dist") return [];
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|js)$/.test(f) ? [p] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["'](\.[^"']+)["']/g)].map(
    (m) => m[1],
  );
  return specs.map((s) => path.resolve(path.dirname(file), s));
}

describe("architecture", () => {
  it("policies/ imports nothing from outside its folder", () => {
    const pack = path.join(root, "policies");
    const escapes = sources(pack).flatMap((f) =>
      relativeImports(f)
        .filter((target) => !target.startsWith(pack + path.sep) && target !== pack)
        .map((target) => `${path.relative(root, f)} → ${path.relative(root, target)}`),
    );
    expect(escapes).toEqual([]);
  });

  it("engine/ imports no policy, only the key redactor", () => {
    const allowed = path.join(root, "policies/detect/keys");
    const uses = sources(path.join(root, "engine")).flatMap((f) =>
      relativeImports(f)
        .filter((t) => t.startsWith(path.join(root, "policies")) && t !== allowed)
        .map((t) => `${path.relative(root, f)} → ${path.relative(root, t)}`),
    );
    expect(uses).toEqual([]);
  });
});
