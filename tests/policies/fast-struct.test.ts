/**
 * The pack decodes request Structs from their bytes (policies/fast-struct.ts); every value, key order
 * and error must be what google-protobuf's own `toJavaScript()` gives for the same bytes.
 */
import fc from "fast-check";
import { installFastStruct, structToJavaScript } from "../../policies/fast-struct";

/* eslint-disable @typescript-eslint/no-explicit-any -- google-protobuf's generated classes carry no types */
const jspb = require("google-protobuf");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
const { AnalyzeRequest, AnalyzeStackRequest, AnalyzerResource } = require("@pulumi/pulumi/proto/analyzer_pb");
installFastStruct(require("google-protobuf/google/protobuf/struct_pb.js"), jspb);

/** google-protobuf's own result: the message decoded the original way first (getFieldsMap). */
function original(bytes: Uint8Array): unknown {
  const m = Struct.deserializeBinary(bytes);
  m.getFieldsMap();
  return m.toJavaScript();
}
const fast = (bytes: Uint8Array): unknown => Struct.deserializeBinary(bytes).toJavaScript();

/** Values with their key order, -0 and NaN spelled out (toEqual ignores the first two). */
function shape(v: unknown): unknown {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v;
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === "object") return Object.keys(v).map((k) => [k, shape((v as any)[k])]);
  return v;
}

const bytesOf = (o: Record<string, unknown>): Uint8Array => Struct.fromJavaScript(o).serializeBinary();
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

// Any code point, lone surrogates included (google-protobuf's writer drops those).
const text = fc.string({ unit: "binary" });
const key = fc.oneof(text, fc.constantFrom("__proto__", "constructor", "10", "2", "", "é", "😀", "a\u0000b"));
const leaf = fc.oneof(
  text,
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53 + 2),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(key, tie("tree"), { maxKeys: 5 }),
  ),
}));
const struct = fc.dictionary(key, tree, { maxKeys: 8 });

describe("request Structs decoded from their bytes", () => {
  it("give google-protobuf's values, key order and number edge cases for random trees", () => {
    fc.assert(
      fc.property(struct, (o) => {
        const bytes = bytesOf(o as Record<string, unknown>);
        expect(shape(fast(bytes))).toEqual(shape(original(bytes)));
        expect(shape(structToJavaScript(bytes))).toEqual(shape(original(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it("sort keys sent out of order and keep the last of a duplicated key, as google-protobuf's map does", () => {
    // Go's marshaller sends map entries in any order; our engine's encoder in the object's order.
    const bytes = concat(
      bytesOf({ zeta: 1, b: { y: 1 } }),
      bytesOf({ alpha: 2, b: { x: 2 } }),
      bytesOf({ zeta: 3 }),
    );
    expect(shape(original(bytes))).toEqual([
      ["alpha", 2],
      ["b", [["x", 2]]],
      ["zeta", 3],
    ]);
    expect(shape(fast(bytes))).toEqual(shape(original(bytes)));
  });

  it("throw google-protobuf's error for a value of no kind, and skip unknown fields as it does", () => {
    // { x: Value {} } — an entry whose value sets no kind.
    const noKind = new Uint8Array([0x0a, 5, 0x0a, 1, 0x78, 0x12, 0]);
    expect(() => original(noKind)).toThrow("Unexpected struct type");
    expect(() => fast(noKind)).toThrow("Unexpected struct type");
    // { x: Value { string "v", field 9 = 1 } } and a field 7 on the Struct itself.
    const unknownFields = new Uint8Array([0x38, 1, 0x0a, 10, 0x0a, 1, 0x78, 0x12, 5, 0x1a, 1, 0x76, 0x48, 1]);
    expect(original(unknownFields)).toEqual({ x: "v" });
    expect(fast(unknownFields)).toEqual({ x: "v" });
  });

  it("build a fresh tree on every call, so a caller that rewrites one (the SDK's deserializer) spoils no other", () => {
    const m = Struct.deserializeBinary(bytesOf({ a: { b: "secret" } }));
    const first = m.toJavaScript();
    first.a.b = "rewritten";
    expect(m.toJavaScript()).toEqual({ a: { b: "secret" } });
  });

  it("read the same inside the SDK's request messages, and serialize back to the same message", () => {
    const props = { name: "jobs", tags: { team: "ml", "2": "x" }, ports: [80, 443], on: true, none: null };
    const req = new AnalyzeRequest();
    req.setType("aws:sqs/queue:Queue");
    req.setProperties(Struct.fromJavaScript(props));
    const decoded = AnalyzeRequest.deserializeBinary(req.serializeBinary());
    expect(decoded.getType()).toBe("aws:sqs/queue:Queue");
    expect(shape(decoded.getProperties().toJavaScript())).toEqual(
      shape(Struct.fromJavaScript(props).toJavaScript()),
    );
    // Anything that reads the message's fields gets google-protobuf's own message.
    expect(decoded.toObject()).toEqual(req.toObject());
    expect(Buffer.from(AnalyzeRequest.deserializeBinary(req.serializeBinary()).serializeBinary())).toEqual(
      Buffer.from(req.serializeBinary()),
    );

    const stack = new AnalyzeStackRequest();
    for (const name of ["a", "b"]) {
      const r = new AnalyzerResource();
      r.setUrn(`urn:pulumi:dev::p::aws:sqs/queue:Queue::${name}`);
      r.setProperties(Struct.fromJavaScript({ ...props, name }));
      stack.addResources(r);
    }
    const resources = AnalyzeStackRequest.deserializeBinary(stack.serializeBinary()).getResourcesList();
    expect(resources.map((r: any) => r.getProperties().toJavaScript().name)).toEqual(["a", "b"]);
    expect(resources.map((r: any) => r.getUrn())).toEqual(
      stack.getResourcesList().map((r: any) => r.getUrn()),
    );
  });

  it("leave a Struct the program built itself to google-protobuf", () => {
    const built = Struct.fromJavaScript({ b: 1, a: [true] });
    expect(shape(built.toJavaScript())).toEqual([
      ["a", [true]],
      ["b", 1],
    ]);
  });
});
