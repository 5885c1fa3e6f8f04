/**
 * What only a stack export carries and the analyzer protocol never sends the pack: each resource's
 * `id`, the id part of its provider reference (`<provider urn>::<id>`; the protocol sends the
 * provider's URN and properties), and the deployment's own fields besides its resources (`manifest`,
 * `secrets_providers`, `pending_operations`, `metadata`, …), and a resource's fields the graph has no
 * place for (`initErrors`, `importID`, `aliases`, …). `audit` reads them from the export
 * (engine/state-loader.ts) and judges them here, outside the pack process, as e2b-01-key-from-secret-store
 * findings: the same finding model, level and waivers as the pack's own (docs/architecture.md "What only
 * an export carries"). Key material in any of them fails E2B-01.
 */
import { describeEncoding, findMaterial, type Encoding } from "./detect/material";
import { scanProps, stackUrnOf } from "./detect/scanner";
import { displayPath, normalizeWire, printable } from "./detect/walk";
import { keyFromSecretStore } from "./e2b-01-key-from-secret-store";
import { judgeAs } from "./policy-dsl";
import type { Finding } from "./report";
import { NO_CONFIG, type PackConfig } from "./settings";

export const EXPORT_FIELDS_POLICY = keyFromSecretStore.name;

/** engine/limits.ts LIMITS.depth, named in findings (a test keeps the two equal). */
export const TREE_DEPTH_LIMIT = 4096;

/** A resource of a stack export, as far as these fields go. */
export interface ExportResourceLike {
  urn: string;
  type: string;
  name: string;
  id?: string;
  /** `<provider urn>::<id>`. */
  provider?: string;
  outputs?: unknown;
  /** The resource's fields the graph has no place for (engine/graph.ts GraphResource.otherFields). */
  otherFields?: Readonly<Record<string, unknown>>;
  /** What nests deeper than the depth limit, as text, by field (engine/graph.ts GraphResource.tooDeep). */
  tooDeep?: ReadonlyArray<{ field: string; text: readonly string[] }>;
}

export interface ExportLike {
  resources: readonly ExportResourceLike[];
  /** The deployment's fields other than `resources`, in the wire format (state-loader.ts). */
  deploymentFields?: Readonly<Record<string, unknown>>;
  /** What the deployment fields nest deeper than the depth limit, as text (engine/graph.ts). */
  deploymentTooDeep?: ExportResourceLike["tooDeep"];
}

const FIELD_WORDS: Record<string, string> = {
  manifest: "manifest",
  secrets_providers: "secrets provider configuration",
  pending_operations: "pending operations",
  metadata: "snapshot metadata",
  "checkpoint.config": "stack configuration (in the checkpoint)",
  "checkpoint.stack": "stack name (in the checkpoint)",
};

/** Key material in an export's ids, provider-reference ids and deployment fields; masks only. */
export function exportFieldFindings(exp: ExportLike, config: PackConfig = NO_CONFIG): Finding[] {
  const judge = judgeAs(keyFromSecretStore, config);
  if (!judge) return [];
  const out: Finding[] = [];
  const said = new Set<string>();
  const push = (
    urn: string,
    what: string,
    m: { mask: string; fingerprint: string; encoding: Encoding },
    path: string,
  ) => {
    const once = `${urn}\u0000${path}\u0000${m.fingerprint}`;
    if (said.has(once)) return;
    said.add(once);
    const enc = describeEncoding(m.encoding);
    const message = `${what} carries E2B key material (${m.mask}) at ${displayPath(path)}${enc ? ` (${enc})` : ""}. Keep the key out of ids, references and the deployment's settings; store it in a secret manager and rotate it.`;
    out.push({
      ...judge.finding(urn, message),
      path: displayPath(path),
      keyFingerprint: m.fingerprint,
    });
  };
  // Past the depth limit a tree is read as text: keys there are found, and the limit is named.
  const tooDeep = (urn: string, label: string, parts: ExportResourceLike["tooDeep"]) => {
    for (const { field, text } of parts ?? []) {
      const where = `${printable(field)} (deeper than ${TREE_DEPTH_LIMIT} levels)`;
      for (const t of text) for (const m of findMaterial(t)) push(urn, `${label} ${where}`, m, field);
      out.push({
        ...judge.finding(
          urn,
          `${label} ${where}: what lies deeper than the limit was read as text, for E2B key material only; its structure was not judged.`,
        ),
        enforcementLevel: "advisory",
        path: field,
      });
    }
  };
  for (const r of exp.resources) {
    const label = `${r.type} '${r.name}'`;
    // The pack judges the outputs; an `id` the outputs repeat was judged there.
    const outputsId = isRecord(r.outputs) ? r.outputs.id : undefined;
    if (r.id && r.id !== outputsId)
      for (const m of findMaterial(r.id)) push(r.urn, `${label} resource id`, m, "id");
    const cut = r.provider ? r.provider.lastIndexOf("::") : -1;
    if (r.provider && cut > 0)
      for (const m of findMaterial(r.provider.slice(cut + 2)))
        push(r.urn, `${label} provider reference (the provider's id)`, m, "provider");
    for (const [field, value] of Object.entries(r.otherFields ?? {}))
      for (const k of scanProps("pulumi:export-resource", normalizeWire({ [field]: value })).keys)
        push(r.urn, `${label} field '${printable(field)}'`, k, k.path);
    tooDeep(r.urn, label, r.tooDeep);
  }
  const fields = exp.deploymentFields ?? {};
  const stackUrn = stackUrnOf(exp.resources);
  tooDeep(stackUrn, "The deployment's", exp.deploymentTooDeep);
  for (const [field, value] of Object.entries(fields)) {
    const words = FIELD_WORDS[field] ?? `'${field}' field`;
    // One scan as for resource properties: values, property names, documents and encodings.
    for (const k of scanProps("pulumi:deployment", normalizeWire({ [field]: value })).keys)
      push(stackUrn, `The deployment's ${words}`, k, k.path);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
