/**
 * Preloaded (`node -r`) into a program whose stack has `secure:` config the engine cannot decrypt
 * (no passphrase, or another secrets provider). The CLI would hand the program the plaintext; offline
 * there is none, so the program's secret getters answer those keys with an unknown secret — what a
 * preview shows for any value not known yet — and code in `apply` callbacks does not run on a
 * placeholder. The keys come in E2B_GUARDRAILS_UNKNOWN_SECRETS (a JSON list of `ns:key`), read at each
 * call, so a warm worker (program-host.ts) that loads this once serves every job. This is the
 * only place the engine touches the program's SDK; `Config`'s secret getters and `output.unknown` have
 * this shape in every @pulumi/pulumi 3.x.
 */
"use strict";
const path = require("node:path");

function unknownKeys() {
  try {
    return new Set(JSON.parse(process.env.E2B_GUARDRAILS_UNKNOWN_SECRETS || "[]"));
  } catch {
    return new Set();
  }
}

(function patch() {
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
  const pulumi = require(sdkDir);
  const output = require(path.join(sdkDir, "output"));
  const proto = pulumi.Config && pulumi.Config.prototype;
  if (!proto || !output.unknown) return;
  const fullKey = (cfg, key) => (key.includes(":") ? key : `${cfg.name}:${key}`);
  const getters = [
    "getSecret",
    "requireSecret",
    "getSecretObject",
    "requireSecretObject",
    "getSecretNumber",
    "requireSecretNumber",
    "getSecretBoolean",
    "requireSecretBoolean",
  ];
  for (const method of getters) {
    const original = proto[method];
    if (typeof original !== "function") continue;
    proto[method] = function (key, ...rest) {
      if (unknownKeys().has(fullKey(this, key))) return pulumi.secret(output.unknown);
      return original.call(this, key, ...rest);
    };
  }
})();
