/* global setTimeout, clearTimeout */
// Once per jest run, before any test file:
// 1. Build the policy pack when a source is newer than its build (build-pack.js).
// 2. Start the shared scanner (scan-service.ts): warm program workers and pack sessions that every
//    test file and jest worker reuses through tests/support/scan.ts. Workers inherit its socket path
//    through E2B_TEST_SCANNER; global-teardown.js stops it.
const { fork } = require("node:child_process");
const { buildPack } = require("./build-pack");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");

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
