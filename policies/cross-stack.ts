/**
 * What only shows across stacks (org-wide `audit` over several state files): the same key value (by
 * fingerprint) or the same secret reference in stacks of different environments (E2B-02), and the same
 * E2B team serving production and non-production environments (E2B-07). Pure functions: the CLI
 * extracts facts per stack with `stackFacts`, then `crossStackFindings` compares them in one pass
 * (indexes keyed by fingerprint, reference and team; linear in the number of facts).
 *
 * Findings appear in each stack they involve (DESIGN.md "JSON report").
 */
import type { GraphResourceLike } from "./detect/stack";
import { DEFAULT_ENVIRONMENT_TAG_KEYS, inferTier } from "./detect/environment";
import { readString } from "./detect/env-model";
import { modelSecretReference } from "./detect/secret-refs";
import { StackIndex, STACK_TYPE, scanProps } from "./detect/stack";
import type { Tier } from "./model";
import { withCase, type Finding } from "./report";

export const CROSS_STACK_KEY_POLICY = "e2b-02-no-cross-environment-key-reference";
export const CROSS_STACK_TEAM_POLICY = "e2b-07-workspace-isolation";

export interface StackFacts {
  /** Identifies the stack in findings, e.g. `project/stack`. */
  stack: string;
  /** The environment the stack stands for (E2BEnvironment name, tag or stack name). */
  environment: string;
  tier: Tier | null;
  /** Key material seen in the stack: fingerprints and masks only. */
  keys: Array<{ fingerprint: string; mask: string; urn: string; environment: string; tier: Tier | null }>;
  /** Secret references of E2B environments (model.ts `secretReference`). */
  secretReferences: Array<{ reference: string; urn: string; environment: string; tier: Tier | null }>;
  /** E2B teams the stack's environments (and key resources) use. */
  teams: Array<{ teamId: string; urn: string; environment: string; tier: Tier | null }>;
}

/** A resource as the engine graph or a state export carries it (wire format). */
export type { GraphResourceLike } from "./detect/stack";

const ENV_TAG_KEYS = DEFAULT_ENVIRONMENT_TAG_KEYS;

/** Extract the facts of one stack from its resources (state export or program graph). */
export function stackFacts(
  resources: readonly GraphResourceLike[],
  meta: { stack?: string; project?: string; environment?: string } = {},
): StackFacts {
  const index = StackIndex.fromGraph(resources, meta.stack, meta.project);
  const label = `${meta.project ?? index.project}/${meta.stack ?? index.stack}`;
  const envNames = [...new Set(index.environments.map((e) => e.name))];
  const environment =
    meta.environment ?? (envNames.length === 1 ? envNames[0] : (index.stack || "").toLowerCase());
  const facts: StackFacts = {
    stack: label,
    environment,
    tier: inferTier(environment),
    keys: [],
    secretReferences: [],
    teams: [],
  };
  const seenKeys = new Set<string>();
  for (const r of index.resources) {
    // Stack outputs are facts too (a key exported by one stack and read by another).
    // A stack's outputs are what other stacks read; other resources are judged by their inputs.
    const scan = r.type === STACK_TYPE ? scanProps(r.type, r.outputs) : index.scan(r);
    const env = index.environmentOf(r, ENV_TAG_KEYS);
    for (const k of scan.keys) {
      const id = `${k.fingerprint}|${env.name}`;
      if (seenKeys.has(id)) continue;
      seenKeys.add(id);
      facts.keys.push({
        fingerprint: k.fingerprint,
        mask: k.mask,
        urn: r.urn,
        environment: env.name,
        tier: env.tier,
      });
    }
  }
  for (const e of index.environments) {
    const declared = readString(e.model, "tier");
    const tier = (declared.state === "known" ? inferTier(declared.value) : null) ?? inferTier(e.name);
    const ref = modelSecretReference(e.model);
    if (ref)
      facts.secretReferences.push({
        reference: ref.reference,
        urn: e.resource.urn,
        environment: e.name,
        tier,
      });
    const team = readString(e.model, "teamId");
    if (team.state === "known")
      facts.teams.push({ teamId: team.value, urn: e.resource.urn, environment: e.name, tier });
  }
  return facts;
}

/**
 * Findings per stack (keyed by `StackFacts.stack`). Each finding names the other stacks involved;
 * fingerprints and masks only.
 */
export function crossStackFindings(all: readonly StackFacts[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>(all.map((s) => [s.stack, []]));
  // Duplicates are found through a set, not by scanning the stack's findings on every push.
  const pushed = new Set<string>();
  const push = (stack: string, f: Omit<Finding, "caseId">) => {
    const id = `${stack}\u0000${f.urn}\u0000${f.message}`;
    if (pushed.has(id)) return;
    pushed.add(id);
    (out.get(stack) ?? out.set(stack, []).get(stack)!).push(withCase(f));
  };

  /** One finding per use of something (a key, a secret) that stacks of different environments share. */
  const reportShared = <U extends { stack: string; urn: string; environment: string }>(
    uses: readonly U[],
    message: (use: U, others: string) => string,
  ) => {
    if (new Set(uses.map((u) => u.environment)).size < 2 || new Set(uses.map((u) => u.stack)).size < 2)
      return;
    for (const u of uses) {
      const others = [
        ...new Set(uses.filter((o) => o.stack !== u.stack).map((o) => `${o.stack} (${o.environment})`)),
      ];
      if (!others.length) continue;
      push(u.stack, {
        policy: CROSS_STACK_KEY_POLICY,
        enforcementLevel: "mandatory",
        severity: "high",
        urn: u.urn,
        message: message(u, others.join(", ")),
      });
    }
  };

  // The same key value in stacks of different environments.
  const byFingerprint = new Map<
    string,
    Array<{ stack: string; mask: string; urn: string; environment: string }>
  >();
  for (const s of all)
    for (const k of s.keys)
      (byFingerprint.get(k.fingerprint) ?? byFingerprint.set(k.fingerprint, []).get(k.fingerprint)!).push({
        stack: s.stack,
        ...k,
      });
  for (const [, uses] of byFingerprint)
    reportShared(
      uses,
      (u, others) =>
        `E2B key ${u.mask} of environment ${u.environment} is also used by ${others}. Give every environment its own key.`,
    );

  // The same secret reference in stacks of different environments.
  const byRef = new Map<string, Array<{ stack: string; urn: string; environment: string }>>();
  for (const s of all)
    for (const r of s.secretReferences)
      (byRef.get(r.reference) ?? byRef.set(r.reference, []).get(r.reference)!).push({ stack: s.stack, ...r });
  for (const [ref, uses] of byRef)
    reportShared(
      uses,
      (u, others) =>
        `Secret ${ref} of environment ${u.environment} is also used by ${others}, so they share one key. Store each environment's key under its own secret.`,
    );

  // One E2B team serving production and non-production across stacks.
  const byTeam = new Map<
    string,
    Array<{ stack: string; urn: string; environment: string; tier: Tier | null }>
  >();
  for (const s of all)
    for (const t of s.teams)
      (byTeam.get(t.teamId) ?? byTeam.set(t.teamId, []).get(t.teamId)!).push({ stack: s.stack, ...t });
  for (const [team, uses] of byTeam) {
    const prod = uses.filter((u) => u.tier === "production");
    const nonProd = uses.filter((u) => u.tier === "load-test" || u.tier === "development");
    const stacks = new Set(uses.map((u) => u.stack));
    if (!prod.length || !nonProd.length || stacks.size < 2) continue;
    for (const u of [...prod, ...nonProd]) {
      const others = [...prod, ...nonProd]
        .filter((o) => o.stack !== u.stack)
        .map((o) => `${o.stack} (${o.environment}, ${o.tier})`);
      if (!others.length) continue;
      push(u.stack, {
        policy: CROSS_STACK_TEAM_POLICY,
        enforcementLevel: "mandatory",
        severity: "high",
        urn: u.urn,
        message: `E2B team ${team} serves ${u.environment} (${u.tier}) here and ${[...new Set(others)].join(", ")}; production must run in its own team so a runaway test cannot take its quota or budget.`,
      });
    }
  }
  return out;
}

/**
 * Convenience for the CLI: graphs (engine `ResourceGraph`s or loaded state exports) in, findings per
 * stack out, keyed by `<project>/<stack>`.
 */
export function crossStackFindingsForGraphs(
  graphs: ReadonlyArray<{ project: string; stack: string; resources: readonly GraphResourceLike[] }>,
): Map<string, Finding[]> {
  return crossStackFindings(
    graphs.map((g) => stackFacts(g.resources, { stack: g.stack, project: g.project })),
  );
}
