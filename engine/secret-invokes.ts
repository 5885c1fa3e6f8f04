/**
 * Provider functions that read a secret's value at deploy time (`aws.ssm.getParameter`,
 * `aws.secretsmanager.getSecretVersion`, …). `pulumi preview` asks the provider and the program gets
 * the value itself, the E2B key if that is what the secret holds. Offline there is no provider to ask
 * (recorder.ts answers an invoke with its own arguments), so the value would be missing and whatever
 * the program made of it unjudged. Instead the result's value field is the placeholder of a hidden
 * value named by the secret (policies/detect/hidden-config.ts invokeSecretKey): the pack judges it
 * as it judges a secret config value it could not decrypt, by its name (`/agents/e2b-api-key`).
 * Data, easy to extend: token → the argument naming the secret and the result field holding it;
 * SECRET_SET_INVOKES for functions that read several secrets at once. A map whose keys are not in
 * the arguments (Vault's `data`) stays empty offline; Vault's `dataJson` beside it is hidden.
 */
import { invokeSecretKey, undecryptedPlaceholder } from "../policies/detect/hidden-config";
import { UNKNOWN, type WireObject } from "./graph";

export const SECRET_INVOKES: Readonly<Record<string, { name: string; value: string }>> = {
  "aws:ssm/getParameter:getParameter": { name: "name", value: "value" },
  "aws:secretsmanager/getSecretVersion:getSecretVersion": { name: "secretId", value: "secretString" },
  "gcp:secretmanager/getSecretVersion:getSecretVersion": { name: "secret", value: "secretData" },
  "gcp:secretmanager/getSecretVersionAccess:getSecretVersionAccess": { name: "secret", value: "secretData" },
  "gcp:secretmanager/getRegionalSecretVersion:getRegionalSecretVersion": {
    name: "secret",
    value: "secretData",
  },
  "gcp:secretmanager/getRegionalSecretVersionAccess:getRegionalSecretVersionAccess": {
    name: "secret",
    value: "secretData",
  },
  "azure:keyvault/getSecret:getSecret": { name: "name", value: "value" },
  "vault:generic/getSecret:getSecret": { name: "path", value: "dataJson" },
  "vault:kv/getSecret:getSecret": { name: "path", value: "dataJson" },
  "vault:kv/getSecretV2:getSecretV2": { name: "name", value: "dataJson" },
};

/**
 * Functions that read several secrets at once, answered with each value hidden under its name:
 * `aws.kms.getSecrets` decrypts the ciphertexts its arguments name (`plaintext[name]`), and
 * `aws.ssm.getParametersByPath` reads the parameters under a path: not known offline at all.
 */
const SECRET_SET_INVOKES: Readonly<Record<string, (args: WireObject) => WireObject | undefined>> = {
  "aws:kms/getSecrets:getSecrets": (args) => {
    const names = (Array.isArray(args.secrets) ? args.secrets : []).flatMap((s) =>
      s && typeof s === "object" && !Array.isArray(s) && typeof s.name === "string" && s.name ? [s.name] : [],
    );
    if (names.length === 0) return undefined;
    return { ...args, plaintext: Object.fromEntries(names.map((n) => [n, hiddenSecret(n)])) };
  },
  // The parameters under a path are picked by names offline cannot know (`values[names.indexOf(…)]`),
  // whatever the path says: the result is not known, so what it feeds is inconclusive (rt45 #8, rt46 #9).
  "aws:ssm/getParametersByPath:getParametersByPath": (args) =>
    typeof args.path === "string" && args.path !== ""
      ? { ...args, names: UNKNOWN, values: UNKNOWN, types: UNKNOWN, arns: UNKNOWN }
      : undefined,
};

const hiddenSecret = (name: string) => undecryptedPlaceholder(invokeSecretKey(name));

/** Whether the function `token` reads a secret's value (answered with it hidden, below). */
export const readsSecret = (token: string): boolean => token in SECRET_INVOKES || token in SECRET_SET_INVOKES;

/**
 * The offline answer to a secret-reading invoke: its arguments with the value field a hidden
 * placeholder named by the secret; undefined for any other invoke, or one whose secret's name is
 * not known (an Output not resolved yet arrives as the unknown sentinel, not as a name).
 */
export function secretInvokeResult(token: string, args: WireObject): WireObject | undefined {
  const set = SECRET_SET_INVOKES[token];
  if (set) return set(args);
  const spec = SECRET_INVOKES[token];
  const name = spec && args[spec.name];
  if (!spec || typeof name !== "string" || name === "" || PUBLIC_PARAMETER.test(name)) return undefined;
  return { ...args, [spec.value]: hiddenSecret(name) };
}

/** AWS's own public parameters (`/aws/service/ecs/optimized-ami/…`: AMI ids, regions), never secrets. */
const PUBLIC_PARAMETER = /^\/aws\/service\//;

/**
 * Functions that look a secret up by its name without reading its value, answered offline with an
 * identifier that carries the name: `aws.secretsmanager.getSecret({ name })` gives the ARN a program
 * then reads the value by (`getSecretVersion({ secretId: secret.arn })`, real39 bug 2), so that read
 * is named too. Undefined for any other function, or a look-up whose name is not known.
 */
export function secretLookupResult(token: string, args: WireObject): WireObject | undefined {
  if (token !== "aws:secretsmanager/getSecret:getSecret") return undefined;
  const { name, arn } = args;
  if (typeof arn === "string" && arn)
    return { ...args, id: arn, name: typeof name === "string" ? name : arn };
  if (typeof name !== "string" || !name) return undefined;
  const region = typeof args.region === "string" && args.region ? args.region : "us-east-1";
  const id = `arn:aws:secretsmanager:${region}:000000000000:secret:${name}`;
  return { ...args, arn: id, id, name };
}
