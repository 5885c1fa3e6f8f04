/**
 * At AnalyzeStack, @pulumi/policy deserializes every resource's properties again for each stack
 * policy (server.js calls `deserializeProperties(r.getProperties(), false)` inside its policy loop):
 * with our 13 stack policies that was 13 full copies of the stack, most of the pack's cost over an
 * empty pack on large stacks. The request's Struct objects are the same for every policy, so the
 * result is memoized by Struct identity (a WeakMap: it goes with the request). Sharing is safe for
 * this pack: our policies never write to props (they read the raw target, which is also the tree
 * they keep when it needs no normalizing, plain-tree.ts). Since s19 the SDK no longer walks the
 * AnalyzeStack resources per policy (stack-request.ts); the memo still serves Analyze, where the
 * hooks and the SDK read the same Struct.
 * Imported by index.ts only, so nothing else that loads the pack's modules is affected.
 */
type Deserialize = (struct: object, proxySecrets: boolean) => unknown;

(function memoizeDeserialize() {
  const mod = require("@pulumi/policy/deserialize") as {
    deserializeProperties?: Deserialize & { __e2bMemo?: true };
  };
  const original = mod.deserializeProperties;
  if (typeof original !== "function" || original.__e2bMemo) return;
  const memo = new WeakMap<object, unknown>();
  const memoized = ((struct: object, proxySecrets: boolean) => {
    if (proxySecrets || struct === null || typeof struct !== "object") return original(struct, proxySecrets);
    let props = memo.get(struct);
    if (props === undefined) {
      props = original(struct, proxySecrets);
      memo.set(struct, props);
    }
    return props;
  }) as Deserialize & { __e2bMemo?: true };
  memoized.__e2bMemo = true;
  mod.deserializeProperties = memoized;
})();

/**
 * The same loop wraps each deserialized props object in a fresh `unknownCheckingProxy` per policy. A
 * root proxy holds no state (its path starts empty), so one per props object serves every policy.
 */
(function memoizeProxy() {
  const mod = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy?: ((target: unknown) => unknown) & { __e2bMemo?: true };
  };
  const original = mod.unknownCheckingProxy;
  if (typeof original !== "function" || original.__e2bMemo) return;
  const memo = new WeakMap<object, unknown>();
  const memoized = ((target: unknown) => {
    if (target === null || typeof target !== "object") return original(target);
    let proxy = memo.get(target);
    if (proxy === undefined) {
      proxy = original(target);
      memo.set(target, proxy);
    }
    return proxy;
  }) as ((target: unknown) => unknown) & { __e2bMemo?: true };
  memoized.__e2bMemo = true;
  mod.unknownCheckingProxy = memoized;
})();

export {};
