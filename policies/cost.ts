/**
 * The E2B cost model (E2B-03, E2B-05). E2B bills allocated vCPU and RAM per second while a sandbox
 * runs (reference/e2b-platform.md §4.1), so for one environment:
 *
 *   per sandbox-second   = vCPU × vcpuSecondUsd + GiB × gibSecondUsd
 *   expected per month   = average concurrency × 730 h × 3,600 s × per sandbox-second
 *   worst case per month = maximum concurrency × 730 h × 3,600 s × per sandbox-second
 *   one leaked sandbox   = timeout ceiling (s) × per sandbox-second
 *
 * Prices are configured once, as `e2b-03-sandbox-profile-and-cost.prices` (settings.ts reads them
 * from the reconciled policy config), with E2B's published rates as defaults. The pack's rules, its
 * report file, the CLI's reports and the runtime sandbox auditor all price sandboxes with this table.
 */
import { z } from "zod";
import type { CostFigures } from "./report";

export const HOURS_PER_MONTH = 730;

/** E2B's published rates (reference/e2b-platform.md §4.1): the one place they are written. */
export const DEFAULT_PRICES: Readonly<Prices> = Object.freeze({
  vcpuSecondUsd: 0.000014,
  gibSecondUsd: 0.0000045,
});

/** A price table in policy config; each unset field keeps E2B's published rate. */
export const pricesSchema = z.object({
  vcpuSecondUsd: z
    .number()
    .positive()
    .default(DEFAULT_PRICES.vcpuSecondUsd)
    .describe("USD per vCPU-second (E2B list price)."),
  gibSecondUsd: z
    .number()
    .positive()
    .default(DEFAULT_PRICES.gibSecondUsd)
    .describe("USD per GiB-second of RAM (E2B list price)."),
});
export interface Prices {
  /** USD per vCPU-second of allocated CPU while a sandbox runs. */
  vcpuSecondUsd: number;
  /** USD per GiB-second of allocated RAM while a sandbox runs. */
  gibSecondUsd: number;
}

export interface SandboxProfile {
  vcpu: number;
  memoryMiB: number;
  avgConcurrency: number;
  maxConcurrency: number;
  timeoutCeilingSeconds: number;
}

export function perSandboxSecondUsd(
  p: Pick<SandboxProfile, "vcpu" | "memoryMiB">,
  prices: Prices = DEFAULT_PRICES,
): number {
  return p.vcpu * prices.vcpuSecondUsd + (p.memoryMiB / 1024) * prices.gibSecondUsd;
}

/** Cents are enough for a budget conversation; keeps reports stable. */
const round = (usd: number) => Math.round(usd * 100) / 100;

export function costOf(
  environment: string,
  p: SandboxProfile,
  prices: Prices = DEFAULT_PRICES,
  budgetMonthlyUsd?: number,
): CostFigures {
  const perSecond = perSandboxSecondUsd(p, prices);
  const monthSeconds = HOURS_PER_MONTH * 3_600;
  return {
    environment,
    expectedMonthlyUsd: round(p.avgConcurrency * monthSeconds * perSecond),
    worstCaseMonthlyUsd: round(p.maxConcurrency * monthSeconds * perSecond),
    leakedSandboxUsd: round(p.timeoutCeilingSeconds * perSecond),
    ...(budgetMonthlyUsd !== undefined ? { budgetMonthlyUsd } : {}),
  };
}

export function usd(n: number): string {
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** "expected $X/month, worst case $Y/month, one leaked sandbox $Z" */
export function describeCost(c: CostFigures): string {
  return `expected ${usd(c.expectedMonthlyUsd)}/month, worst case ${usd(c.worstCaseMonthlyUsd)}/month at maximum concurrency, one leaked sandbox ${usd(c.leakedSandboxUsd)} until its timeout ceiling`;
}

// Names of the first version of this module (commit ac6a781), kept so importers stay stable.
export type SandboxPrices = Prices;
export const defaultSandboxPrices: SandboxPrices = DEFAULT_PRICES;
export type CostProfile = SandboxProfile;
export interface CostEstimate {
  perSandboxSecondUsd: number;
  expectedMonthlyUsd: number;
  worstCaseMonthlyUsd: number;
  leakedSandboxUsd: number;
}
export function estimateSandboxCost(
  profile: CostProfile,
  prices: SandboxPrices = DEFAULT_PRICES,
): CostEstimate {
  const c = costOf("", profile, prices);
  return {
    perSandboxSecondUsd: perSandboxSecondUsd(profile, prices),
    expectedMonthlyUsd: c.expectedMonthlyUsd,
    worstCaseMonthlyUsd: c.worstCaseMonthlyUsd,
    leakedSandboxUsd: c.leakedSandboxUsd,
  };
}
