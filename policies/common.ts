/** Small helpers shared by the policies: evidence for case applicability, names in messages, config pieces. */
import { z } from "zod";
import type { CaseId } from "./cases";
import { DEFAULT_ENVIRONMENT_TAG_KEYS } from "./detect/environment";
import { INFLATE_LIMITS, describeEncoding } from "./detect/material";
import { invokeSecretName, undecryptedConfigKey } from "./detect/hidden-config";
import type { KeyHit } from "./detect/scanner";
import type { EnvironmentResource, IndexedResource, StackIndex } from "./detect/stack-index";
import { get } from "./detect/tree";
import { OPAQUE_SECRET } from "./detect/unknowns";
import { printable } from "./detect/walk";
import type { Reporter } from "./policy-dsl";

/**
 * A regular expression written in policy config. Checked when the config is parsed, so a bad one is
 * an error naming its policy and field rather than a SyntaxError thrown from inside a rule.
 */
export function regexSchema(
  defaultValue: string,
  description: string,
  /** How the rule builds its RegExp from the text, when not `new RegExp(text)`: checked as built. */
  build: (source: string) => RegExp = (source) => new RegExp(source),
) {
  return z
    .string()
    .refine((source) => isRegExp(source, build), { message: "not a valid regular expression" })
    .default(defaultValue)
    .describe(description);
}

function isRegExp(source: string, build: (source: string) => RegExp): boolean {
  try {
    build(source);
    return true;
  } catch {
    return false;
  }
}

export const environmentTagKeysSchema = z
  .array(z.string().min(1))
  .default([...DEFAULT_ENVIRONMENT_TAG_KEYS])
  .describe("Tag/label keys that name a resource's environment (case-insensitive).");

export { E2B_NAME, KEY_NAME_PATTERN } from "./detect/stack-index";

/**
 * Whether a top-level property's value came from no resource: its property dependencies are known and
 * empty. An unknown there is not an output not known yet but a value hidden from preview, such as a
 * secret config value that could not be decrypted or a provider function's result (the SDK drops the
 * dependencies of an invoke whose arguments are not known yet); nothing but the value itself could
 * settle it.
 */
export function fromNoResource(r: IndexedResource, top: string): boolean {
  const deps = r.propertyDependencies[top];
  // An undecrypted config value's marker (detect/hidden-config.ts) is provenance, not a resource.
  return deps !== undefined && deps.every((u) => undecryptedConfigKey(u) !== undefined);
}

/** HIDDEN_CAUSE in a run where every secret was decrypted (the passphrase was given, or under the CLI). */
const UNRESOLVED_CAUSE =
  "a provider function's result over values not known yet, or a resource passed by reference whose id is not known yet";

/**
 * Why a value that came from no resource is unknown at preview, as findings say it: the pack cannot
 * tell these apart (seen on pulumi/examples aws-ts-lambda-secrets, whose IAM policy document comes
 * from `getPolicyDocumentOutput` over secret ARNs; and aws-ts-slackbot, whose API Gateway component
 * gets its Lambda by reference: the SDK lists no dependency for a resource passed to a multi-language
 * component, and the CLI sends the reference as the resource's id, unknown in a preview).
 */
const HIDDEN_CAUSE = `a secret that could not be decrypted, ${UNRESOLVED_CAUSE}`;

/**
 * Why a hidden value is hidden and how to check it, as findings say it. The passphrase is named, as
 * cause and as cure, only when something in this run went undecrypted: a secret config value the
 * engine could not decrypt, or an export's encrypted secret (`value` is OPAQUE_SECRET). Otherwise (the
 * passphrase was given, or the Pulumi CLI ran the program) it would send the user after a fix that
 * changes nothing.
 */
export function hiddenValueNote(
  index: StackIndex,
  value?: unknown,
  it = "it",
): { cause: string; check: string } {
  const hidden = [...index.hiddenConfigs().values()];
  if (value === OPAQUE_SECRET || hidden.some((c) => invokeSecretName(c.key) === undefined))
    return {
      cause: HIDDEN_CAUSE,
      check: `Preview with the passphrase, or audit an export made with --show-secrets, to check ${it}.`,
    };
  // Only secrets read at deploy time: no passphrase shows them, the provider does (rt43 note).
  if (hidden.length)
    return {
      cause: `a secret a provider function reads at deploy time, ${UNRESOLVED_CAUSE}`,
      check: `${READ_AT_DEPLOY_CHECK} to check ${it}.`,
    };
  return {
    cause: UNRESOLVED_CAUSE,
    check:
      "Preview again once the values it is computed from exist, or audit the stack's export after `pulumi up`.",
  };
}

/** How to see a secret a provider function reads at deploy time: where a provider answers. */
const READ_AT_DEPLOY_CHECK =
  "Preview with `pulumi preview --policy-pack`, where the provider reads the secret, or audit an export made with --show-secrets,";

/**
 * How to check what these hidden values fed: the passphrase shows secret config values, only a
 * provider shows a secret read at deploy time.
 */
export function hiddenValuesCheck(keys: readonly string[]): string {
  return keys.some((k) => invokeSecretName(k) === undefined)
    ? "Preview with the passphrase, or audit the stack's export after `pulumi up`."
    : `${READ_AT_DEPLOY_CHECK} to check it.`;
}

/**
 * A value hidden from what the rules see: an unknown that came from no resource (a secret config value
 * that could not be decrypted) or an export's encrypted secret. Neither its dependencies nor anything
 * else settles what it holds.
 */
export function isHiddenValue(
  index: StackIndex,
  r: IndexedResource,
  leaf: { unknown: boolean; value: unknown; top: string },
): boolean {
  return (
    leaf.value === OPAQUE_SECRET ||
    (leaf.unknown && fromNoResource(r, leaf.top) && mayHideTheKey(index, r, leaf.top))
  );
}

/**
 * Whether a hidden value may be the key. Not when the offline engine names where it came from and
 * every source is a config value named for something else (`dbPassword`): decrypted, it would be
 * judged as that value, not as the key (detect/hidden-config.ts). Sources named about E2B (or with
 * a secure leaf about E2B), or none named, leave it open.
 */
export function mayHideTheKey(index: StackIndex, r: IndexedResource, top: string): boolean {
  const deps = r.propertyDependencies[top];
  if (!deps?.length) return true;
  const hidden = index.hiddenConfigs();
  return deps.some((u) => {
    const c = hidden.get(u);
    return c === undefined || c.e2bNamed || c.e2bLeaf !== undefined;
  });
}

/**
 * `aws:lambda/function:Function 'api'` — how messages name a resource. A name with control
 * characters or line breaks is JSON-quoted instead, so it cannot forge a line of the report.
 */
export function describe(r: { type: string; name: string }): string {
  const name = printable(r.name);
  return `${printable(r.type)} ${name === r.name ? `'${name}'` : name}`;
}

/**
 * What a stack must hold for a case to be judged at all (policies/README.md "Evidence"): without it
 * the case is not applicable, with it the case passes or fails. Key material alone is evidence for
 * E2B-01 (it leaked) but not for the cases about how a stack *uses* its key.
 */
export const CASE_EVIDENCE = {
  /** E2B-01: any E2B trace, key material found anywhere included. */
  anyTrace:
    "E2B key material anywhere in the stack (properties, property names, deployed files, outputs, URNs, references, plaintext stack configuration; in an audit also ids and the deployment's fields), an E2B key resource, an E2BEnvironment, an E2B_* variable, a property fed by a secret config value named about E2B that the offline preview could not decrypt, or a secret config value holding the key (or, not decrypted, named to carry it) that no value preview could see holds or takes (E2B-01 is then inconclusive); advisories about files or values that were not read are not evidence",
  /** E2B-02, E2B-06: the stack hands a key to something (a consumer). */
  keyConsumer:
    "an E2B key resource, an E2BEnvironment, an E2B_* variable, or a property fed by a secret config value named to carry the key or about E2B (`e2bKey`), decrypted or not (a leaked key alone is judged by E2B-01 only)",
  /** E2B-08: a management credential to judge. */
  managementCredential:
    "an E2B key resource, an E2BEnvironment, an E2B_* variable, a property fed by a secret config value named to carry the key, E2B access-token material (`sk_e2b_…`), or an undecrypted structured secret with a secure leaf naming an access token",
  /** E2B-03/04/05/07/09: an environment declared in IaC. */
  declaredEnvironment: "an E2BEnvironment component or an E2B key resource",
} as const;

/** Each case's evidence, as the README's "Evidence" table shows it (the rules test the same). */
export const EVIDENCE_OF_CASE: Readonly<Record<CaseId, string>> = {
  "E2B-01": CASE_EVIDENCE.anyTrace,
  "E2B-02": `${CASE_EVIDENCE.keyConsumer}; or (offline \`preview\`) the program takes a StackReference output named for the key (\`requireOutput("e2bApiKey")\`)`,
  "E2B-03": CASE_EVIDENCE.declaredEnvironment,
  "E2B-04": CASE_EVIDENCE.declaredEnvironment,
  "E2B-05": CASE_EVIDENCE.declaredEnvironment,
  "E2B-06": `${CASE_EVIDENCE.keyConsumer}; or key material E2B-06's checks find baked into a sandbox (a template's Dockerfile, an image build, a sandbox definition)`,
  "E2B-07": CASE_EVIDENCE.declaredEnvironment,
  "E2B-08": CASE_EVIDENCE.managementCredential,
  "E2B-09": CASE_EVIDENCE.declaredEnvironment,
};

/** E2B key material, key resources, environments or E2B-named variables: the stack uses E2B. */
export function usesE2B(index: StackIndex): boolean {
  const e = index.e2bEvidence();
  return e.environments + e.keys + e.material + e.names > 0;
}

export const NO_E2B_EVIDENCE = `no E2B trace in this stack (needs ${CASE_EVIDENCE.anyTrace})`;

/** Something in the stack is given an E2B key: key resources, environments or E2B-named variables. */
export function consumesE2BKey(index: StackIndex): boolean {
  const e = index.e2bEvidence();
  return e.environments + e.keys + e.names + e.keyConfigFeeds > 0;
}

export const NO_E2B_KEY_CONSUMER = `nothing in this stack is given an E2B key (needs ${CASE_EVIDENCE.keyConsumer})`;

/** A management credential could be in play: consumers of the key, or access-token material. */
export function holdsManagementCredential(index: StackIndex): boolean {
  return consumesE2BKey(index) || index.e2bEvidence().accessTokens > 0;
}

export const NO_MANAGEMENT_CREDENTIAL = `no E2B management credential to judge (needs ${CASE_EVIDENCE.managementCredential})`;

/** Environments or key resources: the stack manages E2B with IaC (cases about declared environments). */
export function managesE2B(index: StackIndex): boolean {
  return index.environments.length + index.keyResources.length > 0;
}

export const NO_E2B_ENVIRONMENT = "no E2BEnvironment component or E2B key resource in this stack";

/** Where a key was found, for messages: a property path, or a deployed file and its line. */
export function keyLocation(k: KeyHit): string {
  const enc = describeEncoding(k.encoding);
  const how = enc ? ` (${enc})` : "";
  if (k.artifact?.document)
    return `at ${k.path}${how}, in ${printable(k.artifact.file)} line ${k.artifact.line}`;
  if (k.artifact)
    return `in ${printable(k.artifact.file)} line ${k.artifact.line}${how}, a file deployed by ${k.path}`;
  return `at ${k.path}${how}`;
}

/** Key resources that are not part of any E2BEnvironment (their environment declares nothing). */
export function orphanKeys(index: StackIndex): IndexedResource[] {
  return index.keyResources.filter((k) => !index.environmentComponentOf(k));
}

/**
 * The environments whose model the rules can read. A component seen only through its outputs (its
 * inputs reached the pack in no Analyze call, e.g. a state export without inputs) gets an advisory
 * instead of false "missing" findings.
 */
export function modelledEnvironments(index: StackIndex, report: Reporter): EnvironmentResource[] {
  const out: EnvironmentResource[] = [];
  for (const env of index.environments) {
    if (env.modelAvailable) out.push(env);
    else
      report(
        `E2BEnvironment '${env.name}' model is not visible: the pack saw only the component's registered outputs, not its inputs, so its settings are not judged.`,
        env.resource.urn,
        { advisory: true, at: { inconclusive: true } },
      );
  }
  return out;
}

/**
 * Per E2BEnvironment (by URN), how its deployed AWS monitor is muted: the schedule rule that runs it
 * switched off, or an alarm whose actions are disabled or that notifies nobody (a stack transform
 * "non-prod must not page" does this). One pass over the stack.
 */
export function mutedAlarms(index: StackIndex): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (env: EnvironmentResource, what: string) =>
    (out.get(env.resource.urn) ?? out.set(env.resource.urn, []).get(env.resource.urn)!).push(what);
  // Per environment: its monitor's schedules and the shortest time one of its alarms looks back.
  const schedules = new Map<EnvironmentResource, Array<{ rule: IndexedResource; seconds: number }>>();
  const windows = new Map<EnvironmentResource, number>();
  for (const r of index.resources) {
    if (r.type !== EVENT_RULE && r.type !== METRIC_ALARM) continue;
    const env = index.environmentComponentOf(r);
    if (!env) continue;
    if (r.type === EVENT_RULE) {
      if (get(r.props, "state") === "DISABLED" || get(r.props, "isEnabled") === false)
        add(env, `${describe(r)} is disabled, so the monitor never runs`);
      const seconds = scheduleGapSeconds(get(r.props, "scheduleExpression"));
      if (seconds !== undefined) schedules.set(env, [...(schedules.get(env) ?? []), { rule: r, seconds }]);
      continue;
    }
    const window = Number(get(r.props, "period")) * Number(get(r.props, "evaluationPeriods") ?? 1);
    if (Number.isFinite(window) && window > 0) windows.set(env, Math.min(windows.get(env) ?? window, window));
    if (get(r.props, "actionsEnabled") === false) add(env, `${describe(r)} has its actions disabled`);
    else {
      const actions = get(r.props, "alarmActions");
      if (Array.isArray(actions) && actions.length === 0)
        add(env, `${describe(r)} notifies nobody (no alarmActions)`);
    }
  }
  // A monitor that runs less often than its alarms look back leaves them without data between runs:
  // an alarm that treats missing data as breaching flaps, one that does not never fires in between.
  for (const [env, rules] of schedules) {
    const window = windows.get(env);
    for (const { rule, seconds } of rules)
      if (window !== undefined && seconds > window)
        add(
          env,
          `${describe(rule)} runs the monitor every ${seconds}s, less often than its alarms look back (${window}s), so they go without data between runs`,
        );
  }
  return out;
}

/** Seconds per unit of an EventBridge `rate(…)` expression. */
const RATE_UNITS: Readonly<Record<string, number>> = { minute: 60, hour: 3600, day: 86_400 };

/**
 * The longest wait between two runs of an EventBridge schedule, in seconds: `rate(5 minutes)`, or a
 * `cron(minutes hours day-of-month month day-of-week year)` (rt45 #7: `cron(0 0 * * ? *)` runs daily).
 * A cron's minute and hour fields are read (`*`, `a`, `a,b`, `a-b`, `*\/n`, `a/n`); one that also
 * names days runs a day apart at least, one that names months or years a year apart. Undefined for
 * anything else.
 */
export function scheduleGapSeconds(expression: unknown): number | undefined {
  if (typeof expression !== "string") return undefined;
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/i.exec(text);
  if (rate) return Number(rate[1]) * RATE_UNITS[rate[2].toLowerCase()];
  const cron = /^cron\(\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(\S+))?\s*\)$/i.exec(text);
  if (!cron) return undefined;
  const [, minutes, hours, dayOfMonth, month, dayOfWeek, year = "*"] = cron;
  const minuteGap = largestGap(minutes, 60);
  const hourGap = largestGap(hours, 24);
  if (minuteGap === undefined || hourGap === undefined) return undefined;
  // Every hour (`*`, `0-23`): the minutes decide. Some hours: the hours do (at least an hour apart).
  const gap = hourGap === 1 ? minuteGap * 60 : hourGap * 3600;
  // Some days only: a day apart at least; some months or years only: a year apart (rt46 #8).
  if (!/^[*?]$/.test(month) || !/^[*?]$/.test(year)) return Math.max(gap, YEAR);
  const everyDay = /^[*?]$/.test(dayOfMonth) && /^[*?]$/.test(dayOfWeek);
  return everyDay ? gap : Math.max(gap, 86_400);
}

const YEAR = 365 * 86_400;

/**
 * The longest gap between consecutive values of a cron field over its cycle (`60` minutes, `24`
 * hours), wrapping round: `0` → 60, `0,30` → 30, `*\/15` → 15, `*` → 1; undefined if unreadable.
 */
function largestGap(field: string, cycle: number): number | undefined {
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === "*" ? 0 : Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : m[1] === "*" || m[3] !== undefined ? cycle - 1 : from;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (step < 1 || from >= cycle || to >= cycle || from > to) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  const sorted = [...values].sort((a, b) => a - b);
  let gap = cycle - sorted[sorted.length - 1] + sorted[0];
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i] - sorted[i - 1]);
  return gap;
}

const EVENT_RULE = "aws:cloudwatch/eventRule:EventRule";
const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/**
 * E2B-03's and E2B-05's check that the alarms an environment declares (`alarm`: "leak alarm",
 * "budget alerts"; `declared`: how the model declares them) are deployed as alarms that can notify:
 * muted by the stack (mutedAlarms) fails; not deployed by the component, which registers the output
 * `monitor: "none"` when it builds no monitor (every store outside AWS, or by choice), is inconclusive:
 * an alarm built elsewhere is not visible to the pack. Exports of older versions carry no such output.
 */
export function checkAlarmsDeployed(
  report: Reporter,
  env: EnvironmentResource,
  label: string,
  muted: readonly string[] | undefined,
  alarm: { name: string; declared: string },
): void {
  const urn = env.resource.urn;
  if (muted)
    report(
      `${label} ${alarm.name} is deployed muted: ${muted.join("; ")}. Alarms that cannot notify anyone are no alarm: keep the monitor's rule enabled and its alarms' actions.`,
      urn,
    );
  const out = env.resource.outputs;
  if (out && typeof out === "object" && !Array.isArray(out) && out.monitor === "none")
    report(
      `${label} declares ${alarm.declared}, but the component deploys no alarm for it (monitor: none, as for every store outside AWS): an alarm built elsewhere is not visible to the pack, so this is not judged. Alarm it with your cloud's monitoring and waive this finding naming that alarm, or keep the key in an AWS store with monitor: aws.`,
      urn,
      { advisory: true, at: { inconclusive: true } },
    );
}

/**
 * Whether the stack holds the evidence a case needs (EVIDENCE_OF_CASE), tested as its policies test
 * it: a case whose policy is disabled is then judged without it (inconclusive), not not-applicable.
 */
export const CASE_HAS_EVIDENCE: Readonly<Record<CaseId, (index: StackIndex) => boolean>> = {
  "E2B-01": (index) => usesE2B(index),
  "E2B-02": consumesE2BKey,
  "E2B-03": managesE2B,
  "E2B-04": managesE2B,
  "E2B-05": managesE2B,
  "E2B-06": consumesE2BKey,
  "E2B-07": managesE2B,
  "E2B-08": holdsManagementCredential,
  "E2B-09": managesE2B,
};

/** Values whose compressed data was not read to its end: listed, at most PARTLY_READ_LISTED of them. */
const PARTLY_READ_LISTED = 5;

export function partlyReadMessage(resource: string, paths: readonly string[]): string {
  const listed = paths.slice(0, PARTLY_READ_LISTED).join(", ");
  const more = paths.length > PARTLY_READ_LISTED ? ` and ${paths.length - PARTLY_READ_LISTED} more` : "";
  return (
    `${resource} holds compressed data that was not read to its end, so it was not fully checked for E2B keys: ${listed}${more}. ` +
    `${INFLATE_LIMITS}.`
  );
}
