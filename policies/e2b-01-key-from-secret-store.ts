/**
 * E2B-01: the key reaches the backend from a secret store. Judged on the whole stack so unknown values
 * count: a property that depends on the E2B key resource itself (rather than on a store holding it) is
 * the key in plaintext, even while its value is unknown at preview. Stack outputs and stack references
 * that carry key material are the same leak one step removed, and so is key material in the stack's
 * plaintext configuration or anywhere else a stack record carries it (URN, name, references, outputs, a read resource's properties): what the
 * resource policy judged at registration is not reported twice.
 */
import { z } from "zod";
import {
  E2B_NAME,
  KEY_NAME_PATTERN,
  NO_E2B_EVIDENCE,
  describe,
  fromNoResource,
  keyLocation,
  partlyReadMessage,
  regexSchema,
  usesE2B,
  hiddenValueNote,
  hiddenValuesCheck,
} from "./common";
import {
  STACK_REFERENCE_TYPE,
  STACK_TYPE,
  stackUrnOf,
  type KeyHit,
  type LeafInfo,
  type RecordHit,
  type ResourceScan,
} from "./detect/scanner";
import type { HiddenConfig, IndexedResource, StackIndex } from "./detect/stack-index";
import {
  approvedStoreOfHidden,
  isKeyStoreType,
  isStoreOnlyType,
  storeDecidedByValue,
  isStoredLeaf,
  mayBeReferenceTo,
  isReferencePath,
} from "./detect/key-stores";
import { OPAQUE_SECRET, isUnknown } from "./detect/unknowns";
import { printable, type Tree } from "./detect/walk";
import { get } from "./detect/tree";
import { NAME_DEPENDENCIES, invokeSecretName, undecryptedConfigKey } from "./detect/hidden-config";
import { E2B_ENVIRONMENT_TYPE, PUBLIC_PRINCIPAL } from "./model";
import { stackPolicy, type Reporter } from "./policy-dsl";

const FIELD_NAMES: Record<string, string> = {
  urn: "URN",
  type: "type",
  name: "name",
  parent: "parent reference",
  provider: "provider reference",
  dependencies: "dependencies",
  propertyDependencies: "property dependencies",
  outputs: "outputs",
  aliases: "aliases (a resource option)",
  ignoreChanges: "ignoreChanges (a resource option)",
  additionalSecretOutputs: "additionalSecretOutputs (a resource option)",
};

/**
 * Key material in what the resource policy did not see: the record's identity, references and
 * outputs, and the properties of resources that were never analysed at registration (reads,
 * `external` resources of a state export). Keys already in the recorded inputs were reported there.
 */
function checkRecordMaterial(index: StackIndex, r: IndexedResource, report: Reporter): void {
  const inputs = index.scan(r).keys;
  const judged = new Set(r.inputsRecorded ? inputs.map((k) => k.fingerprint) : []);
  // Without recorded inputs the index's props *are* the outputs: judge them once, as properties.
  const propsAreOutputs = !r.inputsRecorded && r.props === r.outputs;
  const hits: Array<KeyHit | RecordHit> = index
    .scanRecord(r)
    .filter((k) => !(propsAreOutputs && k.field === "outputs"));
  if (!r.inputsRecorded) hits.push(...inputs.filter((k) => !k.store));
  const said = new Set<string>();
  for (const k of hits) {
    if (judged.has(k.fingerprint)) continue;
    const field =
      "field" in k
        ? FIELD_NAMES[k.field]
        : "properties (not analysed at registration: a read or external resource)";
    const once = `${k.fingerprint}\u0000${field}`;
    if (said.has(once)) continue;
    said.add(once);
    report(recordMessage(r, k, field), r.urn, { at: { path: k.path, keyFingerprint: k.fingerprint } });
  }
}

/**
 * Compressed data in outputs that was not read to its end (inputs are the resource policy's): said
 * whether or not the stack otherwise shows E2B, since what was not read could have.
 */
function reportPartlyReadOutputs(index: StackIndex, report: Reporter): void {
  for (const r of index.resources) {
    const partly = index.scanOutputs(r).partlyRead;
    if (partly.length && index.scan(r).partlyRead.length === 0)
      report(partlyReadMessage(`${describe(r)} outputs`, partly), r.urn, { advisory: true });
  }
}

/**
 * Key material in the URN or name of a resource that holds the key by design (a key resource, a store,
 * E2BEnvironment plumbing): its properties are the key's place, its name is not.
 */
function checkIdentityMaterial(index: StackIndex, r: IndexedResource, report: Reporter): void {
  const said = new Set<string>();
  for (const k of index.scanRecord(r)) {
    if ((k.field !== "urn" && k.field !== "name") || said.has(k.fingerprint)) continue;
    said.add(k.fingerprint);
    report(recordMessage(r, k, FIELD_NAMES[k.field]), r.urn);
  }
}

const recordMessage = (r: IndexedResource, k: KeyHit, field: string) =>
  `${describe(r)} carries E2B key material (${k.mask}) in its ${field} ${keyLocation(k)}, outside any approved key store. Keep the key out of names, references and outputs; store it in a secret manager.`;

/**
 * Values preview could not see and nothing else can vouch for: an unknown with no property
 * dependency (it came from no resource: a secret config value that could not be decrypted) and a
 * state export's encrypted secret under an env-var-like name. They may hold the key; the report
 * names them so nobody reads the case's verdict as covering them. Values named to carry the key are
 * judged as the key by e2b-01-key-only-in-key-stores, and undecrypted config values named to carry
 * it by checkHiddenKeyConfig; unknowns that come from a resource are judged through that resource.
 * One under another E2B name (`E2B_KEY`, `E2B_TOKEN`, config `e2bToken`) is the case's own evidence,
 * so the case is inconclusive; one under an unrelated name (`DB_PASSWORD`) is only listed.
 */
function reportHiddenValues(
  index: StackIndex,
  r: IndexedResource,
  keyName: RegExp,
  report: Reporter,
  opts: { undecryptedOnly?: boolean } = {},
): void {
  if (r.type === STACK_REFERENCE_TYPE) return;
  // The stack's own values are its outputs. A store's type alone says nothing: an SSM parameter of
  // type String, a Vercel variable that is not sensitive, keep a value in the open (isStoredLeaf).
  const scan = r.type === STACK_TYPE ? index.scanOutputs(r) : index.scan(r);
  const hidden = [
    ...scan.unknowns.filter((l) => fromNoResource(r, l.top)),
    ...scan.named.filter((l) => l.value === OPAQUE_SECRET),
  ].filter((l) => !isStoredLeaf(r.type, l, r.props));
  const hiddenConfigs = index.hiddenConfigs();
  // A property fed by a hidden value whose own leaves are all known (a serialized closure keeps its
  // code, the capture written `[secret <key>]`) is one hidden value, at the property; so is one a
  // decrypted value fed where preview cannot see it.
  for (const [top, urns] of Object.entries(r.propertyDependencies))
    if (
      !scan.unknownTops.has(top) &&
      (urns.some((u) => hiddenConfigs.has(u)) || index.unseenTracedFeeds(r, top).length > 0)
    )
      hidden.push(hiddenProperty(top));
  for (const l of hidden) {
    if (l.envName && keyName.test(l.envName)) continue;
    const undecrypted = (r.propertyDependencies[l.top] ?? []).flatMap((u) => hiddenConfigs.get(u) ?? []);
    const combined = index.unseenTracedFeeds(r, l.top);
    const configs = [...undecrypted, ...combined];
    // Only what decryption would have shown (a stack with no E2B trace): not a provider function's
    // result, which no passphrase settles and which every program has.
    if (opts.undecryptedOnly && undecrypted.length === 0 && l.value !== OPAQUE_SECRET) continue;
    // Judged as the key by checkHiddenKeyConfig, unless the property mixes in other config values and
    // this leaf's own name may be one of those.
    if (configs.some((c) => c.carriesKey) && (l.envName === null || configs.every((c) => c.carriesKey)))
      continue;
    // A leaf's own name says what it is; config keys when it has none (`apiKey` of a resource), or
    // when every config value feeding its property is about E2B (`e2bKey` into `SETTINGS`): a value
    // hidden from no resource holds what they hold, and decrypted it would be judged as the key.
    // Another config value in the property may be what this leaf holds, so then its name decides.
    // A structured value with a secure leaf about E2B may hand over the key, whatever the leaf's name.
    const names = (cs: readonly HiddenConfig[]) =>
      cs.map((c) => printable(invokeSecretName(c.key) ?? c.key)).join(" or ");
    const leaf = configs.find((c) => c.e2bLeaf);
    const byConfigKey = configs.length > 0 && configs.every((c) => c.e2bNamed);
    const byName = l.envName !== null && E2B_NAME.test(l.envName);
    const e2bNamed = leaf !== undefined || byName || byConfigKey;
    const why = leaf
      ? `${printable(leaf.key)}'s secure leaf ${printable(leaf.e2bLeaf!)}`
      : byName || (l.envName !== null && !byConfigKey)
        ? `its name (${l.envName})`
        : `its config key (${names(configs)})`;
    const cause = [
      ...(undecrypted.length ? [hiddenValues(undecrypted, true)] : []),
      ...(combined.length ? [`${hiddenValues(combined, false)}, combined with a value not known yet`] : []),
    ].join("; ");
    const note = hiddenValueNote(index, l.value);
    const check =
      combined.length && !undecrypted.length
        ? "Preview again once the outputs it is combined with exist, or read the secret at run time."
        : note.check;
    report(
      `${describe(r)} value at ${l.path} is hidden at preview (${cause || note.cause}) and was not checked for E2B key material` +
        (e2bNamed ? `; ${why} says it is about E2B, so E2B-01 is inconclusive until it is checked` : "") +
        `. ${check}`,
      r.urn,
      { advisory: true, at: { path: l.path, unknown: true, ...(e2bNamed ? { inconclusive: true } : {}) } },
    );
  }
}

/**
 * A variable named to carry the key (`keyNamePattern`) whose value preview cannot see holds the key,
 * whatever fed it: the verdict must not depend on whether a secret could be decrypted. When its
 * property depends on no key holder but secrets that may be referenced (mayBeReferenceTo), preview cannot tell the
 * secret's ARN (pulumi/examples' aws-ts-lambda-secrets names each variable after its secret and
 * passes its ARN) from its value read at deploy time (an apply over the ARN, getSecretVersion): E2B-01
 * is inconclusive. A store's value output (`secretVersion.secretString`) is still the key. Public
 * variables are the client-side rule's; `valueFrom.secretKeyRef` names where the key is.
 */
function checkKeyNamedUnknowns(
  index: StackIndex,
  r: IndexedResource,
  keyName: RegExp,
  report: Reporter,
): void {
  // A store's own values are filtered leaf by leaf below: a store type may keep some values in the
  // open (a Vercel variable that is not `sensitive`, an SSM `String`).
  if (r.type === E2B_ENVIRONMENT_TYPE) return;
  const scan = index.scan(r);
  const hidden = [...scan.unknowns, ...scan.named.filter((l) => l.value === OPAQUE_SECRET)].filter(
    (l) => !isStoredLeaf(r.type, l, r.props),
  );
  for (const l of hidden) {
    if (!l.envName || l.publicName || !keyName.test(l.envName) || isReferencePath(l.path)) continue;
    const stores = referenceStoresOnly(index, r.propertyDependencies[l.top]);
    if (stores) {
      report(
        `${describe(r)} variable ${l.envName} at ${l.path} is named to carry the E2B key, and its value, unknown at preview, depends on no key holder but ${stores}: it is a reference if it is the secret's ARN, id, name or URI (\`@Microsoft.KeyVault(SecretUri=…)\`), and the key in plaintext if the program read the secret's value at deploy time (an apply over it, a provider function such as getSecretVersion), so E2B-01 is inconclusive until it is known. Pass the reference under a name that says so (E2B_SECRET_ARN) and read the key at run time, or let the platform resolve it (a Key Vault reference) and waive this finding.`,
        r.urn,
        { advisory: true, at: { path: l.path, unknown: true, inconclusive: true } },
      );
      continue;
    }
    report(
      `${describe(r)} variable ${l.envName} at ${l.path} is named to carry the E2B key; its value is unknown at preview (a secret that could not be decrypted, or an output not known yet), so it is judged as the key in plaintext outside any approved key store. Pass a secret reference (e.g. E2B_SECRET_ARN) and read the key at run time.`,
      r.urn,
      { at: { path: l.path, unknown: true } },
    );
  }
}

/**
 * The secrets a property depends on that may be referenced rather than read (mayBeReferenceTo),
 * named, when they are the only sources of the key it depends on: no config value, no other resource
 * that holds the key. Resources holding no key do not count (an app's settings depend on a blob's URL
 * in another setting, as pulumi/examples' classic-azure-ts-msi-keyvault-rbac does); undefined else.
 */
function referenceStoresOnly(index: StackIndex, deps: readonly string[] | undefined): string | undefined {
  if (!deps || deps.length === 0) return undefined;
  const holders = index.keySources();
  const stores: IndexedResource[] = [];
  for (const u of deps) {
    if (undecryptedConfigKey(u) !== undefined) return undefined;
    const dep = index.byUrn.get(u);
    if (dep === undefined) return undefined;
    if (mayBeReferenceTo(dep.type)) stores.push(dep);
    else if (holders.has(u)) return undefined;
  }
  return stores.length ? stores.map((d) => describe(d)).join(" and ") : undefined;
}

/**
 * Whether everything of `top` that may be the key (its unknown values, its key material) sits where
 * the resource's own store keeps values: a container app's `configuration.secrets`, fed from the key.
 */
function heldInOwnStore(r: IndexedResource, top: string, scan: ResourceScan): boolean {
  if (!isKeyStoreType(r.type)) return false;
  const unknowns = scan.unknowns.filter((l) => l.top === top);
  const keys = scan.keys.filter((k) => k.top === top);
  if (unknowns.length + keys.length === 0) return false;
  return unknowns.every((l) => isStoredLeaf(r.type, l, r.props)) && keys.every((k) => k.store !== undefined);
}

/** A whole property as a hidden leaf (reportHiddenValues). */
const hiddenProperty = (top: string): LeafInfo => ({
  path: printable(top),
  top,
  envName: null,
  publicName: null,
  nameChain: "",
  value: null,
  unknown: true,
  embedded: false,
  container: null,
});

/**
 * Hidden values as messages name them: secret config values the preview could not decrypt, or
 * secrets a provider function reads at deploy time (engine/secret-invokes.ts), by their names; with
 * `why`, each with why it is hidden.
 */
function hiddenValues(cs: readonly HiddenConfig[], why: boolean): string {
  const config = cs.filter((c) => invokeSecretName(c.key) === undefined).map((c) => printable(c.key));
  const read = cs.flatMap((c) => invokeSecretName(c.key) ?? []).map(printable);
  return [
    ...(config.length
      ? [`the secret config value ${config.join(" or ")}${why ? ", which could not be decrypted" : ""}`]
      : []),
    ...(read.length
      ? [`the secret ${read.join(" or ")}${why ? ", which a provider function reads at deploy time" : ""}`]
      : []),
  ].join(" or ");
}

/**
 * A property not known at preview that takes a value from an undecrypted secret config value about
 * E2B (a structured value's secure leaf `sandbox.e2bApiKey`, a key named `e2bToken`) together with a
 * resource's output not known yet (a generated gateway token in the same user data, as the openclaw
 * examples build their script): the key may be in it, and nothing preview sees settles it, so E2B-01
 * is inconclusive. With the passphrase the decrypted value is traced and the case reads the same.
 * Values from such config alone are reportHiddenValues'; a config key that names the key itself is
 * judged as the key (checkHiddenKeyConfig).
 */
function checkHiddenAboutE2B(
  index: StackIndex,
  r: IndexedResource,
  report: Reporter,
  opts: { anyName?: boolean } = {},
): void {
  const hidden = index.hiddenConfigs();
  if (hidden.size === 0 || r.type === E2B_ENVIRONMENT_TYPE || isStoreOnlyType(r.type)) return;
  const scan = index.scan(r);
  for (const [top, urns] of Object.entries(r.propertyDependencies)) {
    if (!scan.unknownTops.has(top) || fromNoResource(r, top)) continue;
    const configs = urns.flatMap((u) => hidden.get(u) ?? []);
    if (configs.length === 0 || configs.some((c) => c.carriesKey)) continue;
    const about = configs.find((c) => c.e2bLeaf !== undefined) ?? configs.find((c) => c.e2bNamed);
    if (!about) {
      // In a stack with no E2B trace, listed: decrypted, it might have been the trace.
      if (opts.anyName)
        report(
          `${describe(r)} property ${printable(top)} is not known at preview and takes a value from ${hiddenValues(configs, true)}, combined with an output not known yet: it was not checked for E2B key material. ${hiddenValuesCheck(configs.map((c) => c.key))}`,
          r.urn,
          { advisory: true, at: { path: top, unknown: true } },
        );
      continue;
    }
    const what = about.e2bLeaf
      ? `${printable(about.key)}, whose secure leaf ${printable(about.e2bLeaf)} is about E2B`
      : `${printable(about.key)}, whose name is about E2B`;
    report(
      `${describe(r)} property ${printable(top)} is not known at preview and takes a value from ${invokeSecretName(about.key) === undefined ? `the secret config value ${what}, which could not be decrypted` : `the secret ${what}, which a provider function reads at deploy time`}, combined with an output not known yet: it may hold the E2B key, so E2B-01 is inconclusive until it is checked. ${hiddenValuesCheck([about.key])}`,
      r.urn,
      { advisory: true, at: { path: top, unknown: true, inconclusive: true } },
    );
  }
}

/** Words that name a one-way derivative of a value: a fingerprint, a hash, a digest. */
const DERIVATIVE_WORDS = new Set([
  "fingerprint",
  "digest",
  "checksum",
  "hash",
  "sha",
  "sha1",
  "sha256",
  "sha384",
  "sha512",
]);

/** A stack output named as a derivative, word by word (`keyFingerprint`, `key_sha256`; not `unhashedKey`). */
function isDerivativeName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^A-Za-z0-9]+/);
  return words.some((w) => DERIVATIVE_WORDS.has(w.toLowerCase()));
}

/**
 * A property fed by a secret config value the offline preview could not decrypt, whose config key is
 * named to carry the key (`e2bApiKey`, `E2B_API_KEY`): decrypted, the rules would see the key there
 * and fail it, so it is judged as the key now (detect/hidden-config.ts). A variable named to carry the
 * key is already the resource policy's finding. The root stack's property dependencies are its
 * outputs' (engine/recorder.ts): the CLI sends none, the offline engine those of hidden values.
 */
function checkHiddenKeyConfig(
  index: StackIndex,
  r: IndexedResource,
  keyName: RegExp,
  report: Reporter,
): void {
  const sources = index.hiddenKeyConfigUrns();
  const traced = index.tracedKeyConfigUrns();
  // The key's own resources and the E2BEnvironment take management credentials by design (E2B-08).
  if (sources.size + traced.size === 0 || r.type === E2B_ENVIRONMENT_TYPE) return;
  const scan = index.scan(r);
  for (const top of Object.keys(r.propertyDependencies)) {
    // A decrypted key is judged only where preview cannot see what it fed; elsewhere its value is read.
    let from = index.dependsOn(r, top, sources);
    const decrypted = from.length === 0;
    if (decrypted) {
      if (!index.unseenTracedFeeds(r, top).some((c) => c.carriesKey)) continue;
      from = index.dependsOn(r, top, traced);
    }
    if (from.length === 0) continue;
    const hidden = scan.unknowns.filter((l) => l.top === top);
    if (hidden.some((l) => l.envName && !l.publicName && keyName.test(l.envName))) continue;
    // Where the store would hold the decrypted key (a SecureString, a sensitive variable), it is held;
    // where only the hidden value would say (an ESC document's `fn::secret`), preview cannot tell.
    if (isKeyStoreType(r.type) && hidden.length > 0) {
      const open = hidden.filter((l) => !approvedStoreOfHidden(r.type, l.path, l.container, r.props));
      const undecided = open.map((l) => storeDecidedByValue(r.type, l.path));
      if (open.length === 0) continue;
      if (undecided.every((st) => st !== undefined)) {
        report(
          `${describe(r)} property ${printable(top)} takes its value from ${index.sourceNames(from)}, hidden from this preview; whether it keeps the key as a ${undecided[0].store} secret (${undecided[0].condition}) is written in that value, so E2B-01 is inconclusive until it is known. ${hiddenValueNote(index, OPAQUE_SECRET).check}`,
          r.urn,
          { advisory: true, at: { path: top, unknown: true, inconclusive: true } },
        );
        continue;
      }
    }
    const names = index.sourceNames(from);
    const configs = decrypted ? index.tracedConfigs() : index.hiddenConfigs();
    const variables = from.map((u) => configs.get(u)!.variable).join(", ");
    const hiddenHow = decrypted
      ? "Combined with a value preview cannot see yet, it is judged as the key"
      : "Hidden from this preview, it is judged as the key";
    if (top === NAME_DEPENDENCIES) {
      report(
        `${describe(r)} is named from ${names}, whose name says it is the E2B key (${variables}): hidden from this preview, it is judged as the key in the resource's URN, which the state, the console and every log show. Keep the key out of names.`,
        r.urn,
        { at: { path: "urn", unknown: true } },
      );
      continue;
    }
    if (r.type === STACK_TYPE && isDerivativeName(top)) {
      // Named as a one-way derivative of the key (the E2BEnvironment's `keyFingerprint`, re-exported
      // as the README shows): preview cannot tell it from the key exported under that name, so the
      // case is inconclusive, not failed, until the value is seen.
      report(
        `${describe(r)} exports stack output ${printable(top)} from ${names}, hidden from this preview; its name says it is a fingerprint of the key, which preview cannot tell from the key itself, so E2B-01 is inconclusive until it is checked. ${hiddenValueNote(index, OPAQUE_SECRET).check}`,
        r.urn,
        { advisory: true, at: { path: top, unknown: true, inconclusive: true } },
      );
      continue;
    }
    if (r.type === STACK_TYPE) {
      report(
        `${describe(r)} exports stack output ${printable(top)} from ${names}, whose name says it is the E2B key (${variables}). ` +
          `${hiddenHow} exported. Export the secret's name, not the key.`,
        r.urn,
        { at: { path: top, unknown: true } },
      );
      continue;
    }
    report(
      `${describe(r)} property ${printable(top)} takes its value from ${names}, whose name says it is the E2B key (${variables}). ` +
        `${hiddenHow}: outside any approved key store. Store it in a secret manager and pass a reference instead.`,
      r.urn,
      { at: { path: top, unknown: true } },
    );
  }
}

/**
 * Key material in the stack's plaintext configuration (`pulumi config set` without `--secret`, or a
 * project default): the stack files are committed with the program, so the key is in the repository
 * whatever store the program then writes it to. Reported on the stack resource.
 */
function checkConfigMaterial(index: StackIndex, report: Reporter): void {
  const hits = index.configKeyHits();
  if (!hits.length) return;
  const stackUrn = stackUrnOf(index.resources);
  for (const k of hits) {
    const at = { at: { path: `config.${k.path}`, keyFingerprint: k.fingerprint } };
    // A name is no value to mark secret: the key itself was written as a config key.
    if (k.path.endsWith(" (property name)")) {
      report(
        `Stack configuration names a key with E2B key material (${k.mask}) ${keyLocation(k)}: Pulumi.yaml and Pulumi.${index.stack}.yaml are committed with the program. Remove that config key and rotate the key.`,
        stackUrn,
        at,
      );
      continue;
    }
    // Config values are text; a structured one is JSON, so a leaf inside it is an embedded one and
    // `--path` names it (`ns:key.secrets.E2B_API_KEY`).
    const key = k.top;
    const set = k.embedded
      ? `--path --secret ${shellWord(k.path.replace("{json}", ""))}`
      : `--secret ${shellWord(printable(key))}`;
    report(
      `Stack configuration ${printable(key)} holds E2B key material (${k.mask}) in plaintext ${keyLocation(k)}: Pulumi.yaml and Pulumi.${index.stack}.yaml are committed with the program. Set it with \`pulumi config set ${set}\` and rotate the key.`,
      stackUrn,
      at,
    );
  }
}

/**
 * The key in secret config that no value preview could see holds or takes (StackIndex
 * unseenSecretConfig): the case is inconclusive, not passed, until it is known where the key goes.
 */
function reportUnseenSecretConfig(index: StackIndex, report: Reporter): void {
  const unseen = index.unseenSecretConfig();
  if (!unseen.length) return;
  const stackUrn = stackUrnOf(index.resources);
  for (const { key, mask } of unseen) {
    const what = mask
      ? `Secret stack configuration ${printable(key)} holds the E2B key (${mask}), and no value preview could see holds it or takes it`
      : `Secret stack configuration ${printable(key)}, whose name says it is the E2B key (not decrypted here), feeds no value preview could see`;
    report(
      `${what}: the program may pass it into a value not known yet (an apply over an output such as a load balancer's DNS name), so E2B-01 is inconclusive until it is known where the key goes. ` +
        "Read the key from a secret store at run time, or preview again once those outputs exist.",
      stackUrn,
      { advisory: true, at: { path: `config.${key}`, unknown: true, inconclusive: true } },
    );
  }
}

/** A word for a POSIX shell: as it is when plain, else single-quoted. */
const shellWord = (w: string) => (/^[\w:./@-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);

/**
 * IAM grants that can open a secret to everyone, by type: the property naming the secret, and who is
 * granted (a member, members, or the principals an Allow statement of a resource policy names).
 */
const SECRET_GRANTS: Readonly<Record<string, { target: string; who: (props: Tree) => unknown[] }>> = {
  "gcp:secretmanager/secretIamMember:SecretIamMember": { target: "secretId", who: (p) => [get(p, "member")] },
  "gcp:secretmanager/secretIamBinding:SecretIamBinding": {
    target: "secretId",
    who: (p) => asList(get(p, "members")),
  },
  "aws:secretsmanager/secretPolicy:SecretPolicy": {
    target: "secretArn",
    who: (p) => allowedPrincipals(get(p, "policy")),
  },
};

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The principals of a resource policy's Allow statements (`"*"`, `{ AWS: ["*"] }`), when it is known JSON. */
function allowedPrincipals(policy: unknown): unknown[] {
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return [];
    }
  }
  return asList(get(doc as Tree, "Statement")).flatMap((st) => {
    if (get(st as Tree, "Effect") !== "Allow") return [];
    const principal = get(st as Tree, "Principal");
    if (typeof principal === "string") return [principal];
    return principal && typeof principal === "object" ? Object.values(principal).flatMap(asList) : [];
  });
}

/**
 * A secret that holds the key opened to everyone (GCP `allUsers`, an AWS resource policy allowing
 * `*`): the key is in a store, and anyone can read it out.
 */
function checkPublicKeyStores(index: StackIndex, report: Reporter): void {
  // The key's stores, and the secrets their versions belong to (keyHolders counts those too).
  const holders = index.keyHolders();
  for (const r of index.resources) {
    const grant = SECRET_GRANTS[r.type];
    if (!grant) continue;
    const secret = (r.propertyDependencies[grant.target] ?? []).find((u) => holders.has(u));
    const everyone = grant.who(r.props).find((w) => typeof w === "string" && PUBLIC_PRINCIPAL.test(w.trim()));
    if (secret && typeof everyone === "string")
      report(
        `${describe(r)} lets ${everyone} read ${index.sourceName(secret)}, which holds the E2B key: anyone${everyone === "allAuthenticatedUsers" ? " with a Google account" : ""} can read the key out of the store. Grant only the runtime's own identity.`,
        r.urn,
        { at: { path: grant.target } },
      );
  }
}

/** A variable naming the E2B API's address: where the runtime sends the key with every request. */
const API_URL_NAME = /(^|_)E2B_API_(BASE_)?URL$/;
/** Plain HTTP to anything but this machine. */
/**
 * Whether `value` is a plain-HTTP URL to a host other than this machine, as `fetch` (and so the e2b
 * SDK) parses it: `http:host`, `http:/host` and `http:\\host` are `http://host/` too (rt47 #8).
 */
function isCleartextUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "http:" && !LOOPBACK_HOST.test(url.hostname);
}

/**
 * This machine, as the URL parser writes it: `localhost` (with its root dot too), 127.0.0.0/8, `::1`,
 * IPv4-mapped 127.x (`[::ffff:7f00:1]`) and 0.0.0.0, which Linux connects to locally (rt48 note).
 */
const LOOPBACK_HOST =
  /^(localhost\.?|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\])$/;

/**
 * A runtime told to reach the E2B API over plain HTTP (`E2B_API_URL: "http://…"`, the monitor's
 * `apiUrl`): every request carries the key in its `X-API-Key` header, readable on the way (rt38 note).
 */
function checkCleartextApiUrl(index: StackIndex, r: IndexedResource, report: Reporter): void {
  for (const l of index.scan(r).named)
    if (l.envName && API_URL_NAME.test(l.envName) && typeof l.value === "string" && isCleartextUrl(l.value))
      report(
        `${describe(r)} sends the E2B key over plain HTTP: ${l.envName} at ${printable(l.path)} is ${printable(l.value)}, and every request to the E2B API carries the key in a header. Use https://.`,
        r.urn,
        { at: { path: l.path } },
      );
}

export const keyFromSecretStore = stackPolicy(
  {
    name: "e2b-01-key-from-secret-store",
    description:
      "The E2B key reaches runtimes from a secret store: no property is fed straight from the key resource, and no plaintext stack configuration, stack output, stack reference, URN, reference, resource output or read resource carries key material; no runtime is told to reach the E2B API over plain HTTP.",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Write the key resource's value only into a secret store (the E2BEnvironment component does this).",
      "2. Pass the runtime the secret's ARN/name and grant it read access; read the value at start-up.",
      "3. Never export the key (or a secret holding it) as a stack output; export the secret's name instead.",
    ].join("\n"),
    config: z.object({
      keyNamePattern: regexSchema(
        KEY_NAME_PATTERN,
        "Regex for variable names meant to carry the E2B key: such a variable whose value is unknown at preview (a secret that could not be decrypted, an output not known yet) is judged as holding the key (inconclusive when the only key holders its property depends on are secrets that may be referenced, such as a Secrets Manager secret: its ARN, or its value read at deploy time).",
      ),
    }),
    example:
      "aws:lambda/function:Function 'api' property environment takes its value straight from the E2B key resource 'prod-key' (unknown at preview). Read the key from the secret store the E2BEnvironment writes instead.",
  },
  ({ index, config, report, notApplicable }) => {
    reportPartlyReadOutputs(index, report);
    if (!usesE2B(index)) {
      // No E2B trace preview could see; what it could not see is said, in every format, without
      // making the case applicable: a secret that could not be decrypted may be the key.
      const keyName = new RegExp(config.keyNamePattern);
      for (const r of index.resources) {
        reportHiddenValues(index, r, keyName, report, { undecryptedOnly: true });
        checkHiddenAboutE2B(index, r, report, { anyName: true });
      }
      notApplicable(NO_E2B_EVIDENCE);
    }
    checkConfigMaterial(index, report);
    checkPublicKeyStores(index, report);
    reportUnseenSecretConfig(index, report);
    const keys = index.keyResourceUrns;
    const keyName = new RegExp(config.keyNamePattern);
    for (const r of index.resources) {
      checkCleartextApiUrl(index, r, report);
      if (r.type === STACK_TYPE || r.type === STACK_REFERENCE_TYPE) {
        // Outputs, not inputs: what the stack exports (or what a referenced stack exported).
        const identity = index.scanRecord(r).filter((k) => k.field !== "outputs");
        for (const k of identity)
          report(
            `${describe(r)} carries E2B key material (${k.mask}) in its ${FIELD_NAMES[k.field]} ${keyLocation(k)}. Keep the key out of names.`,
            r.urn,
          );
        for (const k of index.scanOutputs(r).keys) {
          const where =
            r.type === STACK_TYPE
              ? `stack output ${k.path}`
              : `an output of the referenced stack (${k.path})`;
          report(
            `${describe(r)} exposes E2B key material (${k.mask}) as ${where}. Export the secret's name, not the key.`,
            r.urn,
            { at: { path: k.path, keyFingerprint: k.fingerprint } },
          );
        }
        // A reference named from a hidden key (`org/${key}/prod`) is judged as one named from the key,
        // an output fed by one as the key exported; any other hidden output is said.
        checkHiddenKeyConfig(index, r, keyName, report);
        reportHiddenValues(index, r, keyName, report);
        continue;
      }
      // The key's own resources, the stores holding it and the E2BEnvironment's plumbing (stores,
      // alarms) hold it by design; their names do not, and references to them repeat those names.
      if (keys.has(r.urn) || index.keyHolders().has(r.urn) || index.environmentComponentOf(r)) {
        checkIdentityMaterial(index, r, report);
        continue;
      }
      checkRecordMaterial(index, r, report);
      checkKeyNamedUnknowns(index, r, keyName, report);
      reportHiddenValues(index, r, keyName, report);
      checkHiddenKeyConfig(index, r, keyName, report);
      checkHiddenAboutE2B(index, r, report);
      const scan = index.scan(r);
      const tops = new Set<string>();
      for (const top of Object.keys(r.propertyDependencies)) tops.add(top);
      if (Object.keys(r.propertyDependencies).length === 0 && r.dependencies.some((u) => keys.has(u))) {
        for (const l of scan.unknowns) tops.add(l.top);
      }
      for (const top of tops) {
        const from = index.dependsOn(r, top, keys);
        if (from.length === 0) continue;
        const value =
          r.props && typeof r.props === "object" && !Array.isArray(r.props) ? r.props[top] : undefined;
        const unknown = isUnknown(value) || scan.unknownTops.has(top);
        const material = scan.keyTops.has(top);
        // A known value without key material used a harmless output (the key's name or id).
        if (!unknown && !material) continue;
        // A runtime that keeps the key in its own store (a container app's secrets) is fed by design.
        if (heldInOwnStore(r, top, scan)) continue;
        const keyNames = index.sourceNames(from);
        report(
          `${describe(r)} property ${top} takes its value straight from the E2B key resource ${keyNames}` +
            `${unknown ? " (unknown at preview)" : ""}. Read the key from the secret store the E2BEnvironment writes instead.`,
          r.urn,
          unknown ? { at: { path: top, unknown: true } } : undefined,
        );
      }
    }
  },
);
