/**
 * What the detectors keep for one preview (one ConfigureStack … AnalyzeStack run of the pack): the
 * inputs each resource policy saw at Analyze, the scans of those trees and the documents parsed out
 * of their strings (ScanCache: the resource policy's scan at Analyze is the stack policies' scan at
 * AnalyzeStack, and every rule's walk parses a text once), the stack index every stack policy
 * shares, and the artifact reader. One object with one lifetime — `reset()` at the start of the next preview —
 * instead of module-level caches; the pack's preview session (preview-session.ts) owns the instance.
 */
import { ArtifactReader } from "./artifacts";
import { DEFAULT_PUBLIC_PREFIXES } from "./client-surfaces";
import { ScanCache, type ResourceScan } from "./scanner";
import { StackIndex, type ResourceLike, type StackConfigValues } from "./stack-index";
import type { Tree } from "./walk";

export class DetectRun {
  private inputs = new Map<string, Tree>();
  private index:
    { resources: readonly ResourceLike[]; signature: string; index: Promise<StackIndex> } | undefined;
  private reader: ArtifactReader | undefined;
  /** Scans and parsed documents of this run: a tree is scanned, a document parsed, once per run. */
  private scans = new ScanCache();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** A new preview started: forget the previous one's inputs, index and artifacts. */
  reset(): void {
    this.inputs.clear();
    this.index = undefined;
    this.reader = undefined;
    this.scans = new ScanCache();
  }

  /** The scan of a resource's props for this run (the stack index reuses it for the same tree). */
  scan(
    type: string,
    props: Tree,
    publicPrefixes: readonly string[] = DEFAULT_PUBLIC_PREFIXES,
    artifacts?: ArtifactReader,
  ): ResourceScan {
    return this.scans.scan(type, props, publicPrefixes, artifacts);
  }

  recordInputs(urn: string, props: Tree): void {
    this.inputs.set(urn, props);
  }

  /** The resource's inputs are being decoded again: the last recorded tree no longer stands. */
  forgetInputs(urn: string): void {
    this.inputs.delete(urn);
  }

  inputsOf(urn: string): Tree | undefined {
    return this.inputs.get(urn);
  }

  /** The artifact reader for this run; the stack tags say where the program lives (artifacts.ts). */
  artifacts(stackTags?: ReadonlyMap<string, string>): ArtifactReader {
    const roots = ArtifactReader.rootsFrom(stackTags, this.env);
    if (!this.reader || this.reader.roots.join("\u0000") !== roots.join("\u0000"))
      this.reader = new ArtifactReader(roots);
    return this.reader;
  }

  /**
   * The index of the stack the current AnalyzeStack carries: kept by the list it was built from
   * (the list the analyzer hooks read from the request, the same for every stack policy), else by
   * its URNs (a policy handed its resources by the SDK gets fresh objects for every call).
   */
  indexFor(
    resources: readonly ResourceLike[],
    stackTags?: ReadonlyMap<string, string>,
    identity: { stack?: string; project?: string; config?: StackConfigValues } = {},
  ): Promise<StackIndex> {
    if (this.index?.resources === resources) return this.index.index;
    let signature = `${resources.length}`;
    for (const r of resources) signature += `|${r.urn}`;
    if (this.index?.signature === signature) return this.index.index;
    const index = StackIndex.fromPolicyResources(resources, {
      inputsOf: (urn) => this.inputsOf(urn),
      artifacts: this.artifacts(stackTags),
      scans: this.scans,
      stack: identity.stack,
      project: identity.project,
      config: identity.config,
    });
    this.index = { resources, signature, index };
    return index;
  }
}
