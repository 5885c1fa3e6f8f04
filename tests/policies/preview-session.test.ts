/**
 * The pack's per-preview state has one owner and one lifetime: what a stack recorded (inputs, the
 * shared index, diagnostics) is dropped when the next stack begins, and the configured settings
 * (levels, the price table) are what every rule and the report read.
 */
import { PreviewSession } from "../../policies/preview-session";

const ENV_TYPE = "e2b-guardrails:index:E2BEnvironment";
const urn = (stack: string) => `urn:pulumi:${stack}::agents::${ENV_TYPE}::main`;
/** The component as AnalyzeStack carries it: outputs only, no model. */
const outputsOnly = (stack: string) => [{ urn: urn(stack), type: ENV_TYPE, name: "main", props: {} }];
const model = { name: "prod", tier: "production", sandbox: { vcpu: 2 } };

describe("PreviewSession", () => {
  it("judges a stack by the inputs its Analyze calls recorded", async () => {
    const s = new PreviewSession();
    s.beginStack({ stack: "prod", project: "agents", tags: {} });
    s.recordInputs(urn("prod"), Promise.resolve(model));
    const index = await s.stackIndex(outputsOnly("prod"));
    expect(index.environments.map((e) => [e.name, e.modelAvailable])).toEqual([["prod", true]]);
    expect(index.stack).toBe("prod");
    // Every stack policy of one AnalyzeStack shares the index.
    expect(await s.stackIndex(outputsOnly("prod"))).toBe(index);
  });

  it("drops the previous stack's inputs and index at ConfigureStack", async () => {
    const s = new PreviewSession();
    s.beginStack({ stack: "prod", project: "agents", tags: {} });
    s.recordInputs(urn("prod"), Promise.resolve(model));
    const first = await s.stackIndex(outputsOnly("prod"));
    s.endStack();
    s.beginStack({ stack: "prod", project: "agents", tags: {} });
    const second = await s.stackIndex(outputsOnly("prod"));
    expect(second).not.toBe(first);
    expect(second.environments[0].modelAvailable).toBe(false);
  });

  it("starts a new stack on an Analyze after AnalyzeStack when the CLI sends no ConfigureStack", async () => {
    const s = new PreviewSession();
    s.recordInputs(urn("prod"), Promise.resolve(model));
    await s.stackIndex(outputsOnly("prod"));
    s.endStack();
    s.recordInputs("urn:pulumi:prod::agents::aws:s3/bucket:Bucket::b", Promise.resolve({}));
    expect((await s.stackIndex(outputsOnly("prod"))).environments[0].modelAvailable).toBe(false);
  });

  it("reads levels and the one price table from the configured policies", () => {
    const s = new PreviewSession();
    expect(s.prices).toEqual({ vcpuSecondUsd: 0.000014, gibSecondUsd: 0.0000045 });
    expect(s.levelOf("e2b-04-timeout-ceiling", "mandatory")).toBe("mandatory");
    s.configure(
      new Map([
        [
          "e2b-03-sandbox-profile-and-cost",
          { enforcementLevel: "mandatory", properties: { prices: { vcpuSecondUsd: 0.0014 } } },
        ],
        ["e2b-04-timeout-ceiling", { enforcementLevel: "remediate", properties: {} }],
      ]),
    );
    expect(s.prices).toEqual({ vcpuSecondUsd: 0.0014, gibSecondUsd: 0.0000045 });
    // Stack policies cannot remediate: a remediate level reports as mandatory, as the SDK does.
    expect(s.levelOf("e2b-04-timeout-ceiling", "advisory")).toBe("mandatory");
  });
});
