// Jest's runtime (jest.config.js `runtime`), with V8's code cache of each module kept for the worker's
// next test files (code-cache.js says why). jest-runtime compiles each module with
// `vm.compileFunction(code, params, { filename, importModuleDynamically, parsingContext })`; this
// worker process's `vm` is patched once, and should jest compile some other way, it only loses the
// cache.
const vm = require("node:vm");
const { withCodeCache } = require("./code-cache");

vm.compileFunction = withCodeCache(vm.compileFunction);

module.exports = require("jest-runtime");
