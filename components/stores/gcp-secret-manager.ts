/**
 * GCP Secret Manager: the key is a secret version; an authoritative IAM binding of
 * `roles/secretmanager.secretAccessor` on this secret lists exactly the given members.
 */
// A sub-module import: the package's root import makes a consumer's type-check read all of GCP.
import * as secretmanager from "@pulumi/gcp/secretmanager";
import { secretReference } from "../../policies/model";
import type { SecretStoreAdapter } from "./types";

/** Bare service-account e-mails become `serviceAccount:` members; typed members pass through. */
export function gcpMember(reader: string): string {
  return reader.includes(":") ? reader : `serviceAccount:${reader}`;
}

/** GCP labels allow only lowercase letters, digits, `_` and `-`. */
function labels(tags: Record<string, string>): Record<string, string> {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, "_")
      .slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [clean(k), clean(v)]));
}

export const gcpSecretManager: SecretStoreAdapter<"gcp-secret-manager"> = {
  kind: "gcp-secret-manager",
  cloud: "gcp",
  store({ name, store, key, readers, tags, parent }) {
    const secret = new secretmanager.Secret(
      `${name}-key`,
      { secretId: store.secretId, project: store.project, replication: { auto: {} }, labels: labels(tags) },
      { parent },
    );
    const version = new secretmanager.SecretVersion(
      `${name}-key-version`,
      { secret: secret.id, secretData: key },
      { parent },
    );
    const binding = new secretmanager.SecretIamBinding(
      `${name}-key-readers`,
      {
        project: secret.project,
        secretId: secret.secretId,
        role: "roles/secretmanager.secretAccessor",
        members: readers.map((r) => (typeof r === "string" ? gcpMember(r) : r)),
      },
      { parent },
    );
    return { reference: secretReference(store), secret: version, grants: [binding], locator: secret.id };
  },
};
