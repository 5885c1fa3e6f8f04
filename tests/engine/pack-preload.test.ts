/**
 * A JavaScript pack starts without the TypeScript compiler or npm's install machinery
 * (engine/preload/js-pack.js): the SDK's ts-node set-up gets an inert stand-in, and the closure
 * serializer still gets the real compiler and @npmcli/arborist when it is used. Which packs get the preload: engine/pack-process.ts `entryIsJavaScript`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { entryIsJavaScript } from "../../engine/pack-process";
import { tmpDir } from "../support/tmp";

const root = path.resolve(__dirname, "../..");
const preload = path.join(root, "engine/preload/js-pack.js");

/**
 * Run `script` in a process started as the pack's is (the preload unless `withPreload` is false, the
 * pack's folder); its JSON output. `loaded(name)`: whether a package from node_modules is loaded.
 */
function inPackProcess(script: string, { withPreload = true } = {}): unknown {
  const loaded =
    "(name) => Object.keys(require.cache).some((f) => f.includes(`${require('path').sep}node_modules${require('path').sep}${name}${require('path').sep}`))";
  const out = execFileSync(
    process.execPath,
    [...(withPreload ? ["-r", preload] : []), "-e", `const loaded = ${loaded};\n${script}`],
    { cwd: path.join(root, "policies"), encoding: "utf8" },
  );
  return JSON.parse(out);
}

test("the SDK's TypeScript set-up loads without the compiler; the closure serializer gets it on first use", () => {
  // One process for both steps: each costs a second of loading @pulumi/pulumi.
  const r = inPackProcess(`
    const tsutils = require("@pulumi/pulumi/tsutils");
    tsutils.typeScriptRequireStrings();
    const options = tsutils.loadTypeScriptCompilerOptions("tsconfig.json"); // policies/ has one
    const { parseFunction } = require("@pulumi/pulumi/runtime/closure/parseFunction");
    const before = loaded("typescript");
    const parsed = parseFunction("function f(a) { return a + this.x; }");
    console.log(JSON.stringify({ options, before, parsed, after: loaded("typescript") }));
  `);
  expect(r).toMatchObject({
    options: {},
    before: false,
    // The SDK's own answer, from the real compiler.
    parsed: ["", { functionDeclarationName: "f", usesNonLexicalThis: true }],
    after: true,
  });
});

test("npm's install machinery loads when the closure serializer first walks a program's packages", () => {
  const script = `
    require("@pulumi/pulumi");
    const before = loaded("@npmcli/arborist");
    const { computeCodePaths } = require("@pulumi/pulumi/runtime/closure/codePaths");
    computeCodePaths().then((paths) =>
      console.log(JSON.stringify({ before, paths: [...paths.keys()].sort(), after: loaded("@npmcli/arborist") })),
    );
  `;
  const withPreload = inPackProcess(script) as { paths: string[] };
  expect(withPreload).toMatchObject({ before: false, after: true });
  expect(withPreload.paths).toContain("../node_modules/tar");
  // The SDK's own answer without the preload: the same packages.
  expect(inPackProcess(script, { withPreload: false })).toEqual({ ...withPreload, before: true });
});

describe("entryIsJavaScript: which packs start with the preload", () => {
  const pack = (files: Record<string, string>) => {
    const dir = tmpDir("pack-entry-");
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };

  it.each([
    ["ours (dist/index.js)", path.join(root, "policies"), true],
    ["a third-party JavaScript pack", path.join(root, "tests/engine/fixtures/foreign-pack"), true],
    ["index.js and no package.json", pack({ "index.js": "" }), true],
    ["a TypeScript entry", pack({ "package.json": '{"main":"index.ts"}', "index.ts": "" }), false],
    ["no main and only index.ts", pack({ "index.ts": "" }), false],
    ["an entry not built yet", pack({ "package.json": '{"main":"dist/index.js"}', "index.ts": "" }), false],
    ["an extensionless main", pack({ "package.json": '{"main":"lib/index"}', "lib/index.js": "" }), false],
  ])("%s", (_what, dir, expected) => {
    expect(entryIsJavaScript(dir)).toBe(expected);
  });
});
