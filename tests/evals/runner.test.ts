/** What the eval runner says about a fixture that could not run (evals/runner.ts). */
import { randomBytes } from "node:crypto";
import { fixtureErrorLine } from "../../evals/runner";
import { findMaterial } from "../../policies/detect/material";

describe("a fixture's error line", () => {
  it("is its first line and the program's own error, shortened only once encoded keys are masked", () => {
    const key = `e2b_${randomBytes(20).toString("hex")}`;
    const blob = Buffer.from(`E2B_API_KEY=${key}`).toString("base64");
    // Placed so that a cut at 240 characters would fall inside the blob.
    const error = new Error(`first line\nTypeError: ${"x ".repeat(80)}${blob} end`);
    const line = fixtureErrorLine(error);
    expect(line).toMatch(/^first line \(TypeError: x x /);
    expect(line).not.toContain(blob.slice(0, 20));
    expect(findMaterial(line)).toEqual([]);
    expect(line).toContain(`e2b_…${key.slice(-4)}`);
  });

  it("keeps a long error whole up to the cut, which never falls inside a run", () => {
    const line = fixtureErrorLine(new Error(`boom\nError: ${"word ".repeat(100)}`));
    expect(line.length).toBeLessThanOrEqual("boom (".length + 241 + 1);
    expect(line).toMatch(/^boom \(Error: word word .*…\)$/);
  });
});
