/**
 * The pack replaces @pulumi/policy's deserializeProperties in its own process (sdk-memo.ts): one tree
 * built in place instead of two, shared between the analyzer hooks and the SDK within one request.
 * Whatever the request holds, the result must be what the SDK's own function makes of it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
const mod: any = require("@pulumi/policy/deserialize");
const original = mod.deserializeProperties as (s: object, proxySecrets: boolean) => any;
require("../../policies/sdk-memo");
const patched = mod.deserializeProperties as (s: object, proxySecrets: boolean) => any;
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const rpc = require("@pulumi/pulumi/runtime/rpc");

const sig = rpc.specialSigKey as string;
const struct = (o: object) => Struct.fromJavaScript(o);
const secret = (value: unknown) => ({ [sig]: rpc.specialSecretSig, value });

const awkward = () => ({
  plain: { a: 1, b: [true, null, "x", { c: -0.5 }], empty: {}, none: [] },
  code: { [sig]: rpc.specialArchiveSig, assets: { "index.js": { [sig]: rpc.specialAssetSig, text: "k" } } },
  file: { [sig]: rpc.specialAssetSig, path: "./app.zip" },
  remote: { [sig]: rpc.specialArchiveSig, uri: "https://example.com/a.tgz" },
  env: { variables: { E2B_API_KEY: secret("hidden"), LIST: [secret({ nested: [1, secret("two")] })] } },
  topSecret: secret({ inner: { deep: "v" } }),
  // `toJavaScript` assigns keys with `=`: a "__proto__" key sets an object's prototype.
  ...JSON.parse('{"odd": {"__proto__": {"x": 1}, "y": 2}, "arr": [{"__proto__": [1, 2]}]}'),
});

/** A value with its classes named and promises (asset paths, texts) awaited, for comparing two trees. */
async function snapshot(v: unknown): Promise<unknown> {
  if (v instanceof Promise) return { promise: await snapshot(await v) };
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return Promise.all(v.map(snapshot));
  const proto = Object.getPrototypeOf(v);
  const out: Record<string, unknown> = { class: proto === null ? "null" : proto.constructor?.name };
  for (const k of Object.keys(v)) out[k] = await snapshot((v as any)[k]);
  return out;
}

describe("the pack's deserializeProperties", () => {
  it("is replaced once, and marked so", () => {
    expect(patched).not.toBe(original);
    expect((patched as any).__e2bMemo).toBe(true);
  });

  it("gives what the SDK's own function gives, assets, archives, secrets and odd keys included", async () => {
    const ours = patched(struct(awkward()), false);
    const sdk = original(struct(awkward()), false);
    expect(await snapshot(ours)).toStrictEqual(await snapshot(sdk));
    expect((await snapshot(ours.file)) as object).toMatchObject({ class: "FileAsset" });
    expect(Object.getPrototypeOf(ours.odd)).toBe(Object.prototype);
    expect(Object.keys(ours.odd)).toEqual(Object.keys(sdk.odd));
    expect(await ours.file.path).toBe(await sdk.file.path);
    expect(await (await ours.code.assets)["index.js"].text).toBe("k");
    expect(ours.env.variables.E2B_API_KEY).toBe("hidden");
    expect(ours.env.variables.LIST).toEqual([{ nested: [1, "two"] }]);
  });

  it("gives the SDK's result for a top level that is itself odd", async () => {
    const top = JSON.parse('{"__proto__": {"inherited": 1}, "own": 2}');
    const ours = patched(struct(top), false);
    expect(await snapshot(ours)).toStrictEqual(await snapshot(original(struct(top), false)));
    expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
  });

  it("returns one tree for the same Struct (hooks and SDK in one request), a new one for another", () => {
    const s = struct({ a: { b: 1 } });
    const first = patched(s, false);
    expect(patched(s, false)).toBe(first);
    const other = patched(struct({ a: { b: 1 } }), false);
    expect(other).not.toBe(first);
    expect(other).toEqual(first);
  });

  it("leaves secret-preserving reads (remediation) to the SDK", () => {
    const ours = patched(struct(awkward()), true);
    const sdk = original(struct(awkward()), true);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(sdk));
  });
});
