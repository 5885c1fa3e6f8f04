/**
 * How much our pack costs on a preview, as a ratio to an empty pack on the same stack, at two stack
 * sizes (so a super-linear rule shows as a growing ratio). Ratios in one run, not absolute timings:
 *
 *   npx tsx bench/pack-overhead.ts [sizes...]      (default: 1000 4000)
 */
import path from "node:path";
import { AnalyzerHost, type GraphResource, type ResourceGraph } from "../engine";
import { E2B_ENVIRONMENT_TYPE } from "../policies/model";

const KEYLESS = "arn:aws:secretsmanager:us-east-1:123456789012:secret:e2b/prod/api-key";

/** A plausible platform stack: environments, functions reading the key by ARN, buckets, web apps. */
export function syntheticStack(size: number): ResourceGraph {
  const stackUrn = "urn:pulumi:prod::bench::pulumi:pulumi:Stack::bench-prod";
  const resources: GraphResource[] = [
    {
      urn: stackUrn,
      type: "pulumi:pulumi:Stack",
      name: "bench-prod",
      custom: false,
      dependencies: [],
      propertyDependencies: {},
      inputs: {},
      outputs: {},
    },
  ];
  const secretUrn = "urn:pulumi:prod::bench::aws:secretsmanager/secret:Secret::e2b-key";
  resources.push({
    urn: secretUrn,
    type: "aws:secretsmanager/secret:Secret",
    name: "e2b-key",
    custom: true,
    parent: stackUrn,
    dependencies: [],
    propertyDependencies: {},
    inputs: { name: "e2b/prod/api-key" },
    outputs: { name: "e2b/prod/api-key", arn: KEYLESS },
  });
  for (let i = 0; resources.length < size; i++) {
    const kind = i % 4;
    const name = `r${i}`;
    const base = {
      name,
      custom: true,
      parent: stackUrn,
      dependencies: [] as string[],
      propertyDependencies: {} as Record<string, string[]>,
    };
    if (kind === 0) {
      const inputs = {
        runtime: "nodejs20.x",
        handler: "index.handler",
        environment: {
          variables: {
            E2B_KEY_SECRET_ARN: KEYLESS,
            LOG_LEVEL: "info",
            NESTED: JSON.stringify({ a: [1, 2, { b: "c" }] }),
          },
        },
      };
      resources.push({
        ...base,
        urn: `urn:pulumi:prod::bench::aws:lambda/function:Function::${name}`,
        type: "aws:lambda/function:Function",
        dependencies: [secretUrn],
        propertyDependencies: { environment: [secretUrn] },
        inputs,
        outputs: inputs,
      });
    } else if (kind === 1) {
      const inputs = { bucket: `b-${i}`, tags: { environment: "prod", owner: "platform" } };
      resources.push({
        ...base,
        urn: `urn:pulumi:prod::bench::aws:s3/bucket:Bucket::${name}`,
        type: "aws:s3/bucket:Bucket",
        inputs,
        outputs: inputs,
      });
    } else if (kind === 2) {
      const inputs = {
        name: `app-${i}`,
        environmentVariables: { NEXT_PUBLIC_API_URL: "https://api.example.com" },
      };
      resources.push({
        ...base,
        urn: `urn:pulumi:prod::bench::aws:amplify/app:App::${name}`,
        type: "aws:amplify/app:App",
        inputs,
        outputs: inputs,
      });
    } else {
      const inputs = { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) };
      resources.push({
        ...base,
        urn: `urn:pulumi:prod::bench::aws:iam/role:Role::${name}`,
        type: "aws:iam/role:Role",
        inputs,
        outputs: inputs,
      });
    }
  }
  const env = {
    name: "prod",
    tier: "production",
    teamId: "team-prod",
    plan: "pro",
    key: { source: "managed" },
    secretStore: { kind: "aws-secrets-manager", name: "e2b/prod/api-key" },
    readers: ["arn:aws:iam::123456789012:role/api"],
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
  resources.push({
    urn: `urn:pulumi:prod::bench::${E2B_ENVIRONMENT_TYPE}::prod`,
    type: E2B_ENVIRONMENT_TYPE,
    name: "prod",
    custom: false,
    parent: stackUrn,
    dependencies: [],
    propertyDependencies: {},
    inputs: env,
    outputs: {},
  });
  return {
    project: "bench",
    stack: "prod",
    organization: "bench",
    source: { kind: "program", path: "bench" },
    tags: {},
    config: {},
    resources,
  };
}

async function timeAnalysis(packDir: string, graph: ResourceGraph, rounds: number): Promise<number> {
  const host = await AnalyzerHost.start(packDir);
  try {
    await host.configure();
    await host.analyze(graph); // warm-up: JIT, first-call costs
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await host.analyze(graph);
    return Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  } finally {
    await host.stop();
  }
}

async function main() {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const ours = path.resolve(__dirname, "../policies");
  const empty = path.resolve(__dirname, "empty-pack");
  console.log("resources  empty-pack ms  our-pack ms  ratio");
  const ratios: number[] = [];
  for (const size of sizes.length ? sizes : [1000, 4000]) {
    const graph = syntheticStack(size);
    const e = await timeAnalysis(empty, graph, 3);
    const o = await timeAnalysis(ours, graph, 3);
    ratios.push(o / e);
    console.log(
      `${String(size).padStart(9)}  ${e.toFixed(0).padStart(13)}  ${o.toFixed(0).padStart(11)}  ${(o / e).toFixed(2).padStart(5)}`,
    );
  }
  if (ratios.length > 1)
    console.log(
      `ratio growth from smallest to largest stack: ${(ratios[ratios.length - 1] / ratios[0]).toFixed(2)}x (≈1 means linear)`,
    );
}

if (require.main === module) main().catch((e) => (console.error(e), process.exit(1)));
