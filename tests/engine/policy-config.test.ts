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

  it("refuses a setting the policy does not have, naming the policies that have it (the CLI ignores it)", () => {
    // A setting under the wrong policy (one that moved, a typo) would otherwise change nothing, silently.
    expect(() => reconcilePolicyConfig(policies, {}, { b: { max: 3 } }, "cfg.json")).toThrow(
      "cfg.json: field 'b.max': policy 'b' has no setting 'max' (it is a setting of a)",
    );
    expect(() => reconcilePolicyConfig(policies, {}, { a: { maxx: 3 } }, "cfg.json")).toThrow(
      "cfg.json: field 'a.maxx': policy 'a' has no setting 'maxx'",
    );
  });

  it("refuses a setting under 'all', which the CLI copies to no policy", () => {
    expect(() => reconcilePolicyConfig(policies, {}, { all: { max: 3 } }, "cfg.json")).toThrow(
      "cfg.json: field 'all.max': 'all' sets only an enforcement level (it is a setting of a)",
    );
    expect(levels(reconcilePolicyConfig(policies, {}, { all: { enforcementLevel: "disabled" } }))).toEqual({
      a: "disabled",
      b: "disabled",
    });
  });

  it("validates the merged properties against the schema, naming policy and field", () => {
    expect(() => reconcilePolicyConfig(policies, {}, { a: { max: 11 } }, "cfg.json")).toThrow(InputError);
    expect(() => reconcilePolicyConfig(policies, {}, { a: { max: 11 } }, "cfg.json")).toThrow(
      /^cfg\.json: policy 'a': field 'max' must be <= 10$/,
    );
  });

  describe("names the innermost field that fails and what it must be", () => {
    const waivers: PolicyDescriptor = {
      name: "w",
      enforcementLevel: "advisory",
      configSchema: {
        properties: {
          waivers: {
            type: "array",
            items: {
              type: "object",
              properties: {
                urn: { type: "string", minLength: 1 },
                expires: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
                mode: { enum: ["warn", "skip"] },
              },
              required: ["urn", "expires"],
              additionalProperties: false,
            },
          },
          link: { type: "string", format: "uri" },
        },
      },
    };
    const entry = { urn: "urn:a", expires: "2027-01-01" };
    it.each([
      [{ waivers: [entry, { urn: "urn:b" }] }, "field 'waivers.1.expires' is required"],
      [{ waivers: [{ ...entry, owner: "me" }] }, "field 'waivers.0.owner' is not allowed"],
      [
        { waivers: [{ ...entry, expires: "soon" }] },
        `field 'waivers.0.expires' must match pattern "^\\d{4}-\\d{2}-\\d{2}$"`,
      ],
      [{ waivers: [{ ...entry, urn: "" }] }, "field 'waivers.0.urn' must NOT have fewer than 1 characters"],
      [
        { waivers: [{ ...entry, mode: "ignore" }] },
        "field 'waivers.0.mode' must be equal to one of the allowed values",
      ],
      [{ waivers: "none" }, "field 'waivers' must be array"],
      [{ link: "not a uri" }, `field 'link' must match format "uri"`],
    ])("%j", (config, message) => {
      expect(() => reconcilePolicyConfig([waivers], {}, { w: config }, "cfg.json")).toThrow(
        `cfg.json: policy 'w': ${message}`,
      );
    });

    it("accepts what the schema allows", () => {
      const config = { waivers: [entry, { ...entry, mode: "skip" }], link: "https://example.com/runbook" };
      expect(reconcilePolicyConfig([waivers], {}, { w: config }).get("w")!.properties).toEqual(config);
    });
  });
});
