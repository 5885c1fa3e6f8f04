/**
 * The SDK matrix: our compat programs, written in the shapes public example programs have, previewed
 * under @pulumi/pulumi 3.100.0, 3.158.0, 3.228.0 and the newest release through the language-host
 * protocol. Every version must record the same graph shape and get the same verdicts; where a version's
 * own SDK cannot run a shape (TypeScript ES modules before 3.190), the user gets the CLI's one line.
 */
import path from "node:path";
import { ProgramError, UNKNOWN, runProgram, type GraphResource, type ResourceGraph } from "../../engine";
import { openSession, scanGraph, type ScanSession } from "../../cli/scan";
import type { StackReport } from "../../policies/report";
import { matrixVersions, programIn, sdkFolder } from "./sdk-cache";

const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const versions = matrixVersions();
const programs = ["refs-and-closures", "esm-site", "plain-js", "components-and-refs"] as const;
/** cmd/run registers ts-node's ESM loader from 3.190.0 on; before, a TypeScript ES module cannot load. */
const supports = (program: string, sdk: string) => program !== "esm-site" || Number(sdk.split(".")[1]) >= 190;

type Run = { graph: ResourceGraph; report: StackReport } | { error: string };
const runs = new Map<string, Run>();
let session: ScanSession;

beforeAll(async () => {
  session = await openSession();
  for (const sdk of versions) {
    const dir = sdkFolder(sdk);
    for (const program of programs) {
      const key = `${program}@${sdk}`;
      try {
        const graph = await runProgram({ cwd: programIn(dir, program), stack: "dev" });
        runs.set(key, { graph, report: await scanGraph(session, graph) });
      } catch (e) {
        if (!(e instanceof ProgramError)) throw e;
        runs.set(key, { error: e.message });
      }
    }
  }
});
afterAll(() => session?.close());

function ok(program: string, sdk: string): { graph: ResourceGraph; report: StackReport } {
  const run = runs.get(`${program}@${sdk}`)!;
  if ("error" in run) throw new Error(`${program} under @pulumi/pulumi ${sdk} failed: ${run.error}`);
  return run;
}

/** What must not vary with the SDK: which resources exist, where they sit, and what kind they are. */
function shape(graph: ResourceGraph): string[] {
  const typeOf = new Map(graph.resources.map((r) => [r.urn, r.type]));
  return graph.resources
    .map(
      (r) =>
        `${r.type} ${r.name} parent=${r.parent ? typeOf.get(r.parent) : "-"} custom=${r.custom} remote=${!!r.remote} external=${!!r.external}`,
    )
    .sort();
}

function verdicts(report: StackReport): string[] {
  return [
    ...report.cases.map((c) => `${c.id} ${c.status}`),
    ...report.findings.map((f) => `${f.policy} ${f.enforcementLevel} ${f.urn}`).sort(),
  ];
}

const named = (graph: ResourceGraph, type: string, name: string): GraphResource => {
  const r = graph.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};

describe.each(programs)("%s under every @pulumi/pulumi in the matrix", (program) => {
  const baseline = versions.find((v) => supports(program, v))!;

  it.each(versions)("@pulumi/pulumi %s records the same graph shape and verdicts", (sdk) => {
    if (!supports(program, sdk)) {
      const run = runs.get(`${program}@${sdk}`)!;
      // The SDK fails as it would under the CLI: "Unknown file extension .ts" (3.158), TS 3.8 rejecting
      // nodenext (3.100): one error naming the program, never a silent pass.
      expect(run).toEqual({ error: expect.stringMatching(/esm-site\/index\.ts: the program failed: /) });
      return;
    }
    const { graph, report } = ok(program, sdk);
    expect(graph.resources.length).toBeGreaterThan(2);
    expect(shape(graph)).toEqual(shape(ok(program, baseline).graph));
    expect(verdicts(report)).toEqual(verdicts(ok(program, baseline).report));
  });
});

describe.each(versions.filter((v) => supports("esm-site", v)))(
  "an ES module program under @pulumi/pulumi %s",
  (sdk) => {
    it("lists its own modules for the code check, though they load off the main thread", () => {
      const { graph } = ok("esm-site", sdk);
      // Its modules (some SDKs also list the package.json they `require`).
      const names = (graph.programModules ?? []).map((f) => path.basename(f));
      expect(names.filter((n) => n.endsWith(".ts"))).toEqual(["index.ts", "site-files.ts"]);
    });
  },
);

describe.each(versions)("what the pack and the graph hold under @pulumi/pulumi %s", (sdk) => {
  it("serializes a CallbackFunction's closure, captured variables included, with the program's own SDK", () => {
    const { graph } = ok("refs-and-closures", sdk);
    const fn = named(graph, "aws:lambda/function:Function", "worker");
    // The SDK makes code that captured a secret a secret.
    const secret = fn.inputs.code as Record<string, unknown>;
    expect(secret[SIG]).toBe(SECRET_SIG);
    const code = secret.value as Record<string, unknown>;
    expect(code[SIG]).toBe(ARCHIVE_SIG);
    const index = (code.assets as Record<string, Record<string, string>>)["__index.js"];
    expect(index[SIG]).toBe(ASSET_SIG);
    expect(index.text).toContain("counter");
    expect(index.text).toContain("runs");
  });

  it("keeps the provenance of an undecryptable secret a closure captures (the code names its config key and depends on it)", () => {
    const { graph } = ok("refs-and-closures", sdk);
    const fn = named(graph, "aws:lambda/function:Function", "worker");
    const code = (fn.inputs.code as { value: { assets: Record<string, Record<string, string>> } }).value;
    expect(code.assets["__index.js"].text).toContain("[secret compat-refs:hookToken]");
    expect(fn.propertyDependencies.code).toEqual([
      expect.stringMatching(/::e2b-guardrails:offline:UndecryptedConfig::compat-refs:hookToken$/),
    ]);
  });

  it("keeps a resource passed as an input as a reference, and the pack judges it (no unmarshal error)", () => {
    const { graph, report } = ok("refs-and-closures", sdk);
    const object = named(graph, "aws:s3/bucketObject:BucketObject", "index");
    expect(object.propertyDependencies.bucket).toEqual([
      named(graph, "aws:s3/bucket:Bucket", "status-site").urn,
    ]);
    expect((object.inputs.source as Record<string, string>).path).toBe("www/index.html");
    expect(report.cases.every((c) => c.status === "not-applicable")).toBe(true);
  });

  it("records reads, explicit providers and the root stack's outputs of a plain JavaScript program", () => {
    const { graph } = ok("plain-js", sdk);
    expect(named(graph, "pulumi:pulumi:StackReference", "acme/network/dev").external).toBe(true);
    const queue = named(graph, "aws:sqs/queue:Queue", "jobs");
    expect(queue.provider).toMatch(/::pulumi:providers:aws::west::/);
    const stack = named(graph, "pulumi:pulumi:Stack", "compat-js-dev");
    expect(stack.outputs.queueArn).toBe(UNKNOWN);
  });

  it("traces an undecryptable secret config value through interpolate to the property it feeds", () => {
    const { graph, report } = ok("plain-js", sdk);
    const calls = named(graph, "aws:sqs/queue:Queue", "calls");
    expect(calls.propertyDependencies.tags).toEqual([
      "urn:pulumi:dev::compat-js::e2b-guardrails:offline:UndecryptedConfig::compat-js:e2bApiKey",
    ]);
    expect(calls.dependencies).toEqual([]);
    expect(report.cases.find((c) => c.id === "E2B-01")?.status).toBe("fail");
    expect(report.findings.filter((f) => f.urn === calls.urn).map((f) => f.message)).toEqual([
      expect.stringContaining("property tags takes its value from secret config compat-js:e2bApiKey"),
    ]);
    // Exported too: the stack output keeps the config key it came from.
    const stack = named(graph, "pulumi:pulumi:Stack", "compat-js-dev");
    expect(stack.propertyDependencies.callsAuth).toEqual(calls.propertyDependencies.tags);
    expect(report.findings.filter((f) => f.urn === stack.urn).map((f) => f.message)).toEqual([
      expect.stringContaining("exports stack output callsAuth from secret config compat-js:e2bApiKey"),
    ]);
    // A component's output too; its `dependencies` stay every output's, as the rules read them.
    const upstream = named(graph, "acme:agents:Upstream", "upstream");
    const jobs = named(graph, "aws:sqs/queue:Queue", "jobs").urn;
    expect(upstream.dependencies).toEqual([jobs]);
    expect(upstream.propertyDependencies).toEqual({
      token: [jobs, ...calls.propertyDependencies.tags],
      queue: [jobs],
    });
    expect(report.findings.filter((f) => f.urn === upstream.urn).map((f) => f.message)).toEqual([
      expect.stringContaining("property token takes its value from secret config compat-js:e2bApiKey"),
    ]);
  });

  it("records a multi-language component with its inputs and reports it as not expanded offline", () => {
    const { graph, report } = ok("components-and-refs", sdk);
    const service = named(graph, "awsx:ecs:FargateService", "web");
    expect(service).toMatchObject({ remote: true, custom: false, inputs: { desiredCount: 2 } });
    expect(graph.offline?.unexpandedComponents).toEqual(["awsx:ecs:FargateService"]);
    expect(report.cases.find((c) => c.id === "E2B-01")?.status).toBe("fail");
  });
});
