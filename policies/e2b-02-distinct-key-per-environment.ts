/**
 * E2B-02: a distinct key per environment. Within a stack: no key value (by fingerprint) in two
 * environments, no secret reference or imported key shared by two environments, and each key resource
 * named after, and belonging to, its environment — so spend and revocation are per key.
 */
import { z } from "zod";
import { NO_E2B_EVIDENCE, describe, environmentTagKeysSchema, usesE2B } from "./common";
import { readString } from "./detect/env-model";
import { modelSecretReference } from "./detect/secret-refs";
import { get } from "./detect/stack";
import { isUnknown } from "./detect/unknowns";
import { stackPolicy } from "./policy-dsl";

export const distinctKeyPerEnvironment = stackPolicy(
  {
    name: "e2b-02-distinct-key-per-environment",
    description:
      "Each environment has its own E2B key and secret: no key value, secret reference or imported key is shared by two environments, and keys are named after their environment.",
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
  ({ index, config, report, notApplicable }) => {
    if (!usesE2B(index)) notApplicable(NO_E2B_EVIDENCE);
    const tagKeys = config.environmentTagKeys;

    // 1. The same key value in two environments.
    const byFingerprint = new Map<
      string,
      { mask: string; envs: Map<string, { urn: string; label: string }> }
    >();
    for (const r of index.resources) {
      const keys = index.scan(r).keys;
      if (keys.length === 0) continue;
      const env = index.environmentOf(r, tagKeys).name;
      for (const k of keys) {
        let e = byFingerprint.get(k.fingerprint);
        if (!e) byFingerprint.set(k.fingerprint, (e = { mask: k.mask, envs: new Map() }));
        if (!e.envs.has(env)) e.envs.set(env, { urn: r.urn, label: describe(r) });
      }
    }
    for (const { mask, envs } of byFingerprint.values()) {
      if (envs.size < 2) continue;
      const names = [...envs.keys()].sort().join(" and ");
      for (const [env, at] of envs)
        report(
          `E2B key ${mask} appears in environments ${names} (${at.label} in ${env}). Give every environment its own key.`,
          at.urn,
        );
    }

    // 2. Shared secret references and imported keys between environment declarations.
    const byRef = new Map<string, Array<{ env: string; urn: string }>>();
    const byImport = new Map<string, Array<{ env: string; urn: string }>>();
    for (const env of index.environments) {
      const ref = modelSecretReference(env.model);
      if (ref)
        (byRef.get(ref.reference) ?? byRef.set(ref.reference, []).get(ref.reference)!).push({
          env: env.name,
          urn: env.resource.urn,
        });
      const src = readString(env.model, "key.source");
      const ck = readString(env.model, "key.configKey");
      if (src.state === "known" && src.value === "imported" && ck.state === "known")
        (byImport.get(ck.value) ?? byImport.set(ck.value, []).get(ck.value)!).push({
          env: env.name,
          urn: env.resource.urn,
        });
    }
    // Each message is built once per shared reference, not once per environment that shares it.
    for (const [ref, list] of byRef) {
      const envs = [...new Set(list.map((l) => l.env))];
      if (envs.length < 2) continue;
      const message = `Environments ${envs.sort().join(" and ")} share the secret ${ref}, so they share one key. Store each environment's key under its own secret.`;
      for (const l of list) report(message, l.urn);
    }
    for (const [ck, list] of byImport) {
      const envs = [...new Set(list.map((l) => l.env))];
      if (envs.length < 2) continue;
      const message = `Environments ${envs.sort().join(" and ")} import the same key from config '${ck}'. Give each environment its own key.`;
      for (const l of list) report(message, l.urn);
    }

    // 3. Key resources belong to, and are named after, their environment.
    for (const k of index.keyResources) {
      const comp = index.environmentComponentOf(k);
      const declared = get(k.props, "environment");
      const env = index.environmentOf(k, tagKeys);
      // Unknown at preview (the sentinel string) is not a mismatch: it is judged once known.
      if (
        comp &&
        typeof declared === "string" &&
        declared &&
        !isUnknown(declared) &&
        declared.toLowerCase() !== comp.name
      ) {
        report(
          `${describe(k)} declares environment '${declared}' but belongs to E2BEnvironment '${comp.name}'. A key serves one environment.`,
          k.urn,
        );
      }
      const keyName = get(k.props, "name");
      if (
        config.requireEnvironmentInKeyName &&
        typeof keyName === "string" &&
        !isUnknown(keyName) &&
        env.source !== "stack" &&
        !keyName.toLowerCase().includes(env.name)
      ) {
        report(
          `${describe(k)} is named '${keyName}', which does not name its environment '${env.name}'. Name keys after their environment so spend and revocation are per environment.`,
          k.urn,
        );
      }
    }
  },
);
