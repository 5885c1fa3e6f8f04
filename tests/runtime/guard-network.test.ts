/**
 * E2B-06 at sandbox creation: the environment's network policy, third-party credentials in env vars,
 * E2B Secret placeholders in egress rules and the egress proxy's password — with the real `e2b` SDK
 * against the local E2B API, so what is judged is what the SDK sends.
 */
import { Secret } from "../support/e2b-api/sdk";
import { sandboxNetwork, startE2BServer, type E2BServer } from "../support/e2b-api";
import {
  createGuardedSandbox,
  updateGuardedNetwork,
  destinationCovers,
  networkForPolicy,
  GuardrailViolation,
  type SandboxPolicy,
  type Violation,
} from "../../runtime";

const policy: SandboxPolicy = {
  environment: "prod",
  teamId: "team-prod",
  requiredMetadata: [],
  timeoutCeilingSeconds: 900,
  autoPause: { enabled: false },
  sandbox: { vcpu: 2, memoryMiB: 512 },
  network: {
    denyByDefault: true,
    allowOut: ["api.openai.com", "*.github.com", "10.0.0.0/8"],
    allowPublicTraffic: false,
  },
  secrets: [{ name: "openai-api-key", hosts: ["api.openai.com"] }],
};

let server: E2BServer;
let teamId: string;
let apiKey: string;

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId } = server.state.addTeam());
  apiKey = server.state.addApiKey(teamId).key;
});
afterEach(() => server.close());

const warnings: Violation[] = [];
const conn = () => ({ apiKey, apiUrl: server.url, env: {}, onWarning: (w: Violation) => warnings.push(w) });
beforeEach(() => (warnings.length = 0));
const creates = () => server.requests.filter((r) => r.method === "POST" && r.path === "/v2/sandboxes");

/** A network config that meets `policy`: deny all, allow OpenAI, inject the key from E2B Secrets. */
const strict = () => ({
  denyOut: ["0.0.0.0/0"],
  allowOut: ["api.openai.com"],
  allowPublicTraffic: false,
  rules: {
    "api.openai.com": [
      { transform: { headers: { Authorization: `Bearer ${Secret.fill("openai-api-key")}` } } },
    ],
  },
});

async function refused(p: Promise<unknown>): Promise<GuardrailViolation> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GuardrailViolation);
    return e as GuardrailViolation;
  }
  throw new Error("expected a GuardrailViolation");
}
const codes = (v: GuardrailViolation) => v.violations.map((x) => x.code);

describe("network policy on create", () => {
  test("a deny-by-default create with an allowlisted host and a Secret placeholder is created as sent", async () => {
    const sbx = await createGuardedSandbox(policy, { ...conn(), network: strict() });
    const sent = sandboxNetwork(server.state.getSandbox(teamId, sbx.sandboxId));
    expect(sent?.network).toEqual({
      denyOut: ["0.0.0.0/0"],
      allowOut: ["api.openai.com"],
      allowPublicTraffic: false,
      rules: {
        "api.openai.com": [
          { transform: { headers: { Authorization: "Bearer ${e2b.secrets.openai-api-key}" } } },
        ],
      },
    });
    // The SDK reads the network back from the sandbox info endpoint.
    const info = await sbx.getInfo();
    expect(info.network?.denyOut).toEqual(["0.0.0.0/0"]);
    expect(warnings).toEqual([]);
  });

  test("callbacks are judged as the SDK resolves them: allTraffic deny and rule-registered hosts", async () => {
    const sbx = await createGuardedSandbox(policy, {
      ...conn(),
      network: {
        ...strict(),
        denyOut: ({ allTraffic }) => [allTraffic],
        allowOut: ({ rules }) => [...rules.keys()],
      },
    });
    expect(sandboxNetwork(server.state.getSandbox(teamId, sbx.sandboxId))?.network?.allowOut).toEqual([
      "api.openai.com",
    ]);
  });

  test("allowInternetAccess: false counts as deny by default", async () => {
    const { denyOut: _drop, ...rest } = strict();
    const sbx = await createGuardedSandbox(policy, { ...conn(), allowInternetAccess: false, network: rest });
    expect(sandboxNetwork(server.state.getSandbox(teamId, sbx.sandboxId))?.allowInternetAccess).toBe(false);
  });

  test("no network config at all is refused: egress open, sandbox URLs public", async () => {
    const v = await refused(createGuardedSandbox(policy, conn()));
    expect(codes(v)).toEqual(["network-not-deny-by-default", "network-public-traffic"]);
    expect(creates()).toEqual([]);
  });

  test("an allowlist without a deny is refused (allow only adds to open egress)", async () => {
    const { denyOut: _drop, ...rest } = strict();
    const v = await refused(createGuardedSandbox(policy, { ...conn(), network: rest }));
    expect(codes(v)).toEqual(["network-not-deny-by-default"]);
    expect(v.message).toMatch(/denyOut to \["0\.0\.0\.0\/0"\]/);
  });

  test("destinations outside the policy's allowlist are refused, wildcards and CIDRs by containment", async () => {
    const v = await refused(
      createGuardedSandbox(policy, {
        ...conn(),
        network: {
          ...strict(),
          allowOut: ["api.github.com", "10.1.2.0/24", "evil.example.com", "0.0.0.0/0", "github.com"],
        },
      }),
    );
    expect(v.violations.map((x) => x.message.match(/"([^"]+)"/)?.[1])).toEqual([
      "evil.example.com",
      "0.0.0.0/0",
      "github.com",
    ]);
    expect(creates()).toEqual([]);
  });

  test("allowPublicTraffic left to E2B's default (public) is refused when the policy says false", async () => {
    const { allowPublicTraffic: _drop, ...rest } = strict();
    const v = await refused(createGuardedSandbox(policy, { ...conn(), network: rest }));
    expect(codes(v)).toEqual(["network-public-traffic"]);
  });

  test("a policy without a network section leaves egress to the caller", async () => {
    const { network: _n, secrets: _s, ...open } = policy;
    await expect(createGuardedSandbox(open, conn())).resolves.toBeDefined();
  });
});

describe("credentials: env vars refused, placeholders in rules pass", () => {
  const openaiKey = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7z".repeat(2);

  test("a third-party key in envs is refused by value shape and by name, with a pointer to E2B Secrets", async () => {
    const v = await refused(
      createGuardedSandbox(policy, {
        ...conn(),
        network: strict(),
        envs: { LLM: openaiKey, GITHUB_TOKEN: "not-shaped-but-named", NODE_ENV: "production" },
      }),
    );
    expect(v.violations.map((x) => [x.code, x.field])).toEqual([
      ["env-third-party-credential", "envs.LLM"],
      ["env-third-party-credential", "envs.GITHUB_TOKEN"],
    ]);
    expect(v.violations[0].message).toMatch(/OpenAI API key.*E2B Secret.*Secret\.fill/);
    expect(JSON.stringify(v.violations)).not.toContain(openaiKey);
    expect(creates()).toEqual([]);
  });

  test("a third-party token in an MCP server's settings is refused like one in envs; a placeholder passes", async () => {
    const pat = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    const v = await refused(
      createGuardedSandbox(policy, {
        ...conn(),
        network: strict(),
        mcp: { github: { githubPersonalAccessToken: pat }, exa: { apiKey: Secret.fill("exa-api-key") } },
      } as never),
    );
    expect(v.violations.map((x) => [x.code, x.field])).toEqual([
      ["mcp-third-party-credential", "mcp.github.githubPersonalAccessToken"],
    ]);
    expect(v.violations[0].message).toMatch(
      /^MCP server setting mcp\.github\.githubPersonalAccessToken holds a .*E2B Secret/,
    );
    expect(JSON.stringify(v.violations)).not.toContain(pat);
    expect(creates()).toEqual([]);
  });

  test("a *_KEY holding a plain word is no credential; one holding a token is", async () => {
    const v = await refused(
      createGuardedSandbox(policy, {
        ...conn(),
        network: strict(),
        envs: { SORT_KEY: "created_at", STRIPE_KEY: "k9Qx2Lm7Pz4Rt8Vw" },
      }),
    );
    expect(v.violations.map((x) => x.field)).toEqual(["envs.STRIPE_KEY"]);
  });

  test("a policy can let a non-secret name through; a placeholder-only value holds no credential", async () => {
    const sbx = await createGuardedSandbox(
      { ...policy, allowedEnvNames: ["CACHE_KEY"] },
      {
        ...conn(),
        network: strict(),
        envs: { CACHE_KEY: "v2:users:42", OPENAI_API_KEY: Secret.fill("openai-api-key") },
      },
    );
    expect(server.state.getSandbox(teamId, sbx.sandboxId)?.envVars).toEqual({
      CACHE_KEY: "v2:users:42",
      OPENAI_API_KEY: "${e2b.secrets.openai-api-key}",
    });
  });

  test("a plaintext credential in a rule header is refused; identity placeholders pass", async () => {
    const v = await refused(
      createGuardedSandbox(policy, {
        ...conn(),
        network: {
          ...strict(),
          rules: { "api.openai.com": [{ transform: { headers: { Authorization: `Bearer ${openaiKey}` } } }] },
        },
      }),
    );
    expect(codes(v)).toEqual(["network-rule-plaintext-credential"]);
    expect(v.message).not.toContain(openaiKey);

    const sbx = await createGuardedSandbox(
      { ...policy, network: { ...policy.network!, allowOut: ["*.github.com", "sts.example.com"] } },
      {
        ...conn(),
        iam: { tokens: { aws: Secret.iamToken({ audience: "sts.amazonaws.com", tokenType: "JWT-SVID" }) } },
        network: {
          denyOut: ["0.0.0.0/0"],
          allowOut: ["sts.example.com"],
          allowPublicTraffic: false,
          rules: {
            "sts.example.com": [
              { transform: ({ iam }) => ({ headers: { Authorization: `Bearer ${iam.tokens.aws}` } }) },
            ],
          },
        },
      },
    );
    const sent = sandboxNetwork(server.state.getSandbox(teamId, sbx.sandboxId));
    expect(sent?.network?.rules?.["sts.example.com"]).toEqual([
      { transform: { headers: { Authorization: "Bearer ${e2b.identity.tokens.aws}" } } },
    ]);
    expect(sent?.iam).toEqual({ tokens: { aws: { audience: "sts.amazonaws.com", tokenType: "JWT-SVID" } } });
  });

  test("a declared secret sent to another host, or an undeclared secret, is refused", async () => {
    const v = await refused(
      createGuardedSandbox(policy, {
        ...conn(),
        network: {
          ...strict(),
          allowOut: ["api.github.com"],
          rules: {
            "api.github.com": [
              { transform: { headers: { Authorization: `Bearer ${Secret.fill("openai-api-key")}` } } },
              { transform: { headers: { "X-Token": Secret.fill("github-token") } } },
            ],
          },
        },
      }),
    );
    expect(codes(v)).toEqual(["network-secret-wrong-host", "network-secret-undeclared"]);
  });

  test("an egress proxy password from code is a warning (never its value); the create goes ahead", async () => {
    const password = "hunter2-proxy-pass";
    const sbx = await createGuardedSandbox(policy, {
      ...conn(),
      network: { ...strict(), egressProxy: { address: "proxy.example.com:1080", username: "u", password } },
    });
    expect(warnings.map((w) => w.code)).toEqual(["egress-proxy-plaintext-password"]);
    expect(JSON.stringify(warnings)).not.toContain(password);
    // E2B keeps the password write-only: the info endpoint returns address and username only.
    const info = await sbx.getInfo();
    expect(info.network?.egressProxy).toEqual({ address: "proxy.example.com:1080", username: "u" });
  });
});

describe("networkForPolicy", () => {
  test("builds the network option that meets the policy, with each secret injected on its hosts", async () => {
    const p: SandboxPolicy = {
      ...policy,
      secrets: [
        { name: "openai-api-key", hosts: ["api.openai.com"] },
        { name: "github-token", hosts: ["api.github.com"], header: "Authorization", prefix: "token " },
      ],
    };
    const network = networkForPolicy(p);
    const sbx = await createGuardedSandbox(p, {
      ...conn(),
      network: { ...network, allowOut: ["api.openai.com"] },
    });
    expect(sandboxNetwork(server.state.getSandbox(teamId, sbx.sandboxId))?.network).toEqual({
      denyOut: ["0.0.0.0/0"],
      allowOut: ["api.openai.com"],
      allowPublicTraffic: false,
      rules: {
        "api.openai.com": [
          { transform: { headers: { Authorization: "Bearer ${e2b.secrets.openai-api-key}" } } },
        ],
        "api.github.com": [
          { transform: { headers: { Authorization: "token ${e2b.secrets.github-token}" } } },
        ],
      },
    });
    expect(network.allowOut).toEqual(["api.openai.com", "*.github.com", "10.0.0.0/8"]);
  });
});

describe("updateNetwork replaces the whole config", () => {
  test("an update that leaves out denyOut would open egress: refused, nothing sent", async () => {
    const sbx = await createGuardedSandbox(policy, { ...conn(), network: strict() });
    const v = await refused(updateGuardedNetwork(policy, sbx, { allowOut: ["api.openai.com"] }, conn()));
    expect(codes(v)).toEqual(["network-not-deny-by-default"]);
    expect(server.requests.filter((r) => r.method === "PUT")).toEqual([]);

    await updateGuardedNetwork(policy, sbx, { allowOut: ["api.openai.com"], denyOut: ["0.0.0.0/0"] }, conn());
    const after = sandboxNetwork(server.state.getSandbox(teamId, sbx.sandboxId))?.network;
    expect(after).toMatchObject({
      allowOut: ["api.openai.com"],
      denyOut: ["0.0.0.0/0"],
      allowPublicTraffic: false,
    });
    expect(after?.rules).toBeUndefined(); // omitted in the update, so cleared
  });
});

describe("destinationCovers", () => {
  test.each([
    ["api.openai.com", "api.openai.com", true],
    ["*.github.com", "api.github.com", true],
    ["*.github.com", "*.api.github.com", true],
    ["*.github.com", "github.com", false],
    ["10.0.0.0/8", "10.1.2.3", true],
    ["10.0.0.0/8", "10.1.0.0/16", true],
    ["10.0.0.0/8", "0.0.0.0/0", false],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["api.openai.com", "8.8.8.8", false],
  ])("%s covers %s: %s", (outer, inner, expected) => {
    expect(destinationCovers(outer, inner)).toBe(expected);
  });
});
