/**
 * Drives any CrossGuard policy pack over the analyzer gRPC protocol, the way the Pulumi CLI does:
 * spawn `@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder, read the port from the first stdout
 * line (and keep draining), GetAnalyzerInfo, reconcile config, Configure, ConfigureStack, Analyze each
 * resource (bounded concurrency), AnalyzeStack, stop. Knows nothing about any particular policy.
 */
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { redactKeys } from "../policies/detect/keys";
import { packTimeoutMs, startPackProcess, type PackProcess } from "./pack-process";
import { limitDepth } from "./depth-limit";
import { checkGraphLimits } from "./limits";
import { mapPool } from "./map-pool";
import { encodeAnalyzeRequest, encodeAnalyzeStackRequest, type ProviderInfo } from "./analyzer-wire";
import type { GraphResource, ResourceGraph, WireObject } from "./graph";
import { analyzerProperties } from "./marshal";
import {
  readPolicyConfigFile,
  reconcilePolicyConfig,
  type Level,
  type PolicyDescriptor,
  type ReconciledEntry,
  type UserPolicyConfig,
} from "./policy-config";

/* The generated stubs ship untyped-in-practice with @pulumi/pulumi; we load them from the copy the pack uses. */
type Pb = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Severity = "low" | "medium" | "high" | "critical" | "unspecified";

export interface PolicyInfo extends PolicyDescriptor {
  description: string;
  displayName?: string;
  severity: Severity;
  remediationSteps?: string;
  url?: string;
  policyType: "resource" | "stack" | "unknown";
}

export interface AnalyzerInfo {
  name: string;
  version: string;
  displayName?: string;
  description?: string;
  policies: PolicyInfo[];
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: Level;
  severity: Severity;
  urn: string;
}

export interface NotApplicable {
  policy: string;
  reason: string;
}

export interface AnalysisResult {
  diagnostics: Diagnostic[];
  /** Policies a stack policy declared not applicable to this stack at AnalyzeStack. */
  stackNotApplicable: NotApplicable[];
  /** Lines the pack printed while analyzing this stack (already redacted). */
  log: string[];
}

export { startFailure } from "./pack-process";

const LEVELS: Level[] = ["advisory", "mandatory", "disabled", "remediate"]; // proto enum order
const SEVERITIES: Severity[] = ["unspecified", "low", "medium", "high", "critical"];

export interface StartOptions {
  /** Environment for the pack process (merged over ours). */
  env?: NodeJS.ProcessEnv;
  /** Analyze calls in flight at once (default 16). */
  concurrency?: number;
}

export class AnalyzerHost {
  private constructor(
    readonly packDir: string,
    private readonly child: ChildProcess,
    private readonly client: Pb,
    private readonly pb: { analyzer: Pb; struct: Pb; empty: Pb },
    readonly info: AnalyzerInfo,
    private readonly initialConfig: Record<
      string,
      { enforcementLevel?: Level; properties?: Record<string, unknown> }
    >,
    private readonly log: string[],
    private readonly concurrency: number,
  ) {}

  private config: Map<string, ReconciledEntry> | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  /**
   * Start the pack and connect to it; with `opts.process`, connect to a pack already started by
   * `startPackProcess` (pack-process.ts) for this folder.
   */
  static async start(
    packDir: string,
    opts: StartOptions & { process?: PackProcess } = {},
  ): Promise<AnalyzerHost> {
    const pack = opts.process ?? startPackProcess(packDir, opts);
    if (pack.dir !== path.resolve(packDir))
      throw new Error(`the pack process was started for ${pack.dir}, not ${path.resolve(packDir)}`);
    pack.adopt();
    try {
      return await AnalyzerHost.connect(pack, opts);
    } catch (e) {
      // A pack that printed garbage or failed GetAnalyzerInfo may still be running: never leave it behind.
      if (pack.child.exitCode === null) pack.child.kill("SIGKILL");
      throw e;
    }
  }

  private static async connect(pack: PackProcess, opts: StartOptions): Promise<AnalyzerHost> {
    const { dir, child, log } = pack;
    // The stubs come from the @pulumi/pulumi the pack itself runs on; loaded after its process started.
    const load = (m: string) => require(require.resolve(m, { paths: [pack.pulumiDir] }));
    const grpc: Pb = load("@grpc/grpc-js");
    const pb = {
      analyzer: load("@pulumi/pulumi/proto/analyzer_pb"),
      struct: load("google-protobuf/google/protobuf/struct_pb"),
      empty: load("google-protobuf/google/protobuf/empty_pb"),
    };
    const { AnalyzerClient } = load("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
      AnalyzerClient: new (address: string, credentials: unknown, options: object) => Pb;
    };
    const port = await pack.port;
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    const rawInfo = await call<Pb>(client, "getAnalyzerInfo", new pb.empty.Empty());
    const info = toAnalyzerInfo(rawInfo);
    const initialConfig: Record<string, { enforcementLevel?: Level; properties?: Record<string, unknown> }> =
      {};
    rawInfo.getInitialconfigMap().forEach((v: Pb, k: string) => {
      initialConfig[k] = {
        enforcementLevel: LEVELS[v.getEnforcementlevel()],
        properties: v.getProperties()?.toJavaScript() ?? {},
      };
    });
    return new AnalyzerHost(dir, child, client, pb, info, initialConfig, log, opts.concurrency ?? 16);
  }

  /** Reconcile and send configuration. `config` is a `--policy-config` file path or its parsed content. */
  async configure(config?: string | UserPolicyConfig): Promise<Map<string, ReconciledEntry>> {
    const user = typeof config === "string" ? readPolicyConfigFile(config) : (config ?? {});
    const reconciled = reconcilePolicyConfig(
      this.info.policies,
      this.initialConfig,
      user,
      typeof config === "string" ? config : "policy config",
    );
    const req = new this.pb.analyzer.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, entry] of reconciled) {
      const pc = new this.pb.analyzer.PolicyConfig();
      // Always set the level: a missing one decodes as 0 = advisory and would silently downgrade.
      pc.setEnforcementlevel(LEVELS.indexOf(entry.enforcementLevel));
      pc.setProperties(this.pb.struct.Struct.fromJavaScript(entry.properties));
      map.set(name, pc);
    }
    await call(this.client, "configure", req);
    this.config = reconciled;
    return reconciled;
  }

  /**
   * Analyze one stack. Calls are serialized per host because ConfigureStack sets process-wide state in
   * the pack (stack tags); the Analyze calls within one stack run concurrently.
   */
  analyze(graph: ResourceGraph, opts: { dryRun?: boolean } = {}): Promise<AnalysisResult> {
    const run = this.busy.then(() => this.analyzeNow(graph, opts.dryRun ?? graph.source.kind === "program"));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async analyzeNow(graph: ResourceGraph, dryRun: boolean): Promise<AnalysisResult> {
    checkGraphLimits(graph); // too large or too deep is one line (InputError), not a protobuf failure
    if (!this.config) await this.configure();
    const { analyzer } = this.pb;
    const logStart = this.log.length;

    const stackReq = new analyzer.AnalyzerStackConfigureRequest();
    stackReq.setStack(graph.stack);
    stackReq.setProject(graph.project);
    stackReq.setOrganization(graph.organization);
    stackReq.setDryRun(dryRun);
    for (const [k, v] of Object.entries(graph.config)) stackReq.getConfigMap().set(k, v);
    stackReq.setConfigSecretKeysList(graph.configSecretKeys ?? []);
    for (const [k, v] of Object.entries(graph.tags)) stackReq.getTagsMap().set(k, v);
    // Where the program's relative asset paths are rooted (policies/detect/artifacts.ts PROGRAM_DIR_TAG).
    // An export's program folder is not known: the empty tag says so, and the pack reads its relative
    // paths only from E2B_GUARDRAILS_PROGRAM_DIR, not the shell's folder (real47 #4).
    stackReq
      .getTagsMap()
      .set(
        "e2b-guardrails:program-dir",
        graph.source.kind === "program" ? path.resolve(graph.programDir ?? graph.source.path) : "",
      );
    // Structured secret config as written, secure leaves masked (policies/detect/stack-index.ts CONFIG_PLAINTEXT_TAG).
    if (graph.configPlaintext && Object.keys(graph.configPlaintext).length)
      stackReq.getTagsMap().set("e2b-guardrails:config-plaintext", JSON.stringify(graph.configPlaintext));
    // The E2B keys of the project's other stack files (policies/detect/stack-files.ts STACK_FILES_TAG).
    if (graph.stackFiles?.siblings.length)
      stackReq.getTagsMap().set("e2b-guardrails:stack-files", JSON.stringify(graph.stackFiles));
    // The outputs the program asked of its StackReferences (policies/detect/stack-index.ts STACK_OUTPUT_READS_TAG).
    if (graph.stackOutputReads?.length)
      stackReq.getTagsMap().set("e2b-guardrails:stack-output-reads", JSON.stringify(graph.stackOutputReads));
    await call(this.client, "configureStack", stackReq);

    const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
    const diagnostics: Diagnostic[] = [];
    const toDiagnostic = (d: Pb, urn: string): Diagnostic => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
      severity: SEVERITIES[d.getSeverity()] ?? "unspecified",
      urn: d.getUrn() || urn,
    });

    // Values as the CLI marshals them for analyzers (resource references downgraded to id or URN), deep
    // subtrees flattened: protobuf recursion would fail the whole call (depth-limit.ts).
    const sentValues = (o: WireObject) => limitDepth(analyzerProperties(o)) as WireObject;
    // Requests are encoded straight to bytes (analyzer-wire.ts); a provider's message is built once
    // per provider and stage, not once per resource that names it.
    const providers = new Map<string, ProviderInfo | null>();
    const provider = (r: GraphResource, stage: "inputs" | "outputs"): ProviderInfo | undefined => {
      if (!r.provider) return undefined;
      const key = `${stage}\u0000${r.provider}`;
      let info = providers.get(key);
      if (info === undefined) {
        const cut = r.provider.lastIndexOf("::");
        const p = (cut > 0 ? byUrn.get(r.provider.slice(0, cut)) : undefined) ?? byUrn.get(r.provider);
        info = p ? { type: p.type, urn: p.urn, name: p.name, properties: sentValues(p[stage]) } : null;
        providers.set(key, info);
      }
      return info ?? undefined;
    };

    // Reads (`.get`, StackReference) are not new registrations: the CLI only analyzes them at the stack level.
    const sent = graph.resources.map((r): GraphResource => ({
      ...r,
      inputs: sentValues(r.inputs),
      outputs: sentValues(r.outputs),
    }));
    const registered = sent.filter((r) => !r.external);
    await mapPool(registered, this.concurrency, async (r) => {
      const resp = await callBytes<Pb>(
        this.client,
        ANALYZE,
        encodeAnalyzeRequest(r, provider(r, "inputs")),
        analyzer.AnalyzeResponse,
      );
      for (const d of resp.getDiagnosticsList()) diagnostics.push(toDiagnostic(d, r.urn));
    });

    const stackResp = await callBytes<Pb>(
      this.client,
      ANALYZE_STACK,
      encodeAnalyzeStackRequest(sent, (r) => provider(r, "outputs")),
      analyzer.AnalyzeResponse,
    );
    for (const d of stackResp.getDiagnosticsList()) diagnostics.push(toDiagnostic(d, ""));
    const stackNotApplicable: NotApplicable[] = stackResp
      .getNotApplicableList()
      .map((n: Pb) => ({ policy: n.getPolicyName(), reason: n.getReason() }));

    // Let the pack's stdout drain before we slice this stack's log lines.
    await new Promise((r) => setImmediate(r));
    return { diagnostics, stackNotApplicable, log: this.log.slice(logStart) };
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      if (this.child.exitCode === null) this.child.kill("SIGKILL");
    }
  }
}

const ANALYZE = "/pulumirpc.Analyzer/Analyze";
const ANALYZE_STACK = "/pulumirpc.Analyzer/AnalyzeStack";

/** A unary call whose request is already protobuf bytes; the response is decoded with its stub. */
function callBytes<T>(client: Pb, path: string, bytes: Buffer, response: Pb): Promise<T> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => response.deserializeBinary(b),
      bytes,
      { deadline: Date.now() + packTimeoutMs() },
      (err: Error | null, resp: T) =>
        err
          ? reject(new Error(`analyzer ${path.slice(path.lastIndexOf("/") + 1)}: ${redactKeys(err.message)}`))
          : resolve(resp),
    ),
  );
}

function call<T = unknown>(client: Pb, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](req, { deadline: Date.now() + packTimeoutMs() }, (err: Error | null, resp: T) =>
      err ? reject(new Error(`analyzer ${method}: ${redactKeys(err.message)}`)) : resolve(resp),
    ),
  );
}

function toAnalyzerInfo(raw: Pb): AnalyzerInfo {
  const policyTypes = ["unknown", "resource", "stack"] as const;
  return {
    name: raw.getName(),
    version: raw.getVersion(),
    displayName: raw.getDisplayname() || undefined,
    description: raw.getDescription() || undefined,
    policies: raw.getPoliciesList().map((p: Pb) => {
      const schema = p.getConfigschema();
      return {
        name: p.getName(),
        displayName: p.getDisplayname() || undefined,
        description: p.getDescription(),
        enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? "advisory",
        severity: SEVERITIES[p.getSeverity?.() ?? 0] ?? "unspecified",
        remediationSteps: p.getRemediationSteps?.() || undefined,
        url: p.getUrl?.() || undefined,
        policyType: policyTypes[p.getPolicyType?.() ?? 0] ?? "unknown",
        configSchema: schema
          ? { properties: schema.getProperties()?.toJavaScript() ?? {}, required: schema.getRequiredList() }
          : undefined,
      } satisfies PolicyInfo;
    }),
  };
}
