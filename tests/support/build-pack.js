// Builds the policy pack (policies/dist) before a jest run, unless it is current: the pack runs as
// compiled JavaScript, exactly as `pulumi preview --policy-pack policies` would load it, so every test
// sees the source it is testing. Skipped when no source is newer than the last build (`npm ci` builds
// it): even with nothing to emit, tsc spends about 4 s of CPU reading the program. The global setup of
// `npm run test:compat` (jest.compat.config.js), which needs the pack and not the shared scanner; and a
// step of global-setup.js.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");

/** The newest modification time among the pack's sources (what policies/tsconfig.json includes) and its config. */
function newestSource() {
  const dir = path.join(root, "policies");
  let newest = fs.statSync(path.join(dir, "tsconfig.json")).mtimeMs;
  const walk = (d, deep) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (deep) walk(p, true);
      } else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(dir, false);
  walk(path.join(dir, "detect"), true);
  return newest;
}

function packBuildIsCurrent() {
  const built = (f) => fs.statSync(path.join(root, "policies/dist", f), { throwIfNoEntry: false })?.mtimeMs;
  const info = built(".tsbuildinfo");
  return info !== undefined && built("index.js") !== undefined && newestSource() <= info;
}

function buildPack() {
  if (packBuildIsCurrent()) return;
  const started = new Date();
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "policies/tsconfig.json"], {
    cwd: root,
    stdio: "inherit",
  });
  // tsc leaves its build info alone when no output changed (a source touched, not edited): mark the
  // build as current from when it started, so the next run skips it.
  fs.utimesSync(path.join(root, "policies/dist/.tsbuildinfo"), started, started);
}

module.exports = async () => buildPack();
module.exports.buildPack = buildPack;
