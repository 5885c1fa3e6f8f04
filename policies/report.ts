/**
 * The one data model of findings and verdicts (DESIGN.md "JSON report", schemaVersion 1). Every report
 * format (text, JSON, Markdown, HTML, JUnit, SARIF) is a view of `Report`. The pack builds it at
 * AnalyzeStack for `E2B_GUARDRAILS_REPORT`; the `audit`/`preview` commands build it from the findings
 * the pack returns over gRPC, with the same functions.
 */
import { caseIds, cases, caseOfPolicy, type CaseId, type Severity } from "./cases";
import type { CostChange } from "./cost-change";
import { findingFingerprint } from "./fingerprint";
import { parseLocationTrailer } from "./location";
import { compareLevels, isBlockingLevel, isEnforcementLevel, type EnforcementLevel } from "./enforcement";

export type { EnforcementLevel } from "./enforcement";
/**
 * `inconclusive`: the case applies and nothing fails it, but a value its verdict needs was unknown at
 * preview (a finding marked `inconclusive`), so it neither passes nor fails (policies/README.md "Evidence").
 */
export type CaseStatus = "pass" | "fail" | "inconclusive" | "not-applicable";

/** Every case status, in the order summaries count them. */
export const CASE_STATUSES: readonly CaseStatus[] = ["fail", "inconclusive", "pass", "not-applicable"];

export interface Waiver {
  reason: string;
  owner: string;
  /** ISO date. */
  expires: string;
}

export interface Finding {
  policy: string;
  caseId: CaseId | null;
  enforcementLevel: EnforcementLevel;
  severity: Severity;
  urn: string;
  message: string;
  /** Present when a waiver in policy config covers this finding; a waived finding never fails a case. */
  waiver?: Waiver;
  /** The property path the finding is about, when it names one (`environment.variables.E2B_API_KEY`). */
  path?: string;
  /** `sha256:` fingerprint of the key material the finding is about; never the key. */
  keyFingerprint?: string;
  /** The finding is about a value preview could not see (not known yet, or not decryptable). */
  unknown?: true;
  /**
   * The unknown value was the case's own evidence and nothing else settles the verdict: unless a
   * blocking finding fails it, the case reads `inconclusive`. Implies `unknown`.
   */
  inconclusive?: true;
  /** Stable identity across runs (policies/fingerprint.ts); set by `buildStackReport`. */
  fingerprint?: string;
  /** With `--baseline`: `existing` findings were in the baseline (shown, counted, never fail). */
  baseline?: "new" | "existing";
  /** `--verify-keys`: whether the E2B API still accepts the key this finding names. */
  keyStatus?: "live" | "revoked" | "unknown";
}

export interface CaseResult {
  id: CaseId;
  title: string;
  severity: Severity;
  status: CaseStatus;
  findings: Finding[];
  /**
   * Values this case could not judge because preview did not know them (outputs of resources not
   * created yet, secrets that could not be decrypted), from its findings marked `unknown`. When one
   * of them was the case's own evidence the case is `inconclusive`; a `pass` with entries here is a pass
   * of what preview could see, the rest settled by names and property dependencies, and every view
   * says which values were not seen.
   */
  unknown?: UnknownValue[];
}

export interface UnknownValue {
  urn: string;
  /** The property path, when the finding names one. */
  path?: string;
  policy: string;
}

export interface CostFigures {
  environment: string;
  expectedMonthlyUsd: number;
  worstCaseMonthlyUsd: number;
  leakedSandboxUsd: number;
  budgetMonthlyUsd?: number;
}

export interface StackReport {
  stack: string;
  project: string;
  environment: string;
  cases: CaseResult[];
  findings: Finding[];
  /** Cost model figures per E2B environment declared in the stack (E2B-03/05). */
  costs?: CostFigures[];
  /**
   * Secrets this run could not read (`secure:` config not decrypted, an export's encrypted secrets): a
   * baseline pairs a finding about a hidden value with a key found only across runs that differ here.
   */
  secretsHidden?: true;
  /** With `--baseline`: findings of the baseline that are gone. */
  fixed?: Finding[];
  /**
   * With `--baseline`: findings of the baseline this run could neither see again nor call gone, since
   * the property they are about is hidden now (a secret that could not be decrypted).
   */
  unverified?: Finding[];
  /** With `preview --compare-state`: modelled spend before (deployed) and after (previewed). */
  costChange?: CostChange[];
}

export interface Report {
  schemaVersion: 1;
  tool: { name: string; version: string };
  pack: { name: string; version: string };
  generatedAt: string;
  stacks: StackReport[];
  /** With `--baseline`: the file and the size of each group over all stacks. */
  baseline?: { file: string; new: number; existing: number; fixed: number; unverified: number };
}

/** A finding fails its case unless it is waived, in the baseline, or merely advisory. */
export function isBlocking(f: Finding): boolean {
  return !f.waiver && f.baseline !== "existing" && isBlockingLevel(f.enforcementLevel);
}

/**
 * Whether a finding shows the stack holds what its case judges. A finding that would block but for a
 * waiver or the baseline, or that names key material, does; an advisory that only says what was not
 * read or not known ("… skipped: larger than 8388608 bytes", "… is remote and was not read") does not:
 * unread files are no trace of E2B (policies/README.md "Evidence").
 */
export function isEvidence(f: Finding): boolean {
  return isBlockingLevel(f.enforcementLevel) || f.waiver !== undefined || f.keyFingerprint !== undefined;
}

/**
 * Whether a finding leaves its case undecided: it says a value the case needed was unknown at preview
 * and nothing else settled it. A waiver is someone's decision to accept that, so a waived one does not.
 */
export function isInconclusive(f: Finding): boolean {
  return f.inconclusive === true && !f.waiver;
}

/**
 * Per-case verdicts. `applicable` is the set of cases the stack gives evidence for (E2B resources,
 * environments, key material…); a case without evidence is not-applicable, never a false pass, even
 * when it lists advisories about what could not be checked. An applicable case with no blocking
 * finding is `inconclusive` when one of its findings says its own evidence was unknown at preview: it
 * never reads `pass` because what it judges was hidden.
 */
export function caseResults(findings: readonly Finding[], applicable: ReadonlySet<CaseId>): CaseResult[] {
  const byCase = new Map<CaseId, Finding[]>(caseIds.map((id) => [id, []]));
  for (const f of findings) if (f.caseId) byCase.get(f.caseId)!.push(f);
  return cases.map((c) => {
    const fs = byCase.get(c.id)!;
    const status: CaseStatus = fs.some(isBlocking)
      ? "fail"
      : !(applicable.has(c.id) || fs.some(isEvidence))
        ? "not-applicable"
        : fs.some(isInconclusive)
          ? "inconclusive"
          : "pass";
    const unknown = unknownValues(fs);
    return {
      id: c.id,
      title: c.title,
      severity: c.severity,
      status,
      findings: fs,
      ...(unknown.length ? { unknown } : {}),
    };
  });
}

/** The values a case's findings say were unknown at preview, once each. */
function unknownValues(findings: readonly Finding[]): UnknownValue[] {
  const out: UnknownValue[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    if (!f.unknown) continue;
    const id = `${f.urn}\u0000${f.path ?? ""}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ urn: f.urn, ...(f.path ? { path: f.path } : {}), policy: f.policy });
  }
  return out;
}

export function withCase(f: Omit<Finding, "caseId">): Finding {
  return { ...f, caseId: caseOfPolicy(f.policy) };
}

/** Sort as `pulumi preview` does: enforcement level, then severity, then policy name, then URN. */
export function sortFindings(findings: Finding[]): Finding[] {
  const sev: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
  return [...findings].sort(
    (a, b) =>
      (a.waiver ? 1 : 0) - (b.waiver ? 1 : 0) ||
      compareLevels(a.enforcementLevel, b.enforcementLevel) ||
      sev[a.severity] - sev[b.severity] ||
      a.policy.localeCompare(b.policy) ||
      a.urn.localeCompare(b.urn),
  );
}

// ---------------------------------------------------------------------------------------------
// Building reports from what crosses the gRPC boundary (used by the CLI and by the pack itself).

import { redactKeys } from "./detect/keys";
import { parseWaiverMessage } from "./waivers";

/** A diagnostic as the analyzer protocol returns it (AnalyzeDiagnostic, decoded). */
export interface DiagnosticLike {
  policyName: string;
  message: string;
  enforcementLevel: string;
  severity?: string;
  urn?: string;
  description?: string;
}

const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

/**
 * One diagnostic → one Finding: the SDK's `description + "\n"` prefix is dropped, a waiver trailer
 * becomes `Finding.waiver`, and any key material is masked (last line of defence).
 */
export function findingFromDiagnostic(d: DiagnosticLike): Finding {
  let message = d.message;
  if (d.description && message.startsWith(d.description + "\n"))
    message = message.slice(d.description.length + 1);
  const { message: located, location } = parseLocationTrailer(message);
  message = located;
  const waived = parseWaiverMessage(message);
  const caseId = caseOfPolicy(d.policyName);
  const caseSeverity = cases.find((c) => c.id === caseId)?.severity ?? "medium";
  const finding: Finding = {
    policy: d.policyName,
    caseId,
    enforcementLevel: isEnforcementLevel(d.enforcementLevel) ? d.enforcementLevel : "advisory",
    severity: (SEVERITIES as readonly string[]).includes(d.severity ?? "")
      ? (d.severity as Severity)
      : caseSeverity,
    urn: d.urn ?? "",
    message: redactKeys(waived ? waived.message : message),
  };
  if (waived) finding.waiver = waived.waiver;
  if (location.path) finding.path = location.path;
  if (location.keyFingerprint) finding.keyFingerprint = location.keyFingerprint;
  if (location.unknown) finding.unknown = true;
  if (location.inconclusive) finding.inconclusive = true;
  return finding;
}

/**
 * Cases the stack gives evidence for: a case is applicable iff one of its stack policies ran at
 * AnalyzeStack and did not report not-applicable (docs/architecture.md).
 */
export function applicableCases(
  stackPoliciesRun: Iterable<string>,
  notApplicable: Iterable<string>,
): Set<CaseId> {
  const na = new Set(notApplicable);
  const out = new Set<CaseId>();
  for (const p of stackPoliciesRun) {
    const c = caseOfPolicy(p);
    if (c && !na.has(p)) out.add(c);
  }
  return out;
}

export function buildStackReport(args: {
  stack: string;
  project: string;
  environment?: string;
  findings: readonly Finding[];
  applicable: ReadonlySet<CaseId>;
  costs?: CostFigures[];
  fixed?: Finding[];
  unverified?: Finding[];
  costChange?: CostChange[];
  secretsHidden?: boolean;
}): StackReport {
  const findings = sortFindings(args.findings.map((f) => ({ ...f, fingerprint: findingFingerprint(f) })));
  return {
    stack: args.stack,
    project: args.project,
    environment: args.environment ?? args.stack,
    cases: caseResults(findings, args.applicable),
    findings,
    ...(args.secretsHidden ? { secretsHidden: true as const } : {}),
    ...(args.costs && args.costs.length ? { costs: args.costs } : {}),
    ...(args.costChange ? { costChange: args.costChange } : {}),
    ...(args.fixed ? { fixed: args.fixed } : {}),
    ...(args.unverified?.length ? { unverified: args.unverified } : {}),
  };
}

export function buildReport(
  stacks: StackReport[],
  meta: {
    tool: { name: string; version: string };
    pack: { name: string; version: string };
    generatedAt?: string;
  },
): Report {
  return {
    schemaVersion: 1,
    tool: meta.tool,
    pack: meta.pack,
    generatedAt: meta.generatedAt ?? new Date().toISOString(),
    stacks,
  };
}
