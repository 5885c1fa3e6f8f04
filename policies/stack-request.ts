/**
 * The AnalyzeStack request read once for all stack policies.
 *
 * For each stack policy, @pulumi/policy (server.js `makeAnalyzeStackRpcFun`) builds the whole
 * resource list again: per resource a resource object with two closures, its options, its provider,
 * its property dependencies, and a URN map per policy. With this pack's 13 stack policies that was 13
 * lists of the whole stack per AnalyzeStack, one of the pack's largest costs over an empty pack. Our
 * stack policies only hand the list to the one StackIndex they share, so the analyzer hooks read the
 * request once here (the same fields the SDK reads; references the stack does not hold are kept, and
 * the StackIndex sets them aside for the record scan) and give the
 * SDK a view of the request whose resource list is empty: the SDK still runs every stack policy, with
 * its own name, level and config, and reports what each finds; each reads the session's list.
 */
import type { ResourceLike } from "./detect/stack-index";

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes carry no types */
type Pb = any;

/**
 * The resources of an AnalyzeStack request in the fields the StackIndex reads: the parent when within
 * the stack, the options' raw parent, dependencies and property dependencies as sent (the SDK drops
 * those it cannot resolve to a resource; a dangling reference is still text that can carry a key, and
 * every rule looks references up in its own sets), deleteBeforeReplace when set, the provider's URN. Undefined when a resource
 * carries no options (a CLI too old for the SDK, which then fails the call itself).
 */
export function stackResourcesOf(
  req: Pb,
  props: (struct: Pb) => Record<string, unknown>,
): ResourceLike[] | undefined {
  const list: Pb[] = req.getResourcesList();
  const urns = new Set<string>();
  for (const r of list) {
    if (!r.getOptions()) return undefined;
    urns.add(r.getUrn());
  }
  return list.map((r): ResourceLike => {
    const propertyDependencies: Record<string, string[]> = {};
    const map = r.getPropertydependenciesMap();
    if (map) for (const [k, v] of map.entries()) propertyDependencies[k] = v.getUrnsList() as string[];
    const opts = r.getOptions();
    const parent: string = r.getParent();
    const provider = r.getProvider();
    return {
      urn: r.getUrn(),
      type: r.getType(),
      name: r.getName(),
      props: props(r.getProperties()),
      parent: parent && urns.has(parent) ? parent : undefined,
      provider: provider ? { urn: provider.getUrn() } : undefined,
      dependencies: r.getDependenciesList() as string[],
      propertyDependencies,
      opts: {
        parent: opts.getParent() || undefined,
        deleteBeforeReplace: opts.getDeletebeforereplacedefined() ? opts.getDeletebeforereplace() : undefined,
        aliases: opts.getAliasesList?.() ?? [],
        ignoreChanges: opts.getIgnorechangesList?.() ?? [],
        additionalSecretOutputs: opts.getAdditionalsecretoutputsList?.() ?? [],
      },
    };
  });
}

/** The call as the SDK's handler sees it, with a request that lists no resources (all else the same). */
export function withoutResources<C extends { request: Pb }>(call: C): C {
  const request = Object.create(call.request, { getResourcesList: { value: () => [] } });
  return Object.create(call, { request: { value: request } });
}
