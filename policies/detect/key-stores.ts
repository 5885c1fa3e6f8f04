/**
 * Approved key stores: where E2B key material may live (DESIGN.md "Rules of the pack"). One data
 * table; a row names the resource type, the properties that hold the secret value, and — where the
 * type can hold plaintext as well — the condition under which the value is stored as a secret.
 *
 * Paths are written with `*` for one property name and `[*]` for any array index; `{yaml}` / `{json}`
 * mark a document parsed out of a string or asset (see walk.ts).
 */
import type { Tree } from "./walk";

export interface KeyStore {
  type: string;
  store: string;
  paths: readonly string[];
  /** Extra condition on the leaf's container object or the resource's root properties. */
  when?: (ctx: { container: Tree; root: Tree; path: string }) => boolean;
  /** Human-readable condition for the README. */
  condition?: string;
  /**
   * The condition is read inside the stored value itself (an ESC document's `fn::secret`): a value
   * hidden at preview can be judged neither stored nor not.
   */
  conditionInValue?: boolean;
  /** Property naming the container the value is stored in (a secret whose version this is). */
  containerProperty?: string;
  /**
   * A runtime as well as a store (a container app, a Worker): only its store paths hold the key
   * legitimately; its other properties are judged as any runtime's, and what depends on it (its
   * address, its name) is not fed by the key, since its outputs never give the stored value back.
   */
  alsoRuntime?: boolean;
}

function field(obj: Tree, key: string): Tree | undefined {
  return obj && typeof obj === "object" && !Array.isArray(obj) ? obj[key] : undefined;
}

/** A DigitalOcean app spec with a static site: its build gets the app-level env vars. */
function hasStaticSites(root: Tree): boolean {
  const sites = field(field(root, "spec") ?? null, "staticSites");
  return Array.isArray(sites) && sites.length > 0;
}

export const KEY_STORES: readonly KeyStore[] = [
  {
    type: "aws:secretsmanager/secretVersion:SecretVersion",
    store: "AWS Secrets Manager",
    paths: ["secretString", "secretBinary", "secretStringWo"],
    containerProperty: "secretId",
  },
  {
    type: "aws:ssm/parameter:Parameter",
    store: "AWS SSM Parameter Store",
    paths: ["value", "valueWo", "insecureValue"],
    when: ({ root, path }) => field(root, "type") === "SecureString" && path !== "insecureValue",
    condition: "type = SecureString (not insecureValue)",
  },
  {
    type: "gcp:secretmanager/secretVersion:SecretVersion",
    store: "GCP Secret Manager",
    paths: ["secretData", "secretDataWo"],
    containerProperty: "secret",
  },
  {
    type: "gcp:secretmanager/regionalSecretVersion:RegionalSecretVersion",
    store: "GCP Secret Manager",
    paths: ["secretData", "secretDataWo"],
    containerProperty: "secret",
  },
  { type: "azure-native:keyvault:Secret", store: "Azure Key Vault", paths: ["properties.value"] },
  { type: "azure:keyvault/secret:Secret", store: "Azure Key Vault", paths: ["value", "valueWo"] },
  {
    type: "vault:kv/secretV2:SecretV2",
    store: "Vault KV v2",
    paths: ["dataJson", "dataJson{json}**", "dataJsonWo", "data", "data.*"],
  },
  {
    type: "vault:kv/secret:Secret",
    store: "Vault KV v1",
    paths: ["dataJson", "dataJson{json}**", "data", "data.*"],
  },
  {
    type: "vault:generic/secret:Secret",
    store: "Vault",
    paths: ["dataJson", "dataJson{json}**", "data", "data.*"],
  },
  {
    type: "pulumiservice:index:Environment",
    store: "Pulumi ESC",
    paths: ["yaml**"],
    when: ({ path }) => path.includes(".fn::secret"),
    condition: "inside `fn::secret`",
    conditionInValue: true,
  },
  { type: "kubernetes:core/v1:Secret", store: "Kubernetes Secret", paths: ["data.*", "stringData.*"] },
  // Rancher's own forms of a Kubernetes Secret in a managed cluster (real38 bug 3).
  { type: "rancher2:index/secretV2:SecretV2", store: "Kubernetes Secret (Rancher)", paths: ["data.*"] },
  { type: "rancher2:index/secret:Secret", store: "Kubernetes Secret (Rancher project)", paths: ["data.*"] },
  {
    type: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
    store: "Vercel sensitive env var",
    paths: ["value"],
    when: ({ root }) => field(root, "sensitive") === true,
    condition: "sensitive = true",
  },
  {
    type: "vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable",
    store: "Vercel sensitive env var",
    paths: ["value"],
    when: ({ root }) => field(root, "sensitive") === true,
    condition: "sensitive = true",
  },
  {
    // The project's own inline variables (Terraform's `environment` blocks), real37 bug 1.
    type: "vercel:index/project:Project",
    store: "Vercel sensitive env var",
    paths: ["environments[*].value"],
    when: ({ container }) => field(container, "sensitive") === true,
    condition: "the variable has sensitive = true",
    alsoRuntime: true,
  },
  {
    type: "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables",
    store: "Vercel sensitive env var",
    paths: ["variables[*].value"],
    when: ({ container }) => field(container, "sensitive") === true,
    condition: "the variable has sensitive = true",
  },
  // `WorkerScript`: the 5.x provider's Worker resource, still served by 6.x (real39 bug 1).
  ...["cloudflare:index/workersScript:WorkersScript", "cloudflare:index/workerScript:WorkerScript"].map(
    (type): KeyStore => ({
      type,
      store: "Cloudflare secret_text binding",
      paths: ["bindings[*].text", "secretTextBindings[*].text"],
      when: ({ container, path }) =>
        path.startsWith("secretTextBindings") || field(container, "type") === "secret_text",
      condition: "binding type = secret_text",
      alsoRuntime: true,
    }),
  ),
  {
    type: "cloudflare:index/workersSecret:WorkersSecret",
    store: "Cloudflare Workers secret",
    paths: ["secretText"],
  },
  { type: "cloudflare:index/workerSecret:WorkerSecret", store: "Cloudflare Workers secret", paths: ["text"] },
  {
    type: "cloudflare:index/pagesProject:PagesProject",
    store: "Cloudflare secret_text env var",
    // v6's typed variables, and 5.x's encrypted `secrets` map beside the plain `environmentVariables`
    // (real39 bug 1).
    paths: ["deploymentConfigs.*.envVars.*.value", "deploymentConfigs.*.secrets.*"],
    when: ({ container, path }) => /\.secrets\./.test(path) || field(container, "type") === "secret_text",
    condition: "type = secret_text, or in 5.x's secrets",
    alsoRuntime: true,
  },
  {
    type: "azure-native:app:ContainerApp",
    store: "Azure Container Apps secret",
    paths: ["configuration.secrets[*].value"],
    alsoRuntime: true,
  },
  {
    type: "azure-native:app:Job",
    store: "Azure Container Apps secret",
    paths: ["configuration.secrets[*].value"],
    alsoRuntime: true,
  },
  {
    type: "github:index/actionsSecret:ActionsSecret",
    store: "GitHub Actions secret",
    paths: ["plaintextValue", "encryptedValue"],
  },
  {
    type: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
    store: "GitHub Actions secret",
    paths: ["plaintextValue", "encryptedValue"],
  },
  {
    type: "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
    store: "GitHub Actions secret",
    paths: ["plaintextValue", "encryptedValue"],
  },
  {
    type: "github:index/dependabotSecret:DependabotSecret",
    store: "GitHub Dependabot secret",
    paths: ["plaintextValue", "encryptedValue"],
  },
  {
    type: "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret",
    store: "GitHub Dependabot secret",
    paths: ["plaintextValue", "encryptedValue"],
  },
  ...[
    "github:index/codespacesSecret:CodespacesSecret",
    "github:index/codespacesOrganizationSecret:CodespacesOrganizationSecret",
    "github:index/codespacesUserSecret:CodespacesUserSecret",
  ].map((type) => ({ type, store: "GitHub Codespaces secret", paths: ["plaintextValue", "encryptedValue"] })),
  // Scaleway, under the module tokens and under the root tokens (deprecated aliases of the same
  // resources, which programs written for @ediri/scaleway still use).
  ...["scaleway:secrets/version:Version", "scaleway:index/secretVersion:SecretVersion"].map((type) => ({
    type,
    store: "Scaleway Secret Manager",
    paths: ["data", "dataWo"],
    containerProperty: "secretId",
  })),
  ...[
    "scaleway:containers/container:Container",
    "scaleway:functions/function:Function",
    "scaleway:index/container:Container",
    "scaleway:index/function:Function",
  ].map((type) => ({
    type,
    store: "Scaleway secret environment variable",
    paths: ["secretEnvironmentVariables.*"],
    alsoRuntime: true,
  })),
  // AWS Secrets Manager through Cloud Control: the value is a property of the secret itself.
  { type: "aws-native:secretsmanager:Secret", store: "AWS Secrets Manager", paths: ["secretString"] },
  // Env vars the platform encrypts and never shows again: DigitalOcean App Platform `SECRET` vars
  // (not a static site's, which its build inlines into what browsers load), Azure Container
  // Instances' secure variables.
  {
    type: "digitalocean:index/app:App",
    store: "DigitalOcean App Platform SECRET env var",
    paths: [
      "spec.envs[*].value",
      "spec.services[*].envs[*].value",
      "spec.workers[*].envs[*].value",
      "spec.jobs[*].envs[*].value",
      "spec.functions[*].envs[*].value",
    ],
    // App-level vars reach every component, a static site's build too (rt39 #7).
    when: ({ container, root, path }) =>
      field(container, "type") === "SECRET" && !(path.startsWith("spec.envs") && hasStaticSites(root)),
    condition: "type = SECRET; app-level (spec.envs) only in an app without static sites",
    alsoRuntime: true,
  },
  {
    type: "azure:containerservice/group:Group",
    store: "Azure Container Instances secure env var",
    paths: ["containers[*].secureEnvironmentVariables.*"],
    alsoRuntime: true,
  },
  {
    type: "azure-native:containerinstance:ContainerGroup",
    store: "Azure Container Instances secure env var",
    paths: ["containers[*].environmentVariables[*].secureValue"],
    alsoRuntime: true,
  },
  // Auth0 Actions' secrets: stored encrypted, never returned by the Management API; the Action's
  // `code` is judged as any runtime's.
  {
    type: "auth0:index/action:Action",
    store: "Auth0 Action secret",
    paths: ["secrets[*].value"],
    alsoRuntime: true,
  },
  { type: "doppler:index/secret:Secret", store: "Doppler", paths: ["value"] },
  // Read by jobs and notebooks with `dbutils.secrets.get`, redacted in their output.
  { type: "databricks:index/secret:Secret", store: "Databricks secret scope", paths: ["stringValue"] },
  // Write-only, read by synthetic monitor scripts as `$secure.NAME`.
  {
    type: "newrelic:synthetics/secureCredential:SecureCredential",
    store: "New Relic secure credential",
    paths: ["value"],
  },
  {
    type: "onepassword:index/item:Item",
    store: "1Password",
    paths: ["password", "sections[*].fields[*].value"],
  },
];

function compile(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^.\\[{]+";
    else if (c === "[" && pattern.slice(i, i + 3) === "[*]") {
      re += "\\[\\d+\\]";
      i += 2;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const compiled = new Map<string, { store: KeyStore; res: RegExp[] }[]>();
for (const s of KEY_STORES) {
  const list = compiled.get(s.type) ?? [];
  list.push({ store: s, res: s.paths.map(compile) });
  compiled.set(s.type, list);
}

/**
 * Secret containers whose outputs name the secret and never hold its value (an ARN, an id, a name):
 * a value that depends on these alone is a reference. A store with a value output (SSM Parameter
 * `value`, SecretVersion `secretString`, a Kubernetes Secret's `data`) is not one. Data, easy to extend.
 */
const REFERENCE_ONLY_STORE_TYPES = new Set([
  "aws:secretsmanager/secret:Secret",
  "gcp:secretmanager/secret:Secret",
  "azure-native:keyvault:Vault",
  "azure:keyvault/keyVault:KeyVault",
]);

/**
 * Stores with a value output whose own ids are also how runtimes reference them: an Azure Key Vault
 * secret's `versionlessId` in an app setting `@Microsoft.KeyVault(SecretUri=…)`, the reference
 * Microsoft documents. A value that depends on these alone may be that reference or the value.
 */
const REFERENCED_BY_ID_STORE_TYPES = new Set([
  "azure-native:keyvault:Secret",
  "azure:keyvault/secret:Secret",
]);

/**
 * Whether a value that depends on a resource of this type alone may be only a reference to the
 * secret (an ARN, an id, a URI), which preview cannot tell from the secret's value read at deploy
 * time: secret containers with no value output, and stores referenced by their ids.
 */
export function mayBeReferenceTo(type: string): boolean {
  return REFERENCE_ONLY_STORE_TYPES.has(type) || REFERENCED_BY_ID_STORE_TYPES.has(type);
}

export function isKeyStoreType(type: string): boolean {
  return compiled.has(type);
}

/** A store and nothing else: every property of it is the store's (KeyStore.alsoRuntime). */
export function isStoreOnlyType(type: string): boolean {
  return compiled.get(type)?.every(({ store }) => !store.alsoRuntime) ?? false;
}

/** Whether a leaf of a resource sits where a store of its type keeps values (hidden or not). */
export function isStoredLeaf(type: string, leaf: { path: string; container: Tree }, root: Tree): boolean {
  return approvedStoreOfHidden(type, leaf.path, leaf.container, root) !== undefined;
}

/** The store that legitimately holds a value at `path` of a resource of `type`, if any. */
export function approvedStoreAt(
  type: string,
  path: string,
  container: Tree,
  root: Tree,
): KeyStore | undefined {
  const rows = compiled.get(type);
  if (!rows) return undefined;
  for (const { store, res } of rows) {
    if (!res.some((r) => r.test(path))) continue;
    if (store.when && !store.when({ container, root, path })) continue;
    return store;
  }
  return undefined;
}

/**
 * Fields under which a runtime is given a reference to a stored secret, never the secret: ECS
 * `secrets[].valueFrom` (a Secrets Manager or SSM ARN), Kubernetes `env[].valueFrom.secretKeyRef`
 * (a Secret's name and key), Cloud Run `valueSource.secretKeyRef`, Container Apps `secretRef`. A
 * value there that is unknown at preview is a name or an ARN not known yet, not the key.
 */
export const REFERENCE_FIELDS: ReadonlySet<string> = new Set([
  "valueFrom",
  "valueSource",
  "secretKeyRef",
  "secretRef",
]);

/** Whether a property path (`a.b[0].valueFrom.secretKeyRef.name`) runs through a reference field. */
export function isReferencePath(path: string): boolean {
  for (const seg of path.split(/[.[\]]+/)) if (REFERENCE_FIELDS.has(seg)) return true;
  return false;
}

/**
 * The store that holds a value hidden at preview at `path`: as approvedStoreAt, or, where the whole
 * object the store keeps its values in is hidden (@pulumi/kubernetes makes a Secret's `stringData`
 * one secret, so without the passphrase it is one unknown), the store of the values inside it.
 */
export function approvedStoreOfHidden(
  type: string,
  path: string,
  container: Tree,
  root: Tree,
): KeyStore | undefined {
  return (
    approvedStoreAt(type, path, container, root) ??
    approvedStoreAt(type, `${path}.value`, container, root) ??
    storeInside(type, path)
  );
}

/** The store whose condition a value hidden at `path` would decide (KeyStore.conditionInValue). */
export function storeDecidedByValue(type: string, path: string): KeyStore | undefined {
  return compiled.get(type)?.find(({ store, res }) => store.conditionInValue && res.some((r) => r.test(path)))
    ?.store;
}

/**
 * The store of a runtime-and-store type whose store paths all lie inside a value hidden as a whole:
 * azure-native wraps a container app's `configuration` in an apply (its defaults), so one undecrypted
 * secret in `configuration.secrets` hides all of `configuration`. Decrypted, the key would be seen
 * in the store, so it is judged as stored (as a Kubernetes Secret's hidden `stringData` is).
 */
function storeInside(type: string, path: string): KeyStore | undefined {
  for (const { store } of compiled.get(type) ?? []) {
    if (!store.alsoRuntime || store.when) continue;
    if (store.paths.every((p) => p.startsWith(`${path}.`) || p.startsWith(`${path}[`))) return store;
  }
  return undefined;
}

/** The properties of a store type that hold secret values (for taint: does the secret value depend on the key?). */
export function storeValueProperties(type: string): string[] {
  const rows = compiled.get(type) ?? [];
  const out = new Set<string>();
  for (const { store } of rows) for (const p of store.paths) out.add(p.split(/[.[{*]/)[0]);
  return [...out];
}

/** The container property of a store type (e.g. a secret version's `secretId`), if any. */
export function storeContainerProperty(type: string): string | undefined {
  for (const { store } of compiled.get(type) ?? [])
    if (store.containerProperty) return store.containerProperty;
  return undefined;
}
