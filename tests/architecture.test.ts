/**
 * The rooms' boundaries from DESIGN.md and docs/architecture.md, checked on the import graph: the pack
 * is self-contained (so `pulumi policy publish` can pack it); the engine knows no policy (it speaks
 * only the analyzer protocol; it may use the key redactor so no program output it relays can leak a
 * key, and the enforcement-level vocabulary); other rooms reach the pack through its facade; and data
 * flows one way, engine → scan → reports/evals → cli, never back.
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
  const specs = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*|import\s+)["'](\.[^"']+)["']/g)].map(
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

  it("engine/ imports no policy, only the key redactors, the enforcement levels and the config vocabulary", () => {
    // detect/hidden-config.ts: the marker of an undecrypted config value, which the engine writes and
    // the pack reads (the offline engine's one extension of what the CLI sends); config-settings.ts:
    // which policies and settings a pack config may name, from the pack's own schemas;
    // detect/redact.ts: the stricter redactor, for a failed program's error and output, redacted whole
    // before they are cut to their first and last lines; detect/spelled-keys.ts: a known key spelled
    // out a character at a time, masked in what a run prints.
    const allowed = [
      "policies/detect/keys",
      "policies/detect/redact",
      "policies/detect/spelled-keys",
      "policies/enforcement",
      "policies/detect/hidden-config",
      "policies/config-settings",
    ].map((p) => path.join(root, p));
    const uses = sources(path.join(root, "engine")).flatMap((f) =>
      relativeImports(f)
        .filter((t) => t.startsWith(path.join(root, "policies")) && !allowed.includes(t))
        .map((t) => `${path.relative(root, f)} → ${path.relative(root, t)}`),
    );
    expect(uses).toEqual([]);
  });

  it("other rooms reach the pack through its facade (policies/api.ts) and its public leaf modules", () => {
    // model.ts: the environment model components are built on; cost.ts: the cost model and the one
    // price table; enforcement.ts: the level vocabulary; detect/keys.ts: the redactor every output uses;
    // credential-shapes.ts: what a credential looks like, shared by e2b-06 and the in-sandbox runtime;
    // detect/redact.ts: the stricter redactor stderr uses (encoded copies too); detect/hidden-config.ts:
    // the undecrypted-config marker the engine writes; config-settings.ts: what a pack config may name,
    // refused alike by the engine's reconciliation and the pack's Configure; detect/material.ts: key
    // material in any encoding, which the runtime guard checks what a sandbox is given with;
    // detect/byte-runs.ts: numbers read as bytes, in which the guard looks for the caller's own key too;
    // detect/spelled-keys.ts: a known key spelled out a character at a time (the run's keys, the guard's own).
    const publicModules = [
      "api",
      "model",
      "cost",
      "enforcement",
      "detect/keys",
      "detect/redact",
      "detect/material",
      "detect/byte-runs",
      "detect/spelled-keys",
      "detect/hidden-config",
      "config-settings",
      "credential-shapes",
    ].map((m) => path.join(root, "policies", m));
    // bench/ is not a room of the product: the detector benchmark times the pack's internals directly.
    const rooms = ["cli", "scan", "reports", "evals", "runtime", "components", "stacks", "engine"];
    const bypasses = rooms.flatMap((room) =>
      sources(path.join(root, room)).flatMap((f) =>
        relativeImports(f)
          .filter((t) => t.startsWith(path.join(root, "policies") + path.sep) && !publicModules.includes(t))
          .map((t) => `${path.relative(root, f)} → ${path.relative(root, t)}`),
      ),
    );
    expect(bypasses).toEqual([]);
  });

  it("data flows one way: no room imports a room downstream of it", () => {
    // Each room and the rooms it may import (besides policies/, whose use is checked above).
    const upstream: Record<string, string[]> = {
      engine: [],
      reports: ["engine"],
      scan: ["engine", "reports"],
      evals: ["engine", "reports", "scan", "components"],
      runtime: [],
      components: ["runtime"],
      stacks: ["components"],
      cli: ["engine", "reports", "scan", "evals", "runtime"],
      bench: ["engine", "scan"],
    };
    const roomOf = (file: string) => path.relative(root, file).split(path.sep)[0];
    const wrong = Object.entries(upstream).flatMap(([room, allowed]) =>
      sources(path.join(root, room)).flatMap((f) =>
        relativeImports(f)
          .map((t) => ({ t, to: roomOf(t) }))
          .filter(({ to }) => to !== room && to !== "policies" && to in upstream && !allowed.includes(to))
          .map(({ t }) => `${path.relative(root, f)} → ${path.relative(root, t)}`),
      ),
    );
    expect(wrong).toEqual([]);
  });
});
