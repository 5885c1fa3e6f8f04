/**
 * HashiCorp Vault KV v2: the key is one secret; a read-only Vault policy on that path is attached
 * (non-exclusively) to exactly the given identity groups or entities. Readers are written
 * `group:<id>` or `entity:<id>`; a bare id is a group id.
 */
import * as vault from "@pulumi/vault";
import * as pulumi from "@pulumi/pulumi";
import { secretReference } from "../../policies/model";
import type { SecretStoreAdapter } from "./types";

export function vaultReader(reader: string): { kind: "group" | "entity"; id: string } {
  const m = /^(group|entity):(.+)$/.exec(reader);
  return m ? { kind: m[1] as "group" | "entity", id: m[2] } : { kind: "group", id: reader };
}

/** The HCL policy: read the current data and metadata of this one secret. */
export function readPolicy(mount: string, path: string): string {
  return [
    `path "${mount}/data/${path}" {\n  capabilities = ["read"]\n}`,
    `path "${mount}/metadata/${path}" {\n  capabilities = ["read"]\n}`,
  ].join("\n");
}

export const vaultKv: SecretStoreAdapter<"vault-kv"> = {
  kind: "vault-kv",
  cloud: "vault",
  store({ name, environment, store, key, readers, parent }) {
    const secret = new vault.kv.SecretV2(
      `${name}-key`,
      {
        mount: store.mount,
        name: store.path,
        dataJson: key.apply((k) => JSON.stringify({ E2B_API_KEY: k })),
        customMetadata: { data: { environment: environment.name, managedBy: "e2b-guardrails" } },
      },
      { parent },
    );
    const policy = new vault.Policy(
      `${name}-key-read`,
      { name: `e2b-${environment.name}-api-key-read`, policy: readPolicy(store.mount, store.path) },
      { parent },
    );
    const grants: pulumi.Resource[] = [policy];
    readers.forEach((r, i) => {
      if (typeof r !== "string")
        throw new Error("vault-kv readers must be plain strings (group:<id> or entity:<id>)");
      const { kind, id } = vaultReader(r);
      grants.push(
        kind === "group"
          ? new vault.identity.GroupPolicies(
              `${name}-key-reader-${i}`,
              { groupId: id, policies: [policy.name], exclusive: false },
              { parent },
            )
          : new vault.identity.EntityPolicies(
              `${name}-key-reader-${i}`,
              { entityId: id, policies: [policy.name], exclusive: false },
              { parent },
            ),
      );
    });
    return {
      reference: secretReference(store),
      secret,
      grants,
      locator: pulumi.output(`${store.mount}/data/${store.path}`),
    };
  },
};
