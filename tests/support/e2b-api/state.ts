/**
 * In-memory state of the local E2B API server: teams, dashboard sessions, team API keys and
 * sandboxes. It mirrors the behaviour of E2B's public API (reference/e2b-platform.md §1.4, §2.2–2.4)
 * closely enough for the real `e2b` SDK and our own HTTP clients to run against it.
 *
 * Keys are stored as SHA-256 hashes, as E2B stores them: the raw value exists only in the create
 * response (and in the return value of `addApiKey`, for tests that need to authenticate with it).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";

export type SandboxState = "running" | "paused";
export type TeamPlan = "hobby" | "pro" | "enterprise";

const PLAN_HOURS: Record<TeamPlan, number> = { hobby: 1, pro: 24, enterprise: 24 };
const PLAN_CONCURRENCY: Record<TeamPlan, number> = { hobby: 20, pro: 100, enterprise: 1_100 };

/** E2B's deprecated constant client id, still required in sandbox responses. */
export const CLIENT_ID = "6532622b";

export interface ApiKeyRecord {
  id: string;
  name: string;
  hash: string;
  maskedValuePrefix: string;
  maskedValueSuffix: string;
  createdAt: Date;
  createdBy: string | null;
  lastUsed: Date | null;
}

export interface SandboxRecord {
  sandboxID: string;
  teamId: string;
  templateID: string;
  alias?: string;
  metadata: Record<string, string>;
  /** Kept so tests can assert what a guarded create passed; never returned by the API. */
  envVars: Record<string, string>;
  startedAt: Date;
  endAt: Date;
  state: SandboxState;
  cpuCount: number;
  memoryMB: number;
  diskSizeMB: number;
  envdVersion: string;
  autoPause: boolean;
  /** When the sandbox was last paused (for paused-age checks in tests). */
  pausedAt?: Date;
}

export interface TeamRecord {
  id: string;
  name: string;
  plan: TeamPlan;
  maxLengthHours: number;
  maxConcurrency: number;
  apiKeys: Map<string, ApiKeyRecord>;
  sandboxes: Map<string, SandboxRecord>;
  createdTimes: number[];
  /** Sorted list cache (ascending by startedAt, id); dropped on every mutation. */
  sorted?: SandboxRecord[];
  /**
   * What a listing would otherwise recompute from every sandbox on every page (dropped with
   * `sorted`): the earliest expiry of a running sandbox, and `X-Total-Running` by filter. Without
   * it one page cost O(sandboxes), a whole listing O(sandboxes²): 100,000 sandboxes took ~9 s of
   * server time per listing, more than the client under test.
   */
  listCache?: { nextExpiry: number; totalRunning: Map<string, number> };
}

export interface SessionRecord {
  token: string;
  userId: string;
  teams: Set<string>;
}

export interface AddTeamOptions {
  id?: string;
  name?: string;
  plan?: TeamPlan;
  maxLengthHours?: number;
  maxConcurrency?: number;
  /** Dashboard session bearer token allowed to manage this team's keys; generated when omitted. */
  bearerToken?: string;
}

export interface SeedOptions {
  teamId: string;
  state?: SandboxState | ((i: number) => SandboxState);
  templateID?: string;
  metadata?: Record<string, string> | ((i: number) => Record<string, string>);
  /** Start time; default: spread over the last hour. */
  startedAt?: Date | ((i: number) => Date);
  endAt?: Date | ((i: number) => Date);
  cpuCount?: number;
  memoryMB?: number;
  idPrefix?: string;
}

export function hashKey(key: string): string {
  return "$sha256$" + createHash("sha256").update(key).digest("base64");
}

/** `i` + 20 lowercase alphanumerics, as E2B generates sandbox ids. */
export function newSandboxId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(20);
  let id = "i";
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

/** Pagination cursor, shaped like E2B's: base64url of `{RFC3339}__{id}`. */
export function encodeCursor(s: SandboxRecord): string {
  return Buffer.from(`${s.startedAt.toISOString()}__${s.sandboxID}`).toString("base64url");
}

export function decodeCursor(token: string): { startedAt: number; id: string } | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  const sep = text.indexOf("__");
  if (sep < 0) return undefined;
  const startedAt = Date.parse(text.slice(0, sep));
  const id = text.slice(sep + 2);
  if (Number.isNaN(startedAt) || !id) return undefined;
  return { startedAt, id };
}

function compareAsc(a: { startedAt: number; id: string }, b: { startedAt: number; id: string }): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const asKey = (s: SandboxRecord) => ({ startedAt: s.startedAt.getTime(), id: s.sandboxID });

export interface ListQuery {
  states?: SandboxState[];
  metadata?: Record<string, string>;
  template?: string;
  startedAfter?: Date;
  order: "asc" | "desc";
  limit: number;
  cursor?: { startedAt: number; id: string };
}

export class E2BState {
  readonly teams = new Map<string, TeamRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Key hash → team id and key id, for `X-API-Key` authentication. */
  private readonly keyIndex = new Map<string, { teamId: string; keyId: string }>();
  /** envd version returned by create; set below 0.1.0 to exercise the SDK's template check. */
  envdVersion = "0.2.4";

  constructor(readonly now: () => Date = () => new Date()) {}

  addTeam(opts: AddTeamOptions = {}): { teamId: string; bearerToken: string } {
    const id = opts.id ?? randomUUID();
    const plan = opts.plan ?? "pro";
    this.teams.set(id, {
      id,
      name: opts.name ?? `team-${id.slice(0, 8)}`,
      plan,
      maxLengthHours: opts.maxLengthHours ?? PLAN_HOURS[plan],
      maxConcurrency: opts.maxConcurrency ?? PLAN_CONCURRENCY[plan],
      apiKeys: new Map(),
      sandboxes: new Map(),
      createdTimes: [],
    });
    const bearerToken = opts.bearerToken ?? `session-${randomBytes(16).toString("hex")}`;
    const session = this.sessions.get(bearerToken) ?? {
      token: bearerToken,
      userId: randomUUID(),
      teams: new Set(),
    };
    session.teams.add(id);
    this.sessions.set(bearerToken, session);
    return { teamId: id, bearerToken };
  }

  team(teamId: string): TeamRecord {
    const t = this.teams.get(teamId);
    if (!t) throw new Error(`unknown team ${teamId}`);
    return t;
  }

  /** Create a key (random unless `key` is given, e.g. a planted test key) and return its raw value. */
  addApiKey(teamId: string, opts: { name?: string; key?: string; createdBy?: string | null } = {}) {
    const team = this.team(teamId);
    const key = opts.key ?? `e2b_${randomBytes(20).toString("hex")}`;
    const value = key.replace(/^e2b_/, "");
    const record: ApiKeyRecord = {
      id: randomUUID(),
      name: opts.name ?? "Unnamed API Key",
      hash: hashKey(key),
      maskedValuePrefix: value.slice(0, 2),
      maskedValueSuffix: value.slice(-4),
      createdAt: this.now(),
      createdBy: opts.createdBy ?? null,
      lastUsed: null,
    };
    team.apiKeys.set(record.id, record);
    this.keyIndex.set(record.hash, { teamId, keyId: record.id });
    return { id: record.id, key, record };
  }

  deleteApiKey(teamId: string, keyId: string): boolean {
    const team = this.team(teamId);
    const record = team.apiKeys.get(keyId);
    if (!record) return false;
    team.apiKeys.delete(keyId);
    // Takes effect at once, as E2B invalidates its auth cache on delete.
    this.keyIndex.delete(record.hash);
    return true;
  }

  /** The team a raw API key belongs to, updating `lastUsed`; undefined when unknown or deleted. */
  authenticateKey(key: string): TeamRecord | undefined {
    const hit = this.keyIndex.get(hashKey(key));
    if (!hit) return undefined;
    const team = this.teams.get(hit.teamId);
    const record = team?.apiKeys.get(hit.keyId);
    if (!team || !record) return undefined;
    record.lastUsed = this.now();
    return team;
  }

  // ---- sandboxes ---------------------------------------------------------------------------

  private touch(team: TeamRecord): void {
    team.sorted = undefined;
    team.listCache = undefined;
  }

  /** Apply E2B's timeout: a running sandbox past `endAt` is killed, or paused with auto-pause. */
  private expire(s: SandboxRecord, now: number): boolean {
    if (s.state !== "running" || s.endAt.getTime() > now) return false;
    const team = this.team(s.teamId);
    if (s.autoPause) {
      s.state = "paused";
      s.pausedAt = new Date(s.endAt);
    } else {
      team.sandboxes.delete(s.sandboxID);
    }
    this.touch(team);
    return true;
  }

  getSandbox(teamId: string, id: string): SandboxRecord | undefined {
    const s = this.team(teamId).sandboxes.get(id);
    if (!s) return undefined;
    this.expire(s, this.now().getTime());
    return this.team(teamId).sandboxes.get(id);
  }

  runningCount(teamId: string): number {
    let n = 0;
    const now = this.now().getTime();
    for (const s of this.team(teamId).sandboxes.values())
      if (s.state === "running" && s.endAt.getTime() > now) n++;
    return n;
  }

  createSandbox(
    teamId: string,
    input: {
      templateID: string;
      timeoutSeconds: number;
      metadata?: Record<string, string>;
      envVars?: Record<string, string>;
      autoPause?: boolean;
      cpuCount?: number;
      memoryMB?: number;
    },
  ): SandboxRecord {
    const team = this.team(teamId);
    const now = this.now();
    const s: SandboxRecord = {
      sandboxID: newSandboxId(),
      teamId,
      templateID: input.templateID,
      alias: input.templateID,
      metadata: { ...(input.metadata ?? {}) },
      envVars: { ...(input.envVars ?? {}) },
      startedAt: now,
      endAt: new Date(now.getTime() + input.timeoutSeconds * 1000),
      state: "running",
      cpuCount: input.cpuCount ?? 2,
      memoryMB: input.memoryMB ?? 512,
      diskSizeMB: 512,
      envdVersion: this.envdVersion,
      autoPause: input.autoPause ?? false,
    };
    team.sandboxes.set(s.sandboxID, s);
    team.createdTimes.push(now.getTime());
    this.touch(team);
    return s;
  }

  /** Insert `n` sandboxes directly (no API call), e.g. thousands for pagination tests. */
  seedSandboxes(n: number, opts: SeedOptions): SandboxRecord[] {
    const team = this.team(opts.teamId);
    const now = this.now().getTime();
    const pick = <T>(v: T | ((i: number) => T) | undefined, i: number): T | undefined =>
      typeof v === "function" ? (v as (i: number) => T)(i) : v;
    const out: SandboxRecord[] = [];
    for (let i = 0; i < n; i++) {
      const startedAt = pick(opts.startedAt, i) ?? new Date(now - ((i * 997) % 3_600_000));
      const state = pick(opts.state, i) ?? "running";
      const s: SandboxRecord = {
        sandboxID: opts.idPrefix ? `${opts.idPrefix}${String(i).padStart(6, "0")}` : newSandboxId(),
        teamId: team.id,
        templateID: opts.templateID ?? "base",
        alias: opts.templateID ?? "base",
        metadata: { ...(pick(opts.metadata, i) ?? {}) },
        envVars: {},
        startedAt,
        // Paused: endAt is when it stopped (here: at once); running: an hour from now.
        endAt: pick(opts.endAt, i) ?? (state === "paused" ? startedAt : new Date(now + 3_600_000)),
        state,
        cpuCount: opts.cpuCount ?? 2,
        memoryMB: opts.memoryMB ?? 512,
        diskSizeMB: 512,
        envdVersion: this.envdVersion,
        autoPause: false,
        pausedAt: state === "paused" ? startedAt : undefined,
      };
      team.sandboxes.set(s.sandboxID, s);
      out.push(s);
    }
    this.touch(team);
    return out;
  }

  killSandbox(teamId: string, id: string): boolean {
    const team = this.team(teamId);
    if (!this.getSandbox(teamId, id)) return false;
    // Kill also drops a paused sandbox's snapshot: the record is gone either way.
    team.sandboxes.delete(id);
    this.touch(team);
    return true;
  }

  pauseSandbox(teamId: string, id: string): "ok" | "not-found" | "conflict" {
    const s = this.getSandbox(teamId, id);
    if (!s) return "not-found";
    if (s.state === "paused") return "conflict";
    s.state = "paused";
    s.pausedAt = this.now();
    // A paused sandbox has no TTL running; its endAt marks when it stopped.
    s.endAt = s.pausedAt;
    this.touch(this.team(teamId));
    return "ok";
  }

  /** E2B's setTimeout: endAt = now + timeout, capped at the plan maximum counted from startedAt. */
  setTimeout(
    teamId: string,
    id: string,
    timeoutSeconds: number,
  ): "ok" | "not-found" | "not-running" | "max-length" {
    const s = this.getSandbox(teamId, id);
    if (!s) return "not-found";
    if (s.state !== "running") return "not-running";
    const team = this.team(teamId);
    const now = this.now().getTime();
    const cap = s.startedAt.getTime() + team.maxLengthHours * 3_600_000;
    if (now >= cap) return "max-length";
    s.endAt = new Date(Math.min(now + timeoutSeconds * 1000, cap));
    this.touch(team);
    return "ok";
  }

  /** Resume (or keep) a sandbox; the TTL is only extended. */
  connectSandbox(
    teamId: string,
    id: string,
    timeoutSeconds: number,
  ): { sandbox: SandboxRecord; resumed: boolean } | undefined {
    const s = this.getSandbox(teamId, id);
    if (!s) return undefined;
    const now = this.now().getTime();
    const resumed = s.state === "paused";
    if (resumed) {
      // A resumed sandbox is a fresh instance from its snapshot: a new start time and TTL.
      s.state = "running";
      s.pausedAt = undefined;
      s.startedAt = new Date(now);
      this.touch(this.team(teamId));
      s.endAt = new Date(now + timeoutSeconds * 1000);
    } else if (now + timeoutSeconds * 1000 > s.endAt.getTime()) {
      s.endAt = new Date(now + timeoutSeconds * 1000);
      this.touch(this.team(teamId));
    }
    return { sandbox: s, resumed };
  }

  private sortedAsc(team: TeamRecord): SandboxRecord[] {
    if (!team.sorted)
      team.sorted = [...team.sandboxes.values()].sort((a, b) => compareAsc(asKey(a), asKey(b)));
    return team.sorted;
  }

  /**
   * One page of `GET /v2/sandboxes`. The cursor is a position (start time and id), not an index,
   * so sandboxes created or killed between pages neither shift nor duplicate the rest of the list.
   */
  listSandboxes(
    teamId: string,
    q: ListQuery,
  ): { items: SandboxRecord[]; nextToken?: string; totalRunning: number } {
    const team = this.team(teamId);
    const now = this.now().getTime();
    // Expire first so the sorted cache reflects what exists now (a sweep only when one is due).
    if (!team.listCache || now >= team.listCache.nextExpiry) {
      for (const s of [...team.sandboxes.values()]) this.expire(s, now);
      let nextExpiry = Infinity;
      for (const s of team.sandboxes.values())
        if (s.state === "running") nextExpiry = Math.min(nextExpiry, s.endAt.getTime());
      team.listCache = { nextExpiry, totalRunning: new Map() };
    }
    const cache = team.listCache;
    const all = this.sortedAsc(team);
    const matches = (s: SandboxRecord): boolean => {
      if (q.states && !q.states.includes(s.state)) return false;
      if (q.template && s.templateID !== q.template && s.alias !== q.template) return false;
      if (q.startedAfter && s.startedAt.getTime() <= q.startedAfter.getTime()) return false;
      if (q.metadata) for (const [k, v] of Object.entries(q.metadata)) if (s.metadata[k] !== v) return false;
      return true;
    };
    const filter = JSON.stringify([q.states, q.template, q.startedAfter?.getTime(), q.metadata]);
    let totalRunning = cache.totalRunning.get(filter);
    if (totalRunning === undefined) {
      totalRunning = 0;
      for (const s of all) if (s.state === "running" && matches(s)) totalRunning++;
      cache.totalRunning.set(filter, totalRunning);
    }

    const items: SandboxRecord[] = [];
    const desc = q.order === "desc";
    // Binary search for the first position strictly past the cursor in the scan direction.
    let i = desc ? all.length - 1 : 0;
    if (q.cursor) {
      const c = q.cursor;
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareAsc(asKey(all[mid]), c) <= 0) lo = mid + 1;
        else hi = mid;
      }
      // lo = first index with key > cursor
      i = desc ? lo - 1 : lo;
      if (desc) {
        while (i >= 0 && compareAsc(asKey(all[i]), c) >= 0) i--;
      }
    }
    let hasMore = false;
    while (desc ? i >= 0 : i < all.length) {
      const s = all[i];
      i += desc ? -1 : 1;
      if (!matches(s)) continue;
      if (items.length === q.limit) {
        hasMore = true;
        break;
      }
      items.push(s);
    }
    const last = items[items.length - 1];
    return { items, nextToken: hasMore && last ? encodeCursor(last) : undefined, totalRunning };
  }

  /**
   * Concurrency and start rate for `GET /teams/{teamID}/metrics`, one sample per 5 s step. Computed
   * from the sandboxes the state still holds (killed ones are forgotten), which is enough for tests.
   */
  teamMetrics(teamId: string, startSec?: number, endSec?: number) {
    const team = this.team(teamId);
    const nowSec = Math.floor(this.now().getTime() / 1000);
    const end = Math.min(endSec ?? nowSec, nowSec);
    const start = Math.max(startSec ?? end - 60, end - 3600);
    const samples = [];
    for (let t = start; t <= end; t += 5) {
      let concurrent = 0;
      for (const s of team.sandboxes.values()) {
        const alive = s.startedAt.getTime() < (t + 1) * 1000 && s.endAt.getTime() > t * 1000;
        if (alive && (s.state === "running" || (s.pausedAt && s.pausedAt.getTime() > t * 1000))) concurrent++;
      }
      const started = team.createdTimes.filter((c) => c > (t - 5) * 1000 && c <= t * 1000).length;
      samples.push({
        timestampUnix: t,
        timestamp: new Date(t * 1000).toISOString(),
        concurrentSandboxes: concurrent,
        sandboxStartRate: started / 5,
      });
    }
    return samples;
  }
}
