// The policy pack runs as compiled JavaScript (its package.json `main` is dist/index.js), exactly as
// `pulumi preview --policy-pack policies` would load it. Build it once so every test sees the source
// it is testing.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

module.exports = async () => {
  const root = path.resolve(__dirname, "../..");
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "policies/tsconfig.json"], {
    cwd: root,
    stdio: "inherit",
  });
};
