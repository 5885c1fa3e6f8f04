/** The nine eval cases (../shared/CASES.md) as data: ids, titles, severities. */
export const caseIds = [
  "E2B-01",
  "E2B-02",
  "E2B-03",
  "E2B-04",
  "E2B-05",
  "E2B-06",
  "E2B-07",
  "E2B-08",
  "E2B-09",
] as const;
export type CaseId = (typeof caseIds)[number];

export type Severity = "low" | "medium" | "high" | "critical";

export interface CaseInfo {
  id: CaseId;
  title: string;
  severity: Severity;
  source: "seed case 01" | "seed case 02" | "seed case 03" | "inferred";
}

export const cases: readonly CaseInfo[] = [
  { id: "E2B-01", title: "Server-side-only key material", severity: "critical", source: "seed case 01" },
  { id: "E2B-02", title: "A distinct key per environment", severity: "high", source: "seed case 02" },
  {
    id: "E2B-03",
    title: "Sandbox cost is modelled and leaks are alarmed",
    severity: "high",
    source: "seed case 03",
  },
  { id: "E2B-04", title: "Timeout ceilings", severity: "high", source: "inferred" },
  { id: "E2B-05", title: "Budget alarms per environment", severity: "high", source: "inferred" },
  { id: "E2B-06", title: "The key never enters a sandbox", severity: "critical", source: "inferred" },
  { id: "E2B-07", title: "Workspace isolation", severity: "high", source: "inferred" },
  { id: "E2B-08", title: "Management credentials stay in IaC", severity: "high", source: "inferred" },
  { id: "E2B-09", title: "Key lifecycle", severity: "high", source: "inferred" },
];

/** Policy names carry their case: `e2b-01-no-client-side-key` → `E2B-01`. */
export function caseOfPolicy(policyName: string): CaseId | null {
  const m = /^e2b-(0[1-9])-/.exec(policyName);
  return m ? (`E2B-${m[1]}` as CaseId) : null;
}
