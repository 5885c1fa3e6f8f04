/**
 * The secret config values this engine decrypted, masked wherever a failed program shows them: a
 * program prints or throws what it was given, whole or in part, and a pattern finds an E2B key only
 * by its shape (real42 #2: `key.slice(4)`, the key's forty digits without `e2b_`, went through). The
 * Pulumi CLI masks secret values in a program's output the same way.
 */
import type { StackRun } from "./language-host";

/** What stands for a secret value in a failed program's error and output. */
export const SECRET_MASK = "[secret]";

/** Values shorter than this are not masked: too likely to be ordinary text. */
const MIN_VALUE = 8;

/** A key's secret part: what follows its prefix. */
const KEY_BODY = /^(?:sk_)?e2b_([0-9a-f]{20,})$/i;

/**
 * The decrypted secret values of a run (each string leaf of a structured one), and of each E2B key
 * among them its digits alone, in both letter cases, longest first (a value holding another is
 * masked whole).
 */
export function secretValuesOf(run: Pick<StackRun, "config" | "secretKeys" | "unknownSecretKeys">): string[] {
  const unknown = new Set(run.unknownSecretKeys);
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length < MIN_VALUE) return;
    out.add(v);
    const body = KEY_BODY.exec(v)?.[1];
    if (body) for (const b of [body, body.toLowerCase(), body.toUpperCase()]) out.add(b);
  };
  for (const key of run.secretKeys) {
    const value = run.config[key];
    if (unknown.has(key) || typeof value !== "string") continue;
    add(value);
    for (const leaf of stringLeaves(value)) add(leaf);
  }
  return [...out].sort((a, b) => b.length - a.length);
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

/** `text` with every one of `values` masked. Linear in the text for each value. */
export function maskSecretValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(SECRET_MASK);
  return out;
}
