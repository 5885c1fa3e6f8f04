/**
 * Preloaded (`node -r`, never `--require`: cmd/run looks for that literal flag to decide ESM mode)
 * into every program. @pulumi/pulumi's cmd/run formats an uncaught error with
 * `util.inspect(err, { colors: true })`; on Node 20 that loops in `markNodeModules` for stack frames
 * like `node_modules/@pulumi/output.ts` (what ts-node's source maps make of SDK frames,
 * nodejs/node#64011), for a minute and gigabytes of memory, until V8's string limit ends it. Our
 * output is plain text anyway (colours are removed), so colouring is turned off here.
 */
"use strict";
const util = require("node:util");

const original = util.inspect;
function plainInspect(value, opts, ...rest) {
  if (opts && typeof opts === "object" && opts.colors) opts = { ...opts, colors: false };
  return original.call(this, value, opts, ...rest);
}
for (const key of Reflect.ownKeys(original)) {
  if (key === "length" || key === "name" || key === "prototype") continue;
  Object.defineProperty(plainInspect, key, Object.getOwnPropertyDescriptor(original, key));
}
util.inspect = plainInspect;
