/**
 * The hand-encoded Analyze/AnalyzeStack requests decode, with the generated stubs the pack itself
 * uses, to exactly the messages the stubs would have built from the same resources.
 */
import {
  encodeAnalyzeRequest,
  encodeAnalyzeStackRequest,
  type ProviderInfo,
} from "../../engine/analyzer-wire";
import { parseStateExport, type GraphResource, type WireObject } from "../../engine";
import { generateStack } from "../../bench/generate";

/* eslint-disable @typescript-eslint/no-explicit-any */
const analyzer: any = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct }: any = require("google-protobuf/google/protobuf/struct_pb");

/** The request as the stubs build it (what the analyzer host sent before it encoded bytes itself). */
function viaStubs(msg: any, r: GraphResource, stage: "inputs" | "outputs", p?: ProviderInfo) {
  msg.setType(r.type);
  msg.setProperties(Struct.fromJavaScript(r[stage]));
  msg.setUrn(r.urn);
  msg.setName(r.name);
  const o = new analyzer.AnalyzerResourceOptions();
  o.setProtect(!!r.options?.protect);
  o.setIgnorechangesList(r.options?.ignoreChanges ?? []);
  o.setAdditionalsecretoutputsList(r.options?.additionalSecretOutputs ?? []);
  o.setAliasesList(r.options?.aliases ?? []);
  if (r.options?.deleteBeforeReplace !== undefined) {
    o.setDeletebeforereplace(r.options.deleteBeforeReplace);
    o.setDeletebeforereplacedefined(true);
  }
  if (r.parent) o.setParent(r.parent);
  msg.setOptions(o);
  if (p) {
    const pr = new analyzer.AnalyzerProviderResource();
    pr.setType(p.type);
    pr.setProperties(Struct.fromJavaScript(p.properties));
    pr.setUrn(p.urn);
    pr.setName(p.name);
    msg.setProvider(pr);
  }
  return msg;
}

function stackViaStubs(
  resources: GraphResource[],
  providerOf: (r: GraphResource) => ProviderInfo | undefined,
) {
  const req = new analyzer.AnalyzeStackRequest();
  req.setResourcesList(
    resources.map((r) => {
      const ar = viaStubs(new analyzer.AnalyzerResource(), r, "outputs", providerOf(r));
      if (r.parent) ar.setParent(r.parent);
      ar.setDependenciesList(r.dependencies);
      const pd = ar.getPropertydependenciesMap();
      for (const [k, urns] of Object.entries(r.propertyDependencies)) {
        const d = new analyzer.AnalyzerPropertyDependencies();
        d.setUrnsList(urns);
        pd.set(k, d);
      }
      return ar;
    }),
  );
  return req;
}

/** toObject with map entries sorted (map order on the wire carries no meaning). */
function plain(msg: any): unknown {
  const sortMaps = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const xs = v.map(sortMaps);
      const isMap = xs.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === "string");
      return isMap && xs.length > 0
        ? [...xs].sort((a: any, b: any) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        : xs;
    }
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortMaps(x)]));
    return v;
  };
  return sortMaps(msg.toObject());
}

const base = (over: Partial<GraphResource>): GraphResource => ({
  urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
  type: "aws:s3/bucket:Bucket",
  name: "b",
  custom: true,
  dependencies: [],
  propertyDependencies: {},
  inputs: {},
  outputs: {},
  ...over,
});

const awkward: WireObject = {
  empty: "",
  unicode: "zoë — 東京 — 🦄",
  long: "x".repeat(300) + "é".repeat(200),
  n: [0, -1, 1.5, 1e21, -0.000123, Number.MAX_SAFE_INTEGER],
  flags: [true, false],
  nothing: null,
  nested: { a: { b: { c: [[], {}, [null, { d: "e" }]] } } },
  emptyObject: {},
  emptyList: [],
  "key with spaces and ünïcode": "v",
  secret: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "[secret]" },
};

const provider: ProviderInfo = {
  type: "pulumi:providers:aws",
  urn: "urn:pulumi:dev::p::pulumi:providers:aws::default",
  name: "default",
  properties: { region: "us-east-1", skipCredentialsValidation: "false" },
};

const samples: GraphResource[] = [
  base({}),
  base({ inputs: awkward, outputs: { ...awkward, id: "b-1" } }),
  base({
    parent: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
    dependencies: ["urn:a", "urn:b"],
    propertyDependencies: { bucket: ["urn:a"], tags: [], policy: ["urn:a", "urn:b"] },
    options: {
      protect: true,
      ignoreChanges: ["tags", "acl"],
      deleteBeforeReplace: false,
      additionalSecretOutputs: ["password"],
      aliases: ["urn:old"],
    },
  }),
  base({ options: { deleteBeforeReplace: true } }),
  base({ type: "", name: "", urn: "" }),
];

describe("analyzer requests encoded to bytes", () => {
  test("an Analyze request decodes to the message the stubs build, for awkward values and options", () => {
    for (const r of samples) {
      for (const p of [undefined, provider]) {
        const decoded = analyzer.AnalyzeRequest.deserializeBinary(encodeAnalyzeRequest(r, p));
        expect(plain(decoded)).toEqual(plain(viaStubs(new analyzer.AnalyzeRequest(), r, "inputs", p)));
      }
    }
  });

  test("an AnalyzeStack request of a generated platform stack decodes to the stubs' message", () => {
    const graph = parseStateExport(generateStack(600).export, "generated.json");
    const resources = [...graph.resources, ...samples];
    const providerOf = (r: GraphResource) => (r.provider || r.options?.protect ? provider : undefined);
    const decoded = analyzer.AnalyzeStackRequest.deserializeBinary(
      encodeAnalyzeStackRequest(resources, providerOf),
    );
    expect(decoded.getResourcesList()).toHaveLength(resources.length);
    expect(plain(decoded)).toEqual(plain(stackViaStubs(resources, providerOf)));
  });

  test("each resource of a generated stack encodes to exactly as many bytes as the stubs produce", () => {
    // Not byte-equal: the stubs write a Struct's map entries sorted by key, we keep the object's order.
    const graph = parseStateExport(generateStack(300).export, "generated.json");
    for (const r of graph.resources.slice(0, 120)) {
      const ours = encodeAnalyzeRequest(r, provider);
      const theirs = Buffer.from(
        viaStubs(new analyzer.AnalyzeRequest(), r, "inputs", provider).serializeBinary(),
      );
      expect(ours.length).toBe(theirs.length);
    }
  });
});
