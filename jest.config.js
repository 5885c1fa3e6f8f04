/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // Type-checking is `npm run typecheck`; tests only transpile so they start fast.
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  // e2b requires ESM-only chalk; see tests/support/chalk-plain.js.
  moduleNameMapper: { "^chalk$": "<rootDir>/tests/support/chalk-plain.js" },
  globalSetup: "<rootDir>/tests/support/global-setup.js",
  testTimeout: 60000,
  maxWorkers: "50%",
};
