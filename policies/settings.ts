/**
 * The reconciled policy config (what Configure carries: every policy's enforcement level and
 * properties, schema defaults applied) and the pack-wide settings read from it. The pack holds it in
 * its preview session; the CLI holds the same map in its scan session. Both read settings through
 * these functions, so a setting means the same thing in a rule, in the pack's report file, in the
 * CLI's reports and in the cross-stack rules of an org-wide audit.
 */
import { DEFAULT_PRICES, pricesSchema, type Prices } from "./cost";
import type { EnforcementLevel } from "./enforcement";

export interface PolicyConfigEntry {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** Policy name → its reconciled entry. An empty map means "declared levels and schema defaults". */
export type PackConfig = ReadonlyMap<string, PolicyConfigEntry>;

export const NO_CONFIG: PackConfig = new Map();

/** Where the price table is configured (the policy that models cost owns it). */
export const PRICES_POLICY = "e2b-03-sandbox-profile-and-cost";
/** The policy whose own `prices` setting is deprecated: it is read only when PRICES_POLICY sets none. */
export const DEPRECATED_PRICES_POLICY = "e2b-05-budget-alarm";

/**
 * The one price table: `e2b-03-sandbox-profile-and-cost.prices`, else (deprecated, for configs written
 * before prices were pack-wide) `e2b-05-budget-alarm.prices`, else E2B's published rates.
 */
export function configuredPrices(config: PackConfig): Prices {
  for (const policy of [PRICES_POLICY, DEPRECATED_PRICES_POLICY]) {
    const raw = config.get(policy)?.properties.prices;
    if (raw === undefined || raw === null) continue;
    const parsed = pricesSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
  }
  return { ...DEFAULT_PRICES };
}

/** The level a policy runs at: the configured one, else the one it declares. */
export function configuredLevel(
  config: PackConfig,
  policy: string,
  declared: EnforcementLevel,
): EnforcementLevel {
  return config.get(policy)?.enforcementLevel ?? declared;
}

/** The raw properties configured for one policy (`{}` when none: its schema defaults then apply). */
export function configuredProperties(config: PackConfig, policy: string): Record<string, unknown> {
  return config.get(policy)?.properties ?? {};
}
