/**
 * `e2b-guardrails sandboxes audit`: the command function with injected streams (prompt answers,
 * exit codes, JSON shape) and the real binary spawned against the local E2B API.
 */
import "../support/e2b-api/sdk";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { startE2BServer, type E2BServer } from "../support/e2b-api";
import { runSandboxesAudit, type SandboxesAuditFlags } from "../../cli/sandboxes";
import type { SandboxPolicy } from "../../runtime";
import { tmpDir } from "../support/tmp";

const ROOT = path.resolve(__dirname, "../..");
const H = 3_600_000;
/** Planted in sandbox metadata: attribution by that key must not print it. */
const planted = "e2b_" + "0badc0de99".repeat(4);

const policy: SandboxPolicy = {
  environment: "staging",
  teamId: "t",
  requiredMetadata: ["user_id"],
  timeoutCeilingSeconds: 3600,
  autoPause: { enabled: true, maxPausedSeconds: 86_400 },
  sandbox: { vcpu: 2, memoryMiB: 512 },
};

let server: E2BServer;
let teamId: string;
let apiKey: string;
let leakedIds: string[];
let fineIds: string[];

beforeEach(async () => {
  server = await startE2BServer();
  ({ teamId } = server.state.addTeam());
  apiKey = server.state.addApiKey(teamId).key;
  const now = Date.now();
  fineIds = server.state
    .seedSandboxes(120, {
      teamId,
      metadata: (i) => ({ user_id: `u${i % 2}`, note: i === 0 ? planted : "x" }),
    })
    .map((s) => s.sandboxID);
  leakedIds = [
    ...server.state.seedSandboxes(2, {
      teamId,
      metadata: { user_id: "u0" },
      startedAt: new Date(now - 2 * H),
      idPrefix: "old",
    }),
    ...server.state.seedSandboxes(1, { teamId, metadata: {}, idPrefix: "anon" }),
  ].map((s) => s.sandboxID);
});
afterEach(() => server.close());

async function run(
  flags: SandboxesAuditFlags,
  opts: { env?: Record<string, string | undefined>; answer?: string } = {},
) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  if (opts.answer !== undefined) stdin.end(opts.answer);
  else stdin.end();
  const code = await runSandboxesAudit(
    { apiUrl: server.url, ...flags },
    {
      env: { E2B_API_KEY: apiKey, ...opts.env },
      stdout,
      stderr,
      stdin,
      retry: { sleep: async () => {}, random: () => 0 },
    },
  );
  return { code, out, err };
}

const deletes = () => server.requests.filter((r) => r.method === "DELETE");
const alive = (id: string) => server.state.getSandbox(teamId, id) !== undefined;

describe("runSandboxesAudit", () => {
  test("JSON report has exactly the stable shape; exit 1 when leaks are found; no kill without --kill", async () => {
    const { code, out } = await run({
      format: "json",
      maxAge: "1h",
      requireMetadata: "user_id",
      by: "user_id",
    });
    expect(code).toBe(1);
    const r = JSON.parse(out);
    expect(Object.keys(r)).toEqual([
      "generatedAt",
      "total",
      "running",
      "paused",
      "costPerHourUsd",
      "attribution",
      "leaked",
      "killed",
      "suspect",
      "skipped",
    ]);
    expect([r.total, r.running, r.paused]).toEqual([123, 123, 0]);
    expect(Object.keys(r.attribution[0])).toEqual(["key", "value", "count", "costPerHourUsd"]);
    expect(Object.keys(r.leaked[0])).toEqual([
      "sandboxId",
      "templateId",
      "startedAt",
      "state",
      "reasons",
      "costSoFarUsd",
    ]);
    expect(r.leaked.map((l: { sandboxId: string }) => l.sandboxId).sort()).toEqual([...leakedIds].sort());
    expect(r.killed).toEqual([]);
    expect(deletes()).toEqual([]);
  });

  test("exit 0 when nothing leaked", async () => {
    for (const id of leakedIds) server.state.killSandbox(teamId, id);
    const { code, out } = await run({ maxAge: "1h", requireMetadata: "user_id" });
    expect(code).toBe(0);
    expect(out).toContain("No leaked sandboxes.");
  });

  test("--kill asks first; answering no kills nothing", async () => {
    const { code, out, err } = await run(
      { kill: true, maxAge: "1h", requireMetadata: "user_id" },
      { answer: "n\n" },
    );
    expect(code).toBe(1);
    expect(err).toMatch(/Kill 3 leaked sandboxes \(.*\)\? \[y\/N\]/);
    expect(err).toContain("Not killed");
    expect(out).toContain("Leaked sandboxes: 3");
    expect(deletes()).toEqual([]);
  });

  test("--kill with no answer at all (stdin closed) kills nothing", async () => {
    const { err } = await run({ kill: true, maxAge: "1h", requireMetadata: "user_id" });
    expect(err).toContain("Not killed");
    expect(deletes()).toEqual([]);
  });

  test("--kill answered yes kills the leaked sandboxes and only them", async () => {
    const { code, out } = await run(
      { kill: true, maxAge: "1h", requireMetadata: "user_id" },
      { answer: "y\n" },
    );
    expect(code).toBe(1);
    expect(out).toMatch(/^Killed: /m);
    expect(
      deletes()
        .map((r) => r.path.split("/").pop())
        .sort(),
    ).toEqual([...leakedIds].sort());
    for (const id of leakedIds) expect(alive(id)).toBe(false);
    for (const id of fineIds) expect(alive(id)).toBe(true);
  });

  test("--kill --yes does not ask; JSON lists the killed ids", async () => {
    const { out, err } = await run({
      kill: true,
      yes: true,
      format: "json",
      maxAge: "1h",
      requireMetadata: "user_id",
    });
    expect(err).not.toContain("[y/N]");
    expect(JSON.parse(out).killed.sort()).toEqual([...leakedIds].sort());
    for (const id of fineIds) expect(alive(id)).toBe(true);
  });

  test("the policy supplies max age, required metadata and max paused age; --env picks it from a file", async () => {
    const dir = tmpDir("sbx-audit-");
    const file = path.join(dir, "policies.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        staging: policy,
        prod: { ...policy, environment: "prod", timeoutCeilingSeconds: 86_400 },
      }),
    );
    const staging = JSON.parse((await run({ format: "json", policy: file, env: "staging" })).out);
    expect(staging.leaked).toHaveLength(3);
    const prod = JSON.parse((await run({ format: "json", policy: file, env: "prod" })).out);
    expect(prod.leaked.map((l: { sandboxId: string }) => l.sandboxId)).toEqual([leakedIds[2]]); // 2h < 24h
    const fromEnv = await run({ format: "json" }, { env: { E2B_SANDBOX_POLICY: JSON.stringify(policy) } });
    expect(JSON.parse(fromEnv.out).leaked).toHaveLength(3);
    const several = await run({ policy: file });
    expect(several.code).toBe(2);
    expect(several.err).toMatch(/choose one with --env/);
    const unknown = await run({ policy: file, env: "dev" });
    expect(unknown.err).toMatch(/--env dev: .* has no policy for it \(has: staging, prod\)/);
  });

  test.each([
    [{ maxAge: "2 hours" }, /--max-age: "2 hours" is not a duration/],
    [{}, /no maximum age/],
    [{ maxAge: "1h", format: "xml" }, /--format/],
    [{ maxAge: "1h", pageSize: "500" }, /--page-size/],
    [{ maxAge: "1h", yes: true }, /--yes only makes sense with --kill/],
    // Longer than a Node timer waits: it would fire at once (rt54 #8).
    [{ maxAge: "1h", deadline: "25d" }, /^error: --deadline: "25d" is longer than 24 days\n$/],
    [{ maxAge: "1h", requestTimeout: "30d" }, /^error: --request-timeout: "30d" is longer than 24 days\n$/],
    [{ maxAge: "99999999999999999999d" }, /^error: --max-age: "99999999999999999999d" is too long to count/],
    [{ maxAge: "1h", metadata: ["novalue"] }, /--metadata/],
    [{ maxAge: "1h", env: "prod" }, /no policy to read it from/],
    [
      { maxAge: "1h", policy: "/nonexistent/p.json" },
      /--policy \/nonexistent\/p.json: cannot read \(ENOENT\)/,
    ],
    [{ maxAge: "1h", policy: "/dev/zero" }, /^error: --policy too large: \/dev\/zero \(limit 4 MiB\)\n$/],
  ] as [SandboxesAuditFlags, RegExp][])("bad usage %p → exit 2", async (flags, message) => {
    const { code, err } = await run(flags);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(server.requests).toEqual([]);
  });

  test("a policy file holding a key is refused by its mask; the parser never gets to quote it", async () => {
    const dir = tmpDir("sbx-audit-");
    const file = path.join(dir, "policy.json");
    // Not JSON (the key is unquoted): V8's message would quote `e2b_` and the next six hex digits.
    fs.writeFileSync(file, `{"environment": "staging", "apiKey": ${planted}}`);
    const { code, err } = await run({ policy: file });
    expect(code).toBe(2);
    expect(err).toMatch(/contains key material \(e2b_…de99\)/);
    expect(err).not.toContain(planted.slice(0, 10));
    expect(server.requests).toEqual([]);
  });

  test("--output naming the --policy file is refused and the policy kept (it was deleted)", async () => {
    const dir = tmpDir("sbx-audit-");
    const file = path.join(dir, "policy.json");
    fs.writeFileSync(file, JSON.stringify({ environment: "staging", timeoutCeilingSeconds: 3600 }));
    const before = fs.readFileSync(file, "utf8");
    const { code, err } = await run({ policy: file, output: file });
    expect(code).toBe(2);
    expect(err.trim()).toMatch(/^error: --output .*policy\.json: it is also read, as --policy;/);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
    expect(server.requests).toEqual([]);
  });

  test("no E2B_API_KEY → exit 2", async () => {
    const { code, err } = await run({ maxAge: "1h" }, { env: { E2B_API_KEY: undefined } });
    expect(code).toBe(2);
    expect(err).toMatch(/E2B_API_KEY is not set/);
  });

  test("a planted key in metadata never reaches the output, text or JSON", async () => {
    const text = await run({ maxAge: "1h", by: "note,user_id" });
    const json = await run({ maxAge: "1h", by: "note", format: "json" });
    for (const o of [text, json]) {
      expect(o.out + o.err).not.toContain(planted);
      expect(o.out + o.err).not.toContain(apiKey);
    }
    expect(text.out).toContain("note=e2b_…de99");
  });

  test("the digits of the auditor's own key in metadata are masked too, whole or in part (rt54 #7)", async () => {
    expect(apiKey).toMatch(/^e2b_[0-9a-f]{40}$/);
    const digits = apiKey.slice(4);
    server.state.seedSandboxes(1, { teamId, metadata: { user_id: "u9", note: `token ${digits}` } });
    server.state.seedSandboxes(1, {
      teamId,
      metadata: { user_id: "u9", note: `part ${digits.slice(8, 28)}` },
    });
    const text = await run({ maxAge: "1h", by: "note" });
    const json = await run({ maxAge: "1h", by: "note", format: "json" });
    for (const o of [text, json])
      expect(o.out + o.err).not.toMatch(new RegExp(`${digits.slice(8, 20)}`, "i"));
    expect(text.out).toContain(`note=token e2b_…${apiKey.slice(-4)}`);
  });
});

function runCli(
  args: string[],
  env: Record<string, string>,
  input = "",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin/e2b-guardrails.js"), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("the e2b-guardrails binary", () => {
  test("sandboxes audit --format json against the local API: exit 1, the report, no key printed", async () => {
    const r = await runCli(
      [
        "sandboxes",
        "audit",
        "--format",
        "json",
        "--max-age",
        "1h",
        "--require-metadata",
        "user_id",
        "--by",
        "note",
      ],
      {
        E2B_API_KEY: apiKey,
        E2B_API_URL: server.url,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.total).toBe(123);
    expect(report.leaked).toHaveLength(3);
    expect(r.stdout + r.stderr).not.toContain(apiKey);
    expect(r.stdout + r.stderr).not.toContain(planted);
  });

  test("--kill piped 'y' kills only the leaked ones; --api-url flag works", async () => {
    const r = await runCli(
      [
        "sandboxes",
        "audit",
        "--kill",
        "--max-age",
        "1h",
        "--require-metadata",
        "user_id",
        "--api-url",
        server.url,
      ],
      { E2B_API_KEY: apiKey },
      "y\n",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[y/N]");
    expect(r.stdout).toMatch(/^Killed: /m);
    for (const id of leakedIds) expect(alive(id)).toBe(false);
    for (const id of fineIds) expect(alive(id)).toBe(true);
  });

  test("401: exit 2 with a clear message naming the key by its mask", async () => {
    const bad = "e2b_" + "1234567890".repeat(4);
    const r = await runCli(["sandboxes", "audit", "--max-age", "1h"], {
      E2B_API_KEY: bad,
      E2B_API_URL: server.url,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused the API key e2b_…7890 \(401\)/);
    expect(r.stdout + r.stderr).not.toContain(bad);
  });

  test("--api-key is not an option (keys come from the environment only): exit 2, value not echoed", async () => {
    const r = await runCli(["sandboxes", "audit", "--max-age", "1h", "--api-key", apiKey], {
      E2B_API_URL: server.url,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--api-key'/);
    expect(r.stdout + r.stderr).not.toContain(apiKey);
    expect(server.requests).toEqual([]);
  });
});
