/* global setTimeout, clearTimeout */
// Stops the shared scanner that global-setup.js started, and waits for its pack and program
// processes to be closed.
const fs = require("node:fs");
const path = require("node:path");

module.exports = async () => {
  const { child, socket } = globalThis.__e2bScanner ?? {};
  if (!child) return;
  if (child.exitCode === null) await stop(child);
  // The service removes its socket folder itself, unless it had to be killed.
  fs.rmSync(path.dirname(socket), { recursive: true, force: true });
};

function stop(child) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Its whole process group (global-setup.js made it a leader): no pack or program left behind.
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      resolve();
    }, 30_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.send("stop");
  });
}
