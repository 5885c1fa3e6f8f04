/**
 * Third-party credentials a sandbox should get through E2B Secrets rather than env vars (E2B-06):
 * by variable name and by value shape. Data, shared by the pack's E2B-06 rule and the runtime guard.
 * Nothing here returns a value, only the name of the shape that matched.
 */

/** Names that say "credential": `OPENAI_API_KEY`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD`… */
export const CREDENTIAL_NAME =
  /(^|_)(API_?KEY|ACCESS_?KEY|SECRET(_ACCESS)?_?KEY|PRIVATE_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(_|$)/i;

/** A weaker hint: `*_KEY` is a credential (`STRIPE_KEY`) or not (`SORT_KEY`, `CACHE_KEY`). */
const WEAK_CREDENTIAL_NAME = /_KEY$/i;

/** A value no credential looks like: one plain word, a number, a boolean. */
const PLAIN_VALUE = /^([A-Za-z]+([_.-][A-Za-z]+)*|\d+|true|false)$/;

/**
 * Whether an env var named `name` holding `value` is a credential by its name: a strong name always,
 * `*_KEY` only when the value is not a plain word (`SORT_KEY=created_at` is no secret).
 */
export function isCredentialByName(name: string, value: string): boolean {
  if (value === "") return false;
  if (CREDENTIAL_NAME.test(name)) return true;
  return WEAK_CREDENTIAL_NAME.test(name) && !PLAIN_VALUE.test(value);
}

/** Value shapes of well-known providers' credentials (prefixes their issuers document). */
export const CREDENTIAL_SHAPES: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: "Anthropic API key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { name: "OpenAI API key", pattern: /\bsk-(proj-|svcacct-)?[A-Za-z0-9_-]{20,}/ },
  {
    name: "GitHub token",
    pattern: /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}/,
  },
  { name: "GitLab token", pattern: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { name: "AWS access key id", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { name: "Hugging Face token", pattern: /\bhf_[A-Za-z0-9]{30,}/ },
  { name: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: "Stripe secret key", pattern: /\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}/ },
  { name: "private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: "JSON Web Token", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
];

/** The first credential shape `value` matches, by name; undefined when none. */
export function credentialShape(value: string): string | undefined {
  if (value.length < 16) return undefined;
  return CREDENTIAL_SHAPES.find((s) => s.pattern.test(value))?.name;
}

/** `${e2b.secrets.<name>}` / `${e2b.identity.tokens.<name>}` placeholders: E2B resolves them at egress. */
export const E2B_PLACEHOLDER = /\$\{e2b\.(secrets|identity\.tokens)\.([^{}]+)\}/g;

/** True when a value holds nothing but E2B placeholders (and spaces): no credential in it. */
export function isE2BPlaceholderOnly(value: string): boolean {
  return value.replace(E2B_PLACEHOLDER, "").trim() === "" && new RegExp(E2B_PLACEHOLDER.source).test(value);
}

/** Header names that carry credentials; their values must be E2B placeholders. */
export const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey)$|(^|[-_])(token|secret|key|password|auth|credentials?)([-_]|$)/i;

/** What may stand around a placeholder in a credential header: an auth scheme and spaces. */
const SCHEME_ONLY = /^\s*(bearer|basic|token|bot|apikey|key)?\s*$/i;

/**
 * A header an egress rule sets (`network.rules[host][i].transform.headers[name]`) that carries a
 * credential in plaintext: a credential header whose value is not an E2B placeholder (plus at most
 * an auth scheme), or any header whose value has a known credential shape.
 */
export function isPlaintextCredentialHeader(name: string, value: string): boolean {
  const rest = value.replace(E2B_PLACEHOLDER, "");
  const hasPlaceholder = rest.length !== value.length;
  if (CREDENTIAL_HEADER.test(name)) return !(hasPlaceholder && SCHEME_ONLY.test(rest));
  return credentialShape(rest) !== undefined;
}

/** A domain pattern so broad it sends a credential to most of the internet: `*`, `*.com`, `*.co.uk`. */
export function isOverbroadHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === "*" || h === "") return true;
  if (!h.startsWith("*.")) return false;
  const labels = h.slice(2).split(".").filter(Boolean);
  return labels.length < 2 || (labels.length === 2 && labels[1].length === 2 && labels[0].length <= 3);
}
