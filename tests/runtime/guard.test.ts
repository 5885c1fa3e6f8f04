/**
 * Guarded sandbox creation and withSandbox, with the real `e2b` SDK against the local E2B API.
 */
import { inspect } from "node:util";
import { Sandbox, SandboxError } from "../support/e2b-api/sdk";
import { startE2BServer, type E2BServer } from "../support/e2b-api";
import {
  createGuardedSandbox,
  withSandbox,
  GuardrailViolation,
  SandboxKillError,
  isCredentialName,
  POLICY_ENV_VAR,
  type SandboxPolicy,
} from "../../runtime";

const policy: SandboxPolicy = {
  environment: "staging",
  teamId: "team-staging",
  requiredMetadata: ["user_id", "request_id"],
  timeoutCeilingSeconds: 900,
  autoPause: { enabled: false },
  sandbox: { vcpu: 2, memoryMiB: 512 },
};

let server: E2BServer;
let teamId: string;
let apiKey: string;
/** A second, "planted" key that must never be printed or passed on. */
const planted = "e2b_" + "a1b2c3d4e5".repeat(4);

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId } = server.state.addTeam());
  apiKey = server.state.addApiKey(teamId).key;
});
afterEach(() => server.close());

const conn = () => ({ apiKey, apiUrl: server.url, env: {} });
const ids = { userId: "u-1", requestId: "r-1" };
const posts = () => server.requests.filter((r) => r.method === "POST");

async function violation(p: Promise<unknown>): Promise<GuardrailViolation> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GuardrailViolation);
    return e as GuardrailViolation;
  }
  throw new Error("expected a GuardrailViolation");
}

describe("createGuardedSandbox: successes", () => {
  test("creates with the environment, user_id and request_id metadata and the default timeout", async () => {
    const sbx = await createGuardedSandbox(policy, { ...conn(), ...ids, metadata: { feature: "chat" } });
    const rec = server.state.getSandbox(teamId, sbx.sandboxId)!;
    expect(rec.metadata).toEqual({
      feature: "chat",
      user_id: "u-1",
      request_id: "r-1",
      environment: "staging",
    });
    expect(rec.endAt.getTime() - rec.startedAt.getTime()).toBe(300_000); // SDK default, under the 900 s ceiling
  });

  test("the default timeout is capped at a ceiling below the SDK's 300 s, and the policy default is used", async () => {
    const a = await createGuardedSandbox({ ...policy, timeoutCeilingSeconds: 120 }, { ...conn(), ...ids });
    const ra = server.state.getSandbox(teamId, a.sandboxId)!;
    expect(ra.endAt.getTime() - ra.startedAt.getTime()).toBe(120_000);
    const b = await createGuardedSandbox({ ...policy, defaultTimeoutSeconds: 60 }, { ...conn(), ...ids });
    const rb = server.state.getSandbox(teamId, b.sandboxId)!;
    expect(rb.endAt.getTime() - rb.startedAt.getTime()).toBe(60_000);
  });

  test("a timeout at the ceiling exactly and harmless env vars pass", async () => {
    const sbx = await createGuardedSandbox(policy, {
      ...conn(),
      ...ids,
      timeoutMs: 900_000,
      envs: { NODE_ENV: "production", E2B_TEAM_ID: "not-a-secret" },
    });
    const rec = server.state.getSandbox(teamId, sbx.sandboxId)!;
    expect(rec.envVars).toEqual({ NODE_ENV: "production", E2B_TEAM_ID: "not-a-secret" });
    expect(rec.endAt.getTime() - rec.startedAt.getTime()).toBe(900_000);
  });

  test("the policy is read from E2B_SANDBOX_POLICY when not passed", async () => {
    const sbx = await createGuardedSandbox(undefined, {
      ...conn(),
      ...ids,
      env: { [POLICY_ENV_VAR]: JSON.stringify(policy) },
    });
    expect(server.state.getSandbox(teamId, sbx.sandboxId)!.metadata.environment).toBe("staging");
  });

  test("pause-on-timeout is allowed when the policy enables auto-pause", async () => {
    const sbx = await createGuardedSandbox(
      { ...policy, autoPause: { enabled: true, maxPausedSeconds: 3600 } },
      { ...conn(), ...ids, lifecycle: { onTimeout: "pause" } },
    );
    expect(server.state.getSandbox(teamId, sbx.sandboxId)!.autoPause).toBe(true);
  });
});

describe("createGuardedSandbox: refusals (nothing is created)", () => {
  afterEach(() => expect(posts()).toEqual([]));

  test("missing required metadata", async () => {
    const v = await violation(createGuardedSandbox(policy, { ...conn(), userId: "u-1" }));
    expect(v.code).toBe("metadata-missing");
    expect(v.field).toBe("metadata.request_id");
    expect(v.message).toMatch(/"request_id" is required in environment "staging"/);
  });

  test("empty metadata values count as missing", async () => {
    const v = await violation(createGuardedSandbox(policy, { ...conn(), userId: " ", requestId: "r" }));
    expect(v.field).toBe("metadata.user_id");
  });

  test("timeout above the ceiling", async () => {
    const v = await violation(createGuardedSandbox(policy, { ...conn(), ...ids, timeoutMs: 900_001 }));
    expect(v.code).toBe("timeout-above-ceiling");
    expect(v.message).toMatch(/ceiling of 900 s/);
  });

  test("zero or negative timeout", async () => {
    expect((await violation(createGuardedSandbox(policy, { ...conn(), ...ids, timeoutMs: 0 }))).code).toBe(
      "timeout-invalid",
    );
  });

  test("an env var named after an E2B credential, even with a harmless value", async () => {
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, envs: { E2B_API_KEY: "placeholder" } }),
    );
    expect(v.code).toBe("env-credential-name");
    expect(v.field).toBe("envs.E2B_API_KEY");
  });

  test("an env var whose value is key material, under any name, inside JSON; message masks it", async () => {
    const v = await violation(
      createGuardedSandbox(policy, {
        ...conn(),
        ...ids,
        envs: { TOOL_CONFIG: JSON.stringify({ token: planted }) },
      }),
    );
    expect(v.code).toBe("env-key-material");
    expect(v.message).toContain("e2b_…d4e5");
    expect(v.message).not.toContain(planted);
    expect(JSON.stringify(v.violations)).not.toContain(planted);
    expect(v.stack ?? "").not.toContain(planted);
  });

  test("a key split over two env vars that code in the sandbox could join (rt48 #5); the halves are not shown", async () => {
    const v = await violation(
      createGuardedSandbox(policy, {
        ...conn(),
        ...ids,
        envs: { KEY_A: planted.slice(0, 22), REGION: "", KEY_B: planted.slice(22) },
      }),
    );
    // The head alone is refused: another value may hold the rest, in any order (rt49 #3).
    expect([v.code, v.violations.map((x) => x.field)]).toEqual(["env-key-material", ["envs.KEY_A"]]);
    expect(JSON.stringify(v.violations)).not.toContain(planted.slice(4, 22));
  });

  test("a key split over env vars in any order, a name holding its head, the caller's own key in pieces (rt49 #3)", async () => {
    const head = planted.slice(0, 14);
    const tail = planted.slice(14);
    const refused = async (envs: Record<string, string>, apiKey?: string) =>
      (
        await violation(
          createGuardedSandbox(policy, { ...conn(), ...(apiKey ? { apiKey } : {}), ...ids, envs }),
        )
      ).violations;
    const orders: Array<Record<string, string>> = [
      { B: tail, A: head },
      { A: head, X: "-", B: tail },
      { [head]: tail },
    ];
    for (const envs of orders) {
      const vs = await refused(envs);
      expect(vs.map((x) => x.code)).toEqual(["env-key-material"]);
      expect(JSON.stringify(vs)).not.toMatch(new RegExp(`${head.slice(4)}|${tail.slice(0, 12)}`));
    }
    // A head of any length whose rest the request holds: the prefix alone, seven digits (rt51 #5).
    const splits: Array<Record<string, string>> = [
      { B: planted.slice(4), A: "e2b_" },
      { B: planted.slice(11), A: planted.slice(0, 11) },
      { E2B_: planted.slice(4) },
      { K2: planted.slice(24), K1: planted.slice(4, 24), P: "e2b_" },
    ];
    for (const envs of splits) expect((await refused(envs)).map((x) => x.code)).toEqual(["env-key-material"]);
    // A self-hosted deployment's key, whatever its shape: a piece of it is refused, tail first too.
    const own = "selfhost-head-1234-xyz-secret-tail-9876";
    const vs = await refused({ B: own.slice(19), A: own.slice(0, 19) }, own);
    expect(vs.map((x) => [x.code, x.message])).toEqual([
      ["env-key-material", expect.stringMatching(/a piece of this caller's key/)],
      ["env-key-material", expect.stringMatching(/a piece of this caller's key/)],
    ]);
    expect(JSON.stringify(vs)).not.toMatch(/secret-tail|head-1234/);
  });

  test("a deprecated sk_e2b_ access token in an env var", async () => {
    const token = "sk_e2b_" + "0123456789".repeat(4);
    const v = await violation(createGuardedSandbox(policy, { ...conn(), ...ids, envs: { GH: token } }));
    expect(v.code).toBe("env-key-material");
    expect(v.message).not.toContain(token);
  });

  test("an MCP server setting holding the key: E2B's MCP gateway runs in the sandbox with its configuration on its command line", async () => {
    // rt38 #1: `mcp` went to Sandbox.create unjudged, the operator's own key included.
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, mcp: { e2b: { apiKey: planted } } } as never),
    );
    expect([v.code, v.field]).toEqual(["mcp-key-material", "mcp.e2b.apiKey"]);
    expect(v.message).toMatch(/^MCP server setting mcp\.e2b\.apiKey holds E2B key material \(e2b_…d4e5\)/);
    expect(JSON.stringify(v.violations)).not.toContain(planted);
    // Judged as the SDK sends it (JSON): a URL, a toJSON wrapper, a name, any depth (rt39 #3).
    let deep: Record<string, unknown> = { token: planted };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    for (const mcp of [
      { srv: { url: new URL(`https://mcp-proxy.internal/sse?token=${planted}`) } },
      { srv: { token: { toJSON: () => planted } } },
      { srv: { allowedKeys: { [planted]: true } } },
      { srv: deep },
    ]) {
      const v2 = await violation(createGuardedSandbox(policy, { ...conn(), ...ids, mcp } as never));
      expect(v2.code).toBe("mcp-key-material");
      expect(JSON.stringify(v2.violations)).not.toContain(planted);
    }
    const own = "selfhosted-key-0123456789abcdef";
    const mine = await violation(withOwnKey(own, { mcp: { tools: { args: ["--key", own] } } }));
    expect([mine.code, mine.field]).toEqual(["mcp-key-material", "mcp.tools.args.1"]);
    expect(JSON.stringify(mine)).not.toContain(own);
  });

  test("env vars and metadata are judged as the SDK sends them: a wrapper whose toString hides the key and toJSON gives it (rt40 #5)", async () => {
    class SecretValue {
      constructor(private readonly v: string) {}
      toString() {
        return "[redacted]";
      }
      toJSON() {
        return this.v;
      }
    }
    const env = await violation(
      createGuardedSandbox(policy, {
        ...conn(),
        ...ids,
        envs: { AGENT_CFG: new SecretValue(planted) },
      } as never),
    );
    expect([env.code, env.field]).toEqual(["env-key-material", "envs.AGENT_CFG"]);
    const meta = await violation(
      createGuardedSandbox(policy, {
        ...conn(),
        ...ids,
        metadata: { userId: "u1", requestId: "r1", note: new SecretValue(planted) },
      } as never),
    );
    expect([meta.code, meta.field]).toEqual(["metadata-key-material", "metadata.note"]);
    expect(JSON.stringify([env, meta])).not.toContain(planted);
    // The whole map wrapped (rt41 #5): judged as the one snapshot that is sent.
    const map = await violation(
      createGuardedSandbox(policy, {
        ...conn(),
        ...ids,
        envs: { NODE_ENV: "production", toJSON: () => ({ AGENT_CFG: planted }) },
      } as never),
    );
    expect([map.code, map.field]).toEqual(["env-key-material", "envs.AGENT_CFG"]);
    expect(posts()).toEqual([]);
  });

  /** A sandbox created with the caller's own (self-hosted, not e2b_-shaped) key and these options. */
  const withOwnKey = (apiKey: string, opts: object) =>
    createGuardedSandbox(policy, { ...ids, apiKey, apiUrl: server.url, env: {}, ...opts } as never);

  test("the caller's own key in an env var even when it is not e2b_-shaped (self-hosted formats)", async () => {
    const odd = "selfhosted-key-0123456789abcdef";
    const v = await violation(withOwnKey(odd, { envs: { X: `Bearer ${odd}` } }));
    expect(v.code).toBe("env-key-material");
    expect(v.message).not.toContain(odd);
  });

  test.each([
    ["an env var's name", (k: string) => ({ envs: { [`${k}_TOKEN`]: "x" } })],
    ["an env var's name, in hex", (k: string) => ({ envs: { [Buffer.from(k).toString("hex")]: "x" } })],
    ["a metadata name", (k: string) => ({ metadata: { [k]: "1" } })],
    [
      "a header's name in a network rule",
      (k: string) => ({ network: { rules: { "api.test": [{ transform: { headers: { [k]: "1" } } }] } } }),
    ],
  ])(
    "the caller's own self-hosted key in %s is refused and masked in every field and message",
    async (_where, opts) => {
      const odd = "selfhosted_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
      const v = await violation(withOwnKey(odd, opts(odd)));
      const said = [v.message, v.field, JSON.stringify(v.violations)].join("\n");
      expect(said).toContain("se…b1a0");
      for (const copy of [odd, Buffer.from(odd).toString("hex")])
        for (let i = 0; i + 12 <= copy.length; i++) expect(said).not.toContain(copy.slice(i, i + 12));
    },
  );

  test("E2B_API_KEY from the environment is recognised as the caller's key", async () => {
    const v = await violation(
      createGuardedSandbox(policy, {
        ...ids,
        apiKey,
        apiUrl: server.url,
        env: { E2B_API_KEY: apiKey },
        envs: { SOME: apiKey },
      }),
    );
    expect(v.code).toBe("env-key-material");
    expect(v.message).not.toContain(apiKey);
  });

  const b64 = (t: string) => Buffer.from(t).toString("base64");
  test.each([
    ["base64 of a .env file", { DOTENV_B64: b64(`E2B_API_KEY=${planted}\n`) }],
    ["base64url", { CFG: Buffer.from(planted).toString("base64url") }],
    [
      "gzip of a .env file, then base64",
      { BLOB: require("node:zlib").gzipSync(`E2B_API_KEY=${planted}\n`).toString("base64") },
    ],
    ["hex of its text", { HEX: Buffer.from(planted).toString("hex") }],
    ["percent-encoded", { URL: `https://x.test/?k=${encodeURIComponent(`"${planted}"`)}` }],
    ["a Basic credential", { AUTH: `Basic ${b64(`agent:${planted}`)}` }],
    ["a data: URI", { DATA: `data:text/plain;base64,${b64(planted)}` }],
    ["an env var's name", { [planted]: "1" }],
  ])("the key in an env var as %s, as the pack would find it in a stack", async (_how, envs) => {
    const v = await violation(createGuardedSandbox(policy, { ...conn(), ...ids, envs }));
    expect(v.code).toBe("env-key-material");
    const said = JSON.stringify(v.violations) + v.message;
    expect(said).not.toContain(planted.slice(4, 24));
    expect(posts()).toEqual([]);
  });

  test("an env var named for a credential whose name holds the key: no field or message repeats it", async () => {
    for (const name of [`E2B_KEY_${planted}`, `E2B_TOKEN_${b64(planted)}`]) {
      const v = await violation(createGuardedSandbox(policy, { ...conn(), ...ids, envs: { [name]: "1" } }));
      expect(v.code).toBe("env-credential-name");
      const said = [v.message, v.field, JSON.stringify(v.violations)].join("\n");
      for (const copy of [planted.slice(4), b64(planted)])
        for (let i = 0; i + 16 <= copy.length; i++) expect(said).not.toContain(copy.slice(i, i + 16));
    }
  });

  test("the caller's own key in base64 in an env var", async () => {
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, envs: { CFG: b64(apiKey) } }),
    );
    expect(v.code).toBe("env-key-material");
    expect(v.message).not.toContain(apiKey);
  });

  test("key material in metadata, plain or encoded", async () => {
    const v2 = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, metadata: { note: b64(`E2B_API_KEY=${planted}`) } }),
    );
    expect(v2.code).toBe("metadata-key-material");
  });

  test("key material in metadata", async () => {
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, metadata: { note: planted } }),
    );
    expect(v.code).toBe("metadata-key-material");
    expect(v.message).not.toContain(planted);
  });

  test("a metadata getter that throws with the key: the error leaves masked, nothing is created (rt44 note)", async () => {
    const metadata = Object.defineProperty({}, "note", {
      enumerable: true,
      get: () => {
        throw new Error(`cannot read note for ${apiKey} and ${planted}`);
      },
    }) as Record<string, string>;
    const err = (await createGuardedSandbox(policy, { ...conn(), ...ids, metadata }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/^cannot read note for /);
    for (const key of [apiKey, planted]) {
      expect(err.message).not.toContain(key);
      expect(String(err.stack)).not.toContain(key);
    }
    expect(posts()).toHaveLength(0);
  });

  test("whatever the caller's code throws while the request is judged leaves with no key in it (rt45 #5)", async () => {
    const throwing = (make: () => unknown) =>
      Object.defineProperty({}, "note", {
        enumerable: true,
        get: () => {
          throw make();
        },
      }) as Record<string, string>;
    const thrown = [
      () => `bad ${apiKey}`,
      () => new Error("bad user", { cause: new Error(`key ${planted}`) }),
      () => Object.assign(new Error("bad user"), { apiKey }),
      () => new AggregateError([new Error(planted)], "many"),
    ];
    const requests = [
      ...thrown.map((make) => ({ ...conn(), ...ids, metadata: throwing(make) })),
      // A getter on the options themselves, read before anything is judged.
      Object.defineProperty({ ...conn(), ...ids }, "metadata", {
        enumerable: true,
        get: () => {
          throw new Error(`no metadata for ${apiKey}`);
        },
      }),
    ];
    for (const request of requests) {
      const err = await createGuardedSandbox(policy, request).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      for (const key of [apiKey, planted]) expect(inspect(err, { depth: 5 })).not.toContain(key);
    }
    expect(posts()).toHaveLength(0);
  });

  test("metadata claiming another environment", async () => {
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, metadata: { environment: "prod" } }),
    );
    expect(v.code).toBe("metadata-environment-mismatch");
  });

  test("pause-on-timeout when the environment does not allow auto-pause", async () => {
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), ...ids, lifecycle: { onTimeout: "pause" } }),
    );
    expect(v.code).toBe("auto-pause-not-allowed");
  });

  test("all violations are reported, the first one as code", async () => {
    const v = await violation(
      createGuardedSandbox(policy, { ...conn(), timeoutMs: 10_000_000, envs: { E2B_ACCESS_TOKEN: "x" } }),
    );
    expect(v.violations.map((x) => x.code)).toEqual([
      "metadata-missing",
      "metadata-missing",
      "timeout-above-ceiling",
      "env-credential-name",
    ]);
    expect(v.message).toMatch(/and 3 more/);
  });

  test("no policy at all", async () => {
    const v = await violation(createGuardedSandbox(undefined, { ...conn(), ...ids }));
    expect(v.code).toBe("policy-missing");
    expect(v.message).toContain("E2B_SANDBOX_POLICY");
  });

  test("a policy that is not JSON, or misses a field, names the problem", async () => {
    const a = await violation(
      createGuardedSandbox(undefined, { ...conn(), ...ids, env: { [POLICY_ENV_VAR]: "{oops" } }),
    );
    expect(a.code).toBe("policy-invalid");
    expect(a.message).toMatch(/E2B_SANDBOX_POLICY is not valid JSON/);
    const { timeoutCeilingSeconds: _drop, ...rest } = policy;
    const b = await violation(createGuardedSandbox(rest as SandboxPolicy, { ...conn(), ...ids }));
    expect(b.field).toBe("policy.timeoutCeilingSeconds");
  });

  test("a policy nested thousands of levels deep is refused as such, as an object or as JSON", async () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const given of [
      { ...policy, x: deep },
      `{"environment":"p","x":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    ]) {
      const v = await violation(createGuardedSandbox(given as SandboxPolicy, { ...conn(), ...ids }));
      expect(v.code).toBe("policy-invalid");
    }
  });

  test("a policy holding key material is refused without echoing it", async () => {
    const bad = JSON.stringify({ ...policy, environment: planted });
    const v = await violation(createGuardedSandbox(bad, { ...conn(), ...ids }));
    expect(v.code).toBe("policy-invalid");
    expect(v.message).not.toContain(planted);
  });
});

describe("an API error that echoes the request's key", () => {
  test("the SDK's error is rethrown as its own class, the key masked in its message and stack", async () => {
    // rt38 #7: a proxy answering with the request's headers put the team key into the rethrown error.
    server.onResponse((req) =>
      req.method === "POST"
        ? { status: 400, body: { message: `bad: {"x-api-key":"${apiKey}"}` } }
        : undefined,
    );
    const e = await createGuardedSandbox(policy, { ...conn(), ...ids }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SandboxError);
    expect((e as Error).message).toMatch(/"x-api-key":"e2b_…[0-9a-f]{4}"/);
    expect(`${(e as Error).message}${(e as Error).stack}`).not.toContain(apiKey);
  });
});

describe("a request that times out (rt40 #6)", () => {
  // The SDK's timeout is a DOMException, whose message has a getter and no setter: masking it must
  // not throw a TypeError in its place.
  const timeout = { requestTimeoutMs: 200 } as never;

  test("create rethrows the SDK's TimeoutError", async () => {
    server.faults.delayMs = 1000;
    const e = await createGuardedSandbox(policy, { ...conn(), ...ids, ...(timeout as object) }).catch(
      (x: unknown) => x,
    );
    expect([(e as Error).name, e instanceof TypeError]).toEqual(["TimeoutError", false]);
  });

  test("withSandbox: a kill that times out after fn failed goes to onKillError, and fn's error wins", async () => {
    const reported: unknown[] = [];
    const boom = new Error("tool failed");
    await expect(
      withSandbox(
        policy,
        { ...conn(), ...ids, ...(timeout as object), onKillError: (e) => reported.push(e) },
        () => {
          server.faults.delayMs = 1000;
          throw boom;
        },
      ),
    ).rejects.toBe(boom);
    expect(reported.map((e) => (e as Error).name)).toEqual(["TimeoutError"]);
  });

  test("withSandbox: a kill that times out after fn succeeded is a SandboxKillError naming the sandbox", async () => {
    let seen = "";
    const err = await withSandbox(policy, { ...conn(), ...ids, ...(timeout as object) }, (sbx) => {
      seen = sbx.sandboxId;
      server.faults.delayMs = 1000;
      return 1;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxKillError);
    expect((err as SandboxKillError).sandboxId).toBe(seen);
  });
});

describe("withSandbox", () => {
  const deletes = () => server.requests.filter((r) => r.method === "DELETE");

  test("kills the sandbox after fn resolves and returns fn's value", async () => {
    let seen = "";
    const out = await withSandbox(policy, { ...conn(), ...ids }, async (sbx) => {
      seen = sbx.sandboxId;
      expect(server.state.getSandbox(teamId, sbx.sandboxId)).toBeDefined();
      return 42;
    });
    expect(out).toBe(42);
    expect(server.state.getSandbox(teamId, seen)).toBeUndefined();
    expect(deletes().map((r) => r.path)).toEqual([`/sandboxes/${seen}`]);
  });

  test("kills the sandbox after fn throws and rethrows fn's error", async () => {
    let seen = "";
    const boom = new Error("tool failed");
    await expect(
      withSandbox(policy, { ...conn(), ...ids }, async (sbx) => {
        seen = sbx.sandboxId;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(server.state.getSandbox(teamId, seen)).toBeUndefined();
    expect(deletes()).toHaveLength(1);
  });

  test("a sandbox already gone (404 on kill) is fine", async () => {
    const out = await withSandbox(policy, { ...conn(), ...ids }, async (sbx) => {
      await Sandbox.kill(sbx.sandboxId, { apiKey, apiUrl: server.url } as Parameters<typeof Sandbox.kill>[1]);
      return "ok";
    });
    expect(out).toBe("ok");
    expect(deletes().map((r) => r.status)).toEqual([204, 404]);
  });

  test("a failed kill after success is a SandboxKillError naming the sandbox", async () => {
    server.faults.next(1, { status: 500, method: "DELETE" });
    let seen = "";
    const err = await withSandbox(policy, { ...conn(), ...ids }, (sbx) => {
      seen = sbx.sandboxId;
      return 1;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxKillError);
    expect((err as SandboxKillError).sandboxId).toBe(seen);
    expect(server.state.getSandbox(teamId, seen)).toBeDefined();
  });

  test("a failed kill after a failure is reported through onKillError; fn's error wins", async () => {
    server.faults.next(1, { status: 500, method: "DELETE" });
    const reported: string[] = [];
    const boom = new Error("tool failed");
    await expect(
      withSandbox(policy, { ...conn(), ...ids, onKillError: (_e, id) => reported.push(id) }, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(reported).toHaveLength(1);
  });

  test("a refused request never creates a sandbox and never calls fn", async () => {
    const fn = jest.fn();
    await expect(withSandbox(policy, { ...conn() }, fn)).rejects.toBeInstanceOf(GuardrailViolation);
    expect(fn).not.toHaveBeenCalled();
    expect(server.requests).toEqual([]);
  });
});

describe("credential names", () => {
  test.each([
    ["E2B_API_KEY", true],
    ["E2B_ACCESS_TOKEN", true],
    ["e2b_api_key", true],
    ["MY_E2B_KEY", true],
    ["NEXT_PUBLIC_E2B_API_KEY", true],
    ["E2B_SECRET", true],
    ["E2B_TEAM_ID", false],
    ["E2B_DOMAIN", false],
    ["OPENAI_API_KEY", false],
    ["NODE_ENV", false],
  ])("%s → %s", (name, expected) => {
    expect(isCredentialName(name)).toBe(expected);
  });
});

describe("browser refusal (E2B-01)", () => {
  const g = globalThis as unknown as Record<string, unknown>;
  afterEach(() => {
    delete g.window;
    delete g.document;
  });

  test.each(["../../runtime", "../../runtime/guard", "../../runtime/audit-run"])(
    "importing %s with window and document present throws at import",
    (mod) => {
      g.window = {};
      g.document = {};
      let thrown: unknown;
      jest.isolateModules(() => {
        try {
          require(mod);
        } catch (e) {
          thrown = e;
        }
      });
      expect((thrown as GuardrailViolation)?.code).toBe("browser-runtime");
      expect((thrown as Error).message).toMatch(/belongs on the server/);
    },
  );

  test("a web worker (no document) or Node is not refused", () => {
    g.window = {};
    let thrown: unknown;
    jest.isolateModules(() => {
      try {
        require("../../runtime");
      } catch (e) {
        thrown = e;
      }
    });
    expect(thrown).toBeUndefined();
  });
});
