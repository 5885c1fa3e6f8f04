/**
 * The local E2B API server, driven by the real `e2b` SDK (sandbox endpoints) and by plain fetch
 * (the /api-keys contract the components' dynamic resource uses).
 */
import {
  Sandbox,
  AuthenticationError,
  RateLimitError,
  SandboxNotFoundError,
  TemplateError,
} from "../support/e2b-api/sdk";
import { startE2BServer, type E2BServer } from "../support/e2b-api";

let server: E2BServer;
let teamId: string;
let bearerToken: string;
let apiKey: string;

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId, bearerToken } = server.state.addTeam({ plan: "pro" }));
  apiKey = server.state.addApiKey(teamId, { name: "test" }).key;
});
afterEach(async () => {
  await server.close();
});

/** `apiUrl` is honoured by the SDK (≥ 2.3.4) but marked @internal, so its public types omit it. */
const at = (url: string, key: string, retries = 0) => ({ apiKey: key, apiUrl: url, retries });
const sdk = () => at(server.url, apiKey);

async function listAll(opts: Parameters<typeof Sandbox.list>[0]) {
  const pager = Sandbox.list(opts);
  const out = [];
  let pages = 0;
  while (pager.hasNext) {
    out.push(...(await pager.nextItems()));
    pages++;
  }
  return { items: out, pages };
}

describe("sandbox endpoints with the real SDK", () => {
  test("Sandbox.create succeeds, sends metadata/envs/timeout, and kill removes it", async () => {
    const sbx = await Sandbox.create("base", {
      ...sdk(),
      metadata: { user_id: "u1" },
      envs: { FOO: "bar" },
      timeoutMs: 120_000,
    });
    expect(sbx.sandboxId).toMatch(/^i[a-z0-9]{20}$/);
    const rec = server.state.getSandbox(teamId, sbx.sandboxId)!;
    expect(rec.metadata).toEqual({ user_id: "u1" });
    expect(rec.envVars).toEqual({ FOO: "bar" });
    expect(rec.endAt.getTime() - rec.startedAt.getTime()).toBe(120_000);
    expect(server.requests.find((r) => r.method === "POST")?.path).toBe("/v2/sandboxes");

    const info = await Sandbox.getInfo(sbx.sandboxId, sdk());
    expect(info.state).toBe("running");
    expect(info.metadata).toEqual({ user_id: "u1" });

    await sbx.setTimeout(30_000);
    expect(server.state.getSandbox(teamId, sbx.sandboxId)!.endAt.getTime()).toBeGreaterThan(Date.now());

    await sbx.kill();
    expect(server.state.getSandbox(teamId, sbx.sandboxId)).toBeUndefined();
    expect(await Sandbox.kill(sbx.sandboxId, sdk())).toBe(false); // 404 → false
    await expect(Sandbox.getInfo(sbx.sandboxId, sdk())).rejects.toBeInstanceOf(SandboxNotFoundError);
  });

  test("an envdVersion below 0.1.0 makes the SDK kill the sandbox and throw", async () => {
    server.state.envdVersion = "0.0.9";
    await expect(Sandbox.create("base", sdk())).rejects.toBeInstanceOf(TemplateError);
    expect(server.state.team(teamId).sandboxes.size).toBe(0);
    expect(server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(["POST 201", "DELETE 204"]);
  });

  test("timeouts above the plan maximum and concurrency above the quota are refused", async () => {
    const hobby = server.state.addTeam({ plan: "hobby", maxConcurrency: 1 });
    const key = server.state.addApiKey(hobby.teamId).key;
    await expect(Sandbox.create("base", { ...at(server.url, key, 3), timeoutMs: 7_200_000 })).rejects.toThrow(
      /Timeout cannot be greater than 1 hours/,
    );
    await Sandbox.create("base", at(server.url, key, 0));
    await expect(Sandbox.create("base", at(server.url, key, 0))).rejects.toBeInstanceOf(RateLimitError);
  });

  test("unknown, malformed and deleted keys get 401", async () => {
    await expect(listAll(at(server.url, "e2b_" + "0".repeat(40), 3))).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const res = await fetch(`${server.url}/v2/sandboxes`, { headers: { "X-API-Key": "nope" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 401, message: "authorization header is malformed" });
    const created = server.state.addApiKey(teamId);
    server.state.deleteApiKey(teamId, created.id);
    await expect(listAll(at(server.url, created.key, 3))).rejects.toBeInstanceOf(AuthenticationError);
  });

  test("list paginates over several pages with X-Next-Token, newest first, without duplicates", async () => {
    server.state.seedSandboxes(250, { teamId });
    const { items, pages } = await listAll({ ...sdk(), limit: 100 });
    expect(pages).toBe(3);
    expect(new Set(items.map((s) => s.sandboxId)).size).toBe(250);
    for (let i = 1; i < items.length; i++)
      expect(items[i - 1].startedAt.getTime()).toBeGreaterThanOrEqual(items[i].startedAt.getTime());
    const tokens = server.requests.map((r) => r.query.nextToken);
    expect(tokens[0]).toBeUndefined();
    expect(tokens[1]).toEqual(expect.any(String));
  });

  test("state, metadata (URL-encoded k=v&k2=v2, special characters) and template filters", async () => {
    server.state.seedSandboxes(30, {
      teamId,
      state: (i) => (i % 3 === 0 ? "paused" : "running"),
      metadata: (i) => ({ user_id: i % 2 ? "a b&c=d" : "plain", env: "prod" }),
      templateID: "base",
    });
    server.state.seedSandboxes(5, { teamId, templateID: "other" });
    expect((await listAll({ ...sdk(), query: { state: ["paused"] } })).items).toHaveLength(10);
    expect((await listAll({ ...sdk(), query: { state: ["running", "paused"] } })).items).toHaveLength(35);
    const special = await listAll({ ...sdk(), query: { metadata: { user_id: "a b&c=d", env: "prod" } } });
    expect(special.items).toHaveLength(15);
    expect(special.items.every((s) => s.metadata.user_id === "a b&c=d")).toBe(true);
    const both = await listAll({ ...sdk(), query: { metadata: { user_id: "plain" }, state: ["paused"] } });
    expect(both.items.map((s) => s.metadata.user_id)).toEqual(Array(5).fill("plain"));
    expect((await listAll({ ...sdk(), query: { template: "other" } })).items).toHaveLength(5);
  });

  test("limit above 100 and bad cursors are 400 with {code, message}", async () => {
    const r1 = await fetch(`${server.url}/v2/sandboxes?limit=101`, { headers: { "X-API-Key": apiKey } });
    expect(r1.status).toBe(400);
    expect(await r1.json()).toMatchObject({ code: 400 });
    const r2 = await fetch(`${server.url}/v2/sandboxes?nextToken=zzz`, { headers: { "X-API-Key": apiKey } });
    expect(r2.status).toBe(400);
  });

  test("a sandbox killed between pages is not listed and nothing is duplicated", async () => {
    const seeded = server.state.seedSandboxes(150, {
      teamId,
      startedAt: (i) => new Date(Date.now() - i * 1000),
    });
    // seeded[120] would be on page 2 (newest first); kill it and add a brand-new one after page 1.
    server.onRequest(({ query }) => {
      if (query.get("nextToken") && server.state.getSandbox(teamId, seeded[120].sandboxID)) {
        server.state.killSandbox(teamId, seeded[120].sandboxID);
        server.state.seedSandboxes(1, { teamId, idPrefix: "new" });
      }
    });
    const { items } = await listAll({ ...sdk(), limit: 100 });
    const ids = items.map((s) => s.sandboxId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(seeded[120].sandboxID);
    expect(ids).toHaveLength(149); // the new one started after page 1's cursor position: not re-listed
  });

  test("expired sandboxes disappear, auto-paused ones become paused", async () => {
    let now = Date.now();
    const s2 = await startE2BServer({ now: () => new Date(now) });
    try {
      const t = s2.state.addTeam();
      const key = s2.state.addApiKey(t.teamId).key;
      const a = await Sandbox.create("base", { ...at(s2.url, key, 3), timeoutMs: 60_000 });
      const b = await Sandbox.create("base", {
        ...at(s2.url, key, 3),
        timeoutMs: 60_000,
        lifecycle: { onTimeout: "pause" },
      });
      now += 61_000;
      const { items } = await (async () => {
        const p = Sandbox.list(at(s2.url, key, 3));
        return { items: await p.nextItems() };
      })();
      expect(items.map((s) => [s.sandboxId, s.state])).toEqual([[b.sandboxId, "paused"]]);
      expect(await Sandbox.kill(a.sandboxId, at(s2.url, key, 3))).toBe(false);
    } finally {
      await s2.close();
    }
  });

  test("a listing between expiries, pauses and shortened timeouts always shows the state of now", async () => {
    // The server keeps what a page needs (next expiry, running total) between pages; every change
    // and every expiry must still show on the very next page.
    let now = Date.now();
    const s2 = await startE2BServer({ now: () => new Date(now) });
    try {
      const t = s2.state.addTeam();
      const key = s2.state.addApiKey(t.teamId).key;
      const conn = at(s2.url, key, 0);
      const a = await Sandbox.create("base", { ...conn, timeoutMs: 600_000 });
      const b = await Sandbox.create("base", { ...conn, timeoutMs: 600_000 });
      const c = await Sandbox.create("base", { ...conn, timeoutMs: 600_000 });
      const listing = async () => {
        const res = await fetch(`${s2.url}/v2/sandboxes?state=running,paused`, {
          headers: { "X-API-Key": key },
        });
        const body = (await res.json()) as { sandboxID: string; state: string }[];
        return {
          running: res.headers.get("x-total-running"),
          items: body.map((s) => `${s.sandboxID}:${s.state}`).sort(),
        };
      };
      const ids = (...xs: [string, string][]) => xs.map(([id, st]) => `${id}:${st}`).sort();
      expect(await listing()).toEqual({
        running: "3",
        items: ids([a.sandboxId, "running"], [b.sandboxId, "running"], [c.sandboxId, "running"]),
      });
      expect(await Sandbox.pause(b.sandboxId, conn)).toBe(true);
      expect((await listing()).running).toBe("2");
      await Sandbox.setTimeout(a.sandboxId, 10_000, conn); // shortened: expires before the others
      now += 11_000;
      expect(await listing()).toEqual({
        running: "1",
        items: ids([b.sandboxId, "paused"], [c.sandboxId, "running"]),
      });
      now += 600_000;
      expect(await listing()).toEqual({ running: "0", items: ids([b.sandboxId, "paused"]) });
    } finally {
      await s2.close();
    }
  });

  test("pause (409 → false when already paused), connect resumes, setTimeout is capped at the plan maximum", async () => {
    let now = Date.now();
    const s2 = await startE2BServer({ now: () => new Date(now) });
    try {
      const t = s2.state.addTeam({ plan: "hobby" });
      const key = s2.state.addApiKey(t.teamId).key;
      const conn = at(s2.url, key, 0);
      const sbx = await Sandbox.create("base", { ...conn, timeoutMs: 60_000 });
      expect(await Sandbox.pause(sbx.sandboxId, conn)).toBe(true);
      expect(await Sandbox.pause(sbx.sandboxId, conn)).toBe(false);
      expect(s2.state.getSandbox(t.teamId, sbx.sandboxId)?.state).toBe("paused");
      await expect(Sandbox.setTimeout(sbx.sandboxId, 10_000, conn)).rejects.toThrow(/409/);
      await Sandbox.connect(sbx.sandboxId, { ...conn, timeoutMs: 60_000 } as Parameters<
        typeof Sandbox.connect
      >[1]);
      const rec = s2.state.getSandbox(t.teamId, sbx.sandboxId)!;
      expect(rec.state).toBe("running");
      await Sandbox.setTimeout(sbx.sandboxId, 55 * 60_000, conn);
      now += 50 * 60_000;
      await Sandbox.setTimeout(sbx.sandboxId, 3_600_000, conn); // capped: 1 h from startedAt on Hobby
      expect(rec.endAt.getTime()).toBe(rec.startedAt.getTime() + 3_600_000);
      now = rec.startedAt.getTime() + 3_600_000 - 1;
      await Sandbox.setTimeout(sbx.sandboxId, 1_000, conn);
      now = rec.startedAt.getTime() + 3_600_000;
      await expect(Sandbox.setTimeout(sbx.sandboxId, 1_000, conn)).rejects.toThrow(
        /not found/, // gone at the plan maximum, whatever timeout is asked for
      );
    } finally {
      await s2.close();
    }
  });

  test("deprecated GET /sandboxes lists running sandboxes only, without pages", async () => {
    server.state.seedSandboxes(120, { teamId });
    server.state.seedSandboxes(5, { teamId, state: "paused" });
    const res = await fetch(`${server.url}/sandboxes`, { headers: { "X-API-Key": apiKey } });
    const body = (await res.json()) as Array<{ state: string }>;
    expect(body).toHaveLength(120);
    expect(res.headers.get("x-next-token")).toBeNull();
  });

  test("team metrics need a key of that team", async () => {
    await Sandbox.create("base", sdk());
    const res = await fetch(`${server.url}/teams/${teamId}/metrics`, { headers: { "X-API-Key": apiKey } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Array<{ concurrentSandboxes: number; timestampUnix: number }>;
    expect(body[body.length - 1].concurrentSandboxes).toBe(1);
    const other = server.state.addTeam();
    const res2 = await fetch(`${server.url}/teams/${other.teamId}/metrics`, {
      headers: { "X-API-Key": apiKey },
    });
    expect(res2.status).toBe(403);
    const max = await fetch(`${server.url}/teams/${teamId}/metrics/max?metric=concurrent_sandboxes`, {
      headers: { "X-API-Key": apiKey },
    });
    expect(((await max.json()) as { value: number }).value).toBe(1);
  });
});

describe("faults", () => {
  test("429 with Retry-After is served n times, then the request succeeds (SDK retry honours it)", async () => {
    server.faults.next(1, { status: 429, retryAfter: 0, path: "/v2/sandboxes" });
    const { items } = await listAll(at(server.url, apiKey, 1));
    expect(items).toEqual([]);
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(server.faults.pending).toBe(0);
  });

  test("500 is returned with a {code, message} body and matches by method and path", async () => {
    server.faults.next(2, { status: 500, method: "DELETE", path: "/sandboxes/*" });
    const r1 = await fetch(`${server.url}/v2/sandboxes`, { headers: { "X-API-Key": apiKey } });
    expect(r1.status).toBe(200);
    const r2 = await fetch(`${server.url}/sandboxes/x`, {
      method: "DELETE",
      headers: { "X-API-Key": apiKey },
    });
    expect(r2.status).toBe(500);
    expect(await r2.json()).toEqual({ code: 500, message: "internal server error" });
    expect(server.faults.pending).toBe(1);
  });

  test("delayMs delays responses (SDK request timeout trips)", async () => {
    server.faults.delayMs = 300;
    await expect(listAll({ ...sdk(), requestTimeoutMs: 50 })).rejects.toThrow();
  });
});

describe("/api-keys (dashboard session: bearer + X-Team-ID)", () => {
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${bearerToken}`,
        "X-Team-ID": teamId,
        ...(body ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  test("create returns 201 with the raw key once; list shows only the mask", async () => {
    const res = await call("POST", "/api-keys", { name: "proj-prod" });
    expect(res.status).toBe(201);
    const created = (await res.json()) as {
      id: string;
      key: string;
      name: string;
      mask: Record<string, unknown>;
    };
    expect(created.key).toMatch(/^e2b_[0-9a-f]{40}$/);
    expect(created.mask).toEqual({
      prefix: "e2b_",
      valueLength: 40,
      maskedValuePrefix: created.key.slice(4, 6),
      maskedValueSuffix: created.key.slice(-4),
    });
    const list = (await (await call("GET", "/api-keys")).json()) as Array<Record<string, unknown>>;
    expect(list.map((k) => k.name).sort()).toEqual(["proj-prod", "test"]);
    expect(JSON.stringify(list)).not.toContain(created.key);
    // The created key authenticates sandbox calls and resolves to this team.
    await Sandbox.create("base", at(server.url, created.key, 3));
    expect(server.state.team(teamId).sandboxes.size).toBe(1);
    const again = (await (await call("GET", "/api-keys")).json()) as Array<{
      id: string;
      lastUsed: string | null;
    }>;
    expect(again.find((k) => k.id === created.id)?.lastUsed).toEqual(expect.any(String));
  });

  test("two creates give two different random keys", async () => {
    const a = (await (await call("POST", "/api-keys", { name: "a" })).json()) as { key: string };
    const b = (await (await call("POST", "/api-keys", { name: "b" })).json()) as { key: string };
    expect(a.key).not.toBe(b.key);
  });

  test("rename is 202 with no body; delete is 204 and revokes at once; unknown ids are 404", async () => {
    const { id, key } = (await (await call("POST", "/api-keys", { name: "x" })).json()) as {
      id: string;
      key: string;
    };
    const r = await call("PATCH", `/api-keys/${id}`, { name: "y" });
    expect(r.status).toBe(202);
    expect(await r.text()).toBe("");
    expect(server.state.team(teamId).apiKeys.get(id)?.name).toBe("y");
    expect((await call("DELETE", `/api-keys/${id}`)).status).toBe(204);
    const gone = await call("DELETE", `/api-keys/${id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ code: 404, message: "id not found" });
    expect((await call("PATCH", `/api-keys/${id}`, { name: "z" })).status).toBe(404);
    const res = await fetch(`${server.url}/v2/sandboxes`, { headers: { "X-API-Key": key } });
    expect(res.status).toBe(401);
  });

  test("missing or bad session is 401; another team's id is 403; an API key cannot manage keys", async () => {
    const noAuth = await fetch(`${server.url}/api-keys`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ code: 401, message: expect.any(String) });
    expect((await call("GET", "/api-keys", undefined, { Authorization: "Bearer wrong" })).status).toBe(401);
    const other = server.state.addTeam();
    expect((await call("GET", "/api-keys", undefined, { "X-Team-ID": other.teamId })).status).toBe(403);
    const withKey = await fetch(`${server.url}/api-keys`, { headers: { "X-API-Key": apiKey } });
    expect(withKey.status).toBe(401);
    expect((await call("POST", "/api-keys", {})).status).toBe(400);
  });

  test("faults apply to /api-keys too", async () => {
    server.faults.next(1, { status: 429, retryAfter: 3, path: "/api-keys" });
    const r = await call("POST", "/api-keys", { name: "x" });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("3");
    expect(server.state.team(teamId).apiKeys.size).toBe(1); // nothing created
  });
});
