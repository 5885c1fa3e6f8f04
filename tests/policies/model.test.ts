/**
 * The environment model at its boundary (parseEnvironment): what E2BEnvironment refuses at preview,
 * before any resource is made.
 */
import { isCalendarDate, parseEnvironment } from "../../policies/model";
import { wellKeptEnvironment } from "../../evals/fixtures/_shared/environment";

const withCreatedAt = (createdAt: string) => ({
  ...wellKeptEnvironment("prod", "production"),
  rotation: { createdAt, maxAgeDays: 90, trigger: "1" },
});

describe("rotation.createdAt", () => {
  it("refuses a day that is not on the calendar, naming the field", () => {
    expect(parseEnvironment(withCreatedAt("2026-02-30"))).toMatchObject({
      ok: false,
      error: "rotation.createdAt: is not a day of the calendar",
    });
  });

  it("refuses a creation date after today: a mistyped year would pass E2B-09 for years", () => {
    const future = new Date(Date.now() + 3_650 * 86_400_000).toISOString().slice(0, 10);
    expect(parseEnvironment(withCreatedAt(future))).toMatchObject({
      ok: false,
      error: "rotation.createdAt: is after today: write the day the current key was created",
    });
    const today = new Date().toISOString().slice(0, 10);
    expect(parseEnvironment(withCreatedAt(today)).ok).toBe(true);
  });
});

test("isCalendarDate: the pattern is not enough", () => {
  expect(["2028-02-29", "2026-12-31"].map(isCalendarDate)).toEqual([true, true]);
  expect(["2027-02-29", "2026-04-31", "2026-13-01", "9999-99-99", "26-1-1"].map(isCalendarDate)).toEqual([
    false,
    false,
    false,
    false,
    false,
  ]);
});
