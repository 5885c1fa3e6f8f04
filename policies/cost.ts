/**
 * The E2B sandbox cost model (cases E2B-03 and E2B-05): a pure function of an environment's sandbox
 * profile and unit prices, shared by the policy pack and the E2BEnvironment component so the figures
 * a finding quotes and the figures a stack outputs are the same numbers.
 *
 * E2B bills allocated vCPU and RAM per second while a sandbox runs (reference/e2b-platform.md §4.1).
 */

/** Unit prices in USD; the defaults are E2B's published rates. */
export interface SandboxPrices {
  vcpuSecondUsd: number;
  gibSecondUsd: number;
}

export const defaultSandboxPrices: SandboxPrices = { vcpuSecondUsd: 0.000014, gibSecondUsd: 0.0000045 };

/** 730 hours: the average month that cloud price lists (and Infracost) use. */
export const HOURS_PER_MONTH = 730;

export interface CostProfile {
  vcpu: number;
  memoryMiB: number;
  avgConcurrency: number;
  maxConcurrency: number;
  timeoutCeilingSeconds: number;
}

export interface CostEstimate {
  /** Cost of one sandbox running for one second. */
  perSandboxSecondUsd: number;
  /** Average concurrency running all month. */
  expectedMonthlyUsd: number;
  /** Maximum concurrency running all month. */
  worstCaseMonthlyUsd: number;
  /** One sandbox nobody killed, running until the timeout ceiling ends it. */
  leakedSandboxUsd: number;
}

/** Rounded to cents at the end only, so comparisons against budgets are not skewed by rounding. */
function cents(usd: number): number {
  return Math.round(usd * 100) / 100;
}

export function estimateSandboxCost(
  profile: CostProfile,
  prices: SandboxPrices = defaultSandboxPrices,
): CostEstimate {
  const gib = profile.memoryMiB / 1024;
  const perSecond = profile.vcpu * prices.vcpuSecondUsd + gib * prices.gibSecondUsd;
  const monthSeconds = HOURS_PER_MONTH * 3600;
  return {
    perSandboxSecondUsd: perSecond,
    expectedMonthlyUsd: cents(profile.avgConcurrency * monthSeconds * perSecond),
    worstCaseMonthlyUsd: cents(profile.maxConcurrency * monthSeconds * perSecond),
    leakedSandboxUsd: cents(profile.timeoutCeilingSeconds * perSecond),
  };
}
