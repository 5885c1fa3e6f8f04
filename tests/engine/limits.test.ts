/**
 * Input limits (engine/limits.ts): a graph from any source (a program's registrations too) that is
 * too deep or too large is refused before a request is built, as one line naming the source and the
 * resource — not a protobuf failure, not a stack overflow — and the pack process keeps serving.
 */
import type { GraphResource, ResourceGraph, WireObject } from "../../engine";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { AnalyzerHost, InputError } from "../../engine";
import { LIMITS, checkJsonSize, checkTree, nextResource, readBoundedText } from "../../engine/limits";
import { useScanner } from "../support/scan";
import { tmpDir } from "../support/tmp";

function graph(inputs: WireObject): ResourceGraph {
  const r: GraphResource = {
    urn: "urn:pulumi:dev::app::aws:s3/bucket:Bucket::deep",
    type: "aws:s3/bucket:Bucket",
    name: "deep",
    custom: true,
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: inputs,
  };
  return {
    project: "app",
    stack: "dev",
    organization: "o",
    source: { kind: "program", path: "/work/app" },
    tags: {},
    config: {},
    resources: [r],
  };
}

function nested(depth: number): WireObject {
  let v: WireObject = { leaf: "x" };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("input limits", () => {
  const scan = useScanner();

  it("judges a resource nested 1,500 levels deep (sent flattened), and keeps serving", async () => {
    const deep = await scan.graph(graph(nested(1500)));
    expect(deep.stack.stack).toBe("dev");
    const { stack } = await scan.graph(graph(nested(50)));
    expect(stack.stack).toBe("dev");
  }, 30_000);

  it("refuses a resource with more property values than the limit", async () => {
    const wide: WireObject = {};
    for (let i = 0; i <= LIMITS.resourceValues / 2; i++) wide[`k${i}`] = i;
    await expect(scan.graph(graph(wide))).rejects.toThrow(
      /^too large: \/work\/app \(limit 500,000 property values per resource; passed at /,
    );
  }, 30_000);

  it("counts a stack's values across its resources, and each resource's on its own", () => {
    // Budgets as a stack would have them part-way: the stack's nearly spent, or the resource's.
    const tree = { a: [1, 2, 3], b: { c: 4 } };
    expect(() => checkTree(tree, "r.inputs", "s.json", { left: 4, resourceLeft: 100 })).toThrow(
      "too large: s.json (limit 2,500,000 property values per stack; passed at r.inputs)",
    );
    expect(() => checkTree(tree, "r.inputs", "s.json", { left: 100, resourceLeft: 4 })).toThrow(
      "too large: s.json (limit 500,000 property values per resource; passed at r.inputs)",
    );
    const budget = { left: 100, resourceLeft: 100 };
    checkTree(tree, "r.inputs", "s.json", budget);
    expect(budget).toEqual({ left: 93, resourceLeft: 93 }); // the root, its 2 children, their 4
    nextResource(budget);
    expect(budget).toEqual({ left: 93, resourceLeft: LIMITS.resourceValues });
  });

  it("reads at most the limit from an endless device", () => {
    expect(() => readBoundedText("/dev/zero", 1 << 20)).toThrow("too large: /dev/zero (limit 1 MiB)");
  });

  it("gives up on a FIFO no process writes to instead of blocking for ever", () => {
    const fifo = path.join(tmpDir("fifo-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    const t0 = Date.now();
    expect(() => readBoundedText(fifo, 1 << 20, { silenceMs: 10_000, writerMs: 300 })).toThrow(
      `${fifo}: nothing to read: no process opened this pipe to write to it within 0.3 s`,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("gives up on a pipe whose writer sends nothing", () => {
    const fifo = path.join(tmpDir("fifo-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `exec 3>"$0"; sleep 30`, fifo], { stdio: "ignore" });
    try {
      expect(() => readBoundedText(fifo, 1 << 20, { silenceMs: 400, writerMs: 5_000 })).toThrow(
        `${fifo}: nothing to read: the process writing to this pipe sent nothing within 0.4 s`,
      );
    } finally {
      writer.kill();
    }
  });

  it("gives up on a pipe whose writer sends a byte now and then, past the whole read's limit", () => {
    const fifo = path.join(tmpDir("fifo-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `exec 3>"$0"; while :; do printf ' ' >&3; sleep 0.1; done`, fifo], {
      stdio: "ignore",
    });
    try {
      expect(() =>
        readBoundedText(fifo, 1 << 20, { silenceMs: 5_000, writerMs: 5_000, totalMs: 600 }),
      ).toThrow(`${fifo}: the process writing to this pipe did not finish within 0.6 s`);
    } finally {
      writer.kill();
    }
  });

  it("reads a pipe whose writer closes it without writing as empty, as cat does, not as one never opened", () => {
    const fifo = path.join(tmpDir("fifo-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `exec 3>"$0"; sleep 0.5`, fifo], { stdio: "ignore" });
    try {
      expect(readBoundedText(fifo, 1 << 20, { silenceMs: 10_000, writerMs: 200 })).toBe("");
    } finally {
      writer.kill();
    }
  });

  it("reads a shell's pipe whose command printed nothing and ended (`--state <(true)`) as empty at once", async () => {
    // A shell holding such a pipe as its descriptor 3, read through /proc as /dev/fd/3 would be.
    const holder = spawn("bash", ["-c", "exec 3< <(true); sleep 30"], { stdio: "ignore" });
    try {
      const fd3 = `/proc/${holder.pid}/fd/3`;
      for (let i = 0; i < 100 && !existsSync(fd3); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200)); // `true` has exited
      expect(readBoundedText(fd3, 1 << 20, { silenceMs: 10_000, writerMs: 5_000 })).toBe("");
    } finally {
      holder.kill();
    }
  });

  it("reads a FIFO whose writer opens it after the read began", () => {
    const fifo = path.join(tmpDir("fifo-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    // spawn starts the writer before returning; it opens the FIFO only after a pause.
    const writer = spawn("sh", ["-c", `sleep 0.3; printf '{"version": 3}' > "$0"`, fifo], {
      stdio: "ignore",
    });
    try {
      expect(readBoundedText(fifo, 1 << 20, { silenceMs: 10_000, writerMs: 5_000 })).toBe('{"version": 3}');
    } finally {
      writer.kill();
    }
  });

  it("counts values in JSON text without parsing it, strings included", () => {
    expect(() => checkJsonSize(`[${"0,".repeat(LIMITS.values)}0]`, "a.json")).toThrow(/^too large: a\.json/);
    expect(() => checkJsonSize(JSON.stringify(",".repeat(LIMITS.values + 5)), "b.json")).not.toThrow();
  });
});

/** Our live child processes running `pack`. */
function livePacks(pack: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (
          Number(ppid) === process.pid &&
          state !== "Z" &&
          readFileSync(`/proc/${d}/cmdline`, "utf8").includes(pack)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("a pack that never answers", () => {
  it("is given up after E2B_GUARDRAILS_PACK_TIMEOUT_MS, in one line, and stopped", async () => {
    const saved = process.env.E2B_GUARDRAILS_PACK_TIMEOUT_MS;
    process.env.E2B_GUARDRAILS_PACK_TIMEOUT_MS = "1000";
    try {
      const pack = path.join(__dirname, "fixtures/crashing-pack");
      const started = Date.now();
      await expect(AnalyzerHost.start(pack, { env: { CRASH_MODE: "silent" } })).rejects.toThrow(
        new InputError(`${pack}: policy pack did not report its port within 1 s`),
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(livePacks(pack)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.E2B_GUARDRAILS_PACK_TIMEOUT_MS;
      else process.env.E2B_GUARDRAILS_PACK_TIMEOUT_MS = saved;
    }
  }, 30_000);
});
