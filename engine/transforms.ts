/**
 * Resource transforms (`registerResourceTransform`, the `transforms` resource option), run as the
 * Pulumi engine runs them (pkg/resource/deploy/source_eval.go, RegisterResource): the program's SDK
 * serves each transform from its callback server and tells the monitor where (RegisterStackTransform,
 * or the registration's `transforms`); for every registration the engine calls the resource's own
 * transforms, then its parents' (nearest first), then the stack's, each with what the one before
 * returned, and registers the result. Platform teams tag every resource this way, so a stack that uses
 * them must be previewed with them, not refused.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes carry no types */
type Pb = any;
type Callback = (err: unknown, resp?: unknown) => void;

/** What running transforms needs from a transport: its message classes and a client per target. */
export interface TransformProtocol {
  /** `@pulumi/pulumi/proto/resource_pb` (TransformRequest, TransformResponse, TransformResourceOptions). */
  resource: Pb;
  /** `@pulumi/pulumi/proto/callback_pb` (CallbackInvokeRequest). */
  callback: Pb;
  /** A Callbacks service client for a callback server's address (`127.0.0.1:port`). */
  client(target: string): { invoke(req: Pb, cb: Callback): void; close(): void };
}

/**
 * The protocol from one SDK copy: `load` resolves its modules (`@pulumi/pulumi/proto/…`), `grpc` is
 * the @grpc/grpc-js it uses.
 */
export function transformProtocol(
  load: (module: string) => Pb,
  grpc: { credentials: { createInsecure(): unknown } },
): TransformProtocol {
  const { CallbacksClient } = load("@pulumi/pulumi/proto/callback_grpc_pb");
  return {
    resource: load("@pulumi/pulumi/proto/resource_pb"),
    callback: load("@pulumi/pulumi/proto/callback_pb"),
    client: (target) => new CallbacksClient(target, grpc.credentials.createInsecure()),
  };
}

export class TransformRunner {
  private readonly stack: Pb[] = [];
  /** The `transforms` option of each resource registered with one: they apply to its children too. */
  private readonly own = new Map<string, Pb[]>();
  private readonly clients = new Map<string, ReturnType<TransformProtocol["client"]>>();

  constructor(private readonly protocol: TransformProtocol) {}

  registerStackTransform(cb: Pb): void {
    if (!cb?.getTarget?.()) throw new Error("target must be specified");
    this.stack.push(cb);
  }

  /**
   * The transforms a registration runs, in the engine's order; `parentOf` walks the resources
   * registered so far. Remembers the registration's own for its children.
   */
  transformsFor(r: Pb, urn: string, parentOf: (urn: string) => string | undefined): Pb[] {
    const mine: Pb[] = r.getTransformsList?.() ?? [];
    if (mine.length) this.own.set(urn, mine);
    const out = [...mine];
    const seen = new Set<string>();
    for (let p: string | undefined = r.getParent(); p && !seen.has(p); p = parentOf(p)) {
      seen.add(p);
      out.push(...(this.own.get(p) ?? []));
    }
    return out.concat(this.stack);
  }

  /**
   * Run `transforms` over the registration `r`, writing what they return back into it. Its
   * dependencies are read back from the options only when it has transforms of its own, as the
   * engine does.
   */
  async apply(r: Pb, transforms: Pb[]): Promise<void> {
    const own = (r.getTransformsList?.() ?? []).length > 0;
    const { resource, callback } = this.protocol;
    let props = r.getObject() ?? null;
    let opts = optionsOf(resource, r);
    for (const t of transforms) {
      const req = new resource.TransformRequest();
      req.setName(r.getName());
      req.setType(r.getType());
      req.setCustom(r.getCustom());
      req.setParent(r.getParent());
      if (props) req.setProperties(props);
      req.setOptions(opts);
      const invoke = new callback.CallbackInvokeRequest();
      invoke.setToken(t.getToken());
      invoke.setRequest(req.serializeBinary());
      const reply: Pb = await new Promise((resolve, reject) =>
        this.client(t.getTarget()).invoke(invoke, (e, resp) => (e ? reject(e) : resolve(resp))),
      );
      const res = resource.TransformResponse.deserializeBinary(reply.getResponse_asU8());
      if (res.hasProperties()) props = res.getProperties();
      if (res.hasOptions()) opts = res.getOptions();
    }
    r.setObject(props ?? undefined);
    writeOptions(r, opts, own);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private client(target: string) {
    let c = this.clients.get(target);
    if (!c) {
      c = this.protocol.client(target);
      this.clients.set(target, c);
    }
    return c;
  }
}

/** A registration's options as the engine hands them to a transform (TransformResourceOptions). */
function optionsOf(resource: Pb, r: Pb): Pb {
  const o = new resource.TransformResourceOptions();
  o.setDependsOnList(r.getDependenciesList());
  if (r.getProtect?.()) o.setProtect(true);
  o.setIgnoreChangesList(r.getIgnorechangesList?.() ?? []);
  o.setReplaceOnChangesList(r.getReplaceonchangesList?.() ?? []);
  o.setVersion(r.getVersion?.() ?? "");
  o.setAliasesList(r.getAliasesList?.() ?? []);
  o.setProvider(r.getProvider());
  const timeouts = r.getCustomtimeouts?.();
  if (timeouts) o.setCustomTimeouts(timeouts);
  o.setPluginDownloadUrl(r.getPlugindownloadurl?.() ?? "");
  if (r.getRetainondelete?.()) o.setRetainOnDelete(true);
  o.setDeletedWith(r.getDeletedwith?.() ?? "");
  if (r.getDeletebeforereplacedefined?.()) o.setDeleteBeforeReplace(r.getDeletebeforereplace());
  o.setAdditionalSecretOutputsList(r.getAdditionalsecretoutputsList?.() ?? []);
  o.setImport?.(r.getImportid?.() ?? "");
  const providers = o.getProvidersMap();
  r.getProvidersMap?.().forEach((v: string, k: string) => providers.set(k, v));
  return o;
}

/** What a transform returned, back into the registration the monitor records. */
function writeOptions(r: Pb, o: Pb, dependencies: boolean): void {
  if (dependencies) r.setDependenciesList(o.getDependsOnList());
  if (o.getImport?.() !== undefined) r.setImportid?.(o.getImport());
  if (o.hasProtect?.()) r.setProtect(o.getProtect());
  r.setIgnorechangesList(o.getIgnoreChangesList());
  r.setReplaceonchangesList?.(o.getReplaceOnChangesList());
  r.setVersion?.(o.getVersion());
  r.setAliasesList?.(o.getAliasesList());
  r.setProvider(o.getProvider());
  if (o.hasCustomTimeouts?.()) r.setCustomtimeouts?.(o.getCustomTimeouts());
  if (o.hasDeleteBeforeReplace?.()) r.setDeletebeforereplace?.(o.getDeleteBeforeReplace());
  r.setAdditionalsecretoutputsList?.(o.getAdditionalSecretOutputsList());
  const providers = r.getProvidersMap?.();
  if (providers) {
    providers.clear();
    o.getProvidersMap().forEach((v: string, k: string) => providers.set(k, v));
  }
}
