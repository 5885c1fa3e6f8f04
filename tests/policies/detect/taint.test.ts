/** Taint: which resources hold the key, and which properties depend on them (issue 3, detectors). */
import { StackIndex } from "../../../policies/detect/stack";

const urn = (t: string, n: string) => `urn:pulumi:dev::p::${t}::${n}`;
const KEY = urn("pulumi-nodejs:dynamic:Resource", "key");
const SECRET = urn("aws:secretsmanager/secret:Secret", "secret");
const VERSION = urn("aws:secretsmanager/secretVersion:SecretVersion", "version");
const FN = urn("aws:lambda/function:Function", "fn");

const key = {
  urn: KEY,
  type: "pulumi-nodejs:dynamic:Resource",
  name: "key",
  inputs: { kind: "e2b-guardrails:ApiKey", name: "p-dev", environment: "dev" },
};
const secret = {
  urn: SECRET,
  type: "aws:secretsmanager/secret:Secret",
  name: "secret",
  inputs: { name: "s" },
};
const version = {
  urn: VERSION,
  type: "aws:secretsmanager/secretVersion:SecretVersion",
  name: "version",
  dependencies: [KEY, SECRET],
  propertyDependencies: { secretString: [KEY], secretId: [SECRET] },
  inputs: { secretId: "s", secretString: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" },
};

describe("taint", () => {
  it("the key resource, the store version fed from it, and the secret that version belongs to hold the key", () => {
    const fn = { urn: FN, type: "aws:lambda/function:Function", name: "fn", inputs: {} };
    const idx = StackIndex.fromGraph([key, secret, version, fn]);
    expect([...idx.keyHolders()].sort()).toEqual([KEY, SECRET, VERSION].sort());
  });

  it("a property depends on what its propertyDependencies name, and only that", () => {
    const fn = {
      urn: FN,
      type: "aws:lambda/function:Function",
      name: "fn",
      dependencies: [KEY, SECRET],
      propertyDependencies: { environment: [KEY], role: [SECRET] },
      inputs: {},
    };
    const idx = StackIndex.fromGraph([key, secret, version, fn]);
    const r = idx.byUrn.get(FN)!;
    expect(idx.dependsOn(r, "environment", idx.keyHolders())).toEqual([KEY]);
    expect(idx.dependsOn(r, "role", new Set([KEY]))).toEqual([]);
    expect(idx.dependsOn(r, "code", idx.keyHolders())).toEqual([]);
  });

  it("without propertyDependencies (older state files), dependencies stand in for every property", () => {
    const fn = { urn: FN, type: "aws:lambda/function:Function", name: "fn", dependencies: [KEY], inputs: {} };
    const idx = StackIndex.fromGraph([key, secret, version, fn]);
    expect(idx.dependsOn(idx.byUrn.get(FN)!, "environment", idx.keyHolders())).toEqual([KEY]);
  });
});
