/* global setTimeout, clearTimeout */
// Stops the shared scanner that global-setup.js started, and waits for its pack and program
// processes to be closed.
module.exports = async () => {
  const child = globalThis.__e2bScanner;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.send("stop");
  });
};
