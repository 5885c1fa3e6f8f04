import {
  environmentFromTags,
  inferTier,
  stackOfReference,
  stackOfUrn,
} from "../../../policies/detect/environment";
import { StackIndex } from "../../../policies/detect/stack";

describe("environments", () => {
  it.each([
    ["prod", "production"],
    ["production", "production"],
    ["prd-eu", "production"],
    ["staging", "staging"],
    ["load-test", "load-test"],
    ["loadtest", "load-test"],
    ["dev", "development"],
    ["acme-dev", "development"],
    ["product", null],
    ["devops", null],
    // Qualified production is not production (rt45 #1).
    ["pre-prod", "staging"],
    ["nonprod", "staging"],
    ["agents-non-prod", "staging"],
  ])("%s → %s", (name, tier) => expect(inferTier(name)).toBe(tier));

  it("reads tags and labels with configurable keys, maps and lists", () => {
    expect(environmentFromTags({ tags: { Environment: "Prod" } }, ["environment"])).toBe("prod");
    expect(environmentFromTags({ metadata: { labels: { stage: "dev" } } }, ["stage"])).toBe("dev");
    expect(environmentFromTags({ tags: [{ key: "env", value: "staging" }] }, ["env"])).toBe("staging");
    expect(environmentFromTags({ tags: { owner: "x" } }, ["env"])).toBeNull();
  });

  it("parses URNs and stack references", () => {
    expect(stackOfUrn("urn:pulumi:prod::proj::aws:s3/bucket:Bucket::b")).toEqual({
      stack: "prod",
      project: "proj",
    });
    expect(stackOfReference("acme/proj/dev")).toBe("dev");
  });

  it("resolves a resource's environment: component ancestor, key input, tag, then stack (linear, memoized)", () => {
    const urn = (t: string, n: string) => `urn:pulumi:platform::p::${t}::${n}`;
    const envUrn = urn("e2b-guardrails:index:E2BEnvironment", "prod");
    const idx = StackIndex.fromGraph([
      {
        urn: envUrn,
        type: "e2b-guardrails:index:E2BEnvironment",
        name: "prod",
        inputs: { name: "prod", tier: "production" },
      },
      {
        urn: urn("aws:s3/bucket:Bucket", "child"),
        type: "aws:s3/bucket:Bucket",
        name: "child",
        parent: envUrn,
        inputs: {},
      },
      {
        urn: urn("pulumi-nodejs:dynamic:Resource", "k"),
        type: "pulumi-nodejs:dynamic:Resource",
        name: "k",
        inputs: { kind: "e2b-guardrails:ApiKey", environment: "dev" },
      },
      {
        urn: urn("aws:s3/bucket:Bucket", "tagged"),
        type: "aws:s3/bucket:Bucket",
        name: "tagged",
        inputs: { tags: { env: "staging" } },
      },
      { urn: urn("aws:s3/bucket:Bucket", "plain"), type: "aws:s3/bucket:Bucket", name: "plain", inputs: {} },
    ]);
    const env = (n: string) =>
      idx.environmentOf(
        idx.resources.find((r) => r.name === n)!,
        ["environment", "env"],
      );
    expect(env("child")).toMatchObject({ name: "prod", tier: "production", source: "component" });
    expect(env("k")).toMatchObject({ name: "dev", source: "key" });
    expect(env("tagged")).toMatchObject({ name: "staging", source: "tag" });
    expect(env("plain")).toMatchObject({ name: "platform", source: "stack" });
  });

  it("never takes the unknown-at-preview sentinel for an environment name (tags, key input, component name)", () => {
    const U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(environmentFromTags({ tags: [{ key: "env", value: U }] }, ["env"])).toBeNull();
    expect(environmentFromTags({ tags: { env: U } }, ["env"])).toBeNull();
    const urn = (t: string, n: string) => `urn:pulumi:platform::p::${t}::${n}`;
    const idx = StackIndex.fromGraph([
      {
        urn: urn("e2b-guardrails:index:E2BEnvironment", "prod"),
        type: "e2b-guardrails:index:E2BEnvironment",
        name: "prod",
        inputs: { name: U, tier: "production" },
      },
      {
        urn: urn("pulumi-nodejs:dynamic:Resource", "k"),
        type: "pulumi-nodejs:dynamic:Resource",
        name: "k",
        inputs: { kind: "e2b-guardrails:ApiKey", environment: U },
      },
    ]);
    expect(idx.environments.map((e) => e.name)).toEqual(["prod"]);
    expect(
      idx.environmentOf(idx.byUrn.get(urn("pulumi-nodejs:dynamic:Resource", "k"))!, ["env"]),
    ).toMatchObject({
      name: "platform",
      source: "stack",
    });
  });
});
