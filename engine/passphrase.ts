/**
 * Pulumi's passphrase secrets provider, so `preview` with PULUMI_CONFIG_PASSPHRASE set (as for the CLI) can
 * decrypt `secure:` stack config the way the CLI does: key = PBKDF2-SHA256(passphrase, salt, 1,000,000
 * iterations, 32 bytes); values are `v1:<nonce b64>:<AES-256-GCM ciphertext‖tag b64>`; the stack file's
 * `encryptionsalt: v1:<salt b64>:<encrypted "pulumi">` lets a wrong passphrase be told apart.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from "node:crypto";
import path from "node:path";
import { InputError } from "./errors";
import { readBoundedText } from "./limits";

const ITERATIONS = 1_000_000;
const VERIFY_PLAINTEXT = "pulumi";

export type Decrypter = (ciphertext: string) => string | undefined;

function decryptWith(key: Buffer, value: string): string | undefined {
  const parts = value.split(":");
  if (parts.length !== 3 || parts[0] !== "v1") return undefined;
  try {
    const nonce = Buffer.from(parts[1], "base64");
    const data = Buffer.from(parts[2], "base64");
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return undefined;
  }
}

export function encryptWith(key: Buffer, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${data.toString("base64")}`;
}

/**
 * The key the passphrase gives for `salt`. Derived once per passphrase and salt: a project's stack
 * files copied from one another share their salt, and each derivation costs some 170 ms (a million
 * PBKDF2 rounds), once per sibling file a preview compares. A pure function of its arguments, so the
 * last few are kept for the process.
 */
export function deriveKey(passphrase: string, salt: Buffer): Buffer {
  const id = createHash("sha256").update(passphrase).update("\u0000").update(salt).digest("base64");
  let key = derived.get(id);
  if (!key) {
    key = pbkdf2Sync(passphrase, salt, ITERATIONS, 32, "sha256");
    derived.set(id, key);
    if (derived.size > MAX_DERIVED) derived.delete(derived.keys().next().value!);
  }
  return key;
}

const MAX_DERIVED = 16;
const derived = new Map<string, Buffer>();

/** A new `encryptionsalt` and its key, for tests and fixtures that need encrypted config. */
export function newEncryptionSalt(passphrase: string): { encryptionsalt: string; key: Buffer } {
  const salt = randomBytes(8);
  const key = deriveKey(passphrase, salt);
  return { encryptionsalt: `v1:${salt.toString("base64")}:${encryptWith(key, VERIFY_PLAINTEXT)}`, key };
}

const B64 = "[A-Za-z0-9+/]+={0,2}";
const SALT_STATE = new RegExp(`^v1:${B64}:v1:${B64}:${B64}$`);

export function passphraseDecrypter(encryptionsalt: unknown, passphrase: string, file: string): Decrypter {
  if (encryptionsalt === undefined || encryptionsalt === null) {
    throw new InputError(
      `${file}: field 'encryptionsalt' is missing; the stack does not use the passphrase provider`,
      file,
    );
  }
  // As pkg/secrets/passphrase/manager.go reads it: `v1:<salt>:<a v1 ciphertext of "pulumi">`. The
  // value itself is not quoted back: a field someone pasted into may hold anything.
  if (typeof encryptionsalt !== "string" || !SALT_STATE.test(encryptionsalt)) {
    throw new InputError(
      `${file}: field 'encryptionsalt' is malformed (expected v1:<salt>:v1:<nonce>:<ciphertext>, as the passphrase provider writes it)`,
      file,
    );
  }
  const [, salt, ...rest] = encryptionsalt.split(":");
  const key = deriveKey(passphrase, Buffer.from(salt, "base64"));
  if (decryptWith(key, rest.join(":")) !== VERIFY_PLAINTEXT) {
    throw new InputError(`${file}: field 'encryptionsalt': incorrect passphrase`, file);
  }
  return (value) => decryptWith(key, value);
}

export function decryptSecureValue(decrypt: Decrypter, value: string, where: string): string {
  const plain = decrypt(value);
  if (plain === undefined) throw new InputError(`${where}: cannot decrypt secure value`);
  return plain;
}

/** The most of a passphrase file read: a passphrase is a line, not a document. */
const MAX_PASSPHRASE_FILE = 64 * 1024;

/**
 * The passphrase as the CLI finds it (pkg/secrets/passphrase readPassphrase): PULUMI_CONFIG_PASSPHRASE
 * when set, even empty; else the file PULUMI_CONFIG_PASSPHRASE_FILE names (a mounted CI secret), its
 * text with surrounding white space trimmed; else none. A file that cannot be read is bad input.
 */
export function passphraseFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (!file) return undefined;
  try {
    return readBoundedText(path.resolve(file), MAX_PASSPHRASE_FILE).trim();
  } catch (e) {
    const why = e instanceof InputError ? e.message : String(e);
    throw new InputError(`PULUMI_CONFIG_PASSPHRASE_FILE: ${why}`, file);
  }
}
