/**
 * `npm run test:unit`: the inner loop. Left out, by what a file imports (tests/support/kinds.js, so a
 * new file is sorted without being listed anywhere): files that start processes or run Pulumi
 * programs. No global setup: nothing here needs the built pack or the shared scanner.
 * @type {import('jest').Config}
 */
const fs = require("node:fs");
const path = require("node:path");
const base = require("./jest.config");
const { isUnitTest } = require("./tests/support/kinds");

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : testFiles(p);
    return e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const notUnit = testFiles(path.join(__dirname, "tests")).filter((f) => !isUnitTest(f));

module.exports = {
  ...base,
  globalSetup: undefined,
  globalTeardown: undefined,
  testPathIgnorePatterns: ["/node_modules/", ...notUnit.map((f) => `^${escape(f)}$`)],
};
