/**
 * Azure Key Vault (RBAC mode): the key is a secret in an existing vault; each reader (an Entra
 * object id) gets "Key Vault Secrets User" scoped to this one secret, not the vault.
 */
// Sub-module imports: the package's root import makes a consumer's type-check read all of Azure.
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { secretReference } from "../../policies/model";
import type { SecretStoreAdapter } from "./types";

/** Built-in role "Key Vault Secrets User": read secret contents, nothing else. */
export const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

export const azureKeyVault: SecretStoreAdapter<"azure-key-vault"> = {
  kind: "azure-key-vault",
  cloud: "azure",
  store({ name, store, key, readers, tags, parent }) {
    const secret = new keyvault.Secret(
      `${name}-key`,
      {
        resourceGroupName: store.resourceGroupName,
        vaultName: store.vaultName,
        secretName: store.secretName,
        properties: { value: key, contentType: "text/plain; e2b-api-key", attributes: { enabled: true } },
        tags,
      },
      { parent },
    );
    const client = authorization.getClientConfigOutput({ parent });
    const grants = readers.map(
      (principalId, i) =>
        new authorization.RoleAssignment(
          `${name}-key-reader-${i}`,
          {
            principalId,
            roleDefinitionId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER}`,
            scope: secret.id,
          },
          { parent },
        ),
    );
    return { reference: secretReference(store), secret, grants, locator: secret.id };
  },
};
