/**
 * E2B-02 across a previewed project's stack files. The offline engine reads the project's other
 * `Pulumi.<stack>.yaml` files (engine/sibling-stacks.ts; the Pulumi CLI reads only the previewed
 * stack's) and hands the pack, in the stack tag STACK_FILES_TAG, the E2B keys of each: fingerprints
 * and masks of decrypted or plaintext values, and for key-named `secure:` values it could not decrypt
 * the SHA-256 of the ciphertext (written with a fresh nonce every time, so one ciphertext in two files
 * is one value copied). Under `pulumi preview` the tag is absent and nothing here is judged.
 */
import { namesEnvironment, otherEnvironment } from "./environment";
import { CONFIG_KEY_NAME, E2B_NAME, configKeyAsVariable } from "./hidden-config";

/** Stack tag the offline engine sets to the project's stack files' keys (StackFiles, JSON). */
export const STACK_FILES_TAG = "e2b-guardrails:stack-files";

export interface StackFileKeysLike {
  stack: string;
  /** The stack file, relative to the project folder. */
  file: string;
  keys: ReadonlyArray<{ configKey: string; fingerprint: string; mask: string }>;
  /** Config keys naming the E2B key whose `secure:` value could not be decrypted. */
  hidden: readonly string[];
  /**
   * SHA-256 of every undecrypted `secure:` ciphertext, any name; `leaf` is its path inside a
   * structured value (`agents.e2bApiKey` of config key `agents` is leaf `e2bApiKey`).
   */
  sealed: ReadonlyArray<{ configKey: string; ciphertext: string; leaf?: string }>;
  hiddenBecause?: string;
  /** The file could not be read at all, or was past the engine's limit: it may hold anything. */
  unread?: true;
}

export interface StackFiles {
  own: StackFileKeysLike;
  siblings: readonly StackFileKeysLike[];
}

const isStr = (v: unknown): v is string => typeof v === "string";
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const records = (v: unknown, fields: readonly string[]): boolean =>
  Array.isArray(v) &&
  v.every(
    (x) => !!x && typeof x === "object" && fields.every((f) => isStr((x as Record<string, unknown>)[f])),
  );

function isStackFile(v: unknown): v is StackFileKeysLike {
  if (!v || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return (
    isStr(o.stack) &&
    isStr(o.file) &&
    records(o.keys, ["configKey", "fingerprint", "mask"]) &&
    strings(o.hidden) &&
    records(o.sealed, ["configKey", "ciphertext"]) &&
    (o.sealed as Array<{ leaf?: unknown }>).every((x) => x.leaf === undefined || isStr(x.leaf)) &&
    (o.hiddenBecause === undefined || isStr(o.hiddenBecause)) &&
    (o.unread === undefined || o.unread === true)
  );
}

/** The tag's value read back; anything of another shape is ignored (it is not ours). */
export function parseStackFilesTag(tag: unknown): StackFiles | undefined {
  if (!isStr(tag)) return undefined;
  try {
    const v = JSON.parse(tag) as { own?: unknown; siblings?: unknown };
    if (!isStackFile(v.own) || !Array.isArray(v.siblings) || !v.siblings.every(isStackFile)) return undefined;
    return { own: v.own, siblings: v.siblings };
  } catch {
    return undefined;
  }
}

export interface StackFileFinding {
  message: string;
  path: string;
  keyFingerprint?: string;
  /** About a value not decrypted here. */
  unknown?: true;
  /** Not compared: an advisory that makes the case inconclusive. */
  inconclusive?: true;
}

/**
 * Whether a sealed value of a config key that holds the key (`sure`) or may (`maybe`) is the key: a
 * value or a structured value's only secure leaf is what its config key is; of several leaves, one
 * named about E2B is the key, one named for another service's key (`openaiApiKey`) is not, and the
 * others may be (rt45 #3).
 */
function leafHolds(
  k: StackFileKeysLike["sealed"][number],
  leaves: ReadonlyMap<string, number>,
  configKey: "sure" | "maybe" | undefined,
): "sure" | "maybe" | undefined {
  if (!configKey) return undefined;
  if (!k.leaf || leaves.get(k.configKey) === 1) return configKey;
  // The leaf's own name first: `openaiApiKey` or `webhookSecret` under `e2b:` is still not the key (rt46 #1).
  const own = configKeyAsVariable(`x:${k.leaf.replace(/.*[.\]]/, "")}`);
  if (ANOTHER_SERVICES_KEY.test(own)) return undefined;
  const variable = configKeyAsVariable(`${k.configKey}.${k.leaf}`);
  return E2B_NAME.test(variable) || CONFIG_KEY_NAME.test(variable) ? "sure" : "maybe";
}

/** A variable naming a credential of something else (`OPENAI_API_KEY`, `SENTRY_AUTH_TOKEN`). */
const ANOTHER_SERVICES_KEY =
  /^(?!E2B_)[A-Z0-9]+(_[A-Z0-9]+)*_(API_?KEY|AUTH_?TOKEN|ACCESS_?TOKEN|TOKEN|SECRET|PASSWORD|KEY)$/;

/**
 * For a stack whose name spells an environment (`prod`, `staging`, `dev-eu`; not `alice` or `own`),
 * against the stack files of other environments (otherEnvironment): a key in this stack's config that
 * another environment's stack file also holds, decrypted or as the same ciphertext; and, where a key-named value could not
 * be decrypted and no copy shows, the files it could not be compared with.
 */
export function stackFileFindings(
  { own, siblings }: StackFiles,
  keyConfigKeys: ReadonlySet<string> = new Set(),
  maybeKeyConfigKeys: ReadonlySet<string> = new Set(),
  project = "",
): StackFileFinding[] {
  // The config keys that hold the key here: named for it, or named as its source by the stack (an
  // E2BEnvironment importing it from `e2bKey`), when their values were not decrypted.
  const sealedNames = new Set(own.sealed.map((k) => k.configKey));
  const hiddenKeys = [...new Set([...own.hidden, ...[...keyConfigKeys].filter((k) => sealedNames.has(k))])];
  // And those that may: one of several feeding the key's variable (real38 bug 1). A copy of one says
  // nothing for sure: which of them is the key is hidden.
  const maybeKeys = [...maybeKeyConfigKeys].filter((k) => sealedNames.has(k) && !hiddenKeys.includes(k));
  if ((!own.keys.length && !hiddenKeys.length && !maybeKeys.length) || !namesEnvironment(own.stack))
    return [];
  // Other environments: another environment word in the name, regions and variants set aside.
  const others = siblings.filter(
    (s) => namesEnvironment(s.stack) && otherEnvironment(own.stack, s.stack, [project]),
  );
  const out: StackFileFinding[] = [];
  const where = (s: StackFileKeysLike, configKey: string) =>
    `${s.file} (stack ${s.stack}, config ${configKey})`;
  const shared = (configKey: string, sharing: string[], what: string) =>
    `${what} in this stack's config (${configKey}, ${own.file}) is also in ${[...new Set(sharing)].join(", ")}: two environments share one key. Give every environment its own key.`;
  for (const k of own.keys) {
    const sharing = others.flatMap((s) =>
      s.keys.filter((o) => o.fingerprint === k.fingerprint).map((o) => where(s, o.configKey)),
    );
    if (sharing.length)
      out.push({
        message: shared(k.configKey, sharing, `E2B key ${k.mask}`),
        path: `config.${k.configKey}`,
        keyFingerprint: k.fingerprint,
      });
  }
  const copied = new Set<string>();
  // How many sealed values each config key has (a structured value's secure leaves).
  const leaves = new Map<string, number>();
  for (const k of own.sealed) leaves.set(k.configKey, (leaves.get(k.configKey) ?? 0) + 1);
  for (const k of own.sealed) {
    const held = leafHolds(
      k,
      leaves,
      hiddenKeys.includes(k.configKey) ? "sure" : maybeKeys.includes(k.configKey) ? "maybe" : undefined,
    );
    if (!held) continue;
    const sure = held === "sure";
    const sharing = others.flatMap((s) =>
      s.sealed.filter((o) => o.ciphertext === k.ciphertext).map((o) => where(s, o.configKey)),
    );
    if (!sharing.length) continue;
    copied.add(k.configKey);
    out.push(
      sure
        ? {
            message: shared(k.configKey, sharing, "The encrypted E2B key"),
            path: `config.${k.configKey}`,
            unknown: true,
          }
        : {
            message: `The encrypted value of ${k.configKey}${k.leaf ? ` (${k.leaf})` : ""} in this stack's config (${own.file}) is also in ${[...new Set(sharing)].join(", ")}; it is one of several secret values that may be the E2B key, so whether two environments share the key is not known here. Run with the passphrase to tell.`,
            path: `config.${k.configKey}${k.leaf ? (k.leaf.startsWith("[") ? k.leaf : `.${k.leaf}`) : ""}`,
            unknown: true,
            inconclusive: true,
          },
    );
  }
  // Not compared: this stack's hidden key (not shown copied) against any sibling's key config, or
  // this stack's key against a sibling's hidden one.
  const mine = [...hiddenKeys, ...maybeKeys].filter((k) => !copied.has(k));
  // A sibling's undecrypted value under a config key that holds the key here (rt40 #2).
  const hiddenIn = (s: StackFileKeysLike) => [
    ...new Set([...s.hidden, ...s.sealed.map((k) => k.configKey).filter((k) => keyConfigKeys.has(k))]),
  ];
  const unseen = others.filter(
    (s) => s.unread || (mine.length ? s.keys.length || hiddenIn(s).length : hiddenIn(s).length),
  );
  if (unseen.length && (mine.length || own.keys.length)) {
    const names = [...new Set(mine.length ? mine : own.keys.map((k) => k.configKey))];
    const theirs = unseen.map((s) => {
      const keys = [...new Set([...hiddenIn(s), ...s.keys.map((k) => k.configKey)])];
      const why = [...(keys.length ? [keys.join(", ")] : []), ...(s.hiddenBecause ? [s.hiddenBecause] : [])];
      return `${s.file} (${why.join("; ")})`;
    });
    out.push({
      message: `This stack's E2B key config (${names.join(", ")}, ${own.file}) could not be compared with the other environments' stack files ${theirs.join(", ")}: a value was not decrypted or a file not read here. Run with the passphrase, or \`audit\` the stacks' exports together, to show that no two environments share a key.`,
      path: `config.${names[0]}`,
      unknown: true,
      inconclusive: true,
    });
  }
  return out;
}
