/**
 * V8 code caching for jest's module compiles (installed by code-cache-runtime.js).
 *
 * Jest gives every test file a fresh module registry and compiles each module it loads anew with
 * `vm.compileFunction`, which V8 does not cache: a worker that runs 30 files compiles zod, yaml and
 * @pulumi/pulumi 30 times. In a full run that was 30 s of the jest workers' CPU, measured by timing
 * the calls (zod alone: 7,885 module compiles, 82 MB of source); 17 s with this cache, most of it each
 * worker's first compile of a module and reading the caches. Here each module is compiled as a
 * script that evaluates to the same function, and once the module has run, V8's cache of it (lazily
 * compiled functions included) is kept for the next file that loads the same source. A missing or
 * rejected cache just compiles, so a test never behaves differently; only the time changes.
 */
const vm = require("node:vm");

/**
 * A `vm.compileFunction` with the same results that reuses V8's code cache per filename and source.
 * Only jest's module wrapper calls (a filename and a `parsingContext`) are cached; other calls go to
 * `compileFunction` unchanged. A cache V8 rejects is made again from that compile: V8 rejects the
 * caches made before its flags changed, and `@pulumi/pulumi` sets `--allow-natives-syntax` as it loads
 * (runtime/closure/v8.js), which left 9 in 10 compiles of a full run uncached until this was done.
 * `stats` counts the cached compiles, for the tests.
 */
function withCodeCache(compileFunction, Script = vm.Script) {
  /** filename → the source compiled, and its script until its cache is taken, then the cache. */
  const compiled = new Map();
  const stats = { compiled: 0, fromCache: 0, rejected: 0 };

  function cachedCompileFunction(code, params = [], options = {}) {
    const { filename, parsingContext, importModuleDynamically } = options;
    if (!filename || !parsingContext || options.cachedData || options.produceCachedData) {
      return compileFunction.call(this, code, params, options);
    }
    let entry = compiled.get(filename);
    if (entry && entry.code !== code) entry = undefined;
    if (entry && entry.script) {
      // The file that first loaded the module has run it by now: the cache holds what ran.
      entry.cachedData = entry.script.createCachedData();
      entry.script = undefined;
    }
    // The head on the module's first line keeps every line number; the column offset, line 1's columns.
    const head = `(function (${params.join(", ")}) {`;
    const script = new Script(`${head}${code}\n})`, {
      filename,
      columnOffset: -head.length,
      cachedData: entry?.cachedData,
      importModuleDynamically,
    });
    stats.compiled++;
    if (entry?.cachedData && !script.cachedDataRejected) stats.fromCache++;
    else {
      if (entry?.cachedData) stats.rejected++;
      compiled.set(filename, { code, script });
    }
    return script.runInContext(parsingContext);
  }
  cachedCompileFunction.stats = stats;
  return cachedCompileFunction;
}

module.exports = { withCodeCache };
