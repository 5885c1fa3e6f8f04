/**
 * E2B-02: a distinct key per environment. Within a stack: no key value (by fingerprint, or by the
 * undecrypted secret config value it would be) in two environments, no secret reference, imported key
 * or key secret runtimes read shared by two environments, and each key resource named after, and
 * belonging to, its environment — so spend and revocation are per key.
 */
import { z } from "zod";
import { NO_E2B_KEY_CONSUMER, consumesE2BKey, describe, environmentTagKeysSchema } from "./common";
import { readString } from "./detect/env-model";
import { environmentKey, inferTier } from "./detect/environment";
import { mayBeReferenceTo } from "./detect/key-stores";
import type { IndexedResource } from "./detect/stack-index";
import { STACK_TYPE, get } from "./detect/stack";
import { modelSecretReference } from "./detect/secret-refs";
import { isUnknown } from "./detect/unknowns";
import type { Tree } from "./detect/walk";
import { stackPolicy, type StackCheck, type StackContext } from "./policy-dsl";

type Config = { environmentTagKeys: string[]; requireEnvironmentInKeyName: boolean };
type Check = StackCheck<Config>;

/** A resource of one environment in a group, and that environment's name as it was written. */
type Place = { urn: string; label: string; env: string };

/** Reports each group of places that several environments share, one message per group. */
function reportAcrossEnvironments(
  groups: Map<string, Map<string, Place>>,
  report: StackContext<Config>["report"],
  message: (group: string, envs: string, place: Place) => string,
): void {
  for (const [group, envs] of groups) {
    if (envs.size < 2) continue;
    const names = [...envs.values()]
      .map((p) => p.env)
      .sort()
      .join(" and ");
    for (const at of envs.values()) report(message(group, names, at), at.urn);
  }
}

/** Adds `r`'s environment to `group`'s, once per environment (its first place; `prod` and `production` are one). */
function addPlace(
  groups: Map<string, Map<string, Place>>,
  group: string,
  env: string,
  r: IndexedResource,
): void {
  let envs = groups.get(group);
  if (!envs) groups.set(group, (envs = new Map()));
  const key = environmentKey(env);
  if (!envs.has(key)) envs.set(key, { urn: r.urn, label: describe(r), env });
}

/** The same key value (by fingerprint) in two environments. */
const sameKeyInTwoEnvironments: Check = ({ index, config, report }) => {
  const byFingerprint = new Map<string, Map<string, Place>>();
  const masks = new Map<string, string>();
  for (const r of index.resources) {
    const keys = index.scan(r).keys;
    if (keys.length === 0) continue;
    const env = index.environmentOf(r, config.environmentTagKeys).name;
    for (const k of keys) {
      if (!masks.has(k.fingerprint)) masks.set(k.fingerprint, k.mask);
      addPlace(byFingerprint, k.fingerprint, env, r);
    }
  }
  reportAcrossEnvironments(
    byFingerprint,
    report,
    (fingerprint, envs, at) =>
      `E2B key ${masks.get(fingerprint)} appears in environments ${envs} (${at.label} in ${at.env}). Give every environment its own key.`,
  );
};

/**
 * One secret config value named to carry the key, which this preview could not decrypt, feeding two
 * environments: decrypted, the same key would be seen in both (sameKeyInTwoEnvironments), so the
 * verdict does not wait for the passphrase.
 */
const sameHiddenKeyConfigInTwoEnvironments: Check = ({ index, config, report }) => {
  const hidden = index.hiddenKeyConfigUrns();
  if (hidden.size === 0) return;
  const byConfig = new Map<string, Map<string, Place>>();
  for (const r of index.resources) {
    if (r.type === STACK_TYPE) continue;
    const env = index.environmentOf(r, config.environmentTagKeys).name;
    // Where a variable named for the key holds the hidden value: a value computed from it (a hash of
    // the key under another name) is not the same key.
    const keyTops = new Set(
      index
        .scan(r)
        .unknowns.filter((l) => l.envName && KEY_VARIABLE_NAME.test(l.envName))
        .map((l) => l.top),
    );
    for (const top of keyTops) for (const u of index.dependsOn(r, top, hidden)) addPlace(byConfig, u, env, r);
  }
  reportAcrossEnvironments(
    byConfig,
    report,
    (u, envs, at) =>
      `The ${index.sourceNames([u])}, whose name says it is the E2B key, feeds environments ${envs} (${at.label} in ${at.env}): decrypted, the same key would be in both. Give every environment its own key.`,
  );
};

/** A variable that points at the key or its secret (`E2B_API_KEY_SECRET_ARN`), not a template's id. */
const KEY_POINTER_NAME = /(^|_)E2B(_API)?_(KEY|TOKEN|SECRET)/i;
/** A variable that holds the key itself (`E2B_API_KEY`, `E2B_KEY`, `E2B_ACCESS_TOKEN`). */
const KEY_VARIABLE_NAME = /(^|_)E2B(_API|_ACCESS)?_(KEY|TOKEN)$/i;
/** A secret's name, description or tags that say it is the E2B key's (`agents/e2b-api-key`). */
const KEY_SECRET_NAME = /e2b[-_/.]?(?:api[-_]?)?(?:key|token)/i;

/**
 * One secret container (a Secrets Manager secret, a Key Vault) that holds the key or is named for it
 * (`agents/e2b-api-key`), and that runtimes of two environments are pointed at under a variable named
 * for the key (`E2B_API_KEY_SECRET_ARN: secret.arn`): they read one key at run time. Another secret in
 * the same property (a database's, shared on purpose, even one of an `e2b-agents` project) is not one:
 * property dependencies are per top-level property, so the container itself must be the key's.
 */
const sharedKeySecretContainer: Check = ({ index, config, report }) => {
  const holders = index.keyHolders();
  const containers = new Set(
    index.resources
      .filter(
        (r) =>
          mayBeReferenceTo(r.type) && (holders.has(r.urn) || KEY_SECRET_NAME.test(JSON.stringify(r.props))),
      )
      .map((r) => r.urn),
  );
  if (containers.size === 0) return;
  const byContainer = new Map<string, Map<string, Place>>();
  for (const r of index.resources) {
    if (r.type === STACK_TYPE || containers.has(r.urn)) continue;
    const env = index.environmentOf(r, config.environmentTagKeys).name;
    const scan = index.scan(r);
    const e2bTops = new Set(
      [...scan.named, ...scan.unknowns]
        .filter((l) => l.envName && KEY_POINTER_NAME.test(l.envName))
        .map((l) => l.top),
    );
    for (const top of e2bTops)
      for (const u of index.dependsOn(r, top, containers)) addPlace(byContainer, u, env, r);
  }
  reportAcrossEnvironments(
    byContainer,
    report,
    (u, envs, at) =>
      `Environments ${envs} read the E2B key from one secret, ${describe(index.byUrn.get(u)!)} (${at.label} in ${at.env}), so they share one key. Store each environment's key under its own secret.`,
  );
};

type Use = { env: string; urn: string };

/**
 * Environment declarations grouped by a value they name (`valueOf`); every declaration of a value
 * that several environments share is reported, with one message built once per value.
 */
function reportSharedValues(
  { index, report }: StackContext<Config>,
  valueOf: (model: Tree) => string | undefined,
  message: (value: string, envs: string) => string,
): void {
  const byValue = new Map<string, Use[]>();
  for (const env of index.environments) {
    const v = valueOf(env.model);
    if (v !== undefined)
      (byValue.get(v) ?? byValue.set(v, []).get(v)!).push({ env: env.name, urn: env.resource.urn });
  }
  for (const [value, uses] of byValue) {
    const envs = [...new Set(uses.map((u) => u.env))];
    if (envs.length < 2) continue;
    const text = message(value, envs.sort().join(" and "));
    for (const u of uses) report(text, u.urn);
  }
}

/** Environments that store their key under one secret share one key. */
const sharedSecretReference: Check = (ctx) =>
  reportSharedValues(
    ctx,
    (model) => modelSecretReference(model)?.reference,
    (ref, envs) =>
      `Environments ${envs} share the secret ${ref}, so they share one key. Store each environment's key under its own secret.`,
  );

/** Environments that import their key from one config key share one key. */
const sharedImportedKey: Check = (ctx) =>
  reportSharedValues(
    ctx,
    (model) => {
      const src = readString(model, "key.source");
      const ck = readString(model, "key.configKey");
      return src.state === "known" && src.value === "imported" && ck.state === "known" ? ck.value : undefined;
    },
    (ck, envs) =>
      `Environments ${envs} import the same key from config '${ck}'. Give each environment its own key.`,
  );

/** A key resource serves the E2BEnvironment it belongs to (an unknown declaration is judged once known). */
const keyServesItsEnvironment: Check = ({ index, report }) => {
  for (const k of index.keyResources) {
    const comp = index.environmentComponentOf(k);
    const declared = get(k.props, "environment");
    if (
      comp &&
      typeof declared === "string" &&
      declared &&
      !isUnknown(declared) &&
      declared.toLowerCase() !== comp.name
    )
      report(
        `${describe(k)} declares environment '${declared}' but belongs to E2BEnvironment '${comp.name}'. A key serves one environment.`,
        k.urn,
      );
  }
};

/** A key resource is named after its environment, so spend and revocation are per environment. */
const keyNamedAfterItsEnvironment: Check = ({ index, config, report }) => {
  if (!config.requireEnvironmentInKeyName) return;
  for (const k of index.keyResources) {
    const keyName = get(k.props, "name");
    if (typeof keyName !== "string" || isUnknown(keyName)) continue;
    const env = index.environmentOf(k, config.environmentTagKeys);
    if (env.source !== "stack" && !keyName.toLowerCase().includes(env.name))
      report(
        `${describe(k)} is named '${keyName}', which does not name its environment '${env.name}'. Name keys after their environment so spend and revocation are per environment.`,
        k.urn,
      );
  }
};

/**
 * Variables of a deploy platform that serve several of its environments at once, by type: Vercel's
 * `targets` (production, preview, development) on one variable, or on each of a batch's variables.
 */
const TARGETED_VARIABLES: Readonly<
  Record<string, (props: Tree) => Array<{ name: unknown; targets: unknown; at: string }>>
> = {
  "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable": (p) => [
    { name: get(p, "key"), targets: get(p, "targets"), at: "targets" },
  ],
  "vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable": (p) => [
    { name: get(p, "key"), targets: get(p, "targets"), at: "targets" },
  ],
  "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables": (p) => {
    const vars = get(p, "variables");
    return Array.isArray(vars)
      ? vars.map((v, i) => ({
          name: get(v, "key"),
          targets: get(v, "targets"),
          at: `variables[${i}].targets`,
        }))
      : [];
  },
};

/** One variable named for the key serving production and another of the platform's environments. */
const keyVariableForSeveralTargets: Check = ({ index, report }) => {
  for (const r of index.resources) {
    const listed = TARGETED_VARIABLES[r.type]?.(r.props) ?? [];
    for (const { name, targets, at } of listed) {
      if (typeof name !== "string" || !KEY_VARIABLE_NAME.test(name) || !Array.isArray(targets)) continue;
      const served = [...new Set(targets.filter((t): t is string => typeof t === "string" && !isUnknown(t)))];
      if (served.length < 2 || !served.some((t) => inferTier(t) === "production")) continue;
      report(
        `${describe(r)} gives ${name} to the environments ${served.join(", ")} at once: one key serves production and ${served.filter((t) => inferTier(t) !== "production").join(" and ")} deployments (every preview build runs on production's key). Give production a variable and a key of its own.`,
        r.urn,
        { at: { path: at } },
      );
    }
  }
};

/**
 * Per-environment variables of one deploy platform resource, by type: a Cloudflare Pages project's
 * `deploymentConfigs.production` and `.preview` `envVars`.
 */
const ENVIRONMENT_VARIABLES: Readonly<
  Record<string, (props: Tree) => Array<{ env: string; name: string; value: unknown; at: string }>>
> = {
  "cloudflare:index/pagesProject:PagesProject": (p) =>
    ["production", "preview"].flatMap((env) => {
      const vars = get(p, `deploymentConfigs.${env}.envVars`);
      return vars && typeof vars === "object" && !Array.isArray(vars)
        ? Object.entries(vars).map(([name, v]) => ({
            env,
            name,
            value: get(v as Tree, "value") ?? v,
            at: `deploymentConfigs.${env}.envVars.${name}`,
          }))
        : [];
    }),
};

/**
 * One key in two of a platform resource's own environments: the same value, or hidden values that
 * come from one undecrypted secret config value (and no other).
 */
const sameKeyInPlatformEnvironments: Check = ({ index, report }) => {
  // Every undecrypted config value, not only those named for the key: two of them are two values.
  const hidden = new Set(index.hiddenConfigs().keys());
  for (const r of index.resources) {
    const vars = ENVIRONMENT_VARIABLES[r.type]?.(r.props).filter((v) => KEY_VARIABLE_NAME.test(v.name)) ?? [];
    const byName = new Map<string, typeof vars>();
    for (const v of vars) (byName.get(v.name) ?? byName.set(v.name, []).get(v.name)!).push(v);
    for (const [name, uses] of byName) {
      if (new Set(uses.map((u) => u.env)).size < 2) continue;
      const same = uses.every((u) => isUnknown(u.value))
        ? new Set(uses.flatMap((u) => index.dependsOn(r, u.at.split(".")[0], hidden))).size === 1
        : uses.every((u) => u.value !== undefined && !isUnknown(u.value)) &&
          new Set(uses.map((u) => JSON.stringify(u.value))).size === 1;
      if (!same) continue;
      report(
        `${describe(r)} gives ${name} the same value in the environments ${uses.map((u) => u.env).join(" and ")}: one key serves production and preview deployments (every preview build runs on production's key). Give each its own key.`,
        r.urn,
        { at: { path: uses[0].at } },
      );
    }
  }
};

const CHECKS: readonly Check[] = [
  sameKeyInTwoEnvironments,
  keyVariableForSeveralTargets,
  sameKeyInPlatformEnvironments,
  sameHiddenKeyConfigInTwoEnvironments,
  sharedKeySecretContainer,
  sharedSecretReference,
  sharedImportedKey,
  keyServesItsEnvironment,
  keyNamedAfterItsEnvironment,
];

export const distinctKeyPerEnvironment = stackPolicy(
  {
    name: "e2b-02-distinct-key-per-environment",
    description:
      "Each environment has its own E2B key and secret: no key value (seen, or a secret config value named for the key that preview could not decrypt), secret reference, imported key or key secret that runtimes read is shared by two environments, and keys are named after their environment. A deploy platform's own environments count: a GitHub Actions environment's secrets belong to it, and one Vercel variable (its `targets`) or Cloudflare Pages project (`deploymentConfigs`) giving the key to production and preview deployments shares it.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Give every environment its own E2BEnvironment (it creates a key named after the environment).",
      "2. Store each key under its own secret name (e.g. `e2b/<env>/api-key`).",
      "3. Revoke the shared key once every environment has its own (create, swap, delete).",
    ].join("\n"),
    config: z.object({
      environmentTagKeys: environmentTagKeysSchema,
      requireEnvironmentInKeyName: z
        .boolean()
        .default(true)
        .describe("Key resources' `name` must contain their environment's name."),
    }),
    example:
      "E2B key e2b_…9f3a appears in environments dev and prod (aws:lambda/function:Function 'worker' in dev). Give every environment its own key.",
  },
  (ctx) => {
    if (!consumesE2BKey(ctx.index)) ctx.notApplicable(NO_E2B_KEY_CONSUMER);
    for (const check of CHECKS) check(ctx);
  },
);
