import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { keyRotation } from "../../policies/e2b-09-key-rotation";
import { tmpDir } from "../support/tmp";
import type { StackReport } from "../../policies/report";
import { useScanner } from "../support/scan";
import { expectClean, fx, of, status } from "./helpers";

const P = "e2b-09-key-rotation";

describe(P, () => {
  const scan = useScanner();

  it("fails an imported key, an old key with a year-long max age, and a key deleted before its replacement", async () => {
    const { stack } = await scan.program(fx("rotation"), "prod");
    const msgs = of(stack, P)
      .map((f) => f.message)
      .join("\n");
    expect(msgs).toMatch(/'prod' imports a key created outside IaC/);
    expect(msgs).toMatch(/'staging' allows keys to live 365 days, above the maximum of 90/);
    expect(msgs).toMatch(
      /'staging' key was created on 2025-01-02, \d+ days ago, beyond the maximum age of 90 days/,
    );
    expect(msgs).toMatch(/'staging-extra-key' sets deleteBeforeReplace/);
    expect(status(stack, "E2B-09")).toBe("fail");
  });

  it("passes fresh IaC-owned keys with a rotation trigger", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-09")).toBe("pass");
  });

  it("reports unknown rotation settings at preview as advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expectClean(stack);
  });
});

describe(`${P} judged as of a fixed date`, () => {
  const scan = useScanner({ policyConfig: { [P]: { asOf: "2025-02-01" } } });
  it("counts ages from asOf", async () => {
    const { stack } = await scan.program(fx("rotation"), "prod");
    expect(
      of(stack, P)
        .map((f) => f.message)
        .join("\n"),
    ).not.toMatch(/key was created on 2025-01-02/);
  });
});

test("asOf must be a calendar date: a month 13 would make every age NaN and pass every key", () => {
  for (const asOf of ["2025-13-01", "2027-02-30"]) {
    const r = keyRotation.meta.config.safeParse({ asOf });
    expect(r.error?.issues[0]).toMatchObject({ path: ["asOf"], message: "is not a day of the calendar" });
  }
  expect(keyRotation.meta.config.safeParse({ asOf: "2025-02-01" }).success).toBe(true);
});

describe(`${P} on a deployed stack`, () => {
  const scan = useScanner();
  // The export's other E2B-09 finding (no key resource in this small export) is not about dates.
  const aboutCreation = (stack: StackReport) =>
    of(stack, P)
      .map((f) => f.message)
      .filter((m) => m.includes("createdAt"));
  const exported = (createdAt: string) => {
    const text = readFileSync(`${fx("states")}/org-dev.json`, "utf8").replace(
      '"createdAt": "2026-11-01"',
      `"createdAt": "${createdAt}"`,
    );
    const file = path.join(tmpDir("e2b-09-"), "dev.json");
    writeFileSync(file, text);
    return file;
  };

  it("fails a creation date after today (a mistyped year), which would read as a key of negative age for years", async () => {
    // rt38 #9: 2036 typed for 2026 passed E2B-09 until 2036.
    const future = new Date(Date.now() + 3_650 * 86_400_000).toISOString().slice(0, 10);
    const [stack] = (await scan.states([exported(future)])).stacks;
    expect(aboutCreation(stack)).toEqual([
      expect.stringMatching(
        new RegExp(
          `'dev' rotation\\.createdAt is ${future}, after \\d{4}-\\d{2}-\\d{2}: that is no creation date`,
        ),
      ),
    ]);
    expect(status(stack, "E2B-09")).toBe("fail");
    const today = new Date().toISOString().slice(0, 10);
    expect(aboutCreation((await scan.states([exported(today)])).stacks[0])).toEqual([]);
  });

  it("fails a creation date that is no day of the calendar", async () => {
    const [stack] = (await scan.states([exported("2026-02-30")])).stacks;
    expect(aboutCreation(stack)).toEqual([
      expect.stringMatching(/rotation\.createdAt '2026-02-30' is not a date/),
    ]);
  });
});
