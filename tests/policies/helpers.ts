/** Shared expectations for the policy tests (all run the pack through the engine over gRPC). */
import type { Finding, StackReport } from "../../policies/report";

export const fx = (name: string) => `tests/policies/fixtures/${name}`;

/** The hex part of every fake key the fixtures plant: none may appear in any output. */
export const PLANTED = [
  "0123456789abcdef".repeat(3).slice(0, 40),
  "fedcba9876543210".repeat(3).slice(0, 40),
  "a1b2c3d4e5f60718".repeat(3).slice(0, 40),
];

export function of(stack: StackReport, policy: string): Finding[] {
  return stack.findings.filter((f) => f.policy === policy);
}

export function status(stack: StackReport, caseId: string): string | undefined {
  return stack.cases.find((c) => c.id === caseId)?.status;
}

export function resourceNames(fs: Finding[]): string[] {
  return [...new Set(fs.map((f) => f.urn.split("::").pop()!))].sort();
}

/** The SDK's "can't run policy … during preview" advisory must never surface, and no key either. */
export function expectClean(stack: StackReport): void {
  const text = JSON.stringify(stack);
  expect(text).not.toMatch(/can't run policy/);
  for (const hex of PLANTED) expect(text).not.toContain(hex);
}
