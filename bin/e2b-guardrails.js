#!/usr/bin/env node
// The command runs from TypeScript sources through tsx's require hook: one tree, no stale build.
require("tsx/cjs");
require("../cli/main.ts");
