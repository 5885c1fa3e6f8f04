/**
 * The sandbox auditor against a lying or hung E2B API (the red-team's findings): the real `e2b` SDK
 * and `sandboxes audit --kill --yes` against the local E2B server, whose replies are rewritten.
 * Nothing is killed unless the re-read record is the one asked for, inside every filter, with
 * plausible times, and still leaked.
 */
import "../support/e2b-api/sdk";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { PassThrough } from "node:stream";
import { findMaterial } from "../../policies/detect/material";
import { collectGarbageEvery } from "../support/gc";
import { startE2BServer, type E2BServer, type ResponseRewriter } from "../support/e2b-api";
import { runSandboxesAudit, type SandboxesAuditFlags } from "../../cli/sandboxes";

const H = 3_600_000;
let server: E2BServer;
let teamId: string;
let apiKey: string;

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId } = server.state.addTeam());
  apiKey = server.state.addApiKey(teamId).key;
});
afterEach(() => server.close());

async function audit(flags: SandboxesAuditFlags, retry: { attempts?: number } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const started = Date.now();
  const code = await runSandboxesAudit(
    { apiUrl: server.url, format: "json", maxAge: "1h", ...flags },
    {
      env: { E2B_API_KEY: apiKey },
      stdout,
      stderr,
      stdin,
      retry: { sleep: async () => {}, random: () => 0, ...retry },
    },
  );
  const json = (flags.format ?? "json") === "json" && out;
  return { code, out, err, ms: Date.now() - started, report: json ? JSON.parse(out) : undefined };
}

const alive = (id: string) => server.state.getSandbox(teamId, id) !== undefined;
const deletes = () => server.requests.filter((r) => r.method === "DELETE").map((r) => r.path);

/** Rewrite every listed record (GET /v2/sandboxes) with `edit`. */
const rewriteListed =
  (edit: (rec: Record<string, unknown>) => Record<string, unknown>): ResponseRewriter =>
  (req, reply) =>
    req.method === "GET" && req.path === "/v2/sandboxes" && Array.isArray(reply.body)
      ? { ...reply, body: (reply.body as Record<string, unknown>[]).map(edit) }
      : undefined;

describe("sandboxes audit --kill --yes against a lying API", () => {
  test("a re-check answered with another sandbox's record kills nothing", async () => {
    const [fresh] = server.state.seedSandboxes(1, { teamId, idPrefix: "fresh", metadata: {} });
    const [old] = server.state.seedSandboxes(1, {
      teamId,
      idPrefix: "old",
      startedAt: new Date(Date.now() - 3 * H),
    });
    // The list claims the fresh one is old too; its re-check returns the old one's record.
    server.onResponse(
      rewriteListed((r) =>
        r.sandboxID === fresh.sandboxID ? { ...r, startedAt: old.startedAt.toISOString() } : r,
      ),
    );
    server.onResponse((req) => {
      if (req.method !== "GET" || req.path !== `/sandboxes/${fresh.sandboxID}`) return undefined;
      const oldRecord = server.state.getSandbox(teamId, old.sandboxID)!;
      return {
        status: 200,
        body: {
          sandboxID: oldRecord.sandboxID,
          templateID: oldRecord.templateID,
          clientID: "x",
          startedAt: oldRecord.startedAt.toISOString(),
          endAt: oldRecord.endAt.toISOString(),
          cpuCount: 2,
          memoryMB: 512,
          diskSizeMB: 1024,
          metadata: {},
          state: "running",
          envdVersion: "0.2.0",
          envdAccessToken: "t",
        },
      };
    });
    const r = await audit({ kill: true, yes: true });
    expect(alive(fresh.sandboxID)).toBe(true);
    expect(deletes()).toEqual([`/sandboxes/${old.sandboxID}`]);
    expect(r.err).toContain(
      `could not kill ${fresh.sandboxID}: not killed: the API answered with another sandbox's record`,
    );
  });

  test("a start time of 0001-01-01 is suspect, not 2,000 years old: nothing killed", async () => {
    const [s] = server.state.seedSandboxes(1, { teamId, idPrefix: "young" });
    server.onResponse(rewriteListed((r) => ({ ...r, startedAt: "0001-01-01T00:00:00Z" })));
    const r = await audit({ kill: true, yes: true });
    expect(r.code).toBe(0);
    expect(r.report.leaked).toEqual([]);
    expect(r.report.suspect).toEqual([
      { sandboxId: s.sandboxID, reasons: [expect.stringMatching(/^implausible-start: .*0001-01-01/)] },
    ]);
    expect(deletes()).toEqual([]);
    expect(alive(s.sandboxID)).toBe(true);
  });

  test("a start time in the future is suspect too", async () => {
    server.state.seedSandboxes(1, { teamId, idPrefix: "future", startedAt: new Date(Date.now() + 48 * H) });
    const r = await audit({});
    expect(r.code).toBe(0);
    expect(r.report.suspect).toHaveLength(1);
  });

  test("--metadata team=a with an API that ignores the filter never kills a team=b sandbox", async () => {
    const [b] = server.state.seedSandboxes(1, {
      teamId,
      idPrefix: "b",
      metadata: { team: "b" },
      startedAt: new Date(Date.now() - 3 * H),
    });
    const [a] = server.state.seedSandboxes(1, {
      teamId,
      idPrefix: "a",
      metadata: { team: "a" },
      startedAt: new Date(Date.now() - 3 * H),
    });
    // The lie: the listing answers with every sandbox, whatever `metadata` asked for.
    server.onResponse((req, reply) => {
      if (req.method !== "GET" || req.path !== "/v2/sandboxes") return undefined;
      const all = [a, b].map((s) => server.state.getSandbox(teamId, s.sandboxID)!);
      const body = all.map((s) => ({
        sandboxID: s.sandboxID,
        templateID: s.templateID,
        clientID: "x",
        startedAt: s.startedAt.toISOString(),
        endAt: s.endAt.toISOString(),
        cpuCount: s.cpuCount,
        memoryMB: s.memoryMB,
        diskSizeMB: 1024,
        metadata: s.metadata,
        state: s.state,
        envdVersion: "0.2.0",
      }));
      return { ...reply, body, headers: {} };
    });
    const r = await audit({ kill: true, yes: true, metadata: ["team=a"] });
    expect(alive(b.sandboxID)).toBe(true);
    expect(alive(a.sandboxID)).toBe(false);
    expect(r.report.killed).toEqual([a.sandboxID]);
    expect(r.report.skipped).toEqual([
      { sandboxId: b.sandboxID, reason: expect.stringMatching(/^outside-filter/) },
    ]);
  });

  test("a sandbox listed twice (offset paging while sandboxes come and go) is counted and priced once", async () => {
    // rt37 note: 2 sandboxes read as "Sandboxes: 4" at twice the hourly cost.
    const [a] = server.state.seedSandboxes(2, {
      teamId,
      idPrefix: "old",
      startedAt: new Date(Date.now() - 3 * H),
    });
    server.onResponse((req, reply) =>
      req.method === "GET" && req.path === "/v2/sandboxes" && Array.isArray(reply.body)
        ? {
            ...reply,
            body: [
              ...reply.body,
              ...reply.body.filter((x) => (x as { sandboxID: string }).sandboxID === a.sandboxID),
            ],
          }
        : undefined,
    );
    const r = await audit({});
    expect(r.report.total).toBe(2);
    expect(r.report.leaked).toHaveLength(2);
    expect(r.report.skipped).toEqual([
      {
        sandboxId: a.sandboxID,
        reason: "listed again by the API (on this page or an earlier one); counted once",
      },
    ]);
  });

  test("one unparsable startedAt is reported and skipped; the rest are judged", async () => {
    const [bad] = server.state.seedSandboxes(1, { teamId, idPrefix: "bad" });
    server.state.seedSandboxes(3, { teamId, idPrefix: "old", startedAt: new Date(Date.now() - 3 * H) });
    server.onResponse(
      rewriteListed((r) => (r.sandboxID === bad.sandboxID ? { ...r, startedAt: "yesterday-ish" } : r)),
    );
    const r = await audit({});
    expect(r.code).toBe(1);
    expect(r.report.total).toBe(3);
    expect(r.report.leaked).toHaveLength(3);
    expect(r.report.skipped).toEqual([
      { sandboxId: bad.sandboxID, reason: "malformed: startedAt is not a date-time" },
    ]);
  });

  test("the same next-page token twice stops the listing with an error (exit 2), nothing killed", async () => {
    server.state.seedSandboxes(5, { teamId, idPrefix: "old", startedAt: new Date(Date.now() - 3 * H) });
    server.onResponse((req, reply) =>
      req.method === "GET" && req.path === "/v2/sandboxes"
        ? { status: 200, body: reply.status === 200 ? reply.body : [], headers: { "X-Next-Token": "again" } }
        : undefined,
    );
    const r = await audit({ kill: true, yes: true, pageSize: "2" });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*same next-page token twice/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(server.requests.filter((q) => q.path === "/v2/sandboxes").length).toBeLessThanOrEqual(3);
    expect(deletes()).toEqual([]);
  });

  test("pages that bring nothing new under ever new tokens stop the listing with an error (exit 2), nothing killed", async () => {
    server.state.seedSandboxes(3, { teamId, idPrefix: "old", startedAt: new Date(Date.now() - 3 * H) });
    for (const kind of ["empty", "repeat", "malformed"]) {
      // An empty page, the first page's sandboxes again, or one unreadable record again (rt48 #6),
      // each time with a token not seen before.
      const repeat = kind !== "empty";
      let n = 0;
      let first: unknown[] = [];
      const off = server.onResponse((req, reply) => {
        if (req.method !== "GET" || req.path !== "/v2/sandboxes") return undefined;
        if (repeat && !req.query.has("nextToken"))
          first =
            kind === "repeat"
              ? (reply.body as unknown[])
              : (reply.body as Array<Record<string, unknown>>).map((x) => ({
                  ...x,
                  startedAt: "yesterday-ish",
                }));
        return { status: 200, body: first, headers: { "X-Next-Token": `t${kind}${n++}` } };
      });
      const before = server.requests.length;
      const r = await audit({ kill: true, yes: true });
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /^error: .*5 pages in a row with a next-page token and no sandbox not listed before/,
      );
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(
        server.requests.slice(before).filter((q) => q.path === "/v2/sandboxes").length,
      ).toBeLessThanOrEqual(7);
      expect(deletes()).toEqual([]);
      expect(first).toHaveLength(repeat ? 3 : 0);
      off();
    }
  });
});

describe("sandboxes audit output", () => {
  test("a metadata value of a control character and a key is masked in the JSON attribution rows", async () => {
    const key = "e2b_" + "7e".repeat(20);
    server.state.seedSandboxes(1, { teamId, metadata: { note: `\u0001${key}`, who: `x${key}_prod` } });
    for (const format of ["json", "text"]) {
      const r = await audit({ format, by: "note,who" });
      expect(r.code).toBe(0);
      for (let i = 0; i + 20 <= key.length; i++) expect(r.out + r.err).not.toContain(key.slice(i, i + 20));
      expect(r.out).toContain("e2b_…7e7e");
    }
  });
});

describe("sandboxes audit against a hung API", () => {
  // Bounds that tell an audit that gave up from one that hangs (until the test's timeout), not speed:
  // on a loaded machine, with a collection forced every 100 ms, a 1 s request timeout and its retry
  // took 15 s. The deadline's bound stays under the 30 s request timeout, so only the deadline can
  // have ended that run.
  const GAVE_UP = 30_000;
  const DEADLINE_ENDED = 20_000;
  test("a request that never answers is given up after --request-timeout, then retried", async () => {
    server.state.seedSandboxes(2, { teamId });
    server.faults.next(1, { status: 0, hang: true, path: "/v2/sandboxes" });
    const r = await audit({ requestTimeout: "1s" });
    expect(r.code).toBe(0);
    expect(r.report.total).toBe(2);
    expect(r.ms).toBeLessThan(GAVE_UP);
  });

  test("an API that never answers ends at the overall --deadline: one line, exit 2", async () => {
    server.faults.next(1000, { status: 0, hang: true });
    const r = await audit({ requestTimeout: "30s", deadline: "2s" });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: the audit's deadline of 2 s passed while listing sandboxes/);
    expect(r.ms).toBeLessThan(DEADLINE_ENDED);
  });

  test("the deadline and the request timeout still end a held request when garbage is collected meanwhile", async () => {
    // On Node 20 the SDK's abort signals reach undici by weak reference; a collection used to cut
    // the link and this run hung until jest's timeout (nodejs/node#55428).
    server.state.seedSandboxes(1, { teamId });
    server.faults.next(1, { status: 0, hang: true, path: "/v2/sandboxes" });
    const stop = collectGarbageEvery(100);
    let retried: { code: number; ms: number; report?: { total: number } };
    let r: { code: number; err: string; ms: number };
    try {
      retried = await audit({ requestTimeout: "1s" });
      server.faults.next(1000, { status: 0, hang: true });
      r = await audit({ requestTimeout: "30s", deadline: "2s" });
    } finally {
      stop();
    }
    expect(retried.code).toBe(0);
    expect(retried.report?.total).toBe(1);
    expect(retried.ms).toBeLessThan(GAVE_UP);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: the audit's deadline of 2 s passed while listing sandboxes/);
    expect(r.ms).toBeLessThan(DEADLINE_ENDED);
  });
});

describe("sandboxes audit against an API that sends a compressed answer too large to read", () => {
  test("stops reading at the limit: one line, exit 2, not retried", async () => {
    server.state.seedSandboxes(1, { teamId });
    // 40 MiB of JSON as inflated, about 40 KiB on the wire.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from("["), Buffer.alloc(40 * 1024 * 1024, " "), Buffer.from("]")]),
    );
    expect(bomb.length).toBeLessThan(1024 * 1024);
    server.onResponse((req) =>
      req.method === "GET" && req.path === "/v2/sandboxes"
        ? { status: 200, body: bomb, headers: { "Content-Encoding": "gzip" } }
        : undefined,
    );
    const r = await audit({});
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /sent an answer too large to read while listing sandboxes \(page 1\): its answer is larger than 32 MiB \(as inflated\)/,
    );
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(server.requests.filter((q) => q.path === "/v2/sandboxes")).toHaveLength(1);
  });
});

describe("sandboxes audit against an API whose answer cannot be read", () => {
  test("a JSON object where the list of sandboxes belongs: one line saying so, exit 2, not retried", async () => {
    // rt37 #5: retried six times, then "unreachable or failing … (intermediate value).map is not a function".
    server.state.seedSandboxes(2, { teamId });
    server.onResponse((req, reply) =>
      req.method === "GET" && req.path === "/v2/sandboxes"
        ? { ...reply, body: { sandboxes: reply.body } }
        : undefined,
    );
    const r = await audit({});
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split("\n")).toEqual([
      expect.stringMatching(
        /answered in a shape the E2B API does not have while listing sandboxes \(page 1\) .*; not retried$/,
      ),
    ]);
    expect(r.err).not.toMatch(/intermediate value|is not a function/);
    expect(server.requests.filter((q) => q.path === "/v2/sandboxes")).toHaveLength(1);
  });
});

describe("sandboxes audit against an API that echoes the request's key in its error", () => {
  test("the key it sent is masked echoed upper-cased, as upper-case hex, or inside base64 of a longer text", async () => {
    // rt39 #4: these three forms of a self-hosted key were printed whole.
    const key = `selfhosted_${randomBytes(16).toString("hex")}`;
    server.state.addApiKey(teamId, { key });
    apiKey = key;
    for (const echoed of [
      key.toUpperCase(),
      Buffer.from(key).toString("hex").toUpperCase(),
      Buffer.from(`X-API-Key: ${key}`).toString("base64"),
    ]) {
      const off = server.onResponse(() => ({ status: 400, body: { message: `bad key ${echoed}` } }));
      const r = await audit({});
      off();
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/400: bad key \S*…[0-9a-f]{4}/);
      expect(r.err + r.out).not.toContain(echoed);
      expect(r.err.toLowerCase()).not.toContain(key.slice(-20).toLowerCase());
    }
  });

  test("the key it sent is masked as it is, a self-hosted key that does not look like e2b_ too", async () => {
    // rt38 #7: a debugging proxy answering 400 with the request's headers showed a self-hosted key whole.
    for (const key of [apiKey, `selfhosted_${randomBytes(20).toString("hex")}`]) {
      if (!key.startsWith("e2b_")) server.state.addApiKey(teamId, { key });
      const echo: ResponseRewriter = () => ({
        status: 400,
        body: { message: `bad: {"x-api-key":"${key}"}` },
      });
      const off = server.onResponse(echo);
      apiKey = key;
      const r = await audit({});
      off();
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/400: bad: \{"x-api-key":"(e2b_|se)…[0-9a-f]{4}"\}/);
      expect(r.err + r.out).not.toContain(key);
      expect(r.err + r.out).not.toContain(key.slice(-24));
    }
  });
});

describe("sandboxes audit against an API that redirects", () => {
  let elsewhere: E2BServer;
  beforeEach(async () => (elsewhere = await startE2BServer()));
  afterEach(() => elsewhere.close());

  // A failed listing is an error (exit 2); a failed kill leaves the sandbox leaked (exit 1).
  it.each([
    ["the listing", "GET", "/v2/sandboxes", {}, 2],
    ["the kill", "DELETE", "/sandboxes/", { kill: true, yes: true }, 1],
  ] as const)(
    "never follows a redirect of %s to another host: the key stays with the API named",
    async (_what, method, path, flags, code) => {
      server.state.seedSandboxes(1, { teamId, idPrefix: "old", startedAt: new Date(Date.now() - 3 * H) });
      server.onResponse((req) =>
        req.method === method && req.path.startsWith(path)
          ? { status: 307, headers: { Location: `${elsewhere.url}${req.path}` } }
          : undefined,
      );
      const r = await audit(flags);
      expect(r.code).toBe(code);
      expect(r.report?.killed ?? []).toEqual([]);
      expect(r.err).toMatch(
        /answered 307, a redirect, while .*: not followed, since the API key goes only to the API named/,
      );
      expect(elsewhere.requests).toEqual([]);
      expect(r.err).not.toContain(apiKey.slice(4));
    },
  );
});

describe("sandboxes audit against an API that sends hostile strings or oversized pages", () => {
  it("writes control characters from the API as \\uXXXX, so a template id cannot rewrite the report on a terminal", async () => {
    const forged = "base\r\x1b[2K\x1b[1ANo leaked sandboxes.\x1b[8m";
    server.state.seedSandboxes(1, {
      teamId,
      idPrefix: "old",
      templateID: forged,
      metadata: { user_id: "alice\nLeaked sandboxes: 0" },
      startedAt: new Date(Date.now() - 3 * H),
    });
    const r = await audit({ format: "text", by: "user_id" });
    expect(r.code).toBe(1);
    expect(r.out.includes("\r") || r.out.includes("\x1b")).toBe(false);
    expect(r.out).toContain("base\\u000d\\u001b[2K");
    expect(r.out.split("\n").filter((l) => /^(No leaked sandboxes\.|Leaked sandboxes: 0)$/.test(l))).toEqual(
      [],
    );
  });

  it("labels sandboxes without a --by key as missing, whatever the key's name (constructor, toString)", async () => {
    server.state.seedSandboxes(2, { teamId, idPrefix: "s", metadata: {} });
    const r = await audit({ by: "constructor,toString" });
    expect(r.report.attribution.map((a: { key: string; value: unknown }) => [a.key, a.value])).toEqual([
      ["constructor", null],
      ["toString", null],
    ]);
  });

  it("labels a huge metadata value by its start and length", async () => {
    server.state.seedSandboxes(1, { teamId, idPrefix: "s", metadata: { user_id: "u".repeat(100_000) } });
    const r = await audit({ by: "user_id" });
    expect(r.report.attribution[0].value).toBe("uuuu…(100000 characters)");
  });

  it("shortens a long metadata value only once an encoded key in it is masked", async () => {
    const key = `e2b_${randomBytes(20).toString("hex")}`;
    const blob = Buffer.from(`E2B_API_KEY=${key}`).toString("base64");
    server.state.seedSandboxes(1, {
      teamId,
      idPrefix: "s",
      metadata: { user_id: `${blob} ${"z".repeat(300)}` },
    });
    const r = await audit({ by: "user_id" });
    const label = r.report.attribution[0].value as string;
    expect(label).not.toContain(blob.slice(0, 16));
    expect(findMaterial(label)).toEqual([]);
    expect(label).toMatch(/^e2b_….* zzzz…\(300 characters\)$/);
  });

  it("stops when a page holds more sandboxes than asked for: one line, exit 2, nothing judged", async () => {
    server.state.seedSandboxes(3, { teamId, idPrefix: "s", startedAt: new Date(Date.now() - 3 * H) });
    server.onResponse((req, reply) =>
      req.method === "GET" && req.path === "/v2/sandboxes" && Array.isArray(reply.body)
        ? { ...reply, body: [...reply.body, ...reply.body, ...reply.body] }
        : undefined,
    );
    const r = await audit({ pageSize: "2" });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/returned 6 sandboxes for a page of 2 \(page 1\); listing stopped/);
  });
});
