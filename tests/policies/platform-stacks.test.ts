/** Our own platform stack templates (stacks/, built on components/) must pass every case of our pack. */
import { useScanner } from "../support/scan";

describe("platform stack templates", () => {
  // Pinned rotation date: see TEMPLATES_AS_OF in tests/stacks/templates.test.ts.
  const scan = useScanner({ policyConfig: { "e2b-09-key-rotation": { asOf: "2026-12-01" } } });
  it.each(["prod", "staging", "loadtest"])("%s passes every case with no finding", async (stackName) => {
    const { stack } = await scan.program(".", stackName);
    expect(stack.findings.map((f) => `${f.policy}: ${f.message}`)).toEqual([]);
    expect(stack.cases.map((c) => c.status)).toEqual(Array(9).fill("pass"));
  });
});
