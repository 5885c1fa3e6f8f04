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

/**
 * Scripts a machine runs when it boots, and a function's service settings: whatever the program put
 * in them (`export E2B_API_KEY=…` in user data or Azure's `customData`, a GCE `startup-script` in its
 * metadata, Cloud Functions v2's `serviceConfig` with its variables) reaches the runtime, so hidden
 * they hide variables too (rt54 #2, rt56 #6).
 */
export const BOOT_SCRIPTS =
  /^(userData|userDataBase64|customData|metadataStartupScript|startup-script|windows-startup-script-(ps1|cmd|bat)|user-data|serviceConfig)$/;

/**
 * What a resource hands over once, whole, as its own property: a function invocation's event, a
 * request's body, a queue message. No runtime's variables, hidden or not (real45 #3). Not a file's
 * `content`: a hidden Dockerfile or `.env` written as one may hand the key to a sandbox (rt56 #7).
 */
export const PAYLOAD = /^(input|body|payload|message|messageBody)$/;

/** Maps of a resource's own labels (`tags.upstream`, a Deployment's `metadata.labels`): never variables. */
export const NOT_VARIABLES = /(^|\.)(tags|tagsAll|labels|annotations|metadata)(\.|\[|$)/;

/**
 * Whether a property path (`siteConfig`, `environment.variables`, `siteConfig.appSettings[3]`) is a
 * place that holds variables, whole: hidden there, their names are hidden too. One variable hidden
 * (`environment.variables.TABLE`, another resource's output passed through) is not (rt53 #6).
 */
export function holdsVariables(path: string): boolean {
  const last = path.slice(path.lastIndexOf(".") + 1).replace(/\[\d+\]$/, "");
  // A boot script in a machine's metadata (`metadata.startup-script`) is no label.
  if (BOOT_SCRIPTS.test(last)) return true;
  if (NOT_VARIABLES.test(path)) return false;
  return VARIABLE_MAP.test(last) || HOLDS_VARIABLES.test(last);
}
