/** Where `preview` finds the passphrase: where the Pulumi CLI does (engine/passphrase.ts). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { passphraseFromEnv } from "../../engine/passphrase";
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
