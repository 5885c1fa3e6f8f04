/* global setTimeout, clearTimeout */
// Once per jest run, before any test file:
// 1. Build the policy pack: it runs as compiled JavaScript (its package.json `main` is dist/index.js),
//    exactly as `pulumi preview --policy-pack policies` would load it, so every test sees the source
//    it is testing. Skipped when no source is newer than the last build (`npm ci` builds it): even
//    with nothing to emit, tsc spends about 4 s of CPU reading the program, before any test starts.
// 2. Start the shared scanner (scan-service.ts): warm program workers and pack sessions that every
//    test file and jest worker reuses through tests/support/scan.ts. Workers inherit its socket path
//    through E2B_TEST_SCANNER; global-teardown.js stops it.
const { execFileSync, fork } = require("node:child_process");
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

function startScanner() {
  const child = fork(path.join(__dirname, "scan-service.ts"), [], {
    cwd: root,
    execArgv: ["--require", require.resolve("tsx/cjs")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // Its own process group, with its packs and program workers: if it must be killed, they go too.
    detached: true,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the shared scanner did not start within 60s"));
    }, 60_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve({ child, socket: m.socket });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the shared scanner exited (${signal ?? code}) before it was ready`));
    });
  });
}

module.exports = async () => {
  buildPack();
  const { child, socket } = await startScanner();
  // Jest workers never use the IPC channel; it only tells the service when jest has gone.
  child.unref();
  child.channel?.unref();
  globalThis.__e2bScanner = { child, socket };
  process.env.E2B_TEST_SCANNER = socket;
};
