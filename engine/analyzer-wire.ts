/**
 * Analyze and AnalyzeStack requests encoded straight to protobuf bytes (pulumirpc analyzer.proto,
 * google/protobuf/struct.proto), without building google-protobuf message objects first: for a large
 * stack those objects (a Value wrapper per property, a Map per Struct) and the garbage they leave were
 * most of the engine's time. The bytes are what the generated stubs would send for the same request;
 * tests/engine/analyzer-wire.test.ts decodes them with the stubs and compares.
 *
 * Two passes over each request: sizes (post-order, into a flat list) and then bytes (pre-order,
 * reading the list), so nesting costs no copying and the whole encoding is linear in the request.
 */
import type { GraphResource, WireObject, WireValue } from "./graph";

// Field numbers (analyzer.proto). AnalyzeRequest and AnalyzerResource share 1–6.
const F_TYPE = 1;
const F_PROPERTIES = 2;
const F_URN = 3;
const F_NAME = 4;
const F_OPTIONS = 5;
const F_PROVIDER = 6;
const F_PARENT = 7; // AnalyzerResource
const F_DEPENDENCIES = 8; // AnalyzerResource
const F_PROPERTY_DEPENDENCIES = 9; // AnalyzerResource, map<string, AnalyzerPropertyDependencies>
// AnalyzerResourceOptions
const O_PROTECT = 1;
const O_IGNORE_CHANGES = 2;
const O_DELETE_BEFORE_REPLACE = 3;
const O_DELETE_BEFORE_REPLACE_DEFINED = 4;
const O_ADDITIONAL_SECRET_OUTPUTS = 5;
const O_ALIASES = 6;
const O_PARENT = 8;
// google.protobuf.Struct / Value / ListValue
const S_FIELDS = 1;
const V_NULL = 1;
const V_NUMBER = 2;
const V_STRING = 3;
const V_BOOL = 4;
const V_STRUCT = 5;
const V_LIST = 6;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

const tag = (field: number, wire: number) => (field << 3) | wire;
const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
/** A length-delimited field's total size, given its payload size (tags here are all one byte). */
const lenField = (payload: number) => 1 + varintSize(payload) + payload;
const strSize = (s: string) => (s.length < 0x80 && isAscii(s) ? s.length : Buffer.byteLength(s, "utf8"));

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The provider a resource names (`<provider urn>::<id>`), as the analyzer host resolves it. */
export interface ProviderInfo {
  type: string;
  urn: string;
  name: string;
  properties: WireObject;
}

export interface EncodeOptions {
  stage: "inputs" | "outputs";
  provider?: ProviderInfo;
  /** AnalyzerResource (AnalyzeStack) also carries parent, dependencies and property dependencies. */
  stackFields: boolean;
}

class Encoder {
  private sizes: number[] = [];
  private cursor = 0;
  private buf: Buffer = Buffer.allocUnsafe(0);
  private pos = 0;

  // ---- pass 1: sizes. Every nested message pushes its payload size (pre-order slot, filled post-order).

  private reserve(): number {
    this.sizes.push(0);
    return this.sizes.length - 1;
  }

  sizeValue(v: WireValue | undefined): number {
    const slot = this.reserve();
    let payload: number;
    if (v === null || v === undefined) payload = 2;
    else if (typeof v === "string") payload = lenField(strSize(v));
    else if (typeof v === "number") payload = 9;
    else if (typeof v === "boolean") payload = 2;
    else if (Array.isArray(v)) {
      const inner = this.reserve();
      let list = 0;
      for (const x of v) list += lenField(this.sizeValue(x));
      this.sizes[inner] = list;
      payload = lenField(list);
    } else payload = lenField(this.sizeStruct(v));
    this.sizes[slot] = payload;
    return payload;
  }

  /** Struct payload size; its own slot holds it too (so writeStruct can read it back). */
  sizeStruct(o: WireObject): number {
    const slot = this.reserve();
    let payload = 0;
    for (const k in o) {
      const v = o[k];
      if (v === undefined) continue;
      const entrySlot = this.reserve();
      const entry = lenField(strSize(k)) + lenField(this.sizeValue(v));
      this.sizes[entrySlot] = entry;
      payload += lenField(entry);
    }
    this.sizes[slot] = payload;
    return payload;
  }

  private sizeStrings(xs: readonly string[] | undefined): number {
    let n = 0;
    if (xs) for (const s of xs) n += lenField(strSize(s));
    return n;
  }

  private sizeOptions(r: GraphResource): number {
    const slot = this.reserve();
    const o = r.options;
    let n = 0;
    if (o?.protect) n += 2;
    n += this.sizeStrings(o?.ignoreChanges);
    if (o?.deleteBeforeReplace !== undefined) {
      if (o.deleteBeforeReplace) n += 2;
      n += 2;
    }
    n += this.sizeStrings(o?.additionalSecretOutputs);
    n += this.sizeStrings(o?.aliases);
    if (r.parent) n += lenField(strSize(r.parent));
    this.sizes[slot] = n;
    return n;
  }

  private sizeProvider(p: ProviderInfo): number {
    const slot = this.reserve();
    const n =
      lenField(strSize(p.type)) +
      lenField(this.sizeStruct(p.properties)) +
      lenField(strSize(p.urn)) +
      lenField(strSize(p.name));
    this.sizes[slot] = n;
    return n;
  }

  sizeResource(r: GraphResource, opts: EncodeOptions): number {
    const slot = this.reserve();
    let n = 0;
    if (r.type) n += lenField(strSize(r.type));
    n += lenField(this.sizeStruct(r[opts.stage]));
    if (r.urn) n += lenField(strSize(r.urn));
    if (r.name) n += lenField(strSize(r.name));
    n += lenField(this.sizeOptions(r));
    if (opts.provider) n += lenField(this.sizeProvider(opts.provider));
    if (opts.stackFields) {
      if (r.parent) n += lenField(strSize(r.parent));
      n += this.sizeStrings(r.dependencies);
      for (const k in r.propertyDependencies) {
        const entrySlot = this.reserve();
        const deps = this.sizeStrings(r.propertyDependencies[k]);
        const entry = lenField(strSize(k)) + lenField(deps);
        this.sizes[entrySlot] = entry;
        n += lenField(entry);
      }
    }
    this.sizes[slot] = n;
    return n;
  }

  // ---- pass 2: bytes.

  start(total: number): void {
    this.buf = Buffer.allocUnsafe(total);
    this.pos = 0;
    this.cursor = 0;
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length || this.cursor !== this.sizes.length)
      throw new Error(`analyzer-wire: encoded ${this.pos} of ${this.buf.length} bytes`);
    this.sizes = [];
    return this.buf;
  }

  private next(): number {
    return this.sizes[this.cursor++];
  }

  private varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  private string(field: number, s: string): void {
    this.buf[this.pos++] = tag(field, WIRE_LEN);
    const len = strSize(s);
    this.varint(len);
    if (len === s.length && len < 0x80) {
      for (let i = 0; i < len; i++) this.buf[this.pos++] = s.charCodeAt(i);
    } else this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** A length-delimited field's tag and length; its payload follows. */
  header(field: number, payload: number): void {
    this.buf[this.pos++] = tag(field, WIRE_LEN);
    this.varint(payload);
  }

  private bool(field: number, b: boolean): void {
    this.buf[this.pos++] = tag(field, WIRE_VARINT);
    this.buf[this.pos++] = b ? 1 : 0;
  }

  writeValue(v: WireValue | undefined): void {
    this.next(); // the Value's own payload size, already written by the caller's header
    if (v === null || v === undefined) {
      this.buf[this.pos++] = tag(V_NULL, WIRE_VARINT);
      this.buf[this.pos++] = 0;
    } else if (typeof v === "string") this.string(V_STRING, v);
    else if (typeof v === "number") {
      this.buf[this.pos++] = tag(V_NUMBER, WIRE_FIXED64);
      this.buf.writeDoubleLE(v, this.pos);
      this.pos += 8;
    } else if (typeof v === "boolean") this.bool(V_BOOL, v);
    else if (Array.isArray(v)) {
      this.header(V_LIST, this.next());
      for (const x of v) {
        this.header(1, this.sizes[this.cursor]);
        this.writeValue(x);
      }
    } else {
      this.header(V_STRUCT, this.sizes[this.cursor]);
      this.writeStruct(v);
    }
  }

  writeStruct(o: WireObject): void {
    this.next();
    for (const k in o) {
      const v = o[k];
      if (v === undefined) continue;
      this.header(S_FIELDS, this.next());
      this.string(1, k);
      this.header(2, this.sizes[this.cursor]);
      this.writeValue(v);
    }
  }

  private strings(field: number, xs: readonly string[] | undefined): void {
    if (xs) for (const s of xs) this.string(field, s);
  }

  private writeOptions(r: GraphResource): void {
    this.next();
    const o = r.options;
    if (o?.protect) this.bool(O_PROTECT, true);
    this.strings(O_IGNORE_CHANGES, o?.ignoreChanges);
    if (o?.deleteBeforeReplace !== undefined) {
      if (o.deleteBeforeReplace) this.bool(O_DELETE_BEFORE_REPLACE, true);
      this.bool(O_DELETE_BEFORE_REPLACE_DEFINED, true);
    }
    this.strings(O_ADDITIONAL_SECRET_OUTPUTS, o?.additionalSecretOutputs);
    this.strings(O_ALIASES, o?.aliases);
    if (r.parent) this.string(O_PARENT, r.parent);
  }

  private writeProvider(p: ProviderInfo): void {
    this.next();
    this.string(F_TYPE, p.type);
    this.header(F_PROPERTIES, this.sizes[this.cursor]);
    this.writeStruct(p.properties);
    this.string(F_URN, p.urn);
    this.string(F_NAME, p.name);
  }

  writeResource(r: GraphResource, opts: EncodeOptions): void {
    this.next();
    if (r.type) this.string(F_TYPE, r.type);
    this.header(F_PROPERTIES, this.sizes[this.cursor]);
    this.writeStruct(r[opts.stage]);
    if (r.urn) this.string(F_URN, r.urn);
    if (r.name) this.string(F_NAME, r.name);
    this.header(F_OPTIONS, this.sizes[this.cursor]);
    this.writeOptions(r);
    if (opts.provider) {
      this.header(F_PROVIDER, this.sizes[this.cursor]);
      this.writeProvider(opts.provider);
    }
    if (opts.stackFields) {
      if (r.parent) this.string(F_PARENT, r.parent);
      this.strings(F_DEPENDENCIES, r.dependencies);
      for (const k in r.propertyDependencies) {
        this.header(F_PROPERTY_DEPENDENCIES, this.next());
        this.string(1, k);
        const urns = r.propertyDependencies[k];
        let deps = 0;
        for (const u of urns) deps += lenField(strSize(u));
        this.header(2, deps);
        this.strings(1, urns);
      }
    }
  }
}

/** The bytes of an AnalyzeRequest for `r` (inputs). */
export function encodeAnalyzeRequest(r: GraphResource, provider?: ProviderInfo): Buffer {
  const e = new Encoder();
  const opts: EncodeOptions = { stage: "inputs", provider, stackFields: false };
  const total = e.sizeResource(r, opts);
  e.start(total);
  e.writeResource(r, opts);
  return e.finish();
}

/** The bytes of an AnalyzeStackRequest: every resource with outputs, parent and dependencies. */
export function encodeAnalyzeStackRequest(
  resources: readonly GraphResource[],
  providerOf: (r: GraphResource) => ProviderInfo | undefined,
): Buffer {
  const e = new Encoder();
  const providers = resources.map(providerOf);
  let total = 0;
  const sizes = resources.map((r, i) => {
    const n = e.sizeResource(r, { stage: "outputs", provider: providers[i], stackFields: true });
    total += lenField(n);
    return n;
  });
  e.start(total);
  resources.forEach((r, i) => {
    e.header(1, sizes[i]);
    e.writeResource(r, { stage: "outputs", provider: providers[i], stackFields: true });
  });
  return e.finish();
}
