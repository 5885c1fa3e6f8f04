/**
 * The decrypted secrets a run masks: in a failed program's error (program-worker.ts) and, once a
 * preview holds them, in everything the command writes (cli/output.ts).
 */
import { undecryptedPlaceholder } from "../../policies/detect/hidden-config";
import { maskSecretValues, secretValuesOfGraph } from "../../engine/secret-values";

const KEY = "e2b_0123456789abcdef0123456789abcdef01234567";

describe("the secrets of a previewed graph", () => {
  it("masks each decrypted value, each string of a structured one, and pieces of a key's digits", () => {
    const secrets = secretValuesOfGraph({
      config: {
        "agents:e2bApiKey": KEY,
        "agents:db": JSON.stringify({ user: "ops", password: "hunter2-hunter2" }),
        "agents:owner": "platform-team-owner",
      },
      configSecretKeys: ["agents:e2bApiKey", "agents:db"],
    });
    expect(maskSecretValues("db hunter2-hunter2 owner platform-team-owner", secrets)).toBe(
      "db [secret] owner platform-team-owner",
    );
    expect(maskSecretValues(`urn:…::agent-${KEY.slice(4)}`, secrets)).toBe("urn:…::agent-[secret]");
    expect(maskSecretValues(`bucket-${KEY.slice(12, 30).toUpperCase()}`, secrets)).toBe("bucket-[secret]");
  });

  it("has nothing to mask for a secret it could not decrypt: its placeholder is no value", () => {
    const placeholder = undecryptedPlaceholder("agents:e2bApiKey");
    const secrets = secretValuesOfGraph({
      config: { "agents:e2bApiKey": placeholder, "agents:region": "us-east-1" },
      configSecretKeys: ["agents:e2bApiKey"],
    });
    expect(secrets.values).toEqual([]);
    expect(maskSecretValues(`a ${placeholder} b`, secrets)).toBe(`a ${placeholder} b`);
  });
});
