/**
 * Per-case verdicts at a real `pulumi preview`: with E2B_GUARDRAILS_REPORT set, the pack writes the JSON
 * report itself at AnalyzeStack; its verdicts must equal those our commands compute from the diagnostics.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Report } from "../../policies/report";
import { useScanner } from "../support/scan";
import { PLANTED, fx } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2b-report-"));
const file = path.join(dir, "nested", "report.json");
process.env.E2B_GUARDRAILS_REPORT = file;

describe("E2B_GUARDRAILS_REPORT", () => {
  const scan = useScanner();
  afterAll(() => {
    delete process.env.E2B_GUARDRAILS_REPORT;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["lambda-plaintext-key", "dev"],
    ["cost-and-alarms-wrong", "prod"],
    ["no-e2b", "dev"],
    ["pass-multi", "dev"],
  ])("writes the same verdicts and findings for %s", async (fixture, stackName) => {
    const { stack } = await scan.program(fx(fixture), stackName);
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as Report;
    expect(written).toMatchObject({ schemaVersion: 1, pack: { name: "e2b-guardrails" } });
    expect(written.stacks).toHaveLength(1);
    const ws = written.stacks[0];
    expect(ws.stack).toBe(stackName);
    // One stack summary: the same environment name and cost figures as the CLI's report.
    expect({ environment: ws.environment, costs: ws.costs }).toEqual({
      environment: stack.environment,
      costs: stack.costs,
    });
    expect(ws.cases.map((c) => `${c.id}:${c.status}`)).toEqual(stack.cases.map((c) => `${c.id}:${c.status}`));
    const key = (f: { policy: string; urn: string; message: string; enforcementLevel: string }) =>
      `${f.policy}|${f.urn}|${f.enforcementLevel}|${f.message}`;
    expect(ws.findings.map(key).sort()).toEqual(stack.findings.map(key).sort());
    for (const hex of PLANTED) expect(JSON.stringify(written)).not.toContain(hex);
  });

  it("includes the cost figures of every modelled environment", async () => {
    await scan.program(fx("pass-multi"), "dev");
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as Report;
    expect(written.stacks[0].costs?.map((c) => c.environment).sort()).toEqual(["dev", "prod"]);
    // A stack of several environments names them all (the pack said "dev", the stack name, before).
    expect(written.stacks[0].environment).toBe("dev,prod");
    expect(written.stacks[0].costs?.find((c) => c.environment === "prod")).toMatchObject({
      expectedMonthlyUsd: 388.94,
      worstCaseMonthlyUsd: 1944.72,
      budgetMonthlyUsd: 2000,
    });
  });
});
