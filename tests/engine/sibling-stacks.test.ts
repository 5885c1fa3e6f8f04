/**
 * The E2B keys of a project's other stack files, read as the previewed stack's is: decrypted with the
 * passphrase where it opens them, otherwise named and (for one `secure:` value) hashed, so a copied
 * ciphertext still shows; a sibling that cannot be read never fails the preview of another stack.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { encryptWith, newEncryptionSalt } from "../../engine/passphrase";
import { readProject, readStackConfig } from "../../engine/project";
import {
  configKeys,
  MAX_SIBLINGS,
  siblingStackKeys,
  stackFileOf,
  stackFilesOf,
} from "../../engine/sibling-stacks";
import { tmpDir } from "../support/tmp";

const KEY = `e2b_${"a1b2c3d4e5".repeat(4)}`;
const OTHER_KEY = `e2b_${"0f9e8d7c6b".repeat(4)}`;

function stackFile(passphrase: string, values: Record<string, string>, copyOf?: string): string {
  const { encryptionsalt, key } = newEncryptionSalt(passphrase);
  const lines = Object.entries(values).map(([k, v]) => `  ${k}:\n    secure: ${encryptWith(key, v)}`);
  return copyOf ?? `encryptionsalt: ${encryptionsalt}\nconfig:\n${lines.join("\n")}\n`;
}

function project(files: Record<string, string>) {
  const dir = tmpDir("sibling-stacks-");
  writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agents\nruntime: nodejs\n");
  writeFileSync(path.join(dir, "index.ts"), "export {};\n");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("siblingStackKeys", () => {
  const staging = stackFile("correct horse", { "agents:e2bApiKey": KEY, "agents:dbPassword": "hunter2" });
  const dir = project({
    "Pulumi.staging.yaml": staging,
    // prod copied from staging: the same ciphertexts
    "Pulumi.prod.yaml": staging,
    "Pulumi.dev.yaml": stackFile("correct horse", { "agents:e2bApiKey": OTHER_KEY }),
    "Pulumi.qa.yaml": stackFile("another passphrase", { "agents:e2bApiKey": OTHER_KEY }),
    "Pulumi.broken.yaml": "config: [",
  });
  const staged = readProject(dir, "staging");

  it("decrypts the siblings the passphrase opens and names the rest with the reason", () => {
    const got = siblingStackKeys(staged, "correct horse");
    expect(got.map((s) => s.stack)).toEqual(["broken", "dev", "prod", "qa"]);
    const [broken, dev, prod, qa] = got;
    expect(prod).toMatchObject({ file: "Pulumi.prod.yaml", hidden: [], sealed: [] });
    expect(prod.keys).toEqual([
      { configKey: "agents:e2bApiKey", fingerprint: expect.any(String), mask: "e2b_…d4e5" },
    ]);
    expect(dev.keys[0].fingerprint).not.toBe(prod.keys[0].fingerprint);
    expect(qa).toMatchObject({
      keys: [],
      hidden: ["agents:e2bApiKey"],
      hiddenBecause: "the passphrase does not open it",
    });
    expect(broken).toMatchObject({
      keys: [],
      hidden: [],
      unread: true,
      // Named relative to the project, as the file is everywhere else in the report (rt40 note).
      hiddenBecause: expect.stringMatching(/^it could not be read: Pulumi\.broken\.yaml: not valid YAML/),
    });
    // Only fingerprints and masks: no key, no ciphertext.
    expect(JSON.stringify(got)).not.toMatch(/a1b2c3d4e5a1|0f9e8d7c6b0f|v1:/);
  });

  it("without the passphrase, hashes each hidden key's ciphertext: a copied file shows as the same hash", () => {
    const own = configKeys(readStackConfig(staged, undefined));
    const prod = siblingStackKeys(staged, undefined).find((s) => s.stack === "prod")!;
    const dev = siblingStackKeys(staged, undefined).find((s) => s.stack === "dev")!;
    // The database password is secret config too, but not the E2B key: not listed.
    expect(own.hidden).toEqual(["agents:e2bApiKey"]);
    expect(prod).toMatchObject({ hidden: ["agents:e2bApiKey"], hiddenBecause: "no passphrase was given" });
    expect(prod.sealed).toEqual(own.sealed);
    expect(dev.sealed[0].ciphertext).not.toBe(own.sealed[0].ciphertext);
  });

  it("hashes each secure leaf of a structured value too, so a copied structured key shows (rt44 #6)", () => {
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    const file = [
      `encryptionsalt: ${encryptionsalt}`,
      "config:",
      "  agents:sandbox:",
      "    region: eu",
      `    apiKey: { secure: ${encryptWith(key, KEY)} }`,
      "  agents:keys:",
      `    - secure: ${encryptWith(key, KEY)}`,
      `    - secure: ${encryptWith(key, OTHER_KEY)}`,
      "",
    ].join("\n");
    const copied = project({ "Pulumi.staging.yaml": file, "Pulumi.prod.yaml": file });
    const own = configKeys(readStackConfig(readProject(copied, "staging"), undefined));
    expect(own.sealed.map((s) => [s.configKey, s.leaf])).toEqual([
      ["agents:sandbox", "apiKey"],
      ["agents:keys", "[0]"],
      ["agents:keys", "[1]"],
    ]);
    const prod = siblingStackKeys(readProject(copied, "staging"), undefined).find((s) => s.stack === "prod")!;
    expect(prod.sealed).toEqual(own.sealed);
    expect(JSON.stringify(own)).not.toMatch(/v1:/);
  });

  it("names the stack files past the limit as not read, instead of dropping them (rt39 #9)", () => {
    const files: Record<string, string> = { "Pulumi.staging.yaml": staging };
    for (let i = 0; i < MAX_SIBLINGS + 2; i++)
      files[`Pulumi.dev-${String(i).padStart(2, "0")}.yaml`] = "config: {}\n";
    const many = siblingStackKeys(readProject(project(files), "staging"), "correct horse");
    expect(many).toHaveLength(MAX_SIBLINGS + 2);
    expect(many.filter((s) => s.unread).map((s) => [s.stack, s.hiddenBecause])).toEqual([
      ["dev-50", `not read: the project has more than ${MAX_SIBLINGS} other stack files`],
      ["dev-51", `not read: the project has more than ${MAX_SIBLINGS} other stack files`],
    ]);
  });

  it("reads no sibling when this stack's config has nothing to compare (no key derivation for nothing)", () => {
    const plain = project({
      "Pulumi.dev.yaml": "config:\n  agents:region: eu\n",
      "Pulumi.prod.yaml": staging,
    });
    const dev = readProject(plain, "dev");
    expect(stackFilesOf(dev, readStackConfig(dev, "correct horse"), "correct horse").siblings).toEqual([]);
    expect(
      stackFilesOf(staged, readStackConfig(staged, "correct horse"), "correct horse").siblings,
    ).toHaveLength(4);
  });

  it("names the previewed stack's own file relative to the project", () => {
    expect(stackFileOf(staged)).toEqual({ stack: "staging", file: "Pulumi.staging.yaml" });
  });
});
