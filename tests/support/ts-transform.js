// Jest's transform for our TypeScript: esbuild strips the types (the project is isolatedModules, so
// nothing needs the type checker; `npm run typecheck` checks types). Several times faster than
// ts-jest's TypeScript transpile, which on a cold cache was a large part of a file's start-up.
const { createHash } = require("node:crypto");
const { transformSync, version } = require("esbuild");

const options = { loader: "ts", format: "cjs", target: "node20", sourcemap: "external" };

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { ...options, sourcefile: filename });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash("sha256")
      .update(`${version}\0${JSON.stringify(options)}\0${filename}\0`)
      .update(source)
      .digest("hex");
  },
};
