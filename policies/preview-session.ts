/**
 * The pack's one piece of mutable state: what it knows about the preview it is serving. The pack
 * process lives across previews (the engine reuses one process for many stacks), so everything per
 * stack lives here and is dropped when the next stack begins (ConfigureStack):
 *
 *   Configure       → the reconciled policy config (levels, properties) and the price table
 *   ConfigureStack  → reset; the stack's name, project, tags and configuration
 *   Analyze         → each resource's inputs (recorded for every resource, whichever policies are
 *                     enabled) and the diagnostics the pack returned
 *   AnalyzeStack    → one StackIndex shared by every stack policy; at the end, the stack's report
 *
 * The analyzer hooks (analyzer-hooks.ts) feed it from the gRPC calls; the policy DSL (policy-dsl.ts)
 * reads it. A CLI that sends no ConfigureStack (older than the RPC) gets the reset on the first
 * Analyze after an AnalyzeStack instead.
 */
import type { EnforcementLevel } from "./enforcement";
import type { CaseId } from "./cases";
import type { Prices } from "./cost";
import type { ArtifactReader } from "./detect/artifacts";
import { DetectRun } from "./detect/run-state";
import type { ResourceScan } from "./detect/scanner";
import type { ResourceLike, StackConfigValues, StackIndex } from "./detect/stack-index";
import type { Tree } from "./detect/walk";
import { applicableCases, findingFromDiagnostic, type DiagnosticLike, type StackReport } from "./report";
import { configuredLevel, configuredPrices, NO_CONFIG, type PackConfig } from "./settings";
import { summarizedStackReport } from "./summary";

export interface PolicyDeclaration {
  name: string;
  kind: "resource" | "stack";
  enforcementLevel: EnforcementLevel;
}

export interface StackIdentity {
  stack: string;
  project: string;
  organization?: string;
  tags: Record<string, string>;
  /** The stack's configuration, when the CLI sent it (ConfigureStack `config`, `config_secret_keys`). */
  config?: StackConfigValues;
}

export class PreviewSession {
  private declarations: readonly PolicyDeclaration[] = [];
  private config: PackConfig = NO_CONFIG;
  private prices_: Prices = configuredPrices(NO_CONFIG);

  // Per stack: reset by beginStack.
  private identity: StackIdentity | undefined;
  /**
   * Inputs still being decoded (trees holding SDK assets); plain trees go straight to the detectors'
   * run state, so most resources keep only their tree until AnalyzeStack.
   */
  private pending = new Map<string, Promise<Tree | undefined>>();
  /** The pending inputs handed to the detectors, once for all stack policies (until more arrive). */
  private settled: Promise<void> | undefined;
  /** The detectors' state for this stack (recorded inputs, the shared index, the artifact reader). */
  private readonly detect = new DetectRun();
  private diagnostics: DiagnosticLike[] = [];
  private stackAnalyzed = false;
  /** The AnalyzeStack's resources as the hooks read them from the request (stack-request.ts). */
  private stackResources: readonly ResourceLike[] | undefined;

  /** The pack's policies as it declares them (for levels and applicability before any Configure). */
  declare(policies: readonly PolicyDeclaration[]): void {
    this.declarations = policies;
  }

  configure(config: PackConfig): void {
    this.config = config;
    this.prices_ = configuredPrices(config);
  }

  /** The reconciled config this preview runs with. */
  get policyConfig(): PackConfig {
    return this.config;
  }

  /** The one price table every rule and the report use. */
  get prices(): Prices {
    return this.prices_;
  }

  /** The level a policy runs at (remediate is reported as mandatory, as the SDK does). */
  levelOf(policy: string, declared: EnforcementLevel): EnforcementLevel {
    const l = configuredLevel(this.config, policy, declared);
    return l === "remediate" ? "mandatory" : l;
  }

  beginStack(identity?: StackIdentity): void {
    this.identity = identity;
    this.pending = new Map();
    this.settled = undefined;
    this.detect.reset();
    this.diagnostics = [];
    this.stackAnalyzed = false;
    this.stackResources = undefined;
  }

  recordInputs(urn: string, inputs: Tree | Promise<Tree>): void {
    if (this.stackAnalyzed) this.beginStack(undefined);
    if (inputs instanceof Promise) {
      // A failed decode leaves the resource judged by its outputs, as a state file is.
      this.pending.set(
        urn,
        inputs.catch(() => undefined),
      );
      this.detect.forgetInputs(urn);
      this.settled = undefined;
    } else {
      this.pending.delete(urn);
      this.detect.recordInputs(urn, inputs);
    }
  }

  /** The inputs recorded for this resource in the current stack, if its Analyze call was seen. */
  inputsOf(urn: string): Tree | Promise<Tree | undefined> | undefined {
    return this.pending.get(urn) ?? this.detect.inputsOf(urn);
  }

  noteDiagnostics(ds: readonly DiagnosticLike[]): void {
    this.diagnostics.push(...ds);
  }

  /** The scan of a resource's props, once per preview and tree (the stack index reuses it). */
  scan(
    type: string,
    props: Tree,
    publicPrefixes?: readonly string[],
    artifacts?: ArtifactReader,
  ): ResourceScan {
    return this.detect.scan(type, props, publicPrefixes, artifacts);
  }

  /** Reads the files a resource's assets and archives deploy (bounded, once per preview). */
  artifacts(stackTags?: ReadonlyMap<string, string>): ArtifactReader {
    return this.detect.artifacts(stackTags ?? this.identityTags());
  }

  /**
   * AnalyzeStack arrived: its resources, read once from the request by the analyzer hooks, are what
   * every stack policy of this call judges (the SDK hands them an empty list, stack-request.ts).
   */
  beginAnalyzeStack(resources: readonly ResourceLike[]): void {
    this.stackResources = resources;
  }

  /**
   * The index of the stack being analyzed, built once for all stack policies of one AnalyzeStack:
   * from the request's resources when the hooks read them, otherwise from the policy's own.
   */
  async stackIndex(
    resources: readonly ResourceLike[],
    stackTags?: ReadonlyMap<string, string>,
  ): Promise<StackIndex> {
    const stack = this.stackResources ?? resources;
    // Inputs are decoded as their Analyze calls arrive; the index reads them once all have settled.
    await (this.settled ??= this.settleInputs());
    return this.detect.indexFor(stack, stackTags ?? this.identityTags(), {
      stack: this.identity?.stack || undefined,
      project: this.identity?.project || undefined,
      config: this.identity?.config,
    });
  }

  private async settleInputs(): Promise<void> {
    if (this.pending.size === 0) return;
    const pending = [...this.pending];
    const trees = await Promise.all(pending.map(([, p]) => p));
    for (let i = 0; i < pending.length; i++) {
      const [urn, p] = pending[i];
      if (this.pending.get(urn) !== p) continue; // recorded again meanwhile
      this.pending.delete(urn);
      if (trees[i] !== undefined) this.detect.recordInputs(urn, trees[i]!);
    }
  }

  private identityTags(): ReadonlyMap<string, string> | undefined {
    return this.identity ? new Map(Object.entries(this.identity.tags)) : undefined;
  }

  /**
   * The stack's report when AnalyzeStack has answered: the diagnostics the pack returned (Analyze and
   * AnalyzeStack) read as the CLI reads them, the cases its enabled stack policies found evidence for,
   * and the stack summary from the configured settings.
   */
  async stackReport(
    resources: readonly ResourceLike[],
    stackDiagnostics: readonly DiagnosticLike[],
    notApplicable: readonly string[],
  ): Promise<StackReport> {
    const index = await this.stackIndex(resources);
    const ran = this.declarations
      .filter(
        (p) => p.kind === "stack" && configuredLevel(this.config, p.name, p.enforcementLevel) !== "disabled",
      )
      .map((p) => p.name);
    return summarizedStackReport({
      index,
      config: this.config,
      tags: this.identity?.tags,
      findings: [...this.diagnostics, ...stackDiagnostics].map(findingFromDiagnostic),
      applicable: applicableCases(ran, notApplicable) as Set<CaseId>,
    });
  }

  /** AnalyzeStack answered: the next Analyze without a ConfigureStack starts a new stack. */
  endStack(): void {
    this.stackAnalyzed = true;
    this.stackResources = undefined;
  }
}

/** The pack process's session (one pack process serves one preview at a time). */
export const previewSession = new PreviewSession();
