/**
 * Config reconciliation as the Pulumi CLI does it (pkg/resource/analyzer/config.go
 * ReconcilePolicyPackConfig): schema defaults, then the pack's initial config, then the user's file,
 * each layer applying "all" before per-policy entries; the result validated against each schema.
 */
import { InputError } from "../../engine";
import { reconcilePolicyConfig, type PolicyDescriptor } from "../../engine/policy-config";

const policies: PolicyDescriptor[] = [
  {
    name: "a",
    enforcementLevel: "advisory",
    configSchema: { properties: { max: { type: "integer", maximum: 10, default: 5 } } },
  },
  { name: "b", enforcementLevel: "mandatory" },
];

const levels = (m: Map<string, { enforcementLevel: string }>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, v.enforcementLevel]));

describe("policy config reconciliation", () => {
  it("starts from declared levels and schema defaults", () => {
    const r = reconcilePolicyConfig(policies, {}, {});
    expect(levels(r)).toEqual({ a: "advisory", b: "mandatory" });
    expect(r.get("a")!.properties).toEqual({ max: 5 });
  });

  it("applies the pack's initial config, including its 'all', before the user's", () => {
    const r = reconcilePolicyConfig(
      policies,
      { all: { enforcementLevel: "disabled" }, b: { properties: {} } },
      {},
    );
    expect(levels(r)).toEqual({ a: "disabled", b: "disabled" });
    const u = reconcilePolicyConfig(
      policies,
      { all: { enforcementLevel: "disabled" }, a: { properties: { max: 7 } } },
      { all: "advisory", b: { enforcementLevel: "mandatory" } },
    );
    expect(levels(u)).toEqual({ a: "advisory", b: "mandatory" });
    expect(u.get("a")!.properties).toEqual({ max: 7 });
  });

  it("user per-policy entries win over the user's 'all'", () => {
    const r = reconcilePolicyConfig(policies, {}, { all: "disabled", a: "mandatory" });
    expect(levels(r)).toEqual({ a: "mandatory", b: "disabled" });
  });

  it.each([5, null, true, ["mandatory"]])("rejects 'all': %j as the CLI does", (all) => {
    expect(() => reconcilePolicyConfig(policies, {}, { all }, "cfg.json")).toThrow(
      "cfg.json: field 'all' must be an enforcement level or an object",
    );
  });

  it("validates the merged properties against the schema, naming policy and field", () => {
    expect(() => reconcilePolicyConfig(policies, {}, { a: { max: 11 } }, "cfg.json")).toThrow(InputError);
    expect(() => reconcilePolicyConfig(policies, {}, { a: { max: 11 } }, "cfg.json")).toThrow(
      /^cfg\.json: policy 'a': field 'max' must be <= 10$/,
    );
  });
});
