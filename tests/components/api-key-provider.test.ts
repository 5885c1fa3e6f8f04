/**
 * The E2B API key dynamic provider against the local E2B API server: the real provider code (the
 * object Pulumi serialises and runs), called directly as the dynamic-provider host calls it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { makeApiKeyProvider, type ApiKeyInputs, type ApiKeyOutputs } from "../../components/api-key/provider";
import { E2B_API_KEY_KIND } from "../../policies/model";
import { fingerprintKey, isKeyMaterial } from "../../policies/detect/keys";
import { startE2BServer, type E2BServer } from "../support/e2b-api";
import { startLossyProxy, type LossyProxy } from "./support/lossy-proxy";

type Provider = ReturnType<typeof makeApiKeyProvider>;

let server: E2BServer;
let teamId: string;
let token: string;

const inputs = (over: Partial<ApiKeyInputs> = {}): ApiKeyInputs => ({
  kind: E2B_API_KEY_KIND,
  name: "e2b-platform-prod",
  environment: "prod",
  teamId,
  rotation: "2026-11",
  ...over,
});

/** A provider configured the way the dynamic-provider host does it: from stack config. */
async function provider(config: Record<string, string> = {}, url = server.url): Promise<Provider> {
  const p = makeApiKeyProvider();
  const values: Record<string, string> = {
    "e2b:managementToken": token,
    "e2b:apiUrl": url,
    "e2b:requestTimeoutMs": "400",
    "e2b:maxAttempts": "3",
    "e2b:retryBaseDelayMs": "10",
    ...config,
  };
  await p.configure!({ config: { get: (k) => values[k], require: (k) => values[k] } });
  return p;
}

const keysOnServer = () => [...server.state.team(teamId).apiKeys.values()];

/** Error message of a rejected call, checked to hold no key material. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const message = (e as Error).message;
    expect(isKeyMaterial(message)).toBe(false);
    return message;
  }
  throw new Error("expected the call to fail");
}

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId, bearerToken: token } = server.state.addTeam({ name: "prod" }));
});
afterEach(async () => {
  server.faults.clear();
  await server.close();
});

describe("create, read, rename, delete", () => {
  test("create makes one key named after the environment; outputs carry mask and fingerprint", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    const o = outs as ApiKeyOutputs;
    expect(keysOnServer().map((k) => [k.id, k.name])).toEqual([[id, "e2b-platform-prod"]]);
    expect(server.state.authenticateKey(o.key)?.id).toBe(teamId);
    expect(o.fingerprint).toBe(fingerprintKey(o.key));
    expect(o.mask).toMatch(/^e2b_…[0-9a-f]{4}$/);
    expect(o).toMatchObject({ kind: E2B_API_KEY_KIND, environment: "prod", teamId, rotation: "2026-11" });
    // The management call used the session credential, not an API key.
    expect(server.requests.filter((r) => r.path === "/api-keys").every((r) => r.teamId === teamId)).toBe(
      true,
    );
  });

  test("read returns the live key; a rename in the dashboard shows up as drift in name", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    expect(await p.read!(id, outs)).toEqual({ id, props: outs });
    server.state.team(teamId).apiKeys.get(id)!.name = "renamed-by-hand";
    const r = await p.read!(id, outs);
    expect(r.id).toBe(id);
    expect(r.props?.name).toBe("renamed-by-hand");
  });

  test("drift: a key deleted in the dashboard reads as gone", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    server.state.deleteApiKey(teamId, id);
    const r = await p.read!(id, outs);
    expect(r.id).toBeUndefined();
  });

  test("rename is an in-place update (PATCH), not a replacement", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    const news = inputs({ name: "e2b-platform-production" });
    const d = await p.diff!(id, outs as ApiKeyOutputs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const u = await p.update!(id, outs as ApiKeyOutputs, news);
    expect(u.outs?.name).toBe("e2b-platform-production");
    expect(u.outs?.key).toBe((outs as ApiKeyOutputs).key);
    expect(keysOnServer().map((k) => [k.id, k.name])).toEqual([[id, "e2b-platform-production"]]);
    expect(server.requests.some((r) => r.method === "PATCH" && r.status === 202)).toBe(true);
  });

  test("delete removes the key; deleting a key that is already gone (404) succeeds", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    await p.delete!(id, outs as ApiKeyOutputs);
    expect(keysOnServer()).toHaveLength(0);
    await expect(p.delete!(id, outs as ApiKeyOutputs)).resolves.toBeUndefined();
    expect(server.requests.filter((r) => r.method === "DELETE").map((r) => r.status)).toEqual([204, 404]);
  });

  test("no change, no diff; team or kind change replaces", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    const o = outs as ApiKeyOutputs;
    expect(await p.diff!(id, o, inputs())).toMatchObject({ changes: false, replaces: [] });
    expect((await p.diff!(id, o, inputs({ teamId: "another-team" }))).replaces).toEqual(["teamId"]);
  });

  test("check rejects a missing marker and names longer than the dashboard allows", async () => {
    const p = await provider();
    const r = await p.check!(inputs(), {
      ...inputs(),
      kind: "other" as typeof E2B_API_KEY_KIND,
      name: "x".repeat(51),
    });
    expect(r.failures?.map((f) => f.property).sort()).toEqual(["kind", "name"]);
  });
});

describe("rotation", () => {
  test("a new trigger replaces the key new-before-old: both live during the overlap, then only the new one", async () => {
    const p = await provider();
    const old = await p.create(inputs());
    const oldKey = (old.outs as ApiKeyOutputs).key;
    const d = await p.diff!(old.id, old.outs as ApiKeyOutputs, inputs({ rotation: "2027-02" }));
    expect(d.replaces).toEqual(["rotation"]);
    // Pulumi's default create-before-delete; we must not ask for the opposite.
    expect(d.deleteBeforeReplace).toBe(false);

    // The engine's replacement order: create the new key, update dependants (the store), delete the old.
    const fresh = await p.create(inputs({ rotation: "2027-02" }));
    const newKey = (fresh.outs as ApiKeyOutputs).key;
    expect(fresh.id).not.toBe(old.id);
    expect(fingerprintKey(newKey)).not.toBe(fingerprintKey(oldKey));
    expect(server.state.authenticateKey(oldKey)).toBeDefined();
    expect(server.state.authenticateKey(newKey)).toBeDefined();
    await p.delete!(old.id, old.outs as ApiKeyOutputs);
    expect(server.state.authenticateKey(oldKey)).toBeUndefined();
    expect(server.state.authenticateKey(newKey)?.id).toBe(teamId);
    expect(keysOnServer().map((k) => k.id)).toEqual([fresh.id]);
  });
});

describe("faults: clear errors, no orphaned key", () => {
  test("429 with Retry-After is waited out, then the key is created once", async () => {
    const p = await provider();
    server.faults.next(1, { status: 429, retryAfter: 1, method: "POST", path: "/api-keys" });
    const started = Date.now();
    const { id } = await p.create(inputs());
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(keysOnServer().map((k) => k.id)).toEqual([id]);
  });

  test("429 that persists gives up with a clear error and no key", async () => {
    const p = await provider();
    server.faults.next(10, { status: 429, retryAfter: 0, method: "POST", path: "/api-keys" });
    const message = await failure(p.create(inputs()));
    expect(message).toMatch(
      /could not create key "e2b-platform-prod" in team .*HTTP 429.*gave up after 3 attempts.*no key was left behind/,
    );
    expect(keysOnServer()).toHaveLength(0);
  });

  test("a Retry-After longer than we wait fails fast and says so", async () => {
    const p = await provider();
    server.faults.next(1, { status: 429, retryAfter: 3600, method: "POST", path: "/api-keys" });
    const started = Date.now();
    const message = await failure(p.create(inputs()));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(message).toMatch(/asked to wait 3600 s/);
    expect(keysOnServer()).toHaveLength(0);
  });

  test("500 is retried; a persistent 500 is a clear error and no key", async () => {
    const p = await provider();
    server.faults.next(1, { status: 500, method: "POST", path: "/api-keys" });
    const { id } = await p.create(inputs());
    expect(keysOnServer().map((k) => k.id)).toEqual([id]);

    server.faults.next(10, { status: 500, method: "POST", path: "/api-keys" });
    const message = await failure(p.create(inputs({ name: "e2b-platform-prod-2" })));
    expect(message).toMatch(/HTTP 500/);
    expect(keysOnServer().map((k) => k.id)).toEqual([id]);
  });

  test("a slow API times out with a clear error and leaves no key", async () => {
    const p = await provider();
    server.faults.delayMs = 1_000;
    const message = await failure(p.create(inputs()));
    expect(message).toMatch(/no response within 400 ms/);
    server.faults.delayMs = 0;
    await new Promise((r) => setTimeout(r, 1_200)); // let the slow requests finish on the server
    expect(keysOnServer()).toHaveLength(0);
  });

  describe("responses lost after the server created the key", () => {
    let proxy: LossyProxy;
    beforeEach(async () => {
      proxy = await startLossyProxy(server.url);
    });
    afterEach(() => proxy.close());

    test("a lost response is cleaned up and retried: exactly the returned key remains", async () => {
      const p = await provider({}, proxy.url);
      proxy.lose(1, "POST", "/api-keys", "error");
      const { id } = await p.create(inputs());
      expect(keysOnServer().map((k) => k.id)).toEqual([id]);
    });

    test("a create that never answers times out; the orphan is found and deleted", async () => {
      const p = await provider({ "e2b:maxAttempts": "1" }, proxy.url);
      proxy.lose(1, "POST", "/api-keys", "hang");
      const message = await failure(p.create(inputs()));
      expect(message).toMatch(/no response within 400 ms.*removed 1 partially created key/);
      expect(keysOnServer()).toHaveLength(0);
    });

    test("a create the server carries out after the client gave up and found no orphan is removed once the retry succeeds", async () => {
      const p = await provider({}, proxy.url);
      proxy.lose(1, "POST", "/api-keys", "late");
      const { id } = await p.create(inputs());
      expect(keysOnServer().map((k) => k.id)).toEqual([id]);
    });

    test("keys that existed before, even with the same name, are never touched", async () => {
      const existing = server.state.addApiKey(teamId, { name: "e2b-platform-prod" });
      const p = await provider({ "e2b:maxAttempts": "1" }, proxy.url);
      proxy.lose(1, "POST", "/api-keys", "error");
      await failure(p.create(inputs()));
      expect(keysOnServer().map((k) => k.id)).toEqual([existing.id]);
    });
  });

  test("delete retries a 500 and reports a persistent one (the key is then still in state)", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    server.faults.next(1, { status: 500, method: "DELETE" });
    await p.delete!(id, outs as ApiKeyOutputs);
    expect(keysOnServer()).toHaveLength(0);

    const again = await p.create(inputs());
    server.faults.next(10, { status: 500, method: "DELETE" });
    expect(await failure(p.delete!(again.id, again.outs as ApiKeyOutputs))).toMatch(
      /DELETE \/api-keys\/.* HTTP 500.*gave up after 3 attempts/,
    );
    expect(keysOnServer().map((k) => k.id)).toEqual([again.id]);
  });

  test("read and rename ride out a 429 and report a persistent 500 clearly", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    server.faults.next(1, { status: 429, retryAfter: 0, method: "GET", path: "/api-keys" });
    expect((await p.read!(id, outs)).id).toBe(id);
    server.faults.next(1, { status: 503, method: "PATCH" });
    await p.update!(id, outs as ApiKeyOutputs, inputs({ name: "renamed" }));
    expect(keysOnServer()[0].name).toBe("renamed");
    server.faults.next(10, { status: 500, method: "GET", path: "/api-keys" });
    expect(await failure(p.read!(id, outs))).toMatch(
      /GET \/api-keys answered HTTP 500.*gave up after 3 attempts/,
    );
  });

  test("a wrong management credential is a 401 with a hint, not retried", async () => {
    const p = await provider({ "e2b:managementToken": "session-not-valid" });
    const message = await failure(p.create(inputs()));
    expect(message).toMatch(/HTTP 401.*check the management credential/);
    expect(message).not.toContain("session-not-valid");
    expect(server.requests).toHaveLength(1);
  });

  test("no management credential: the error says which config key to set", async () => {
    const saved = process.env.E2B_MANAGEMENT_TOKEN;
    delete process.env.E2B_MANAGEMENT_TOKEN;
    try {
      const p = makeApiKeyProvider();
      await p.configure!({ config: { get: () => undefined, require: () => "" } });
      await expect(p.create(inputs())).rejects.toThrow(/pulumi config set --secret e2b:managementToken/);
    } finally {
      if (saved !== undefined) process.env.E2B_MANAGEMENT_TOKEN = saved;
    }
  });
});

test("a request E2B rejects (400) is not retried and does not claim retries", async () => {
  const server2 = await startE2BServer();
  try {
    const team = server2.state.addTeam();
    const values: Record<string, string> = {
      "e2b:managementToken": team.bearerToken,
      "e2b:apiUrl": server2.url,
      "e2b:retryBaseDelayMs": "10",
    };
    const p = makeApiKeyProvider();
    await p.configure!({ config: { get: (k) => values[k], require: (k) => values[k] } });
    server2.faults.next(1, { status: 400, message: "name is required", method: "POST", path: "/api-keys" });
    const err = await p
      .create({ kind: E2B_API_KEY_KIND, name: "n", environment: "e", teamId: team.teamId, rotation: "1" })
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /HTTP 400: name is required \(code 400\); no key was left behind$/,
    );
    expect(server2.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  } finally {
    await server2.close();
  }
});

test("a text error body is redacted before it is shortened, so no half key survives the cut", async () => {
  const key = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
  // A proxy's error page with a key just before the 200-character limit of the quoted body.
  const proxy = http.createServer((_req, res) => {
    res.writeHead(503, { "content-type": "text/plain" });
    res.end("x".repeat(189) + " " + key);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const message = await failure((await provider({}, url)).delete!("key-id", inputs() as ApiKeyOutputs));
    expect(message).toMatch(/HTTP 503: x+ e2b_…/);
    expect(message).not.toContain(key.slice(0, 10));
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});
