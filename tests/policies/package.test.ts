/**
 * The shape `pulumi policy publish` needs: `npm pack` of policies/ holds everything the pack needs, and
 * the tarball unpacked into an empty consumer folder runs through the engine with the same results as
 * the source tree.
 *
 * The consumer folder gets the tarball's files and, as its node_modules, only the dependencies the
 * tarball's package.json declares, linked from this workspace (the versions `npm ci` installed from
 * the lock file). No npm cache or registry is needed, and nothing undeclared is reachable: the
 * folder is outside the repository, so a file missing from the tarball or a dependency missing from
 * `dependencies` fails the run.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { builtinModules } from "node:module";
import os from "node:os";
import path from "node:path";
import { repoRoot, useScanner } from "../support/scan";
import { fx } from "./helpers";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "e2b-pack-"));
const installed = path.join(work, "app", "node_modules", "e2b-guardrails-policies");
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });

/** Link a declared dependency, as node would resolve it from policies/, into the consumer's node_modules. */
function linkDependency(app: string, name: string): void {
  const target = [path.join(repoRoot, "policies"), repoRoot]
    .map((d) => path.join(d, "node_modules", name))
    .find((d) => fs.existsSync(path.join(d, "package.json")));
  if (!target) throw new Error(`${name}: declared by the pack but not installed in this workspace (npm ci)`);
  const link = path.join(app, "node_modules", name);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, "dir");
}

describe("npm pack tarball", () => {
  let listed: string[] = [];
  beforeAll(() => {
    // The global setup has built dist/; packing must not rebuild it under other running tests.
    const out = npm(
      ["pack", "--ignore-scripts", "--json", "--pack-destination", work],
      path.join(repoRoot, "policies"),
    );
    const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    listed = info.files.map((f) => f.path);
    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ name: "consumer", version: "1.0.0", private: true }),
    );
    fs.mkdirSync(installed, { recursive: true });
    execFileSync("tar", ["-xzf", path.join(work, info.filename), "-C", installed, "--strip-components=1"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) linkDependency(app, dep);
  }, 240_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const fromSource = useScanner();
  const fromTarball = useScanner({ packDir: installed });

  it("lists everything the pack needs", () => {
    for (const f of [
      "PulumiPolicy.yaml",
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/policies.js",
      "dist/detect/walk.js",
    ])
      expect(listed).toContain(f);
    expect(listed.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toBe(false);
    // What was unpacked is exactly what npm listed.
    const unpacked = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return unpacked(p);
        return [path.relative(installed, p)];
      });
    expect(unpacked(installed).sort()).toEqual([...listed].sort());
  });

  it("resolves every package its compiled code requires from what package.json declares", () => {
    // The unpacked pack sits outside the repository: the repository's node_modules are out of reach.
    expect(path.relative(repoRoot, installed).startsWith("..")).toBe(true);
    const required = new Set<string>();
    for (const f of listed.filter((f) => f.endsWith(".js"))) {
      const code = fs.readFileSync(path.join(installed, f), "utf8");
      for (const m of code.matchAll(/require\("([^".][^"]*)"\)/g)) required.add(m[1]);
    }
    const external = [...required].filter((m) => !m.startsWith("node:") && !builtinModules.includes(m));
    expect(external.length).toBeGreaterThan(0);
    for (const m of external) expect(() => require.resolve(m, { paths: [installed] })).not.toThrow();
  });

  it.each([
    ["client-side-key", "prod"],
    ["cost-and-alarms-wrong", "prod"],
    ["pass-multi", "dev"],
  ])("gives the same findings and verdicts as the source tree for %s", async (fixture, stack) => {
    const a = (await fromSource.program(fx(fixture), stack)).stack;
    const b = (await fromTarball.program(fx(fixture), stack)).stack;
    expect(fromTarball.session().host.info.policies.map((p) => p.name)).toEqual(
      fromSource.session().host.info.policies.map((p) => p.name),
    );
    expect(b.cases).toEqual(a.cases);
    expect(b.findings).toEqual(a.findings);
  });
});
