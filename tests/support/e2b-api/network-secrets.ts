/**
 * The local E2B server's egress and Secrets surface (issue 16), kept apart from server.ts so other
 * additions to the server merge cleanly:
 * - what a create sends as `network`, `allow_internet_access` and `iam` is recorded on the sandbox
 *   (the egress proxy password only as a SHA-256, as it is write-only) and read back by `GET
 *   /sandboxes/{id}` without the password;
 * - `PUT /sandboxes/{id}/network` replaces the whole egress config (omitted fields are cleared);
 * - `/secrets` CRUD (`X-API-Key` or a dashboard session + `X-Team-ID`): write-only values, stored
 *   only as SHA-256 hashes so tests can tell which value arrived without the server holding it.
 * Contract: spec/openapi.yml of e2b-dev/E2B and the SDK's generated types (e2b 2.51.0).
 */
import { createHash, randomBytes } from "node:crypto";
import type { E2BState, SandboxRecord, TeamRecord } from "./state";

/** The egress config as a create or update sent it, minus the proxy password. */
export interface StoredNetwork {
  allowOut?: string[];
  denyOut?: string[];
  rules?: Record<string, Array<{ transform?: { headers?: Record<string, string> } }>>;
  egressProxy?: { address: string; username?: string; passwordSha256?: string };
  allowPublicTraffic?: boolean;
  maskRequestHost?: string;
}

export interface SecretRecord {
  secretID: string;
  name: string;
  /** SHA-256 (hex) of the current value; the value itself is never kept. */
  valueSha256: string;
  currentVersion: number;
  metadata: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

/** What the routes need from server.ts, passed in rather than imported (no import cycle). */
export interface RouteDeps {
  method: string;
  seg: string[];
  body: unknown;
  query: URLSearchParams;
  state: E2BState;
  /** Authenticates the request (API key or session) and returns its team. */
  team: () => TeamRecord;
  fail: (status: number, message: string) => Error;
  headers?: Record<string, string | string[] | undefined>;
}

export interface RouteReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

// ---- network on create / info / update -------------------------------------------------------

const networkBySandbox = new WeakMap<
  SandboxRecord,
  { network?: StoredNetwork; allowInternetAccess?: boolean; iam?: unknown }
>();

function stringList(v: unknown, field: string, fail: RouteDeps["fail"]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    throw fail(400, `${field} must be an array of strings`);
  return v as string[];
}

function parseNetwork(raw: unknown, fail: RouteDeps["fail"]): StoredNetwork | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw fail(400, "network must be an object");
  const n = raw as Record<string, unknown>;
  const out: StoredNetwork = {};
  out.allowOut = stringList(n.allowOut, "network.allowOut", fail);
  const denyOut = stringList(n.denyOut, "network.denyOut", fail);
  // E2B: "Domain names are not supported for deny rules".
  for (const d of denyOut ?? [])
    if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(d))
      throw fail(400, `network.denyOut entry "${d}" must be a CIDR block or IP address`);
  out.denyOut = denyOut;
  if (n.rules !== undefined) {
    if (typeof n.rules !== "object" || n.rules === null) throw fail(400, "network.rules must be an object");
    const rules: StoredNetwork["rules"] = {};
    for (const [host, list] of Object.entries(n.rules as Record<string, unknown>)) {
      if (host === "*") throw fail(400, 'network.rules: a bare "*" is invalid');
      if (!Array.isArray(list)) throw fail(400, `network.rules.${host} must be an array`);
      rules[host.toLowerCase()] = list as NonNullable<StoredNetwork["rules"]>[string];
    }
    out.rules = rules;
  }
  if (n.egressProxy !== undefined && n.egressProxy !== null) {
    const p = n.egressProxy as Record<string, unknown>;
    if (typeof p.address !== "string" || !/^[^:\s]+:\d+$/.test(p.address))
      throw fail(400, "network.egressProxy.address must be host:port");
    if (p.password !== undefined && p.username === undefined)
      throw fail(400, "network.egressProxy.password is only valid together with username");
    out.egressProxy = {
      address: p.address,
      ...(typeof p.username === "string" ? { username: p.username } : {}),
      ...(typeof p.password === "string" ? { passwordSha256: sha256(p.password) } : {}),
    };
  }
  if (typeof n.allowPublicTraffic === "boolean") out.allowPublicTraffic = n.allowPublicTraffic;
  if (typeof n.maskRequestHost === "string") out.maskRequestHost = n.maskRequestHost;
  return out;
}

/** Record a create's egress fields on the new sandbox. Call before the sandbox is stored. */
export function validateCreateNetwork(body: Record<string, unknown>, fail: RouteDeps["fail"]) {
  const network = parseNetwork(body.network, fail);
  const aia = body.allow_internet_access;
  if (aia !== undefined && typeof aia !== "boolean")
    throw fail(400, "allow_internet_access must be a boolean");
  return { network, allowInternetAccess: aia as boolean | undefined, iam: body.iam };
}

export function recordCreateNetwork(
  s: SandboxRecord,
  parsed: ReturnType<typeof validateCreateNetwork>,
): void {
  networkBySandbox.set(s, parsed);
}

/** What a test wants to assert about a sandbox's egress: as sent, password hashed. */
export function sandboxNetwork(s: SandboxRecord | undefined) {
  return s ? networkBySandbox.get(s) : undefined;
}

/** `SandboxDetail` fields for `GET /sandboxes/{id}`: the password is never returned. */
export function networkInfoFields(s: SandboxRecord): Record<string, unknown> {
  const rec = networkBySandbox.get(s);
  const n = rec?.network;
  const info = n
    ? {
        ...n,
        egressProxy: n.egressProxy
          ? {
              address: n.egressProxy.address,
              ...(n.egressProxy.username ? { username: n.egressProxy.username } : {}),
            }
          : undefined,
      }
    : undefined;
  return { allowInternetAccess: rec?.allowInternetAccess ?? null, ...(info ? { network: info } : {}) };
}

// ---- routes ----------------------------------------------------------------------------------

// ---- deprecated access tokens (`sk_e2b_…`, `Authorization: Bearer`) on template routes ----------

const accessTokens = new WeakMap<E2BState, Map<string, string>>();

/** Issue a deprecated personal access token for a team (raw value returned, only its hash kept). */
export function addAccessToken(state: E2BState, teamId: string): string {
  const token = `sk_e2b_${randomBytes(20).toString("hex")}`;
  let m = accessTokens.get(state);
  if (!m) accessTokens.set(state, (m = new Map()));
  m.set(sha256(token), teamId);
  return token;
}

/** Template build status: authenticated first (401), then looked up (no templates here: 404). */
function templateRoute(d: RouteDeps, headers: Record<string, string | string[] | undefined>): RouteReply {
  const auth = headers["authorization"];
  const token = (Array.isArray(auth) ? auth[0] : auth)?.replace(/^Bearer\s+/i, "");
  if (!token || !accessTokens.get(d.state)?.has(sha256(token))) throw d.fail(401, "Invalid access token");
  throw d.fail(404, `template "${d.seg[1]}" not found`);
}

/** `PUT /sandboxes/{id}/network` and `/secrets…`; undefined when the path is not one of them. */
export function routeNetworkAndSecrets(d: RouteDeps): RouteReply | undefined {
  const { seg, method } = d;
  if (seg[0] === "templates" && method === "GET" && d.headers) return templateRoute(d, d.headers);
  if (seg[0] === "sandboxes" && seg.length === 3 && seg[2] === "network" && method === "PUT")
    return updateNetwork(d, seg[1]);
  if (seg[0] !== "secrets") return undefined;
  const team = d.team();
  const store = secretsOf(d.state, team.id);
  if (seg.length === 1 && method === "GET") return listSecrets(d, store);
  if (seg.length === 1 && method === "POST") return createSecret(d, store);
  if (seg.length === 2) {
    const found = findSecret(store, decodeURIComponent(seg[1]));
    if (!found) throw d.fail(404, `secret "${seg[1]}" not found`);
    if (method === "GET") return { status: 200, body: secretJson(found) };
    if (method === "POST") return updateSecret(d, found);
    if (method === "DELETE") {
      store.delete(found.secretID);
      return { status: 204 };
    }
  }
  throw d.fail(405, `method ${method} not allowed on /${seg.join("/")}`);
}

function updateNetwork(d: RouteDeps, id: string): RouteReply {
  const team = d.team();
  const s = d.state.getSandbox(team.id, id);
  if (!s) throw d.fail(404, `sandbox "${id}" doesn't exist or you don't have access to it`);
  if (s.state !== "running") throw d.fail(409, `sandbox "${id}" is not running`);
  const body = (d.body ?? {}) as Record<string, unknown>;
  const network = parseNetwork(
    { allowOut: body.allowOut, denyOut: body.denyOut, rules: body.rules, egressProxy: body.egressProxy },
    d.fail,
  );
  const prev = networkBySandbox.get(s);
  // The update replaces the egress config: omitted fields are cleared, public-traffic settings stay.
  networkBySandbox.set(s, {
    ...prev,
    network: {
      ...network,
      allowPublicTraffic: prev?.network?.allowPublicTraffic,
      maskRequestHost: prev?.network?.maskRequestHost,
    },
    allowInternetAccess:
      typeof body.allow_internet_access === "boolean" ? body.allow_internet_access : undefined,
  });
  return { status: 204 };
}

const secretStores = new WeakMap<E2BState, Map<string, Map<string, SecretRecord>>>();

/** One team's secrets (by secret id), for tests to inspect. */
export function secretsOf(state: E2BState, teamId: string): Map<string, SecretRecord> {
  let teams = secretStores.get(state);
  if (!teams) secretStores.set(state, (teams = new Map()));
  let store = teams.get(teamId);
  if (!store) teams.set(teamId, (store = new Map()));
  return store;
}

function findSecret(store: Map<string, SecretRecord>, idOrName: string): SecretRecord | undefined {
  return store.get(idOrName) ?? [...store.values()].find((s) => s.name === idOrName.toLowerCase());
}

function secretJson(s: SecretRecord) {
  return {
    secretID: s.secretID,
    name: s.name,
    currentVersion: s.currentVersion,
    metadata: s.metadata,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

function metadataOf(v: unknown, d: RouteDeps): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw d.fail(400, "metadata must be an object");
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 32) throw d.fail(400, "metadata has more than 32 entries");
  for (const [, x] of entries)
    if (typeof x !== "string") throw d.fail(400, "metadata values must be strings");
  return v as Record<string, string>;
}

function valueOf(body: Record<string, unknown>, d: RouteDeps): string {
  if (typeof body.value !== "string" || body.value === "") throw d.fail(400, "value is required");
  return body.value;
}

function createSecret(d: RouteDeps, store: Map<string, SecretRecord>): RouteReply {
  const body = (d.body ?? {}) as Record<string, unknown>;
  const name = body.name;
  if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(name))
    throw d.fail(400, "name must be 1 to 128 characters of letters, digits, '_' or '-'");
  const canonical = name.toLowerCase();
  if (canonical.startsWith("sec_")) throw d.fail(400, "the sec_ prefix is reserved for secret identifiers");
  if (findSecret(store, canonical)) throw d.fail(409, `secret "${canonical}" already exists`);
  const value = valueOf(body, d);
  const now = d.state.now();
  const rec: SecretRecord = {
    secretID: `sec_${randomBytes(12).toString("hex")}`,
    name: canonical,
    valueSha256: sha256(value),
    currentVersion: 1,
    metadata: metadataOf(body.metadata, d) ?? {},
    createdAt: now,
    updatedAt: now,
  };
  store.set(rec.secretID, rec);
  return { status: 201, body: secretJson(rec) };
}

function updateSecret(d: RouteDeps, rec: SecretRecord): RouteReply {
  const body = (d.body ?? {}) as Record<string, unknown>;
  rec.valueSha256 = sha256(valueOf(body, d));
  rec.currentVersion++;
  const metadata = metadataOf(body.metadata, d);
  if (metadata) rec.metadata = metadata;
  rec.updatedAt = d.state.now();
  return { status: 200, body: secretJson(rec) };
}

function listSecrets(d: RouteDeps, store: Map<string, SecretRecord>): RouteReply {
  const limitRaw = d.query.get("limit");
  const limit = limitRaw === null ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw d.fail(400, "limit must be an integer between 1 and 100");
  const all = [...store.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const token = d.query.get("nextToken");
  const after = token ? Buffer.from(token, "base64url").toString("utf8") : undefined;
  const rest = after === undefined ? all : all.filter((s) => s.name > after);
  const page = rest.slice(0, limit);
  const headers: Record<string, string> = {};
  if (rest.length > limit)
    headers["X-Next-Token"] = Buffer.from(page[page.length - 1].name).toString("base64url");
  return { status: 200, body: page.map(secretJson), headers };
}
