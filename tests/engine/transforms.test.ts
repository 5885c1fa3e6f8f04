/**
 * Resource transforms run as the Pulumi engine runs them: the program's callback server is called for
 * every registration, the resource's own transforms first, then its parents', then the stack's, and
 * the monitor records what they return. Platform stacks tag every resource this way.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ProgramPool, runProgram, type GraphResource, type ResourceGraph } from "../../engine";
import { programCopy } from "../support/tmp";

const recording = path.join(__dirname, "fixtures/recording");

/** A program that tags through a stack transform and a component's `transforms`, in that order. */
function transformingProgram(): string {
  const dir = programCopy("transforms-", recording);
  writeFileSync(
    path.join(dir, "index.ts"),
    [
      'import * as sqs from "@pulumi/aws/sqs";',
      'import * as pulumi from "@pulumi/pulumi";',
      "",
      "// The stack's transform runs last: it sees what the component's returned.",
      "pulumi.runtime.registerResourceTransform(({ type, props, opts }) => {",
      '  if (type !== "aws:sqs/queue:Queue") return undefined;',
      '  return { props: { ...props, tags: { ...props.tags, order: `${props.tags?.order ?? ""}stack` } }, opts };',
      "});",
      "",
      "class Jobs extends pulumi.ComponentResource {",
      "  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {",
      '    super("acme:index:Jobs", name, {}, opts);',
      '    new sqs.Queue(`${name}-queue`, { tags: { team: "ml" } }, { parent: this });',
      "    this.registerOutputs({});",
      "  }",
      "}",
      'new Jobs("jobs", {',
      "  transforms: [",
      "    ({ props, opts }) => ({",
      '      props: { ...props, tags: { ...props.tags, order: "component," } },',
      "      opts: pulumi.mergeOptions(opts, { protect: true }),",
      "    }),",
      "  ],",
      "});",
      'new sqs.Queue("plain", {});',
      "",
    ].join("\n"),
  );
  return dir;
}

const queues = (g: ResourceGraph): Record<string, Pick<GraphResource, "inputs" | "options">> =>
  Object.fromEntries(
    g.resources
      .filter((r) => r.type === "aws:sqs/queue:Queue")
      .map((r) => [r.name, { inputs: { tags: r.inputs.tags }, options: r.options }]),
  );

describe("resource transforms", () => {
  const pool = new ProgramPool(1);
  afterAll(() => pool.close());

  it("fails the program with the transform's own error when a transform throws", async () => {
    const dir = programCopy("transform-throws-", recording, {
      "index.ts": [
        'import * as sqs from "@pulumi/aws/sqs";',
        'import * as pulumi from "@pulumi/pulumi";',
        "pulumi.runtime.registerResourceTransform(() => {",
        '  throw new Error("tagging policy: no cost-center tag");',
        "});",
        'new sqs.Queue("jobs", {});',
        "",
      ].join("\n"),
    });
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(
      /tagging policy: no cost-center tag/,
    );
    await expect(pool.run({ cwd: dir, stack: "dev" })).rejects.toThrow(/tagging policy: no cost-center tag/);
  });

  it("keeps a resource's dependsOn when only the stack's transforms ran, as the engine does", async () => {
    const dir = programCopy("transform-deps-", recording, {
      "index.ts": [
        'import * as sqs from "@pulumi/aws/sqs";',
        'import * as pulumi from "@pulumi/pulumi";',
        "// Options returned without dependsOn: the engine keeps the registration's own dependencies.",
        "pulumi.runtime.registerResourceTransform(({ props }) => ({ props, opts: {} }));",
        'const first = new sqs.Queue("first", {});',
        'new sqs.Queue("second", {}, { dependsOn: [first] });',
        "",
      ].join("\n"),
    });
    for (const g of [
      await runProgram({ cwd: dir, stack: "dev" }),
      await pool.run({ cwd: dir, stack: "dev" }),
    ])
      expect(g.resources.find((r) => r.name === "second")?.dependencies).toEqual([
        "urn:pulumi:dev::recording::aws:sqs/queue:Queue::first",
      ]);
  });

  it("runs the component's transform on its children, then the stack's, in both transports", async () => {
    const dir = transformingProgram();
    const expected = {
      "jobs-queue": {
        inputs: { tags: { team: "ml", order: "component,stack" } },
        options: { protect: true },
      },
      plain: { inputs: { tags: { order: "stack" } }, options: undefined },
    };
    // Through the language host, as `pulumi preview` runs the program.
    expect(queues(await runProgram({ cwd: dir, stack: "dev" }))).toEqual(expected);
    // Twice on a warm worker: the second run's transforms go to its own recorder.
    expect(queues(await pool.run({ cwd: dir, stack: "dev" }))).toEqual(expected);
    expect(queues(await pool.run({ cwd: dir, stack: "dev" }))).toEqual(expected);
  });
});
