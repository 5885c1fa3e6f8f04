/**
 * Generated platform stacks for the benchmarks, as `pulumi stack export` files (deployment v3): the
 * shapes real platform stacks have — Lambdas reading the E2B key by secret ARN, buckets, Amplify apps
 * with public env vars, IAM roles with JSON policies, ECS task definitions with container JSON,
 * ConfigMaps with YAML — plus planted keys (which every detector must find) and decoys (near-keys
 * that none may report). Deterministic: the same size and seed give the same bytes.
 *
 * The planted keys are random hex from a seeded generator, not real keys; nothing here prints them.
 */
import { E2B_ENVIRONMENT_TYPE } from "../policies/model";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

/** A small seeded PRNG (mulberry32): generated stacks are reproducible across runs and machines. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (rand: () => number, n: number) => {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rand() * 16)];
  return s;
};

/** Strings that look like keys but are not: every one must stay unreported. */
export function decoy(rand: () => number, i: number): string {
  switch (i % 7) {
    case 0:
      return `e2b_${hex(rand, 39)}`; // one hex short
    case 1:
      return `e2b_${hex(rand, 41)}`; // one hex long
    case 2:
      return `e2b-${hex(rand, 40)}`; // a dash for the underscore
    case 3:
      return `e2b_${hex(rand, 20)}G${hex(rand, 19)}`; // non-hex character inside
    case 4:
      return `eb2_${hex(rand, 40)}`; // transposed prefix
    case 5:
      return `e2b__${hex(rand, 40)}`; // doubled underscore
    default:
      return `sk_e2b_${hex(rand, 38)}`; // short access token
  }
}

export interface StateResource {
  urn: string;
  custom: boolean;
  type: string;
  id?: string;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface GeneratedStack {
  export: { version: 3; deployment: { manifest: object; resources: StateResource[] } };
  /** How many keys were planted (each a distinct random key) and how many decoys. */
  planted: number;
  decoys: number;
}

export interface StackOptions {
  project?: string;
  stack?: string;
  seed?: number;
  /** How many keys to plant, spread evenly over the stack (default: one per 150 resources). */
  plant?: number;
}

const secretText = (plain: string) => ({ [SIG]: SECRET, plaintext: JSON.stringify(plain) });
const cipher = (rand: () => number) => ({
  [SIG]: SECRET,
  ciphertext: `v1:${hex(rand, 24)}:${hex(rand, 64)}`,
});

export function generateStack(size: number, opts: StackOptions = {}): GeneratedStack {
  const project = opts.project ?? "platform";
  const stack = opts.stack ?? "prod";
  const rand = rng(opts.seed ?? 1);
  const toPlant = opts.plant ?? Math.floor(size / 150);
  const spacing = size / Math.max(1, toPlant);
  let nextPlantAt = spacing / 2;
  let planted = 0;
  let decoys = 0;
  const key = () => (planted++, (planted % 5 === 0 ? "sk_e2b_" : "e2b_") + hex(rand, 40));
  const fake = () => decoy(rand, decoys++);

  const urn = (type: string, name: string) => `urn:pulumi:${stack}::${project}::${type}::${name}`;
  const stackUrn = urn("pulumi:pulumi:Stack", `${project}-${stack}`);
  const providerUrn = urn("pulumi:providers:aws", "default_7_48_0");
  const providerRef = `${providerUrn}::04c5e2a4-1d43-4d0b-9c2b-5e8a1f7b3c21`;
  const k8sUrn = urn("pulumi:providers:kubernetes", "cluster");
  const k8sRef = `${k8sUrn}::6f0d1c55-2b4e-4f8a-8d7e-0a9b3c4d5e6f`;
  const account = "123456789012";
  const secretName = `e2b/${stack}/api-key`;
  const secretArn = `arn:aws:secretsmanager:us-east-1:${account}:secret:${secretName}-AbCdEf`;
  const secretUrn = urn("aws:secretsmanager/secret:Secret", "e2b-api-key");
  const roleUrn = (i: number) => urn("aws:iam/role:Role", `role-${i}`);

  const resources: StateResource[] = [
    { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", inputs: {}, outputs: {} },
    {
      urn: providerUrn,
      custom: true,
      type: "pulumi:providers:aws",
      id: "04c5e2a4-1d43-4d0b-9c2b-5e8a1f7b3c21",
      inputs: { region: "us-east-1", version: "7.48.0", skipCredentialsValidation: "false" },
      outputs: { region: "us-east-1", version: "7.48.0", skipCredentialsValidation: "false" },
    },
    {
      urn: k8sUrn,
      custom: true,
      type: "pulumi:providers:kubernetes",
      id: "6f0d1c55-2b4e-4f8a-8d7e-0a9b3c4d5e6f",
      inputs: { namespace: "agents", version: "4.34.2", kubeconfig: cipher(rand) },
      outputs: { namespace: "agents", version: "4.34.2", kubeconfig: cipher(rand) },
    },
  ];
  const envInputs = {
    name: stack,
    tier: stack === "prod" ? "production" : "development",
    teamId: `team-${stack}`,
    plan: "pro",
    key: { source: "managed" },
    secretStore: { kind: "aws-secrets-manager", name: secretName },
    readers: [`arn:aws:iam::${account}:role/api`],
    sandbox: { vcpu: 2, memoryMiB: 2048, avgConcurrency: 10, maxConcurrency: 50 },
    timeoutCeilingSeconds: 3600,
    autoPause: { enabled: false },
    requiredMetadata: ["user_id", "request_id"],
    budget: {
      monthlyUsd: 5000,
      alertThresholds: [50, 80, 100],
      owner: "platform@example.com",
      hardLimit: false,
    },
    leakAlarm: { liveCountThreshold: 60, maxSandboxAgeSeconds: 3600, owner: "platform@example.com" },
    rotation: { createdAt: "2026-11-01", maxAgeDays: 90, trigger: "1" },
  };
  resources.push(
    {
      urn: urn(E2B_ENVIRONMENT_TYPE, stack),
      custom: false,
      type: E2B_ENVIRONMENT_TYPE,
      parent: stackUrn,
      inputs: envInputs,
      outputs: {},
    },
    {
      urn: secretUrn,
      custom: true,
      type: "aws:secretsmanager/secret:Secret",
      id: secretArn,
      parent: stackUrn,
      provider: providerRef,
      inputs: { name: secretName, recoveryWindowInDays: 7 },
      outputs: { name: secretName, arn: secretArn, id: secretArn, recoveryWindowInDays: 7, tags: {} },
    },
  );

  const tags = (i: number) => ({
    environment: stack,
    team: ["agents", "platform", "data", "web"][i % 4],
    "cost-center": `cc-${i % 17}`,
    "managed-by": "pulumi",
  });

  for (let i = 0; resources.length < size; i++) {
    const kind = i % 6;
    // Keys go where keys really turn up: env vars, public build vars, container JSON, ConfigMap YAML.
    const plant = planted < toPlant && resources.length >= nextPlantAt && kind !== 1 && kind !== 3;
    if (plant) nextPlantAt += spacing;
    const name = `svc-${i}`;
    const common = { custom: true, parent: stackUrn, provider: providerRef };
    if (kind === 0) {
      const variables: Record<string, unknown> = {
        E2B_API_KEY_SECRET_ARN: secretArn,
        LOG_LEVEL: "info",
        SERVICE_NAME: name,
        FEATURE_FLAGS: JSON.stringify({
          sandboxes: true,
          templates: ["base", "code-interpreter"],
          max: i % 50,
        }),
        DB_PASSWORD: cipher(rand),
      };
      if (plant) variables.E2B_API_KEY = secretText(key());
      if (i % 60 === 6) variables.E2B_DOCS_EXAMPLE = fake();
      const inputs = {
        name: `fn-${i}`,
        runtime: "nodejs20.x",
        handler: "index.handler",
        role: `arn:aws:iam::${account}:role/role-${i + 3}`,
        memorySize: 512,
        timeout: 30,
        architectures: ["arm64"],
        environment: { variables },
        tags: tags(i),
      };
      resources.push({
        ...common,
        urn: urn("aws:lambda/function:Function", name),
        type: "aws:lambda/function:Function",
        id: `fn-${i}`,
        dependencies: [secretUrn, roleUrn(i + 3)],
        propertyDependencies: { environment: [secretUrn], role: [roleUrn(i + 3)] },
        inputs,
        outputs: {
          ...inputs,
          arn: `arn:aws:lambda:us-east-1:${account}:function:fn-${i}`,
          invokeArn: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/fn-${i}/invocations`,
          lastModified: "2026-11-01T00:00:00.000+0000",
          version: "$LATEST",
          tagsAll: tags(i),
        },
      });
    } else if (kind === 1) {
      const inputs = {
        bucket: `${project}-${stack}-assets-${i}`,
        forceDestroy: false,
        tags: tags(i),
        serverSideEncryptionConfiguration: {
          rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
        },
        versioning: { enabled: true, mfaDelete: false },
      };
      resources.push({
        ...common,
        urn: urn("aws:s3/bucket:Bucket", name),
        type: "aws:s3/bucket:Bucket",
        id: inputs.bucket,
        inputs,
        outputs: {
          ...inputs,
          arn: `arn:aws:s3:::${inputs.bucket}`,
          bucketDomainName: `${inputs.bucket}.s3.amazonaws.com`,
          hostedZoneId: "Z3AQBSTGFYJSTF",
          region: "us-east-1",
          tagsAll: tags(i),
        },
      });
    } else if (kind === 2) {
      const environmentVariables: Record<string, string> = {
        NEXT_PUBLIC_API_URL: `https://api-${i}.example.com`,
        NEXT_PUBLIC_POSTHOG_HOST: "https://eu.posthog.com",
        NEXT_PUBLIC_SANDBOX_TEMPLATE: "code-interpreter-v1",
        AMPLIFY_MONOREPO_APP_ROOT: "apps/web",
      };
      if (plant) environmentVariables.NEXT_PUBLIC_E2B_API_KEY = key();
      if (i % 60 === 2) environmentVariables.NEXT_PUBLIC_BUILD_ID = fake();
      const inputs = {
        name: `web-${i}`,
        platform: "WEB_COMPUTE",
        environmentVariables,
        buildSpec: [
          "version: 1",
          "frontend:",
          "  phases:",
          "    build:",
          "      commands:",
          "        - npm ci",
          "        - npm run build",
          "  artifacts:",
          "    baseDirectory: .next",
          "    files:",
          "      - '**/*'",
        ].join("\n"),
        tags: tags(i),
      };
      resources.push({
        ...common,
        urn: urn("aws:amplify/app:App", name),
        type: "aws:amplify/app:App",
        id: `d${hex(rand, 13)}`,
        inputs,
        outputs: {
          ...inputs,
          arn: `arn:aws:amplify:us-east-1:${account}:apps/d${i}`,
          defaultDomain: `d${i}.amplifyapp.com`,
        },
      });
    } else if (kind === 3) {
      const assume = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      });
      const policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] },
          { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*" },
          {
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: `arn:aws:s3:::${project}-${stack}-assets-${i - 2}/*`,
          },
        ],
      });
      const inputs = {
        name: `role-${i}`,
        assumeRolePolicy: assume,
        inlinePolicies: [{ name: "runtime", policy }],
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        tags: tags(i),
      };
      resources.push({
        ...common,
        urn: roleUrn(i),
        type: "aws:iam/role:Role",
        id: `role-${i}`,
        dependencies: [secretUrn],
        propertyDependencies: { inlinePolicies: [secretUrn] },
        inputs,
        outputs: {
          ...inputs,
          arn: `arn:aws:iam::${account}:role/role-${i}`,
          uniqueId: `AROA${hex(rand, 17).toUpperCase()}`,
        },
      });
    } else if (kind === 4) {
      const environment = [
        { name: "NODE_ENV", value: "production" },
        { name: "E2B_TEMPLATE", value: "code-interpreter-v1" },
        { name: "PORT", value: "8080" },
      ];
      if (plant) environment.push({ name: "E2B_API_KEY", value: key() });
      if (i % 60 === 4) environment.push({ name: "E2B_SANDBOX_ID", value: fake() });
      const containerDefinitions = JSON.stringify([
        {
          name: "agent",
          image: `${account}.dkr.ecr.us-east-1.amazonaws.com/agent:${hex(rand, 7)}`,
          cpu: 512,
          memory: 1024,
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: "tcp" }],
          environment,
          secrets: [{ name: "E2B_API_KEY_FROM_STORE", valueFrom: secretArn }],
          logConfiguration: {
            logDriver: "awslogs",
            options: {
              "awslogs-group": `/ecs/agent-${i}`,
              "awslogs-region": "us-east-1",
              "awslogs-stream-prefix": "ecs",
            },
          },
        },
      ]);
      const inputs = {
        family: `agent-${i}`,
        cpu: "512",
        memory: "1024",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        executionRoleArn: `arn:aws:iam::${account}:role/role-${i - 1}`,
        containerDefinitions,
        tags: tags(i),
      };
      resources.push({
        ...common,
        urn: urn("aws:ecs/taskDefinition:TaskDefinition", name),
        type: "aws:ecs/taskDefinition:TaskDefinition",
        id: `agent-${i}`,
        dependencies: [secretUrn, roleUrn(i - 1)],
        propertyDependencies: { containerDefinitions: [secretUrn], executionRoleArn: [roleUrn(i - 1)] },
        inputs,
        outputs: {
          ...inputs,
          arn: `arn:aws:ecs:us-east-1:${account}:task-definition/agent-${i}:1`,
          revision: 1,
        },
      });
    } else {
      const lines = [
        "server:",
        "  port: 8080",
        `  name: worker-${i}`,
        "sandbox:",
        "  template: code-interpreter-v1",
        "  timeoutSeconds: 300",
        "  metadata:",
        "    - user_id",
        "    - request_id",
        "e2b:",
        "  apiKeySecretRef: e2b-api-key",
      ];
      if (plant) lines.push(`  apiKey: ${key()}`);
      if (i % 60 === 11) lines.push(`  note: "${fake()}"`);
      const inputs = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `worker-${i}`, namespace: "agents", labels: { app: "worker", tier: stack } },
        data: { "config.yaml": lines.join("\n") + "\n", "log.level": "info" },
      };
      resources.push({
        custom: true,
        parent: stackUrn,
        provider: k8sRef,
        urn: urn("kubernetes:core/v1:ConfigMap", name),
        type: "kubernetes:core/v1:ConfigMap",
        id: `agents/worker-${i}`,
        inputs,
        outputs: {
          ...inputs,
          metadata: { ...inputs.metadata, uid: `${hex(rand, 8)}-${hex(rand, 4)}`, resourceVersion: `${i}` },
        },
      });
    }
  }
  return {
    export: {
      version: 3,
      deployment: {
        manifest: { time: "2026-11-01T00:00:00Z", magic: "bench", version: "v3.248.0" },
        resources,
      },
    },
    planted,
    decoys,
  };
}
