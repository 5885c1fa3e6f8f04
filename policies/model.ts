/**
 * The E2B environment model: what one environment (prod, staging, load-test, dev) declares.
 *
 * The E2BEnvironment component validates its inputs with `environmentSchema` and registers them as
 * its resource inputs under the type token `E2B_ENVIRONMENT_TYPE`, so the policy pack reads the very
 * same values at `pulumi preview`. Other rooms (components, runtime, evals) import from here; this file
 * must import nothing from outside `policies/`.
 */
import { z } from "zod";

/**
 * A day of the calendar, written YYYY-MM-DD: `2027-02-30` and `2027-13-45` match the pattern but are
 * no day (Date.parse rolls the first over to March and refuses the second).
 */
export function isCalendarDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** A config or model field holding a calendar day. */
export const calendarDate = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "a date written YYYY-MM-DD")
    .refine(isCalendarDate, { message: "is not a day of the calendar" });

/** Today in any time zone: a day that begins within a day from now (UTC) has begun somewhere. */
const notInTheFuture = (d: string) => Date.parse(`${d}T00:00:00Z`) <= Date.now() + 86_400_000;

/** Type token of the E2BEnvironment component resource. */
/** Principals that stand for everyone: AWS `*`, GCP `allUsers` and `allAuthenticatedUsers`. */
export const PUBLIC_PRINCIPAL = /^(?:\*|allUsers|allAuthenticatedUsers)$/;

export const E2B_ENVIRONMENT_TYPE = "e2b-guardrails:index:E2BEnvironment";

/**
 * Marker input carried by the E2B API key dynamic resource (`pulumi-nodejs:dynamic:Resource`), so the
 * pack can tell our key resource apart from other dynamic resources.
 */
export const E2B_API_KEY_KIND = "e2b-guardrails:ApiKey";

/** Marker input of the E2B Secret dynamic resource (an egress-injected third-party credential). */
export const E2B_SECRET_KIND = "e2b-guardrails:Secret";

export const plans = ["hobby", "pro", "enterprise"] as const;
export type Plan = (typeof plans)[number];

/** Plan limits from E2B's pricing page (reference/e2b-platform.md §2.4). Enterprise is negotiated. */
export const planLimits: Record<Plan, { maxTimeoutSeconds: number; maxConcurrency: number }> = {
  hobby: { maxTimeoutSeconds: 3_600, maxConcurrency: 20 },
  pro: { maxTimeoutSeconds: 86_400, maxConcurrency: 100 },
  enterprise: { maxTimeoutSeconds: 86_400, maxConcurrency: 1_100 },
};

export const tiers = ["production", "staging", "load-test", "development"] as const;
export type Tier = (typeof tiers)[number];

const identifier = z.string().min(1).max(100);

export const secretStoreSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("aws-secrets-manager"),
    /** Secret name, e.g. `e2b/prod/api-key`. */
    name: z.string().min(1).max(512),
    kmsKeyId: z.string().optional(),
  }),
  z.object({
    kind: z.literal("aws-ssm-parameter"),
    /** Parameter name, e.g. `/e2b/prod/api-key`; stored as a SecureString. */
    name: z.string().min(1).max(2048),
    kmsKeyId: z.string().optional(),
  }),
  z.object({
    kind: z.literal("gcp-secret-manager"),
    secretId: z.string().min(1).max(255),
    project: z.string().optional(),
  }),
  z.object({
    kind: z.literal("azure-key-vault"),
    vaultName: z.string().min(3).max(24),
    resourceGroupName: z.string().min(1),
    secretName: z.string().min(1).max(127),
  }),
  z.object({
    kind: z.literal("vault-kv"),
    mount: z.string().min(1),
    path: z.string().min(1),
  }),
  z.object({
    kind: z.literal("pulumi-esc"),
    organization: z.string().min(1),
    project: z.string().min(1).default("default"),
    environment: z.string().regex(/^[A-Za-z0-9._-]+$/, "alphanumerics, hyphens, underscores or periods"),
  }),
]);
export type SecretStore = z.infer<typeof secretStoreSchema>;
export type SecretStoreKind = SecretStore["kind"];

/** A stable, human-readable reference to where the key lives, used to detect sharing across envs. */
export function secretReference(store: SecretStore): string {
  switch (store.kind) {
    case "aws-secrets-manager":
      return `aws-secrets-manager:${store.name}`;
    case "aws-ssm-parameter":
      return `aws-ssm-parameter:${store.name}`;
    case "gcp-secret-manager":
      return `gcp-secret-manager:${store.project ?? ""}/${store.secretId}`;
    case "azure-key-vault":
      return `azure-key-vault:${store.vaultName}/${store.secretName}`;
    case "vault-kv":
      return `vault-kv:${store.mount}/${store.path}`;
    case "pulumi-esc":
      return `pulumi-esc:${store.organization}/${store.project}/${store.environment}`;
  }
}

export const keySourceSchema = z.discriminatedUnion("source", [
  /** The component creates the key through the E2B API (dynamic resource). */
  z.object({ source: z.literal("managed") }),
  /** The key was created in the dashboard and is read from this Pulumi secret config key. */
  z.object({ source: z.literal("imported"), configKey: z.string().min(1) }),
]);

/**
 * Egress policy for an environment's sandboxes (E2B's `network` create option). `denyByDefault`
 * requires a create to deny all traffic (`denyOut: ["0.0.0.0/0"]` or `allowInternetAccess: false`)
 * and allow only destinations in `allowOut`; `allowPublicTraffic: false` requires sandbox URLs to
 * need the traffic token.
 */
export const sandboxNetworkSchema = z.object({
  denyByDefault: z.boolean().default(true),
  /** Destinations sandboxes may reach: domain, `*.domain`, IPv4 address or IPv4 CIDR. */
  allowOut: z.array(z.string().min(1).max(253)).default([]),
  allowPublicTraffic: z.boolean().default(false),
});
export type SandboxNetworkPolicy = z.output<typeof sandboxNetworkSchema>;

/**
 * E2B Secret names: what E2B accepts (`^[a-zA-Z0-9_-]+$`, at most 128), lower-case because E2B
 * lower-cases names on write and placeholders must match the stored name.
 */
export const e2bSecretNameSchema = z
  .string()
  .regex(/^[a-z0-9_-]{1,128}$/, "1 to 128 lowercase letters, digits, '_' or '-' (E2B lower-cases names)");

/**
 * A third-party credential the environment's sandboxes use through E2B Secrets: the value lives in
 * E2B (write-only) and is injected at egress as a header on requests to `hosts`, never an env var.
 */
export const e2bSecretSchema = z.object({
  name: e2bSecretNameSchema,
  /** Destinations (network.rules keys) the secret may be sent to: domains or `*.domain`. */
  hosts: z.array(z.string().min(1).max(253)).min(1),
  /** Header the egress proxy sets; default `Authorization`. */
  header: z.string().min(1).default("Authorization"),
  /** Text before the placeholder in the header value; default `Bearer `. */
  prefix: z.string().default("Bearer "),
  /**
   * Pulumi secret config key holding the value (`ns:key` or a key of the project's namespace): the
   * E2BEnvironment component then creates the E2B Secret itself. Never the value.
   */
  configKey: z.string().min(1).optional(),
});
export type E2BSecretSpec = z.output<typeof e2bSecretSchema>;

/** `${e2b.secrets.<name>}`: what E2B resolves at egress (the SDK's `Secret.fill`). */
export function secretPlaceholder(name: string): string {
  return `\${e2b.secrets.${name}}`;
}

export const environmentSchema = z.object({
  /** Environment name: `prod`, `staging`, `loadtest`, `dev`… */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "lowercase letters, digits and hyphens, starting with a letter"),
  tier: z.enum(tiers),
  /** E2B team (workspace/project) id the key belongs to. */
  teamId: identifier,
  plan: z.enum(plans),
  key: keySourceSchema.default({ source: "managed" }),
  secretStore: secretStoreSchema,
  /** Runtime principals (IAM role ARNs, service accounts, object ids, Vault policies) allowed to read the key. */
  readers: z
    .array(
      z
        .string()
        .min(1)
        .refine((r) => !PUBLIC_PRINCIPAL.test(r.trim()), {
          message:
            "a reader of everyone ('*', allUsers, allAuthenticatedUsers) makes the key public; name the runtime's own principal",
        }),
    )
    .min(1),
  sandbox: z.object({
    vcpu: z.number().int().min(1).max(32),
    memoryMiB: z.number().int().min(512).max(65_536),
    /** Expected average number of concurrently running sandboxes. */
    avgConcurrency: z.number().min(0),
    /** Maximum concurrently running sandboxes this environment may use (its cap within the team quota). */
    maxConcurrency: z.number().int().min(1),
  }),
  /** Longest lifetime (seconds) any sandbox of this environment may be given. */
  timeoutCeilingSeconds: z.number().int().min(1),
  autoPause: z
    .object({ enabled: z.boolean(), maxPausedSeconds: z.number().int().min(1).optional() })
    .default({ enabled: false }),
  /** Metadata keys every sandbox must carry (attribution). */
  requiredMetadata: z.array(z.string().min(1)).default(["user_id", "request_id"]),
  budget: z.object({
    monthlyUsd: z.number().positive(),
    /** Alert thresholds in percent of the monthly budget, e.g. [50, 80, 100]. */
    alertThresholds: z.array(z.number().positive().max(1_000)).min(1),
    owner: z.string().email(),
    /**
     * The hard stop (required for load-test and development): the environment's monitor kills leaked
     * sandboxes on every run without asking. It is not a spend cap — nothing refuses new sandboxes
     * once the budget is spent; E2B offers spend limits only in its dashboard.
     */
    hardLimit: z.boolean().default(false),
  }),
  leakAlarm: z.object({
    /** Alarm when more sandboxes than this are live at once. */
    liveCountThreshold: z.number().int().min(1),
    /** Alarm when a running sandbox is older than this (seconds). */
    maxSandboxAgeSeconds: z.number().int().min(1),
    owner: z.string().email(),
  }),
  /** Egress policy for this environment's sandboxes (E2B-06); absent = not declared. */
  sandboxNetwork: sandboxNetworkSchema.optional(),
  /** E2B Secrets the environment's sandboxes use for third-party credentials (E2B-06). */
  secrets: z.array(e2bSecretSchema).optional(),
  rotation: z.object({
    /** ISO date (YYYY-MM-DD) the current key was created. */
    createdAt: calendarDate().refine(notInTheFuture, {
      message: "is after today: write the day the current key was created",
    }),
    maxAgeDays: z.number().int().min(1).default(90),
    /** Changing this value replaces the key (new key stored before the old one is deleted). */
    trigger: z.string().min(1),
  }),
});

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type Environment = z.output<typeof environmentSchema>;

/** Parse as a value at a boundary: a typed result with a message naming the first bad field. */
export function parseEnvironment(
  value: unknown,
): { ok: true; value: Environment } | { ok: false; error: string; path: string } {
  const r = environmentSchema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const path = issue.path.join(".") || "(root)";
  return { ok: false, path, error: `${path}: ${issue.message}` };
}

/**
 * The runtime sandbox policy the component outputs as JSON for applications (and the runtime guard
 * reads back): only what code that creates sandboxes needs, never key material.
 */
export const sandboxPolicySchema = z.object({
  environment: z.string().min(1),
  teamId: z.string().min(1),
  requiredMetadata: z.array(z.string().min(1)),
  timeoutCeilingSeconds: z.number().int().min(1),
  defaultTimeoutSeconds: z.number().int().min(1).optional(),
  autoPause: z.object({ enabled: z.boolean(), maxPausedSeconds: z.number().int().min(1).optional() }),
  sandbox: z.object({ vcpu: z.number().int().min(1), memoryMiB: z.number().int().min(1) }),
  /** When present, a create must set a network config at least this strict. */
  network: sandboxNetworkSchema.optional(),
  /** The E2B Secrets sandboxes may use, and the hosts each may be sent to. */
  secrets: z
    .array(
      z.object({
        name: e2bSecretNameSchema,
        hosts: z.array(z.string().min(1)).min(1),
        header: z.string().min(1).optional(),
        prefix: z.string().optional(),
      }),
    )
    .optional(),
  /** Env var names the credential-name check lets through (e.g. a `SORT_KEY` that is no secret). */
  allowedEnvNames: z.array(z.string().min(1)).optional(),
});
export type SandboxPolicy = z.infer<typeof sandboxPolicySchema>;
