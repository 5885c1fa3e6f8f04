import { crossStackFindings, stackFacts } from "../../../policies/cross-stack";

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
