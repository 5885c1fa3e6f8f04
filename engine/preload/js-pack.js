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
 * - runtime/closure/codePaths.js, for the same serialization, requires `@npmcli/arborist`: on first
 *   use too (lazy-arborist.js, which programs get as well).
 * Every other module, including any other `require("typescript")`, loads as usual. A TypeScript
 * pack is started without this file (engine/pack-process.ts).
 */
"use strict";
const Module = require("node:module");
const path = require("node:path");
const { onFirstUse } = require("./on-first-use.js");
require("./lazy-arborist.js");

const sdk = path.join("@pulumi", "pulumi");
const glue = [path.join(sdk, "tsutils.js"), path.join(sdk, "cmd", "run-policy-pack", "run.js")];
const compilerRequest = /(^|[\\/])(typescript|ts-node)([@\\/.]|$)|typescript-shim$/;

// run.js reads `version` (to pick ts-node's module setting) and calls `register`; tsutils.js reads
// `version`/`VERSION` for a debug line and, with a tsconfig.json, `parseConfigFileTextToJson` in a
// try (a missing function is an ignored error there: no compiler options, which nothing then uses).
const inert = Object.freeze({ version: undefined, VERSION: undefined, register: () => undefined });

const load = Module._load;
Module._load = function loadCompilerOnlyWhenUsed(request, parent, isMain) {
  const from = parent?.filename ?? "";
  if (compilerRequest.test(request) && from.includes(sdk + path.sep)) {
    if (glue.some((file) => from.endsWith(file))) return inert;
    return onFirstUse(() => load.call(this, request, parent, isMain));
  }
  return load.call(this, request, parent, isMain);
};
