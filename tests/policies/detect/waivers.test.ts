import {
  expiredWaiverMessage,
  globMatch,
  matchWaiver,
  parseWaiverMessage,
  waivedMessage,
  waiverSchema,
} from "../../../policies/waivers";
import { findingFromDiagnostic } from "../../../policies/report";

const w = {
  urn: "urn:pulumi:*::*::aws:lambda/function:Function::api",
  reason: 'migrating [Q3] "soon"',
  owner: "ops@example.com",
  expires: "2099-01-01",
};

describe("waivers", () => {
  it("globs match across the slashes and colons of URNs", () => {
    expect(globMatch(w.urn, "urn:pulumi:prod::proj::aws:lambda/function:Function::api")).toBe(true);
    expect(globMatch(w.urn, "urn:pulumi:prod::proj::aws:lambda/function:Function::api2")).toBe(false);
    expect(globMatch("e2b-01-*", "e2b-01-no-client-side-key")).toBe(true);
  });

  it("`*` matches any character, a newline in a hostile stack name too", () => {
    const urn = "urn:pulumi:dev\nstaging\n::proj::aws:lambda/function:Function::api";
    expect(globMatch("*", urn)).toBe(true);
    expect(globMatch(w.urn, urn)).toBe(true);
    expect(globMatch("urn:pulumi:dev?staging*", urn)).toBe(true);
  });

  it("applies unexpired waivers, reports expired ones, and respects the policy field", () => {
    const urn = "urn:pulumi:prod::proj::aws:lambda/function:Function::api";
    expect(matchWaiver([w], "e2b-01-x", urn, "2026-01-01")).toEqual({ waiver: w, expired: false });
    expect(matchWaiver([w], "e2b-01-x", urn, "2099-01-02")).toEqual({ waiver: w, expired: true });
    expect(matchWaiver([{ ...w, policy: "e2b-02-*" }], "e2b-01-x", urn, "2026-01-01")).toBeUndefined();
    // The waiver is valid through its expiry day.
    expect(matchWaiver([w], "p", urn, "2099-01-01")?.expired).toBe(false);
  });

  it("round-trips the waived message, even with quotes and brackets in the reason", () => {
    const msg = waivedMessage("finding text\nsecond line", w);
    expect(parseWaiverMessage(msg)).toEqual({
      message: "finding text\nsecond line",
      waiver: { reason: w.reason, owner: w.owner, expires: w.expires },
    });
    expect(parseWaiverMessage("plain finding")).toBeNull();
    expect(parseWaiverMessage(expiredWaiverMessage("x", w))).toBeNull();
    expect(expiredWaiverMessage("x", w)).toContain("expired on 2099-01-01");
  });

  it("the CLI rebuilds Finding.waiver from a diagnostic", () => {
    const f = findingFromDiagnostic({
      policyName: "e2b-01-key-only-in-key-stores",
      description: "desc",
      message: "desc\n" + waivedMessage("holds a key", w),
      enforcementLevel: "advisory",
      severity: "critical",
      urn: "u",
    });
    expect(f).toMatchObject({ caseId: "E2B-01", message: "holds a key", waiver: { owner: w.owner } });
  });
});

describe("a waiver's expiry", () => {
  it("must be a day of the calendar: a typo must not decide when a finding comes back", () => {
    // rt38 #8: 2027-02-30, 2027-13-45 and 9999-99-99 were accepted, the last never expiring.
    for (const expires of ["2027-02-30", "2027-13-45", "9999-99-99", "2027-31-12"]) {
      const r = waiverSchema.safeParse({ ...w, expires });
      expect([expires, r.error?.issues[0]]).toEqual([
        expires,
        expect.objectContaining({ path: ["expires"], message: "is not a day of the calendar" }),
      ]);
    }
    expect(waiverSchema.safeParse({ ...w, expires: "2028-02-29" }).success).toBe(true);
  });
});
