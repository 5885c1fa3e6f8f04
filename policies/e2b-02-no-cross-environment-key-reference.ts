/**
 * E2B-02: key material, secret references and stack outputs of one environment are not consumed by
 * another — through a property dependency inside the stack, a secret name/ARN written into another
 * environment's resource, a runtime principal allowed to read two environments' keys, or a
 * StackReference to another environment's stack.
 */
import { z } from "zod";
import {
  KEY_NAME_PATTERN,
  NO_E2B_KEY_CONSUMER,
  consumesE2BKey,
  describe,
  environmentTagKeysSchema,
} from "./common";
import {
  environmentKey,
  inferTier,
  namesEnvironment,
  otherEnvironment,
  projectOfReference,
  stackOfReference,
  type EnvironmentInfo,
} from "./detect/environment";
import { E2B_NAME, configKeyAsVariable } from "./detect/hidden-config";
import { isStoreOnlyType, storeContainerProperty, storeValueProperties } from "./detect/key-stores";
import { readString, readStrings } from "./detect/env-model";
import { findMaterial } from "./detect/material";
import { modelSecretReference, referenceCandidates } from "./detect/secret-refs";
import {
  STACK_REFERENCE_TYPE,
  get,
  isKeyResource,
  type EnvironmentResource,
  type IndexedResource,
  type StackIndex,
} from "./detect/stack";
import { isUnknown } from "./detect/unknowns";
import { stackFileFindings } from "./detect/stack-files";
import { stackUrnOf } from "./detect/scanner";
import { someString } from "./detect/tree";
import { printable, walkLeaves, type Tree } from "./detect/walk";
import { E2B_ENVIRONMENT_TYPE } from "./model";
import { stackPolicy, type StackCheck } from "./policy-dsl";

/** Store resources' own names, so a reference to the store can be recognised. */
const STORE_NAME_PROPS: Record<string, string[]> = {
  "aws:secretsmanager/secret:Secret": ["name"],
  "aws:ssm/parameter:Parameter": ["name"],
  "gcp:secretmanager/secret:Secret": ["secretId"],
  "vault:kv/secretV2:SecretV2": ["name"],
  "pulumiservice:index:Environment": ["name"],
};

function differ(a: EnvironmentInfo, b: EnvironmentInfo): boolean {
  if (environmentKey(a.name) === environmentKey(b.name)) return false;
  // A resource known only by the stack's name is judged only when that name says which tier it is.
  if (a.source === "stack" && !a.tier) return false;
  if (a.tier && b.tier) return a.tier !== b.tier || (a.source !== "stack" && b.source !== "stack");
  return true;
}

type Config = { environmentTagKeys: string[] };
type Check = StackCheck<Config>;

const envOf = (index: StackIndex, config: Config) => (r: IndexedResource) =>
  index.environmentOf(r, config.environmentTagKeys);

/** A resource whose property depends on another environment's key or key store. */
const dependsOnAnotherEnvironmentsKey: Check = ({ index, config, report }) => {
  const holders = index.keyHolders();
  const env = envOf(index, config);
  for (const r of index.resources) {
    if (index.keyResourceUrns.has(r.urn)) continue;
    const mine = env(r);
    const tops = Object.keys(r.propertyDependencies).length
      ? Object.keys(r.propertyDependencies)
      : ["(dependencies)"];
    for (const top of tops) {
      const deps = top === "(dependencies)" ? r.dependencies : r.propertyDependencies[top];
      for (const u of deps) {
        const h = holders.has(u) ? index.byUrn.get(u) : undefined;
        if (!h) continue;
        const theirs = env(h);
        if (!differ(mine, theirs)) continue;
        report(
          `${describe(r)} (environment ${mine.name}) consumes '${h.name}' of environment ${theirs.name} through ${top === "(dependencies)" ? "a dependency" : `property ${top}`}. Use the ${mine.name} environment's own key.`,
          r.urn,
        );
      }
    }
  }
};

type SecretName = { env: EnvironmentInfo; label: string; urn: string };

/**
 * Names of key secrets by the one environment that owns each: environments' secret references and
 * key-holding stores' own names. A name several environments use is distinct-key's finding (a shared
 * key), not a cross reference, so it is left out.
 */
function keySecretNames(index: StackIndex, config: Config): Map<string, SecretName> {
  const env = envOf(index, config);
  const holders = index.keyHolders();
  const refs = new Map<string, SecretName>();
  const shared = new Set<string>();
  const add = (name: string, entry: SecretName) => {
    const prev = refs.get(name);
    if (prev && prev.env.name !== entry.env.name) shared.add(name);
    if (!prev) refs.set(name, entry);
  };
  for (const e of index.environments) {
    const ref = modelSecretReference(e.model);
    if (ref)
      add(ref.name, {
        env: env(e.resource),
        label: `the key secret of environment ${e.name}`,
        urn: e.resource.urn,
      });
  }
  for (const r of index.resources) {
    if (!holders.has(r.urn)) continue;
    for (const p of STORE_NAME_PROPS[r.type] ?? []) {
      const n = get(r.props, p);
      if (typeof n === "string" && n.length >= 3) add(n, { env: env(r), label: `'${r.name}'`, urn: r.urn });
    }
  }
  for (const n of shared) refs.delete(n);
  return refs;
}

/**
 * Whether a string (or a document parsed out of it) can hold one of `names`: every reference
 * candidate is a substring of a leaf's value, and a document's strings are substrings of its text
 * unless an escape (a backslash, YAML's doubled quote) or YAML's folding of whitespace made them —
 * so a name with a character outside the usual secret-name set turns the check off.
 */
function mayReferenceOneOf(names: readonly string[]): (s: string) => boolean {
  if (names.some((n) => !/^[A-Za-z0-9/_+=.@:-]+$/.test(n))) return () => true;
  return (s) => s.includes("\\") || s.includes("''") || names.some((n) => s.includes(n));
}

/** A secret name or ARN of one environment written into another environment's resource. */
const referencesAnotherEnvironmentsSecret: Check = ({ index, config, report }) => {
  const refs = keySecretNames(index, config);
  if (!refs.size) return;
  const env = envOf(index, config);
  const mayReference = mayReferenceOneOf([...refs.keys()]);
  for (const r of index.resources) {
    if (!someString(r.props, mayReference)) continue;
    const mine = env(r);
    const ownComponent = index.environmentComponentOf(r)?.resource.urn;
    const reported = new Set<string>();
    index.walkKnownStrings(r.props, (text) => {
      for (const c of referenceCandidates(text)) {
        const hit = refs.get(c);
        if (!hit || hit.urn === r.urn || reported.has(c) || !differ(mine, hit.env)) continue;
        if (ownComponent === hit.urn) continue;
        reported.add(c);
        report(
          `${describe(r)} (environment ${mine.name}) references secret '${c}', ${hit.label} (environment ${hit.env.name}). Use the ${mine.name} environment's own key secret.`,
          r.urn,
        );
      }
    });
  }
};

/** One runtime principal allowed to read the keys of two environments. */
const readerOfSeveralEnvironments: Check = ({ index, report }) => {
  const readersOf = (e: EnvironmentResource) => {
    const rs = readStrings(e.model, "readers");
    return rs.state === "known" ? rs.value : [];
  };
  const readers = new Map<string, Set<string>>();
  for (const e of index.environments)
    for (const p of readersOf(e)) (readers.get(p) ?? readers.set(p, new Set()).get(p)!).add(e.name);
  // One message per shared reader, built once (not once per environment it can read).
  const messages = new Map<string, string>();
  for (const [p, envs] of readers)
    if (envs.size > 1)
      messages.set(
        p,
        `Reader ${p} may read the keys of environments ${[...envs].sort().join(" and ")}. Give each environment's runtime its own principal.`,
      );
  for (const e of index.environments)
    for (const p of readersOf(e)) {
      const message = messages.get(p);
      if (message) report(message, e.resource.urn);
    }
};

/** Resources fed by each StackReference (its outputs are another stack's). */
function stackReferenceConsumers(index: StackIndex): Map<string, IndexedResource[]> {
  const consumers = new Map<string, IndexedResource[]>();
  for (const r of index.resources) {
    if (r.type === STACK_REFERENCE_TYPE) continue;
    const seen = new Set<string>();
    for (const urns of Object.values(r.propertyDependencies))
      for (const u of urns)
        if (!seen.has(u) && index.byUrn.get(u)?.type === STACK_REFERENCE_TYPE) {
          seen.add(u);
          (consumers.get(u) ?? consumers.set(u, []).get(u)!).push(r);
        }
  }
  return consumers;
}

function carriesKeyMaterial(outputs: Tree): boolean {
  let material = false;
  walkLeaves(outputs, (leaf) => {
    if (!material && typeof leaf.value === "string" && findMaterial(leaf.value).length) material = true;
  });
  return material;
}

/** A property path or stack name that names E2B. */
const E2B_PATH = /e2b/i;

/** The properties of `r` that take a value from the StackReference `refUrn`. */
function fromReference(r: IndexedResource, refUrn: string): string[] {
  return Object.entries(r.propertyDependencies)
    .filter(([, urns]) => urns.includes(refUrn))
    .map(([top]) => top);
}

/**
 * The properties of `r` that take a value from the StackReference `refUrn`, when one of them is about
 * E2B: an E2B-named variable (E2B_API_KEY_SECRET_ARN), a path naming E2B, key material, or a resource
 * that holds keys itself. A zone id or subnets read from a shared network stack are not.
 */
function keyPropsFrom(index: StackIndex, r: IndexedResource, refUrn: string): string[] {
  const tops = fromReference(r, refUrn);
  if (r.type === E2B_ENVIRONMENT_TYPE || isKeyResource(r.type, r.props)) return tops;
  const scan = index.scan(r);
  const about = (top: string) =>
    scan.keyTops.has(top) ||
    E2B_PATH.test(top) ||
    [...scan.named, ...scan.unknowns].some(
      (l) => l.top === top && (E2B_NAME.test(l.envName ?? "") || E2B_PATH.test(l.path)),
    );
  return tops.filter(about);
}

/**
 * A StackReference to another environment's stack whose outputs carry the key, that is named for E2B,
 * or that feeds a property about E2B here. One that feeds only other properties (a DNS zone, a shared network) is
 * listed while its outputs are unknown (offline): what it gives cannot be checked for the key.
 */
const readsAnotherEnvironmentsStack: Check = ({ index, report }) => {
  const here: EnvironmentInfo = {
    name: index.stack.toLowerCase(),
    tier: inferTier(index.stack),
    source: "stack",
  };
  const consumers = stackReferenceConsumers(index);
  for (const ref of index.resources) {
    if (ref.type !== STACK_REFERENCE_TYPE) continue;
    const name = get(ref.props, "name") ?? get(ref.outputs, "name");
    if (typeof name !== "string") continue;
    if (isUnknown(name)) {
      // Which stack (and environment) it reads is not known at preview: say so, do not guess.
      if (consumers.get(ref.urn)?.length)
        report(
          `${describe(ref)} reads a stack whose name is unknown at preview; whether it belongs to another environment is judged once the name is known.`,
          ref.urn,
          { advisory: true, at: { inconclusive: true } },
        );
      continue;
    }
    const other = stackOfReference(name);
    const theirs: EnvironmentInfo = { name: other.toLowerCase(), tier: inferTier(other), source: "tag" };
    // Two names that both say an environment are compared word by word, as stack files are:
    // `agent-svc-dev` reading `acme/infra/dev`, `prod-us` reading `prod`, read their own (real39 bug 3).
    const two =
      namesEnvironment(index.stack) && namesEnvironment(other)
        ? otherEnvironment(index.stack, other, [index.project, projectOfReference(name)])
        : differ({ ...here, source: here.tier ? "tag" : "stack" }, theirs);
    if (!two) continue;
    // Offline, a read StackReference has no `outputs` at all: the SDK reads each one as unknown.
    const outputs = get(ref.outputs, "outputs");
    const material = carriesKeyMaterial(outputs ?? ref.outputs);
    const users = consumers.get(ref.urn) ?? [];
    // Outputs the program asked of it by a name about E2B (`requireOutput("e2bApiKey")`): offline
    // unknown, yet named as the key, wherever they go (an ECS container definition, real43 #2).
    const keyOutputs = keyOutputsAsked(index, ref.name);
    // A stack named for E2B (`acme/e2b/prod`) is read for its keys, whatever a consumer calls them.
    const e2bStack = E2B_PATH.test(name);
    const keyUsers = users.flatMap((u) => {
      const props = e2bStack ? fromReference(u, ref.urn) : keyPropsFrom(index, u, ref.urn);
      return props.length ? [`'${u.name}' (${props.join(", ")})`] : [];
    });
    const reads = `${describe(ref)} reads stack '${name}' (environment ${theirs.name}) from stack ${index.stack} (environment ${here.name})`;
    if (material || keyUsers.length > 0 || keyOutputs.length > 0) {
      report(
        `${reads}${material ? " and its outputs carry E2B key material" : ""}${keyOutputs.length ? `; the program takes its output${keyOutputs.length > 1 ? "s" : ""} ${keyOutputs.map((o) => `'${printable(o)}'`).join(", ")}` : ""}${keyUsers.length ? `; consumed by ${keyUsers.join(", ")}` : ""}. Deploy a key per environment instead of sharing one through stack outputs.`,
        ref.urn,
      );
    } else if (users.length > 0 && (outputs === undefined || isUnknown(outputs))) {
      report(
        `${reads}; its outputs are not known at preview and feed ${users.map((u) => `'${u.name}'`).join(", ")} under names that are not about E2B, so they were not checked for the key. Audit the stack's export, or preview with the Pulumi CLI, to have them checked.`,
        ref.urn,
        { advisory: true },
      );
    }
  }
};

/**
 * An output named for a credential of E2B's, last word and all (`e2bApiKey`, `e2bKeys`, `e2bToken`,
 * `e2bApiSecret`, `e2bCredentials`): not one about it (`e2bApiKeyArn`, `e2bKeyVaultUri`,
 * `e2bApiKeyRotatedAt`) or about E2B only (`e2bTemplateId`, `e2bDomain`: a template built once and
 * shared is no shared key). rt52 #5, rt53 #5.
 */
const KEY_OUTPUT_NAME = /(^|_)E2B_((API|AUTH|ACCESS|SANDBOX|SERVICE|TEAM)_)?(KEY|TOKEN|SECRET|CREDENTIAL)S?$/;

/** Whether an output's name says it holds the key (KEY_OUTPUT_NAME). */
export const namesKeyOutput = (output: string): boolean => KEY_OUTPUT_NAME.test(configKeyAsVariable(output));

/** The outputs the program asked of the StackReference named `reference` whose names say they hold the key. */
function keyOutputsAsked(index: StackIndex, reference: string): string[] {
  return (index.config?.stackOutputReads ?? [])
    .filter((r) => r.reference === reference && namesKeyOutput(r.output))
    .map((r) => r.output);
}

/** Whether the program asks a StackReference for an output named for the key: it takes a key from another stack. */
function asksForKeyOutput(index: StackIndex): boolean {
  return (index.config?.stackOutputReads ?? []).some((r) => namesKeyOutput(r.output));
}

/** A store, or the secret it is a version of, named about E2B (`e2b-api-key`, `prodE2bKey`). */
function storeNamedAboutE2B(index: StackIndex, r: IndexedResource): boolean {
  const aboutE2B = (name: string) => E2B_NAME.test(configKeyAsVariable(name));
  if (aboutE2B(r.name)) return true;
  const cp = storeContainerProperty(r.type);
  return !!cp && (r.propertyDependencies[cp] ?? []).some((u) => aboutE2B(index.byUrn.get(u)?.name ?? ""));
}

/**
 * The config keys (qualified) that hold the E2B key in this stack, as the pack judges them elsewhere:
 * named about E2B (`e2bApiKey`, `e2bKey`), imported by an E2BEnvironment (`key.configKey`), or feeding
 * a variable named for the key (`sandboxToken` into `E2B_API_KEY`) or the value of a store named
 * about E2B (a secret `e2b-api-key`). Whether or not the value was decrypted, so that a copied
 * ciphertext is judged as its decrypted value would be (rt40 #1).
 */
function keyConfigKeys(index: StackIndex): { sure: Set<string>; maybe: Set<string> } {
  const sure = new Set<string>();
  const maybe = new Set<string>();
  for (const env of index.environments) {
    const k = readString(env.model, "key.configKey");
    if (k.state === "known") sure.add(k.value.includes(":") ? k.value : `${index.project}:${k.value}`);
  }
  const configs = new Map([...index.hiddenConfigs(), ...index.tracedConfigs()]);
  if (configs.size === 0) return { sure, maybe };
  const named = new Set([...index.e2bKeyConfigs().values()].map((c) => c.key));
  for (const k of named) sure.add(k);
  const keyName = new RegExp(KEY_NAME_PATTERN, "i");
  // Dependencies are known per top-level property: one config value under it feeds the key; of several,
  // one named about E2B does, and otherwise any may (real38 bug 1: an OpenAI key beside it is not it).
  const fedBy = (r: IndexedResource, top: string) => {
    const from = (r.propertyDependencies[top] ?? []).flatMap((u) => configs.get(u)?.key ?? []);
    if (from.some((k) => named.has(k))) return;
    for (const k of from) (from.length === 1 ? sure : maybe).add(k);
  };
  for (const r of index.resources) {
    for (const l of index.scan(r).named) if (l.envName && keyName.test(l.envName)) fedBy(r, l.top);
    if (isStoreOnlyType(r.type) && storeNamedAboutE2B(index, r))
      for (const p of storeValueProperties(r.type)) fedBy(r, p.split(".")[0]);
  }
  for (const k of sure) maybe.delete(k);
  return { sure, maybe };
}

/** Whether the project's stack files give E2B-02 something to say (offline preview only). */
function stackFilesEvidence(index: StackIndex): boolean {
  const files = index.config?.stackFiles;
  const keys = keyConfigKeys(index);
  return !!files && stackFileFindings(files, keys.sure, keys.maybe, index.project).length > 0;
}

/**
 * The key in this stack's config held by another environment's stack file of the project (offline
 * preview only: detect/stack-files.ts). Returns whether it reported anything.
 */
function keyInOtherEnvironmentsStackFiles({ index, report }: Parameters<Check>[0]): boolean {
  const files = index.config?.stackFiles;
  if (!files) return false;
  const urn = stackUrnOf(index.resources);
  const keys = keyConfigKeys(index);
  const found = stackFileFindings(files, keys.sure, keys.maybe, index.project);
  for (const f of found)
    report(f.message, urn, {
      advisory: f.inconclusive,
      at: {
        path: f.path,
        keyFingerprint: f.keyFingerprint,
        unknown: f.unknown,
        inconclusive: f.inconclusive,
      },
    });
  return found.length > 0;
}

const CHECKS: readonly Check[] = [
  dependsOnAnotherEnvironmentsKey,
  referencesAnotherEnvironmentsSecret,
  readerOfSeveralEnvironments,
  readsAnotherEnvironmentsStack,
];

export const noCrossEnvironmentKeyReference = stackPolicy(
  {
    name: "e2b-02-no-cross-environment-key-reference",
    description:
      'No environment consumes another environment\'s E2B key, key secret or key-bearing stack outputs (property dependencies, secret names/ARNs, shared readers, StackReferences). A StackReference to another environment\'s stack counts when its outputs carry key material, the stack is named for E2B (`acme/e2b/prod`), it feeds a property about E2B (an E2B-named variable, key material) or the program takes an output named for the key (`requireOutput("e2bApiKey")` or `"e2bKey"`, not `"e2bTemplateId"`; noted by the offline preview); one that feeds only other properties (a shared DNS zone or network) is listed as an advisory while its outputs are unknown. Offline, the key in the stack\'s config must not be in another environment\'s stack file of the project.',
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Point each runtime at the key secret of its own environment.",
      "2. Do not grant one principal read access to the keys of two environments.",
      "3. Do not read another environment's key through a StackReference; deploy a key per environment instead.",
    ].join("\n"),
    config: z.object({ environmentTagKeys: environmentTagKeysSchema }),
    example:
      "aws:lambda/function:Function 'loadtest-runner' (environment load-test) consumes 'prod-key-secret' of environment prod through property environment. Use the load-test environment's own key.",
    evidence: stackFilesEvidence,
  },
  (ctx) => {
    // Stack files that share a key are evidence of their own, whatever the resources consume.
    const inStackFiles = keyInOtherEnvironmentsStackFiles(ctx);
    if (!inStackFiles && !consumesE2BKey(ctx.index) && !asksForKeyOutput(ctx.index))
      ctx.notApplicable(NO_E2B_KEY_CONSUMER);
    for (const check of CHECKS) check(ctx);
  },
);
