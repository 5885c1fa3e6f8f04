// Which test files are unit tests, by what they import: a file that starts processes (the shared
// scanner's pack and programs, the CLI, a browser, a program child) or runs Pulumi programs in-process
// under the SDK's mocks (loading the provider SDKs, seconds per file) is not. Used by
// jest.unit.config.js (the inner loop) and sequencer.js (what starts first).
const fs = require("node:fs");

const NOT_UNIT = new RegExp(
  [
    'support/scan"',
    'support/cli"',
    "node:child_process",
    "evals/chromium",
    "playwright-core",
    "\\b(runProgram|ProgramPool|AnalyzerHost|openSession|runEvals)\\b",
    "bin/e2b-guardrails",
    'from "@pulumi/pulumi"',
    "support/harness",
  ].join("|"),
);

function isUnitTest(file) {
  return !NOT_UNIT.test(fs.readFileSync(file, "utf8"));
}

module.exports = { isUnitTest };
