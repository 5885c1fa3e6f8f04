/**
 * The pack decodes request Structs from their bytes (policies/fast-struct.ts); every value, key order
 * and error must be what google-protobuf's own `toJavaScript()` gives for the same bytes.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
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
  if (v && typeof v === "object")
    return [
      Object.getPrototypeOf(v) === Object.prototype,
      Object.keys(v).map((k) => [k, shape((v as any)[k])]),
    ];
  return v;
}

/**
 * google-protobuf's results for `cases`, from a process of its own: in this one the patched Struct
 * class decodes the nested Structs of any message, the reference's too.
 */
function referenceShapes(cases: Uint8Array[]): unknown[] {
  const script = `
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
    ${shape.toString()}
    const out = JSON.parse(require("fs").readFileSync(0, "utf8")).map((b64) => {
      try { return shape(Struct.deserializeBinary(Buffer.from(b64, "base64")).toJavaScript()); }
      catch (e) { return { error: String(e.message) }; }
    });
    process.stdout.write(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ["-e", script], {
    cwd: path.resolve(__dirname, "../.."),
    input: JSON.stringify(cases.map((b) => Buffer.from(b).toString("base64"))),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(stdout.toString());
}

function fastShape(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(JSON.stringify(shape(fast(bytes))));
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A Struct's bytes written by hand, as Go's marshaller may: any entry order, duplicates, `__proto__`. */
type Wire = null | number | string | boolean | { entries: Array<[string, Wire]> } | Wire[];
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
};
const delimited = (field: number, body: number[]) => [(field << 3) | 2, ...varint(body.length), ...body];
function encodeValue(v: Wire): number[] {
  if (v === null) return [(1 << 3) | 0, 0];
  if (typeof v === "number") {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return [(2 << 3) | 1, ...b];
  }
  if (typeof v === "string") return delimited(3, [...Buffer.from(v, "utf8")]);
  if (typeof v === "boolean") return [(4 << 3) | 0, v ? 1 : 0];
  if (Array.isArray(v))
    return delimited(
      6,
      v.flatMap((x) => delimited(1, encodeValue(x))),
    );
  return delimited(5, encodeStruct(v.entries));
}
function encodeStruct(entries: Array<[string, Wire]>): number[] {
  return entries.flatMap(([k, v]) =>
    delimited(1, [...delimited(1, [...Buffer.from(k, "utf8")]), ...delimited(2, encodeValue(v))]),
  );
}

const bytesOf = (o: Record<string, unknown>): Uint8Array => Struct.fromJavaScript(o).serializeBinary();
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

// Any code point; the writer above encodes lone surrogates as U+FFFD, as Go never sends them.
const text = fc.string({ unit: "binary" });
const key = fc.oneof(
  text,
  fc.constantFrom("__proto__", "constructor", "toString", "10", "2", "", "é", "😀", "a\u0000b", "b", "a"),
);
const leaf = fc.oneof(
  text,
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53 + 2),
);
const { wire } = fc.letrec((tie) => ({
  wire: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("wire"), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie("wire")), { maxLength: 5 }).map((entries) => ({ entries })),
  ),
}));
const struct = fc.array(fc.tuple(key, wire as fc.Arbitrary<Wire>), { maxLength: 8 });

describe("request Structs decoded from their bytes", () => {
  it("give google-protobuf's values, key order, errors and number edge cases for random bytes", () => {
    // Hand-encoded (any entry order, duplicated keys, `__proto__` at any depth), compared with
    // google-protobuf in a process of its own.
    const cases = fc.sample(struct, { numRuns: 400, seed: 27 }).map((e) => new Uint8Array(encodeStruct(e)));
    const expected = referenceShapes(cases);
    cases.forEach((bytes, i) => expect([i, fastShape(bytes)]).toEqual([i, expected[i]]));
    // The exported decoder is the same function the patched class uses.
    const ok = cases.filter((_, i) => !(expected[i] as { error?: string })?.error);
    for (const bytes of ok) expect(shape(structToJavaScript(bytes))).toEqual(shape(fast(bytes)));
    // The set holds what matters: dropped `__proto__` keys, duplicates, nested objects.
    const all = JSON.stringify(fc.sample(struct, { numRuns: 400, seed: 27 }));
    expect(all).toContain('"__proto__"');
  });

  it("drop a __proto__ key, as google-protobuf's map does, so it never becomes the result's prototype", () => {
    const bytes = new Uint8Array(
      encodeStruct([
        [
          "env",
          {
            entries: [
              ["__proto__", { entries: [["hidden", "x"]] }],
              ["E2B", "v"],
            ],
          },
        ],
        ["__proto__", "top"],
      ]),
    );
    const got = fast(bytes) as { env: Record<string, unknown> };
    expect(Object.getPrototypeOf(got.env)).toBe(Object.prototype);
    expect(got.env.hidden).toBeUndefined();
    expect(shape(got)).toEqual(referenceShapes([bytes])[0]);
  });

  it("sort keys sent out of order and keep the last of a duplicated key, as google-protobuf's map does", () => {
    // Go's marshaller sends map entries in any order; our engine's encoder in the object's order.
    const bytes = concat(
      bytesOf({ zeta: 1, b: { y: 1 } }),
      bytesOf({ alpha: 2, b: { x: 2 } }),
      bytesOf({ zeta: 3 }),
    );
    expect(shape(original(bytes))).toEqual([
      true,
      [
        ["alpha", 2],
        ["b", [true, [["x", 2]]]],
        ["zeta", 3],
      ],
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
      true,
      [
        ["a", [true]],
        ["b", 1],
      ],
    ]);
  });
});
