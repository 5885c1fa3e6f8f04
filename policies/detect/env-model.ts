/**
 * Reading an E2BEnvironment's model (model.ts) out of its resource properties without trusting it:
 * at preview any field may be unknown, and a hand-written component may omit fields. Each read says
 * which it is, so rules can judge what is known and name what is not.
 */
import { planLimits, type Plan } from "../model";
import { DEFAULT_PRICES, costOf, type Prices } from "../cost";
import type { CostFigures } from "../report";
import { inferTier } from "./environment";
import { get, type EnvironmentResource } from "./stack";
import { isUnknown } from "./unknowns";
import type { Tree } from "./walk";

export type Read<T> = { state: "known"; value: T } | { state: "unknown" } | { state: "missing" };

export function readNumber(model: Tree, path: string): Read<number> {
  const v = get(model, path);
  if (v === undefined || v === null) return { state: "missing" };
  if (isUnknown(v)) return { state: "unknown" };
  if (typeof v === "number" && Number.isFinite(v)) return { state: "known", value: v };
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)))
    return { state: "known", value: Number(v) };
  return { state: "missing" };
}

export function readString(model: Tree, path: string): Read<string> {
  const v = get(model, path);
  if (v === undefined || v === null || v === "") return { state: "missing" };
  if (isUnknown(v)) return { state: "unknown" };
  if (typeof v === "string") return { state: "known", value: v };
  if (typeof v === "number") return { state: "known", value: String(v) };
  return { state: "missing" };
}

export function readBoolean(model: Tree, path: string): Read<boolean> {
  const v = get(model, path);
  if (v === undefined || v === null) return { state: "missing" };
  if (isUnknown(v)) return { state: "unknown" };
  if (typeof v === "boolean") return { state: "known", value: v };
  if (v === "true" || v === "false") return { state: "known", value: v === "true" };
  return { state: "missing" };
}

export function readStrings(model: Tree, path: string): Read<string[]> {
  const v = get(model, path);
  if (v === undefined || v === null) return { state: "missing" };
  if (isUnknown(v)) return { state: "unknown" };
  if (!Array.isArray(v)) return { state: "missing" };
  if (v.some((x) => isUnknown(x))) return { state: "unknown" };
  return { state: "known", value: v.filter((x): x is string => typeof x === "string") };
}

export function readNumbers(model: Tree, path: string): Read<number[]> {
  const v = get(model, path);
  if (v === undefined || v === null) return { state: "missing" };
  if (isUnknown(v)) return { state: "unknown" };
  if (!Array.isArray(v)) return { state: "missing" };
  if (v.some((x) => isUnknown(x))) return { state: "unknown" };
  return { state: "known", value: v.filter((x): x is number => typeof x === "number") };
}

export function planOf(model: Tree): Plan | null {
  const p = readString(model, "plan");
  return p.state === "known" && p.value in planLimits ? (p.value as Plan) : null;
}

export function tierOf(env: EnvironmentResource) {
  const t = readString(env.model, "tier");
  return (t.state === "known" ? inferTier(t.value) : null) ?? inferTier(env.name);
}

export const PROFILE_FIELDS = [
  "sandbox.vcpu",
  "sandbox.memoryMiB",
  "sandbox.avgConcurrency",
  "sandbox.maxConcurrency",
  "timeoutCeilingSeconds",
] as const;

/** The cost figures of one environment, or which profile fields are missing/unknown. */
export function environmentCost(
  env: EnvironmentResource,
  prices: Prices = DEFAULT_PRICES,
): { figures: CostFigures } | { missing: string[]; unknown: string[] } {
  const reads = PROFILE_FIELDS.map((f) => [f, readNumber(env.model, f)] as const);
  const missing = reads.filter(([, r]) => r.state === "missing").map(([f]) => f);
  const unknown = reads.filter(([, r]) => r.state === "unknown").map(([f]) => f);
  if (missing.length || unknown.length) return { missing, unknown };
  const v = Object.fromEntries(reads.map(([f, r]) => [f, (r as { value: number }).value]));
  const budget = readNumber(env.model, "budget.monthlyUsd");
  return {
    figures: costOf(
      env.name,
      {
        vcpu: v["sandbox.vcpu"],
        memoryMiB: v["sandbox.memoryMiB"],
        avgConcurrency: v["sandbox.avgConcurrency"],
        maxConcurrency: v["sandbox.maxConcurrency"],
        timeoutCeilingSeconds: v["timeoutCeilingSeconds"],
      },
      prices,
      budget.state === "known" ? budget.value : undefined,
    ),
  };
}
