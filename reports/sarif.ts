/**
 * SARIF 2.1.0 view of a `Report`, for code-scanning dashboards: one rule per policy (help text and its
 * eval case), one result per finding with the resource URN as a logical location, the level mapped
 * from the enforcement level and waivers as accepted suppressions.
 */
import { createHash } from "node:crypto";
import type * as Sarif from "sarif";
import { redactKeys } from "../policies/detect/keys";
import { caseOfPolicy, cases, type Severity } from "../policies/api";
import type { EnforcementLevel, Finding, Report } from "../policies/api";
import { findingLine, redactReport, resourceName, stackLabel } from "./view-helpers";
import { costChangeRows } from "./adoption";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

/** What the pack says about a policy (GetAnalyzerInfo), when the caller has it. */
export interface PolicyDoc {
  name: string;
  description?: string;
  remediationSteps?: string;
  enforcementLevel?: EnforcementLevel;
  severity?: Severity;
}

export interface SarifOptions {
  /** Every policy of the pack; without it, rules are built from the policies that have findings. */
  policies?: readonly PolicyDoc[];
  /**
   * The repository-relative file each stack was read from (`project/stack` → `infra/Pulumi.yaml`, or
   * a state export): GitHub code scanning rejects results without a physical location.
   */
  artifacts?: Readonly<Record<string, string>>;
}

const levelOf: Record<EnforcementLevel, Sarif.ReportingConfiguration.level> = {
  mandatory: "error",
  remediate: "error",
  advisory: "warning",
  disabled: "none",
};

/** GitHub code scanning reads `security-severity` (0–10) to rank results. */
const securitySeverity: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
};

function ruleOf(doc: PolicyDoc, seen?: Finding): Sarif.ReportingDescriptor {
  const caseId = caseOfPolicy(doc.name);
  const info = caseId ? cases.find((c) => c.id === caseId) : undefined;
  const severity = doc.severity ?? seen?.severity ?? info?.severity ?? "medium";
  const level = doc.enforcementLevel ?? seen?.enforcementLevel ?? "advisory";
  const description = doc.description ?? (info ? `Enforces eval case ${info.id}: ${info.title}.` : doc.name);
  const caseLine = info
    ? `Eval case ${info.id} (${info.title}, ${info.severity}).`
    : "Not part of the E2B eval cases.";
  const helpText = [description, doc.remediationSteps ? `Remediation: ${doc.remediationSteps}` : "", caseLine]
    .filter(Boolean)
    .join("\n\n");
  return {
    id: doc.name,
    name: doc.name,
    shortDescription: { text: description },
    fullDescription: { text: description },
    help: { text: helpText },
    defaultConfiguration: { level: levelOf[level] },
    properties: {
      caseId: caseId ?? undefined,
      severity,
      enforcementLevel: level,
      "security-severity": securitySeverity[severity],
      tags: ["security", "e2b", ...(caseId ? [caseId] : [])],
    },
  };
}

export function toSarif(input: Report, options: SarifOptions = {}): string {
  const report = redactReport(input);

  // Cross-stack findings of an org-wide audit appear in every stack they involve; report them once.
  const unique = new Map<string, { f: Finding; stacks: string[] }>();
  for (const s of report.stacks) {
    for (const f of s.findings) {
      const key = `${f.policy}\u0000${f.urn}\u0000${f.message}`;
      const entry = unique.get(key);
      if (entry) entry.stacks.push(stackLabel(s));
      else unique.set(key, { f, stacks: [stackLabel(s)] });
    }
  }

  const docs = new Map<string, PolicyDoc>();
  for (const p of options.policies ?? []) docs.set(p.name, p);
  const firstSeen = new Map<string, Finding>();
  for (const { f } of unique.values()) {
    if (!firstSeen.has(f.policy)) firstSeen.set(f.policy, f);
    if (!docs.has(f.policy)) docs.set(f.policy, { name: f.policy });
  }
  const names = [...docs.keys()].sort();
  const rules = names.map((n) => ruleOf(docs.get(n)!, firstSeen.get(n)));
  const ruleIndex = new Map(names.map((n, i) => [n, i]));

  const results: Sarif.Result[] = [...unique.values()].map(({ f, stacks }) => {
    const result: Sarif.Result = {
      ruleId: f.policy,
      ruleIndex: ruleIndex.get(f.policy),
      level: levelOf[f.enforcementLevel],
      message: { text: f.message },
      locations: [
        {
          ...(options.artifacts?.[stacks[0]]
            ? { physicalLocation: { artifactLocation: { uri: options.artifacts[stacks[0]] } } }
            : {}),
          logicalLocations: [{ fullyQualifiedName: f.urn, name: resourceName(f.urn), kind: "resource" }],
        },
      ],
      fingerprints: {
        "e2bGuardrails/v1": createHash("sha256").update(`${f.policy}\n${f.urn}\n${f.message}`).digest("hex"),
        ...(f.fingerprint ? { "e2bGuardrails/v2": f.fingerprint } : {}),
      },
      // Code scanning matches alerts across runs by this; ours survives changed figures in messages.
      ...(f.fingerprint ? { partialFingerprints: { primaryLocationLineHash: f.fingerprint } } : {}),
      ...(f.baseline ? { baselineState: f.baseline === "existing" ? "unchanged" : "new" } : {}),
      properties: {
        caseId: f.caseId ?? undefined,
        severity: f.severity,
        enforcementLevel: f.enforcementLevel,
        stacks,
        ...(f.unknown ? { unknownAtPreview: true, ...(f.path ? { path: f.path } : {}) } : {}),
        ...(f.inconclusive ? { inconclusive: true } : {}),
      },
    };
    if (f.waiver) {
      result.suppressions = [
        {
          kind: "external",
          status: "accepted",
          justification: `${f.waiver.reason} (owner ${f.waiver.owner}, expires ${f.waiver.expires})`,
          properties: { owner: f.waiver.owner, expires: f.waiver.expires },
        },
      ];
    }
    return result;
  });

  const log: Sarif.Log = {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            rules,
            properties: { pack: report.pack },
          },
        },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results,
        properties: {
          stacks: report.stacks.map((s) => ({
            stack: s.stack,
            project: s.project,
            environment: s.environment,
            cases: s.cases.map((c) => ({
              id: c.id,
              status: c.status,
              ...(c.unknown ? { unknown: c.unknown } : {}),
            })),
            ...(s.costChange ? { costChange: costChangeRows(s.costChange) } : {}),
            // Kept out of `results`: code scanning would open alerts for "absent" results.
            ...(s.fixed
              ? { fixed: s.fixed.map((f) => ({ text: findingLine(f), fingerprint: f.fingerprint })) }
              : {}),
            ...(s.unverified
              ? {
                  unverified: s.unverified.map((f) => ({ text: findingLine(f), fingerprint: f.fingerprint })),
                }
              : {}),
          })),
          ...(report.baseline ? { baseline: report.baseline } : {}),
        },
      },
    ],
  };
  return redactKeys(JSON.stringify(log, null, 2) + "\n");
}
