import { keyRotation } from "../../policies/e2b-09-key-rotation";
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
  const r = keyRotation.meta.config.safeParse({ asOf: "2025-13-01" });
  expect(r.error?.issues[0]).toMatchObject({ path: ["asOf"], message: "not a calendar date" });
  expect(keyRotation.meta.config.safeParse({ asOf: "2025-02-01" }).success).toBe(true);
});
