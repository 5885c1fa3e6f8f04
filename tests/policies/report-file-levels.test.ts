/** The pack's own report records the enforcement level the CLI configured (not only the declared one). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Report } from "../../policies/report";
import { useScanner } from "../support/scan";
import { fx } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2b-report-levels-"));
const file = path.join(dir, "report.json");
process.env.E2B_GUARDRAILS_REPORT = file;

describe("E2B_GUARDRAILS_REPORT with configured enforcement levels", () => {
  const scan = useScanner({ policyConfig: { all: "advisory" } });
  afterAll(() => {
    delete process.env.E2B_GUARDRAILS_REPORT;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records findings at the configured level, so the case verdicts match the CLI's", async () => {
    const { stack } = await scan.program(fx("lambda-plaintext-key"), "dev");
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as Report;
    expect(written.stacks[0].findings.length).toBeGreaterThan(0);
    expect([...new Set(written.stacks[0].findings.map((f) => f.enforcementLevel))]).toEqual(["advisory"]);
    expect(written.stacks[0].cases.map((c) => c.status)).toEqual(stack.cases.map((c) => c.status));
    expect(written.stacks[0].cases.find((c) => c.id === "E2B-01")?.status).toBe("pass");
  });
});
