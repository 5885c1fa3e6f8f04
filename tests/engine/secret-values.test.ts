/**
 * The decrypted secrets a run masks: in a failed program's error (program-worker.ts) and, once a
 * preview holds them, in everything the command writes (cli/output.ts).
 */
import { undecryptedPlaceholder } from "../../policies/detect/hidden-config";
import { maskSecretValues, secretValuesOfGraph, withKeysAround } from "../../engine/secret-values";
import { holdsKeyPiece, keyDigitPieces } from "../../policies/detect/keys";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tmpDir } from "../support/tmp";

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
    // Glued to letters: a hex literal, a name, a suffix (rt52 #1).
    expect(maskSecretValues(`0x${KEY.slice(4)} worker${KEY.slice(4, 28)} ${KEY.slice(4)}z`, secrets)).toBe(
      "0x[secret] worker[secret] [secret]z",
    );
  });

  it("masks a key's digits printed in groups, as code prints an id, and keeps the words around them (rt51 #2)", () => {
    const secrets = secretValuesOfGraph({
      config: { "agents:e2bApiKey": KEY },
      configSecretKeys: ["agents:e2bApiKey"],
    });
    const digits = KEY.slice(4);
    const mask = (text: string) => maskSecretValues(text, secrets);
    expect(mask(`rejected: ${digits.match(/.{4}/g)!.join(" ")} at a bad face`)).toBe(
      "rejected: [secret] at a bad face",
    );
    expect(mask(digits.match(/.{2}/g)!.join(":"))).toBe("[secret]");
    expect(mask(`id ${digits.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, "$1-$2-$3-$4-$5-")}`)).toBe(
      "id [secret]",
    );
    expect(mask(`${digits.match(/.{1,10}/g)!.join("\n")}\nnext line`)).toBe("[secret]\nnext line");
    expect(mask(digits.match(/.{1,10}/g)!.join("\\n"))).toBe("[secret]");
    expect(mask([...digits].join(" ").toUpperCase())).toBe("[secret]");
    // Groups of other hex (a git SHA, a UUID) are no piece of the key.
    const other = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad";
    expect(mask(`commit ${other} ${other.slice(0, 8)}-${other.slice(8, 12)}`)).toBe(
      `commit ${other} ${other.slice(0, 8)}-${other.slice(8, 12)}`,
    );
  });

  it("masks a key spelled out a character at a time, from config or from the deployer's environment", () => {
    const spelled = [...KEY].map((c, i) => `0x${i.toString(16).padStart(2, "0")}: ${c}`).join("\n");
    const fromConfig = secretValuesOfGraph({
      config: { "agents:e2bApiKey": KEY },
      configSecretKeys: ["agents:e2bApiKey"],
    });
    expect(maskSecretValues(`dump:\n${spelled}\ndone`, fromConfig)).toMatch(
      /^dump:\n.{0,40}\[secret\]\ndone$/s,
    );
    const none = secretValuesOfGraph({ config: {}, configSecretKeys: [] });
    const fromEnv = withKeysAround(none, { E2B_API_KEY: KEY }, []);
    expect(maskSecretValues(`dump:\n${spelled}\ndone`, fromEnv)).toMatch(/^dump:\n.{0,40}\[secret\]\ndone$/s);
    expect(maskSecretValues(`dump:\n${spelled}\ndone`, none)).toContain(spelled);
  });

  it("knows a key in a small file of the program's folders, down to two levels, but not in node_modules (rt57 #3)", () => {
    const dir = tmpDir("key-files-");
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    const keyOf = (digits: string) => `e2b_${digits}`;
    const [top, config, deep, deeper, modules] = ["a", "b", "c", "d", "e"].map((c) => c.repeat(40));
    put(".env", `E2B_API_KEY=${keyOf(top)}\n`);
    put("config/.env", `E2B_API_KEY=${keyOf(config)}\n`);
    put("secrets/prod/e2b.key", keyOf(deep));
    put("secrets/prod/old/e2b.key", keyOf(deeper));
    put("node_modules/x/key.txt", keyOf(modules));
    const known = withKeysAround(secretValuesOfGraph({ config: {}, configSecretKeys: [] }), {}, [
      dir,
    ]).keyDigits;
    expect([...known].sort()).toEqual([top, config, deep]);
  });

  it("knows at most 16 keys, the environment's first: a folder of test fixtures holds thousands (rt59 #1)", () => {
    const dir = tmpDir("many-keys-");
    mkdirSync(path.join(dir, "fixtures"));
    const digits = (n: number) => n.toString(16).padStart(40, "0");
    const many = Array.from({ length: 1400 }, (_, n) => `e2b_${digits(n + 1)}`).join("\n");
    writeFileSync(path.join(dir, "fixtures", "keys.txt"), many);
    const fromEnv = `e2b_${"f".repeat(40)}`;
    const known = withKeysAround(
      secretValuesOfGraph({ config: {}, configSecretKeys: [] }),
      { E2B_API_KEY: fromEnv },
      [dir],
    ).keyDigits;
    expect(known.size).toBe(16);
    expect(known).toContain("f".repeat(40));
    expect(known).toContain(digits(1));
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

describe("a value holding a piece of a decrypted key (the recorder ties it to its config key)", () => {
  const pieces = keyDigitPieces(KEY);
  const digits = KEY.slice(4);
  it("holds one in the digits written whole, in groups, or in pairs with colons (rt51 #7)", () => {
    for (const v of [
      digits,
      digits.match(/.{4}/g)!.join("-"),
      digits.match(/.{2}/g)!.join(":").toUpperCase(),
    ])
      expect(holdsKeyPiece(`TOKEN=${v}`, pieces)).toBe(true);
  });
  it("holds one in digits glued to letters: a hex literal, a name, a suffix (rt52 #1)", () => {
    for (const v of [`0x${digits}`, `worker${digits.slice(0, 24)}`, `${digits}z`, `ab${digits}xyz`])
      expect(holdsKeyPiece(v, pieces)).toBe(true);
  });
  it("holds none in other hex, grouped or not", () => {
    const sha = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad";
    for (const v of [sha, sha.match(/.{4}/g)!.join(" "), "a bad face 1234 5678"])
      expect(holdsKeyPiece(v, pieces)).toBe(false);
  });
});
