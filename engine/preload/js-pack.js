/**
 * Preloaded (`node -r`) into a policy pack's process when the pack's entry point is JavaScript (ours
 * ships dist/index.js, and so does any pack from `npm pack`). @pulumi/pulumi loads the TypeScript
 * compiler at start-up in every pack, about 0.6 s of CPU, a third of the pack's start, though a
 * JavaScript pack never needs it:
 * - cmd/run-policy-pack/run.js registers ts-node for the pack, and tsutils.js probes for
 *   `typescript`, `ts-node` and a tsconfig.json to do so. With nothing to compile, those requires get
 *   an inert stand-in: the registration does nothing, as it would for JavaScript.
 * - runtime/closure/parseFunction.js requires the compiler at load, for function serialization,
 *   which a pack does not do: it gets the real module on first use instead.
 * - runtime/closure/codePaths.js, for the same serialization, requires `@npmcli/arborist` (npm's
 *   install machinery, about 0.4 s of CPU, a quarter of what is left of the start): on first use too.
 * Every other module, including any other `require("typescript")`, loads as usual. A TypeScript
 * pack is started without this file (engine/pack-process.ts).
 */
"use strict";
const Module = require("node:module");
const path = require("node:path");

const sdk = path.join("@pulumi", "pulumi");
const glue = [path.join(sdk, "tsutils.js"), path.join(sdk, "cmd", "run-policy-pack", "run.js")];
const compilerRequest = /(^|[\\/])(typescript|ts-node)([@\\/.]|$)|typescript-shim$/;
const codePaths = path.join(sdk, "runtime", "closure", "codePaths.js");

// run.js reads `version` (to pick ts-node's module setting) and calls `register`; tsutils.js reads
// `version`/`VERSION` for a debug line and, with a tsconfig.json, `parseConfigFileTextToJson` in a
// try (a missing function is an ignored error there: no compiler options, which nothing then uses).
const inert = Object.freeze({ version: undefined, VERSION: undefined, register: () => undefined });

/**
 * The module `load()` returns, loaded on the first look inside it. `esModule`: answer `__esModule`
 * without loading, so that TypeScript's `__importStar` takes the stand-in as it is instead of
 * copying the real module's keys at import.
 */
function onFirstUse(load, { esModule = false } = {}) {
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (esModule && key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

const load = Module._load;
Module._load = function loadSerializerToolsOnFirstUse(request, parent, isMain) {
  const from = parent?.filename ?? "";
  if (compilerRequest.test(request) && from.includes(sdk + path.sep)) {
    if (glue.some((file) => from.endsWith(file))) return inert;
    return onFirstUse(() => load.call(this, request, parent, isMain));
  }
  if (request === "@npmcli/arborist" && from.endsWith(codePaths)) {
    return onFirstUse(() => load.call(this, request, parent, isMain), { esModule: true });
  }
  return load.call(this, request, parent, isMain);
};
