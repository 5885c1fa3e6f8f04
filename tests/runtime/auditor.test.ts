/**
 * The sandbox auditor: the pure core (leak reasons, cost, attribution) and the run against the local
 * E2B API through the real SDK's paginator (pages, filters, retries, 401, kills).
 */
import { Sandbox } from "../support/e2b-api/sdk";
import { startE2BServer, type E2BServer } from "../support/e2b-api";
import {
  SandboxAuditor,
  leakReasons,
  costPerHourUsd,
  E2B_PRICES,
  OTHER_GROUP,
  auditSandboxes,
  auditOnce,
  killLeaked,
  summarize,
  withRetry,
  classifyError,
  parseDuration,
  formatDuration,
  AuditError,
  type AuditedSandbox,
  type AuditRules,
} from "../../runtime";

const NOW = new Date("2026-11-26T12:00:00.000Z");
const H = 3_600_000;
const at = (msAgo: number) => new Date(NOW.getTime() - msAgo);

function sbx(over: Partial<AuditedSandbox> = {}): AuditedSandbox {
  return {
    sandboxId: "i1",
    templateId: "base",
    startedAt: at(10 * 60_000),
    endAt: new Date(NOW.getTime() + H),
    state: "running",
    cpuCount: 2,
    memoryMB: 512,
    metadata: { user_id: "u1", request_id: "r1" },
    ...over,
  };
}

const rules: AuditRules = {
  now: NOW,
  maxAgeSeconds: 2 * 3600,
  maxPausedAgeSeconds: 7 * 86_400,
  requireMetadata: ["user_id", "request_id"],
  attributionKeys: ["user_id"],
  prices: E2B_PRICES,
};

describe("durations", () => {
  test.each([
    ["90s", 90],
    ["15m", 900],
    ["2h", 7200],
    ["7d", 604_800],
    ["1h30m", 5400],
  ])("%s = %i s", (t, s) => expect(parseDuration(t)).toEqual({ ok: true, seconds: s }));
  test.each(["", "2", "h", "-1h", "1.5h", "2w", "0s", "99999999999999999999d"])("%p is refused", (t) =>
    expect(parseDuration(t).ok).toBe(false),
  );
  test("formatting", () => {
    expect(formatDuration(7_500)).toBe("2h 5m");
    expect(formatDuration(8 * 86_400 + 3600)).toBe("8d 1h");
    expect(formatDuration(45)).toBe("45s");
  });
});

describe("leak reasons", () => {
  test("a young, attributed, running sandbox is not leaked", () => {
    expect(leakReasons(sbx(), rules)).toEqual([]);
  });
  test("running longer than the maximum age (strictly)", () => {
    expect(leakReasons(sbx({ startedAt: at(2 * H) }), rules)).toEqual([]);
    expect(leakReasons(sbx({ startedAt: at(2 * H + 1000) }), rules)).toEqual([
      "max-age: running for 2h, longer than 2h",
    ]);
    expect(leakReasons(sbx({ startedAt: at(3 * H + 5 * 60_000) }), rules)[0]).toBe(
      "max-age: running for 3h 5m, longer than 2h",
    );
  });
  test("missing or empty required metadata, running or paused", () => {
    expect(leakReasons(sbx({ metadata: { user_id: "" } }), rules)).toEqual([
      "missing-metadata: user_id, request_id",
    ]);
    expect(leakReasons(sbx({ state: "paused", endAt: at(60_000), metadata: {} }), rules)).toEqual([
      "missing-metadata: user_id, request_id",
    ]);
  });
  test("paused longer than the maximum paused age, measured from endAt", () => {
    expect(
      leakReasons(sbx({ state: "paused", startedAt: at(30 * 86_400_000), endAt: at(6 * 86_400_000) }), rules),
    ).toEqual([]);
    expect(
      leakReasons(sbx({ state: "paused", startedAt: at(30 * 86_400_000), endAt: at(8 * 86_400_000) }), rules),
    ).toEqual(["max-paused-age: paused for 8d, longer than 7d"]);
    // No paused-age rule: never leaked for being paused; a paused sandbox is never "running too long".
    expect(
      leakReasons(sbx({ state: "paused", startedAt: at(30 * 86_400_000), endAt: at(29 * 86_400_000) }), {
        ...rules,
        maxPausedAgeSeconds: undefined,
      }),
    ).toEqual([]);
  });
  test("several reasons at once", () => {
    expect(leakReasons(sbx({ startedAt: at(5 * H), metadata: {} }), rules)).toHaveLength(2);
  });
});

describe("cost and attribution", () => {
  test("E2B's own example: 8 vCPU + 4 GiB = $0.468/h; paused costs nothing per hour", () => {
    expect(costPerHourUsd({ state: "running", cpuCount: 8, memoryMB: 4096 }, E2B_PRICES)).toBeCloseTo(
      0.468,
      10,
    );
    expect(costPerHourUsd({ state: "paused", cpuCount: 8, memoryMB: 4096 }, E2B_PRICES)).toBe(0);
  });

  test("totals, attribution by key with a (missing) group, cost so far of leaked sandboxes", () => {
    const a = new SandboxAuditor({ ...rules, attributionKeys: ["user_id", "team"] });
    a.add(sbx({ sandboxId: "a", metadata: { user_id: "u1", request_id: "r", team: "x" } }));
    a.add(sbx({ sandboxId: "b", metadata: { user_id: "u1", request_id: "r" }, cpuCount: 8, memoryMB: 4096 }));
    a.add(sbx({ sandboxId: "c", metadata: { request_id: "r" }, startedAt: at(H) }));
    a.add(
      sbx({
        sandboxId: "d",
        state: "paused",
        endAt: at(60_000),
        metadata: { user_id: "u2", request_id: "r" },
      }),
    );
    const r = a.report();
    expect([r.total, r.running, r.paused]).toEqual([4, 3, 1]);
    const small = costPerHourUsd({ state: "running", cpuCount: 2, memoryMB: 512 }, E2B_PRICES);
    expect(r.costPerHourUsd).toBeCloseTo(2 * small + 0.468, 6);
    expect(r.attribution.filter((x) => x.key === "user_id")).toEqual([
      { key: "user_id", value: "u1", count: 2, costPerHourUsd: expect.closeTo(small + 0.468, 6) },
      { key: "user_id", value: null, count: 1, costPerHourUsd: expect.closeTo(small, 6) },
      { key: "user_id", value: "u2", count: 1, costPerHourUsd: 0 },
    ]);
    expect(r.attribution.filter((x) => x.key === "team").map((x) => [x.value, x.count])).toEqual([
      [null, 3],
      ["x", 1],
    ]);
    expect(r.leaked).toEqual([
      {
        sandboxId: "c",
        templateId: "base",
        startedAt: at(H).toISOString(),
        state: "running",
        reasons: ["missing-metadata: user_id"],
        costSoFarUsd: expect.closeTo(small, 6), // one hour at the hourly rate
      },
    ]);
    expect(summarize(r)).toEqual({ live: 3, leaked: 1, killed: 0, burnRateUsdPerHour: r.costPerHourUsd });
  });

  test("a key's head as an attribution value is shown by its length: other sandboxes' values may hold its rest (rt49 #8)", () => {
    const a = new SandboxAuditor(rules);
    const key = "e2b_89abcdef0123456789abcdef0123456789abcdef";
    for (const [i, part] of [key.slice(0, 14), key.slice(14, 30), key.slice(30)].entries())
      a.add(sbx({ sandboxId: `s${i}`, metadata: { user_id: part, request_id: "r" } }));
    const values = a.report().attribution.map((x) => x.value);
    expect(values).toContain("[withheld: the head of an E2B key, 14 characters]");
    expect(values).not.toContain(key.slice(0, 14));
    // However short the head: the prefix alone, or seven digits (rt51 #5).
    const b = new SandboxAuditor(rules);
    for (const [i, part] of ["e2b_", key.slice(4), key.slice(0, 11), key.slice(11)].entries())
      b.add(sbx({ sandboxId: `s${i}`, metadata: { user_id: part, request_id: "r" } }));
    expect(b.report().attribution.map((x) => x.value)).toEqual(
      expect.arrayContaining([
        "[withheld: the head of an E2B key, 4 characters]",
        "[withheld: the head of an E2B key, 11 characters]",
      ]),
    );
  });

  test("distinct values past the cap are totalled as (other)", () => {
    const a = new SandboxAuditor({ ...rules, maxGroupsPerKey: 2 });
    for (let i = 0; i < 5; i++)
      a.add(sbx({ sandboxId: `s${i}`, metadata: { user_id: `u${i}`, request_id: "r" } }));
    const rows = a.report().attribution;
    expect(rows).toHaveLength(3);
    expect(rows.find((x) => x.value === OTHER_GROUP)?.count).toBe(3);
  });

  test("a sandbox listed twice is one leaked entry", () => {
    const a = new SandboxAuditor(rules);
    a.add(sbx({ metadata: {} }));
    a.add(sbx({ metadata: {} }));
    expect(a.report().leaked).toHaveLength(1);
  });
});

describe("retry helper", () => {
  const err = (statusCode: number) => Object.assign(new Error(`HTTP ${statusCode}`), { statusCode });

  test("retries 429 and 5xx with growing backoff, then succeeds", async () => {
    const delays: number[] = [];
    let n = 0;
    const out = await withRetry(
      async () => {
        n++;
        if (n <= 3) throw err([429, 500, 503][n - 1]);
        return "ok";
      },
      { sleep: async (ms) => void delays.push(ms), random: () => 1, baseDelayMs: 100 },
    );
    expect(out).toBe("ok");
    expect(delays).toEqual([100, 200, 400]);
  });
  test("honours a Retry-After the error carries, even above the backoff cap", async () => {
    const delays: number[] = [];
    let n = 0;
    await withRetry(
      async () => {
        if (n++ === 0) throw Object.assign(err(429), { retryAfterMs: 45_000 });
        return 1;
      },
      { sleep: async (ms) => void delays.push(ms), maxDelayMs: 1000 },
    );
    expect(delays).toEqual([45_000]);
  });
  test("does not retry 401 or other 4xx; gives up after the attempts", async () => {
    let n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          throw err(401);
        },
        { sleep: async () => {} },
      ),
    ).rejects.toThrow("HTTP 401");
    expect(n).toBe(1);
    n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          throw err(400);
        },
        { sleep: async () => {} },
      ),
    ).rejects.toThrow();
    expect(n).toBe(1);
    n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          throw err(502);
        },
        { attempts: 4, sleep: async () => {} },
      ),
    ).rejects.toThrow();
    expect(n).toBe(4);
  });
  test("network failures are retryable; an answer that cannot be read is not", () => {
    const failed = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: { code } });
    expect(classifyError(new TypeError("fetch failed"))).toBe("retryable");
    expect(classifyError(failed("ECONNREFUSED"))).toBe("retryable");
    expect(classifyError(failed("UND_ERR_SOCKET"))).toBe("retryable");
    expect(classifyError(failed("UND_ERR_HEADERS_OVERFLOW"))).toBe("fatal");
    // The SDK's own code on a body of another shape.
    expect(classifyError(new TypeError("res.data.map is not a function"))).toBe("fatal");
    expect(classifyError(new Error("weird"))).toBe("fatal");
  });
});

describe("auditSandboxes against the local E2B API", () => {
  let server: E2BServer;
  let teamId: string;
  let apiKey: string;
  const noWait = { sleep: async () => {}, random: () => 0 };

  beforeEach(async () => {
    server = await startE2BServer();
    ({ teamId } = server.state.addTeam());
    apiKey = server.state.addApiKey(teamId).key;
  });
  afterEach(() => server.close());

  const base = () => ({
    apiKey,
    apiUrl: server.url,
    retry: noWait,
    rules: {
      maxAgeSeconds: 2 * 3600,
      maxPausedAgeSeconds: 7 * 86_400,
      requireMetadata: ["user_id"],
      attributionKeys: ["user_id"],
      prices: E2B_PRICES,
    },
  });
  const listPages = () => server.requests.filter((r) => r.method === "GET" && r.path === "/v2/sandboxes");

  function seedMix() {
    const now = Date.now();
    server.state.seedSandboxes(230, {
      teamId,
      metadata: (i) => ({ user_id: `u${i % 3}` }),
      startedAt: (i) => new Date(now - i * 1000),
    });
    server.state.seedSandboxes(20, {
      teamId,
      state: "paused",
      metadata: { user_id: "u9" },
      startedAt: new Date(now - 60_000),
    });
    const old = server.state.seedSandboxes(2, {
      teamId,
      metadata: { user_id: "u0" },
      startedAt: new Date(now - 3 * H),
      idPrefix: "old",
    });
    const anon = server.state.seedSandboxes(1, { teamId, metadata: {}, idPrefix: "anon" });
    const stale = server.state.seedSandboxes(1, {
      teamId,
      state: "paused",
      metadata: { user_id: "u9" },
      startedAt: new Date(now - 10 * 86_400_000),
      endAt: new Date(now - 8 * 86_400_000),
      idPrefix: "stale",
    });
    return { old, anon, stale };
  }

  test("streams every page (running and paused), counts, attributes and finds each kind of leak", async () => {
    const { old, anon, stale } = seedMix();
    const pages: number[] = [];
    const run = await auditSandboxes({ ...base(), onPage: (p) => pages.push(p.items) });
    expect(run.pages).toBe(3);
    expect(pages).toEqual([100, 100, 54]);
    expect(listPages().map((r) => r.query.state)).toEqual([
      "running,paused",
      "running,paused",
      "running,paused",
    ]);
    const r = run.report;
    expect([r.total, r.running, r.paused]).toEqual([254, 233, 21]);
    expect(r.costPerHourUsd).toBeCloseTo(
      233 * costPerHourUsd({ state: "running", cpuCount: 2, memoryMB: 512 }, E2B_PRICES),
      6,
    );
    expect(r.attribution.find((a) => a.value === "u9")).toMatchObject({ count: 21, costPerHourUsd: 0 });
    const byId = Object.fromEntries(r.leaked.map((l) => [l.sandboxId, l.reasons]));
    expect(Object.keys(byId).sort()).toEqual(
      [anon[0].sandboxID, old[0].sandboxID, old[1].sandboxID, stale[0].sandboxID].sort(),
    );
    expect(byId[old[0].sandboxID][0]).toMatch(/^max-age: running for 3h/);
    expect(byId[anon[0].sandboxID]).toEqual(["missing-metadata: user_id"]);
    expect(byId[stale[0].sandboxID]).toEqual(["max-paused-age: paused for 8d, longer than 7d"]);
    expect(server.requests.some((r) => r.method === "DELETE")).toBe(false); // auditing never kills
  });

  test("the metadata filter is applied by the server (E2B's k=v&k2=v2 form)", async () => {
    seedMix();
    const run = await auditSandboxes({ ...base(), metadata: { user_id: "u9" } });
    expect(run.report.total).toBe(21);
    expect(listPages()[0].query.metadata).toBe("user_id=u9");
  });

  test("429 (with Retry-After, which the SDK waits out) and 5xx are retried; the report is complete", async () => {
    seedMix();
    // Six 429s on the first page: the SDK itself retries three times (Retry-After: 0), then our
    // backoff takes over; then 500 and 503 on later pages.
    server.faults.next(6, { status: 429, retryAfter: 0, path: "/v2/sandboxes" });
    const retries: number[] = [];
    let served = 0;
    server.onRequest(({ query }) => {
      if (query.get("nextToken") && served++ === 0) {
        server.faults.next(1, { status: 500, path: "/v2/sandboxes" });
        server.faults.next(1, { status: 503, path: "/v2/sandboxes" });
      }
    });
    const run = await auditSandboxes({
      ...base(),
      retry: { ...noWait, onRetry: (i) => retries.push(i.attempt) },
    });
    expect(run.report.total).toBe(254);
    expect(listPages().map((r) => r.status)).toEqual([429, 429, 429, 429, 429, 429, 200, 200, 500, 503, 200]);
    expect(retries).toEqual([1, 1, 2]);
  });

  test("a page that keeps failing ends the audit as unreachable, after the retries", async () => {
    server.faults.next(100, { status: 500 });
    const err = await auditSandboxes({ ...base(), retry: { ...noWait, attempts: 3 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).code).toBe("unreachable");
    expect(listPages()).toHaveLength(3);
  });

  test("401: a clear error naming the key by its mask only, no retries", async () => {
    const bad = "e2b_" + "f00d".repeat(10);
    const err = await auditSandboxes({ ...base(), apiKey: bad }).catch((e: unknown) => e);
    expect((err as AuditError).code).toBe("unauthorized");
    expect((err as Error).message).toContain("e2b_…f00d");
    expect((err as Error).message).not.toContain(bad);
    expect(listPages()).toHaveLength(1);
  });

  test("an API that is not listening is unreachable", async () => {
    const url = server.url;
    await server.close();
    const err = await auditSandboxes({ ...base(), apiUrl: url, retry: { ...noWait, attempts: 2 } }).catch(
      (e: unknown) => e,
    );
    expect((err as AuditError).code).toBe("unreachable");
    server = await startE2BServer(); // for afterEach
  });

  test("the list changing between pages: nothing duplicated, a leaked sandbox killed meanwhile is not reported", async () => {
    const now = Date.now();
    const seeded = server.state.seedSandboxes(150, {
      teamId,
      metadata: {},
      startedAt: (i) => new Date(now - i * 1000),
    });
    server.onRequest(({ query }) => {
      if (query.get("nextToken") && server.state.getSandbox(teamId, seeded[140].sandboxID)) {
        server.state.killSandbox(teamId, seeded[140].sandboxID);
        server.state.seedSandboxes(3, { teamId, metadata: {} });
      }
    });
    const run = await auditSandboxes(base());
    const ids = run.report.leaked.map((l) => l.sandboxId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(seeded[140].sandboxID);
    expect(run.report.total).toBe(149);
  });
});

describe("killLeaked", () => {
  let server: E2BServer;
  let teamId: string;
  let apiKey: string;
  const noWait = { sleep: async () => {}, random: () => 0 };
  beforeEach(async () => {
    server = await startE2BServer();
    ({ teamId } = server.state.addTeam());
    apiKey = server.state.addApiKey(teamId).key;
  });
  afterEach(() => server.close());

  const rules = {
    maxAgeSeconds: 3600,
    maxPausedAgeSeconds: 86_400,
    requireMetadata: ["user_id"],
    attributionKeys: [],
    prices: E2B_PRICES,
  };

  test("kills exactly the leaked ones; a 404 is fine; one that stopped being leaked is spared", async () => {
    const now = Date.now();
    const fine = server.state.seedSandboxes(40, { teamId, metadata: { user_id: "u" } });
    const old = server.state.seedSandboxes(3, {
      teamId,
      metadata: { user_id: "u" },
      startedAt: new Date(now - 2 * H),
      idPrefix: "old",
    });
    const paused = server.state.seedSandboxes(1, {
      teamId,
      state: "paused",
      metadata: { user_id: "u" },
      startedAt: new Date(now - 5 * 86_400_000),
      endAt: new Date(now - 2 * 86_400_000),
      idPrefix: "paused",
    });
    const conn = { apiKey, apiUrl: server.url, retry: noWait };
    const run = await auditSandboxes({ ...conn, rules });
    expect(run.report.leaked).toHaveLength(4);
    // Between the audit and the kill: one leaked sandbox is killed by someone else, and the paused
    // one is resumed (a fresh start time: no longer leaked).
    server.state.killSandbox(teamId, old[0].sandboxID);
    await Sandbox.connect(paused[0].sandboxID, { apiKey, apiUrl: server.url } as Parameters<
      typeof Sandbox.connect
    >[1]);
    // And the kill of another answers 404 (gone between the re-check and the kill).
    server.faults.next(1, {
      status: 404,
      method: "DELETE",
      path: `/sandboxes/${old[1].sandboxID}`,
      message: "not found",
    });

    const out = await killLeaked(conn, run.report.leaked, run.rules);
    expect(out.killed).toEqual([old[2].sandboxID]);
    expect(out.gone.sort()).toEqual([old[0].sandboxID, old[1].sandboxID].sort());
    expect(out.spared).toEqual([paused[0].sandboxID]);
    expect(out.failed).toEqual([]);
    const deleted = server.requests.filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
    expect(deleted.sort()).toEqual([old[1].sandboxID, old[2].sandboxID].sort());
    for (const f of fine) expect(server.state.getSandbox(teamId, f.sandboxID)).toBeDefined();
    expect(server.state.getSandbox(teamId, paused[0].sandboxID)?.state).toBe("running");
  });

  test("kills are retried under 429 and 5xx", async () => {
    const old = server.state.seedSandboxes(2, { teamId, metadata: {}, idPrefix: "x" });
    const conn = { apiKey, apiUrl: server.url, retry: noWait };
    const run = await auditSandboxes({ ...conn, rules });
    server.faults.next(1, { status: 502, method: "DELETE" });
    server.faults.next(1, { status: 429, method: "DELETE" }); // no Retry-After: the SDK gives up, we retry
    const out = await killLeaked(conn, run.report.leaked, run.rules);
    expect(out.killed.sort()).toEqual(old.map((s) => s.sandboxID).sort());
    expect(server.state.team(teamId).sandboxes.size).toBe(0);
  });
});

describe("auditOnce (the scheduled monitor's call)", () => {
  test("lists, kills the leaked without asking, and summarizes", async () => {
    const server = await startE2BServer();
    try {
      const { teamId } = server.state.addTeam();
      const apiKey = server.state.addApiKey(teamId).key;
      server.state.seedSandboxes(5, { teamId, metadata: { user_id: "u" } });
      const bad = server.state.seedSandboxes(2, { teamId, metadata: {} });
      const rules = {
        maxAgeSeconds: 3600,
        requireMetadata: ["user_id"],
        attributionKeys: [],
        prices: E2B_PRICES,
      };
      const dry = await auditOnce({ apiKey, apiUrl: server.url, rules });
      expect(dry.killed).toEqual([]);
      expect(server.state.team(teamId).sandboxes.size).toBe(7);
      const r = await auditOnce({ apiKey, apiUrl: server.url, rules, kill: true });
      expect(r.killed.sort()).toEqual(bad.map((s) => s.sandboxID).sort());
      expect(summarize(r)).toMatchObject({ live: 7, leaked: 2, killed: 2 });
      expect(server.state.team(teamId).sandboxes.size).toBe(5);
    } finally {
      await server.close();
    }
  });
});
