/** Shared expectations for the policy tests (all run the pack through the engine over gRPC). */
import path from "node:path";
import type { Finding, StackReport } from "../../policies/report";
import { repoRoot } from "../support/scan";
import { programCopy } from "../support/tmp";

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

/**
 * A program of these lines, after an import of the fixtures' shared E2B helpers (`Environment`,
 * `model`), in a copy of the pass-multi fixture (its project and stack files).
 */
export function withSharedE2B(prefix: string, lines: readonly string[]): string {
  const shared = JSON.stringify(path.join(repoRoot, fx("_shared"), "e2b"));
  return programCopy(prefix, path.join(repoRoot, fx("pass-multi")), {
    "index.ts": [`import { Environment, model } from ${shared};`, ...lines, ""].join("\n"),
  });
}

/**
 * E2B-03 and E2B-05 on a stack whose dev environment's component deploys no alarm (`monitor: none`)
 * while prod's deploys the AWS monitor: one inconclusive advisory on dev, saying `what` is not deployed.
 */
export function expectUndeployedAlarm(
  stack: StackReport,
  policy: string,
  caseId: string,
  what: string,
): void {
  const found = of(stack, policy);
  expect(found.map((f) => [f.urn.split("::").pop(), f.enforcementLevel, f.inconclusive])).toEqual([
    ["dev", "advisory", true],
  ]);
  expect(found[0].message).toMatch(
    new RegExp(
      `^E2BEnvironment 'dev' declares ${what}, but the component deploys no alarm for it \\(monitor: none`,
    ),
  );
  expect(status(stack, caseId)).toBe("inconclusive");
}

/** The stack expectUndeployedAlarm judges. */
export const UNDEPLOYED_ALARM_PROGRAM = [
  'new Environment("prod", model("prod", "production"), { monitor: "aws" });',
  'new Environment("dev", model("dev", "development"), { monitor: "none" });',
];
