/**
 * Secret references: the names under which an environment's key is stored. Sharing one across
 * environments shares the key. References come from the E2BEnvironment model (model.ts
 * `secretReference`) and from store resources; lookups of a string are O(1) per candidate, so
 * checking every string of a stack stays linear.
 */
import { secretReference, secretStoreSchema } from "../model";
import { get } from "./stack";
import { isUnknown } from "./unknowns";
import type { Tree } from "./walk";

/** The store reference of an environment model, or null when unknown/invalid at preview. */
export function modelSecretReference(model: Tree): { reference: string; name: string } | null {
  const raw = get(model, "secretStore");
  if (raw === undefined || raw === null) return null;
  const parsed = secretStoreSchema.safeParse(raw);
  if (!parsed.success) return null;
  const s = parsed.data;
  const name =
    s.kind === "aws-secrets-manager" || s.kind === "aws-ssm-parameter"
      ? s.name
      : s.kind === "gcp-secret-manager"
        ? s.secretId
        : s.kind === "azure-key-vault"
          ? `${s.vaultName}/${s.secretName}`
          : s.kind === "vault-kv"
            ? `${s.mount}/${s.path}`
            : `${s.organization}/${s.project}/${s.environment}`;
  if (Object.values(s).some((v) => isUnknown(v))) return null;
  return { reference: secretReference(s), name };
}

/**
 * Strings under which a reference may appear in another resource: the value itself, an ARN's resource
 * part (`…:secret:e2b/prod/key-AbCdEf` → `e2b/prod/key`), a path's tail.
 */
export function referenceCandidates(value: string): string[] {
  if (value.length < 3 || value.length > 2048) return [];
  const out = [value];
  const colon = value.lastIndexOf(":");
  if (colon >= 0 && colon < value.length - 1) {
    const tail = value.slice(colon + 1);
    out.push(tail);
    // Secrets Manager appends "-" and six random characters to a secret's ARN.
    const m = /^(.*)-[A-Za-z0-9]{6}$/.exec(tail);
    if (m) out.push(m[1]);
    if (tail.startsWith("parameter/")) out.push(tail.slice("parameter".length));
  }
  if (value.startsWith("projects/")) {
    const m = /^projects\/[^/]+\/secrets\/([^/]+)/.exec(value);
    if (m) out.push(m[1]);
  }
  return out;
}
