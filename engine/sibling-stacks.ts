/**
 * The E2B keys in a project's stack files: the previewed stack's and its siblings' (the other
 * `Pulumi.<stack>.yaml` files of the same stack config folder). One environment per stack is the
 * common layout, so the same key in two of these files is two environments sharing a key (E2B-02),
 * which a one-stack preview would otherwise never see (the CLI reads only the previewed stack's file).
 * Only fingerprints and masks leave this module.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { findKeysInString } from "../policies/detect/keys";
import {
  ACCESS_TOKEN_NAME,
  CONFIG_KEY_NAME,
  configKeyAsVariable,
  e2bSecureLeaves,
} from "../policies/detect/hidden-config";
import { InputError } from "./errors";
import { listStacks, readStackConfig, type ProjectInfo, type StackConfig } from "./project";

export interface ConfigKey {
  /** The config key holding it (`project:name`). */
  configKey: string;
  fingerprint: string;
  mask: string;
}

export interface StackFileKeys {
  stack: string;
  /** The stack file, as a path relative to the project folder. */
  file: string;
  /** Keys in the file's config values, plaintext or decrypted. */
  keys: ConfigKey[];
  /** Config keys named for the E2B key whose `secure:` value could not be decrypted here. */
  hidden: string[];
  /**
   * Every undecrypted `secure:` leaf (a value, or one inside a structured value): its ciphertext's SHA-256. The provider
   * encrypts with a fresh nonce every time, so another stack file holding the same ciphertext holds a
   * copy of the value, which shows without decrypting it (the hash only keeps the committed ciphertext
   * short).
   */
  sealed: Array<{ configKey: string; ciphertext: string; leaf?: string }>;
  /** Why `hidden` could not be decrypted (no passphrase, another passphrase, unreadable file). */
  hiddenBecause?: string;
  /** The file could not be read at all (or was past the limit): it may hold anything. */
  unread?: true;
}

/** The most sibling stack files read (the rest are named, as not read): bounded work per preview. */
export const MAX_SIBLINGS = 50;

/** A config key (read as a variable) that names the API key, not an access token (E2B-08's). */
const namesApiKey = (variable: string) => CONFIG_KEY_NAME.test(variable) && !ACCESS_TOKEN_NAME.test(variable);

/** The stack a stack file is for, and the file relative to the project folder. */
export function stackFileOf(project: ProjectInfo): Pick<StackFileKeys, "stack" | "file"> {
  const base = path.basename(project.stackConfigFile);
  return {
    stack: base.slice("Pulumi.".length, -".yaml".length),
    file: path.relative(project.dir, project.stackConfigFile),
  };
}

/** The keys a stack's config holds, and the E2B-named secure values it could not decrypt. */
export function configKeys(config: StackConfig): Pick<StackFileKeys, "keys" | "hidden" | "sealed"> {
  const keys: ConfigKey[] = [];
  const seen = new Set<string>();
  for (const [configKey, value] of Object.entries(config.config))
    for (const k of findKeysInString(value))
      if (k.kind === "api-key" && !seen.has(`${configKey}\0${k.fingerprint}`)) {
        seen.add(`${configKey}\0${k.fingerprint}`);
        keys.push({ configKey, fingerprint: k.fingerprint, mask: k.mask });
      }
  const hidden = config.unknownSecretKeys.filter((key) => {
    const shape = config.plaintextOfSecret[key];
    return shape !== undefined
      ? e2bSecureLeaves(shape, key).some((l) => namesApiKey(l.variable))
      : namesApiKey(configKeyAsVariable(key));
  });
  // Every undecrypted value's ciphertext, whatever its name: which of them is the key, the pack knows
  // from the stack (an E2BEnvironment importing its key from a config key not named for it).
  const sealed = Object.entries(config.ciphertexts).flatMap(([configKey, cs]) =>
    cs.map((c) => ({
      configKey,
      ciphertext: createHash("sha256").update(c.secure).digest("hex"),
      ...(c.leaf ? { leaf: c.leaf } : {}),
    })),
  );
  return { keys, hidden, sealed };
}

/**
 * Every other stack file of the project, read as `readStackConfig` reads the previewed one. A file the
 * passphrase does not open (another passphrase, another secrets provider) has its E2B-named secure
 * values listed as hidden; a file that cannot be read at all is listed with the reason, never failing
 * the preview of another stack.
 */
export function siblingStackKeys(project: ProjectInfo, passphrase: string | undefined): StackFileKeys[] {
  const configDir = path.dirname(project.stackConfigFile);
  const out: StackFileKeys[] = [];
  for (const stack of listStacks(configDir)) {
    const stackConfigFile = path.join(configDir, `Pulumi.${stack}.yaml`);
    if (stackConfigFile === project.stackConfigFile) continue;
    const file = path.relative(project.dir, stackConfigFile);
    // Past the limit the files are named, not read: what they hold is not known.
    if (out.length >= MAX_SIBLINGS) {
      const why = `not read: the project has more than ${MAX_SIBLINGS} other stack files`;
      out.push({ stack, file, keys: [], hidden: [], sealed: [], unread: true, hiddenBecause: why });
      continue;
    }
    const read = (p: string | undefined) => readStackConfig({ ...project, stackConfigFile }, p);
    try {
      const found = configKeys(read(passphrase));
      const why =
        passphrase === undefined ? "no passphrase was given" : "it does not use the passphrase provider";
      out.push({ stack, file, ...found, ...(found.hidden.length ? { hiddenBecause: why } : {}) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const why = /incorrect passphrase|encryptionsalt/.test(e.message)
        ? "the passphrase does not open it"
        : // The error names the file by its absolute path: shown relative, as the file is everywhere else.
          `it could not be read: ${e.message.split(stackConfigFile).join(file)}`;
      try {
        const found = configKeys(read(undefined));
        out.push({ stack, file, ...found, ...(found.hidden.length ? { hiddenBecause: why } : {}) });
      } catch (again) {
        if (!(again instanceof InputError)) throw again;
        out.push({ stack, file, keys: [], hidden: [], sealed: [], unread: true, hiddenBecause: why });
      }
    }
  }
  return out;
}

/**
 * The previewed stack's file and its siblings'. The siblings are read only when this stack's config
 * has something to compare (a key, a key-named or any undecrypted value): each sibling the passphrase
 * opens costs a key derivation (PBKDF2, ~170 ms here), which a preview need not pay for nothing.
 */
export function stackFilesOf(
  project: ProjectInfo,
  config: StackConfig,
  passphrase: string | undefined,
): { own: StackFileKeys; siblings: StackFileKeys[] } {
  const own = { ...stackFileOf(project), ...configKeys(config) };
  const comparable = own.keys.length + own.hidden.length + own.sealed.length > 0;
  return { own, siblings: comparable ? siblingStackKeys(project, passphrase) : [] };
}
