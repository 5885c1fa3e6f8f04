/**
 * The SDK's `deserializeProperties`, made cheaper for this pack's process:
 *
 * - Shared within one request. At Analyze the analyzer hooks read the request's props and the SDK
 *   then deserializes the same `Struct` for the resource policy, in the same tick (its handler runs
 *   synchronously up to the policy call): the second call returns the first's tree. A one-slot memo
 *   by Struct identity serves that without a WeakMap entry per resource for the garbage collector.
 *   Sharing is safe for this pack: our policies never write to props (they read the raw target,
 *   which is also the tree they keep when it needs no normalizing, plain-tree.ts).
 * - One tree, not two. The SDK builds `struct.toJavaScript()` and then a second, fresh copy of it in
 *   which only assets, archives and secrets change. Here the first tree is kept and only those nodes
 *   (and any object whose prototype `toJavaScript` changed, a `__proto__` key) are replaced by what
 *   the SDK's own code makes of them; everything else is the same value in the same place. At
 *   AnalyzeStack (stack-request.ts reads every resource's outputs) and at every Analyze that is one
 *   allocated tree per resource less.
 *
 * (Until s19 the SDK deserialized every resource once per stack policy at AnalyzeStack and this module
 * also memoized its `unknownCheckingProxy` per props object; the hooks now hand the SDK no resources
 * there, stack-request.ts, so that memo only kept a proxy per resource alive until the preview ended.)
 * Imported by index.ts only, so nothing else that loads the pack's modules is affected.
 */
type Deserialize = (struct: object, proxySecrets: boolean) => unknown;
interface AssetClasses {
  StringAsset: new (text: string) => object;
  AssetArchive: new (assets: Record<string, unknown>) => object;
}

(function cheaperDeserialize() {
  const mod = require("@pulumi/policy/deserialize") as {
    deserializeProperties?: Deserialize & { __e2bMemo?: true };
  };
  const original = mod.deserializeProperties;
  if (typeof original !== "function" || original.__e2bMemo) return;
  let sig: string | undefined;
  let rpc: {
    specialSigKey?: unknown;
    specialAssetSig?: unknown;
    specialArchiveSig?: unknown;
    specialSecretSig?: unknown;
  } = {};
  let assets: AssetClasses | undefined;
  try {
    const from = { paths: [require.resolve("@pulumi/policy/deserialize")] };
    rpc = require(require.resolve("@pulumi/pulumi/runtime/rpc", from)) as typeof rpc;
    if (typeof rpc.specialSigKey === "string") sig = rpc.specialSigKey;
    assets = (require(require.resolve("@pulumi/pulumi", from)) as { asset: AssetClasses }).asset;
  } catch {
    sig = undefined;
  }
  const sigKey = sig;

  /**
   * An asset or archive with nothing but its hash: the CLI writes an empty StringAsset (`text: ""`)
   * or AssetArchive (`assets: {}`) so, their empty field left out, and the SDK's deserializer throws
   * on it ("Invalid asset encountered"), stopping the pack (rt55 #3). Built here as what they are;
   * so are archives holding one, whose members the SDK would deserialize.
   */
  const assetOf = (o: Record<string, unknown>): unknown => {
    if (!assets) return deserializeOne(o);
    if (o[sigKey!] === rpc.specialAssetSig)
      return o.path || o.text || o.uri ? deserializeOne(o) : new assets.StringAsset("");
    if (o.path || o.uri) return deserializeOne(o);
    const members = o.assets;
    if (!members) return new assets.AssetArchive({});
    if (typeof members !== "object") return deserializeOne(o);
    return new assets.AssetArchive(
      Object.fromEntries(
        Object.entries(members as Record<string, unknown>).map(([k, m]) => [
          k,
          m !== null && typeof m === "object" ? assetOf(m as Record<string, unknown>) : m,
        ]),
      ),
    );
  };
  const isAssetLike = (o: Record<string, unknown>) =>
    o[sigKey!] === rpc.specialAssetSig || o[sigKey!] === rpc.specialArchiveSig;

  /** What the SDK makes of one value (its deserializeProperty), through its public entry point. */
  const deserializeOne = (v: unknown): unknown =>
    (original({ toJavaScript: () => ({ v }) }, false) as { v: unknown }).v;

  /** The SDK's result for a value of `toJavaScript`, built in place: only special nodes are replaced. */
  const inPlace = (v: object): unknown => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x !== null && typeof x === "object") v[i] = inPlace(x);
      }
      return v;
    }
    const o = v as Record<string, unknown>;
    if (Object.getPrototypeOf(o) !== Object.prototype) return deserializeOne(o);
    if (o[sigKey!] === rpc.specialSecretSig) {
      // A secret is its value here (proxySecrets is false); read as any value, so an empty asset in
      // it is built too (rt56 #5).
      const inner = o.value;
      return inner !== null && typeof inner === "object" ? inPlace(inner) : inner;
    }
    if (o[sigKey!]) return isAssetLike(o) ? assetOf(o) : deserializeOne(o);
    for (const k of Object.keys(o)) {
      const x = o[k];
      if (x !== null && typeof x === "object") o[k] = inPlace(x);
    }
    return o;
  };

  const deserialize = (struct: { toJavaScript?: () => unknown }): unknown => {
    if (sigKey === undefined || typeof struct.toJavaScript !== "function") return original(struct, false);
    const outputs = struct.toJavaScript();
    // The SDK copies the top level's own keys into a fresh object; anything unusual goes to it as is.
    if (
      outputs === null ||
      typeof outputs !== "object" ||
      Array.isArray(outputs) ||
      Object.getPrototypeOf(outputs) !== Object.prototype
    )
      return original(struct, false);
    const o = outputs as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const x = o[k];
      if (x === undefined) return original(struct, false); // the SDK drops these; toJavaScript makes none
      if (x !== null && typeof x === "object") o[k] = inPlace(x);
    }
    return o;
  };

  let last: { struct: object; props: unknown } | undefined;
  const memoized = ((struct: object, proxySecrets: boolean) => {
    if (proxySecrets || struct === null || typeof struct !== "object") return original(struct, proxySecrets);
    if (last?.struct === struct) return last.props;
    const props = deserialize(struct);
    last = { struct, props };
    return props;
  }) as Deserialize & { __e2bMemo?: true };
  memoized.__e2bMemo = true;
  mod.deserializeProperties = memoized;
})();

export {};
