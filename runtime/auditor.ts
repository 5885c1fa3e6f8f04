/**
 * The sandbox auditor's pure core: fed one listed sandbox at a time, it keeps counts, cost per hour,
 * attribution totals and the leaked sandboxes with their reasons, and nothing else, so memory stays
 * flat however many pages stream through. No I/O: the CLI and the scheduled monitor (components/)
 * drive it with the SDK's paginator (see audit-run.ts).
 */
import { DEFAULT_PRICES, perSandboxSecondUsd, type Prices } from "../policies/cost";
import { formatDuration } from "./duration";

/** What the auditor reads from a listed sandbox (a subset of the SDK's `SandboxInfo`). */
export interface AuditedSandbox {
  sandboxId: string;
  templateId: string;
  startedAt: Date;
  /** When the sandbox expires; for a paused one, when it was paused (or would have expired). */
  endAt: Date;
  state: "running" | "paused";
  cpuCount: number;
  memoryMB: number;
  metadata: Record<string, string>;
}

/** The pack's one price table and formula (policies/cost.ts): live sandboxes are priced as modelled ones. */
export type { Prices };

/** E2B's published prices (reference/e2b-platform.md §4.1), as the cost model defines them. */
export const E2B_PRICES: Prices = DEFAULT_PRICES;

/** USD per second of a sandbox's allocated resources, by the cost model's formula. */
const perSecondUsd = (s: Pick<AuditedSandbox, "cpuCount" | "memoryMB">, prices: Prices) =>
  perSandboxSecondUsd({ vcpu: s.cpuCount, memoryMiB: s.memoryMB }, prices);

export interface AuditRules {
  now: Date;
  /** A running sandbox older than this (seconds since start) is leaked. */
  maxAgeSeconds: number;
  /** A paused sandbox paused longer than this is leaked; undefined = no paused-age check. */
  maxPausedAgeSeconds?: number;
  /** Metadata keys every sandbox must carry; a sandbox missing one is leaked (unattributable). */
  requireMetadata: string[];
  /** Metadata keys to total sandboxes and cost by (`--by user_id`). */
  attributionKeys: string[];
  prices: Prices;
  /** Distinct values tracked per attribution key; the rest are totalled under "(other)". */
  maxGroupsPerKey?: number;
}

export interface AttributionRow {
  key: string;
  /** The metadata value; null for sandboxes without the key; "(other)" past the group cap. */
  value: string | null;
  count: number;
  costPerHourUsd: number;
}

export interface LeakedSandbox {
  sandboxId: string;
  templateId: string;
  startedAt: string;
  state: "running" | "paused";
  reasons: string[];
  costSoFarUsd: number;
}

/** The stable JSON shape of `e2b-guardrails sandboxes audit --format json`. */
export interface AuditReport {
  generatedAt: string;
  total: number;
  running: number;
  paused: number;
  costPerHourUsd: number;
  attribution: AttributionRow[];
  leaked: LeakedSandbox[];
  killed: string[];
}

const DEFAULT_MAX_GROUPS = 10_000;
export const OTHER_GROUP = "(other)";

/** Cost per hour of a sandbox's allocated resources; paused sandboxes are not billed for compute. */
export function costPerHourUsd(
  s: Pick<AuditedSandbox, "state" | "cpuCount" | "memoryMB">,
  prices: Prices,
): number {
  if (s.state !== "running") return 0;
  return perSecondUsd(s, prices) * 3600;
}

/** Seconds the sandbox has been running (running) or ran before it was paused (paused). */
function runSeconds(s: AuditedSandbox, now: number): number {
  const end = s.state === "running" ? now : Math.min(s.endAt.getTime(), now);
  return Math.max(0, (end - s.startedAt.getTime()) / 1000);
}

/**
 * Paused age, measured from `endAt`: E2B's expiry time, which is when auto-pause took the sandbox.
 * For a sandbox paused by hand before its expiry this under-estimates, never over-estimates, so a
 * sandbox is never called leaked (or killed) early.
 */
function pausedSeconds(s: AuditedSandbox, now: number): number {
  return Math.max(0, (now - s.endAt.getTime()) / 1000);
}

/** Why a sandbox is leaked; empty when it is not. Each reason starts with a stable code. */
export function leakReasons(
  s: AuditedSandbox,
  rules: Omit<AuditRules, "attributionKeys" | "prices">,
): string[] {
  const now = rules.now.getTime();
  const reasons: string[] = [];
  if (s.state === "running") {
    const age = (now - s.startedAt.getTime()) / 1000;
    if (age > rules.maxAgeSeconds)
      reasons.push(
        `max-age: running for ${formatDuration(age)}, longer than ${formatDuration(rules.maxAgeSeconds)}`,
      );
  }
  const missing = rules.requireMetadata.filter(
    (k) => typeof s.metadata[k] !== "string" || s.metadata[k].trim() === "",
  );
  if (missing.length > 0) reasons.push(`missing-metadata: ${missing.join(", ")}`);
  if (s.state === "paused" && rules.maxPausedAgeSeconds !== undefined) {
    const paused = pausedSeconds(s, now);
    if (paused > rules.maxPausedAgeSeconds) {
      reasons.push(
        `max-paused-age: paused for ${formatDuration(paused)}, longer than ${formatDuration(rules.maxPausedAgeSeconds)}`,
      );
    }
  }
  return reasons;
}

const round = (n: number, digits = 6) => Math.round(n * 10 ** digits) / 10 ** digits;

export class SandboxAuditor {
  private total = 0;
  private running = 0;
  private paused = 0;
  private cost = 0;
  private readonly groups = new Map<string, Map<string | null, { count: number; cost: number }>>();
  private readonly leakedById = new Map<string, LeakedSandbox>();

  constructor(readonly rules: AuditRules) {
    for (const k of rules.attributionKeys) this.groups.set(k, new Map());
  }

  add(s: AuditedSandbox): void {
    this.total++;
    if (s.state === "running") this.running++;
    else this.paused++;
    const hourly = costPerHourUsd(s, this.rules.prices);
    this.cost += hourly;
    const cap = this.rules.maxGroupsPerKey ?? DEFAULT_MAX_GROUPS;
    for (const [key, byValue] of this.groups) {
      let value: string | null = s.metadata[key] ?? null;
      if (!byValue.has(value) && byValue.size >= cap) value = OTHER_GROUP;
      const g = byValue.get(value) ?? { count: 0, cost: 0 };
      g.count++;
      g.cost += hourly;
      byValue.set(value, g);
    }
    const reasons = leakReasons(s, this.rules);
    if (reasons.length > 0) {
      // Keyed by id: a sandbox listed twice (the list moved between pages) is reported once.
      this.leakedById.set(s.sandboxId, {
        sandboxId: s.sandboxId,
        templateId: s.templateId,
        startedAt: s.startedAt.toISOString(),
        state: s.state,
        reasons,
        costSoFarUsd: round(runSeconds(s, this.rules.now.getTime()) * perSecondUsd(s, this.rules.prices)),
      });
    }
  }

  get leaked(): LeakedSandbox[] {
    return [...this.leakedById.values()];
  }

  report(killed: string[] = []): AuditReport {
    const attribution: AttributionRow[] = [];
    for (const [key, byValue] of this.groups) {
      const rows = [...byValue.entries()].map(([value, g]) => ({
        key,
        value,
        count: g.count,
        costPerHourUsd: round(g.cost),
      }));
      rows.sort(
        (a, b) =>
          b.costPerHourUsd - a.costPerHourUsd ||
          b.count - a.count ||
          String(a.value).localeCompare(String(b.value)),
      );
      attribution.push(...rows);
    }
    const leaked = this.leaked.sort(
      (a, b) => a.startedAt.localeCompare(b.startedAt) || a.sandboxId.localeCompare(b.sandboxId),
    );
    return {
      generatedAt: this.rules.now.toISOString(),
      total: this.total,
      running: this.running,
      paused: this.paused,
      costPerHourUsd: round(this.cost),
      attribution,
      leaked,
      killed: [...killed],
    };
  }
}
