/**
 * The analyzer hooks read an AnalyzeStack request once for every stack policy (stack-request.ts);
 * the index built from that list must be the index built from the list @pulumi/policy itself hands
 * a stack policy, for the same request, field by field.
 */
import { encodeAnalyzeStackRequest, type ProviderInfo } from "../../engine/analyzer-wire";
import { parseStateExport, type GraphResource } from "../../engine";
import { generateStack } from "../../bench/generate";
import { StackIndex, type ResourceLike } from "../../policies/detect/stack-index";
import { stackResourcesOf, withoutResources } from "../../policies/stack-request";

/* eslint-disable @typescript-eslint/no-explicit-any */
const analyzer: any = require("@pulumi/pulumi/proto/analyzer_pb");
const server: any = require("@pulumi/policy/server");
const { deserializeProperties }: any = require("@pulumi/policy/deserialize");

const provider: ProviderInfo = {
  type: "pulumi:providers:aws",
  urn: "urn:pulumi:dev::p::pulumi:providers:aws::default",
  name: "default",
  properties: { region: "us-east-1" },
};

const odd = (over: Partial<GraphResource>): GraphResource => ({
  urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::odd",
  type: "aws:s3/bucket:Bucket",
  name: "odd",
  custom: true,
  dependencies: [],
  propertyDependencies: {},
  inputs: {},
  outputs: { bucket: "b", tags: { env: "dev" } },
  ...over,
});

function request() {
  const graph = parseStateExport(generateStack(400).export, "generated.json");
  const inStack = graph.resources[0].urn;
  const resources = [
    ...graph.resources,
    // Parent, dependencies and property dependencies outside the stack are dropped, as the SDK does.
    odd({
      urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::a",
      parent: "urn:pulumi:dev::p::pkg:index:Gone::gone",
      dependencies: ["urn:elsewhere", inStack],
      propertyDependencies: { bucket: ["urn:elsewhere"], tags: [inStack], empty: [] },
      options: { deleteBeforeReplace: false },
    }),
    odd({
      urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
      parent: inStack,
      options: { deleteBeforeReplace: true },
    }),
  ];
  const providerOf = (r: GraphResource) => (r.custom ? provider : undefined);
  return analyzer.AnalyzeStackRequest.deserializeBinary(encodeAnalyzeStackRequest(resources, providerOf));
}

/** What the SDK's AnalyzeStack handler hands a stack policy for `req`. */
async function sdkResources(req: any): Promise<ResourceLike[]> {
  let seen: ResourceLike[] = [];
  const policy = {
    name: "capture",
    description: "captures its resources",
    enforcementLevel: "advisory",
    validateStack: (args: { resources: ResourceLike[] }) => {
      seen = args.resources;
    },
  };
  const handler = server.makeAnalyzeStackRpcFun("p", "0.0.1", "advisory", [policy]);
  await new Promise<void>((resolve, reject) =>
    handler({ request: req }, (err: unknown) => (err ? reject(err) : resolve())),
  );
  return seen;
}

const fields = (i: StackIndex) =>
  i.resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    provider: r.provider,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
    deleteBeforeReplace: r.deleteBeforeReplace,
    props: r.props,
    outputs: r.outputs,
  }));

describe("the AnalyzeStack request read once for all stack policies", () => {
  it("indexes as the SDK's own resource list does, with unresolved references set aside for the scan", async () => {
    const req = request();
    const ours = stackResourcesOf(req, (s) => deserializeProperties(s, false));
    expect(ours).toBeDefined();
    const [a, b] = await Promise.all([
      StackIndex.fromPolicyResources(ours!),
      StackIndex.fromPolicyResources(await sdkResources(req)),
    ]);
    expect(a.resources.length).toBeGreaterThan(400);
    expect(fields(a)).toEqual(fields(b));
    // The SDK drops a reference to a URN the stack does not hold; we keep it, only as text to scan.
    const odd = a.resources.find((r) => r.name === "odd")!;
    expect(odd.danglingReferences).toEqual([
      { field: "dependencies", urn: "urn:elsewhere", at: "dependencies[0]" },
      { field: "propertyDependencies", urn: "urn:elsewhere", at: "propertyDependencies[0]" },
    ]);
  });

  it("hands the SDK a request that lists no resources and is otherwise the same", async () => {
    const req = request();
    const call = withoutResources({ request: req });
    expect(call.request.getResourcesList()).toEqual([]);
    expect(req.getResourcesList().length).toBeGreaterThan(400);
    expect(await sdkResources(call.request)).toEqual([]);
  });

  it("leaves the request to the SDK when a resource carries no options (a CLI too old for it)", () => {
    const req = request();
    req.getResourcesList()[3].clearOptions();
    expect(stackResourcesOf(req, (s) => deserializeProperties(s, false))).toBeUndefined();
  });
});
