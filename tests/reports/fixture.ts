/**
 * A hand-made report for the writer tests: two stacks (prod fails E2B-01, load-test fails E2B-02 and
 * has a waived E2B-05 finding), cost figures, characters that need escaping in every format, and a
 * finding from a policy outside the nine cases.
 */
import { caseIds, type CaseId } from "../../policies/cases";
import { caseResults, type Finding, type Report } from "../../policies/report";

export const prodKeyUrn =
  "urn:pulumi:prod::web::vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::next-public-e2b-key";

export function makeFindings(): { prod: Finding[]; loadtest: Finding[] } {
  const prod: Finding[] = [
    {
      policy: "e2b-01-no-client-side-key",
      caseId: "E2B-01",
      enforcementLevel: "mandatory",
      severity: "critical",
      urn: prodKeyUrn,
      message:
        "ProjectEnvironmentVariable 'next-public-e2b-key' exposes the E2B key at key=NEXT_PUBLIC_E2B_API_KEY <script>alert(1)</script>; move it to a server-side variable.",
    },
    {
      policy: "e2b-01-key-only-in-key-stores",
      caseId: "E2B-01",
      enforcementLevel: "mandatory",
      severity: "critical",
      urn: "urn:pulumi:prod::web::aws:amplify/app:App::frontend",
      message:
        "App 'frontend' holds E2B key material at environmentVariables.VITE_E2B_KEY | \"quoted\" & `ticked`.",
    },
    {
      policy: "third-party-advice",
      caseId: null,
      enforcementLevel: "advisory",
      severity: "low",
      urn: "urn:pulumi:prod::web::aws:s3/bucket:Bucket::assets",
      message: "Bucket 'assets' has no owner tag.",
    },
  ];
  const loadtest: Finding[] = [
    {
      policy: "e2b-02-distinct-key-per-environment",
      caseId: "E2B-02",
      enforcementLevel: "mandatory",
      severity: "high",
      urn: "urn:pulumi:loadtest::agents::e2b-guardrails:index:E2BEnvironment::loadtest",
      message:
        "Environment 'loadtest' reads the same secret as 'prod' (aws-secrets-manager:e2b/prod/api-key).",
    },
    {
      policy: "e2b-05-budget-alarm",
      caseId: "E2B-05",
      enforcementLevel: "advisory",
      severity: "high",
      urn: "urn:pulumi:loadtest::agents::e2b-guardrails:index:E2BEnvironment::loadtest",
      message: "Environment 'loadtest' has no hard spending limit.",
      waiver: {
        reason: "Load test of 2026-12 needs headroom",
        owner: "platform@example.com",
        expires: "2026-12-31",
      },
    },
  ];
  return { prod, loadtest };
}

const all = new Set<CaseId>(caseIds);

export function makeReport(f = makeFindings()): Report {
  const prodApplicable = new Set(all);
  prodApplicable.delete("E2B-07");
  return {
    schemaVersion: 1,
    tool: { name: "e2b-guardrails", version: "0.1.0" },
    pack: { name: "e2b-guardrails", version: "0.1.0" },
    generatedAt: "2026-11-26T04:00:00.000Z",
    stacks: [
      {
        stack: "prod",
        project: "web",
        environment: "prod",
        cases: caseResults(f.prod, prodApplicable),
        findings: f.prod,
        costs: [
          {
            environment: "prod",
            expectedMonthlyUsd: 1234.5,
            worstCaseMonthlyUsd: 9876.25,
            leakedSandboxUsd: 2.42,
            budgetMonthlyUsd: 2000,
          },
        ],
      },
      {
        stack: "loadtest",
        project: "agents",
        environment: "loadtest",
        cases: caseResults(f.loadtest, new Set<CaseId>(["E2B-02", "E2B-05"])),
        findings: f.loadtest,
        costs: [
          {
            environment: "loadtest",
            expectedMonthlyUsd: 50,
            worstCaseMonthlyUsd: 400,
            leakedSandboxUsd: 0.1,
          },
        ],
      },
    ],
  };
}
