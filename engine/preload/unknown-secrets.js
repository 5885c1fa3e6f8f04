/**
 * Preloaded (`node -r`) into a program whose stack has `secure:` config the engine cannot decrypt
 * (no passphrase, or another secrets provider). The CLI would hand the program the plaintext; offline
 * there is none, so the program's secret getters answer those keys with an unknown secret — what a
 * preview shows for any value not known yet — and code in `apply` callbacks does not run on a
 * placeholder. The keys come in E2B_GUARDRAILS_UNKNOWN_SECRETS (a JSON list of `ns:key`), read at each
 * call, so a warm worker (program-host.ts) that loads this once serves every job. Decrypted keys about
 * E2B come in E2B_GUARDRAILS_TRACED_SECRETS: their real values get the same marker (below). This is the
 * only place the engine touches the program's SDK; `Config`'s secret getters, `output.unknown`,
 * `Output.allResources()` and `ComponentResource.registerOutputs` have this
 * shape in every @pulumi/pulumi 3.x.
 */
"use strict";
const path = require("node:path");

/** policies/detect/hidden-config.ts UNDECRYPTED_CONFIG_TYPE (a test keeps the two equal). */
const UNDECRYPTED_CONFIG_TYPE = "e2b-guardrails:offline:UndecryptedConfig";
/** policies/detect/hidden-config.ts undecryptedPlaceholder: what plain getters read (a test keeps them equal). */
const placeholder = (key) => `04da6b54-80e4-46f7-96ec-b56ff0331ba9#${encodeURIComponent(key)}#`;
/** Values deeper than this in the stack's outputs are sent as they are (not traced). */
const MAX_OUTPUT_DEPTH = 64;

function keysIn(variable) {
  try {
    return new Set(JSON.parse(process.env[variable] || "[]"));
  } catch {
    return new Set();
  }
}
const unknownKeys = () => keysIn("E2B_GUARDRAILS_UNKNOWN_SECRETS");
/** Decrypted secure keys about E2B: their real values get the marker too (engine/project.ts). */
const tracedKeys = () => keysIn("E2B_GUARDRAILS_TRACED_SECRETS");

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
  // The unknown carries one dependency on a marker named after the config key, which the SDK keeps
  // through apply/interpolate/all and lists in every property it feeds (propertyDependencies): the
  // pack judges a property fed by `e2bApiKey` as the key (policies/detect/hidden-config.ts). The SDK
  // asks a dependency only for `urn` and, to count it as a custom resource, `__remote`
  // (getAllTransitivelyReferencedResources, the same in 3.100 to 3.2xx). The recorder keeps the marker
  // out of `dependencies`.
  /** Each marker's config key, for outputs (below). */
  const markerKeys = new WeakMap();
  const markerOf = (key) => {
    const urn = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${UNDECRYPTED_CONFIG_TYPE}::${key}`;
    const marker = { __remote: true, urn: pulumi.output(urn) };
    markerKeys.set(marker, key);
    patchAllCopies();
    return marker;
  };
  const hiddenValue = (key) => {
    const base = pulumi.secret(output.unknown);
    const deps = new Set([markerOf(key)]);
    return new output.Output(
      deps,
      base.promise(true),
      base.isKnown,
      Promise.resolve(true),
      Promise.resolve(deps),
    );
  };
  // A decrypted value keeps its value and gains the marker: a property it feeds lists the marker, and
  // the pack judges it by the config key's name only where preview cannot see the value (it was
  // combined with an output not known yet, as `all([lb.dnsName, key])` in container definitions).
  const tracedValue = (key, value) => {
    if (!output.Output.isInstance(value)) return value;
    const marker = markerOf(key);
    const withMarker = (deps) => new Set([...deps, marker]);
    const all =
      typeof value.allResources === "function" ? value.allResources() : Promise.resolve(value.resources());
    return new output.Output(
      withMarker(value.resources()),
      value.promise(true),
      value.isKnown,
      value.isSecret,
      all.then(withMarker),
    );
  };
  /** Set below: wraps `Output.isInstance` in every loaded copy of the SDK. */
  let patchAllCopies = () => {};
  for (const method of getters) {
    const original = proto[method];
    if (typeof original !== "function") continue;
    proto[method] = function (key, ...rest) {
      const full = fullKey(this, key);
      if (unknownKeys().has(full)) return hiddenValue(full);
      if (tracedKeys().has(full)) return tracedValue(full, original.call(this, key, ...rest));
      return original.call(this, key, ...rest);
    };
  }

  // A stack's or component's outputs reach the engine without dependencies (RegisterResourceOutputs
  // has no field for them), so an exported value fed by a hidden key would arrive as a bare unknown. Such an
  // output is sent as the placeholder the plain getters read, a secret, which the recorder turns
  // back into the unknown and the marker (engine/recorder.ts). Its markers are read from
  // `allResources()`, as the SDK reads an input's dependencies: an `apply` that returns the value
  // has them only there.
  const hiddenKeysOf = async (o) => {
    const deps = typeof o.allResources === "function" ? await o.allResources() : o.resources();
    const keys = [];
    for (const r of deps) if (markerKeys.has(r)) keys.push(markerKeys.get(r));
    return keys;
  };
  // A closure the program serializes (a CallbackFunction's body) captures an Output by its value,
  // `await output.promise()`, which for an unknown is `undefined`: the serialized code would lose the
  // hidden value and its provenance, and pass without the passphrase while it fails with it. The
  // serializer asks `Output.isInstance` first (createClosure.js, every 3.x SDK), so every Output it
  // meets answers that call, when its value is unknown and depends on hidden values (the value
  // itself, or an apply, interpolate, all or concat of it), with the placeholder the plain getters
  // read; the recorder turns it back into the unknown and the marker wherever the code lands. The
  // SDK's own reads ask `withUnknowns` and still see the unknown.
  const readsAsPlaceholder = new WeakSet();
  const placeholderOf = async (o) => {
    if (await o.isKnown) return undefined;
    const keys = await hiddenKeysOf(o);
    return keys.length ? keys.map(placeholder).join(" ") : undefined;
  };
  const patched = new WeakSet();
  /** One SDK copy's `Output.isInstance`, wrapped as above (once). */
  const patchIsInstance = (Output) => {
    if (!Output || typeof Output.isInstance !== "function" || patched.has(Output)) return;
    patched.add(Output);
    const isInstance = Output.isInstance;
    Output.isInstance = function (obj) {
      const yes = isInstance.call(this, obj);
      if (yes && typeof obj.promise === "function" && !readsAsPlaceholder.has(obj)) {
        readsAsPlaceholder.add(obj);
        const promise = obj.promise;
        obj.promise = (withUnknowns) =>
          withUnknowns
            ? promise(true)
            : promise(false).then(async (v) => (v === undefined ? ((await placeholderOf(obj)) ?? v) : v));
      }
      return yes;
    };
  };
  // A provider package may bring its own copy of the SDK (npm could not dedupe it), whose serializer
  // then captures the closure: every copy loaded when a hidden value is read is patched.
  const OUTPUT_MODULE = `${path.sep}@pulumi${path.sep}pulumi${path.sep}output.js`;
  patchAllCopies = () => {
    for (const file of Object.keys(require.cache))
      if (file.endsWith(OUTPUT_MODULE)) patchIsInstance(require.cache[file].exports.Output);
  };

  // What the SDK serializes field by field: any object but resources, assets and archives.
  const walked = (v) =>
    !pulumi.Resource.isInstance(v) &&
    !pulumi.asset.Asset.isInstance(v) &&
    !pulumi.asset.Archive.isInstance(v);
  // `seen` maps each object to its copy once: shared and cyclic objects are walked once.
  const tagHidden = async (v, depth, seen) => {
    if (v === null || typeof v !== "object" || depth > MAX_OUTPUT_DEPTH) return v;
    if (output.Output.isInstance(v)) {
      // A known value (a traced, decrypted one) is sent as it is: the pack reads it.
      if (await v.isKnown) return v;
      const keys = await hiddenKeysOf(v);
      if (keys.length === 0) return v;
      const tagged = pulumi.secret(keys.map(placeholder).join(" "));
      // A program may export one Output as all its outputs (`export = output({...})`); those stay an
      // object, and the value is where the wire form of a secret object keeps it, under `value`.
      return depth === 0 ? { value: tagged } : tagged;
    }
    if (v instanceof Promise) return tagHidden(await v, depth, seen);
    if (!walked(v)) return v;
    if (seen.has(v)) return seen.get(v);
    const out = Array.isArray(v) ? [] : {};
    seen.set(v, out);
    for (const k of Object.keys(v)) out[k] = await tagHidden(v[k], depth + 1, seen);
    return out;
  };
  // The root stack's and every component's outputs (the root stack is a component).
  const component = pulumi.ComponentResource && pulumi.ComponentResource.prototype;
  const registerOutputs = component && component.registerOutputs;
  if (typeof registerOutputs !== "function") return;
  component.registerOutputs = function (outputs) {
    if (unknownKeys().size + tracedKeys().size === 0) return registerOutputs.call(this, outputs);
    // Should reading them fail, the outputs go as the program gave them (the SDK reports its own error).
    return registerOutputs.call(
      this,
      tagHidden(outputs, 0, new Map()).catch(() => outputs),
    );
  };
})();
