/**
 * A local stand-in for E2B's public API (api.e2b.app), on plain node:http at 127.0.0.1 and a random
 * port, for tests that drive the real `e2b` SDK (via `apiUrl` / `E2B_API_URL`) or our own clients.
 *
 * Implemented (contract: reference/e2b-platform.md §1.4, §2.1–2.3 and the SDK's OpenAPI types):
 * - `/api-keys` CRUD with a dashboard session (`Authorization: Bearer` + `X-Team-ID`);
 * - sandboxes with `X-API-Key`: `POST /v2/sandboxes` (and the older `POST /sandboxes`),
 *   `GET /v2/sandboxes` (state, metadata, template, startedAfter, order, limit ≤ 100, nextToken,
 *   `X-Next-Token`, `X-Total-Running`), deprecated `GET /sandboxes`, `GET`/`DELETE /sandboxes/{id}`,
 *   `POST /sandboxes/{id}/timeout`, `POST /sandboxes/{id}/pause`, `POST /v2/sandboxes/{id}/connect`;
 * - `GET /teams/{teamID}/metrics` and `/metrics/max`; `GET /health`.
 * Errors are `{code, message}` JSON bodies, as E2B sends them (the SDK reads `error.code`).
 *
 * The request log records method, path, query and status only: never headers, so no key material.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import {
  E2BState,
  CLIENT_ID,
  decodeCursor,
  type SandboxRecord,
  type SandboxState,
  type TeamRecord,
} from "./state";
import { Faults } from "./faults";
import {
  networkInfoFields,
  recordCreateNetwork,
  routeNetworkAndSecrets,
  validateCreateNetwork,
} from "./network-secrets";

export interface E2BServerOptions {
  /** Clock used for start times, expiry and cursors; default `new Date()`. */
  now?: () => Date;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Who authenticated: team id, or undefined when authentication failed. */
  teamId?: string;
}

export type RequestListener = (req: { method: string; path: string; query: URLSearchParams }) => void;

/**
 * Rewrites a reply before it is sent: a lying API for the auditor's safety tests (another
 * sandbox's record, an ignored filter, a repeated page token, malformed fields). Return the reply
 * to send, or undefined to send the original.
 */
export type ResponseRewriter = (
  req: { method: string; path: string; query: URLSearchParams },
  reply: { status: number; body?: unknown; headers?: Record<string, string> },
) => { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export interface E2BServer {
  url: string;
  port: number;
  state: E2BState;
  faults: Faults;
  requests: RequestLogEntry[];
  /** Called before each request is handled (after faults), e.g. to change the list between pages. */
  onRequest(listener: RequestListener): () => void;
  /** Rewrite replies before they are sent (see ResponseRewriter); returns a function that removes it. */
  onResponse(rewriter: ResponseRewriter): () => void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  state: E2BState;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const SANDBOX_STATES: SandboxState[] = ["running", "paused"];

export async function startE2BServer(opts: E2BServerOptions = {}): Promise<E2BServer> {
  const state = new E2BState(opts.now);
  const faults = new Faults();
  const requests: RequestLogEntry[] = [];
  const listeners = new Set<RequestListener>();
  const rewriters = new Set<ResponseRewriter>();

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    const entry: RequestLogEntry = { method, path, query: Object.fromEntries(url.searchParams), status: 0 };
    requests.push(entry);
    let reply: Reply;
    try {
      const raw = await readBody(req);
      if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
      const fault = faults.take({ method, path });
      if (fault?.hang) return; // no answer, ever: the client's timeout must end it
      if (fault) {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter);
        throw new HttpError(fault.status, fault.message ?? defaultMessage(fault.status), headers);
      }
      for (const l of listeners) l({ method, path, query: url.searchParams });
      let body: unknown = undefined;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, "Error when parsing request: invalid JSON body");
        }
      }
      reply = route({ method, path, query: url.searchParams, headers: req.headers, body, state }, entry);
    } catch (e) {
      if (e instanceof HttpError)
        reply = { status: e.status, body: { code: e.status, message: e.message }, headers: e.headers };
      else reply = { status: 500, body: { code: 500, message: "internal server error" } };
    }
    for (const rw of rewriters) reply = rw({ method, path, query: url.searchParams }, reply) ?? reply;
    entry.status = reply.status;
    const headers: Record<string, string> = { "Content-Type": "application/json", ...(reply.headers ?? {}) };
    if (reply.body === undefined) delete headers["Content-Type"];
    res.writeHead(reply.status, headers);
    // A Buffer is sent as it is (a rewriter's raw bytes: a compressed body); anything else as JSON.
    res.end(
      reply.body === undefined
        ? undefined
        : Buffer.isBuffer(reply.body)
          ? reply.body
          : JSON.stringify(reply.body),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    faults,
    requests,
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onResponse(rewriter) {
      rewriters.add(rewriter);
      return () => rewriters.delete(rewriter);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function defaultMessage(status: number): string {
  if (status === 429) return "Rate limit exceeded";
  if (status === 503) return "Service temporarily unavailable";
  if (status >= 500) return "internal server error";
  return "error";
}

// ---- routing ---------------------------------------------------------------------------------

function route(ctx: Ctx, entry: RequestLogEntry): Reply {
  const { method, path } = ctx;
  const seg = path.split("/").filter(Boolean);

  if (path === "/health" && method === "GET") return { status: 204 };

  if (seg[0] === "api-keys") {
    const team = sessionTeam(ctx);
    entry.teamId = team.id;
    if (seg.length === 1 && method === "GET") return listKeys(team);
    if (seg.length === 1 && method === "POST") return createKey(ctx, team);
    if (seg.length === 2 && method === "PATCH") return renameKey(ctx, team, seg[1]);
    if (seg.length === 2 && method === "DELETE") return deleteKey(ctx, team, seg[1]);
    throw new HttpError(405, `method ${method} not allowed on ${path}`);
  }

  if (seg[0] === "teams" && seg.length >= 3 && seg[2] === "metrics" && method === "GET") {
    const team = apiTeam(ctx);
    entry.teamId = team.id;
    if (seg[1] !== team.id)
      throw new HttpError(403, `You (${team.id}) are not allowed to access this team's metrics`);
    if (seg.length === 3) return teamMetrics(ctx, team);
    if (seg.length === 4 && seg[3] === "max") return teamMetricsMax(ctx, team);
  }

  // Egress config updates and E2B Secrets: see network-secrets.ts.
  const extra = routeNetworkAndSecrets({
    method,
    seg,
    body: ctx.body,
    query: ctx.query,
    state: ctx.state,
    team: () => {
      const team = apiTeam(ctx);
      entry.teamId = team.id;
      return team;
    },
    fail: (status, message) => new HttpError(status, message),
    headers: ctx.headers,
  });
  if (extra) return extra;

  const isV2 = seg[0] === "v2";
  const s = isV2 ? seg.slice(1) : seg;
  if (s[0] === "sandboxes") {
    const team = apiTeam(ctx);
    entry.teamId = team.id;
    if (s.length === 1 && method === "POST") return createSandbox(ctx, team);
    if (s.length === 1 && method === "GET") return listSandboxes(ctx, team, isV2);
    const id = s[1];
    if (s.length === 2 && method === "GET" && !isV2) return getSandbox(ctx, team, id);
    if (s.length === 2 && method === "DELETE" && !isV2) return killSandbox(ctx, team, id);
    if (s.length === 3 && method === "POST" && s[2] === "timeout" && !isV2)
      return setTimeoutRoute(ctx, team, id);
    if (s.length === 3 && method === "POST" && s[2] === "pause" && !isV2) return pauseSandbox(ctx, team, id);
    if (s.length === 3 && method === "POST" && s[2] === "connect") return connectSandbox(ctx, team, id);
  }
  throw new HttpError(404, `no route for ${method} ${path}`);
}

// ---- authentication --------------------------------------------------------------------------

function header(ctx: Ctx, name: string): string | undefined {
  const v = ctx.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Dashboard session: `Authorization: Bearer <token>` plus `X-Team-ID` naming one of its teams. */
function sessionTeam(ctx: Ctx): TeamRecord {
  const auth = header(ctx, "authorization");
  const teamId = header(ctx, "x-team-id");
  if (!auth || !/^Bearer\s+\S+$/i.test(auth))
    throw new HttpError(401, "authorization header is missing or malformed");
  const token = auth.replace(/^Bearer\s+/i, "");
  const session = ctx.state.sessions.get(token);
  if (!session) throw new HttpError(401, "invalid bearer token");
  if (!teamId) throw new HttpError(401, "X-Team-ID header is missing");
  if (!session.teams.has(teamId) || !ctx.state.teams.has(teamId))
    throw new HttpError(403, `user is not a member of team ${teamId}`);
  return ctx.state.team(teamId);
}

/** `X-API-Key` (the SDK sends `X-API-KEY`; header names are case-insensitive), or a session. */
function apiTeam(ctx: Ctx): TeamRecord {
  const key = header(ctx, "x-api-key");
  if (key === undefined) {
    if (header(ctx, "authorization")) return sessionTeam(ctx);
    throw new HttpError(401, "authorization header is missing");
  }
  if (!key.startsWith("e2b_")) throw new HttpError(401, "authorization header is malformed");
  if (!/^e2b_[0-9a-f]+$/.test(key)) throw new HttpError(401, "Invalid API key format");
  const team = ctx.state.authenticateKey(key);
  if (!team) throw new HttpError(401, "Invalid API key");
  return team;
}

// ---- /api-keys -------------------------------------------------------------------------------

function keyJson(k: TeamRecord["apiKeys"] extends Map<string, infer V> ? V : never) {
  return {
    id: k.id,
    name: k.name,
    mask: {
      prefix: "e2b_",
      valueLength: 40,
      maskedValuePrefix: k.maskedValuePrefix,
      maskedValueSuffix: k.maskedValueSuffix,
    },
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdBy ? { id: k.createdBy, email: null } : null,
    lastUsed: k.lastUsed ? k.lastUsed.toISOString() : null,
  };
}

function requireName(body: unknown): string {
  const name = (body as { name?: unknown } | undefined)?.name;
  if (typeof name !== "string" || name.trim() === "") throw new HttpError(400, "name is required");
  if (name.length > 50) throw new HttpError(400, "name must be at most 50 characters");
  return name;
}

function listKeys(team: TeamRecord): Reply {
  return { status: 200, body: [...team.apiKeys.values()].map(keyJson) };
}

function createKey(ctx: Ctx, team: TeamRecord): Reply {
  const name = requireName(ctx.body);
  const session = ctx.state.sessions.get((header(ctx, "authorization") ?? "").replace(/^Bearer\s+/i, ""));
  const { key, record } = ctx.state.addApiKey(team.id, { name, createdBy: session?.userId ?? null });
  return { status: 201, body: { ...keyJson(record), key } };
}

function renameKey(ctx: Ctx, team: TeamRecord, id: string): Reply {
  const name = requireName(ctx.body);
  const k = team.apiKeys.get(id);
  if (!k) throw new HttpError(404, "id not found");
  k.name = name;
  // E2B's handler answers 202 Accepted with no body (the spec says 200).
  return { status: 202 };
}

function deleteKey(ctx: Ctx, team: TeamRecord, id: string): Reply {
  if (!ctx.state.deleteApiKey(team.id, id)) throw new HttpError(404, "id not found");
  return { status: 204 };
}

// ---- sandboxes -------------------------------------------------------------------------------

function listedJson(s: SandboxRecord) {
  return {
    sandboxID: s.sandboxID,
    templateID: s.templateID,
    alias: s.alias,
    clientID: CLIENT_ID,
    startedAt: s.startedAt.toISOString(),
    endAt: s.endAt.toISOString(),
    cpuCount: s.cpuCount,
    memoryMB: s.memoryMB,
    diskSizeMB: s.diskSizeMB,
    metadata: s.metadata,
    state: s.state,
    envdVersion: s.envdVersion,
  };
}

function sandboxJson(s: SandboxRecord) {
  return {
    sandboxID: s.sandboxID,
    templateID: s.templateID,
    alias: s.alias,
    clientID: CLIENT_ID,
    envdVersion: s.envdVersion,
    envdAccessToken: randomBytes(16).toString("hex"),
    trafficAccessToken: null,
    domain: null,
  };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `sandbox "${id}" doesn't exist or you don't have access to it`);
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, `${field} must be an object`);
  for (const [k, x] of Object.entries(v))
    if (typeof x !== "string") throw new HttpError(400, `${field}.${k} must be a string`);
  return v as Record<string, string>;
}

function createSandbox(ctx: Ctx, team: TeamRecord): Reply {
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  if (typeof b.templateID !== "string" || !b.templateID) throw new HttpError(400, "templateID is required");
  // The server default is 15 s; the SDK always sends one (300 s by default).
  const timeout = b.timeout === undefined ? 15 : b.timeout;
  if (typeof timeout !== "number" || !Number.isInteger(timeout))
    throw new HttpError(400, "timeout must be an integer");
  if (timeout <= 0) throw new HttpError(400, "Timeout must be greater than 0");
  if (timeout > team.maxLengthHours * 3600)
    throw new HttpError(400, `Timeout cannot be greater than ${team.maxLengthHours} hours`);
  if (ctx.state.runningCount(team.id) >= team.maxConcurrency)
    throw new HttpError(
      429,
      `you have reached the maximum number of concurrent E2B sandboxes (${team.maxConcurrency}). If you need more, please visit 'https://e2b.dev/docs/billing'`,
    );
  const egress = validateCreateNetwork(b, (status, message) => new HttpError(status, message));
  const s = ctx.state.createSandbox(team.id, {
    templateID: b.templateID,
    timeoutSeconds: timeout,
    metadata: stringMap(b.metadata, "metadata"),
    envVars: stringMap(b.envVars, "envVars"),
    autoPause: b.autoPause === true,
  });
  recordCreateNetwork(s, egress);
  return { status: 201, body: sandboxJson(s) };
}

/**
 * E2B's metadata filter: `metadata=<urlencoded "k1=v1&k2=v2">`, each key and value URL-encoded
 * once more (the SDK does so). Several pairs combine with AND.
 */
export function parseMetadataFilter(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new HttpError(400, "metadata filter is not valid URL encoding");
    }
  };
  for (const [k, v] of new URLSearchParams(raw)) out[dec(k)] = dec(v);
  return out;
}

function listSandboxes(ctx: Ctx, team: TeamRecord, v2: boolean): Reply {
  const q = ctx.query;
  const metadataRaw = q.get("metadata");
  const metadata = metadataRaw ? parseMetadataFilter(metadataRaw) : undefined;
  if (!v2) {
    // Deprecated v1 list: running sandboxes only, no pagination.
    const { items } = ctx.state.listSandboxes(team.id, {
      states: ["running"],
      metadata,
      order: "desc",
      limit: Number.MAX_SAFE_INTEGER,
    });
    return { status: 200, body: items.map(listedJson) };
  }
  let states: SandboxState[] | undefined;
  const stateParams = q
    .getAll("state")
    .flatMap((s) => s.split(","))
    .filter(Boolean);
  if (stateParams.length > 0) {
    for (const s of stateParams)
      if (!SANDBOX_STATES.includes(s as SandboxState)) throw new HttpError(400, `invalid state "${s}"`);
    states = stateParams as SandboxState[];
  }
  const limitRaw = q.get("limit");
  const limit = limitRaw === null ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new HttpError(400, "limit must be an integer between 1 and 100");
  const order = q.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw new HttpError(400, `invalid order "${order}"`);
  const token = q.get("nextToken");
  let cursor: { startedAt: number; id: string } | undefined;
  if (token) {
    cursor = decodeCursor(token);
    if (!cursor) throw new HttpError(400, "Invalid next token");
  }
  const startedAfterRaw = q.get("startedAfter");
  const startedAfter = startedAfterRaw ? new Date(startedAfterRaw) : undefined;
  if (startedAfter && Number.isNaN(startedAfter.getTime()))
    throw new HttpError(400, "startedAfter must be a date-time");
  const page = ctx.state.listSandboxes(team.id, {
    states,
    metadata,
    template: q.get("template") ?? undefined,
    startedAfter,
    order,
    limit,
    cursor,
  });
  const headers: Record<string, string> = { "X-Total-Running": String(page.totalRunning) };
  if (page.nextToken) headers["X-Next-Token"] = page.nextToken;
  return { status: 200, body: page.items.map(listedJson), headers };
}

function getSandbox(ctx: Ctx, team: TeamRecord, id: string): Reply {
  const s = ctx.state.getSandbox(team.id, id);
  if (!s) throw notFound(id);
  return {
    status: 200,
    body: {
      ...listedJson(s),
      envdAccessToken: randomBytes(16).toString("hex"),
      ...networkInfoFields(s),
      domain: null,
      lifecycle: { autoResume: false, onTimeout: s.autoPause ? "pause" : "kill" },
      volumeMounts: [],
    },
  };
}

function killSandbox(ctx: Ctx, team: TeamRecord, id: string): Reply {
  if (!ctx.state.killSandbox(team.id, id)) throw notFound(id);
  return { status: 204 };
}

function setTimeoutRoute(ctx: Ctx, team: TeamRecord, id: string): Reply {
  const timeout = (ctx.body as { timeout?: unknown } | undefined)?.timeout;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 0)
    throw new HttpError(400, "timeout must be a non-negative integer");
  const r = ctx.state.setTimeout(team.id, id, timeout);
  if (r === "not-found") throw notFound(id);
  if (r === "not-running") throw new HttpError(409, `sandbox "${id}" is not running`);
  if (r === "max-length") throw new HttpError(400, "Max instance length exceeded");
  return { status: 204 };
}

function pauseSandbox(ctx: Ctx, team: TeamRecord, id: string): Reply {
  const r = ctx.state.pauseSandbox(team.id, id);
  if (r === "not-found") throw notFound(id);
  if (r === "conflict") throw new HttpError(409, `sandbox "${id}" is already paused`);
  return { status: 204 };
}

function connectSandbox(ctx: Ctx, team: TeamRecord, id: string): Reply {
  const timeout = (ctx.body as { timeout?: unknown } | undefined)?.timeout;
  const seconds = typeof timeout === "number" && timeout > 0 ? timeout : 15;
  const r = ctx.state.connectSandbox(team.id, id, seconds);
  if (!r) throw notFound(id);
  return { status: r.resumed ? 201 : 200, body: sandboxJson(r.sandbox) };
}

// ---- team metrics ----------------------------------------------------------------------------

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, `${name} must be a unix timestamp in seconds`);
  return n;
}

function teamMetrics(ctx: Ctx, team: TeamRecord): Reply {
  return {
    status: 200,
    body: ctx.state.teamMetrics(team.id, intParam(ctx.query, "start"), intParam(ctx.query, "end")),
  };
}

function teamMetricsMax(ctx: Ctx, team: TeamRecord): Reply {
  const metric = ctx.query.get("metric");
  if (metric !== "concurrent_sandboxes" && metric !== "sandbox_start_rate")
    throw new HttpError(400, "metric must be concurrent_sandboxes or sandbox_start_rate");
  const samples = ctx.state.teamMetrics(team.id, intParam(ctx.query, "start"), intParam(ctx.query, "end"));
  let best = samples[0];
  for (const s of samples) {
    const v = metric === "concurrent_sandboxes" ? s.concurrentSandboxes : s.sandboxStartRate;
    if (!best || v > (metric === "concurrent_sandboxes" ? best.concurrentSandboxes : best.sandboxStartRate))
      best = s;
  }
  const value = !best
    ? 0
    : metric === "concurrent_sandboxes"
      ? best.concurrentSandboxes
      : best.sandboxStartRate;
  return {
    status: 200,
    body: { timestampUnix: best?.timestampUnix ?? 0, timestamp: best?.timestamp, value },
  };
}
