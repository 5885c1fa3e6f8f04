/**
 * Output that cannot be written (cli/output.ts), with the real binary and real file descriptors: a
 * full disk on stdout or --output is one line and exit 2; a reader that closed the pipe ends the
 * run quietly with exit 2; neither leaves the policy pack running. And a crash nobody caught is
 * still one redacted line and exit 2.
 */
import "../support/e2b-api/sdk";
import { execFileSync, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { startE2BServer, type E2BServer } from "../support/e2b-api";
import { installCrashGuards, writeOutputFile } from "../../cli/output";
import { tmpDir } from "../support/tmp";
import { repoRoot } from "../support/scan";

const bin = path.join(repoRoot, "bin/e2b-guardrails.js");

let server: E2BServer;
let apiKey: string;
beforeAll(async () => {
  server = await startE2BServer();
  const { teamId } = server.state.addTeam();
  apiKey = server.state.addApiKey(teamId).key;
  // Enough attribution rows that the JSON report is far larger than a pipe's buffer.
  server.state.seedSandboxes(3000, { teamId, metadata: (i) => ({ user_id: `user-${i}` }) });
});
afterAll(() => server.close());

function cli(
  args: string[],
  stdout: "pipe" | "ignore" | number,
  env: Record<string, string> = {},
  onSpawn?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, E2B_API_KEY: apiKey, E2B_API_URL: server.url, ...env },
      stdio: ["ignore", stdout, "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    onSpawn?.(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const sandboxesAudit = ["sandboxes", "audit", "--max-age", "1h", "--by", "user_id", "--format", "json"];

/** Processes still running whose environment carries `mark`. */
function processesMarked(mark: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(mark)) out.push(Number(pid));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

describe("stdout that cannot be written", () => {
  test("a full disk (> /dev/full): one line naming stdout and ENOSPC, exit 2", async () => {
    const fd = openSync("/dev/full", "w");
    try {
      const r = await cli(sandboxesAudit, fd);
      expect(r).toEqual({ code: 2, stderr: "error: cannot write the report to stdout (ENOSPC)\n" });
    } finally {
      closeSync(fd);
    }
  }, 60_000);

  test("a reader that closed the pipe (| head -c 0): quiet, exit 2", async () => {
    const r = await cli(sandboxesAudit, "pipe", {}, (child) => child.stdout!.destroy());
    expect(r).toEqual({ code: 2, stderr: "" });
  }, 60_000);

  test("--output on a full disk: one line, exit 2", async () => {
    const r = await cli([...sandboxesAudit, "--output", "/dev/full"], "ignore");
    expect(r).toEqual({ code: 2, stderr: "error: --output /dev/full: cannot write there (ENOSPC)\n" });
  }, 60_000);

  test("audit > /dev/full stops the policy pack too", async () => {
    const mark = `E2B_GUARDRAILS_TEST_MARK=${randomUUID()}`;
    const fd = openSync("/dev/full", "w");
    try {
      const state = path.join(repoRoot, "tests/engine/fixtures/state/lambda-key-shown.json");
      const r = await cli(["audit", "--state", state, "--format", "json"], fd, {
        E2B_GUARDRAILS_TEST_MARK: mark.split("=")[1],
      });
      expect(r).toEqual({ code: 2, stderr: "error: cannot write the report to stdout (ENOSPC)\n" });
    } finally {
      closeSync(fd);
    }
    expect(processesMarked(mark)).toEqual([]);
  }, 90_000);
});

describe("a crash nobody caught", () => {
  test("is one redacted line and exit 2; the stack only with --debug", () => {
    const key = "e2b_" + "9f".repeat(20);
    for (const debug of [false, true]) {
      const proc = Object.assign(new EventEmitter(), { exit: jest.fn() }) as unknown as NodeJS.Process;
      let err = "";
      const spy = jest.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => {
        err += String(c);
        return true;
      });
      try {
        installCrashGuards(debug, proc);
        proc.emit("unhandledRejection", new Error(`lost ${key}\nsecond line`), Promise.resolve());
      } finally {
        spy.mockRestore();
      }
      expect(proc.exit).toHaveBeenCalledWith(2);
      expect(err).not.toContain(key.slice(4, 24));
      if (debug) expect(err).toMatch(/^error: Error: lost e2b_…9f9f\nsecond line\n\s+at /);
      else expect(err).toBe("error: lost e2b_…9f9f\n");
    }
  });
});

describe("--output naming a FIFO", () => {
  it("says at once that no process reads it, instead of blocking (where no signal could end the run)", () => {
    const fifo = path.join(tmpDir("out-fifo-"), "report.json");
    execFileSync("mkfifo", [fifo]);
    expect(() => writeOutputFile(fifo, "{}")).toThrow(
      `--output ${fifo}: cannot write there (ENXIO: no process is reading this pipe)`,
    );
  });

  it("writes the whole report to a reader, however slowly it reads", async () => {
    const fifo = path.join(tmpDir("out-fifo-"), "report.json");
    execFileSync("mkfifo", [fifo]);
    const reader = spawn("sh", ["-c", `sleep 0.2; cat "$0" | wc -c`, fifo]);
    let counted = "";
    reader.stdout.on("data", (d: Buffer) => (counted += d.toString()));
    const done = new Promise((r) => reader.on("exit", r));
    // Opened only once the reader has it open; larger than a pipe holds.
    for (let i = 0; i < 50 && !(await readerHasIt(reader.pid!, fifo)); i++)
      await new Promise((r) => setTimeout(r, 50));
    writeOutputFile(fifo, "x".repeat(300_000));
    await done;
    expect(Number(counted.trim())).toBe(300_000);
  });
});

/** Whether a process (or one of its children) has `file` open. */
async function readerHasIt(pid: number, file: string): Promise<boolean> {
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (Number(p) !== pid && ppid !== pid) continue;
      for (const fd of readdirSync(`/proc/${p}/fd`))
        if (readlinkSync(`/proc/${p}/fd/${fd}`) === file) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}
