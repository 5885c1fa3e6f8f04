/**
 * A finding's fingerprint is its identity in baselines: the same finding keeps it when findings are
 * reordered, when figures in its message change, and when the rest of the stack changes; a different
 * key, property or check gets another. Key material never goes into it.
 */
import { findingFingerprint, messageShape } from "../../policies/fingerprint";
import { locationTrailer, parseLocationTrailer } from "../../policies/location";
import { findingFromDiagnostic, type Finding } from "../../policies/report";
import { fingerprintKey } from "../../policies/detect/keys";
import { waivedMessage } from "../../policies/waivers";

const KEY_A = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const KEY_B = "e2b_" + "fedcba9876543210".repeat(3).slice(0, 40);
const lambda = "urn:pulumi:prod::agents-api::aws:lambda/function:Function::api";
const env = "urn:pulumi:prod::agents::e2b-guardrails:index:E2BEnvironment::prod";

const keyFinding = (over: Partial<Finding> = {}): Finding => ({
  policy: "e2b-01-key-only-in-key-stores",
  caseId: "E2B-01",
  enforcementLevel: "mandatory",
  severity: "critical",
  urn: lambda,
  message:
    "aws:lambda/function:Function 'api' holds an E2B API key (e2b_…4567) at environment.variables.E2B_API_KEY.",
  path: "environment.variables.E2B_API_KEY",
  keyFingerprint: fingerprintKey(KEY_A),
  ...over,
});

const ceiling = (what: string, value: string, limit: string): Finding => ({
  policy: "e2b-03-sandbox-profile-and-cost",
  caseId: "E2B-03",
  enforcementLevel: "mandatory",
  severity: "high",
  urn: env,
  message: `E2BEnvironment 'prod' ${what} ${value} exceeds the production ceiling of ${limit} (expected $972.36/month). Lower maxConcurrency.`,
});

describe("findingFingerprint", () => {
  it("is the same when only the figures in the message change (a cost, a count, an age, a date)", () => {
    expect(findingFingerprint(ceiling("worst-case monthly cost", "$1,944.72", "$1,000.00"))).toBe(
      findingFingerprint(ceiling("worst-case monthly cost", "$3,889.44", "$1,500.00")),
    );
    const age = (days: number, date: string) => ({
      ...ceiling("", "", ""),
      policy: "e2b-09-key-rotation",
      message: `E2BEnvironment 'prod' key was created on ${date}, ${days} days ago, beyond the maximum age of 90 days.`,
    });
    expect(findingFingerprint(age(95, "2026-08-28"))).toBe(findingFingerprint(age(96, "2026-08-27")));
  });

  it("tells apart two checks of one policy on one resource", () => {
    expect(findingFingerprint(ceiling("expected monthly cost", "$972.36", "$500.00"))).not.toBe(
      findingFingerprint(ceiling("worst-case monthly cost", "$972.36", "$500.00")),
    );
  });

  it("identifies a key finding by policy, URN, property path and key fingerprint, not by its wording", () => {
    const a = keyFinding();
    expect(
      findingFingerprint({
        ...a,
        message: a.message + " (reworded)",
        enforcementLevel: "advisory",
      } as Finding),
    ).toBe(findingFingerprint(a));
    expect(findingFingerprint(keyFinding({ keyFingerprint: fingerprintKey(KEY_B) }))).not.toBe(
      findingFingerprint(a),
    );
    expect(findingFingerprint(keyFinding({ path: "environment.variables.E2B_FALLBACK_KEY" }))).not.toBe(
      findingFingerprint(a),
    );
    expect(findingFingerprint(keyFinding({ urn: lambda.replace("::api", "::worker") }))).not.toBe(
      findingFingerprint(a),
    );
    expect(findingFingerprint(keyFinding({ policy: "e2b-06-no-key-in-sandbox" }))).not.toBe(
      findingFingerprint(a),
    );
  });

  it("does not depend on the order findings come in", () => {
    const list = [keyFinding(), ceiling("expected monthly cost", "$1", "$0.50"), keyFinding({ path: "x" })];
    const prints = list.map(findingFingerprint);
    expect([...list].reverse().map(findingFingerprint)).toEqual([...prints].reverse());
    expect(new Set(prints).size).toBe(3);
  });

  it("holds no key material and has a versioned, fixed shape", () => {
    const f = findingFingerprint(keyFinding({ message: `raw ${KEY_A}` }));
    expect(f).toMatch(/^v1:[0-9a-f]{32}$/);
    expect(f).not.toContain(KEY_A.slice(4, 12));
  });

  it("keeps key masks and fingerprints in the message shape and drops trailers", () => {
    expect(messageShape("E2B key e2b_…4567 appears in 2 environments (sha256:0a1b2c3d4e5f)")).toBe(
      "E2B key e2b_…4567 appears in # environments (sha256:0a1b2c3d4e5f)",
    );
    expect(
      messageShape('Budget $10 is low.\n[waiver expired] The waiver by a ("b") expired on 2026-01-01'),
    ).toBe("Budget # is low.");
  });
});

describe("the [at] trailer carries path and key fingerprint over the analyzer protocol", () => {
  const at = { path: 'spec.env["E2B KEY"]', keyFingerprint: fingerprintKey(KEY_A) };

  it("round-trips, after a waiver trailer, through findingFromDiagnostic", () => {
    const waiver = { urn: "*", reason: "migrating", owner: "platform@example.com", expires: "2099-01-01" };
    const message = `Keys must live in a key store.\n${waivedMessage("holds a key (e2b_…4567)", waiver)}${locationTrailer(at)}`;
    const f = findingFromDiagnostic({
      policyName: "e2b-01-key-only-in-key-stores",
      description: "Keys must live in a key store.",
      message,
      enforcementLevel: "advisory",
      urn: lambda,
    });
    expect(f).toMatchObject({
      message: "holds a key (e2b_…4567)",
      path: at.path,
      keyFingerprint: at.keyFingerprint,
      waiver: { owner: "platform@example.com", expires: "2099-01-01", reason: "migrating" },
    });
  });

  it("is left alone when malformed, and never carries anything but a sha256 fingerprint as key", () => {
    expect(parseLocationTrailer("msg\n[at] path=not-json")).toEqual({
      message: "msg\n[at] path=not-json",
      location: {},
    });
    expect(locationTrailer({ keyFingerprint: KEY_A })).toBe("");
    expect(locationTrailer(undefined)).toBe("");
  });
});
