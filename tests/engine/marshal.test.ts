/**
 * Values reach a pack as the Pulumi CLI marshals them (analyzer_plugin.go: no KeepResources): a custom
 * resource reference becomes its id, or the unknown sentinel while the id is not known (a preview); a
 * component reference becomes its URN; top-level internal `__` keys are dropped. @pulumi/policy cannot
 * read resource references, so sending them raw failed every program that passes a resource as an input.
 */
import path from "node:path";
import { AnalyzerHost, UNKNOWN, type GraphResource, type ResourceGraph, type WireObject } from "../../engine";
import { RESOURCE_REFERENCE_SIG, analyzerProperties, withoutResourceReferences } from "../../engine/marshal";

const SIG = "4dabf18193072939515e22adb298388d";
const ref = (urn: string, id?: string): WireObject => ({
  [SIG]: RESOURCE_REFERENCE_SIG,
  urn,
  ...(id !== undefined ? { id } : {}),
  packageVersion: "7.0.0",
});
const bucketUrn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::site";
const componentUrn = "urn:pulumi:dev::p::acme:index:Storage::logs";

describe("analyzerProperties", () => {
  it("downgrades references at any depth: custom → id (unknown while unknown), component → URN", () => {
    expect(
      analyzerProperties({
        bucket: ref(bucketUrn, "site-4f2a"),
        pending: ref(bucketUrn, ""),
        nested: { list: [1, { storage: ref(componentUrn) }] },
      }),
    ).toEqual({
      bucket: "site-4f2a",
      pending: UNKNOWN,
      nested: { list: [1, { storage: componentUrn }] },
    });
  });

  it("drops top-level internal keys only, and leaves a tree without references untouched", () => {
    const tree = { __defaults: ["x"], a: { __inner: 1 } };
    expect(analyzerProperties(tree)).toEqual({ a: { __inner: 1 } });
    const clean = { a: { b: [1, 2, { c: "d" }] } };
    expect(withoutResourceReferences(clean)).toBe(clean);
  });

  it("walks a tree 100,000 levels deep without overflowing the stack", () => {
    let deep: WireObject = { leaf: ref(componentUrn) };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    let out = withoutResourceReferences(deep) as WireObject;
    while (out.d) out = out.d as WireObject;
    expect(out.leaf).toBe(componentUrn);
  });
});

describe("what a pack receives (through the analyzer protocol)", () => {
  let host: AnalyzerHost;
  beforeAll(async () => {
    host = await AnalyzerHost.start(path.join(__dirname, "fixtures/echo-pack"));
  });
  afterAll(() => host.stop());

  const resource = (name: string, type: string, custom: boolean, uses: WireObject): GraphResource => ({
    urn: `urn:pulumi:dev::p::${type}::${name}`,
    type,
    name,
    custom,
    dependencies: [],
    propertyDependencies: {},
    inputs: { uses },
    outputs: { uses },
  });

  it("gets ids and URNs in Analyze and AnalyzeStack, never a reference it cannot unmarshal", async () => {
    const graph: ResourceGraph = {
      project: "p",
      stack: "dev",
      organization: "o",
      source: { kind: "program", path: "." },
      tags: {},
      config: {},
      resources: [
        resource("c", "test:index:Consumer", true, {
          bucket: ref(bucketUrn, "site-4f2a"),
          storage: ref(componentUrn),
        }),
      ],
    };
    const r = await host.analyze(graph);
    const echoed = (policy: string) =>
      r.diagnostics.filter((d) => d.policyName === policy).map((d) => d.message);
    const expected = JSON.stringify({ bucket: "site-4f2a", storage: componentUrn });
    expect(echoed("echo-inputs")).toEqual([expect.stringContaining(expected)]);
    expect(echoed("echo-outputs")).toEqual([expect.stringContaining(expected)]);
  });
});
