/**
 * The precompile experiment of the start-up measure: the CLI's start-up set (bin, cli/main.ts and
 * what it imports statically) bundled by esbuild into one plain-JS file, with every lazy `require`
 * left to load its TypeScript source through tsx at run time, as the bin does. It answers "what
 * would precompiling save over tsx", not a way to ship the CLI: nothing here checks staleness.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(__dirname, "..");

/** Write the bundle into `dir`; returns the file to run in place of bin/e2b-guardrails.js. */
export async function buildStartupBundle(dir: string): Promise<string> {
  const entry = path.join(dir, "startup-entry.ts");
  const out = path.join(dir, "startup-bundle.js");
  // The bin's own steps, in its order, with the modules it requires imported statically.
  writeFileSync(
    entry,
    [
      `require("tsx/cjs");`,
      `const { installOutputGuards, installCrashGuards, finalExitCode } = require(${JSON.stringify(path.join(root, "cli/output.ts"))});`,
      `installOutputGuards();`,
      `installCrashGuards(process.argv.includes("--debug"));`,
      `const { main } = require(${JSON.stringify(path.join(root, "cli/main.ts"))});`,
      `require(${JSON.stringify(path.join(root, "engine/children.ts"))}).endChildrenOnSignals();`,
      `main(process.argv).then((code: number) => process.stdout.write("", () => process.exit(finalExitCode(code))));`,
    ].join("\n"),
  );
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "warning",
    plugins: [
      {
        name: "lazy-requires-stay-lazy",
        setup(b) {
          // A `require()` inside our sources (not the entry's) is a lazy load: keep it one, by absolute path.
          b.onResolve({ filter: /^\./ }, (args) => {
            if (args.kind !== "require-call" || args.importer === entry) return undefined;
            const target = path.resolve(args.resolveDir, args.path);
            return { path: target, external: true };
          });
          // Packages by absolute path: the bundle is written outside the checkout.
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith("node:") || !args.resolveDir
              ? undefined
              : // The entry is written in `dir`: its packages are the checkout's.
                { path: require.resolve(args.path, { paths: [args.resolveDir, root] }), external: true },
          );
        },
      },
    ],
  });
  return out;
}
