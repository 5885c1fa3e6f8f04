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
 * Whether a property path (`siteConfig`, `environment.variables`, `siteConfig.appSettings[3]`) is a
 * place that holds variables, whole: hidden there, their names are hidden too. One variable hidden
 * (`environment.variables.TABLE`, another resource's output passed through) is not (rt53 #6).
 */
export function holdsVariables(path: string): boolean {
  if (NOT_VARIABLES.test(path)) return false;
  const last = path.slice(path.lastIndexOf(".") + 1).replace(/\[\d+\]$/, "");
  return VARIABLE_MAP.test(last) || HOLDS_VARIABLES.test(last);
}
