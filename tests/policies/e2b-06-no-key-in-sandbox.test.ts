import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GraphResource, ResourceGraph, WireObject } from "../../engine";
import { repoRoot, useScanner } from "../support/scan";
import { programCopy, tmpDir } from "../support/tmp";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

/** A program's graph of image builds, rooted at `dir` (where relative build contexts are read). */
function imageBuilds(dir: string, builds: Array<{ type: string; name: string; inputs: WireObject }>) {
  const resources: GraphResource[] = builds.map((b) => ({
    urn: `urn:pulumi:dev::agents::${b.type}::${b.name}`,
    type: b.type,
    name: b.name,
    custom: true,
    dependencies: [],
    propertyDependencies: {},
    inputs: b.inputs,
    outputs: b.inputs,
  }));
  const graph: ResourceGraph = {
    project: "agents",
    stack: "dev",
    organization: "o",
    source: { kind: "program", path: dir },
    tags: {},
    config: {},
    resources,
  };
  return graph;
}

const P = "e2b-06-no-key-in-sandbox";

describe(P, () => {
  const scan = useScanner();

  it("fails sandbox env JSON with the key, a template Dockerfile with ARG E2B_API_KEY, and sandbox env built from the key (unknown)", async () => {
    const { stack } = await scan.program(fx("key-in-sandbox"), "dev");
    const fs = of(stack, P);
    const mandatory = fs.filter((f) => f.enforcementLevel === "mandatory");
    expect(resourceNames(mandatory)).toEqual(["agent", "orchestrator", "template-dockerfile"]);
    const text = mandatory.map((f) => f.message).join("\n");
    expect(text).toMatch(/SANDBOX_ENV_VARS\/E2B_API_KEY/);
    expect(text).toMatch(/Dockerfile at source\.text/);
    expect(text).toMatch(/depend on 'dev-api-key'/);
    // A third-party credential in sandbox env vars fails too, with the way to E2B Secrets.
    expect(text).toMatch(/the credential OPENAI_API_KEY into sandbox env vars.*E2BEnvironment's `secrets`/);
    expect(status(stack, "E2B-06")).toBe("fail");
    expectClean(stack);
  });

  it("passes sandboxes that get third-party credentials through E2B Secrets and egress rules", async () => {
    const { stack } = await scan.program(fx("sandbox-secrets"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-06")).toBe("pass");
    expectClean(stack);
  });

  it("fails credentials as sandbox env vars, a plaintext egress rule header, a plaintext proxy password and an over-broad secret host", async () => {
    const { stack } = await scan.program(fx("sandbox-credentials"), "dev");
    const fs = of(stack, P);
    expect(fs.every((f) => f.enforcementLevel === "mandatory")).toBe(true);
    const byResource = (name: string) => fs.filter((f) => f.urn.endsWith(`::${name}`)).map((f) => f.message);
    expect(byResource("agent-config")).toEqual([
      expect.stringMatching(
        /passes a credential \(OpenAI API key, LLM_KEY\) into sandbox env vars.*E2B Secret/,
      ),
      expect.stringMatching(/passes the credential GITHUB_TOKEN into sandbox env vars/),
    ]);
    const fn = byResource("agent-api").join("\n");
    expect(fn).toMatch(/plaintext credential into the egress rule header Authorization for api\.github\.com/);
    expect(fn).toMatch(
      /egress proxy password in plaintext at environment\.variables\.SANDBOX_NETWORK\{json\}\.egressProxy\.password/,
    );
    expect(fn).toMatch(/egress proxy password in plaintext at environment\.variables\.EGRESS_PROXY_PASSWORD/);
    expect(byResource("dev")).toEqual([
      expect.stringMatching(/E2B Secret 'openai-api-key' to "\*\.com"/),
      // rt37 #12: read as a third-party credential, this passed.
      expect.stringMatching(
        /injects E2B Secret 'e2b-api-key' into sandboxes' requests to api\.e2b\.app, the E2B API/,
      ),
    ]);
    expect(status(stack, "E2B-06")).toBe("fail");
    // No credential value in any message.
    const all = JSON.stringify(stack);
    expect(all).not.toContain("correct-horse-battery");
    expect(all).not.toContain("Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2");
    expect(all).not.toContain("0a1b2c3d4e5f6a7b8c9d");
  });

  it("passes stacks that keep the key out of sandboxes", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
    expect(status(stack, "E2B-06")).toBe("pass");
  });

  it("names the file when a key is in an image's build context, and the args when it is a build arg", async () => {
    const key = "e2b_" + "5d".repeat(20);
    const dir = tmpDir("image-build-");
    mkdirSync(path.join(dir, "app"));
    writeFileSync(path.join(dir, "app", "Dockerfile"), "FROM node:20\nCOPY . /app\n");
    writeFileSync(path.join(dir, "app", ".env"), `PORT=8080\nE2B_API_KEY=${key}\n`);
    const { stack } = await scan.graph(
      imageBuilds(dir, [
        {
          type: "docker:index/image:Image",
          name: "app-image",
          inputs: { build: { context: "./app" }, imageName: "app" },
        },
        {
          type: "docker-build:index:Image",
          name: "agent-image",
          inputs: { context: { location: "./app-clean" }, buildArgs: { TOKEN: key }, push: false },
        },
      ]),
    );
    // Findings come sorted by resource type.
    const messages = of(stack, P).map((f) => f.message);
    expect(messages).toEqual([
      expect.stringMatching(
        /^docker-build:index:Image 'agent-image' puts E2B key material \(e2b_…5d5d\) into an image build .* at buildArgs\.TOKEN\./,
      ),
      expect.stringMatching(
        /^docker:index\/image:Image 'app-image' puts E2B key material \(e2b_…5d5d\) into an image build \(args and context files are baked into the image and any sandbox template made from it\) in \.env line 2, a file of build\.context\./,
      ),
    ]);
    expect(status(stack, "E2B-06")).toBe("fail");
    expect(JSON.stringify(stack)).not.toContain(key);
  });

  it("reports a key build arg once: as the key when it is seen, as its name or its source when it is hidden", async () => {
    const key = "e2b_" + "5d".repeat(20);
    const dir = tmpDir("image-build-");
    const build = (arg: unknown, deps: Record<string, string[]> = {}) => {
      const g = imageBuilds(dir, [
        {
          type: "docker:index/image:Image",
          name: "app-image",
          inputs: { build: { context: "./none", args: { E2B_API_KEY: arg as string } }, imageName: "app" },
        },
      ]);
      g.resources[0].propertyDependencies = deps;
      return g;
    };
    const seen = of((await scan.graph(build(key))).stack, P).map((f) => f.message);
    expect(seen).toEqual([expect.stringMatching(/puts E2B key material \(e2b_…5d5d\) into an image build/)]);
    const hidden = of((await scan.graph(build("04da6b54-80e4-46f7-96ec-b56ff0331ba9"))).stack, P);
    expect(hidden.map((f) => f.message)).toEqual([
      expect.stringMatching(/^docker:index\/image:Image 'app-image' passes E2B_API_KEY into an image build/),
    ]);
    // At the key's path, marked hidden: a baseline of the other passphrase mode takes one for the other
    // (real33 bug 10: without a path, new + fixed, exit 1).
    expect(hidden.map((f) => [f.path, f.unknown])).toEqual([["build.args.E2B_API_KEY", true]]);
  });

  it("passes a CodeBuild variable that names a secret CodeBuild fetches at build time; fails one that is the key or only named for it (real45 #1)", async () => {
    const key = "e2b_" + "5d".repeat(20);
    const codebuild = (variable: WireObject) =>
      imageBuilds(tmpDir("codebuild-"), [
        {
          type: "aws:codebuild/project:Project",
          name: "template-build",
          inputs: {
            environment: {
              image: "aws/codebuild/standard:7.0",
              environmentVariables: [
                { name: "IMAGE_TAG", value: "latest" },
                { name: "E2B_API_KEY", ...variable },
              ],
            },
          },
        },
      ]);
    for (const fetched of [
      { type: "SECRETS_MANAGER", value: "agents/e2b-api-key:E2B_API_KEY" },
      { type: "PARAMETER_STORE", value: "/agents/e2b/api-key" },
    ]) {
      const { stack } = await scan.graph(codebuild(fetched));
      expect(of(stack, P)).toEqual([]);
    }
    const named = of(
      (await scan.graph(codebuild({ value: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }))).stack,
      P,
    );
    expect(named.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^aws:codebuild\/project:Project 'template-build' passes E2B_API_KEY into a build environment/,
      ),
    ]);
    const plain = of((await scan.graph(codebuild({ type: "PLAINTEXT", value: key }))).stack, P);
    expect(plain.map((f) => f.message)).toEqual([
      expect.stringMatching(/puts E2B key material \(e2b_…5d5d\)/),
    ]);
  });

  it("runs on preview unknowns without the SDK advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P)).toEqual([]);
    expectClean(stack);
  });

  it("lists sandbox env vars hidden by a provider function's result without sending the user after a passphrase", async () => {
    const { stack } = await scan.program(fx("invoke-into-sandbox-and-site"), "prod");
    const [f] = of(stack, P);
    expect(resourceNames([f])).toEqual(["orchestrator"]);
    expect(f.enforcementLevel).toBe("advisory");
    expect(f.message).toMatch(
      /sandbox env vars \(SANDBOX_ENV_VARS\) are hidden at preview \(a provider function's result .*\), so .*\. Preview again once the values it is computed from exist/,
    );
    expect(f.message).not.toMatch(/passphrase|decrypt/);
    expect(status(stack, "E2B-06")).toBe("inconclusive");
  });

  it("fails sandbox env vars fed by the key's secret value, and lists those beside the key's secret ARN as not known", async () => {
    const { stack } = await scan.program(fx("sandbox-env-beside-key-arn"), "prod");
    const fs = of(stack, P);
    const [leaky] = fs.filter((f) => f.enforcementLevel === "mandatory");
    expect(resourceNames([leaky])).toEqual(["leaky-orchestrator"]);
    expect(leaky.message).toMatch(/depend on .*'prod-secret-version', which holds the E2B key/);
    // The remedy's shape: `environment` depends on the secret through its ARN, whatever the sandbox
    // env vars beside it hold. Inconclusive, never a failure of its own.
    const [beside] = fs.filter((f) => f.enforcementLevel === "advisory");
    expect(resourceNames([beside])).toEqual(["orchestrator"]);
    expect(beside.message).toMatch(
      /sandbox env vars \(SANDBOX_ENV_VARS\): unknown at preview and fed by 'prod-secret', the secret the E2B key is kept in; its ARN or name is no key/,
    );
    expect(fs).toHaveLength(2);
    expectClean(stack);
  });

  /** E2B-06 with the passphrase and without it, for a program (its lines) using the env-map fixture's key config. */
  async function e2b06InBothModes(prefix: string, lines: string[]): Promise<Array<string | undefined>> {
    const from = path.join(repoRoot, fx("secret-config-env-map-in-apply"));
    const dir = programCopy(prefix, from, {
      "index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'const key = new pulumi.Config().requireSecret("e2bApiKey");',
        ...lines,
      ].join("\n"),
    });
    const verdicts = [];
    for (const opts of [{ passphrase: "correct horse" }, {}]) {
      const { stack } = await scan.program(dir, "prod", opts);
      verdicts.push(status(stack, "E2B-06"));
    }
    return verdicts;
  }

  it("is inconclusive without the passphrase, and fails with it, where ECS container definitions built from the key config in an apply forward it to sandboxes (rt41 #2, rt42 #2)", async () => {
    const verdicts = await e2b06InBothModes("ecs-defs-in-apply-", [
      'new aws.ecs.TaskDefinition("agents", {',
      '  family: "agents",',
      "  containerDefinitions: key.apply((k) =>",
      '    JSON.stringify([{ name: "agent", image: "ghcr.io/acme/agent:1", environment: [',
      '      { name: "SANDBOX_ENV_VARS", value: JSON.stringify({ E2B_API_KEY: k }) },',
      "    ] }]),",
      "  ),",
      "});",
    ]);
    expect(verdicts).toEqual(["fail", "inconclusive"]);
  });

  it("is inconclusive without the passphrase, and fails with it, where a Kubernetes Deployment's whole spec is built from the key config (rt44 #5)", async () => {
    // No list of property names that may hold variables is complete: any hidden property fed by the key.
    const verdicts = await e2b06InBothModes("k8s-spec-in-apply-", [
      'import * as k8s from "@pulumi/kubernetes";',
      'new k8s.apps.v1.Deployment("agent", {',
      "  spec: key.apply((k) => ({",
      '    selector: { matchLabels: { app: "agent" } },',
      '    template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "agent", image: "ghcr.io/acme/agent:1",',
      '      env: [{ name: "SANDBOX_ENV_VARS", value: JSON.stringify({ E2B_API_KEY: k }) }] }] } },',
      "  })),",
      "});",
    ]);
    expect(verdicts).toEqual(["fail", "inconclusive"]);
  });

  it("is inconclusive without the passphrase, and fails with it, where the env map built from the key config sits below the property (rt45 #2)", async () => {
    const verdicts = await e2b06InBothModes("env-map-below-", [
      'new aws.lambda.Function("agent-api", {',
      '  runtime: "nodejs20.x",',
      '  handler: "index.handler",',
      '  role: "arn:aws:iam::123456789012:role/agent",',
      "  code: new pulumi.asset.AssetArchive({}),",
      "  environment: { variables: key.apply((k) => ({ SANDBOX_ENV_VARS: JSON.stringify({ E2B_API_KEY: k }) })) },",
      "});",
    ]);
    expect(verdicts).toEqual(["fail", "inconclusive"]);
  });

  it("does not take a payload handed over once for a map of variables: a Lambda invocation's event passes in both modes (real45 #3)", async () => {
    const verdicts = await e2b06InBothModes("invocation-input-", [
      'new aws.lambda.Invocation("seed", {',
      '  functionName: "seed-fn",',
      '  input: key.apply((k) => JSON.stringify({ projectName: "agents", region: "eu-west-1", e2bApiKey: k })),',
      "});",
    ]);
    expect(verdicts).toEqual(["pass", "pass"]);
  });

  it("does not take one hidden setting below a property for a map of variables (an Elastic Beanstalk option's value)", async () => {
    // real39 programs: `settings[35].value` from a secret's field read PASS, then inconclusive.
    const verdicts = await e2b06InBothModes("beanstalk-setting-", [
      'new aws.elasticbeanstalk.Environment("app", { application: "app", solutionStackName: "64bit Amazon Linux 2023 v6.1.0 running Node.js 20", settings: [',
      '  { namespace: "aws:elasticbeanstalk:application:environment", name: "REGION", value: "eu-west-1" },',
      // Its name hidden too, as when the settings are built from a secret's parsed fields.
      '  { namespace: "aws:elasticbeanstalk:application:environment", name: key.apply(() => "AGENT_TOKEN"), value: key.apply((k) => k) },',
      "] });",
    ]);
    expect(verdicts).not.toContain("inconclusive");
  });

  it("does not take a resource's own tags or labels built from the key config for sandbox variables", async () => {
    const verdicts = await e2b06InBothModes("tags-from-key-", [
      'new aws.sqs.Queue("calls", { tags: { upstream: pulumi.interpolate`agents-${key.apply((k) => k.length)}` } });',
      'new aws.lambda.Function("agent-api", { runtime: "nodejs20.x", handler: "index.handler", role: "arn:aws:iam::1:role/r",',
      "  code: new pulumi.asset.AssetArchive({}), environment: { variables: { E2B_API_KEY: key } } });",
    ]);
    expect(verdicts).toEqual(["pass", "pass"]);
  });

  it("is inconclusive with the passphrase too where the key config is combined with a value not known yet in a hidden env map (rt42 #6)", async () => {
    const verdicts = await e2b06InBothModes("env-map-with-unknown-", [
      'const lb = new aws.lb.LoadBalancer("api", { loadBalancerType: "application", subnets: ["subnet-a", "subnet-b"] });',
      'new aws.lambda.Function("agent-api", {',
      '  runtime: "nodejs20.x",',
      '  handler: "index.handler",',
      '  role: "arn:aws:iam::123456789012:role/agent",',
      "  code: new pulumi.asset.AssetArchive({}),",
      "  environment: pulumi.all([key, lb.dnsName]).apply(([k, dns]) => ({",
      "    variables: { API_URL: `https://${dns}`, SANDBOX_ENV_VARS: JSON.stringify({ E2B_API_KEY: k }) },",
      "  })),",
      "});",
    ]);
    expect(verdicts).toEqual(["inconclusive", "inconclusive"]);
  });
});
