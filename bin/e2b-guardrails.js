#!/usr/bin/env node
// The command runs from TypeScript sources through tsx's require hook: one tree, no stale build.
require("tsx/cjs");
const { installOutputGuards, installCrashGuards, finalExitCode } = require("../cli/output.ts");

// First: every byte written from here on is redacted, and output errors become exit 2, not a crash.
installOutputGuards();
installCrashGuards(process.argv.includes("--debug"));
const { main } = require("../cli/main.ts");
// SIGINT/SIGTERM/SIGHUP (a cancelled CI job) end the pack and program processes too, then exit 130/143/129.
require("../engine/children.ts").endChildrenOnSignals();

main(process.argv).then((code) => {
  // Exit only once stdout has flushed, so a piped report is never cut short.
  process.stdout.write("", () => process.exit(finalExitCode(code)));
});
