/**
 * A warm worker runs many programs in turn: each run must record exactly what a fresh process
 * records, with nothing carried over from the program before (resources, config, stack name).
 */
import path from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import {
  ProgramPool,
  ProgramError,
  runProgram,
  type ResourceGraph,
  type RunProgramOptions,
} from "../../engine";
import { programCopy } from "../support/tmp";

const recording: RunProgramOptions = { cwd: path.join(__dirname, "fixtures/recording"), stack: "dev" };
const lambda: RunProgramOptions = { cwd: path.join(__dirname, "../cli/fixtures/lambda-key"), stack: "dev" };

describe("program pool (warm workers)", () => {
  const pool = new ProgramPool(1);
  afterAll(() => pool.close());

  it("records the same graph as a fresh process, run after run, with nothing carried over", async () => {
    const [freshRecording, freshLambda] = await Promise.all([runProgram(recording), runProgram(lambda)]);
    // Registration order follows the program's promise timing, which differs between transports.
    const byUrn = (g: ResourceGraph) => ({
      ...g,
      resources: [...g.resources].sort((a, b) => a.urn.localeCompare(b.urn)),
    });
    const first = await pool.run(recording);
    const second = await pool.run(lambda);
    const third = await pool.run(recording);
    expect(byUrn(first)).toEqual(byUrn(freshRecording));
    expect(byUrn(second)).toEqual(byUrn(freshLambda));
    expect(byUrn(third)).toEqual(byUrn(freshRecording));
    expect(second.resources.some((r) => r.urn.includes("::recording::"))).toBe(false);
  });

  it("starts each program with the environment the worker had, whatever the program before set", async () => {
    const setter = programCopy("env-setter-", recording.cwd, {
      "index.ts":
        'process.env.E2B_API_KEY = "set by the program before";\nprocess.env.HOME = "/elsewhere";\n',
    });
    const reader = programCopy("env-reader-", recording.cwd, {
      "index.ts":
        'export const seen = process.env.E2B_API_KEY ?? "unset";\nexport const home = process.env.HOME;\n',
    });
    await pool.run({ cwd: setter, stack: "dev" });
    // A program that replaces the environment object: the next one's reads of unset variables are
    // still recorded (rt50 #4).
    const replacer = programCopy("env-replacer-", recording.cwd, {
      "index.ts": 'process.env = { ...process.env, STAGE: "prod" };\n',
    });
    await pool.run({ cwd: replacer, stack: "dev" });
    const outputs = (await pool.run({ cwd: reader, stack: "dev" })).resources.find(
      (r) => r.type === "pulumi:pulumi:Stack",
    )?.outputs;
    expect(outputs).toEqual({ seen: "unset", home: process.env.HOME });
    expect((await pool.run({ cwd: reader, stack: "dev" })).programUnsetEnv).toContain("E2B_API_KEY");
  });

  it("does not count a loader's check before it sets a variable as a read of it unset (dotenv, real44 #2)", async () => {
    const key = `e2b_${"3f9a1c7e5b2d4086af13c9e7b5d20f4a6c8e1b3d"}`;
    // As dotenv's populate does: set only what is not set yet, then the program reads it.
    const loader = (then: string) =>
      programCopy("env-loader-", recording.cwd, {
        "index.ts":
          `if (!Object.prototype.hasOwnProperty.call(process.env, "E2B_API_KEY")) ${then}\n` +
          'export const length = (process.env.E2B_API_KEY ?? "").length;\n',
      });
    for (const set of [
      `process.env.E2B_API_KEY = "${key}";`,
      // Set by another name (rt54 #3).
      `Object.defineProperty(process.env, "E2B_API_KEY", { value: "${key}", enumerable: true, writable: true, configurable: true });`,
    ]) {
      const loaded = await pool.run({ cwd: loader(set), stack: "dev" });
      expect(loaded.programUnsetEnv ?? []).not.toContain("E2B_API_KEY");
      expect(loaded.programKeyEnv?.map((k) => k.name)).toEqual(["E2B_API_KEY"]);
    }
    // A loader that reads before it sets (`=== undefined`, rt53 #8): no unset read once it set the key.
    const reading = await pool.run({
      cwd: programCopy("env-loader-get-", recording.cwd, {
        "index.ts": `if (process.env.E2B_API_KEY === undefined) process.env.E2B_API_KEY = "${key}";\nexport {};\n`,
      }),
      stack: "dev",
    });
    expect(reading.programUnsetEnv ?? []).not.toContain("E2B_API_KEY");
    // Checked and left unset: then read unset.
    const unset = await pool.run({ cwd: loader("console.log('no key');"), stack: "dev" });
    expect(unset.programUnsetEnv).toContain("E2B_API_KEY");
    // Put there and not read before the preview ends (read in an `apply` that never runs offline):
    // the program holds the key all the same.
    const held = await pool.run({
      cwd: programCopy("env-held-", recording.cwd, {
        "index.ts": `process.env.E2B_API_KEY = "${key}";\nexport {};\n`,
      }),
      stack: "dev",
    });
    expect(held.programKeyEnv?.map((k) => k.name)).toEqual(["E2B_API_KEY"]);
  });

  it("lists the modules a program loaded from its folder, in both transports, without installed packages", async () => {
    const dir = programCopy("modules-", recording.cwd);
    mkdirSync(path.join(dir, "lib"));
    writeFileSync(path.join(dir, "lib", "names.ts"), 'export const owner = "platform";\n');
    writeFileSync(path.join(dir, "unused.ts"), "export {};\n");
    writeFileSync(
      path.join(dir, "index.ts"),
      'import { owner } from "./lib/names";\nexport const who = owner;\n',
    );
    const expected = [path.join(dir, "index.ts"), path.join(dir, "lib", "names.ts")];
    expect((await runProgram({ cwd: dir, stack: "dev" })).programModules).toEqual(expected);
    expect((await pool.run({ cwd: dir, stack: "dev" })).programModules).toEqual(expected);
    // Run again on the warm worker: the program's modules load again, so they are listed again.
    expect((await pool.run({ cwd: dir, stack: "dev" })).programModules).toEqual(expected);
  });

  it("lists the other files a program read from its folder, in both transports, each way it can read them", async () => {
    const dir = programCopy("reads-", recording.cwd);
    const read = [
      ...["sync.env", "callback.yaml", "promise.txt", "by-url.json", "as-buffer.conf"],
      ...["stream.csv", "descriptor.ini", "handle.toml"],
    ];
    for (const f of [...read, "written.log"]) writeFileSync(path.join(dir, f), "x\n");
    writeFileSync(path.join(dir, "untouched.txt"), "x\n");
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as fs from "node:fs";',
        'import * as path from "node:path";',
        'import { pathToFileURL } from "node:url";',
        "const at = (f: string) => path.join(__dirname, f);",
        'fs.readFileSync(at("sync.env"), "utf8");',
        'fs.readFileSync(pathToFileURL(at("by-url.json")));',
        'fs.readFileSync(Buffer.from(at("as-buffer.conf")));',
        // Outside the folder, and an installed package's file: not the program's.
        'fs.readFileSync("/etc/hostname");',
        'fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"));',
        // Opened for reading (a readline loader, a descriptor, a FileHandle); one opened to append to.
        'fs.readSync(fs.openSync(at("descriptor.ini"), "r"), Buffer.alloc(2));',
        'fs.closeSync(fs.openSync(at("written.log"), "a"));',
        // A file the program renders and reads back is its output, not a file it was given.
        'fs.writeFileSync(at("rendered.env"), "K=1\\n");',
        'fs.readFileSync(at("rendered.env"), "utf8");',
        "export const done = Promise.all([",
        '  new Promise((ok) => fs.readFile(at("callback.yaml"), ok)),',
        '  fs.promises.readFile(at("promise.txt")),',
        '  new Promise((ok) => fs.createReadStream(at("stream.csv")).on("close", ok).resume()),',
        '  fs.promises.open(at("handle.toml")).then((h) => h.readFile().then(() => h.close())),',
        ']).then(() => "read");',
        "",
      ].join("\n"),
    );
    const expected = [...read].sort().map((f) => path.join(dir, f));
    const fresh = await runProgram({ cwd: dir, stack: "dev" });
    expect(fresh.programReads).toEqual(expected);
    expect(fresh.programModules).toEqual([path.join(dir, "index.ts")]);
    expect((await pool.run({ cwd: dir, stack: "dev" })).programReads).toEqual(expected);
    // Nothing carried over to the next program on the same warm worker.
    expect((await pool.run(lambda)).programReads).toEqual([]);
  });

  it("keeps the outputs of a TypeScript program that mixes `export const` with `exports[…] =`, as preview does", async () => {
    const dir = programCopy("mixed-exports-", recording.cwd);
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as pulumi from "@pulumi/pulumi";',
        'export const region = "eu-west-1";',
        'exports["computed-name"] = pulumi.output("a");',
        "exports.plain = 2;",
        "module.exports.viaModule = 3;",
        "",
      ].join("\n"),
    );
    const outputsOf = (g: ResourceGraph) =>
      g.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs;
    const expected = { region: "eu-west-1", "computed-name": "a", plain: 2, viaModule: 3 };
    // The language host runs it through the SDK's ts-node, as `pulumi preview` does.
    expect(outputsOf(await runProgram({ cwd: dir, stack: "dev" }))).toEqual(expected);
    expect(outputsOf(await pool.run({ cwd: dir, stack: "dev" }))).toEqual(expected);
  });

  it("records aliases given as specs as the URNs the CLI hands analyzers, in both transports", async () => {
    const dir = programCopy("aliases-", recording.cwd, {
      "index.ts": [
        'import * as sqs from "@pulumi/aws/sqs";',
        'new sqs.Queue("jobs", {}, { aliases: [{ name: "old-jobs" }, "urn:pulumi:dev::recording::aws:sqs/queue:Queue::older"] });',
        "",
      ].join("\n"),
    });
    const expected = [
      "urn:pulumi:dev::recording::aws:sqs/queue:Queue::older",
      "urn:pulumi:dev::recording::aws:sqs/queue:Queue::old-jobs",
    ].sort();
    for (const g of [
      await runProgram({ cwd: dir, stack: "dev" }),
      await pool.run({ cwd: dir, stack: "dev" }),
    ])
      expect([...(g.resources.find((r) => r.name === "jobs")?.options?.aliases ?? [])].sort()).toEqual(
        expected,
      );
  });

  it("retires a worker whose program failed and keeps serving", async () => {
    const dir = programCopy("broken-", recording.cwd);
    writeFileSync(path.join(dir, "index.ts"), 'throw new Error("broken program");\n');
    // On the warm worker from the test above, which the failure retires.
    const failed = pool.run({ cwd: dir, stack: "dev" });
    await expect(failed).rejects.toThrow(ProgramError);
    // The error itself on the first line, as from the language host (not the SDK's heading).
    await expect(failed).rejects.toThrow(/index\.ts: the program failed: Error: broken program\n/);
    expect((await pool.run(lambda)).resources.map((r) => r.name)).toContain("api");
  });

  it.each([
    ["throws at once", 'throw new Error("deploy failed");'],
    ["rejects its exported promise", 'module.exports = Promise.reject(new Error("deploy failed"));'],
    ["crashes its worker", "process.exit(3);"],
  ])(
    "relays everything a program printed before it %s, both streams to their last line",
    async (_how, ending) => {
      // More than a pipe holds (64 KiB) on each stream, then the end at once: the reply and the exit
      // arrive on other channels than the output, and may come first.
      const dir = programCopy("printed-", recording.cwd);
      const pad = "x".repeat(300);
      writeFileSync(
        path.join(dir, "index.ts"),
        [
          `for (let i = 0; i < 300; i++) { console.log("out " + i + " ${pad}"); console.error("err " + i + " ${pad}"); }`,
          'console.log("last stdout line"); console.error("last stderr line");',
          ending,
        ].join("\n"),
      );
      for (let round = 0; round < 3; round++) {
        const failed = await pool.run({ cwd: dir, stack: "dev" }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(failed).toBeInstanceOf(ProgramError);
        // Each stream to its last line (a worker that crashed after the throw adds Node's report after it).
        const [stdout, stderr] = (failed as ProgramError).streams;
        expect(stdout).toMatch(/^out 299 x+\nlast stdout line$/m);
        expect(stderr).toMatch(/^err 299 x+\nlast stderr line$/m);
      }
    },
    60_000,
  );
});
