/**
 * Baselines: a JSON report of an earlier run (`--baseline FILE`). Findings whose fingerprint the
 * baseline holds are `existing` (shown, counted, never fail); the others are `new`; baseline findings
 * of the stacks in this run that are gone are listed as `fixed`. Fingerprints are recomputed from each
 * baseline finding's fields with the current algorithm (policies/fingerprint.ts), so a report written
 * before findings carried a fingerprint is a baseline too.
 */
import { z } from "zod";
import { InputError } from "../engine/errors";
import { jsonSyntaxProblem } from "../engine/errors";
import { LIMITS, checkJsonSize, readBoundedText } from "../engine/limits";
import { findingFingerprint, buildStackReport, type Finding, type Report } from "../policies/api";
import type { CaseId } from "../policies/api";

const findingSchema = z.looseObject({
  policy: z.string(),
  urn: z.string(),
  message: z.string(),
  path: z.string().optional(),
  keyFingerprint: z.string().optional(),
  unknown: z.boolean().optional(),
  caseId: z.string().nullable().optional(),
  enforcementLevel: z.string().optional(),
  severity: z.string().optional(),
});

const baselineSchema = z.looseObject({
  schemaVersion: z.literal(1),
  stacks: z.array(
    z.looseObject({
      stack: z.string(),
      project: z.string(),
      secretsHidden: z.boolean().optional(),
      findings: z.array(findingSchema),
    }),
  ),
});

export interface Baseline {
  file: string;
  /** Per `project/stack`: fingerprint → the baseline's finding. */
  stacks: Map<string, Map<string, Finding>>;
  /** Per `project/stack`: whether its run could not read some secrets (absent in older reports). */
  secretsHidden: Map<string, boolean>;
}

const stackKey = (s: { project: string; stack: string }) => `${s.project}/${s.stack}`;

function fieldOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(root)";
}

/** Read and validate a baseline; any problem is one line naming the file and the field (exit 2). */
export function loadBaseline(file: string, flag = "--baseline"): Baseline {
  let text: string;
  try {
    // A baseline is a JSON report: bounded like the state exports it was made from.
    text = readBoundedText(file, LIMITS.stateBytes);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${flag} ${e.message}`, file);
    throw e;
  }
  let doc: unknown;
  try {
    // Bounded as an export is: what nests absurdly deep is parsed as one string (then refused below).
    doc = JSON.parse(checkJsonSize(text, file));
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${flag} ${e.message}`, file);
    throw new InputError(`${flag} ${file}: not valid JSON (${jsonSyntaxProblem(e)})`, file);
  }
  const r = baselineSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0];
    const problem =
      issue.code === "invalid_value" && fieldOf(issue.path) === "schemaVersion"
        ? "must be 1 (a JSON report of e2b-guardrails --format json)"
        : issue.message.replace(/\s+/g, " ");
    throw new InputError(`${flag} ${file}: field '${fieldOf(issue.path)}' ${problem}`, file);
  }
  const stacks = new Map<string, Map<string, Finding>>();
  const secretsHidden = new Map<string, boolean>();
  for (const s of r.data.stacks) {
    if (s.secretsHidden !== undefined) secretsHidden.set(stackKey(s), s.secretsHidden);
    const byPrint = stacks.get(stackKey(s)) ?? new Map<string, Finding>();
    for (const f of s.findings) {
      const finding = f as unknown as Finding;
      byPrint.set(findingFingerprint(finding), {
        policy: f.policy,
        caseId: (f.caseId ?? null) as CaseId | null,
        enforcementLevel: (f.enforcementLevel ?? "advisory") as Finding["enforcementLevel"],
        severity: (f.severity ?? "medium") as Finding["severity"],
        urn: f.urn,
        message: f.message,
        ...(f.path ? { path: f.path } : {}),
        ...(f.keyFingerprint ? { keyFingerprint: f.keyFingerprint } : {}),
        ...(f.unknown ? { unknown: true as const } : {}),
        fingerprint: findingFingerprint(finding),
      });
    }
    stacks.set(stackKey(s), byPrint);
  }
  return { file, stacks, secretsHidden };
}

/**
 * Mark each finding new or existing, list the fixed ones and those this run could not verify, and recompute case verdicts (an existing
 * finding never fails a case). Stacks the baseline does not hold are all new; baseline stacks not in
 * this run are not judged (nothing of theirs is "fixed").
 */
export function applyBaseline(report: Report, baseline: Baseline): Report {
  const totals = { new: 0, existing: 0, fixed: 0, unverified: 0 };
  const stacks = report.stacks.map((s) => {
    const known = baseline.stacks.get(stackKey(s)) ?? new Map<string, Finding>();
    const prints = s.findings.map((f) => f.fingerprint ?? findingFingerprint(f));
    const seen = new Set(prints);
    // Baseline findings this run repeats exactly stand for nothing else. A finding about a hidden value
    // and a key found stand for each other only across runs that differ in what they could read (one
    // with the passphrase, one without); a baseline written before runs said so is taken as differing.
    const before = baseline.secretsHidden.get(stackKey(s));
    const modesDiffer = before === undefined || before !== (s.secretsHidden === true);
    const others = modesDiffer ? [...known.values()].filter((b) => !seen.has(b.fingerprint!)) : [];
    const counterpart = new HiddenCounterparts(others);
    const sameKey = new SameKeyCounterparts(others);
    // Each baseline finding stands for one finding of this run, whichever pool gives it: `seen` holds
    // those taken (rt46 #4).
    const findings = s.findings.map((f, i): Finding => {
      let state: "new" | "existing" = known.has(prints[i]) ? "existing" : "new";
      const other = state === "new" ? (counterpart.take(f, seen) ?? sameKey.take(f, seen)) : undefined;
      if (other) {
        seen.add(other.fingerprint!);
        state = "existing";
      }
      totals[state]++;
      return { ...f, fingerprint: prints[i], baseline: state };
    });
    // A finding this run could not see again because its property is hidden now (a secret that could
    // not be decrypted, at any level) is not fixed: nothing says it went away.
    const hiddenNow = findings.filter((f) => f.unknown && f.caseId && f.path);
    const unverified = (b: Finding) =>
      b.path !== undefined &&
      hiddenNow.some((f) => f.caseId === b.caseId && f.urn === b.urn && within(b.path!, f.path!));
    const notSeen = [...known.values()].filter((f) => !seen.has(f.fingerprint!));
    const fixed = notSeen.filter((f) => !unverified(f));
    const unseen = notSeen.filter(unverified);
    totals.fixed += fixed.length;
    totals.unverified += unseen.length;
    const applicable = new Set(s.cases.filter((c) => c.status !== "not-applicable").map((c) => c.id));
    return buildStackReport({ ...s, findings, applicable, fixed, unverified: unseen });
  });
  return { ...report, stacks, baseline: { file: baseline.file, ...totals } };
}

/**
 * One finding seen with and without the passphrase. Decrypted, a secret config value that holds the
 * key is found where it lands (`code.assets["__index.js"].text`, with the key's fingerprint); hidden,
 * the property it feeds is judged as the key (`code`, a value preview could not see), often by
 * another of the case's policies. Their identities differ, yet a baseline written in one mode must
 * hold in the other: a finding new by fingerprint is existing when the baseline has, for the same
 * case, level and resource, a finding of the other kind (one about a hidden value for one about key
 * material at or under the hidden value's path, and the reverse), each baseline finding standing for
 * one. Which key a hidden value was is not known, so such a baseline finding also stands for another
 * key found in that property (see the README).
 */
class HiddenCounterparts {
  private readonly hidden = new Map<string, Finding[]>();
  private readonly located = new Map<string, Finding[]>();

  constructor(baseline: Iterable<Finding>) {
    for (const b of baseline) {
      const key = counterpartKey(b);
      if (key === undefined) continue;
      const to = b.unknown ? this.hidden : this.located;
      const pool = to.get(key);
      if (pool) pool.push(b);
      else to.set(key, [b]);
    }
  }

  /** The baseline finding of the other kind that `f` stands for, taken (undefined when none). */
  take(f: Finding, taken: ReadonlySet<string>): Finding | undefined {
    const key = counterpartKey(f);
    if (key === undefined) return undefined;
    const pool = (f.unknown ? this.located : this.hidden).get(key) ?? [];
    const i = pool.findIndex(
      (b) => !taken.has(b.fingerprint!) && (f.unknown ? within(b.path!, f.path!) : within(f.path!, b.path!)),
    );
    return i < 0 ? undefined : pool.splice(i, 1)[0];
  }
}

/**
 * One key found in different places with and without the passphrase: hidden, a value built from a
 * secret inside an `apply` is not seen, and the key shows in the program's code that wrote it; with the
 * passphrase, in the resource property (real39 bug 4: user data templated inside `secret.apply`). Across
 * such runs a finding new by fingerprint is existing when the baseline has, for the same case and level,
 * a finding of the same key (its fingerprint) that this run did not repeat, each standing for one.
 */
class SameKeyCounterparts {
  private readonly pools = new Map<string, Finding[]>();

  constructor(baseline: Iterable<Finding>) {
    for (const b of baseline) {
      if (!b.keyFingerprint || !b.caseId) continue;
      const key = sameKeyOf(b);
      const pool = this.pools.get(key);
      if (pool) pool.push(b);
      else this.pools.set(key, [b]);
    }
  }

  take(f: Finding, taken: ReadonlySet<string>): Finding | undefined {
    if (!f.keyFingerprint || !f.caseId) return undefined;
    const pool = this.pools.get(sameKeyOf(f)) ?? [];
    const i = pool.findIndex((b) => !taken.has(b.fingerprint!));
    return i < 0 ? undefined : pool.splice(i, 1)[0];
  }
}

const sameKeyOf = (f: Finding) => `${f.caseId}\u0000${f.enforcementLevel}\u0000${f.keyFingerprint}`;

/**
 * `path` is `at` or lies under it (`environment.variables.E2B_API_KEY` under `environment`, and
 * `userData{yaml}.write_files[0].content` under `userData`: a document decoded from the string).
 */
const within = (path: string, at: string) =>
  path === at || (path.startsWith(at) && SEGMENT_START.test(path[at.length]));

/** What begins a path's next segment: `.name`, `[0]`, `{yaml}`. */
const SEGMENT_START = /[.[{]/;

/**
 * Case, level, resource and top-level property, for the two kinds that can be one finding: a hidden
 * value judged as the key (unknown) and a key found (with its fingerprint) at or under its path. An
 * advisory about a hidden value never stands for a key found.
 */
function counterpartKey(f: Finding): string | undefined {
  if (!f.caseId || !f.path) return undefined;
  if (f.unknown ? f.keyFingerprint : !f.keyFingerprint) return undefined;
  return `${f.caseId}\u0000${f.enforcementLevel}\u0000${f.urn}\u0000${f.path.split(SEGMENT_START)[0]}`;
}
