/**
 * The sandbox auditor's pure core: fed one listed sandbox at a time, it keeps counts, cost per hour,
 * attribution totals and the leaked sandboxes with their reasons, and nothing else, so memory stays
 * flat however many pages stream through. No I/O: the CLI and the scheduled monitor (components/)
 * drive it with the SDK's paginator (see audit-run.ts).
 */
import { DEFAULT_PRICES, perSandboxSecondUsd, type Prices } from "../policies/cost";
import { formatDuration } from "./duration";
import { cutBeforeRun, redactKeys, replaceRuns, runShownByLength } from "../policies/detect/keys";
import { redactMaterial } from "../policies/detect/redact";
import { holdsKeyHead } from "./key-material";

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

/** A sandbox whose timestamps are implausible: never leaked (or killed) on their evidence. */
export interface SuspectSandbox {
  sandboxId: string;
  reasons: string[];
}

/** A listed record the auditor could not judge (malformed, or outside the requested filter). */
export interface SkippedRecord {
  /** The record's id when it has a usable one. */
  sandboxId: string | null;
  reason: string;
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
  /** Listed with timestamps before 2023 or in the future: not judged by age. */
  suspect: SuspectSandbox[];
  /** Listed but not judged at all: malformed records, records outside the requested filter. */
  skipped: SkippedRecord[];
}

/**
 * E2B launched its sandbox API in 2023; a start or end time before that, or later than now (with a
 * few minutes for clock skew), is an API lying or broken, so it is never evidence that a sandbox
 * ran too long — a record claiming `0001-01-01` must not get a fresh sandbox killed.
 */
export const EARLIEST_PLAUSIBLE = Date.UTC(2023, 0, 1);
export const CLOCK_SKEW_MS = 5 * 60_000;

function plausible(d: Date, now: number): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= EARLIEST_PLAUSIBLE && t <= now + CLOCK_SKEW_MS;
}

/** Why this sandbox's timestamps cannot be trusted; empty when they can. */
export function implausibleTimes(
  s: Pick<AuditedSandbox, "startedAt" | "endAt" | "state">,
  now: Date,
): string[] {
  const out: string[] = [];
  if (!plausible(s.startedAt, now.getTime()))
    out.push(`implausible-start: startedAt ${iso(s.startedAt)} is before 2023 or in the future`);
  // A running sandbox's end is its future expiry; only a paused one's end is in the past.
  const end = s.endAt.getTime();
  if (
    !Number.isFinite(end) ||
    end < EARLIEST_PLAUSIBLE ||
    (s.state === "paused" && end > now.getTime() + CLOCK_SKEW_MS)
  )
    out.push(
      `implausible-end: endAt ${iso(s.endAt)} is not a plausible ${s.state === "paused" ? "pause" : "expiry"} time`,
    );
  return out;
}

const iso = (d: Date) => (Number.isFinite(d.getTime()) ? d.toISOString() : "(invalid)");

/**
 * One listed record as the auditor reads it, or why it cannot be read. The SDK turns an unparsable
 * time into an Invalid Date and passes any JSON through, so every field is checked here: one bad
 * record is reported and skipped, and the rest are still judged.
 */
export function auditedFromRecord(
  r: unknown,
): { ok: true; sandbox: AuditedSandbox } | { ok: false; sandboxId: string | null; reason: string } {
  const o = (r ?? {}) as Record<string, unknown>;
  const id =
    typeof o.sandboxId === "string" && /^[A-Za-z0-9._-]{1,128}$/.test(o.sandboxId) ? o.sandboxId : null;
  const bad = (reason: string) => ({ ok: false as const, sandboxId: id, reason });
  if (id === null) return bad("malformed: sandboxId is missing or not an id");
  if (typeof o.templateId !== "string") return bad("malformed: templateId is not a string");
  for (const f of ["startedAt", "endAt"] as const) {
    const d = o[f];
    if (!(d instanceof Date) || !Number.isFinite(d.getTime()))
      return bad(`malformed: ${f} is not a date-time`);
  }
  if (o.state !== "running" && o.state !== "paused") return bad("malformed: state is not running or paused");
  for (const f of ["cpuCount", "memoryMB"] as const) {
    const n = o[f];
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > 1e6)
      return bad(`malformed: ${f} is not a plausible number`);
  }
  const md = o.metadata ?? {};
  if (
    typeof md !== "object" ||
    md === null ||
    Array.isArray(md) ||
    Object.values(md).some((v) => typeof v !== "string")
  )
    return bad("malformed: metadata is not an object of strings");
  return {
    ok: true,
    sandbox: {
      sandboxId: id,
      templateId: o.templateId,
      startedAt: o.startedAt as Date,
      endAt: o.endAt as Date,
      state: o.state,
      cpuCount: o.cpuCount as number,
      memoryMB: o.memoryMB as number,
      metadata: md as Record<string, string>,
    },
  };
}

/** Does the sandbox carry every requested metadata pair? Checked on our side, whatever the API did. */
export function matchesMetadata(
  s: Pick<AuditedSandbox, "metadata">,
  filter: Record<string, string> | undefined,
): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => Object.hasOwn(s.metadata, k) && s.metadata[k] === v);
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
  if (!plausible(s.startedAt, now)) return 0; // no cost claimed on a time we do not believe
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
  const trustStart = plausible(s.startedAt, now);
  const trustEnd = implausibleTimes(s, rules.now).every((r) => !r.startsWith("implausible-end"));
  if (s.state === "running" && trustStart) {
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
  if (s.state === "paused" && rules.maxPausedAgeSeconds !== undefined && trustEnd) {
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
  private readonly suspectById = new Map<string, SuspectSandbox>();
  private readonly skipped: SkippedRecord[] = [];
  /** Skipped records kept in the report; the rest are only counted. */
  private static readonly MAX_SKIPPED = 1000;
  private skippedCount = 0;

  constructor(readonly rules: AuditRules) {
    for (const k of rules.attributionKeys) this.groups.set(k, new Map());
  }

  /** A record that was listed but cannot be judged: reported, never killed. */
  /** Ids judged so far (a few megabytes for 100,000 sandboxes). */
  private readonly seen = new Set<string>();

  skip(sandboxId: string | null, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < SandboxAuditor.MAX_SKIPPED) this.skipped.push({ sandboxId, reason });
  }

  add(s: AuditedSandbox): void {
    // An API paging by offset while sandboxes start and stop may list one twice: counted once.
    if (this.seen.has(s.sandboxId)) {
      this.skip(s.sandboxId, "listed again by the API (on this page or an earlier one); counted once");
      return;
    }
    this.seen.add(s.sandboxId);
    const suspicious = implausibleTimes(s, this.rules.now);
    if (suspicious.length > 0)
      this.suspectById.set(s.sandboxId, { sandboxId: s.sandboxId, reasons: suspicious });
    this.total++;
    if (s.state === "running") this.running++;
    else this.paused++;
    const hourly = costPerHourUsd(s, this.rules.prices);
    this.cost += hourly;
    const cap = this.rules.maxGroupsPerKey ?? DEFAULT_MAX_GROUPS;
    for (const [key, byValue] of this.groups) {
      // Own keys only (`--by constructor` is a key like any other), and a label of bounded length: a
      // value of megabytes would otherwise be kept whole for the report, once per distinct value.
      let value: string | null = Object.hasOwn(s.metadata, key) ? attributionLabel(s.metadata[key]) : null;
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
      suspect: [...this.suspectById.values()],
      skipped:
        this.skippedCount > this.skipped.length
          ? [
              ...this.skipped,
              { sandboxId: null, reason: `… and ${this.skippedCount - this.skipped.length} more` },
            ]
          : [...this.skipped],
    };
  }
}

/** Attribution values longer than this are reported by their start and length. */
const MAX_LABEL = 256;

/**
 * A metadata value as an attribution total is labelled; a copy, so a huge value is not kept alive. A
 * long one is shortened only once masked (and its long runs shown by their length), so the cut never
 * leaves part of an encoded key behind.
 */
function attributionLabel(value: string): string {
  // A key's head too short for the report's masking, which other sandboxes' values may complete
  // (rt49 #8), however short (`e2b_` alone, rt51 #5): shown by its length only.
  if (holdsKeyHead(value) && redactKeys(value) === value)
    return `[withheld: the head of an E2B key, ${value.length} characters]`;
  if (value.length <= MAX_LABEL) return value;
  const safe = replaceRuns(redactMaterial(value), 16, runShownByLength);
  if (safe.length <= MAX_LABEL) return Buffer.from(safe).toString();
  return `${Buffer.from(cutBeforeRun(safe, 64)).toString()}(${value.length} characters)`;
}
