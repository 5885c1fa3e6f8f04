#!/usr/bin/env node
/**
 * The protocol's floor for an audit: the least a tool must do to put a stack export through a policy
 * pack. Read and parse the export, decode its secrets as the engine must (ciphertext → the opaque
 * secret, plaintext → its value), start the pack with run-policy-pack, GetAnalyzerInfo, Configure,
 * ConfigureStack, Analyze each registered resource with inputs (16 in flight, as the engine), one
 * AnalyzeStack with outputs, parents, dependencies and provider — then print the diagnostic count.
 * No report, no config reconciliation, no graph. Plain JavaScript so it pays no TypeScript loader.
 *
 *   node bench/minimal-client.js <pack dir> <stack export>
 *
 * Prints one JSON line: { diagnostics, ms: { start, load, analyze, analyzeStack, total } }.
 */
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");
const { performance } = require("node:perf_hooks");

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const CONCURRENCY = 16;

function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v === null || typeof v !== "object") return v;
  if (v[SIG] === SECRET) {
    const value = typeof v.plaintext === "string" ? JSON.parse(v.plaintext) : "[secret]";
    return { [SIG]: SECRET, value };
  }
  const out = {};
  for (const k of Object.keys(v)) out[k] = decode(v[k]);
  return out;
}

async function main() {
  const t0 = performance.now();
  const [packArg, file] = process.argv.slice(2);
  const packDir = path.resolve(packArg);
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const pulumiDir = path.dirname(path.dirname(path.dirname(runner)));
  const load = (m) => require(require.resolve(m, { paths: [pulumiDir] }));
  const grpc = load("@grpc/grpc-js");
  const analyzer = load("@pulumi/pulumi/proto/analyzer_pb");
  const { Struct } = load("google-protobuf/google/protobuf/struct_pb");
  const { Empty } = load("google-protobuf/google/protobuf/empty_pb");
  const { AnalyzerClient } = load("@pulumi/pulumi/proto/analyzer_grpc_pb");

  const child = spawn(process.execPath, [runner, "127.0.0.1:0", packDir], {
    cwd: packDir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const portP = new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once("line", (l) => resolve(Number(l.trim())));
    child.once("exit", (c) => reject(new Error(`pack exited ${c}`)));
  });

  // Parse while the pack starts, as the engine could.
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const resources = doc.deployment.resources.map((r) => ({
    ...r,
    inputs: decode(r.inputs ?? {}),
    outputs: decode(r.outputs ?? {}),
  }));
  const tLoad = performance.now();

  const port = await portP;
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  const call = (m, req) =>
    new Promise((resolve, reject) => client[m](req, (e, r) => (e ? reject(e) : resolve(r))));
  await call("getAnalyzerInfo", new Empty());
  await call("configure", new analyzer.ConfigureAnalyzerRequest());
  const tStart = performance.now();

  const first = resources[0]?.urn ?? "urn:pulumi:unknown::unknown::x::y";
  const [, stack, project] = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(first) ?? [];
  const sc = new analyzer.AnalyzerStackConfigureRequest();
  sc.setStack(stack);
  sc.setProject(project);
  sc.setOrganization("organization");
  sc.setDryRun(false);
  await call("configureStack", sc);

  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const provider = (r, stage) => {
    if (!r.provider) return undefined;
    const p = byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
    if (!p) return undefined;
    const pr = new analyzer.AnalyzerProviderResource();
    pr.setType(p.type);
    pr.setProperties(Struct.fromJavaScript(p[stage]));
    pr.setUrn(p.urn);
    pr.setName(p.urn.slice(p.urn.lastIndexOf("::") + 2));
    return pr;
  };
  const describe = (msg, r, stage) => {
    msg.setType(r.type);
    msg.setProperties(Struct.fromJavaScript(r[stage]));
    msg.setUrn(r.urn);
    msg.setName(r.urn.slice(r.urn.lastIndexOf("::") + 2));
    const o = new analyzer.AnalyzerResourceOptions();
    if (r.parent) o.setParent(r.parent);
    o.setProtect(!!r.protect);
    msg.setOptions(o);
    const pr = provider(r, stage);
    if (pr) msg.setProvider(pr);
    return msg;
  };

  let diagnostics = 0;
  const registered = resources.filter((r) => !r.external);
  let next = 0;
  const worker = async () => {
    while (next < registered.length) {
      const r = registered[next++];
      const resp = await call("analyze", describe(new analyzer.AnalyzeRequest(), r, "inputs"));
      diagnostics += resp.getDiagnosticsList().length;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const tAnalyze = performance.now();

  const req = new analyzer.AnalyzeStackRequest();
  req.setResourcesList(
    resources.map((r) => {
      const ar = describe(new analyzer.AnalyzerResource(), r, "outputs");
      if (r.parent) ar.setParent(r.parent);
      ar.setDependenciesList(r.dependencies ?? []);
      const pd = ar.getPropertydependenciesMap();
      for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
        const d = new analyzer.AnalyzerPropertyDependencies();
        d.setUrnsList(urns);
        pd.set(k, d);
      }
      return ar;
    }),
  );
  const stackResp = await call("analyzeStack", req);
  diagnostics += stackResp.getDiagnosticsList().length;
  const tEnd = performance.now();

  client.close();
  child.kill("SIGTERM");
  const ms = (a, b) => Math.round(b - a);
  process.stdout.write(
    JSON.stringify({
      diagnostics,
      ms: {
        start: ms(t0, tStart),
        load: ms(t0, tLoad),
        analyze: ms(tStart, tAnalyze),
        analyzeStack: ms(tAnalyze, tEnd),
        total: ms(t0, tEnd),
      },
    }) + "\n",
    () => process.exit(0),
  );
}

main().catch((e) => {
  console.error(`minimal-client: ${e.message}`);
  process.exit(1);
});
