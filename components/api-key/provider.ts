/**
 * The dynamic provider behind `E2BApiKey`: create (`POST /api-keys`), read (`GET /api-keys`, a key
 * deleted in the dashboard reads as gone), rename (`PATCH`), delete (`DELETE`, 404 = already gone).
 *
 * The management credential is read in `configure` from stack config (`e2b:managementToken`, a
 * `secure:` value) or the `E2B_MANAGEMENT_TOKEN` variable of the process running Pulumi. It is never a
 * resource input or output, and it is not captured in the provider's serialised code.
 *
 * Rotation: a changed `rotation` trigger (or team) replaces the key. `deleteBeforeReplace` stays
 * false, so Pulumi creates the new key, updates everything that depends on it (the store's secret
 * version), and only then deletes the old key.
 */
import type * as pulumi from "@pulumi/pulumi";
import { fingerprintKey, maskKey } from "../../policies/detect/keys";
import {
  DEFAULT_E2B_API_URL,
  createKey,
  defaultRetry,
  deleteKey,
  listKeys,
  renameKey,
  type ManagementSettings,
} from "./client";

/**
 * `API_KEY_KIND` from policies/model.ts, repeated here on purpose: Pulumi serialises this
 * provider's code with everything it references, and the model module would drag zod along (which
 * the closure serialiser cannot package). A test checks the two stay equal.
 */
export const API_KEY_KIND = "e2b-guardrails:ApiKey";

/** The key resource's inputs: what the policy pack reads. Never a credential. */
export interface ApiKeyInputs {
  kind: typeof API_KEY_KIND;
  /** Key name in the E2B dashboard, at most 50 characters (the dashboard's limit). */
  name: string;
  /** Environment the key belongs to. */
  environment: string;
  /** E2B team the key is created in (sent as `X-Team-ID`). */
  teamId: string;
  /** Changing this replaces the key. */
  rotation: string;
}

export interface ApiKeyOutputs extends ApiKeyInputs {
  /** The raw key. The resource marks it secret (`additionalSecretOutputs`). */
  key: string;
  /** `e2b_…1a2b`: safe to show. */
  mask: string;
  /** `sha256:` + 12 hex: safe to show and compare. */
  fingerprint: string;
  createdAt: string;
}

/** Stack config keys (namespace `e2b`) and environment variables the provider reads at run time. */
export const managementConfig = {
  token: { config: "e2b:managementToken", env: "E2B_MANAGEMENT_TOKEN" },
  apiUrl: { config: "e2b:apiUrl", env: "E2B_API_URL" },
  timeoutMs: { config: "e2b:requestTimeoutMs", env: "E2B_REQUEST_TIMEOUT_MS" },
  maxAttempts: { config: "e2b:maxAttempts", env: "E2B_MAX_ATTEMPTS" },
  baseDelayMs: { config: "e2b:retryBaseDelayMs", env: "E2B_RETRY_BASE_DELAY_MS" },
} as const;

export const MAX_KEY_NAME_LENGTH = 50;

const numberOr = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/**
 * Management settings from a lookup (stack config first, then the environment); throws if no
 * credential. Shared by every provider that calls E2B's management API (keys, Secrets).
 */
export function resolveManagementSettings(
  lookup: (k: keyof typeof managementConfig) => string | undefined,
): ManagementSettings {
  const token = lookup("token");
  if (!token) {
    throw new Error(
      `No E2B management credential: set it with \`pulumi config set --secret ${managementConfig.token.config} <dashboard token>\` ` +
        `or the ${managementConfig.token.env} environment variable. An E2B API key cannot manage keys.`,
    );
  }
  return {
    ...defaultRetry,
    apiUrl: lookup("apiUrl") || DEFAULT_E2B_API_URL,
    token,
    timeoutMs: numberOr(lookup("timeoutMs"), defaultRetry.timeoutMs),
    maxAttempts: numberOr(lookup("maxAttempts"), defaultRetry.maxAttempts),
    baseDelayMs: numberOr(lookup("baseDelayMs"), defaultRetry.baseDelayMs),
  };
}

/**
 * Build the provider. State lives in one captured object so `configure` can hand settings to the
 * CRUD methods after Pulumi deserialises the provider in its own process.
 */
export function makeApiKeyProvider(): pulumi.dynamic.ResourceProvider<ApiKeyInputs, ApiKeyOutputs> {
  const state: { settings?: ManagementSettings } = {};

  const resolve = resolveManagementSettings;

  const fromEnv = (k: keyof typeof managementConfig) => process.env[managementConfig[k].env];

  /** Configured settings, or (no configure call, e.g. an older engine) the process environment. */
  function settings(): ManagementSettings {
    return state.settings ?? resolve(fromEnv);
  }

  function outputsFor(inputs: ApiKeyInputs, created: { key: string; createdAt?: string }): ApiKeyOutputs {
    return {
      kind: inputs.kind,
      name: inputs.name,
      environment: inputs.environment,
      teamId: inputs.teamId,
      rotation: inputs.rotation,
      key: created.key,
      mask: maskKey(created.key),
      fingerprint: fingerprintKey(created.key),
      createdAt: created.createdAt ?? new Date().toISOString(),
    };
  }

  return {
    async configure(req) {
      const lookup = (k: keyof typeof managementConfig) =>
        req.config.get(managementConfig[k].config) ?? fromEnv(k);
      // Without a credential, stay unconfigured: `settings()` explains what is missing when a call needs it.
      if (lookup("token")) state.settings = resolve(lookup);
    },

    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (news.kind !== API_KEY_KIND)
        failures.push({ property: "kind", reason: `must be "${API_KEY_KIND}"` });
      if (typeof news.name !== "string" || news.name.length === 0 || news.name.length > MAX_KEY_NAME_LENGTH) {
        failures.push({
          property: "name",
          reason: `must be 1 to ${MAX_KEY_NAME_LENGTH} characters (the dashboard's limit)`,
        });
      }
      for (const p of ["environment", "teamId", "rotation"] as const) {
        if (typeof news[p] !== "string" || news[p].length === 0)
          failures.push({ property: p, reason: "must be a non-empty string" });
      }
      return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
      const replaces = (["teamId", "rotation", "kind"] as const).filter((p) => olds[p] !== news[p]);
      const changes = replaces.length > 0 || olds.name !== news.name || olds.environment !== news.environment;
      return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs) {
      const created = await createKey(settings(), inputs.teamId, inputs.name);
      return { id: created.id, outs: outputsFor(inputs, created) };
    },

    async read(id, props) {
      if (!props) return { id, props };
      const live = (await listKeys(settings(), props.teamId)).find((k) => k.id === id);
      // Deleted in the dashboard: an empty id tells Pulumi the resource is gone.
      if (!live) return {};
      return { id, props: { ...props, name: live.name } };
    },

    async update(id, olds, news) {
      if (olds.name !== news.name) await renameKey(settings(), news.teamId, id, news.name);
      return { outs: { ...olds, name: news.name, environment: news.environment } };
    },

    async delete(id, props) {
      await deleteKey(settings(), props.teamId, id);
    },
  };
}

/** The provider instance every `E2BApiKey` shares (one serialisation, cached by Pulumi). */
export const apiKeyProvider = makeApiKeyProvider();
