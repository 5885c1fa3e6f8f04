/**
 * The secret config values this engine decrypted, masked wherever a failed program shows them: a
 * program prints or throws what it was given, whole or in part, and a pattern finds an E2B key only
 * by its shape (real42 #2: `key.slice(4)`, the key's forty digits without `e2b_`, went through). The
 * Pulumi CLI masks secret values in a program's output the same way.
 */
import { opendirSync, readFileSync, statSync, type Dir } from "node:fs";
import path from "node:path";
import { addDigitPieces, keyDigitsIn, maskKeyPieces, redactKeys } from "../policies/detect/keys";
import { maskSpelledKeys } from "../policies/detect/spelled-keys";
import { redactMaterial } from "../policies/detect/redact";
import { undecryptedPlaceholder } from "../policies/detect/hidden-config";
import type { ResourceGraph } from "./graph";
import type { StackRun } from "./language-host";

/** What stands for a secret value in a failed program's error and output. */
export const SECRET_MASK = "[secret]";

/** Values shorter than this are not masked: too likely to be ordinary text. */
const MIN_VALUE = 8;

/** What a run's decrypted secrets are masked by: the values, and the pieces of the keys in them. */
export interface SecretValues {
  /** Each value, trimmed too, and each string of a structured one; longest first. */
  values: string[];
  /** Every KEY_PIECE-long window of each key's digits, forwards and backwards, lower case (keys.ts). */
  keyPieces: Set<string>;
  /** The forty digits of each key, lower case: masked spelled out too (spelled-keys.ts). */
  keyDigits: Set<string>;
}

/** The decrypted secret values of a run (each string leaf of a structured one too). */
export function secretValuesOf(
  run: Pick<StackRun, "config" | "secretKeys" | "unknownSecretKeys">,
): SecretValues {
  const unknown = new Set(run.unknownSecretKeys);
  const values = new Set<string>();
  const keyDigits = new Set<string>();
  const add = (v: string) => {
    // As shown too: the error and output are redacted before they are masked, so a value holding a
    // key shows with that key masked (`https://hooks…?key=e2b_…3210`).
    for (const x of [v, v.trim()])
      for (const y of [x, redactKeys(x), redactMaterial(x)]) if (y.length >= MIN_VALUE) values.add(y);
    for (const d of keyDigitsIn(v)) keyDigits.add(d);
  };
  for (const key of run.secretKeys) {
    const value = run.config[key];
    if (unknown.has(key) || typeof value !== "string") continue;
    add(value);
    for (const leaf of stringLeaves(value)) add(leaf);
  }
  return secretsOf(
    [...values].sort((a, b) => b.length - a.length),
    keyDigits,
  );
}

/** Secret values with the keys' digits, and the pieces of those digits masked on their own. */
function secretsOf(values: string[], keyDigits: Set<string>): SecretValues {
  const keyPieces = new Set<string>();
  for (const d of keyDigits) addDigitPieces(keyPieces, d);
  return { values, keyPieces, keyDigits };
}

/**
 * The decrypted secret values behind a previewed program's graph: its `secure:` config, less what
 * could not be decrypted (those hold the engine's placeholder, never a value).
 */
export function secretValuesOfGraph(graph: Pick<ResourceGraph, "config" | "configSecretKeys">): SecretValues {
  const secretKeys = graph.configSecretKeys ?? [];
  return secretValuesOf({
    config: graph.config,
    secretKeys,
    unknownSecretKeys: secretKeys.filter((k) => graph.config[k]?.includes(undecryptedPlaceholder(k))),
  });
}

/** Files this large or larger are not read for keys (a dotenv file, a key file, is a few lines). */
const MAX_KEY_FILE_BYTES = 64 * 1024;
/** At most this many entries of a program's folder are looked at, its top first. */
const MAX_KEY_FILES = 256;
/**
 * How far below a program's folder key files are looked for: `config/.env`, `secrets/e2b.key`,
 * `secrets/prod/e2b.key` (rt57 #3).
 */
const MAX_KEY_FILE_DEPTH = 2;
/** Folders no key file of the program's own is kept in, and that may hold thousands of entries. */
const NOT_KEY_FOLDERS = new Set(["node_modules", ".git", ".hg", ".svn"]);

/**
 * The small files in `root` and its folders down to MAX_KEY_FILE_DEPTH, breadth first (the top's
 * files before any folder's), MAX_KEY_FILES entries at most.
 */
function smallFilesUnder(root: string): string[] {
  const files: string[] = [];
  let seen = 0;
  let level = [root];
  for (let depth = 0; depth <= MAX_KEY_FILE_DEPTH; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (seen >= MAX_KEY_FILES) return files;
      // Entry by entry: a folder of a million files is not listed whole for the few looked at (rt59 #2).
      let d: Dir;
      try {
        d = opendirSync(dir);
      } catch {
        continue;
      }
      try {
        for (let e = d.readSync(); e && seen < MAX_KEY_FILES; e = d.readSync()) {
          seen++;
          const file = path.join(dir, e.name);
          if (e.isDirectory()) {
            if (!NOT_KEY_FOLDERS.has(e.name)) next.push(file);
            continue;
          }
          try {
            const st = statSync(file);
            if (st.isFile() && st.size >= KEY_TEXT && st.size < MAX_KEY_FILE_BYTES) files.push(file);
          } catch {
            // Unreadable: nothing to add.
          }
        }
      } catch {
        // A folder that cannot be read on: what was read stands.
      } finally {
        d.closeSync();
      }
    }
    level = next;
  }
  return files;
}

/**
 * The digits of the E2B keys a program may hold without its config: in its environment (the
 * deployer's shell, a CI secret) and in the small files of its folders (a `.env` a dotenv loader
 * reads, a `.e2bkey`, `secrets/e2b.key`), which it may read (real43 #3: `key.slice(4)` in an error
 * printed a key from `process.env` or a file; rt52 #6: a successful preview's report, a name built
 * from one). Read once a preview has run: a few reads.
 */
function keysAround(env: NodeJS.ProcessEnv, dirs: readonly string[]): Set<string> {
  const keys = new Set<string>();
  const add = (text: string) => {
    for (const d of keyDigitsIn(text)) if (keys.size < MAX_KNOWN_KEYS) keys.add(d);
  };
  for (const v of Object.values(env)) if (v && v.length >= KEY_TEXT) add(v);
  for (const dir of new Set(dirs))
    for (const file of smallFilesUnder(dir)) {
      if (keys.size >= MAX_KNOWN_KEYS) return keys;
      try {
        add(readFileSync(file, "latin1"));
      } catch {
        // Unreadable: nothing to add.
      }
    }
  return keys;
}

/**
 * At most this many keys are known from the environment and the program's files (environment first,
 * then files, the top's first): masking costs time in step with the keys it knows, and a folder of
 * test fixtures may hold thousands (rt59 #1: 14,000 keys made a failed preview take 307 s and
 * 1.4 GB). A deployer holds a few; a key past these is still masked whole by the redactor.
 */
export const MAX_KNOWN_KEYS = 16;

/** The length of the shortest text that holds a key (`e2b_` and forty digits). */
const KEY_TEXT = 44;

/** `secrets` with the keys in `env` and beside the program in `dirs` to mask too (keysAround). */
export function withKeysAround(
  secrets: SecretValues,
  env: NodeJS.ProcessEnv,
  dirs: readonly string[],
): SecretValues {
  const keys = keysAround(env, dirs);
  if (keys.size === 0) return secrets;
  return secretsOf(secrets.values, new Set([...secrets.keyDigits, ...keys]));
}

/** The digits of every key a run knows: in its decrypted config, its environment, and beside the program in `dirs`. */
export function knownKeysOf(run: Parameters<typeof secretValuesOf>[0], dirs: readonly string[]): Set<string> {
  return withKeysAround(secretValuesOf(run), process.env, dirs).keyDigits;
}

/** Whether there is anything to mask. */
export function holdsSecrets(secrets: SecretValues): boolean {
  return secrets.values.length > 0 || secrets.keyPieces.size > 0;
}

/** The string leaves of a structured value's JSON; none for a plain string. */
function stringLeaves(value: string): string[] {
  if (!/^[[{]/.test(value)) return [];
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  try {
    walk(JSON.parse(value));
  } catch {
    // Not JSON: the value is masked as a whole only.
  }
  return out;
}

/**
 * `text` with every value masked, every run of hex digits that holds a piece of a key's digits
 * (`key.slice(4, 30)`, upper-cased, reversed; rt50 #5), and every stretch that spells a key's digits
 * one by one in whatever layout (spelled-keys.ts). Linear in the text for each value.
 */
export function maskSecretValues(text: string, secrets: SecretValues): string {
  let out = text;
  for (const v of secrets.values) if (out.includes(v)) out = out.split(v).join(SECRET_MASK);
  return maskSpelledKeys(maskKeyPieces(out, secrets.keyPieces, SECRET_MASK), secrets.keyDigits, SECRET_MASK);
}
