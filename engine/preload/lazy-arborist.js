/**
 * Preloaded (`node -r`) into policy packs (through js-pack.js) and programs (language-host.ts).
 * @pulumi/pulumi's runtime/closure/codePaths.js requires `@npmcli/arborist`, npm's install machinery
 * (about 0.3 s of CPU), as the SDK loads, for the one function that walks a program's packages when
 * a function's code is serialized (a Lambda's `CallbackFunction`). A pack never does that and most
 * programs do not: the package loads on first use instead, so nothing behaves differently.
 * Only where codePaths.js imports it with `__importStar` (the SDKs from about 3.150 to 3.27x; older
 * ones use read-package-tree, newer ones no arborist at all): the stand-in is made for that shape.
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { onFirstUse } = require("./on-first-use.js");

const codePaths = path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js");
const importShape = '__importStar(require("@npmcli/arborist"))';

function importedAsNamespace(file) {
  try {
    return fs.readFileSync(file, "utf8").includes(importShape);
  } catch {
    return false;
  }
}

const load = Module._load;
Module._load = function loadArboristOnFirstUse(request, parent, isMain) {
  const from = parent?.filename ?? "";
  if (request === "@npmcli/arborist" && from.endsWith(codePaths) && importedAsNamespace(from)) {
    return onFirstUse(() => load.call(this, request, parent, isMain), { esModule: true });
  }
  return load.call(this, request, parent, isMain);
};
