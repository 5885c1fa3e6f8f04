/**
 * The test run's shared scanner, one process per jest run (started by global-setup.js, stopped by
 * global-teardown.js). Starting a policy pack or a Pulumi program costs seconds of CPU, mostly module
 * loading; a suite that did both in every test file spent most of its time there. This process keeps:
 *
 * - one ProgramPool (warm program workers, as the eval runner uses), shared by every test file;
 * - pack processes (real packs, driven over the analyzer gRPC protocol, as under the CLI) per pack
 *   folder + pack environment, each serving every policy config the tests ask for: before a stack of
 *   another config it is sent Configure again, as a pack replaces its whole config on Configure and
 *   starts each stack afresh at ConfigureStack (tests/support/scan-service.test.ts checks that
 *   alternating configs on one process gives each config's verdicts).
 *
 * Test files reach it through tests/support/scan.ts (`useScanner`) over HTTP on a Unix socket; what
 * crosses is plain JSON (graphs, stack reports). Nothing here judges a result.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { AnalyzerHost, ProgramPool, type ResourceGraph } from "../../engine";
import { readPolicyConfigFile, type UserPolicyConfig } from "../../engine/policy-config";
import { configureSession, scanGraph, scanStates, type ScanSession } from "../../cli/scan";
import { defaultPackDir, type ProgramTarget } from "../../scan/session";

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

/** Idle pools (no test file holds them) kept open for the next file that asks; beyond, the oldest close. */
const IDLE_POOLS = 3;

/**
 * Pack processes per pool (without a pack environment of its own): a pack analyses one stack at a
 * time, and most files use our pack in the default environment, so with one process the jest workers
 * would queue on it while a core idles.
 */
const PACKS_PER_POOL = Math.max(1, os.availableParallelism());

/** One pack process and the config it was last sent. */
interface Pack {
  host: Promise<AnalyzerHost>;
  /** The session of the config its last Configure carried (by configId); unset before and after a failed one. */
  configured?: { id: string; session: ScanSession };
  /** Its requests, one after another: a Configure for one file must not land inside another's stack. */
  queue: Promise<unknown>;
  /** Requests queued or running on it. */
  waiting: number;
}

/** The packs of one pack folder + environment, whatever configs they serve. */
interface Pool {
  key: SessionKey;
  packs: Pack[];
  /** Test files holding it (open … release). */
  refs: number;
  lastUsed: number;
}

const poolId = (key: SessionKey) => JSON.stringify([key.packDir ?? null, key.env ?? null]);
const configId = (key: SessionKey) => JSON.stringify(key.policyConfig ?? null);

/** All of this run's mutable state; one instance per service process. */
class Service {
  private readonly pools = new Map<string, Pool>();
  private readonly pool = new ProgramPool(Math.max(1, os.availableParallelism()));
  private readonly graphs = new Map<string, Promise<ResourceGraph>>();
  private clock = 0;
  /** What the run cost in packs, printed when it ends. */
  readonly stats = { packs: 0, configures: 0, configs: new Set<string>() };

  private poolFor(key: SessionKey): Pool {
    const id = poolId(key);
    let p = this.pools.get(id);
    if (!p) {
      p = { key: { packDir: key.packDir, env: key.env }, packs: [], refs: 0, lastUsed: 0 };
      this.pools.set(id, p);
    }
    p.lastUsed = ++this.clock;
    return p;
  }

  private startPack(pool: Pool): Pack {
    const pack: Pack = {
      host: AnalyzerHost.start(pool.key.packDir ?? defaultPackDir, { env: pool.key.env }),
      queue: Promise.resolve(),
      waiting: 0,
    };
    this.stats.packs++;
    pool.packs.push(pack);
    // A pack that fails to start is reported to the file that asked, and not kept for the next.
    pack.host.catch(() => {
      const i = pool.packs.indexOf(pack);
      if (i >= 0) pool.packs.splice(i, 1);
    });
    pack.queue = pack.host.catch(() => undefined);
    return pack;
  }

  /** Start the default pack before anyone asks (a failure to start is reported to the first file that does). */
  warm(key: SessionKey): void {
    const pool = this.poolFor(key);
    if (pool.packs.length === 0) this.startPack(pool);
  }

  /**
   * An idle pack, one already configured for this config first; another one is started while all are
   * busy, up to the cap; else the least busy.
   */
  private pick(pool: Pool, key: SessionKey): Pack {
    const id = configId(key);
    const idle = pool.packs.filter((p) => p.waiting === 0);
    const ready = idle.find((p) => p.configured?.id === id) ?? idle[0];
    if (ready) return ready;
    if (pool.packs.length === 0 || (pool.packs.length < PACKS_PER_POOL && key.env === undefined))
      return this.startPack(pool);
    let best = pool.packs[0];
    for (const p of pool.packs) if (p.waiting < best.waiting) best = p;
    return best;
  }

  /** Run `serve` on one of the key's packs, configured for the key's config, alone on that pack. */
  private async withSession<T>(key: SessionKey, serve: (s: ScanSession) => Promise<T>): Promise<T> {
    // A config file that cannot be read or parsed fails before any pack starts, as openSession does.
    if (typeof key.policyConfig === "string") readPolicyConfigFile(key.policyConfig);
    const pack = this.pick(this.poolFor(key), key);
    const id = configId(key);
    this.stats.configs.add(JSON.stringify([poolId(key), id]));
    pack.waiting++;
    const run = pack.queue.then(async () => {
      const host = await pack.host;
      if (pack.configured?.id !== id) {
        pack.configured = undefined;
        this.stats.configures++;
        pack.configured = { id, session: await configureSession(host, key.policyConfig) };
      }
      return serve(pack.configured.session);
    });
    pack.queue = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      pack.waiting--;
    }
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
    switch (req.op) {
      case "run":
        return { graph: await this.runCached(req.target) };
      case "release": {
        const held = this.pools.get(poolId(req.key));
        if (held) held.refs = Math.max(0, held.refs - 1);
        await this.evictIdle();
        return {};
      }
      case "program": {
        // The program runs first: a pack is held only while it analyses.
        const graph = await this.runCached({ cwd: req.cwd, stack: req.stack, passphrase: req.passphrase });
        const stack = await this.withSession(req.key, (s) => scanGraph(s, graph));
        return { graph, stack };
      }
      case "open": {
        const described = await this.withSession(req.key, async (s) => ({
          packDir: s.host.packDir,
          info: s.host.info,
          enabled: [...s.enabled],
          levels: [...s.levels],
          config: [...s.config],
        }));
        this.poolFor(req.key).refs++;
        return described;
      }
      case "analyze":
        return this.withSession(req.key, (s) => s.host.analyze(req.graph));
      case "graph":
        return { stack: await this.withSession(req.key, (s) => scanGraph(s, req.graph)) };
      case "states":
        return { stacks: await this.withSession(req.key, (s) => scanStates(s, req.files)) };
    }
  }

  private async evictIdle(): Promise<void> {
    const idle = [...this.pools]
      .filter(([, p]) => p.refs === 0 && p.packs.every((k) => k.waiting === 0))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, p] of idle.slice(0, Math.max(0, idle.length - IDLE_POOLS))) {
      this.pools.delete(id);
      await closeAll(p);
    }
  }

  async close(): Promise<void> {
    this.pool.close();
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map(closeAll));
  }
}

async function closeAll(p: Pool): Promise<void> {
  await Promise.allSettled(p.packs.map(async (k) => (await k.host).stop()));
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
                ? // A failed program's streams go with it: the CLI's redactor reads them (cli/main.ts).
                  { name: e.name, message: e.message, streams: (e as { streams?: string[] }).streams }
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
    const { packs, configures, configs } = service.stats;
    process.stderr.write(
      `shared scanner: ${packs} pack processes, ${configs.size} pack configs, ${configures} Configure calls\n`,
    );
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
