/** The registry of secret-store adapters: one entry per store kind in the environment model. */
import type { SecretStore, SecretStoreKind } from "../../policies/model";
import { awsSecretsManager } from "./aws-secrets-manager";
import { awsSsmParameter } from "./aws-ssm-parameter";
import { azureKeyVault } from "./azure-key-vault";
import { gcpSecretManager } from "./gcp-secret-manager";
import { pulumiEsc } from "./pulumi-esc";
import type { SecretStoreAdapter, StoreRequest, StoredKey } from "./types";
import { vaultKv } from "./vault-kv";

export type { SecretStoreAdapter, StoreRequest, StoredKey } from "./types";

const adapters: { [K in SecretStoreKind]: SecretStoreAdapter<K> } = {
  "aws-secrets-manager": awsSecretsManager,
  "aws-ssm-parameter": awsSsmParameter,
  "gcp-secret-manager": gcpSecretManager,
  "azure-key-vault": azureKeyVault,
  "vault-kv": vaultKv,
  "pulumi-esc": pulumiEsc,
};

export function adapterFor<K extends SecretStoreKind>(kind: K): SecretStoreAdapter<K> {
  return adapters[kind];
}

/** Store the key with the adapter for `req.store.kind`. */
export function storeKey(req: StoreRequest): StoredKey {
  const adapter = adapterFor(req.store.kind) as SecretStoreAdapter<SecretStore["kind"]>;
  return (adapter.store as (r: StoreRequest) => StoredKey)(req);
}

export const storeKinds = Object.keys(adapters) as SecretStoreKind[];
