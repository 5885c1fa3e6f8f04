/**
 * A cancelled CI job signals the CLI: the pack and program processes it started must end with it, and
 * it exits 128 + the signal number. Descendants are found through /proc, so a child that escaped its
 * parent (reparented to init) is still seen by its process group and command line.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { tmpDir } from "../support/tmp";

const root = path.resolve(__dirname, "../..");
const cli = path.join(root, "bin/e2b-guardrails.js");

function processes(): { pid: number; ppid: number; pgid: number; cmd: string }[] {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      out.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]), cmd });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

type Proc = ReturnType<typeof processes>[number];

// One /proc snapshot per poll: reading it costs ~5 ms of CPU with a hundred processes on the machine.
function descendants(pid: number, all: Proc[] = processes()): number[] {
  const found = new Set<number>();
  let frontier = [pid];
  while (frontier.length) {
    const next = all.filter((p) => frontier.includes(p.ppid) && !found.has(p.pid)).map((p) => p.pid);
    next.forEach((p) => found.add(p));
    frontier = next;
  }
  return [...found];
}

function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false; // gone, even between a check for /proc/<pid> and the read
  }
}

async function until(what: string, test: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exit };
}

const packOf = (pid: number) => {
  const all = processes();
  return descendants(pid, all).filter((p) => all.find((x) => x.pid === p)?.cmd.includes("run-policy-pack"));
};

describe("signals end every child the CLI started", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)(
    "preview: %s while the program runs ends the program and the pack, leaves no temporary folder, exit %i",
    async (signal, code) => {
      const marker = path.join(tmpDir("sig-"), "pid");
      const tmp = tmpDir("sig-tmp-");
      const ours = () => readdirSync(tmp).filter((f) => f.startsWith("e2b-guardrails-"));
      const { child, exit } = start(
        ["preview", "--cwd", "tests/cli/fixtures/hanging-program", "--stack", "dev"],
        {
          HANGING_PROGRAM_MARKER: marker,
          TMPDIR: tmp,
        },
      );
      await until("the program to start", () => existsSync(marker) && readFileSync(marker, "utf8") !== "");
      await until("the pack to start", () => packOf(child.pid!).length > 0);
      const program = Number(readFileSync(marker, "utf8"));
      const tree = descendants(child.pid!);
      expect(tree).toContain(program);
      expect(ours()).toHaveLength(1); // the folder the program's module list is written to
      child.kill(signal);
      expect(await exit).toBe(code);
      expect(ours()).toEqual([]);
      await until("every child to end", () => !tree.some(alive), 10_000);
    },
  );

  it("evals: SIGTERM ends the pack and the warm program workers, exit 143", async () => {
    const { child, exit } = start(["evals", "--case", "E2B-02"]);
    await until("the pack and a program worker", () => {
      const all = processes();
      const tree = descendants(child.pid!, all);
      const cmds = all.filter((p) => tree.includes(p.pid)).map((p) => p.cmd);
      return cmds.some((c) => c.includes("run-policy-pack")) && cmds.some((c) => c.includes("program-host"));
    });
    const tree = descendants(child.pid!);
    child.kill("SIGTERM");
    expect(await exit).toBe(143);
    await until("every child to end", () => !tree.some(alive), 10_000);
  });

  it("audit: SIGTERM while --state is a pipe that sends nothing ends the run at once, no pack started", async () => {
    // The read blocks the thread, so no handler can run: the pack waits for the input, and the
    // signal's default action ends the run (the status a shell reports is 143 either way).
    const fifo = path.join(tmpDir("sig-fifo-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `exec 3>"$0"; sleep 120`, fifo], { stdio: "ignore" });
    try {
      const child = spawn(process.execPath, [cli, "audit", "--state", fifo], { cwd: root, stdio: "ignore" });
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.on("exit", (code, signal) => r({ code, signal })),
      );
      const reading = () => {
        try {
          return readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
            try {
              return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === fifo;
            } catch {
              return false;
            }
          });
        } catch {
          return false;
        }
      };
      await until("the CLI to read the pipe", reading, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      const tree = descendants(child.pid!);
      // The pack waits for the input: nothing of it runs yet.
      expect(packOf(child.pid!)).toEqual([]);
      const t0 = Date.now();
      child.kill("SIGTERM");
      const { code, signal } = await ended;
      expect(Date.now() - t0).toBeLessThan(10_000); // the pipe's silence limit is 60 s
      expect(code === 143 || signal === "SIGTERM").toBe(true);
      await until("every child to end", () => !tree.some(alive), 10_000);
    } finally {
      writer.kill();
    }
  });

  it("audit: SIGTERM while the pack starts ends it, exit 143", async () => {
    const { child, exit } = start(["audit", "--state", "tests/engine/fixtures/state/clean.json"]);
    await until("the pack to start", () => packOf(child.pid!).length > 0);
    const tree = descendants(child.pid!);
    child.kill("SIGTERM");
    expect(await exit).toBe(143);
    await until("every child to end", () => !tree.some(alive), 10_000);
  });
});
