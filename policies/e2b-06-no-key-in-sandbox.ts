/**
 * E2B-06: the key never enters a sandbox, and third-party credentials reach sandboxes through E2B
 * Secrets (egress header injection), not env vars. Where IaC can see it: env vars handed to
 * sandboxes (a `SANDBOX_ENV_VARS`-style variable holding JSON), template build args and Dockerfiles,
 * template/sandbox resources, egress rules written in the stack (`network.rules` JSON), egress proxy
 * passwords anywhere, and the environment model's declared secrets.
 */
import { z } from "zod";
import {
  KEY_NAME_PATTERN,
  NO_E2B_KEY_CONSUMER,
  consumesE2BKey,
  describe,
  E2B_NAME,
  isHiddenValue,
  regexSchema,
  hiddenValueNote,
} from "./common";
import {
  credentialShape,
  isE2BPlaceholderOnly,
  isOverbroadHost,
  isPlaintextCredentialHeader,
} from "./credential-shapes";
import { isKeyStoreType, mayBeReferenceTo } from "./detect/key-stores";
import { findMaterial } from "./detect/material";
import {
  DYNAMIC_RESOURCE_TYPE,
  get,
  type EnvironmentResource,
  type IndexedResource,
  type ResourceScan,
  type StackIndex,
} from "./detect/stack";
import { mayNameOrHideLeaves } from "./detect/embedded-names";
import { OPAQUE_SECRET } from "./detect/unknowns";
import { NOT_VARIABLES, PAYLOAD, VARIABLE_MAP, holdsVariables } from "./detect/variable-holders";
import { CONFIG_KEY_NAME, configKeyAsVariable } from "./detect/hidden-config";
import { pathOf, printable, type Leaf, type PathNode, type Tree, type WalkContext } from "./detect/walk";
import { isObjectTree } from "./detect/tree";
import { E2B_SECRET_KIND } from "./model";
import { settingsOf, stackPolicy, type Reporter } from "./policy-dsl";
import type { PackConfig } from "./settings";

/**
 * Image builds whose inputs end up inside an image a sandbox template can be made from: by type, the
 * top-level inputs that reach the image and how to name them. Data, easy to extend.
 */
const IMAGE_BUILD =
  "an image build (args and context files are baked into the image and any sandbox template made from it)";
const IMAGE_BUILDS: Record<
  string,
  {
    tops: string[];
    what: string;
    /**
     * Whether a variable's entry only names a secret that the build service fetches into its runner
     * when a build starts (nothing of the key is in the definition or baked in by it).
     */
    fetchedAtBuild?: (entry: Tree) => boolean;
  }
> = {
  "docker:index/image:Image": {
    tops: ["build"],
    what: IMAGE_BUILD,
  },
  "docker-build:index:Image": {
    tops: ["buildArgs", "context", "dockerfile"],
    what: IMAGE_BUILD,
  },
  "awsx:ecr:Image": {
    tops: ["args", "context", "dockerfile"],
    what: IMAGE_BUILD,
  },
  "aws:codebuild/project:Project": {
    tops: ["environment"],
    what: "a build environment (baked into what it builds, e.g. a sandbox template)",
    // A SECRETS_MANAGER or PARAMETER_STORE variable's value is the secret's name; CodeBuild reads the
    // secret into the runner, AWS's way to give a build a key (the E2B CLI needs one to build a
    // template) without holding it anywhere else (real45 #1).
    fetchedAtBuild: (entry) =>
      isObjectTree(entry) && (entry.type === "SECRETS_MANAGER" || entry.type === "PARAMETER_STORE"),
  },
};
const SANDBOX_RESOURCE_KINDS = new Set(["e2b-guardrails:Template", "e2b-guardrails:Sandbox"]);

const DOCKERFILE = /^\s*FROM\s+\S+/m;
const DOCKER_KEY_LINE = /^\s*(ENV|ARG)\s+(E2B_API_KEY|E2B_ACCESS_TOKEN)\b/m;
/** An egress proxy password: the SDK's `network.egressProxy.password`, or a variable named for it. */
const PROXY_PASSWORD_PATH = /(^|\.)egressProxy\.password$/i;
const PROXY_PASSWORD_NAME = /(^|_)(EGRESS_PROXY|SOCKS5?(_PROXY)?|PROXY)_(PASSWORD|PASSWD|PASS)$/;

const SECRETS_POINTER =
  "declare it in the E2BEnvironment's `secrets` (the component creates the E2B Secret from Pulumi secret config) and inject it with network.rules as ${e2b.secrets.<name>}";

/** The configured name as one path segment (`a/SANDBOX_ENV/b`); built once, checked by the schema as built. */
function sandboxNameRegExp(pattern: string): RegExp {
  return new RegExp(`(^|/)(${pattern.replace(/^\^|\$$/g, "")})(/|$)`);
}

const config = z.object({
  sandboxEnvNamePattern: regexSchema(
    "^(E2B_)?SANDBOX_(ENV|ENVS|ENV_VARS|ENVIRONMENT|ENVIRONMENT_VARIABLES)$",
    "Regex for variables whose value (JSON) becomes sandbox env vars.",
    sandboxNameRegExp,
  ),
  keyNamePattern: regexSchema(KEY_NAME_PATTERN, "Regex for the E2B key's variable names."),
  thirdPartySecretPattern: regexSchema(
    "(_API_KEY|_TOKEN|_SECRET|_PASSWORD)$",
    "Regex for other credentials in sandbox env vars (they belong in E2B Secrets).",
  ),
  thirdPartyInEnvAdvisory: z
    .boolean()
    .default(false)
    .describe(
      "Report third-party credentials in sandbox env vars as advisory instead of at the policy's level.",
    ),
});
type Config = z.output<typeof config>;

/** What every check of one run shares. */
interface Run {
  report: Reporter;
  config: Config;
  sandboxName: RegExp;
  keyName: RegExp;
  thirdParty: RegExp;
  /** Reports without counting as evidence: what could not be seen says nothing about the stack. */
  advise: Reporter;
  holders: Set<string>;
  holderNames: (urns: string[]) => string;
  dependsOnHolder: (r: IndexedResource, top: string) => string[];
  /**
   * Whether every holder in `from` is a secret container with no value output (a Secrets Manager
   * secret): what depends on it may be only its ARN, which every runtime reading the key by reference
   * gets, or the key read from it at deploy time. Preview cannot tell which.
   */
  onlyReferences: (from: readonly string[]) => boolean;
  /** common.isHiddenValue in this stack. */
  isHidden: (r: IndexedResource, leaf: Parameters<typeof isHiddenValue>[2]) => boolean;
  /** Why a hidden value is hidden and how to check it (common.ts). */
  hiddenNote: (value: unknown, it?: string) => ReturnType<typeof hiddenValueNote>;
  /** A string leaf that holds a document (whether or not this walk parsed it, see worthParsing). */
  isDocument: (leaf: Leaf) => boolean;
}

export const noKeyInSandbox = stackPolicy(
  {
    name: "e2b-06-no-key-in-sandbox",
    description:
      "The E2B key never enters a sandbox (env vars, template build args, files); third-party credentials reach sandboxes through E2B Secrets and egress rules, never env vars; no plaintext egress-proxy password.",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Remove the key from sandbox env vars, template Dockerfiles and build args; sandboxes never need the operator's key.",
      "2. Give sandboxes third-party credentials through E2B Secrets: declare them in the E2BEnvironment's `secrets` (created from Pulumi secret config) and inject them with network.rules headers as ${e2b.secrets.<name>}; allow only the hosts they are for.",
      "3. Keep an egress proxy password in a secret store and read it at run time; never in code, config or env vars.",
      "4. Rotate the key (or credential) if a sandbox ever received it.",
    ].join("\n"),
    config,
    example:
      "aws:ecs/taskDefinition:TaskDefinition 'agent' passes E2B_API_KEY into sandbox env vars (SANDBOX_ENV_VARS/E2B_API_KEY). Sandboxes never need the operator's key; remove it.",
    evidence: sandboxEvidence,
  },
  ({ index, config, report, notApplicable }) => {
    // Key material baked into a sandbox (a template's Dockerfile) is evidence on its own: judge first,
    // and only a stack with neither a key consumer nor a finding is not-applicable.
    const found = judgeSandboxes(index, config, report);
    if (!found && !consumesE2BKey(index)) notApplicable(NO_E2B_KEY_CONSUMER);
  },
);

/**
 * E2B-06's checks over the stack; whether one found anything (advisories aside). Run by the policy,
 * and with a silent reporter for its case's evidence when the policy is disabled (summary.ts).
 */
function judgeSandboxes(index: StackIndex, config: Config, report: Reporter): boolean {
  const holders = index.keySources();
  let found = false;
  const run: Run = {
    report: ((...a: Parameters<Reporter>) => {
      found = true;
      report(...a);
    }) as Reporter,
    advise: (message, urn, opts) => report(message, urn, { ...opts, advisory: true }),
    config,
    sandboxName: sandboxNameRegExp(config.sandboxEnvNamePattern),
    keyName: new RegExp(config.keyNamePattern),
    thirdParty: new RegExp(config.thirdPartySecretPattern),
    holders,
    holderNames: (urns) => index.sourceNames(urns),
    dependsOnHolder: (r, top) => index.dependsOn(r, top, holders),
    onlyReferences: (from) => from.every((u) => mayBeReferenceTo(index.byUrn.get(u)?.type ?? "")),
    isHidden: (r, leaf) => isHiddenValue(index, r, leaf),
    hiddenNote: (value, it) => hiddenValueNote(index, value, it),
    isDocument: (leaf) =>
      leaf.parsed ||
      (typeof leaf.value === "string" &&
        !leaf.unknown &&
        leaf.value.length > 2 &&
        embeddedWorthParsing(leaf.value) &&
        index.parsedDocument(leaf.value) !== null),
  };

  for (const r of index.resources) {
    if (holders.has(r.urn)) continue;
    if (isSandboxDefinition(r)) {
      checkEveryInput(run, r, index.scan(r), "an E2B sandbox/template definition", null);
      continue;
    }
    const build = IMAGE_BUILDS[r.type];
    if (build) checkEveryInput(run, r, index.scan(r), build.what, build.tops, build.fetchedAtBuild);
    const secretStore = isKeyStoreType(r.type) || isE2BSecretResource(r);
    if (!secretStore) checkHiddenKeyFeed(run, index, r);
    const seen = new Set<string>();
    index.walkLeaves(
      r.props,
      (leaf) => {
        checkDockerfile(run, r, leaf);
        if (!secretStore) checkEgressProxyPassword(run, r, leaf);
        checkEgressRuleHeader(run, r, leaf);
        checkSandboxEnv(run, r, leaf, seen);
      },
      { parseEmbedded: worthParsing },
    );
  }
  for (const env of index.environments) if (env.modelAvailable) checkDeclaredSecrets(run, env);
  return found;
}

/**
 * A runtime's property fed by a secret config value named for the key or about E2B whose variables are
 * hidden at preview (an env map or a container spec built in an `apply`): what it holds, sandbox env
 * vars with the key among them, cannot be seen, so the case cannot pass on it (rt41 #2). Decrypted
 * config counts too: combined with a value not known yet, the map stays hidden with the passphrase
 * (rt42 #6).
 */
function checkHiddenKeyFeed(run: Run, index: StackIndex, r: IndexedResource): void {
  // The engine's own resources (a StackReference, a provider) run nothing.
  if (r.type.startsWith("pulumi:")) return;
  // Decrypted too: the same value combined with one not known yet keeps the map unknown (rt42 #6).
  const keyConfigs = index.e2bKeyConfigs();
  if (keyConfigs.size === 0) return;
  const scan = index.scan(r);
  for (const top of scan.unknownTops) {
    // The whole property hidden, whatever its name (`environment`, ECS `containerDefinitions`, a
    // Deployment's `spec`, Batch `containerProperties`: no list of names is complete, rt44 #5), or a
    // part of it below (`environment: { variables: key.apply(…) }`, `spec.template`, rt45 #2). Not one
    // value named for the key (`apiKey`): the key alone is E2B-01's to judge; a single variable
    // (`API_URL`) is judged by its name; nor a payload handed over once (an invocation's `input`).
    if (namesOneKey(run, top) || IDENTITY.test(top) || PAYLOAD.test(top)) continue;
    const hiddenPart = scan.unknowns.find((l) => {
      if (l.top !== top || l.envName) return false;
      // Below the property, only a part named as what holds variables: one setting's `value` (an
      // Elastic Beanstalk option) is one value, judged by its name where it has one.
      return l.path === top ? !NOT_VARIABLES.test(l.path) : holdsVariables(l.path);
    });
    if (!hiddenPart) continue;
    const from = (r.propertyDependencies[top] ?? []).filter((u) => keyConfigs.has(u));
    if (!from.length) continue;
    const hidden = index.hiddenConfigs();
    const { cause, check } = run.hiddenNote(
      from.some((u) => hidden.has(u)) ? OPAQUE_SECRET : undefined,
      "it",
    );
    run.advise(
      `${describe(r)} property ${printable(hiddenPart.path)} is hidden at preview (${cause}) and takes its value from ${run.holderNames(from)}: whether it hands the E2B key to sandboxes (sandbox env vars) is not known. ${check}`,
      r.urn,
      { at: { path: hiddenPart.path, inconclusive: true } },
    );
  }
}

/** Whether E2B-06 has evidence in this stack as its policy judges it: a key consumer, or a finding. */
function sandboxEvidence(index: StackIndex, config: PackConfig): boolean {
  return consumesE2BKey(index) || judgeSandboxes(index, settingsOf(noKeyInSandbox, config), () => undefined);
}

/** Sandbox env and network JSON need not mention E2B: JSON text too (YAML only as usual). */
const embeddedWorthParsing = (text: string) => /^\s*[[{]/.test(text) || /e2b/i.test(text);

/**
 * What this walk parses: such documents when a leaf in them can matter to a check here — named or
 * unknown leaves (sandbox env, proxy password names), a Dockerfile, a password or an egress rule's
 * headers written in the text (a backslash escape could hide any of them). Most documents (IAM
 * policies, config YAML) can not. A check that skips documents asks `isDocument`, which parses the
 * rare string this walk did not, so the answer is the same as if every such document were parsed.
 */
const worthParsing = (text: string, ctx: WalkContext) =>
  embeddedWorthParsing(text) &&
  (mayNameOrHideLeaves(text, ctx) || text.includes("FROM") || /password|headers/i.test(text));

const isSandboxDefinition = (r: IndexedResource) =>
  r.type === DYNAMIC_RESOURCE_TYPE && SANDBOX_RESOURCE_KINDS.has(String(get(r.props, "kind")));

const isE2BSecretResource = (r: IndexedResource) =>
  r.type === DYNAMIC_RESOURCE_TYPE && get(r.props, "kind") === E2B_SECRET_KIND;

/** Template/sandbox resources and image builds: every listed input reaches the sandbox. */
function checkEveryInput(
  run: Run,
  r: IndexedResource,
  scan: ResourceScan,
  what: string,
  tops: readonly string[] | null,
  fetchedAtBuild: (entry: Tree) => boolean = () => false,
): void {
  // One finding per place: a key found at a path is not reported again for the variable's name there,
  // nor a property already reported for what it holds for what it depends on.
  const saidPaths = new Set<string>();
  const saidTops = new Set<string>();
  for (const k of scan.keys) {
    if (tops && !tops.includes(k.top)) continue;
    const at = k.artifact
      ? `in ${k.artifact.file} line ${k.artifact.line}, a file of ${k.path}`
      : `at ${k.path}`;
    saidPaths.add(k.path);
    saidTops.add(k.top);
    run.report(
      `${describe(r)} puts E2B key material (${k.mask}) into ${what} ${at}. Remove it; sandboxes never need the operator's key.`,
      r.urn,
      { at: { path: k.path, keyFingerprint: k.fingerprint } },
    );
  }
  for (const l of scan.named) {
    if (tops && !tops.includes(l.top)) continue;
    if (l.envName && run.keyName.test(l.envName) && !saidPaths.has(l.path) && !fetchedAtBuild(l.container)) {
      saidTops.add(l.top);
      // At its path, hidden or not: a baseline of the other passphrase mode pairs it with the key found there.
      run.report(
        `${describe(r)} passes ${l.envName} into ${what} (${l.path}). Remove it; sandboxes never need the operator's key.`,
        r.urn,
        { at: { path: l.path, ...(l.unknown ? { unknown: true } : {}) } },
      );
    }
  }
  for (const top of tops ?? Object.keys(r.propertyDependencies)) {
    const from = run.dependsOnHolder(r, top);
    if (!from.length || !scan.unknownTops.has(top) || saidTops.has(top)) continue;
    if (run.onlyReferences(from)) adviseReference(run, r, `${top} (passed into ${what})`, from, top);
    else
      run.report(
        `${describe(r)} passes ${top} into ${what}, and ${top} depends on ${run.holderNames(from)}, which holds the E2B key (value unknown at preview). Keep the key out of sandboxes.`,
        r.urn,
        { at: { path: top, unknown: true } },
      );
  }
  checkHiddenInputs(run, r, scan, what, tops);
}

/**
 * An unknown input of a sandbox whose only key holders are secret containers with no value output:
 * inconclusive, not a failure. Property dependencies are per top-level property, so a Lambda that
 * reads the key by ARN (the remedy) and passes sandboxes env vars built from other outputs shows the
 * same dependencies as one that passes sandboxes the key read from the secret at deploy time.
 */
function adviseReference(run: Run, r: IndexedResource, what: string, from: string[], path = what): void {
  run.advise(
    `${describe(r)} ${what}: unknown at preview and fed by ${run.holderNames(from)}, the secret the E2B key is kept in; its ARN or name is no key, but preview cannot tell them from the key read from it at deploy time, so whether sandboxes get the key is not known. Audit the stack's export after \`pulumi up\` to check it.`,
    r.urn,
    { at: { path, unknown: true, inconclusive: true } },
  );
}

/** Properties that name or describe a resource: one value each, never variables. */
const IDENTITY = /^(name|namePrefix|description|displayName|arn|id)$/;

/** A property named for the key itself (`apiKey`, `e2bApiKey`, `token`), as a variable would be. */
const namesOneKey = (run: Run, top: string): boolean => {
  const variable = configKeyAsVariable(top);
  return (
    run.keyName.test(variable) || CONFIG_KEY_NAME.test(variable) || /(^|_)(API_?KEY|TOKEN)$/.test(variable)
  );
};

/**
 * Hidden inputs that came from no resource (a secret that could not be decrypted, an export's
 * encrypted secret) under another E2B name (`E2B_KEY`) or as a whole map of variables: whatever they
 * hold reaches the sandbox, and nothing settles whether that is the key, so the case is inconclusive
 * (policies/README.md). A key-named one was judged as the key above; other names are only listed.
 */
function checkHiddenInputs(
  run: Run,
  r: IndexedResource,
  scan: ResourceScan,
  what: string,
  tops: readonly string[] | null,
): void {
  const seen = new Set<string>();
  for (const l of [...scan.unknowns, ...scan.named]) {
    if (seen.has(l.path) || (tops && !tops.includes(l.top)) || !run.isHidden(r, l)) continue;
    seen.add(l.path);
    if (l.envName ? run.keyName.test(l.envName) || !E2B_NAME.test(l.envName) : !VARIABLE_MAP.test(l.path))
      continue;
    const { cause, check } = run.hiddenNote(l.value);
    run.advise(
      `${describe(r)} ${what} (${l.path}) is hidden at preview (${cause}), so whether the E2B key reaches the sandbox is not known. ${check}`,
      r.urn,
      { at: { path: l.path, inconclusive: true } },
    );
  }
}

/** A Dockerfile (inline or an asset's text) that bakes the key into a template image. */
function checkDockerfile(run: Run, r: IndexedResource, leaf: Leaf): void {
  if (typeof leaf.value !== "string" || leaf.unknown || !DOCKERFILE.test(leaf.value)) return;
  const material = findMaterial(leaf.value);
  if (!material.length && !DOCKER_KEY_LINE.test(leaf.value)) return;
  const detail = material.length ? `key material (${material[0].mask})` : "an ENV/ARG for E2B_API_KEY";
  run.report(
    `${describe(r)} has a Dockerfile at ${pathOf(leaf.node)} with ${detail}; it would be baked into the sandbox template. Remove it.`,
    r.urn,
  );
}

/** A known, plaintext egress proxy password outside a secret store, anywhere in the stack. */
function checkEgressProxyPassword(run: Run, r: IndexedResource, leaf: Leaf): void {
  if (typeof leaf.value !== "string" || leaf.unknown) return;
  const value = leaf.value.trim();
  if (value === "" || value === OPAQUE_SECRET || isE2BPlaceholderOnly(value)) return;
  const named = leaf.envName !== null && PROXY_PASSWORD_NAME.test(leaf.envName);
  // The path ends in "password" only when its last segment does: build it only then.
  if (!named && !/password$/i.test(leaf.node?.seg ?? "")) return;
  if (run.isDocument(leaf)) return;
  const path = pathOf(leaf.node);
  if (!PROXY_PASSWORD_PATH.test(path) && !named) return;
  run.report(
    `${describe(r)} holds an egress proxy password in plaintext at ${path}. Keep it in a secret store and read it at run time; anyone who can read this resource can use your proxy.`,
    r.urn,
  );
}

/** Path segments from the root to a leaf. */
function segments(node: PathNode | null): string[] {
  const out: string[] = [];
  for (let n = node; n; n = n.parent) out.push(n.seg);
  return out.reverse();
}

/** `…rules.<host>[i].transform.headers.<name>` written in the stack: credentials must be placeholders. */
function checkEgressRuleHeader(run: Run, r: IndexedResource, leaf: Leaf): void {
  if (typeof leaf.value !== "string" || leaf.unknown) return;
  if (leaf.node?.parent?.seg !== "headers") return; // the test below, without the segment list
  const s = segments(leaf.node);
  const n = s.length;
  if (n < 6 || s[n - 2] !== "headers" || s[n - 3] !== "transform" || !/^\[\d+\]$/.test(s[n - 4])) return;
  if (s[n - 6] !== "rules" || run.isDocument(leaf)) return;
  const host = s[n - 5];
  const header = s[n - 1];
  if (!isPlaintextCredentialHeader(header, leaf.value)) return;
  run.report(
    `${describe(r)} writes a plaintext credential into the egress rule header ${header} for ${host} (${pathOf(leaf.node)}). Store it as an E2B Secret and send \${e2b.secrets.<name>} instead.`,
    r.urn,
  );
}

/** Values under a SANDBOX_ENV_VARS-style name (usually JSON): what the sandbox's env vars will be. */
function checkSandboxEnv(run: Run, r: IndexedResource, leaf: Leaf, seen: Set<string>): void {
  if (!run.sandboxName.test(leaf.nameChain) || run.isDocument(leaf)) return;
  const path = pathOf(leaf.node);
  if (seen.has(path)) return;
  seen.add(path);
  const where = leaf.nameChain.slice(1);
  const last = leaf.envName ?? "";
  if (typeof leaf.value === "string" && !leaf.unknown) {
    const m = findMaterial(leaf.value);
    if (m.length) {
      run.report(
        `${describe(r)} passes E2B key material (${m[0].mask}) into sandbox env vars (${where}). Sandboxes never need the operator's key; remove it.`,
        r.urn,
      );
      return;
    }
  }
  if (run.keyName.test(last)) {
    run.report(
      `${describe(r)} passes ${last} into sandbox env vars (${where}). Sandboxes never need the operator's key; remove it.`,
      r.urn,
    );
    return;
  }
  if (leaf.unknown || leaf.value === OPAQUE_SECRET) {
    const from = leaf.unknown ? run.dependsOnHolder(r, leaf.top) : [];
    if (from.length && run.onlyReferences(from))
      adviseReference(run, r, `sandbox env vars (${where})`, from, where);
    else if (from.length)
      run.report(
        `${describe(r)} sandbox env vars (${where}) depend on ${run.holderNames(from)}, which holds the E2B key (value unknown at preview). Keep the key out of sandboxes.`,
        r.urn,
        { at: { path: where, unknown: true } },
      );
    // From no resource (a secret that could not be decrypted, an export's encrypted secret): nothing
    // settles what sandboxes get. From resources that hold no key: settled, nothing to say.
    else if (run.isHidden(r, leaf)) {
      const { cause, check } = run.hiddenNote(leaf.value, "them");
      run.advise(
        `${describe(r)} sandbox env vars (${where}) are hidden at preview (${cause}), so whether sandboxes get the E2B key is not known. ${check}`,
        r.urn,
        { at: { path: where, inconclusive: true } },
      );
    }
    return;
  }
  checkThirdPartyInSandboxEnv(run, r, leaf, last);
}

/** A third-party credential in sandbox env vars, by name or value shape: it belongs in E2B Secrets. */
function checkThirdPartyInSandboxEnv(run: Run, r: IndexedResource, leaf: Leaf, last: string): void {
  const value = typeof leaf.value === "string" ? leaf.value : "";
  if (value === "" || isE2BPlaceholderOnly(value)) return;
  const shape = credentialShape(value);
  const byName = run.thirdParty.test(last) && !run.sandboxName.test(`/${last}`);
  if (!shape && !byName) return;
  const what = shape ? `a credential (${shape}${last ? `, ${last}` : ""})` : `the credential ${last}`;
  run.report(
    `${describe(r)} passes ${what} into sandbox env vars, where model-generated code can read it; ${SECRETS_POINTER}.`,
    r.urn,
    { advisory: run.config.thirdPartyInEnvAdvisory },
  );
}

/** The environment's declared E2B Secrets: each sent only to hosts that are not most of the internet. */
/** The E2B API's hosts (`api.e2b.app`, a wildcard over them, the older `e2b.dev`). */
const E2B_API_HOST = /(?:^|\.)e2b\.(?:app|dev)\.?$/i;

function checkDeclaredSecrets(run: Run, env: EnvironmentResource): void {
  const secrets = get(env.model, "secrets");
  if (!Array.isArray(secrets)) return;
  const allowOut = get(env.model, "sandboxNetwork.allowOut");
  for (const s of secrets) {
    const name = String(get(s, "name") ?? "?");
    const hosts = get(s, "hosts");
    if (!Array.isArray(hosts)) continue;
    for (const h of hosts) {
      if (typeof h !== "string") continue;
      if (E2B_API_HOST.test(h))
        run.report(
          `E2BEnvironment '${env.name}' injects E2B Secret '${name}' into sandboxes' requests to ${h}, the E2B API: any code in a sandbox can then create, list and kill the team's sandboxes with that credential, as if it held the key. Sandboxes never need the operator's key; keep E2B API calls in the backend.`,
          env.resource.urn,
          { at: { path: "secrets" } },
        );
      else if (isOverbroadHost(h))
        run.report(
          `E2BEnvironment '${env.name}' sends E2B Secret '${name}' to "${h}", which matches most of the internet; list the API hosts it is for.`,
          env.resource.urn,
        );
      else if (Array.isArray(allowOut) && !allowOut.includes(h))
        run.report(
          `E2BEnvironment '${env.name}' injects E2B Secret '${name}' for ${h}, which sandboxNetwork.allowOut does not allow (egress rules do not grant access).`,
          env.resource.urn,
          { advisory: true },
        );
    }
  }
}
