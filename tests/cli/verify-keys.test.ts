/**
 * `--verify-keys` against the local E2B API only: one read-only request per distinct key, live /
 * revoked / unknown, rate-limited and time-limited, no redirect followed, and no key in any output.
 * The end-to-end cases run the command (in-process, tests/support/cli.ts) with E2B_API_URL on loopback.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { loadStateExport } from "../../engine";
import { checkKeys, collectKeys, verifyApiUrl, type KeyCheck } from "../../cli/verify-keys";
import { addAccessToken, startE2BServer, type E2BServer } from "../support/e2b-api";
import { repoRoot } from "../support/scan";
import { runCli } from "../support/cli";

const LEAKED = "e2b_0123456789abcdef0123456789abcdef01234567"; // the key in the Lambda state fixtures
const HEX = LEAKED.slice(4);
const state = (f: string) => path.join(repoRoot, "tests/engine/fixtures/state", f);
const key = (n: number) => "e2b_" + String(n).padStart(2, "0").repeat(20);

let server: E2BServer;
let teamId: string;
beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId } = server.state.addTeam());
});
afterEach(() => server.close());

const found = (...keys: string[]) =>
  collectKeys([
    {
      project: "p",
      stack: "s",
      organization: "o",
      source: { kind: "state", path: "x" },
      tags: {},
      config: {},
      resources: keys.map((k, i) => ({
        urn: `urn:pulumi:s::p::aws:lambda/function:Function::f${i}`,
        type: "aws:lambda/function:Function",
        name: `f${i}`,
        custom: true,
        dependencies: [],
        propertyDependencies: {},
        inputs: { environment: { variables: { E2B_API_KEY: k } } },
        outputs: {},
      })),
    },
  ]).values();

const fast = () => ({ apiUrl: server.url, minIntervalMs: 0, requestTimeoutMs: 1_000 });
const statuses = (cs: KeyCheck[]) => cs.map((c) => c.status);

describe("collectKeys", () => {
  test("finds each distinct key once, in inputs, outputs, secrets, config and base64 text", () => {
    const g = loadStateExport(state("lambda-key-plain.json"));
    g.config["agents-api:other"] = key(7);
    g.resources[0].outputs = {
      blob: Buffer.from(`E2B_API_KEY=${key(8)}\n`.repeat(2)).toString("base64"),
    };
    const keys = [...collectKeys([g]).values()];
    expect(keys.map((k) => k.mask).sort()).toEqual(["e2b_…0707", "e2b_…0808", "e2b_…4567"].sort());
    expect(keys.find((k) => k.mask === "e2b_…4567")?.where).toEqual(
      new Set(["urn:pulumi:prod::agents-api::aws:lambda/function:Function::api"]),
    );
  });
});

describe("checkKeys against the local E2B API", () => {
  test("live, revoked (deleted) and never-issued keys: one read-only GET each, nothing created", async () => {
    const live = server.state.addApiKey(teamId).key;
    const deleted = server.state.addApiKey(teamId);
    server.state.deleteApiKey(teamId, deleted.id);
    const checks = await checkKeys(found(live, deleted.key, key(3)), fast());
    expect(statuses(checks)).toEqual(["live", "revoked", "revoked"]);
    expect(server.requests.map((r) => [r.method, r.path])).toEqual([
      ["GET", "/sandboxes/e2b-guardrails-key-check"],
      ["GET", "/sandboxes/e2b-guardrails-key-check"],
      ["GET", "/sandboxes/e2b-guardrails-key-check"],
    ]);
    expect(server.state.team(teamId).sandboxes.size).toBe(0);
  });

  test("a deprecated access token is checked with Bearer auth on a template route", async () => {
    const token = addAccessToken(server.state, teamId);
    const checks = await checkKeys(found(token, "sk_e2b_" + "9".repeat(40)), fast());
    expect(statuses(checks)).toEqual(["live", "revoked"]);
    expect(server.requests.map((r) => r.path)).toEqual([
      "/templates/e2b-guardrails-key-check/builds/e2b-guardrails-key-check/status",
      "/templates/e2b-guardrails-key-check/builds/e2b-guardrails-key-check/status",
    ]);
  });

  test("5xx, a timeout and a persistent 429 are unknown, never live", async () => {
    const live = server.state.addApiKey(teamId).key;
    server.faults.next(1, { status: 503 });
    expect(statuses(await checkKeys(found(live), fast()))).toEqual(["unknown"]);
    server.faults.next(2, { status: 429, retryAfter: 0 });
    const limited = await checkKeys(found(live), fast());
    expect(limited).toEqual([
      expect.objectContaining({ status: "unknown", reason: "E2B API answered HTTP 429" }),
    ]);
    server.faults.delayMs = 500;
    const slow = await checkKeys(found(live), { ...fast(), requestTimeoutMs: 100 });
    expect(slow[0]).toMatchObject({ status: "unknown", reason: "no answer within 100 ms" });
  });

  test("a 429 with a short Retry-After is waited out once", async () => {
    const live = server.state.addApiKey(teamId).key;
    server.faults.next(1, { status: 429, retryAfter: 1 });
    expect(statuses(await checkKeys(found(live), fast()))).toEqual(["live"]);
  });

  test("requests are spaced (rate limit), capped in number, and stop at the deadline", async () => {
    const started = Date.now();
    await checkKeys(found(key(1), key(2), key(3)), { ...fast(), minIntervalMs: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);

    const capped = await checkKeys(found(key(1), key(2), key(3)), { ...fast(), maxKeys: 1 });
    expect(capped.map((c) => c.reason)).toEqual([
      undefined,
      "not checked: more than 1 keys",
      "not checked: more than 1 keys",
    ]);

    server.requests.length = 0;
    const late = await checkKeys(found(key(1), key(2)), {
      ...fast(),
      deadlineMs: 500,
      requestTimeoutMs: 400,
      minIntervalMs: 300,
    });
    expect(late.map((c) => c.status)).toEqual(["revoked", "unknown"]);
    expect(server.requests).toHaveLength(1);
  });

  test("a redirect is not followed: the key never reaches the other host", async () => {
    let reached = 0;
    const other = http.createServer((_q, s) => {
      reached++;
      s.end();
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const redirecting = http.createServer((_q, s) => {
      s.writeHead(307, { Location: `${target}/sandboxes/x` });
      s.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      const checks = await checkKeys(found(key(4)), { ...fast(), apiUrl: url });
      expect(checks[0]).toMatchObject({ status: "unknown", reason: "E2B API answered HTTP 307" });
      expect(reached).toBe(0);
    } finally {
      redirecting.close();
      other.close();
    }
  });

  test("the API is E2B_API_URL or E2B's default, http(s) only", () => {
    expect(verifyApiUrl({}, {})).toBe("https://api.e2b.app");
    expect(verifyApiUrl({}, { E2B_API_URL: "http://127.0.0.1:9/" })).toBe("http://127.0.0.1:9");
    expect(() => verifyApiUrl({}, { E2B_API_URL: "file:///etc/passwd" })).toThrow(/http\(s\)/);
  });
});

/** The command in-process (tests/support/cli.ts), with this environment for its duration. */
const cli = (env: Record<string, string>, ...args: string[]) => runCli(args, { env });

describe("e2b-guardrails audit --verify-keys", () => {
  test("a live leaked key says rotate now with the component's steps; the key appears nowhere", async () => {
    server.state.addApiKey(teamId, { key: LEAKED });
    const r = await cli(
      { E2B_API_URL: server.url },
      "audit",
      "--state",
      state("lambda-key-plain.json"),
      "--format",
      "json",
      "--verify-keys",
    );
    expect(r.code).toBe(1);
    const finding = JSON.parse(r.stdout).stacks[0].findings.find(
      (f: { urn: string; message: string }) => f.urn.endsWith("::api") && f.message.includes("e2b_…4567"),
    );
    expect(finding.keyStatus).toBe("live");
    expect(finding.message).toMatch(/key check: LIVE.*Rotate now: change rotation\.trigger.*`pulumi up`/);
    expect(r.stderr).toMatch(/--verify-keys checked 1 distinct key\(s\): 1 live, 0 revoked, 0 unknown/);
    expect(server.requests).toHaveLength(1);
    for (const t of [r.stdout, r.stderr]) expect(t).not.toContain(HEX);
  });

  test("preview --verify-keys checks the key the program plants, the same way", async () => {
    server.state.addApiKey(teamId, { key: LEAKED });
    const r = await cli(
      { E2B_API_URL: server.url },
      "preview",
      "--cwd",
      path.join(__dirname, "fixtures/lambda-key"),
      "--stack",
      "dev",
      "--format",
      "json",
      "--verify-keys",
    );
    expect(r.code).toBe(1);
    const live = JSON.parse(r.stdout).stacks[0].findings.filter(
      (f: { keyStatus?: string }) => f.keyStatus === "live",
    );
    expect(live.length).toBeGreaterThan(0);
    expect(server.requests.map((q) => q.path)).toEqual(["/sandboxes/e2b-guardrails-key-check"]);
    for (const t of [r.stdout, r.stderr]) expect(t).not.toContain(HEX);
  });

  test("a revoked key says so; without the flag no request is made at all", async () => {
    const revoked = await cli(
      { E2B_API_URL: server.url },
      "audit",
      "--state",
      state("lambda-key-plain.json"),
      "--format",
      "json",
      "--verify-keys",
    );
    const stack = JSON.parse(revoked.stdout).stacks[0];
    expect(
      stack.findings.filter((f: { keyStatus?: string }) => f.keyStatus === "revoked").length,
    ).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    const plain = await cli(
      { E2B_API_URL: server.url },
      "audit",
      "--state",
      state("lambda-key-plain.json"),
      "--format",
      "json",
    );
    expect(plain.code).toBe(1);
    expect(JSON.stringify(JSON.parse(plain.stdout))).not.toMatch(/key check|keyStatus/);
    expect(server.requests).toEqual([]);
  });
});
