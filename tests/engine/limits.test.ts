/**
 * Input limits (engine/limits.ts): a graph from any source (a program's registrations too) that is
 * too deep or too large is refused before a request is built, as one line naming the source and the
 * resource — not a protobuf failure, not a stack overflow — and the pack process keeps serving.
 */
import type { GraphResource, ResourceGraph, WireObject } from "../../engine";
import { InputError } from "../../engine";
import { LIMITS, checkJsonSize, readBoundedText } from "../../engine/limits";
import { useScanner } from "../support/scan";

function graph(inputs: WireObject): ResourceGraph {
  const r: GraphResource = {
    urn: "urn:pulumi:dev::app::aws:s3/bucket:Bucket::deep",
    type: "aws:s3/bucket:Bucket",
    name: "deep",
    custom: true,
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: inputs,
  };
  return {
    project: "app",
    stack: "dev",
    organization: "o",
    source: { kind: "program", path: "/work/app" },
    tags: {},
    config: {},
    resources: [r],
  };
}

function nested(depth: number): WireObject {
  let v: WireObject = { leaf: "x" };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("input limits", () => {
  const scan = useScanner();

  it("refuses a resource nested 1,500 levels deep, naming the program and the resource, and keeps serving", async () => {
    await expect(scan.graph(graph(nested(1500)))).rejects.toThrow(
      new InputError(
        `/work/app: field 'deep (aws:s3/bucket:Bucket) inputs' nests deeper than ${LIMITS.depth} levels (the limit for a property tree)`,
      ),
    );
    const { stack } = await scan.graph(graph(nested(50)));
    expect(stack.stack).toBe("dev");
  }, 30_000);

  it("refuses more property values than the limit", async () => {
    const wide: WireObject = {};
    for (let i = 0; i <= LIMITS.values / 2; i++) wide[`k${i}`] = i;
    await expect(scan.graph(graph(wide))).rejects.toThrow(
      /^too large: \/work\/app \(limit 500,000 property values per stack/,
    );
  }, 30_000);

  it("reads at most the limit from an endless device", () => {
    expect(() => readBoundedText("/dev/zero", 1 << 20)).toThrow("too large: /dev/zero (limit 1 MiB)");
  });

  it("counts values in JSON text without parsing it, strings included", () => {
    expect(() => checkJsonSize(`[${"0,".repeat(LIMITS.values)}0]`, "a.json")).toThrow(/^too large: a\.json/);
    expect(() => checkJsonSize(JSON.stringify(",".repeat(LIMITS.values + 5)), "b.json")).not.toThrow();
  });
});
