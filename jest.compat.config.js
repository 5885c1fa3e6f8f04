/**
 * `npm run test:compat`: previews our compat programs under several @pulumi/pulumi releases, each
 * installed from the npm registry on first use (so it is a separate script from `npm test`).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests/compat"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "<rootDir>/tests/support/ts-transform.js" },
  moduleNameMapper: { "^chalk$": "<rootDir>/tests/support/chalk-plain.js" },
  // The pack built as under `npm test`; these tests open their own pack sessions, not the shared scanner.
  globalSetup: "<rootDir>/tests/support/build-pack.js",
  testTimeout: 15 * 60 * 1000,
  maxWorkers: 1,
};
