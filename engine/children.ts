/**
 * Every child process the engine starts (policy packs, programs, program workers) is tracked here, so
 * a CLI that is interrupted or terminated can end them all before it exits: a cancelled CI job must not
 * leave a pack or a program host running, reparented to init. Temporary folders are tracked the same
 * way, so an interrupted run leaves none behind.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const live = new Map<ChildProcess, { group: boolean }>();

/**
 * Track a child until it exits; returns a function that stops tracking it. A child started with
 * `detached: true` leads its own process group, and the whole group is killed (a program's own
 * children, such as a bundler it runs, go with it).
 */
export function trackChild(child: ChildProcess, opts: { group?: boolean } = {}): () => void {
  live.set(child, { group: !!opts.group });
  const forget = () => live.delete(child);
  child.once("exit", forget);
  return () => {
    forget();
  };
}

/** Kill every tracked child (SIGKILL: they hold no state worth a graceful stop). */
export function killAllChildren(): void {
  for (const [c, { group }] of live) killChild(c, group);
  live.clear();
}

export function killChild(c: ChildProcess, group = false): void {
  if (group && c.pid !== undefined) {
    try {
      process.kill(-c.pid, "SIGKILL");
      return;
    } catch {
      // the group is gone already; fall through to the child itself
    }
  }
  if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

const tempDirs = new Set<string>();

/**
 * A new temporary folder (`<tmpdir>/<prefix>XXXXXX`), removed by the returned function or, if the
 * process ends first (a signal, an exit), when it exits.
 */
export function tempDirUntilExit(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return {
    dir,
    remove: () => {
      tempDirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
/** The handlers endChildrenOnSignals installed, so a synchronous wait can stand them down. */
const installed = new Map<NodeJS.Signals, () => void>();

/**
 * Forward termination signals: kill the children, then exit with 128 + the signal number as shells
 * report it. Also kills them when the process exits for any other reason, and removes the temporary
 * folders still in use.
 */
export function endChildrenOnSignals(): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    const handler = () => {
      killAllChildren();
      process.exit(code);
    };
    installed.set(signal as NodeJS.Signals, handler);
    process.once(signal as NodeJS.Signals, handler);
  }
  process.once("exit", () => {
    killAllChildren();
    removeTempDirs();
  });
}

/**
 * For a synchronous wait (a pipe read polls with the thread blocked): no JavaScript signal handler can
 * run until it ends, so a cancelled job would go on waiting. When there is nothing to clean up (no
 * child, no temporary folder), the handlers stand down for the wait and a signal's default action
 * ends the process at once, the status a shell reports being the same (128 + the signal number).
 * Returns what puts them back.
 */
export function defaultSignalsWhileIdle(): () => void {
  if (live.size > 0 || tempDirs.size > 0) return () => {};
  const removed: Array<[NodeJS.Signals, () => void]> = [];
  for (const [signal, handler] of installed)
    if (process.listeners(signal).includes(handler)) {
      process.removeListener(signal, handler);
      removed.push([signal, handler]);
    }
  return () => {
    for (const [signal, handler] of removed) process.once(signal, handler);
  };
}
