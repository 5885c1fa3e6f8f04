/**
 * The dynamic provider behind `E2BSecret`: one E2B Secret (egress-injected credential) created from
 * a Pulumi secret. Create (`POST /secrets`), read (`GET /secrets/{id}`, a secret deleted in the
 * dashboard reads as gone), update (a new version with `POST /secrets/{id}`), delete (404 = gone).
 *
 * Write-only: the value is an input (encrypted in state as a Pulumi secret) and never an output.
 * Changes are detected with a salted SHA-256 digest kept as a secret output, so `pulumi preview`
 * can say "value changed" without the provider ever reading the value back (E2B cannot return it).
 * The management credential is the API-key provider's (`e2b:managementToken`), never an input.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash, randomBytes } from "node:crypto";
import { isKeyMaterial } from "../../policies/detect/keys";
import type { ManagementSettings } from "../api-key/client";
import { managementConfig, resolveManagementSettings } from "../api-key/provider";
import { createSecret, deleteSecret, getSecret, updateSecret } from "./client";

/** `E2B_SECRET_KIND` of policies/model.ts, repeated for the closure serialiser (see API_KEY_KIND). */
export const SECRET_KIND = "e2b-guardrails:Secret";

/** E2B's rule for names, lower-case because E2B stores names lower-cased. */
const NAME = /^[a-z0-9_-]{1,128}$/;

export interface SecretInputs {
  kind: typeof SECRET_KIND;
  /** E2B Secret name; sandboxes reference it as `${e2b.secrets.<name>}`. */
  name: string;
  environment: string;
  /** E2B team the secret is created in (sent as `X-Team-ID`). */
  teamId: string;
  /** Destinations the secret is meant for (recorded as metadata; the guard enforces them). */
  hosts: string[];
  /** The credential. A Pulumi secret; never an output. */
  value: string;
}

export interface SecretOutputs extends Omit<SecretInputs, "value"> {
  secretId: string;
  /** `${e2b.secrets.<name>}`: what a network rule sends in place of the value. */
  placeholder: string;
  version: number;
  /** Random per resource; with `valueDigest`, tells a changed value without storing it. */
  salt: string;
  /** sha256(salt + value), hex. A secret output. */
  valueDigest: string;
}

const digest = (salt: string, value: string) =>
  createHash("sha256")
    .update(salt + value)
    .digest("hex");

const metadataOf = (i: Pick<SecretInputs, "environment" | "hosts">) => ({
  environment: i.environment,
  hosts: i.hosts.join(","),
  "managed-by": "e2b-guardrails",
});

export function makeSecretProvider(): pulumi.dynamic.ResourceProvider<SecretInputs, SecretOutputs> {
  const state: { settings?: ManagementSettings } = {};
  const fromEnv = (k: keyof typeof managementConfig) => process.env[managementConfig[k].env];
  const settings = () => state.settings ?? resolveManagementSettings(fromEnv);

  function outputsFor(inputs: SecretInputs, secretId: string, version: number, salt: string): SecretOutputs {
    return {
      kind: inputs.kind,
      name: inputs.name,
      environment: inputs.environment,
      teamId: inputs.teamId,
      hosts: inputs.hosts,
      secretId,
      placeholder: `\${e2b.secrets.${inputs.name}}`,
      version,
      salt,
      valueDigest: digest(salt, inputs.value),
    };
  }

  return {
    async configure(req) {
      const lookup = (k: keyof typeof managementConfig) =>
        req.config.get(managementConfig[k].config) ?? fromEnv(k);
      if (lookup("token")) state.settings = resolveManagementSettings(lookup);
    },

    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (news.kind !== SECRET_KIND) failures.push({ property: "kind", reason: `must be "${SECRET_KIND}"` });
      if (typeof news.name !== "string" || !NAME.test(news.name))
        failures.push({ property: "name", reason: "must be 1 to 128 lowercase letters, digits, '_' or '-'" });
      for (const p of ["environment", "teamId"] as const)
        if (typeof news[p] !== "string" || news[p].length === 0)
          failures.push({ property: p, reason: "must be a non-empty string" });
      // Messages about the value never include it.
      if (typeof news.value !== "string" || news.value.length === 0)
        failures.push({ property: "value", reason: "must be a non-empty string (the credential)" });
      else if (isKeyMaterial(news.value))
        failures.push({
          property: "value",
          reason: "is an E2B key; the operator's key never goes into a sandbox's egress (E2B-06)",
        });
      return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
      const replaces = (["name", "teamId", "kind"] as const).filter((p) => olds[p] !== news[p]);
      const valueChanged = olds.valueDigest !== digest(olds.salt, news.value);
      const changes =
        replaces.length > 0 ||
        valueChanged ||
        olds.environment !== news.environment ||
        olds.hosts.join(",") !== news.hosts.join(",");
      return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs) {
      const created = await createSecret(
        settings(),
        inputs.teamId,
        inputs.name,
        inputs.value,
        metadataOf(inputs),
      );
      const salt = randomBytes(16).toString("hex");
      return {
        id: created.secretID,
        outs: outputsFor(inputs, created.secretID, created.currentVersion, salt),
      };
    },

    async read(id, props) {
      if (!props) return { id, props };
      const live = await getSecret(settings(), props.teamId, id);
      // Deleted in the dashboard: an empty id tells Pulumi the resource is gone.
      if (!live) return {};
      return { id, props: { ...props, version: live.currentVersion } };
    },

    async update(id, olds, news) {
      const updated = await updateSecret(settings(), news.teamId, id, news.value, metadataOf(news));
      return { outs: outputsFor(news, id, updated.currentVersion, olds.salt) };
    },

    async delete(id, props) {
      await deleteSecret(settings(), props.teamId, id);
    },
  };
}

/** The provider instance every `E2BSecret` shares. */
export const secretProvider = makeSecretProvider();
