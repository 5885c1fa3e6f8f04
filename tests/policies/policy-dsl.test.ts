/** What a policy reports is safe to print as it is: the Pulumi CLI prints the pack's messages itself. */
import { judgeFinding } from "../../policies/policy-dsl";

const KEY = "e2b_" + "3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";

describe("judgeFinding", () => {
  it("masks a key in a message, plain or base64-encoded (a property named by the encoded key)", () => {
    const encoded = Buffer.from(`token=${KEY}`).toString("base64");
    const f = judgeFinding({
      policy: "e2b-01-key-from-secret-store",
      severity: "critical",
      level: "mandatory",
      waivers: [],
      urn: "urn:pulumi:dev::p::aws:sqs/queue:Queue::q",
      message: `property ${encoded} takes its value from ${KEY}`,
    });
    expect(f.message).not.toContain(encoded.slice(8, 40));
    expect(f.message).not.toContain(KEY.slice(4));
    expect(f.message).toContain("e2b_…9b1d");
  });
});
