/**
 * Provenance of secret config values the offline engine could not decrypt.
 *
 * The Pulumi CLI cannot preview a stack whose `secure:` values it cannot decrypt, so the pack never
 * sees an undecrypted secret there. Our offline preview can (no passphrase, or another secrets
 * provider): the program's secret getters then answer with an unknown secret, and the engine's
 * preload (engine/preload/unknown-secrets.js) gives that unknown one dependency on a marker URN of
 * type UNDECRYPTED_CONFIG_TYPE named after the config key. The SDK carries dependencies through
 * `apply`, `interpolate` and `all`, so a resource property fed by the value lists the marker among
 * its property dependencies, and the rules can judge it by the config key's name, as they would judge
 * the decrypted value: the verdict does not depend on the passphrase.
 */

import { UNKNOWN_STRING } from "./unknowns";

/** The marker's type token (the same string is written in engine/preload/unknown-secrets.js). */
export const UNDECRYPTED_CONFIG_TYPE = "e2b-guardrails:offline:UndecryptedConfig";

/** How the offline engine writes a `secure:` leaf in a structured value's shape (engine/project.ts). */
export const SECURE_LEAF = "[secret]";

/** A variable name about E2B (`E2B_SECRET_ARN`, `MY_E2B_KEY`): the names that make a stack an E2B stack. */
export const E2B_NAME = /(^|_)E2B(_|$)/i;

/**
 * The `secure:` leaves of the structured config value `key` whose path, read as a variable with the
 * key's name, is about E2B (`agents` → `e2b.apiKey`, `e2b` → `apiKey`), in the value's order: each
 * leaf's path in the value and that variable. `shape` is the value as the stack file writes it, JSON,
 * with SECURE_LEAF for each secure leaf: readable without the passphrase. The value as a whole then
 * may carry the key, though which part a property took is hidden.
 */
export function e2bSecureLeaves(shape: string, key: string): Array<{ path: string; variable: string }> {
  const out: Array<{ path: string; variable: string }> = [];
  let root: unknown;
  try {
    root = JSON.parse(shape);
  } catch {
    return out;
  }
  const stack: Array<{ v: unknown; path: string[] }> = [{ v: root, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (v === SECURE_LEAF) {
      const variable = configKeyAsVariable([key, ...path].join("."));
      if (E2B_NAME.test(variable) || CONFIG_KEY_NAME.test(variable))
        out.push({ path: path.join("."), variable });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path });
    } else if (v && typeof v === "object") {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ v: entries[i][1], path: [...path, entries[i][0]] });
    }
  }
  return out;
}

/** `urn:pulumi:<stack>::<project>::<type>::<key>` with exactly the marker type (no parent chain). */
const MARKER_URN = new RegExp(`^urn:pulumi:[^:]*::[^:]*::${UNDECRYPTED_CONFIG_TYPE}::`);

/** The config key (`project:name`) a marker URN names, or undefined for any other URN. */
export function undecryptedConfigKey(urn: string): string | undefined {
  const m = MARKER_URN.exec(urn);
  return m ? urn.slice(m[0].length) : undefined;
}

/**
 * Config keys, read as variables, that name the key: `e2bApiKey`, `e2bApikey`, `e2bApiKeyProd`,
 * `prodE2bAccessToken` (a config key is named by hand; env vars are judged by `keyNamePattern`); not
 * the names of a reference to it (`e2bApiKeySecretName`, `e2bApiKeyArn`, `e2bApiKeyParam`).
 */
export const CONFIG_KEY_NAME =
  /(^|_)E2B_?(API_?KEY|ACCESS_?TOKEN)(?!_(SECRET_)?(NAME|ARN|ID|PATH|REF|REFERENCE|URI|URL|PARAM|PARAMETER|VERSION|HASH|FINGERPRINT)(_|$))(_|$)/;

/** A variable name (a config key or a secure leaf read as one) that says it holds an access token. */
export const ACCESS_TOKEN_NAME = /ACCESS_?TOKEN/;

/**
 * A config key as the environment variable it would be (`app:e2bApiKey` → `E2B_API_KEY`, `e2b:apiKey`
 * → `E2B_API_KEY`), so one name pattern judges variables and config keys alike.
 */
export function configKeyAsVariable(key: string): string {
  // `namespace:name`: the namespace ends at the first colon.
  const colon = key.indexOf(":");
  const ns = colon < 0 ? "" : key.slice(0, colon);
  const name = key.slice(colon + 1);
  const words = name
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase())
    // A name in one lower-case word (`e2bkey`, `e2bapitoken`) is about E2B as `e2bKey` is (rt44 #7).
    .flatMap((w) => (/^E2B[A-Z]/.test(w) ? ["E2B", w.slice(3)] : [w]));
  // `e2b:apiKey` is the e2b namespace's apiKey: the namespace says what it is about.
  if (ns.toLowerCase() === "e2b" && words[0] !== "E2B") words.unshift("E2B");
  return words.join("_");
}

/**
 * The property-dependency entry under which the engine lists the markers of undecrypted values a
 * resource's name was built from (`rn-${key}` with the key read by a plain getter): a name is no property, and
 * the real CLI never sends this entry.
 */
export const NAME_DEPENDENCIES = "(name)";

/**
 * What a plain getter (`config.require(name)`) reads offline for a secure value that was not
 * decrypted: the unknown sentinel tagged with its config key. The engine's recorder turns any string
 * holding it back into an unknown whose property depends on the key's marker, so the value keeps its
 * provenance through string operations too (`Bearer ${key}`); the pack never sees it.
 */
export function undecryptedPlaceholder(key: string): string {
  return `${UNKNOWN_STRING}#${encodeURIComponent(key)}#`;
}

/**
 * The hidden value's key for a secret a provider function read at deploy time, by the secret's name
 * (engine/secret-invokes.ts): `deploy-time-secret:/agents/e2b-api-key`, read by its name as a config
 * key is (`E2B_API_KEY` above), and never a key of the stack's config.
 */
export function invokeSecretKey(secretName: string): string {
  return `${INVOKE_SECRET_NS}:${secretName}`;
}

const INVOKE_SECRET_NS = "deploy-time-secret";

/** The secret's name when `key` is one invokeSecretKey made. */
export function invokeSecretName(key: string): string | undefined {
  return key.startsWith(`${INVOKE_SECRET_NS}:`) ? key.slice(INVOKE_SECRET_NS.length + 1) : undefined;
}

/** Any letter case: a program may upper-case the value it read. */
const PLACEHOLDER = new RegExp(`${UNKNOWN_STRING}#([^#]*)#`, "gi");
const PLACEHOLDER_HEAD = new RegExp(`${UNKNOWN_STRING}#`, "i");

const keyOf = (encoded: string): string | undefined => {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
};

/**
 * The config keys whose placeholders a string holds (none for most strings: one test each), also
 * where the program encoded the value it read (base64, `encodeURIComponent`): a secret a provider
 * function reads at deploy time is a known placeholder offline, so an `apply` over it runs (rt43 #1).
 */
export function placeholderKeys(text: string): string[] {
  if (!PLACEHOLDER_HEAD.test(text)) return encodedPlaceholderKeys(text);
  const out: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const key = keyOf(m[1]);
    if (key !== undefined) out.push(key);
  }
  return out;
}

/**
 * The placeholder's head as base64 and base64url show it wherever it starts in the encoded text: at
 * each of the three byte alignments, without the characters the bytes before it change (`user:` + the
 * value, a JSON document holding it, rt44 #2).
 */
const HEAD = Buffer.from(`${UNKNOWN_STRING}#`);
const BASE64_HEADS = (["base64", "base64url"] as const).flatMap((e) =>
  [0, 1, 2].map((offset) => {
    const core = Buffer.concat([Buffer.alloc(offset), HEAD]).toString(e);
    return core.slice(offset === 0 ? 0 : 4, 48);
  }),
);
const BASE64_CHAR = /[A-Za-z0-9+/_-]/;
const BASE64_RUN = /[A-Za-z0-9+/_-]+={0,2}/y;
/** The head's ASCII in hex, either case (`Buffer.from(value).toString("hex")`). */
const HEX_HEAD = new RegExp(HEAD.toString("hex"), "i");
const HEX_RUN = /[0-9a-f]+/iy;

function encodedPlaceholderKeys(text: string): string[] {
  if (text.length < 48) return [];
  const percent = text.indexOf(`${UNKNOWN_STRING}%23`);
  if (percent >= 0) {
    const decoded = keyOf(text.slice(percent));
    return decoded === undefined || !PLACEHOLDER_HEAD.test(decoded) ? [] : placeholderKeys(decoded);
  }
  const hex = HEX_HEAD.exec(text);
  if (hex) {
    HEX_RUN.lastIndex = hex.index;
    const run = HEX_RUN.exec(text)?.[0] ?? "";
    const decoded = Buffer.from(run.slice(0, run.length - (run.length % 2)), "hex").toString("utf8");
    if (PLACEHOLDER_HEAD.test(decoded)) return placeholderKeys(decoded);
  }
  for (const head of BASE64_HEADS) {
    const at = text.indexOf(head);
    if (at < 0) continue;
    // The whole run the head is in, from its start: what was encoded with the value.
    let start = at;
    while (start > 0 && BASE64_CHAR.test(text[start - 1])) start--;
    BASE64_RUN.lastIndex = start;
    const run = (BASE64_RUN.exec(text)?.[0] ?? "").replace(/-/g, "+").replace(/_/g, "/");
    // Glued to other text (`token` + the encoding), the encoding may start a character or three later.
    for (let skip = 0; skip < 4; skip++) {
      const decoded = Buffer.from(run.slice(skip), "base64").toString("utf8");
      if (PLACEHOLDER_HEAD.test(decoded)) return placeholderKeys(decoded);
    }
  }
  return [];
}

/**
 * Text for people (a resource name, a failed program's error) with each placeholder as
 * `[secret <key>]`: the sentinel is the engine's bookkeeping, never something to show.
 */
export function describePlaceholders(text: string): string {
  const whole = !PLACEHOLDER_HEAD.test(text)
    ? text
    : text.replace(PLACEHOLDER, (all, encoded: string) => {
        const key = keyOf(encoded);
        return key === undefined ? all : describedPlaceholder(key);
      });
  if (!whole.includes("%3A")) return whole;
  // A piece of one (`value.slice(4)` of a placeholder: the sentinel's tail and the key), real42 #3.
  return whole.replace(PLACEHOLDER_TAIL, (all, lead: string, encoded: string) => {
    const key = keyOf(encoded);
    let n = lead.length;
    while (n > 0 && !UNKNOWN_STRING.endsWith(lead.slice(lead.length - n).toLowerCase())) n--;
    return key === undefined || n === 0 ? all : `${lead.slice(0, lead.length - n)}[part of secret ${key}]`;
  });
}

/** The tail of a placeholder cut inside its sentinel: hex and dashes, then `#ns%3Akey#`. */
const PLACEHOLDER_TAIL = /([0-9a-f-]{1,36})#([^#\s]*%3A[^#\s]*)#/gi;

/** A placeholder as `describePlaceholders` writes it: `[secret <key>]`. */
export function describedPlaceholder(key: string): string {
  return `[secret ${key}]`;
}

/** The marker URN of a config key in a stack (what the unknown-secrets preload writes). */
export function markerUrn(stack: string, project: string, key: string): string {
  return `urn:pulumi:${stack}::${project}::${UNDECRYPTED_CONFIG_TYPE}::${key}`;
}
