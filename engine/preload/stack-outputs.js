/**
 * Preloaded (`node -r`) into every program, and required by the warm workers for each job: notes
 * which outputs the program asks of each StackReference (`getOutput("e2bApiKey")`, `requireOutput`,
 * `getOutputValue`, `getOutputDetails`). Offline a reference's outputs are unknown, so what the
 * program takes from another stack (prod's key, into an ECS container definition) is otherwise
 * only an unknown value depending on the reference (real43 #2); the output's name says what it is.
 * Names only, by the reference's resource name; never a value. The list is a global the module
 * lists (record-modules.js) or the warm worker (program-host.ts) reads.
 */
"use strict";
const path = require("node:path");

const LIST = Symbol.for("e2b-guardrails.stack-output-reads");
const reads = (globalThis[LIST] ??= []);
const METHODS = ["getOutput", "requireOutput", "getOutputValue", "requireOutputValue", "getOutputDetails"];

(function patch() {
  let pulumi;
  try {
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
    pulumi = require(sdkDir);
  } catch {
    return;
  }
  const proto = pulumi.StackReference && pulumi.StackReference.prototype;
  if (!proto || proto[LIST]) return;
  proto[LIST] = true;
  for (const method of METHODS) {
    const original = proto[method];
    if (typeof original !== "function") continue;
    proto[method] = function (name, ...rest) {
      const reference = this.__name;
      if (typeof reference === "string") {
        if (typeof name === "string") note(reference, name);
        // An Input name (`getOutput(pulumi.output("e2bApiKey"))`, a promise): noted once known (rt52 #5).
        else if (name && typeof name.promise === "function") whenKnown(name.promise(), reference);
        else if (name && typeof name.then === "function") whenKnown(name, reference);
      }
      return original.call(this, name, ...rest);
    };
  }
})();

/** Note that the program asks the reference named `reference` for its output `output`. */
function note(reference, output) {
  if (reads.length < 10000 && !reads.some((r) => r.reference === reference && r.output === output))
    reads.push({ reference, output });
}

/** Note the name a promise gives, if it gives a string; a name not known offline is not noted. */
function whenKnown(promise, reference) {
  Promise.resolve(promise).then(
    (name) => typeof name === "string" && note(reference, name),
    () => undefined,
  );
}

module.exports = { stackOutputReads: () => reads };
