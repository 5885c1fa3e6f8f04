/** Where `preview` finds the passphrase: where the Pulumi CLI does (engine/passphrase.ts). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { deriveKey, passphraseFromEnv } from "../../engine/passphrase";
import { tmpDir } from "../support/tmp";

describe("the passphrase, as the CLI finds it", () => {
  const file = path.join(tmpDir("passphrase-"), "passphrase.txt");
  writeFileSync(file, "correct horse\n");

  it("takes PULUMI_CONFIG_PASSPHRASE first, even empty, then the file PULUMI_CONFIG_PASSPHRASE_FILE names, trimmed", () => {
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE: "pw", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe(
      "pw",
    );
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("");
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("correct horse");
    expect(passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "" })).toBeUndefined();
    expect(passphraseFromEnv({})).toBeUndefined();
  });

  it("says in one line that a file it names cannot be read", () => {
    const missing = path.join(path.dirname(file), "missing.txt");
    expect(() => passphraseFromEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: missing })).toThrow(
      `PULUMI_CONFIG_PASSPHRASE_FILE: ${missing}: cannot read (ENOENT)`,
    );
  });
});

describe("deriveKey", () => {
  it("derives a passphrase's key for a salt once: stack files copied from one another share their salt", () => {
    const salt = Buffer.from("0123abcd", "hex");
    const key = deriveKey("correct horse", salt);
    // The same key object again, not a second million PBKDF2 rounds.
    expect(deriveKey("correct horse", Buffer.from("0123abcd", "hex"))).toBe(key);
    expect(deriveKey("another passphrase", salt).equals(key)).toBe(false);
    expect(deriveKey("correct horse", Buffer.from("0123abce", "hex")).equals(key)).toBe(false);
  });
});
