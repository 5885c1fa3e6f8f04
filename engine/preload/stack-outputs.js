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
      if (typeof name === "string" && typeof reference === "string" && reads.length < 10000)
        if (!reads.some((r) => r.reference === reference && r.output === name))
          reads.push({ reference, output: name });
      return original.call(this, name, ...rest);
    };
  }
})();

module.exports = { stackOutputReads: () => reads };
