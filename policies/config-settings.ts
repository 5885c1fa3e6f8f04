/**
 * What a policy-pack config may name: the pack's policies, each with the settings its schema lists,
 * and `all`, which sets only an enforcement level. The Pulumi CLI checks a config only against each
 * policy's `properties`/`required` (pkg/resource/analyzer/config.go), so a misspelt policy, a setting
 * a policy does not have, or a setting under `all` reaches the pack's Configure and would change
 * nothing, silently. The offline engine refuses such a config when it reads the file; the pack refuses
 * it at Configure, which the CLI reports as "configuring policy pack …". One wording for both.
 */
import { inert, shortenRedacted } from "./detect/keys";
import { redactMaterial } from "./detect/redact";

export interface ConfigurablePolicy {
  name: string;
  configSchema?: { properties?: Record<string, unknown> };
}

/** The entry that sets a level for every policy; the CLI copies no setting from it. */
export const ALL_POLICIES = "all";

/**
 * A name from the user's file as a message shows it: keys masked in any encoding before it is cut to
 * 80 characters (cut first, a hex or base64 copy of a key would no longer decode for the redactor yet
 * still spell most of it), control characters inert.
 */
const shown = (name: string) => shortenRedacted(redactMaterial(inert(name, true)), 80);

function settingsOf(policies: readonly ConfigurablePolicy[], name: string): string[] {
  return Object.keys(policies.find((p) => p.name === name)?.configSchema?.properties ?? {});
}

/**
 * Why `name.key` is not a setting of this pack, or undefined when it is. Names the policies that do
 * have the setting, since the usual cause is a setting that moved between policies.
 */
export function unknownSetting(
  policies: readonly ConfigurablePolicy[],
  name: string,
  key: string,
): string | undefined {
  if (key === "enforcementLevel") return undefined;
  if (name !== ALL_POLICIES && settingsOf(policies, name).includes(key)) return undefined;
  const owners = policies.filter((p) => settingsOf(policies, p.name).includes(key)).map((p) => p.name);
  const where = owners.length ? ` (it is a setting of ${owners.join(", ")})` : "";
  const field = `field '${shown(name)}.${shown(key)}'`;
  return name === ALL_POLICIES
    ? `${field}: '${ALL_POLICIES}' sets only an enforcement level${where}`
    : `${field}: policy '${shown(name)}' has no setting '${shown(key)}'${where}`;
}

/** Why `name` is not a policy of this pack (nor `all`), or undefined when it is. */
export function unknownPolicy(policies: readonly ConfigurablePolicy[], name: string): string | undefined {
  if (name === ALL_POLICIES || policies.some((p) => p.name === name)) return undefined;
  return `field '${shown(name)}': the pack has no policy named '${shown(name)}'`;
}

/** The first name or setting of a reconciled config (policy → its properties) this pack does not have. */
export function firstUnknownSetting(
  policies: readonly ConfigurablePolicy[],
  config: Iterable<[string, Record<string, unknown>]>,
): string | undefined {
  for (const [name, properties] of config) {
    const problem =
      unknownPolicy(policies, name) ??
      Object.keys(properties)
        .map((key) => unknownSetting(policies, name, key))
        .find((p) => p !== undefined);
    if (problem) return problem;
  }
  return undefined;
}
