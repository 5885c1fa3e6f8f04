import { reconcilePolicyConfig, type UserPolicyConfig } from "../../../engine/policy-config";
import { crossStackFindings, stackFacts } from "../../../policies/cross-stack";
import { policies } from "../../../policies/policies";

const KEY = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const HEX = KEY.slice(4);

function env(stack: string, name: string, tier: string, teamId: string, secretName: string) {
  return {
    urn: `urn:pulumi:${stack}::agents::e2b-guardrails:index:E2BEnvironment::${name}`,
    type: "e2b-guardrails:index:E2BEnvironment",
    name,
    inputs: { name, tier, teamId, secretStore: { kind: "aws-secrets-manager", name: secretName } },
  };
}
function lambda(stack: string, value: string) {
  return {
    urn: `urn:pulumi:${stack}::agents::aws:lambda/function:Function::api`,
    type: "aws:lambda/function:Function",
    name: "api",
    inputs: {
      environment: {
        variables: {
          E2B_API_KEY: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value },
        },
      },
    },
  };
}

describe("cross-stack detection", () => {
  it("finds a key, a secret and a team shared between prod and dev stacks, in both stacks", () => {
    const prod = stackFacts(
      [env("prod", "prod", "production", "team-1", "e2b/shared"), lambda("prod", KEY)],
      { stack: "prod", project: "agents" },
    );
    const dev = stackFacts([env("dev", "dev", "development", "team-1", "e2b/shared"), lambda("dev", KEY)], {
      stack: "dev",
      project: "agents",
    });
    expect(JSON.stringify([prod, dev])).not.toContain(HEX);
    const out = crossStackFindings([prod, dev]);
    for (const s of ["agents/prod", "agents/dev"]) {
      const fs = out.get(s)!;
      expect(
        fs
          .filter((f) => f.policy === "e2b-02-no-cross-environment-key-reference")
          .map((f) => f.message)
          .join("\n"),
      ).toMatch(/E2B key e2b_…4567[\s\S]*Secret aws-secrets-manager:e2b\/shared/);
      expect(fs.some((f) => f.policy === "e2b-07-workspace-isolation" && f.caseId === "E2B-07")).toBe(true);
    }
    expect(JSON.stringify([...out.values()])).not.toContain(HEX);
  });

  it("stays quiet when environments are separate", () => {
    const prod = stackFacts([env("prod", "prod", "production", "team-p", "e2b/prod"), lambda("prod", KEY)], {
      stack: "prod",
      project: "a",
    });
    const dev = stackFacts(
      [env("dev", "dev", "development", "team-d", "e2b/dev"), lambda("dev", "e2b_" + "f".repeat(40))],
      { stack: "dev", project: "a" },
    );
    expect([...crossStackFindings([prod, dev]).values()].flat()).toEqual([]);
  });

  it("is linear: 2,000 stacks compare quickly", () => {
    const facts = Array.from({ length: 2000 }, (_, i) =>
      stackFacts([env(`s${i}`, `e${i}`, i % 2 ? "development" : "production", `t${i}`, `e2b/${i}`)], {
        stack: `s${i}`,
        project: "p",
      }),
    );
    const t0 = Date.now();
    crossStackFindings(facts);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

/** The config as the CLI reconciles it for the pack (declared levels, schema defaults, the user's file). */
function reconciled(user: UserPolicyConfig) {
  return reconcilePolicyConfig(
    policies.map((p) => ({
      name: p.name,
      enforcementLevel: p.enforcementLevel!,
      configSchema: p.configSchema,
    })),
    {},
    user,
  );
}
function taggedLambda(stack: string, tags: Record<string, string>) {
  return { ...lambda(stack, KEY), inputs: { ...lambda(stack, KEY).inputs, tags } };
}

describe("cross-stack findings are judged from the configured policies", () => {
  const shared = (config: ReturnType<typeof reconciled>) => {
    const facts = [
      stackFacts(
        [env("prod", "prod", "production", "team-1", "e2b/shared"), lambda("prod", KEY)],
        {
          stack: "prod",
          project: "agents",
        },
        config,
      ),
      stackFacts(
        [env("dev", "dev", "development", "team-1", "e2b/shared"), lambda("dev", KEY)],
        {
          stack: "dev",
          project: "agents",
        },
        config,
      ),
      stackFacts(
        [env("staging", "staging", "staging", "team-1", "e2b/staging")],
        {
          stack: "staging",
          project: "agents",
        },
        config,
      ),
    ];
    return [...crossStackFindings(facts, config).values()].flat();
  };
  const policiesOf = (fs: ReturnType<typeof shared>) => [...new Set(fs.map((f) => f.policy))].sort();

  it("reports at each policy's configured level, and not at all when it is disabled", () => {
    const fs = shared(
      reconciled({
        "e2b-02-no-cross-environment-key-reference": "advisory",
        "e2b-07-workspace-isolation": "disabled",
      }),
    );
    expect(policiesOf(fs)).toEqual(["e2b-02-no-cross-environment-key-reference"]);
    expect(new Set(fs.map((f) => `${f.enforcementLevel}/${f.severity}`))).toEqual(new Set(["advisory/high"]));
  });

  it("separates production from e2b-07's isolatedTiers, whatever they are configured to be", () => {
    const teamFindings = (user: UserPolicyConfig) =>
      shared(reconciled(user))
        .filter((f) => f.policy === "e2b-07-workspace-isolation")
        .map((f) => f.urn.split("::").pop())
        .sort();
    expect(teamFindings({})).toEqual(["dev", "prod"]);
    expect(teamFindings({ "e2b-07-workspace-isolation": { isolatedTiers: ["load-test"] } })).toEqual([]);
    expect(
      teamFindings({ "e2b-07-workspace-isolation": { isolatedTiers: ["staging", "development"] } }),
    ).toEqual(["dev", "prod", "staging"]);
  });

  it("applies the policy's waivers as the pack does: advisory, with the waiver", () => {
    const waiver = {
      urn: "*aws:lambda/function:Function::api",
      reason: "migration",
      owner: "ops",
      expires: "2999-01-01",
    };
    const fs = shared(reconciled({ "e2b-02-no-cross-environment-key-reference": { waivers: [waiver] } }));
    const onLambda = fs.filter((f) => f.urn.endsWith("::api"));
    expect(onLambda.length).toBeGreaterThan(0);
    for (const f of onLambda)
      expect(f).toMatchObject({
        enforcementLevel: "advisory",
        waiver: { owner: "ops", reason: "migration" },
      });
    // The shared secret is reported on the environments, which the waiver does not cover.
    expect(
      fs.filter((f) => !f.urn.endsWith("::api") && f.policy.startsWith("e2b-02")).every((f) => !f.waiver),
    ).toBe(true);
  });

  it("names environments with e2b-02's configured tag keys", () => {
    const findings = (user: UserPolicyConfig) => {
      const config = reconciled(user);
      const facts = ["blue", "green"].map((s) =>
        stackFacts([taggedLambda(s, { deployment: "prod" })], { stack: s, project: "agents" }, config),
      );
      return [...crossStackFindings(facts, config).values()].flat();
    };
    // By default the stacks name two environments (blue, green) sharing one key.
    expect(findings({}).length).toBe(2);
    // Tagged as one environment, the key is that environment's own.
    expect(
      findings({ "e2b-02-no-cross-environment-key-reference": { environmentTagKeys: ["deployment"] } }),
    ).toEqual([]);
  });
});
