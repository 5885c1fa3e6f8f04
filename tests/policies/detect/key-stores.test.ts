import { KEY_STORES, approvedStoreAt, isKeyStoreType } from "../../../policies/detect/key-stores";
import { scanProps } from "../../../policies/detect/stack";
import { normalizeWire } from "../../../policies/detect/walk";

const KEY = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const keysOutsideStores = (type: string, props: unknown) =>
  scanProps(type, normalizeWire(props)).keys.filter((k) => !k.store);

describe("approved key stores (data table)", () => {
  it("covers every store DESIGN.md names", () => {
    const stores = new Set(KEY_STORES.map((s) => s.store));
    for (const s of [
      "AWS Secrets Manager",
      "AWS SSM Parameter Store",
      "GCP Secret Manager",
      "Azure Key Vault",
      "Vault KV v2",
      "Pulumi ESC",
      "Kubernetes Secret",
      "Vercel sensitive env var",
      "Cloudflare secret_text binding",
      "GitHub Actions secret",
    ])
      expect(stores).toContain(s);
  });

  it.each([
    ["aws:secretsmanager/secretVersion:SecretVersion", { secretString: KEY }],
    ["aws:ssm/parameter:Parameter", { type: "SecureString", value: KEY }],
    ["gcp:secretmanager/secretVersion:SecretVersion", { secretData: KEY }],
    ["azure-native:keyvault:Secret", { properties: { value: KEY } }],
    ["vault:kv/secretV2:SecretV2", { dataJson: JSON.stringify({ apiKey: KEY }) }],
    ["kubernetes:core/v1:Secret", { stringData: { E2B_API_KEY: KEY } }],
    [
      "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
      { key: "E2B_API_KEY", value: KEY, sensitive: true },
    ],
    [
      "cloudflare:index/workersScript:WorkersScript",
      { bindings: [{ name: "E2B_API_KEY", type: "secret_text", text: KEY }] },
    ],
    ["github:index/actionsSecret:ActionsSecret", { secretName: "E2B_API_KEY", plaintextValue: KEY }],
    [
      "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret",
      { secretName: "E2B_API_KEY", plaintextValue: KEY, visibility: "private" },
    ],
    [
      "github:index/codespacesOrganizationSecret:CodespacesOrganizationSecret",
      { secretName: "E2B_API_KEY", plaintextValue: KEY, visibility: "all" },
    ],
    ["scaleway:secrets/version:Version", { secretId: "fr-par/11111111", data: KEY }],
    // real36 bug 2: a Databricks secret scope's secret, a New Relic synthetics secure credential.
    ["databricks:index/secret:Secret", { scope: "agents", key: "e2b-api-key", stringValue: KEY }],
    // real37 bug 1: a Vercel project's own inline variable, sensitive.
    [
      "vercel:index/project:Project",
      {
        name: "web",
        environments: [{ key: "E2B_API_KEY", value: KEY, sensitive: true, targets: ["production"] }],
      },
    ],
    ["newrelic:synthetics/secureCredential:SecureCredential", { key: "E2B_API_KEY", value: KEY }],
    // real39 bug 1: the 5.x provider's Pages secrets and Worker resource.
    [
      "cloudflare:index/pagesProject:PagesProject",
      { name: "web", deploymentConfigs: { production: { secrets: { E2B_API_KEY: KEY } } } },
    ],
    [
      "cloudflare:index/workerScript:WorkerScript",
      {
        name: "agent",
        content: "export default {}",
        secretTextBindings: [{ name: "E2B_API_KEY", text: KEY }],
      },
    ],
    // real38 bug 3: a Kubernetes Secret as Rancher manages it (the project-scoped one holds base64).
    [
      "rancher2:index/secretV2:SecretV2",
      { clusterId: "c-1", namespace: "agents", data: { E2B_API_KEY: KEY } },
    ],
    [
      "rancher2:index/secret:Secret",
      { projectId: "c-1:p-1", data: { E2B_API_KEY: Buffer.from(KEY).toString("base64") } },
    ],
    [
      "scaleway:containers/container:Container",
      { namespaceId: "ns", secretEnvironmentVariables: { E2B_API_KEY: KEY } },
    ],
    [
      "pulumiservice:index:Environment",
      { yaml: { $asset: "string", text: `values:\n  e2b:\n    apiKey:\n      fn::secret: ${KEY}\n` } },
    ],
    // real34 bugs 2–4: the root Scaleway tokens, Secrets Manager through Cloud Control, and env vars
    // the platform encrypts.
    ["scaleway:index/secretVersion:SecretVersion", { secretId: "fr-par/11111111", data: KEY }],
    ["scaleway:index/container:Container", { secretEnvironmentVariables: { E2B_API_KEY: KEY } }],
    ["aws-native:secretsmanager:Secret", { name: "agents/prod/e2b-api-key", secretString: KEY }],
    [
      "auth0:index/action:Action",
      {
        code: "exports.onExecutePostLogin = async () => {};",
        secrets: [{ name: "E2B_API_KEY", value: KEY }],
      },
    ],
    [
      "digitalocean:index/app:App",
      { spec: { services: [{ envs: [{ key: "E2B_API_KEY", value: KEY, type: "SECRET" }] }] } },
    ],
    [
      "digitalocean:index/app:App",
      { spec: { envs: [{ key: "E2B_API_KEY", value: KEY, type: "SECRET" }], services: [{ name: "api" }] } },
    ],
    [
      "azure:containerservice/group:Group",
      { containers: [{ secureEnvironmentVariables: { E2B_API_KEY: KEY } }] },
    ],
    [
      "azure-native:containerinstance:ContainerGroup",
      { containers: [{ environmentVariables: [{ name: "E2B_API_KEY", secureValue: KEY }] }] },
    ],
  ])("%s holds the key in its secret field", (type, props) => {
    expect(isKeyStoreType(type)).toBe(true);
    expect(keysOutsideStores(type, props)).toEqual([]);
  });

  it.each([
    ["aws:ssm/parameter:Parameter", { type: "String", value: KEY }],
    [
      "scaleway:containers/container:Container",
      { namespaceId: "ns", environmentVariables: { E2B_API_KEY: KEY } },
    ],
    [
      "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
      { key: "E2B_API_KEY", value: KEY, sensitive: false },
    ],
    ["vercel:index/project:Project", { name: "web", environments: [{ key: "E2B_API_KEY", value: KEY }] }],
    [
      "cloudflare:index/workersScript:WorkersScript",
      { bindings: [{ name: "E2B_API_KEY", type: "plain_text", text: KEY }] },
    ],
    [
      "pulumiservice:index:Environment",
      { yaml: { $asset: "string", text: `values:\n  e2b:\n    apiKey: ${KEY}\n` } },
    ],
    ["aws:secretsmanager/secretVersion:SecretVersion", { secretString: "x", description: KEY }],
    ["kubernetes:core/v1:ConfigMap", { data: { E2B_API_KEY: KEY } }],
    ["auth0:index/action:Action", { code: `const k = "${KEY}";`, secrets: [] }],
    [
      "digitalocean:index/app:App",
      { spec: { services: [{ envs: [{ key: "E2B_API_KEY", value: KEY, type: "GENERAL" }] }] } },
    ],
    // App-level vars reach a static site's build too (rt39 #7).
    [
      "digitalocean:index/app:App",
      {
        spec: {
          envs: [{ key: "E2B_API_KEY", value: KEY, type: "SECRET" }],
          services: [{ name: "api" }],
          staticSites: [{ name: "web" }],
        },
      },
    ],
    // A static site's env is inlined into what browsers load, SECRET or not.
    [
      "digitalocean:index/app:App",
      { spec: { staticSites: [{ envs: [{ key: "E2B_API_KEY", value: KEY, type: "SECRET" }] }] } },
    ],
    ["azure:containerservice/group:Group", { containers: [{ environmentVariables: { E2B_API_KEY: KEY } }] }],
    [
      "azure-native:containerinstance:ContainerGroup",
      { containers: [{ environmentVariables: [{ name: "E2B_API_KEY", value: KEY }] }] },
    ],
  ])("%s is not a store for a key in plain fields", (type, props) => {
    expect(keysOutsideStores(type, props)).toHaveLength(1);
  });

  it("matches paths with wildcards only where the table says", () => {
    expect(approvedStoreAt("kubernetes:core/v1:Secret", "data.TOKEN", {}, {})).toBeDefined();
    expect(approvedStoreAt("kubernetes:core/v1:Secret", "metadata.annotations.x", {}, {})).toBeUndefined();
  });
});
