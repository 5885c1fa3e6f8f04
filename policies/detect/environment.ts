/**
 * Which environment a resource belongs to: its E2BEnvironment component, the `environment` input of
 * an E2B key resource, a tag (keys configurable), or — last — the stack name. Pure helpers; the
 * stack index (stack.ts) applies them with memoization so resolving every resource is linear.
 */
import { tiers, type Tier } from "../model";
import type { Tree } from "./walk";

export const DEFAULT_ENVIRONMENT_TAG_KEYS: readonly string[] = ["environment", "env", "stage"];

/** Where tags and labels live on common resource types. */
const TAG_PATHS: readonly string[][] = [
  ["tags"],
  ["tagsAll"],
  ["labels"],
  ["userLabels"],
  ["metadata", "labels"],
  ["defaultTags", "tags"],
];

export type EnvironmentSource = "component" | "key" | "tag" | "stack";

export interface EnvironmentInfo {
  name: string;
  tier: Tier | null;
  source: EnvironmentSource;
}

/** Tier from an environment name: `prod`, `production`, `prd-eu` → production, and so on. */
const TIER_PATTERNS: readonly [RegExp, Tier][] = [
  // Before production's: `pre-prod` and `non-prod` hold `prod` (rt45 #1).
  [/(^|[^a-z])(pre-?prod|non-?prod|pre-?production|non-?production)([^a-z]|$)/, "staging"],
  [/(^|[^a-z])(prod|production|prd|live)([^a-z]|$)/, "production"],
  [/(^|[^a-z])(staging|stage|stg|uat)([^a-z]|$)/, "staging"],
  [
    /(^|[^a-z])(load-?test|loadtest|loadtesting|perf|perftest|load|stress|soak|bench|benchmark)([^a-z]|$)/,
    "load-test",
  ],
  [
    /(^|[^a-z])(dev|development|test|tests|testing|qa|e2e|integration|smoke|sandbox|preview|local|ci)([^a-z]|$)/,
    "development",
  ],
];

export function inferTier(name: string): Tier | null {
  const n = name.toLowerCase();
  if ((tiers as readonly string[]).includes(n)) return n as Tier;
  for (const [re, tier] of TIER_PATTERNS) if (re.test(n)) return tier;
  return null;
}

export function normalizeEnvName(name: string): string {
  return name.trim().toLowerCase();
}

/** Whole names that spell one environment (teams tag the same one `prod` and `production`). */
const SAME_ENVIRONMENT: ReadonlyMap<string, string> = new Map(
  [
    ["prod", "production", "prd", "live"],
    ["staging", "stage", "stg"],
    ["dev", "development"],
    ["test", "tests", "testing"],
    ["loadtest", "load-test", "loadtesting"],
    ["bench", "benchmark"],
  ].flatMap((names) => names.map((n): [string, string] => [n, names[0]])),
);

/**
 * What environments are told apart by: the normalized name, with the usual spellings of one
 * environment taken as one (`prod`, `production`, `prd`). Names that only share a tier (`prod-eu`,
 * `prod-us`) stay apart.
 */
export function environmentKey(name: string): string {
  const n = normalizeEnvName(name);
  return SAME_ENVIRONMENT.get(n) ?? n;
}

/**
 * A stack name's words: split at separators, where a lower-case letter meets a capital
 * (`agentsStaging`) and where a number ends a word (`prod1`, an instance of prod as `prod-1` is; not `e2e`).
 */
function nameWords(stack: string): string[] {
  const words = stack
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Za-z])(\d+)(?![A-Za-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[-_.\s]+/)
    .filter(Boolean);
  // A qualifier is part of the environment word it goes with: `pre-prod` is preprod, `non-prod`
  // nonprod, `prod-pre` preprod, none of them prod (rt45 #1, rt46 #3).
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (!QUALIFIERS.has(words[i])) out.push(words[i]);
    else if (i + 1 < words.length) out.push(words[i] + words[++i]);
    else if (out.length) out.push(words[i] + out.pop()!);
    else out.push(words[i]);
  }
  return out;
}

const QUALIFIERS = new Set(["pre", "non", "not", "post"]);

/**
 * The environment a stack name's word spells, as environmentKey spells it, or undefined: a word with a
 * qualifier is its own environment (`pre-staging` is prestaging, not staging; `non-prd` nonprod).
 */
function environmentWord(word: string): string | undefined {
  if (inferTier(word) !== null) return environmentKey(word);
  const q = [...QUALIFIERS].find((x) => word.startsWith(x) && word.length > x.length);
  return q && inferTier(word.slice(q.length)) !== null ? q + environmentKey(word.slice(q.length)) : undefined;
}

/**
 * Tier words that are as often a name's own as an environment's: `sandbox` (the product's word, as
 * in `sandbox-runner-prod`) and `live` (production itself). Other tier words beside a shared
 * environment word make another environment (`prod-load`, `prod-test`, `prod-ci`: rt47 #7) unless the
 * project's own name holds them (`e2b-test-harness-staging` in project `e2b-test-harness`).
 */
const WEAK_WORDS = new Set(["sandbox", "live"]);

/** Whether a stack's name has a word that names an environment (`prod`, `acme-staging`, `agentsDev`). */
export const namesEnvironment = (stack: string): boolean =>
  nameWords(stack).some((w) => environmentWord(w) !== undefined);

/**
 * Whether two stack names spell two environments: the environments their words spell (as
 * environmentKey spells them: `live` is `prod`) differ. `prod-sandbox-runner` and `staging-sandbox-runner` (prod, staging),
 * `agentsStaging` and `agentsProd`, `dev` and `qa`, `prod` and `pre-prod`, `prod` and `prod-load` are
 * two; `prod-us` and `prod-eu` (regions of one: nothing left), `staging` and `staging_new`, `prod` and
 * `production` are one. Where the names share an environment word, a tier word left over that is a
 * weak one or a word of the projects' names (`projects`: the Pulumi projects the two stacks belong to)
 * does not make another environment (`sandbox-runner-prod` reading `prod`, rt46 #2). No word's place
 * decides (rt42 #1, rt43 #2, rt44 #1: first and last word were each defeated by the other naming order).
 */
export function otherEnvironment(a: string, b: string, projects: readonly string[] = []): boolean {
  const own = new Set(projects.flatMap(nameWords));
  const weak = (w: string) => WEAK_WORDS.has(w) || own.has(w);
  // Each name's environment words, as environmentKey spells them (`live` is `prod`, rt48 #3).
  const spelled = (name: string) =>
    nameWords(name).flatMap((w) => {
      const e = environmentWord(w);
      return e === undefined ? [] : [{ weak: weak(w), e }];
    });
  const ea = spelled(a);
  const eb = spelled(b);
  const strong = (xs: typeof ea) => new Set(xs.filter((x) => !x.weak).map((x) => x.e));
  const sa = strong(ea);
  const sharesStrong = [...strong(eb)].some((e) => sa.has(e));
  const environments = (xs: typeof ea) =>
    new Set(xs.filter((x) => !(sharesStrong && x.weak)).map((x) => x.e));
  const va = environments(ea);
  const vb = environments(eb);
  return va.size !== vb.size || [...va].some((e) => !vb.has(e));
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → stack and project. */
export function stackOfUrn(urn: string): { stack: string; project: string } {
  const m = /^urn:pulumi:([^:]*)::([^:]*)::/.exec(urn);
  return m ? { stack: m[1], project: m[2] } : { stack: "", project: "" };
}

/** A stack reference name `org/project/stack` (or `stack`) → the stack part. */
export function stackOfReference(name: string): string {
  const parts = name.split("/");
  return parts[parts.length - 1];
}

/** The project of a StackReference's `org/project/stack`; "" where the name leaves it out (the reader's). */
export function projectOfReference(name: string): string {
  const parts = name.split("/");
  return parts.length === 3 ? parts[1] : "";
}

function at(tree: Tree, path: readonly string[]): Tree | undefined {
  let cur: Tree | undefined = tree;
  for (const p of path) {
    if (!cur || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** The environment named by a tag or label, if any (tag keys compared case-insensitively). */
export function environmentFromTags(props: Tree, tagKeys: readonly string[]): string | null {
  const wanted = new Set(tagKeys.map((k) => k.toLowerCase()));
  for (const p of TAG_PATHS) {
    const tags = at(props, p);
    if (!tags || typeof tags !== "object") continue;
    // Maps ({ env: "prod" }) and AWS-style lists ([{ key: "env", value: "prod" }]).
    if (Array.isArray(tags)) {
      for (const t of tags) {
        const k = at(t, ["key"]) ?? at(t, ["Key"]);
        const v = at(t, ["value"]) ?? at(t, ["Value"]);
        if (
          typeof k === "string" &&
          typeof v === "string" &&
          wanted.has(k.toLowerCase()) &&
          v &&
          !isSentinel(v)
        )
          return normalizeEnvName(v);
      }
    } else {
      for (const [k, v] of Object.entries(tags)) {
        if (wanted.has(k.toLowerCase()) && typeof v === "string" && v && !isSentinel(v))
          return normalizeEnvName(v);
      }
    }
  }
  return null;
}

function isSentinel(v: string): boolean {
  return v.length === 36 && /^[0-9a-f-]{36}$/.test(v);
}
