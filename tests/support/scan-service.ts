/**
 * The test run's shared scanner, one process per jest run (started by global-setup.js, stopped by
 * global-teardown.js). Starting a policy pack or a Pulumi program costs seconds of CPU, mostly module
 * loading; a suite that did both in every test file spent most of its time there. This process keeps:
 *
 * - one ProgramPool (warm program workers, as the eval runner uses), shared by every test file;
 * - one scan session (a real pack process, driven over the analyzer gRPC protocol, as under the CLI)
 *   per distinct pack folder + policy config, reused by every file that asks for the same one.
 *
 * Test files reach it through tests/support/scan.ts (`useScanner`) over HTTP on a Unix socket; what
 * crosses is plain JSON (graphs, stack reports). Nothing here judges a result.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { ProgramPool, type ResourceGraph } from "../../engine";
import type { UserPolicyConfig } from "../../engine/policy-config";
import { openSession, scanGraph, scanStates, type ScanSession } from "../../cli/scan";
import type { ProgramTarget } from "../../scan/session";

export interface SessionKey {
  packDir?: string;
  policyConfig?: string | UserPolicyConfig;
  /** Environment for the pack process beyond the service's own. */
  env?: Record<string, string>;
}

export type Request =
  | { op: "open"; key: SessionKey }
  | { op: "release"; key: SessionKey }
  | { op: "program"; key: SessionKey; cwd: string; stack: string; passphrase?: string }
  | { op: "run"; target: ProgramTarget }
  | { op: "analyze"; key: SessionKey; graph: ResourceGraph }
  | { op: "graph"; key: SessionKey; graph: ResourceGraph }
  | { op: "states"; key: SessionKey; files: string[] | ResourceGraph[] };

/** Idle sessions (no test file holds them) kept open for the next file that asks; beyond, the oldest close. */
const IDLE_SESSIONS = 6;

/**
 * Pack processes per pack + config (without a pack environment of its own): a pack analyses one stack
 * at a time, and most files share the default config, so with one process both jest workers would
 * queue on it while a core idles.
 */
const PACKS_PER_CONFIG = Math.max(1, os.availableParallelism());

interface Pack {
  session: Promise<ScanSession>;
  inFlight: number;
}

interface Entry {
  packs: Pack[];
  refs: number;
  lastUsed: number;
}

const sessionId = (key: SessionKey) =>
  JSON.stringify([key.packDir ?? null, key.policyConfig ?? null, key.env ?? null]);

/** All of this run's mutable state; one instance per service process. */
class Service {
  private readonly sessions = new Map<string, Entry>();
  private readonly pool = new ProgramPool(Math.max(1, os.availableParallelism()));
  private readonly graphs = new Map<string, Promise<ResourceGraph>>();
  private clock = 0;

  private entry(key: SessionKey): Entry {
    const id = sessionId(key);
    let e = this.sessions.get(id);
    if (!e) {
      const first: Pack = { session: openSession(key), inFlight: 0 };
      e = { packs: [first], refs: 0, lastUsed: 0 };
      this.sessions.set(id, e);
      // A pack that fails to start is reported to the file that asked, and not kept for the next.
      first.session.catch(() => this.sessions.delete(id));
    }
    e.lastUsed = ++this.clock;
    return e;
  }

  /** Open a session before anyone asks (a failure to start is reported to the first file that does). */
  warm(key: SessionKey): void {
    this.entry(key).packs[0].session.catch(() => undefined);
  }

  /** The least busy of the entry's packs; another one is started while all are busy, up to the cap. */
  private pick(e: Entry, key: SessionKey): Pack {
    let best = e.packs[0];
    for (const p of e.packs) if (p.inFlight < best.inFlight) best = p;
    if (best.inFlight > 0 && e.packs.length < PACKS_PER_CONFIG && key.env === undefined) {
      const extra: Pack = { session: openSession(key), inFlight: 0 };
      e.packs.push(extra);
      extra.session.catch(() => {
        const i = e.packs.indexOf(extra);
        if (i >= 0) e.packs.splice(i, 1);
      });
      return extra;
    }
    return best;
  }

  /**
   * A program's graph, run once per content of its folder: many test files preview the same fixture
   * and the eval programs. The key holds every file's size and mtime, so a test that edits a copy
   * between runs gets a fresh run.
   */
  private runCached(target: ProgramTarget): Promise<ResourceGraph> {
    const id = JSON.stringify([target, folderStamp(target.cwd)]);
    let graph = this.graphs.get(id);
    if (!graph) {
      graph = this.pool.run(target);
      this.graphs.set(id, graph);
      graph.catch(() => this.graphs.delete(id)); // a failure is reported, and run again if asked again
    }
    return graph;
  }

  async handle(req: Request): Promise<unknown> {
    if (req.op === "run") return { graph: await this.runCached(req.target) };
    if (req.op === "release") {
      const held = this.sessions.get(sessionId(req.key));
      if (held) held.refs = Math.max(0, held.refs - 1);
      await this.evictIdle();
      return {};
    }
    if (req.op === "program") {
      // The program runs first: a pack is held only while it analyses.
      const graph = await this.runCached({ cwd: req.cwd, stack: req.stack, passphrase: req.passphrase });
      const { stack } = (await this.handle({ op: "graph", key: req.key, graph })) as { stack: unknown };
      return { graph, stack };
    }
    const e = this.entry(req.key);
    if (req.op === "open") e.refs++;
    const pack = req.op === "open" ? e.packs[0] : this.pick(e, req.key);
    pack.inFlight++;
    try {
      return await this.serve(req, await pack.session);
    } finally {
      pack.inFlight--;
    }
  }

  private async serve(
    req: Exclude<Request, { op: "run" | "release" }>,
    session: ScanSession,
  ): Promise<unknown> {
    switch (req.op) {
      case "open":
        return {
          packDir: session.host.packDir,
          info: session.host.info,
          enabled: [...session.enabled],
          levels: [...session.levels],
          config: [...session.config],
        };
      case "analyze":
        return session.host.analyze(req.graph);
      case "graph":
        return { stack: await scanGraph(session, req.graph) };
      case "states":
        return { stacks: await scanStates(session, req.files) };
    }
  }

  private async evictIdle(): Promise<void> {
    const idle = [...this.sessions]
      .filter(([, e]) => e.refs === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, e] of idle.slice(0, Math.max(0, idle.length - IDLE_SESSIONS))) {
      this.sessions.delete(id);
      await closeAll(e);
    }
  }

  async close(): Promise<void> {
    this.pool.close();
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(closeAll));
  }
}

async function closeAll(e: Entry): Promise<void> {
  await Promise.allSettled(e.packs.map(async (p) => (await p.session).close()));
}

/** Every file's path, size and mtime under a program folder (not its node_modules). */
function folderStamp(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === ".git") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p, { throwIfNoEntry: false });
        if (st) out.push(`${p}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  try {
    walk(dir);
  } catch {
    // An unreadable folder: the run reports it.
  }
  return out.join("\n");
}

function main(): void {
  const service = new Service();
  const dir = mkdtempSync(path.join(os.tmpdir(), "e2b-scan-service-"));
  const socket = path.join(dir, "scan.sock");
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      let parsed: Request;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Request;
      } catch (e) {
        return reply(400, { error: { name: "Error", message: `bad request: ${String(e)}` } });
      }
      service.handle(parsed).then(
        (body) => reply(200, body),
        (e: unknown) =>
          reply(200, {
            error:
              e instanceof Error
                ? { name: e.name, message: e.message }
                : { name: "Error", message: String(e) },
          }),
      );
    });
  });
  // Jest's workers come and go; without a timeout a long program run would be cut at Node's default.
  server.requestTimeout = 0;
  server.headersTimeout = 0;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  // Stopped by global-teardown.js, or orphaned when jest itself dies: never outlive the run.
  process.on("message", (m) => m === "stop" && void stop());
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());

  server.listen(socket, () => {
    process.send?.({ socket });
    // Start the default pack now: nearly every policy test file asks for it, and jest is still
    // loading its workers.
    service.warm({});
  });
}

if (require.main === module) main();
