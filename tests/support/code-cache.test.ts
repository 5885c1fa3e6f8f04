import vm from "node:vm";

type Compile = typeof vm.compileFunction & {
  stats: { compiled: number; fromCache: number; rejected: number };
};
// Plain JavaScript: jest's worker loads it (code-cache-runtime.js) before any transform.
const { withCodeCache } = require("./code-cache") as {
  withCodeCache: (c: typeof vm.compileFunction, script?: typeof vm.Script) => Compile;
};
const params = ["exports", "require", "module"];
const moduleSource = [
  "const double = (n) => n * 2;",
  "exports.answer = double(21);",
  "exports.fail = () => { throw new Error('boom'); };",
].join("\n");

/** What jest does for a module in one test file: compile in that file's context, then run it. */
function load(compile: Compile, code: string, filename = "/repo/module.js") {
  const context = vm.createContext({});
  const fn = compile(code, params, { filename, parsingContext: context });
  const exports: Record<string, unknown> = {};
  fn.call(exports, exports, require, { exports });
  return exports as { answer: number; fail: () => never };
}

const frameOf = (run: () => unknown) => {
  try {
    run();
  } catch (e) {
    return (e as Error).stack!.split("\n")[1].trim();
  }
  throw new Error("did not throw");
};

describe("V8 code cache for jest's module compiles", () => {
  it("serves the module's second load, in another test file's context, from the cache", () => {
    const compile = withCodeCache(vm.compileFunction);
    expect(load(compile, moduleSource).answer).toBe(42);
    expect(load(compile, moduleSource).answer).toBe(42);
    expect(load(compile, moduleSource).answer).toBe(42);
    expect(compile.stats).toEqual({ compiled: 3, fromCache: 2, rejected: 0 });
  });

  it("keeps the lines and columns errors point at", () => {
    const compile = withCodeCache(vm.compileFunction);
    const first = load(compile, moduleSource);
    const cached = load(compile, moduleSource);
    expect(frameOf(first.fail)).toMatch(/\/repo\/module\.js:3:30\)$/);
    expect(frameOf(cached.fail)).toBe(frameOf(first.fail));
    const onLineOne = "throw new Error('at load');";
    expect(frameOf(() => load(compile, onLineOne, "/repo/line1.js"))).toMatch(/\/repo\/line1\.js:1:7\)$/);
  });

  it("makes a cache V8 rejected (its flags changed since) again", () => {
    // V8 rejects a cache made under other flags; this Script does so for the first cache it gets.
    let rejectNext = true;
    class FlagsChanged extends vm.Script {
      constructor(source: string, options: vm.ScriptOptions) {
        super(source, options);
        if (options.cachedData && rejectNext) [this.cachedDataRejected, rejectNext] = [true, false];
      }
    }
    const compile = withCodeCache(vm.compileFunction, FlagsChanged);
    for (let i = 0; i < 4; i++) expect(load(compile, moduleSource).answer).toBe(42);
    expect(compile.stats).toEqual({ compiled: 4, fromCache: 2, rejected: 1 });
  });

  it("compiles a changed source afresh", () => {
    const compile = withCodeCache(vm.compileFunction);
    expect(load(compile, moduleSource).answer).toBe(42);
    expect(load(compile, moduleSource.replace("21", "20")).answer).toBe(40);
    expect(compile.stats.fromCache).toBe(0);
  });

  it("leaves calls that are not a module wrapper to vm.compileFunction", () => {
    const calls: unknown[][] = [];
    const inner = ((...args: unknown[]) => {
      calls.push(args);
      return () => 1;
    }) as unknown as typeof vm.compileFunction;
    const compile = withCodeCache(inner);
    compile("return 1", [], { filename: "/repo/x.js" });
    expect(calls).toHaveLength(1);
    expect(compile.stats.compiled).toBe(0);
  });
});
