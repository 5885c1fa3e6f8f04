/**
 * Where a resource keeps the variables and settings its code runs with, as property names: data, easy
 * to extend. A hidden value there may hold anything the program put in (the key among them); a hidden
 * value elsewhere (a role's ARN, a bucket's name) is one value, judged by its own name.
 */

/** A map of variables or build args (`environment`, `variables`, `buildArgs`): its names are values too. */
export const VARIABLE_MAP = /(^|\.)\w*(args|env|environment|variables|vars)$/i;

/** What holds containers or their variables, below a runtime's property (`spec.template`, `containers[0]`). */
export const HOLDS_VARIABLES =
  /^(containers?|initContainers|containerDefinitions|containerProperties|containerSpec|template|spec|jobTemplate|taskTemplate|podSpec|imageConfiguration|sourceConfiguration|siteConfig|appSettings)$/;

/** Maps of a resource's own labels (`tags.upstream`, a Deployment's `metadata.labels`): never variables. */
export const NOT_VARIABLES = /(^|\.)(tags|tagsAll|labels|annotations|metadata)(\.|\[|$)/;

/**
 * Whether a property path (`siteConfig.appSettings[3].value`, `environment`) is in a place that holds
 * variables: a segment names a variable map or what holds one, and none names the resource's labels.
 */
export function holdsVariables(path: string): boolean {
  if (NOT_VARIABLES.test(path)) return false;
  for (const seg of path.split(".")) {
    const name = seg.replace(/\[\d+\]$/, "");
    if (VARIABLE_MAP.test(name) || HOLDS_VARIABLES.test(name)) return true;
  }
  return false;
}
