/**
 * The requests' property `Struct`s, decoded straight from their bytes when they are read.
 *
 * google-protobuf decodes every `Struct` of a request into a tree of message objects (a `Value` per
 * property, a `jspb.Map` per object) and `toJavaScript()` then walks that tree into plain values. For a
 * 10,000-resource preview that was most of the pack's own CPU beyond what an empty pack spends
 * (bench/RESULTS.md). Here a request's `Struct` keeps only the span of bytes it came from, skipped over
 * field by field with google-protobuf's own reader, and `toJavaScript()` decodes that span into the
 * same plain values google-protobuf would return: a fresh tree per call, keys in the sorted order its
 * map iterates in, the last of duplicated keys winning, a `__proto__` key dropped, `Unexpected struct
 * type` for a value of no kind. `getFieldsMap`, and through it `toObject` and serialization, first
 * decodes the message the original way, so it is then the message google-protobuf built; jspb's
 * generic helpers that read a message's internal array (`cloneMessage`, `equals`) would see an empty
 * Struct, and nothing in the analyzer path calls them on a request.
 * Strings are Node's UTF-8 decoding: bytes that are not UTF-8, which neither the Pulumi CLI (Go's
 * protobuf refuses to send them) nor our engine sends, read as U+FFFD, where google-protobuf drops
 * them or fails the request.
 * Imported by index.ts only, so nothing else that loads the pack's modules is affected.
 */
import path from "node:path";

/* eslint-disable @typescript-eslint/no-explicit-any -- google-protobuf's generated classes carry no types */
type Pb = any;

const BYTES = Symbol("e2b-guardrails.structBytes");

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const DELIMITED = 2;
const FIXED32 = 5;

/** google.protobuf.Struct / Value / ListValue from their bytes, as `toJavaScript()` returns them. */
class StructDecoder {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  decode(): Record<string, unknown> {
    return this.struct(this.buf.length);
  }

  private varint(): number {
    const b = this.buf;
    let byte = b[this.pos++];
    if (byte < 0x80) return byte;
    let x = byte & 0x7f;
    let scale = 0x80;
    do {
      if (this.pos >= b.length) throw new Error("truncated varint");
      byte = b[this.pos++];
      x += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte >= 0x80);
    return x;
  }

  /** The end of a length-delimited field that starts here. */
  private end(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new Error("truncated field");
    return end;
  }

  private skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.pos += 8;
    else if (wireType === DELIMITED) this.pos = this.end();
    else if (wireType === FIXED32) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }

  private struct(end: number): Record<string, unknown> {
    const keys: string[] = [];
    const values: unknown[] = [];
    let ordered = true;
    while (this.pos < end) {
      const tag = this.varint();
      if (tag >>> 3 === 1 && (tag & 7) === DELIMITED) {
        const entryEnd = this.end();
        let key = "";
        let value: unknown = NO_KIND;
        while (this.pos < entryEnd) {
          const t = this.varint();
          if (t >>> 3 === 1 && (t & 7) === DELIMITED) {
            const e = this.end();
            key = this.buf.toString("utf8", this.pos, e);
            this.pos = e;
          } else if (t >>> 3 === 2 && (t & 7) === DELIMITED) value = this.value(this.end());
          else this.skip(t & 7);
        }
        if (keys.length && !(keys[keys.length - 1] < key)) ordered = false;
        keys.push(key);
        values.push(value);
      } else this.skip(tag & 7);
    }
    if (this.pos !== end) throw new Error("field overruns its message");
    // google-protobuf's map keeps the last value of a key and iterates its keys sorted.
    const order = ordered ? undefined : sortedLastIndices(keys);
    const out: Record<string, unknown> = {};
    const n = order ? order.length : keys.length;
    for (let j = 0; j < n; j++) {
      const i = order ? order[j] : j;
      // google-protobuf's map keeps entries in a plain object, where `__proto__` is no key: it is
      // never an entry. Assigned here it would become the result's prototype.
      if (keys[i] === "__proto__") continue;
      if (values[i] === NO_KIND) throw new Error("Unexpected struct type");
      out[keys[i]] = values[i];
    }
    return out;
  }

  private value(end: number): unknown {
    let v: unknown = NO_KIND;
    while (this.pos < end) {
      const tag = this.varint();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === VARINT) {
        this.varint();
        v = null;
      } else if (field === 2 && wire === FIXED64) {
        v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
      } else if (field === 3 && wire === DELIMITED) {
        const e = this.end();
        v = this.buf.toString("utf8", this.pos, e);
        this.pos = e;
      } else if (field === 4 && wire === VARINT) v = this.varint() !== 0;
      else if (field === 5 && wire === DELIMITED) v = this.struct(this.end());
      else if (field === 6 && wire === DELIMITED) v = this.list(this.end());
      else this.skip(wire);
    }
    if (this.pos !== end) throw new Error("field overruns its message");
    return v;
  }

  private list(end: number): unknown[] {
    const out: unknown[] = [];
    while (this.pos < end) {
      const tag = this.varint();
      if (tag >>> 3 === 1 && (tag & 7) === DELIMITED) {
        const v = this.value(this.end());
        if (v === NO_KIND) throw new Error("Unexpected struct type");
        out.push(v);
      } else this.skip(tag & 7);
    }
    if (this.pos !== end) throw new Error("field overruns its message");
    return out;
  }
}

/** A `Value` with no kind set: google-protobuf's `toJavaScript()` throws on it. */
const NO_KIND = Symbol("no kind");

/** Indices of `keys` in sorted key order, the last index of each distinct key only. */
function sortedLastIndices(keys: string[]): number[] {
  const idx = keys.map((_, i) => i);
  idx.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
  return idx.filter((i, j) => j === idx.length - 1 || keys[idx[j + 1]] !== keys[i]);
}

/** Decode `bytes` (a serialized google.protobuf.Struct) as `Struct.prototype.toJavaScript` would. */
export function structToJavaScript(bytes: Uint8Array): Record<string, unknown> {
  return new StructDecoder(bytes).decode();
}

/** Patch a `struct_pb` module (and the google-protobuf runtime it uses) in place; idempotent. */
export function installFastStruct(structPb: Pb, jspb: Pb): void {
  const Struct = structPb?.Struct;
  if (!Struct || Struct.__e2bFast || typeof jspb?.BinaryReader !== "function") return;
  const fromReader = Struct.deserializeBinaryFromReader;
  const toJavaScript = Struct.prototype.toJavaScript;
  const getFieldsMap = Struct.prototype.getFieldsMap;
  const probe = new jspb.BinaryReader(new Uint8Array(0));
  if (
    typeof fromReader !== "function" ||
    typeof toJavaScript !== "function" ||
    typeof getFieldsMap !== "function" ||
    !["getCursor", "getBuffer", "nextField", "isEndGroup", "skipField"].every(
      (m) => typeof probe[m] === "function",
    )
  )
    return;

  Struct.deserializeBinaryFromReader = function (msg: Pb, reader: Pb) {
    const start: number = reader.getCursor();
    while (reader.nextField()) {
      if (reader.isEndGroup()) break;
      reader.skipField();
    }
    msg[BYTES] = (reader.getBuffer() as Uint8Array).subarray(start, reader.getCursor());
    return msg;
  };
  /** The message as google-protobuf would have built it, from its bytes, once. */
  const materialize = (msg: Pb) => {
    const bytes: Uint8Array | undefined = msg[BYTES];
    if (bytes === undefined) return;
    delete msg[BYTES];
    fromReader(msg, new jspb.BinaryReader(bytes));
  };
  Struct.prototype.toJavaScript = function (this: Pb) {
    const bytes: Uint8Array | undefined = this[BYTES];
    if (bytes === undefined) return toJavaScript.call(this);
    try {
      return structToJavaScript(bytes);
    } catch {
      // Whatever google-protobuf makes of bytes this decoder rejects (its own error, most likely).
      materialize(this);
      return toJavaScript.call(this);
    }
  };
  Struct.prototype.getFieldsMap = function (this: Pb, ...args: unknown[]) {
    materialize(this);
    return getFieldsMap.apply(this, args);
  };
  Struct.__e2bFast = true;
}

/** The SDK's own copy, as @pulumi/policy resolves it: the one its request messages decode with. */
(function installForTheSdk() {
  try {
    const from = path.dirname(require.resolve("@pulumi/policy/package.json"));
    const analyzerPb = require.resolve("@pulumi/pulumi/proto/analyzer_pb", { paths: [from] });
    const paths = [path.dirname(analyzerPb)];
    installFastStruct(
      require(require.resolve("google-protobuf/google/protobuf/struct_pb.js", { paths })),
      require(require.resolve("google-protobuf", { paths })),
    );
  } catch {
    // Not the SDK layout we know: google-protobuf decodes as it always does.
  }
})();
