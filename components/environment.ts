/**
 * `E2BEnvironment`: one call gives an environment its own E2B API key (created through the E2B API
 * or imported from Pulumi secret config), that key in a secret store readable only by the named
 * principals, the leak and budget monitor, and outputs applications can use — none of which is the key.
 *
 * The validated environment model is registered as the component's inputs (type token
 * `E2B_ENVIRONMENT_TYPE`), so the policy pack judges the very values the component acted on.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { costOf, perSandboxSecondUsd, type Prices } from "../policies/cost";
import type { CostFigures } from "../policies/api";
import { fingerprintKey } from "../policies/detect/keys";
import {
  E2B_ENVIRONMENT_TYPE,
  parseEnvironment,
  secretPlaceholder,
  secretReference,
  type Environment,
  type EnvironmentInput,
  type SandboxPolicy,
} from "../policies/model";
import { E2BApiKey } from "./api-key/resource";
import { E2BSecret } from "./e2b-secret/resource";
import { MAX_KEY_NAME_LENGTH } from "./api-key/provider";
import { awsMonitor, monitorRole, type AwsMonitor } from "./monitor/aws-monitor";
import { adapterFor, storeKey } from "./stores";

/** Options that shape resources but are not part of the environment model (not registered as inputs). */
export interface E2BEnvironmentOptions {
  /** Key name in the E2B dashboard; default `<project>-<environment>`. */
  keyName?: string;
  /** Unit prices for the cost outputs; default E2B's published rates. */
  prices?: Prices;
  /**
   * The leak and budget monitor. `aws` (the default when the key is in an AWS store) creates the
   * scheduled Lambda, metrics, alarms and SNS topic; `none` leaves alarming to you.
   */
  monitor?: "aws" | "none";
  /** Lambda code for the AWS monitor (default: the bundle built into `components/monitor/dist`). */
  monitorCode?: pulumi.asset.Archive;
  /** Handler inside `monitorCode`; default `index.handler`. */
  monitorHandler?: string;
  /** Schedule expression for the monitor; default `rate(5 minutes)`. */
  monitorSchedule?: string;
  /** E2B API base URL the monitor's auditor talks to; default E2B's public API. */
  apiUrl?: string;
  /**
   * Values for declared `secrets` that come from other resources (e.g. a generated password), by
   * secret name. A declared secret with neither a value here nor a `configKey` is expected to exist
   * in E2B already; the component only outputs its placeholder.
   */
  secretValues?: Record<string, pulumi.Input<string>>;
}

export type E2BEnvironmentArgs = EnvironmentInput & E2BEnvironmentOptions;

/** Where `npm run`-free users find the monitor bundle; see docs/components.md. */
export const DEFAULT_MONITOR_BUNDLE = path.join(__dirname, "monitor", "dist");

/** The bundled monitor; warns (rather than fails) when it has not been built, so previews still run. */
function defaultMonitorCode(resource: pulumi.Resource): pulumi.asset.Archive {
  if (!existsSync(path.join(DEFAULT_MONITOR_BUNDLE, "index.js"))) {
    pulumi.log.warn(
      `The monitor bundle ${DEFAULT_MONITOR_BUNDLE} has not been built; run \`npx tsx components/monitor/build.ts\` ` +
        "before `pulumi up`, or pass monitorCode.",
      resource,
    );
  }
  return new pulumi.asset.FileArchive(DEFAULT_MONITOR_BUNDLE);
}

const KEY_FORMAT = /^e2b_[0-9a-f]{40}$/;

/** Validate at construction, so a bad input fails `pulumi preview` with the field's path. */
export function validateEnvironment(name: string, args: unknown): Environment {
  const parsed = parseEnvironment(args);
  if (!parsed.ok) throw new Error(`E2BEnvironment "${name}": invalid input ${parsed.error}`);
  return parsed.value;
}

/** Which monitor to build; refuses the AWS monitor for stores its IAM role cannot read. */
export function monitorFor(
  name: string,
  env: Environment,
  requested: "aws" | "none" | undefined,
): "aws" | "none" {
  const cloud = adapterFor(env.secretStore.kind).cloud;
  const kind = requested ?? (cloud === "aws" ? "aws" : "none");
  if (kind === "aws" && cloud !== "aws") {
    throw new Error(
      `E2BEnvironment "${name}": the AWS monitor reads the key with its IAM role, so it needs an AWS store ` +
        `(secretStore.kind is ${env.secretStore.kind}); set monitor: "none" and alarm with your store's cloud`,
    );
  }
  return kind;
}

export function defaultKeyName(project: string, environment: string): string {
  return `${project}-${environment}`.slice(0, MAX_KEY_NAME_LENGTH);
}

export function sandboxPolicy(env: Environment): SandboxPolicy {
  return {
    environment: env.name,
    teamId: env.teamId,
    requiredMetadata: env.requiredMetadata,
    timeoutCeilingSeconds: env.timeoutCeilingSeconds,
    defaultTimeoutSeconds: Math.min(300, env.timeoutCeilingSeconds),
    autoPause: env.autoPause,
    sandbox: { vcpu: env.sandbox.vcpu, memoryMiB: env.sandbox.memoryMiB },
    ...(env.sandboxNetwork ? { network: env.sandboxNetwork } : {}),
    ...(env.secrets
      ? {
          secrets: env.secrets.map((s) => ({
            name: s.name,
            hosts: s.hosts,
            header: s.header,
            prefix: s.prefix,
          })),
        }
      : {}),
  };
}

/** Read a secret from Pulumi secret config (`ns:key` or a key of the project's namespace). */
function secretConfig(configKey: string): pulumi.Output<string> {
  const [ns, key] = configKey.includes(":") ? configKey.split(/:(.*)/s, 2) : [undefined, configKey];
  return new pulumi.Config(ns).requireSecret(key);
}

/** A value for each declared secret the component creates; refuses values for undeclared names. */
function secretSources(
  name: string,
  env: Environment,
  values: Record<string, pulumi.Input<string>> = {},
): Map<string, pulumi.Input<string>> {
  const declared = new Set((env.secrets ?? []).map((s) => s.name));
  for (const n of Object.keys(values))
    if (!declared.has(n))
      throw new Error(
        `E2BEnvironment "${name}": secretValues.${n} names no declared secret (secrets[].name)`,
      );
  const out = new Map<string, pulumi.Input<string>>();
  for (const s of env.secrets ?? []) {
    const v = values[s.name] ?? (s.configKey ? secretConfig(s.configKey) : undefined);
    if (v !== undefined) out.set(s.name, v);
  }
  return out;
}

/** Check an imported key's format; the message names the config key and never echoes the value. */
export function checkImportedKey(value: string, configKey: string): string {
  if (!KEY_FORMAT.test(value)) {
    throw new Error(
      `config ${configKey} is not an E2B API key (expected "e2b_" followed by 40 lowercase hex characters)`,
    );
  }
  return value;
}

/** Read an imported key from secret config (`ns:key` or a key of the project's namespace). */
function importedKey(configKey: string): pulumi.Output<string> {
  const [ns, key] = configKey.includes(":") ? configKey.split(/:(.*)/s, 2) : [undefined, configKey];
  return new pulumi.Config(ns).requireSecret(key).apply((value) => checkImportedKey(value, configKey));
}

/** Everything that can be refused is refused before the component registers anything. */
function checked(name: string, args: E2BEnvironmentArgs): Environment {
  const env = validateEnvironment(name, args);
  monitorFor(name, env, args.monitor);
  secretSources(name, env, args.secretValues);
  return env;
}

export class E2BEnvironment extends pulumi.ComponentResource {
  /** The validated model the component registered as its inputs. */
  readonly environment: Environment;
  /** Where the key lives, e.g. `aws-secrets-manager:e2b/prod/api-key`. */
  readonly secretReference: pulumi.Output<string>;
  /** Locator of the secret (ARN, resource id, path): safe to hand to runtimes. */
  readonly secretLocator: pulumi.Output<string>;
  readonly keyName: pulumi.Output<string>;
  /** `sha256:` + 12 hex of the key: comparable across stacks, reveals nothing. */
  readonly keyFingerprint: pulumi.Output<string>;
  readonly cost: CostFigures;
  readonly monthlyCostUsd: pulumi.Output<number>;
  readonly worstCaseMonthlyCostUsd: pulumi.Output<number>;
  readonly leakedSandboxCostUsd: pulumi.Output<number>;
  /** The runtime sandbox policy (`sandboxPolicySchema`) as JSON, for applications. */
  readonly sandboxPolicyJson: pulumi.Output<string>;
  /** The key resource when the component manages the key. */
  readonly apiKey?: E2BApiKey;
  /** The E2B Secrets the component created, by name. */
  readonly secrets: Record<string, E2BSecret> = {};
  /** `${e2b.secrets.<name>}` for every declared secret, by name: what network rules send. */
  readonly secretPlaceholders: pulumi.Output<Record<string, string>>;
  readonly monitor?: AwsMonitor;
  readonly alertTopicArn?: pulumi.Output<string>;

  constructor(name: string, args: E2BEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Registered inputs = the validated model (defaults applied, unknown fields dropped).
    super(E2B_ENVIRONMENT_TYPE, name, checked(name, args), opts);
    const env = validateEnvironment(name, args);
    this.environment = env;
    const parent: pulumi.Resource = this; // eslint-disable-line @typescript-eslint/no-this-alias -- children's parent
    const tags = { environment: env.name, "e2b-team": env.teamId, "managed-by": "e2b-guardrails" };

    const keyName = args.keyName ?? defaultKeyName(pulumi.getProject(), env.name);
    let key: pulumi.Output<string>;
    if (env.key.source === "managed") {
      this.apiKey = new E2BApiKey(
        `${name}-api-key`,
        { name: keyName, environment: env.name, teamId: env.teamId, rotation: env.rotation.trigger },
        { parent },
      );
      key = this.apiKey.key;
    } else {
      key = importedKey(env.key.configKey);
    }

    // E2B Secrets from Pulumi secrets: the program passes a config key or an Output, never a value.
    for (const [secretName, value] of secretSources(name, env, args.secretValues)) {
      const spec = env.secrets!.find((s) => s.name === secretName)!;
      this.secrets[secretName] = new E2BSecret(
        `${name}-secret-${secretName}`,
        { name: secretName, environment: env.name, teamId: env.teamId, hosts: spec.hosts, value },
        { parent },
      );
    }
    this.secretPlaceholders = pulumi.output(
      Object.fromEntries((env.secrets ?? []).map((s) => [s.name, secretPlaceholder(s.name)])),
    );

    const monitorKind = monitorFor(name, env, args.monitor);
    const role = monitorKind === "aws" ? monitorRole(name, tags, parent) : undefined;

    const stored = storeKey({
      name,
      environment: env,
      store: env.secretStore,
      key: pulumi.secret(key),
      readers: role ? [...env.readers, role.arn] : env.readers,
      tags,
      parent,
    });

    const profile = { ...env.sandbox, timeoutCeilingSeconds: env.timeoutCeilingSeconds };
    this.cost = costOf(env.name, profile, args.prices, env.budget.monthlyUsd);
    if (role) {
      this.monitor = awsMonitor(
        name,
        {
          environment: env,
          perSandboxSecondUsd: perSandboxSecondUsd(profile, args.prices),
          code: args.monitorCode ?? defaultMonitorCode(this),
          handler: args.monitorHandler,
          schedule: args.monitorSchedule,
          apiUrl: args.apiUrl,
          tags,
          role,
          secretStore: env.secretStore.kind as "aws-secrets-manager" | "aws-ssm-parameter",
          secretLocator: stored.locator,
        },
        parent,
        [stored.secret, ...stored.grants],
      );
      this.alertTopicArn = this.monitor.topic.arn;
    }

    this.secretReference = pulumi.output(secretReference(env.secretStore));
    this.secretLocator = stored.locator;
    this.keyName = pulumi.output(keyName);
    // A truncated hash reveals nothing about the key, so it need not stay secret.
    this.keyFingerprint = pulumi.unsecret(key.apply(fingerprintKey));
    this.monthlyCostUsd = pulumi.output(this.cost.expectedMonthlyUsd);
    this.worstCaseMonthlyCostUsd = pulumi.output(this.cost.worstCaseMonthlyUsd);
    this.leakedSandboxCostUsd = pulumi.output(this.cost.leakedSandboxUsd);
    this.sandboxPolicyJson = pulumi.output(JSON.stringify(sandboxPolicy(env)));

    this.registerOutputs({
      // The validated model again, as an output: stack policies see a component's outputs, so the pack
      // can judge this environment even where its resource policy (which records inputs) is disabled.
      model: this.environment,
      secretReference: this.secretReference,
      secretLocator: this.secretLocator,
      keyName: this.keyName,
      keyFingerprint: this.keyFingerprint,
      monthlyCostUsd: this.monthlyCostUsd,
      worstCaseMonthlyCostUsd: this.worstCaseMonthlyCostUsd,
      leakedSandboxCostUsd: this.leakedSandboxCostUsd,
      sandboxPolicyJson: this.sandboxPolicyJson,
      secretPlaceholders: this.secretPlaceholders,
      alertTopicArn: this.alertTopicArn,
      // Which alarms the component deploys (E2B-03/05): "none" leaves them to the platform team.
      monitor: monitorKind,
    });
  }
}
