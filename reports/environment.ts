/**
 * The environment a stack stands for, as DESIGN.md names it: the E2BEnvironment component's `name`,
 * else an `environment`/`env` stack tag, else the stack name.
 */
import { E2B_ENVIRONMENT_TYPE } from "../policies/model";
import type { ResourceGraph } from "../engine/graph";
import { isSecretValue } from "../engine/graph";

export function stackEnvironment(graph: ResourceGraph): string {
  const names = new Set<string>();
  for (const r of graph.resources) {
    if (r.type !== E2B_ENVIRONMENT_TYPE) continue;
    let name = r.inputs.name ?? r.outputs.name;
    if (name !== undefined && isSecretValue(name)) name = name.value;
    if (typeof name === "string") names.add(name);
  }
  if (names.size > 0) return [...names].sort().join(",");
  return graph.tags.environment ?? graph.tags.env ?? graph.stack;
}
