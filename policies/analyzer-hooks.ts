/**
 * Where the pack sees the analyzer protocol itself. `@pulumi/policy` keeps the reconciled config, the
 * stack's identity and the request bodies to itself and gives each policy only its own slice, so the
 * pack wraps the handlers the SDK registers for the Analyzer service (one interception point, installed
 * by index.ts before the PolicyPack starts serving) and feeds the preview session:
 *
 *   Configure       → the reconciled config of every policy (levels and properties); a policy or a
 *                     setting the pack does not have is refused (INVALID_ARGUMENT)
 *   ConfigureStack  → a new stack: reset, then its name, project, tags and configuration
 *   Analyze         → the resource's inputs, whatever policies are enabled; the diagnostics returned
 *   AnalyzeStack    → the stack's resources, read once for every stack policy (the SDK is handed a
 *                     request listing none, stack-request.ts); when it has answered, the report file
 *                     (E2B_GUARDRAILS_REPORT), written once
 *
 * A hook that fails leaves the SDK's own handling untouched.
 */
import * as path from "node:path";
import type { EnforcementLevel } from "./enforcement";
import { firstUnknownSetting, type ConfigurablePolicy } from "./config-settings";
import { redactKeys } from "./detect/keys";
import { redactMaterial } from "./detect/redact";
import {
  CONFIG_PLAINTEXT_TAG,
  parseStackOutputReads,
  STACK_OUTPUT_READS_TAG,
  type ResourceLike,
  type StackConfigValues,
} from "./detect/stack-index";
import { parseStackFilesTag, STACK_FILES_TAG } from "./detect/stack-files";
import { plainTreeNow } from "./detect/plain-tree";
import type { PreviewSession } from "./preview-session";
import type { DiagnosticLike } from "./report";
import { reportFileProblem, reportFileTarget, writeReportFile } from "./report-file";
import type { PolicyConfigEntry } from "./settings";
import { stackResourcesOf, withoutResources } from "./stack-request";

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes carry no types */
type Pb = any;
type Callback = (err: unknown, response?: Pb) => void;
type Handler = (call: { request: Pb }, callback: Callback) => unknown;

/** Modules as the SDK itself resolves them, so the hooks see the very classes it uses. */
function sdkRequire(id: string): Pb {
  const from = path.dirname(require.resolve("@pulumi/policy/package.json"));
  return require(require.resolve(id, { paths: [from] }));
}

/** Enum value → lower-case name without prefix, from the generated enum object itself. */
function enumNames(e: Record<string, number>, prefix = ""): Map<number, string> {
  return new Map(Object.entries(e).map(([k, v]) => [v, k.slice(prefix.length).toLowerCase()]));
}

/**
 * The stack's configuration from ConfigureStack as the CLI sends it: every value (secure ones
 * decrypted) and the keys that are secure in the stack file. None from a protocol without both fields:
 * without the secure keys, a secret would read as plaintext.
 */
function stackConfigOf(req: Pb): StackConfigValues | undefined {
  if (typeof req.getConfigMap !== "function" || typeof req.getConfigSecretKeysList !== "function")
    return undefined;
  return {
    values: Object.fromEntries(req.getConfigMap().entries()),
    secretKeys: new Set<string>(req.getConfigSecretKeysList()),
    plaintextOfSecret: plaintextOfSecret(req.getTagsMap?.().get(CONFIG_PLAINTEXT_TAG)),
    stackFiles: parseStackFilesTag(req.getTagsMap?.().get(STACK_FILES_TAG)),
    stackOutputReads: parseStackOutputReads(req.getTagsMap?.().get(STACK_OUTPUT_READS_TAG)),
  };
}

/** The offline engine's CONFIG_PLAINTEXT_TAG: `{ key: JSON }`; anything else is ignored. */
function plaintextOfSecret(tag: unknown): Record<string, string> | undefined {
  if (typeof tag !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(tag);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === "string",
      ),
    );
  } catch {
    return undefined;
  }
}

export function installAnalyzerHooks(session: PreviewSession, policies: readonly ConfigurablePolicy[]): void {
  let grpc: Pb, analyzerpb: Pb, deserialize: Pb;
  try {
    grpc = sdkRequire("@grpc/grpc-js");
    analyzerpb = sdkRequire("@pulumi/pulumi/proto/analyzer_pb");
    deserialize = sdkRequire("@pulumi/policy/deserialize");
  } catch {
    return; // Not under the SDK we know: policies still run, from what each call gives them.
  }
  const levels = enumNames(analyzerpb.EnforcementLevel);
  const severities = enumNames(analyzerpb.PolicySeverity, "POLICY_SEVERITY_");
  const props = (struct: Pb) => deserialize.deserializeProperties(struct, false) as Record<string, unknown>;

  const diagnosticsOf = (resp: Pb, urn: string): DiagnosticLike[] =>
    (resp?.getDiagnosticsList?.() ?? []).map((d: Pb) => ({
      policyName: d.getPolicyname(),
      message: d.getMessage(),
      description: d.getDescription(),
      enforcementLevel: levels.get(d.getEnforcementlevel()) ?? "advisory",
      severity: severities.get(d.getSeverity?.() ?? 0),
      urn: d.getUrn() || urn,
    }));

  const hooks: Record<string, (original: Handler) => Handler> = {
    configure: (original) => (call, callback) => {
      // The CLI lets through what its schema check does not look at; refused here, so a setting left
      // under the wrong policy fails the preview instead of changing nothing (config-settings.ts).
      const problem = unknownSettingIn(call.request, policies);
      if (problem)
        return callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: redactMaterial(`policy config: ${problem}`),
        });
      observe(() => {
        const config = new Map<string, PolicyConfigEntry>();
        for (const [name, v] of call.request.getPolicyconfigMap().entries())
          config.set(name, {
            enforcementLevel: (levels.get(v.getEnforcementlevel()) ?? "advisory") as EnforcementLevel,
            properties: (v.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
          });
        session.configure(config);
      });
      return original(call, callback);
    },
    configureStack: (original) => (call, callback) => {
      observe(() => {
        const req = call.request;
        session.beginStack({
          stack: req.getStack?.() ?? "",
          project: req.getProject?.() ?? "",
          organization: req.getOrganization?.() ?? "",
          tags: Object.fromEntries(req.getTagsMap?.().entries() ?? []),
          config: stackConfigOf(req),
        });
      });
      return original(call, callback);
    },
    analyze: (original) => (call, callback) => {
      const urn: string = call.request.getUrn();
      observe(() => session.recordInputs(urn, plainTreeNow(props(call.request.getProperties()))));
      return original(call, (err, resp) => {
        if (!err) observe(() => session.noteDiagnostics(diagnosticsOf(resp, urn)));
        callback(err, resp);
      });
    },
    analyzeStack: (original) => (call, callback) => {
      // The stack's resources read once for every stack policy; the SDK then builds no list of its
      // own (stack-request.ts). If reading fails, the SDK's handling is left as it is.
      let resources: ResourceLike[] | undefined;
      observe(() => (resources = stackResourcesOf(call.request, props)));
      if (resources) session.beginAnalyzeStack(resources);
      return original(resources ? withoutResources(call) : call, (err, resp) => {
        const file = err ? undefined : reportFileTarget();
        if (!file) {
          session.endStack();
          return callback(err, resp);
        }
        // Written before the answer goes out, so the file is complete when the preview sees the result.
        Promise.resolve()
          .then(() =>
            session.stackReport(
              resources ?? stackResourcesOf(call.request, props) ?? [],
              diagnosticsOf(resp, ""),
              (resp.getNotApplicableList?.() ?? []).map((n: Pb) => n.getPolicyName()),
            ),
          )
          .then((stack) => writeReportFile(file, [stack]), reportFileProblem)
          .finally(() => {
            session.endStack();
            callback(err, resp);
          });
      });
    },
  };

  const server = grpc.Server.prototype;
  const addService = server.addService;
  if (addService.__e2bHooked) return;
  const hooked = function (this: unknown, service: Pb, implementation: Record<string, Handler>) {
    // Only the Analyzer service (the SDK registers nothing else) is wrapped.
    if (service && "analyzeStack" in service && implementation) {
      implementation = { ...implementation };
      for (const [name, wrap] of Object.entries(hooks))
        if (typeof implementation[name] === "function") implementation[name] = wrap(implementation[name]);
    }
    return addService.call(this, service, implementation);
  };
  hooked.__e2bHooked = true;
  server.addService = hooked;
}

/** The first policy or setting of a ConfigureAnalyzerRequest the pack does not have. */
function unknownSettingIn(req: Pb, policies: readonly ConfigurablePolicy[]): string | undefined {
  let entries: [string, Record<string, unknown>][];
  try {
    entries = [...req.getPolicyconfigMap().entries()].map(([name, v]: [string, Pb]) => [
      name,
      (v.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
    ]);
  } catch {
    return undefined; // A request of a shape we do not know: the SDK's own handling decides.
  }
  return firstUnknownSetting(policies, entries);
}

function observe(f: () => void): void {
  try {
    f();
  } catch (e) {
    console.error(`e2b-guardrails: analyzer hook failed (${redactKeys(String(e))})`);
  }
}
