/**
 * `npm run test:unit`: the inner loop. Left out, by what a test file imports (so a new file is
 * classified without being listed anywhere): files that start processes (the shared scanner's pack
 * and programs, the CLI, a browser, a program child) and files that run Pulumi programs in-process
 * under the SDK's mocks (they load the provider SDKs, seconds per file). No global setup: nothing
 * here needs the built pack or the shared scanner.
 * @type {import('jest').Config}
 */
const fs = require("node:fs");
const path = require("node:path");
const base = require("./jest.config");

// What a test file imports when it starts processes or runs Pulumi programs.
const NOT_UNIT = new RegExp(
  [
    'support/scan"',
    "node:child_process",
    "evals/chromium",
    "playwright-core",
    "\\b(runProgram|ProgramPool|AnalyzerHost|openSession|runEvals)\\b",
    "bin/e2b-guardrails",
    'from "@pulumi/pulumi"',
    "support/harness",
  ].join("|"),
);

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : testFiles(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const integration = testFiles(path.join(__dirname, "tests")).filter((f) =>
  NOT_UNIT.test(fs.readFileSync(f, "utf8")),
);

module.exports = {
  ...base,
  globalSetup: undefined,
  globalTeardown: undefined,
  testPathIgnorePatterns: ["/node_modules/", ...integration.map((f) => `^${escape(f)}$`)],
};
