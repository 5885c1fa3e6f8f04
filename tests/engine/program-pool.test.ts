/**
 * A warm worker runs many programs in turn: each run must record exactly what a fresh process
 * records, with nothing carried over from the program before (resources, config, stack name).
 */
import path from "node:path";
import { cpSync, symlinkSync, writeFileSync } from "node:fs";
import {
  ProgramPool,
  ProgramError,
  runProgram,
  type ResourceGraph,
  type RunProgramOptions,
} from "../../engine";
import { tmpDir } from "../support/tmp";

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

  it("retires a worker whose program failed and keeps serving", async () => {
    const dir = tmpDir("broken-");
    cpSync(recording.cwd, dir, { recursive: true });
    symlinkSync(path.resolve(__dirname, "../../node_modules"), path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, "index.ts"), 'throw new Error("broken program");\n');
    // On the warm worker from the test above, which the failure retires.
    const failed = pool.run({ cwd: dir, stack: "dev" });
    await expect(failed).rejects.toThrow(ProgramError);
    await expect(failed).rejects.toThrow(/broken program/);
    expect((await pool.run(lambda)).resources.map((r) => r.name)).toContain("api");
  });
});
