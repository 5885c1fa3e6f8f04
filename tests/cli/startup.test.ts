/**
 * The command table (cli/main.ts) loads only what building it needs: every command, and every test
 * that spawns the bin, pays for what it loads. `--help` must not load the e2b SDK, zod, the engine's
 * gRPC and JSON-schema machinery, the pack's rules or any renderer; a command loads its own modules
 * when it runs (the lazy requires in cli/*.ts).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(__dirname, "../..");

/** The modules a fresh process has loaded after building the command table (and optionally more). */
function loadedAfter(script: string): string[] {
  const out = execFileSync(
    process.execPath,
    ["-r", "tsx/cjs", "-e", `${script}; process.stdout.write(JSON.stringify(Object.keys(require.cache)))`],
    { cwd: root, encoding: "utf8" },
  );
  return (JSON.parse(out) as string[]).map((f) => path.relative(root, f));
}

const heavy = [
  /^node_modules\/e2b\//,
  /^node_modules\/zod\//,
  /^node_modules\/@grpc\//,
  /^node_modules\/ajv\//,
  /^node_modules\/xmlbuilder2\//,
  /^node_modules\/yaml\//,
  /^policies\/api\.ts$/,
  /^engine\/analyzer-host\.ts$/,
  /^reports\/(html|junit|sarif|markdown|text)\.ts$/,
  /^runtime\/audit-run\.ts$/,
];

test("building the command table (what --help needs) loads none of the commands' own modules", () => {
  const loaded = loadedAfter(
    `require("./cli/output.ts").installOutputGuards(); require("./cli/main.ts").buildProgram()`,
  );
  expect(loaded).toContain("cli/main.ts");
  expect(loaded.filter((f) => heavy.some((h) => h.test(f)))).toEqual([]);
});

test("rendering one format loads that renderer only", () => {
  const loaded = loadedAfter(
    `const { render } = require("./reports/index.ts"); render("json", { generatedAt: "", stacks: [] })`,
  );
  expect(loaded).toContain("reports/json.ts");
  expect(loaded.filter((f) => /^reports\/(html|junit|sarif|markdown|text)\.ts$/.test(f))).toEqual([]);
});
