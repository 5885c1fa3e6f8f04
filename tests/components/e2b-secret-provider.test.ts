/* eslint-disable @typescript-eslint/no-explicit-any -- wire-format JSON read back from the mocks */
/**
 * E2B Secrets from Pulumi secrets: the dynamic provider against the local E2B API (create, read,
 * a new version on a changed value, delete, drift), and the E2BEnvironment component creating one
 * E2BSecret per declared secret with a value, outputting placeholders only.
 */
import {
  makeSecretProvider,
  type SecretInputs,
  type SecretOutputs,
} from "../../components/e2b-secret/provider";
import { E2BEnvironment } from "../../components/environment";
import { E2B_SECRET_KIND, sandboxPolicySchema } from "../../policies/model";
import { secretsOf, sha256, startE2BServer, type E2BServer } from "../support/e2b-api";
import { environment } from "./support/fixtures";
import { startLossyProxy } from "./support/lossy-proxy";
import { PLANTED_KEY, byType, defaultState, record, strings, unwrapSecrets } from "./support/harness";

type Provider = ReturnType<typeof makeSecretProvider>;

let server: E2BServer;
let teamId: string;
let token: string;
const VALUE = "sk-proj-" + "Qw3rTy7uIo9pAs1dFg5hJk".repeat(2);

const inputs = (over: Partial<SecretInputs> = {}): SecretInputs => ({
  kind: E2B_SECRET_KIND,
  name: "openai-api-key",
  environment: "prod",
  teamId,
  hosts: ["api.openai.com"],
  value: VALUE,
  ...over,
});

async function provider(url = server.url): Promise<Provider> {
  const p = makeSecretProvider();
  const values: Record<string, string> = {
    "e2b:managementToken": token,
    "e2b:apiUrl": url,
    "e2b:requestTimeoutMs": "400",
    "e2b:maxAttempts": "3",
    "e2b:retryBaseDelayMs": "10",
  };
  await p.configure!({ config: { get: (k) => values[k], require: (k) => values[k] } });
  return p;
}

const onServer = () => [...secretsOf(server.state, teamId).values()];

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId, bearerToken: token } = server.state.addTeam({ name: "prod" }));
});
afterEach(async () => {
  server.faults.clear();
  await server.close();
});

describe("the E2B Secret provider", () => {
  test("create stores the value in E2B (write-only) and outputs only its placeholder and a salted digest", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    const o = outs as SecretOutputs;
    expect(onServer().map((s) => [s.secretID, s.name, s.valueSha256, s.currentVersion])).toEqual([
      [id, "openai-api-key", sha256(VALUE), 1],
    ]);
    expect(onServer()[0].metadata).toEqual({
      environment: "prod",
      hosts: "api.openai.com",
      "managed-by": "e2b-guardrails",
    });
    expect(o.placeholder).toBe("${e2b.secrets.openai-api-key}");
    expect(JSON.stringify(o)).not.toContain(VALUE);
    expect(o.valueDigest).not.toBe(sha256(VALUE)); // salted
    // Authenticated with the management session of this team, not an API key.
    expect(
      server.requests.filter((r) => r.path.startsWith("/secrets")).every((r) => r.teamId === teamId),
    ).toBe(true);
  });

  test("a changed value is an in-place update (a new version), an unchanged one no diff; a rename replaces", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    const o = outs as SecretOutputs;
    expect(await p.diff!(id, o, inputs())).toMatchObject({ changes: false, replaces: [] });
    const next = inputs({ value: VALUE + "-rotated" });
    expect(await p.diff!(id, o, next)).toMatchObject({ changes: true, replaces: [] });
    const u = await p.update!(id, o, next);
    expect(u.outs).toMatchObject({ version: 2, secretId: id });
    expect(onServer()[0].valueSha256).toBe(sha256(VALUE + "-rotated"));
    expect((await p.diff!(id, u.outs as SecretOutputs, next)).changes).toBe(false);
    expect((await p.diff!(id, o, inputs({ name: "openai" }))).replaces).toEqual(["name"]);
  });

  test("drift: a secret deleted in the dashboard reads as gone; delete of a gone secret succeeds", async () => {
    const p = await provider();
    const { id, outs } = await p.create(inputs());
    expect(await p.read!(id, outs)).toEqual({ id, props: outs });
    await p.delete!(id, outs as SecretOutputs);
    expect(onServer()).toEqual([]);
    expect(await p.read!(id, outs)).toEqual({});
    await expect(p.delete!(id, outs as SecretOutputs)).resolves.toBeUndefined();
  });

  test("a name someone else already uses is refused, not overwritten", async () => {
    const p = await provider();
    await p.create(inputs());
    const other = makeSecretProvider();
    await other.configure!({
      config: {
        get: (k) => ({ "e2b:managementToken": token, "e2b:apiUrl": server.url })[k],
        require: () => "",
      },
    });
    await expect(other.create(inputs({ value: "someone-elses" }))).rejects.toThrow(
      /already exists in team .*pulumi import/,
    );
    expect(onServer()[0].valueSha256).toBe(sha256(VALUE));
  });

  test("a lost create response (502 after the server acted) is adopted on retry: one secret, value version 2", async () => {
    const proxy = await startLossyProxy(server.url);
    try {
      const p = await provider(proxy.url);
      proxy.lose(1, "POST", "/secrets", "error");
      const { id, outs } = await p.create(inputs());
      expect(onServer().map((s) => [s.secretID, s.valueSha256, s.currentVersion])).toEqual([
        [id, sha256(VALUE), 2],
      ]);
      expect((outs as SecretOutputs).version).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  test("check refuses an E2B key as the value and bad names, never echoing the value", async () => {
    const p = await provider();
    const r = await p.check!(inputs(), inputs({ value: PLANTED_KEY, name: "Not Valid" }));
    expect(r.failures?.map((f) => f.property).sort()).toEqual(["name", "value"]);
    expect(JSON.stringify(r.failures)).not.toContain(PLANTED_KEY);
  });
});

describe("E2BEnvironment with secrets", () => {
  const withSecrets = {
    ...environment("aws-secrets-manager"),
    sandboxNetwork: { denyByDefault: true, allowOut: ["api.openai.com", "api.github.com"] },
    secrets: [
      { name: "openai-api-key", hosts: ["api.openai.com"], configKey: "openaiApiKey" },
      { name: "github-token", hosts: ["api.github.com"], header: "Authorization", prefix: "token " },
      { name: "made-in-dashboard", hosts: ["api.example.com"] },
    ],
  };
  const stateFor: typeof defaultState = (type, name, i) =>
    i.kind === E2B_SECRET_KIND
      ? { ...i, secretId: `sec_${name}`, placeholder: `\${e2b.secrets.${String(i.name)}}`, version: 1 }
      : defaultState(type, name, i);

  test("creates one E2BSecret per secret with a value (config key or Output), all marked secret; outputs placeholders", async () => {
    const ghToken = "ghp_" + "a".repeat(36);
    let placeholders: Record<string, string> | undefined;
    const resources = await record(
      () => {
        const env = new E2BEnvironment("prod", { ...withSecrets, secretValues: { "github-token": ghToken } });
        env.secretPlaceholders.apply((p) => (placeholders = p));
      },
      {
        stateFor,
        config: { "e2b-platform:openaiApiKey": VALUE },
        secretKeys: ["e2b-platform:openaiApiKey"],
      },
    );
    const secrets = byType(resources, "pulumi-nodejs:dynamic:Resource").filter(
      (r) => (unwrapSecrets(r.inputs) as any).kind === E2B_SECRET_KIND,
    );
    expect(secrets.map((r) => (unwrapSecrets(r.inputs) as any).name).sort()).toEqual([
      "github-token",
      "openai-api-key",
    ]);
    for (const r of secrets) {
      // The value is a secret in the wire inputs: encrypted in state, never shown by Pulumi.
      expect((r.inputs as any).value["4dabf18193072939515e22adb298388d"]).toBeDefined();
      expect(r.additionalSecretOutputs).toContain("valueDigest");
    }
    expect(placeholders).toEqual({
      "openai-api-key": "${e2b.secrets.openai-api-key}",
      "github-token": "${e2b.secrets.github-token}",
      "made-in-dashboard": "${e2b.secrets.made-in-dashboard}",
    });
    // No value in any output of the component, nor in the sandbox policy it hands to applications.
    const comp = resources.find((r) => r.type === "e2b-guardrails:index:E2BEnvironment")!;
    const outs = strings(comp.outputs).join("\n");
    expect(outs).not.toContain(VALUE);
    expect(outs).not.toContain(ghToken);
    const policy = sandboxPolicySchema.parse(
      JSON.parse(String((unwrapSecrets(comp.outputs!) as any).sandboxPolicyJson)),
    );
    expect(policy.network).toEqual({
      denyByDefault: true,
      allowOut: ["api.openai.com", "api.github.com"],
      allowPublicTraffic: false,
    });
    expect(policy.secrets?.map((s) => [s.name, s.hosts, s.prefix])).toEqual([
      ["openai-api-key", ["api.openai.com"], "Bearer "],
      ["github-token", ["api.github.com"], "token "],
      ["made-in-dashboard", ["api.example.com"], "Bearer "],
    ]);
  });

  test("a value for an undeclared secret is refused at construction", () => {
    expect(() => new E2BEnvironment("prod", { ...withSecrets, secretValues: { typo: "x" } })).toThrow(
      /secretValues\.typo names no declared secret/,
    );
  });
});
