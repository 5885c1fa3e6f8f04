/**
 * Everything: unit tests, and the tests that drive the policy pack, programs, the CLI and a browser.
 * The global setup builds the pack and starts the run's shared scanner (tests/support/scan-service.ts),
 * so no test file pays for its own pack and program processes. `jest.unit.config.js` is the inner loop.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // The @pulumi/pulumi version matrix installs SDKs first: `npm run test:compat` (jest.compat.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/compat/"],
  // Type-checking is `npm run typecheck`; tests only strip types (esbuild) so they start fast.
  transform: { "^.+\\.ts$": "<rootDir>/tests/support/ts-transform.js" },
  // Jest's runtime, keeping V8's code cache of each module for the worker's next test files.
  runtime: "<rootDir>/tests/support/code-cache-runtime.js",
  // e2b requires ESM-only chalk; see tests/support/chalk-plain.js.
  moduleNameMapper: { "^chalk$": "<rootDir>/tests/support/chalk-plain.js" },
  // Modules @pulumi/pulumi requires but rarely uses load on first use (tests/support/lazy-modules.ts).
  setupFiles: ["<rootDir>/tests/support/lazy-modules.ts"],
  // Temporary folders made with tests/support/tmp.ts are removed when their test file ends.
  setupFilesAfterEnv: ["<rootDir>/tests/support/tmp-cleanup.ts"],
  globalSetup: "<rootDir>/tests/support/global-setup.js",
  globalTeardown: "<rootDir>/tests/support/global-teardown.js",
  // Without timings from an earlier run, start the process-driving (long) files first.
  testSequencer: "<rootDir>/tests/support/sequencer.js",
  // A cap, not a measure: CLI tests spawn the binary several times in one test, and a machine shared
  // with other work can make one spawn take many times its usual second or two.
  testTimeout: 180000,
  // Most of a worker's time is spent waiting on other processes (the shared scanner's packs and
  // program workers, the binary), so one worker more than the cores keeps them busy.
  maxWorkers: Math.max(2, require("node:os").availableParallelism() + 1),
};
