/**
 * PASS needs evidence (policies/README.md "Evidence"): what the pack could not read is said as an
 * advisory, and an advisory about unread files is not a trace of E2B. A stack with no E2B at all stays
 * not-applicable for every case however much of its deployed code was skipped.
 */
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_ARTIFACT_LIMITS } from "../../policies/detect/artifacts";
import { repoRoot, useScanner } from "../support/scan";
import { expectClean, fx, of, status } from "./helpers";

const STORES = "e2b-01-key-only-in-key-stores";
const FIXTURE = fx("no-e2b-bundled-lambda");
const modules = path.join(repoRoot, FIXTURE, "functions/api/node_modules");

/** What `npm install` leaves in a function's folder: a minified bundle over the per-file limit and a native addon. */
function installDependencies(): void {
  const bundle = path.join(modules, "big-lib/dist/big-lib.min.js");
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  const line = "var a=function(b){return b.map(function(c){return c*2})};\n";
  fs.writeFileSync(
    bundle,
    line.repeat(Math.ceil((DEFAULT_ARTIFACT_LIMITS.maxFileBytes + 1024 * 1024) / line.length)),
  );
  const addon = path.join(modules, "sharp/build/Release/sharp.node");
  fs.mkdirSync(path.dirname(addon), { recursive: true });
  fs.writeFileSync(addon, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]));
}

describe("E2B-01 evidence: advisories about unread files", () => {
  const scan = useScanner();
  beforeAll(installDependencies);
  afterAll(() => fs.rmSync(modules, { recursive: true, force: true }));

  it("keeps every case not-applicable on a stack with no E2B whose bundled dependencies were partly skipped", async () => {
    const { stack } = await scan.program(FIXTURE, "dev");
    // The report still says what was not read...
    const notes = of(stack, STORES);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((f) => f.enforcementLevel === "advisory")).toBe(true);
    const said = notes.map((f) => f.message).join("\n");
    expect(said).toContain(
      `big-lib/dist/big-lib.min.js skipped: larger than ${DEFAULT_ARTIFACT_LIMITS.maxFileBytes} bytes`,
    );
    expect(said).toMatch(/sharp\.node skipped as binary/);
    expect(said).toMatch(/https:\/\/example\.com\/layer\.zip is remote and was not read/);
    // ...but what was not read is no trace of E2B: no case is judged, none reads PASS.
    expect(status(stack, "E2B-01")).toBe("not-applicable");
    expect(stack.cases.map((c) => c.status)).toEqual(stack.cases.map(() => "not-applicable"));
    // The advisories stay listed under the case they belong to.
    expect(stack.cases.find((c) => c.id === "E2B-01")!.findings).toHaveLength(notes.length);
    expectClean(stack);
  });
});
