/** Regexes in policy config are checked when the config is parsed, so a bad one names its field. */
import { noClientSideKey } from "../../policies/e2b-01-no-client-side-key";
import { timeoutCeiling } from "../../policies/e2b-04-timeout-ceiling";
import { noKeyInSandbox } from "../../policies/e2b-06-no-key-in-sandbox";

describe.each([
  [noClientSideKey.name, noClientSideKey, ["keyNamePattern"]],
  [timeoutCeiling.name, timeoutCeiling, ["timeoutEnvVarPattern"]],
  [
    noKeyInSandbox.name,
    noKeyInSandbox,
    ["sandboxEnvNamePattern", "keyNamePattern", "thirdPartySecretPattern"],
  ],
] as const)("%s", (_name, policy, fields) => {
  it.each(fields)("rejects an invalid regex in %s, naming the field", (field) => {
    const r = policy.meta.config.safeParse({ [field]: "(" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: [field], message: "not a valid regular expression" });
  });

  it("accepts its defaults", () => {
    expect(policy.meta.config.safeParse({}).success).toBe(true);
  });
});
