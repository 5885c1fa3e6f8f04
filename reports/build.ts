/**
 * Turns what the analyzer returned for one stack into the report data model. The verdict rules and
 * the stack summary (environment, costs) live in the pack's folder (policies/api.ts) so that `pulumi
 * preview` (through E2B_GUARDRAILS_REPORT) and our commands decide cases and price environments with
 * the same code and the same reconciled policy config; this module only adapts engine types to them.
 */
import path from "node:path";
import {
  applicableCases,
  buildReport as buildReportModel,
  buildStackReport as buildStackReportModel,
  configuredLevel,
  ArtifactReader,
  DYNAMIC_RESOURCE_TYPE,
  describeResource,
  exportFieldFindings,
  findingFromDiagnostic,
  sortFindings,
  StackIndex,
  stackUrnOf,
  summarizedStackReport,
  type CaseId,
  type Finding,
  type PackConfig,
  programSourceFindings,
  PROGRAM_SOURCE_POLICY,
  type ProviderSource,
  type Report,
  type StackConfigValues,
  type StackReport,
  NO_CONFIG,
} from "../policies/api";
import type { AnalysisResult, AnalyzerInfo } from "../engine/analyzer-host";
import { gitIgnoredFiles } from "../engine/git-ignored";
import { UNKNOWN, type ResourceGraph } from "../engine/graph";

/** Our pack's name: only its policies map to cases; with any other pack every case is not-applicable. */
export const OUR_PACK = "e2b-guardrails";

const toolVersion: string = (require("../package.json") as { version: string }).version;

export function findingsOf(info: AnalyzerInfo, analysis: AnalysisResult): Finding[] {
  return analysis.diagnostics.map((d) => {
    const f = findingFromDiagnostic(d);
    return info.name === OUR_PACK ? f : { ...f, caseId: null };
  });
}

/** Cases the stack gives evidence for: a stack policy of the case ran and did not say not-applicable. */
function applicable(info: AnalyzerInfo, analysis: AnalysisResult, config: PackConfig): Set<CaseId> {
  if (info.name !== OUR_PACK) return new Set();
  const ran = info.policies
    .filter(
      (p) => p.policyType === "stack" && configuredLevel(config, p.name, p.enforcementLevel) !== "disabled",
    )
    .map((p) => p.name);
  return applicableCases(
    ran,
    analysis.stackNotApplicable.map((n) => n.policy),
  );
}

/**
 * `config` is the reconciled policy config the session sent with Configure. With our pack, what the
 * analyzer protocol cannot carry (a state export's resource ids, provider-reference ids and
 * deployment fields) is judged here by the pack's own code (policies/export-fields.ts) and joins the
 * pack's findings: one list, one verdict.
 */
export function buildStackReport(
  info: AnalyzerInfo,
  graph: ResourceGraph,
  analysis: AnalysisResult,
  config: PackConfig,
): StackReport {
  const ours = info.name === OUR_PACK;
  // The files resources deploy, read as the pack reads them (its roots), only when a check asks:
  // a disabled policy's case is judged on the same evidence the pack's report file holds.
  const artifacts = new ArtifactReader(
    graph.source.kind === "program"
      ? [path.resolve(graph.source.path)]
      : ArtifactReader.rootsFrom(new Map(Object.entries(graph.tags)), process.env),
  );
  // The configuration as the pack is sent it with ConfigureStack (engine/analyzer-host.ts).
  const stackConfig: StackConfigValues = {
    values: graph.config,
    secretKeys: new Set(graph.configSecretKeys ?? []),
    plaintextOfSecret: graph.configPlaintext,
    stackFiles: graph.stackFiles?.siblings.length ? graph.stackFiles : undefined,
  };
  const index = StackIndex.fromGraph(graph.resources, graph.stack, graph.project, {
    artifacts,
    config: stackConfig,
  });
  const findings = findingsOf(info, analysis);
  const cases = applicable(info, analysis, config);
  if (ours) {
    const program = programFindings(graph, index, findings, config);
    findings.push(...exportFieldFindings(graph, config), ...program);
    // The key read from the program's environment under its E2B name is a trace of E2B, as an
    // E2B-named variable in a resource is: its case is judged (inconclusive), not not-applicable.
    for (const f of program) if (f.inconclusive && f.caseId) cases.add(f.caseId);
    // With the policy that reports them disabled, a key in the program's code is still evidence that
    // E2B-01 has something to judge: the case reads inconclusive (judged without it), not N/A (rt41 #6).
    if (
      configuredLevel(config, PROGRAM_SOURCE_POLICY, "mandatory") === "disabled" &&
      programFindings(graph, index, findings, NO_CONFIG).length > 0
    )
      cases.add("E2B-01");
  }
  return summarizedStackReport({
    index,
    config,
    tags: graph.tags,
    findings,
    applicable: cases,
    costs: info.name === OUR_PACK,
    secretsHidden: graph.secretsHidden,
  });
}

/**
 * Keys in a previewed program's own code, or in files of its folder it read, that no resource of the
 * stack shows (policies/program-source.ts).
 */
function programFindings(
  graph: ResourceGraph,
  index: StackIndex,
  found: readonly Finding[],
  config: PackConfig,
): Finding[] {
  if (graph.source.kind !== "program") return [];
  const providers = serializedProviders(graph);
  const stackUrn = stackUrnOf(graph.resources);
  const reader = new ArtifactReader([graph.source.path], PROGRAM_SOURCE_LIMITS);
  // Keys the pack's findings name (those in files resources deploy too, which this index does not read).
  let named: Set<string> | undefined;
  const inFindings = () =>
    (named ??= new Set(found.flatMap((f) => (f.keyFingerprint ? [f.keyFingerprint] : []))));
  let inStack: Set<string> | undefined;
  const known = () => (inStack ??= new Set([...index.keyFingerprints(), ...inFindings()]));
  // A key held only by an approved store is judged there as fine: a literal of it in the code is not.
  const storedIn = (fingerprint: string) => {
    if (inFindings().has(fingerprint)) return undefined;
    const holder = index.storedOnlyKeys().get(fingerprint);
    return holder && describeResource(holder);
  };
  let variables: Set<string> | undefined;
  const input = {
    files: graph.programModules ?? [],
    ...readsByGit(graph),
    projectFiles: [path.join(graph.source.path, "Pulumi.yaml")],
    stackFiles: graph.stackConfigFile ? [graph.stackConfigFile] : [],
    providers,
    stackUrn,
    inStack: known,
    storedIn,
    // What the engine recorded the program reading while unset (it may set a variable itself, from a
    // `.env`: real40 bug 1); else this process's environment, which the program ran with.
    ...(graph.programUnsetEnv
      ? { unsetReads: graph.programUnsetEnv }
      : { unsetInEnvironment: (name: string) => !process.env[name] }),
    namedInStack: (name: string) => (variables ??= variableNames(index)).has(name),
    keyReads: graph.programKeyEnv,
    // Hidden by secret config not decrypted here: with it decrypted, the value shows (real43 #1); or
    // variables not known until deploy (real44 #1).
    hiddenInputs: () => {
      if (index.hiddenConfigs().size > 0) return "inputs that hold secret config not decrypted here";
      const variables = index.hiddenVariables();
      return variables && `variables and settings not known until deploy (${variables})`;
    },
  };
  return programSourceFindings(reader, input, config);
}

/** The files the program read, apart as git ignores them or not (a local `.env`, real42 #1). */
function readsByGit(graph: ResourceGraph): { reads: string[]; ignoredReads: string[] } {
  const reads = graph.programReads ?? [];
  if (reads.length === 0 || graph.source.kind !== "program") return { reads, ignoredReads: [] };
  const ignored = gitIgnoredFiles(graph.source.path, reads);
  return { reads: reads.filter((f) => !ignored.has(f)), ignoredReads: reads.filter((f) => ignored.has(f)) };
}

/** The environment-variable names the stack's resources hold (their scans' named leaves). */
function variableNames(index: StackIndex): Set<string> {
  const out = new Set<string>();
  for (const r of index.resources) for (const l of index.scan(r).named) if (l.envName) out.add(l.envName);
  return out;
}

/** The serialized provider of each dynamic resource the program registered (its raw `__provider` input). */
function serializedProviders(graph: ResourceGraph): ProviderSource[] {
  const out: ProviderSource[] = [];
  for (const r of graph.resources) {
    const source = r.inputs.__provider;
    if (r.type === DYNAMIC_RESOURCE_TYPE && typeof source === "string" && source !== UNKNOWN)
      out.push({ urn: r.urn, type: r.type, name: r.name, source });
  }
  return out;
}

/** A program's modules are code, not a website: smaller bounds than the artifacts a stack deploys. */
const PROGRAM_SOURCE_LIMITS = {
  maxFileBytes: 2 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxFiles: 5_000,
};

/** Add findings that only an org-wide view can see (they appear in every stack they involve). */
export function addFindings(
  report: StackReport,
  extra: readonly Finding[],
  applicableExtra: Iterable<CaseId>,
): StackReport {
  if (extra.length === 0) return report;
  const findings = sortFindings([...report.findings, ...extra]);
  const applicableSet = new Set<CaseId>([
    ...report.cases.filter((c) => c.status !== "not-applicable").map((c) => c.id),
    ...applicableExtra,
  ]);
  return buildStackReportModel({ ...report, findings, applicable: applicableSet });
}

export function buildReport(info: AnalyzerInfo, stacks: StackReport[], generatedAt = new Date()): Report {
  return buildReportModel(stacks, {
    tool: { name: "e2b-guardrails", version: toolVersion },
    pack: { name: info.name, version: info.version },
    generatedAt: generatedAt.toISOString(),
  });
}
