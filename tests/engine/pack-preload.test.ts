/**
 * A JavaScript pack starts without the TypeScript compiler (engine/preload/js-pack.js): the SDK's
 * ts-node set-up gets an inert stand-in, and the closure serializer still gets the real compiler
 * when it is used. Which packs get the preload: engine/pack-process.ts `entryIsJavaScript`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { entryIsJavaScript } from "../../engine/pack-process";
import { tmpDir } from "../support/tmp";

const root = path.resolve(__dirname, "../..");
const preload = path.join(root, "engine/preload/js-pack.js");

/** Run `script` in a process started as the pack's is (the preload, the pack's folder); its JSON output. */
function inPackProcess(script: string): unknown {
  const compilerLoaded =
    "Object.keys(require.cache).some((f) => /[\\\\/]typescript(@[^\\\\/]+)?[\\\\/]/.test(f))";
  const out = execFileSync(
    process.execPath,
    ["-r", preload, "-e", `const compilerLoaded = () => ${compilerLoaded};\n${script}`],
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
    const before = compilerLoaded();
    const parsed = parseFunction("function f(a) { return a + this.x; }");
    console.log(JSON.stringify({ options, before, parsed, after: compilerLoaded() }));
  `);
  expect(r).toMatchObject({
    options: {},
    before: false,
    // The SDK's own answer, from the real compiler.
    parsed: ["", { functionDeclarationName: "f", usesNonLexicalThis: true }],
    after: true,
  });
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
