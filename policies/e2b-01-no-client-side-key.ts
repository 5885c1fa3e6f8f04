/**
 * E2B-01: no key material on a client-side surface — public-prefixed env vars (inlined into browser
 * bundles by the front-end framework) on any resource type, static-site objects, and edge/CDN code —
 * whether the value is known or only depends on a resource that holds the key.
 */
import { z } from "zod";
import {
  KEY_NAME_PATTERN,
  NO_E2B_EVIDENCE,
  describe,
  fromNoResource,
  isHiddenValue,
  mayHideTheKey,
  keyLocation,
  usesE2B,
  regexSchema,
  hiddenValueNote,
} from "./common";
import {
  AZURE_WEB_CONTAINER,
  WEBSITE_CONTAINER_TYPES,
  CDN_ORIGIN_TYPES,
  DEFAULT_PUBLIC_PREFIXES,
  PUBLIC_ACLS,
  PUBLIC_BUCKET_GRANTS,
  PUBLIC_ENV_PREFIXES,
  PUBLIC_MEMBERS,
  WEBSITE_BUCKETS,
  WEBSITE_CONFIG_TYPES,
  contentSurfaceOf,
  frontendEnvResourceOf,
} from "./detect/client-surfaces";
import { mayBeReferenceTo } from "./detect/key-stores";
import type { IndexedResource, StackIndex } from "./detect/stack-index";
import { get } from "./detect/tree";
import { printable } from "./detect/walk";
import { isUnknown } from "./detect/unknowns";
import { stackPolicy } from "./policy-dsl";

const config = z.object({
  publicPrefixes: z
    .array(z.string().min(1))
    .default([...DEFAULT_PUBLIC_PREFIXES])
    .describe("Env var prefixes that front-end frameworks inline into client bundles."),
  keyNamePattern: regexSchema(
    KEY_NAME_PATTERN,
    "Regex for variable names meant to carry the E2B key; on a public variable they fail whatever the value.",
  ),
});

function frameworkOf(name: string): string {
  const p = PUBLIC_ENV_PREFIXES.filter((x) => name.startsWith(x.prefix)).sort(
    (a, b) => b.prefix.length - a.prefix.length,
  )[0];
  return p ? `${p.framework} inlines ${p.prefix}* into client bundles` : "public prefix";
}

/**
 * Buckets that serve a website: by website property, by a website-configuration resource, by being a
 * CDN's origin, by a grant to everyone (GCS `allUsers`), or Azure `$web`.
 */
function websiteBuckets(index: StackIndex): { urns: Set<string>; names: Set<string> } {
  const urns = new Set<string>();
  const names = new Set<string>();
  const bucketTypes = new Map(WEBSITE_BUCKETS.map((b) => [b.type, b]));
  const grants = new Map(PUBLIC_BUCKET_GRANTS.map((g) => [g.type, g]));
  for (const r of index.resources) {
    const bt = bucketTypes.get(r.type);
    if (bt !== undefined) {
      const w = bt.websiteProperty ? get(r.props, bt.websiteProperty) : undefined;
      const serves =
        bt.publicValues !== undefined
          ? typeof w === "string" && bt.publicValues.includes(w)
          : w !== undefined && w !== null && !(Array.isArray(w) && w.length === 0);
      if (serves) {
        urns.add(r.urn);
        for (const n of [get(r.props, "bucket"), get(r.props, "name"), get(r.props, "containerName")])
          if (typeof n === "string" && !isUnknown(n)) names.add(n);
      }
    }
    const origins = CDN_ORIGIN_TYPES.get(r.type);
    if (origins) for (const p of origins) for (const u of r.propertyDependencies[p] ?? []) urns.add(u);
    const grant = grants.get(r.type);
    if (grant) {
      const m = get(r.props, grant.members);
      const members = Array.isArray(m) ? m : [m];
      if (members.some((x) => typeof x === "string" && PUBLIC_MEMBERS.has(x.split(":")[0]))) {
        for (const u of r.propertyDependencies[grant.bucketProperty] ?? []) urns.add(u);
        const b = get(r.props, grant.bucketProperty);
        if (typeof b === "string" && !isUnknown(b)) names.add(b);
      }
    }
    if (WEBSITE_CONTAINER_TYPES.includes(r.type)) urns.add(r.urn);
    if (WEBSITE_CONFIG_TYPES.includes(r.type)) {
      for (const u of r.propertyDependencies["bucket"] ?? []) urns.add(u);
      const b = get(r.props, "bucket");
      if (typeof b === "string" && !isUnknown(b)) names.add(b);
    }
  }
  return { urns, names };
}

function isClientContent(
  r: IndexedResource,
  bucketProperty: string | undefined,
  web: { urns: Set<string>; names: Set<string> },
): boolean {
  if (!bucketProperty) return true;
  // A canned ACL (S3, Spaces) or Scaleway's `visibility` that lets anyone read the object.
  for (const p of ["acl", "visibility"]) {
    const acl = get(r.props, p);
    if (typeof acl === "string" && PUBLIC_ACLS.has(acl)) return true;
  }
  const b = get(r.props, bucketProperty);
  if (typeof b === "string" && (web.names.has(b) || b === AZURE_WEB_CONTAINER)) return true;
  return (r.propertyDependencies[bucketProperty] ?? []).some((u) => web.urns.has(u));
}

export const noClientSideKey = stackPolicy(
  {
    name: "e2b-01-no-client-side-key",
    description:
      "No E2B key on a client-side surface: public-prefixed env vars (NEXT_PUBLIC_, VITE_, …), static-site objects or edge/CDN code — known or only depending on the key.",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Remove the key from the public variable/object/edge code; anything there is downloaded by every visitor.",
      "2. Call E2B from a server route (API route, function, backend) that reads the key from a secret store.",
      "3. Treat the key as leaked: rotate it (new rotation trigger, one `pulumi up`).",
    ].join("\n"),
    config,
    example:
      "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable 'web-e2b' public env var NEXT_PUBLIC_E2B_API_KEY (Next.js inlines NEXT_PUBLIC_* into client bundles) depends on 'prod-key', which holds the E2B key (value unknown at preview). Call E2B from a server route that reads the key from a secret store.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!usesE2B(index)) notApplicable(NO_E2B_EVIDENCE);
    // What holds the key: key resources, stores holding it, undecrypted config values named for it.
    const holders = index.keySources();
    // And config values named for the key that were decrypted: what depends on them, unknown, is judged
    // as without the passphrase (where they are hidden, and among the holders).
    const keyConfigs = new Set([...index.hiddenKeyConfigUrns(), ...index.tracedKeyConfigUrns()]);
    const sources = new Set([...holders, ...keyConfigs]);
    const keyName = new RegExp(config.keyNamePattern);
    const web = websiteBuckets(index);
    for (const r of index.resources) {
      if (holders.has(r.urn) && !frontendEnvResourceOf(r.type)) continue;
      const scan = index.scan(r, config.publicPrefixes);
      const flagged = new Set<string>();
      const fix = "Call E2B from a server route that reads the key from a secret store.";
      for (const k of scan.keys) {
        if (!k.publicName) continue;
        flagged.add(k.path);
        report(
          `${describe(r)} public env var ${k.publicName} (${frameworkOf(k.publicName)}) holds E2B key material (${k.mask}) ${keyLocation(k)}. ${fix}`,
          r.urn,
          { at: { path: k.path, keyFingerprint: k.fingerprint } },
        );
      }
      // Dependencies are known per top-level property only. Where another variable of the property is
      // named for the key (or holds it), an unknown public variable of it fed only by key config may or
      // may not take the key too: inconclusive, neither blamed (an API URL beside the key in one env
      // map, real36 bug 1) nor passed (a URL built from the key, rt41 #8), with the passphrase or not.
      const keyTops = new Set([
        ...scan.named.filter((l) => l.envName && keyName.test(l.envName)).map((l) => l.top),
        ...scan.keys.map((k) => k.top),
      ]);
      for (const l of scan.named) {
        if (!l.publicName || flagged.has(l.path)) continue;
        if (l.unknown) {
          const from = index.dependsOn(r, l.top, sources);
          if (from.length) {
            flagged.add(l.path);
            const keyNamed = !!l.envName && keyName.test(l.envName);
            // Only secrets found by reference (a secret's ARN, the remedy): the variable may take the
            // reference, which is no key, or the key read from it at deploy time (rt42 #5).
            const byReference =
              !keyNamed &&
              from.every((u) => !keyConfigs.has(u) && mayBeReferenceTo(index.byUrn.get(u)?.type ?? ""));
            if (byReference)
              report(
                `${describe(r)} public env var ${l.publicName} (${frameworkOf(l.publicName)}) is unknown at preview and depends on ${index.sourceNames(from)}, a secret runtimes find by its ARN or id: whether it takes that reference, which is no key, or the key read from it at deploy time is not known. Preview again once the values it is computed from exist, or audit the stack's export after \`pulumi up\`.`,
                r.urn,
                { advisory: true, at: { path: l.path, inconclusive: true } },
              );
            else if (!keyNamed && keyTops.has(l.top) && from.every((u) => keyConfigs.has(u)))
              report(
                `${describe(r)} public env var ${l.publicName} (${frameworkOf(l.publicName)}) is unknown at preview, and ${printable(l.top)}, which holds it, takes ${index.sourceNames(from)}, the E2B key, for another of its variables: whether ${l.publicName} takes the key too is not known. Preview again once the values it is computed from exist, or audit the stack's export after \`pulumi up\`.`,
                r.urn,
                { advisory: true, at: { path: l.path, inconclusive: true } },
              );
            else
              report(
                `${describe(r)} public env var ${l.publicName} (${frameworkOf(l.publicName)}) depends on ${index.sourceNames(from)}, which holds the E2B key (value unknown at preview). ${fix}`,
                r.urn,
                { at: { path: l.path, unknown: true } },
              );
            continue;
          }
        }
        if (l.envName && keyName.test(l.envName) && l.value !== "" && l.value !== null) {
          flagged.add(l.path);
          report(
            `${describe(r)} public env var ${l.publicName} is named to carry the E2B key (${l.envName}); a public variable is downloaded by every visitor. ${fix}`,
            r.urn,
            { at: { path: l.path } },
          );
          continue;
        }
        // Hidden and from no resource (a secret that could not be decrypted): neither its name nor its
        // dependencies settle whether browsers would get the key.
        if (isHiddenValue(index, r, l)) {
          flagged.add(l.path);
          const { cause, check } = hiddenValueNote(index, l.value);
          report(
            `${describe(r)} public env var ${l.publicName} (${frameworkOf(l.publicName)}) is hidden at preview (${cause}), so whether it holds the E2B key is not known. ${check}`,
            r.urn,
            { advisory: true, at: { path: l.path, inconclusive: true } },
          );
        }
      }
      // A front-end env map that is unknown as a whole cannot show its names: if it depends on the key, fail.
      const fe = frontendEnvResourceOf(r.type);
      // Single-variable resources name their variable in `key`; only maps can hide their names.
      if (fe && typeof get(r.props, "key") !== "string") {
        for (const p of fe.paths) {
          const v = get(r.props, p);
          if (!isUnknown(v)) continue;
          // Decrypted key config too, as without the passphrase (real38 bug 2).
          const from = index.dependsOn(r, p, sources);
          if (from.length)
            report(
              `${describe(r)} ${fe.platform} env vars (${p}) are unknown at preview and depend on ${index.sourceNames(from)}, which holds the E2B key; their names cannot be checked for public prefixes. Keep the key out of front-end env vars.`,
              r.urn,
              { at: { path: p, unknown: true } },
            );
          else if (fromNoResource(r, p) && mayHideTheKey(index, r, p))
            report(
              `${describe(r)} ${fe.platform} env vars (${p}) are hidden at preview (${hiddenValueNote(index).cause}): neither their names nor their values could be checked for the E2B key.`,
              r.urn,
              { advisory: true, at: { path: p, inconclusive: true } },
            );
        }
      }
      const cs = contentSurfaceOf(r.type);
      if (cs && isClientContent(r, cs.bucketProperty, web)) {
        for (const k of scan.keys) {
          if (!cs.paths.includes(k.top) || (cs.leaf && !cs.leaf.test(k.path)) || flagged.has(k.path))
            continue;
          report(
            `${describe(r)} (${cs.what}, downloaded by browsers or run at the edge) contains E2B key material (${k.mask}) ${keyLocation(k)}. ${fix}`,
            r.urn,
            { at: { path: k.path, keyFingerprint: k.fingerprint } },
          );
        }
        for (const p of cs.leaf ? [] : cs.paths) {
          const v = get(r.props, p);
          const unknown = isUnknown(v) || scan.unknownTops.has(p);
          if (!unknown) continue;
          // Decrypted key config too, as without the passphrase (real38 bug 2).
          const from = index.dependsOn(r, p, sources);
          if (from.length)
            report(
              `${describe(r)} (${cs.what}) property ${p} depends on ${index.sourceNames(from)}, which holds the E2B key (value unknown at preview). ${fix}`,
              r.urn,
              { at: { path: p, unknown: true } },
            );
          else if (fromNoResource(r, p) && mayHideTheKey(index, r, p))
            report(
              `${describe(r)} (${cs.what}) property ${p} is hidden at preview (${hiddenValueNote(index).cause}), so whether browsers would download the E2B key is not known.`,
              r.urn,
              { advisory: true, at: { path: p, inconclusive: true } },
            );
        }
      }
    }
  },
);
