/**
 * The shape `pulumi policy publish` needs: `npm pack` of policies/ holds everything the pack needs, and
 * the tarball installed into an empty folder (dependencies from the npm cache, no network) runs through
 * the engine with the same results as the source tree.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot, useScanner } from "../support/scan";
import { fx } from "./helpers";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "e2b-pack-"));
const installed = path.join(work, "app", "node_modules", "e2b-guardrails-policies");
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });

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
    npm(
      [
        "install",
        "--offline",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        path.join(work, info.filename),
      ],
      app,
    );
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
    // The installed pack resolves its dependencies from the consumer's folder, not from this repository.
    expect(require.resolve("@pulumi/policy", { paths: [installed] }).startsWith(work)).toBe(true);
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
