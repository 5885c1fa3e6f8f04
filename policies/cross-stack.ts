/**
 * What only shows across stacks (org-wide `audit` over several state files): the same key value (by
 * fingerprint) or the same secret reference in stacks of different environments (E2B-02), and the same
 * E2B team serving production and non-production environments (E2B-07). Pure functions: the CLI
 * extracts facts per stack with `stackFacts`, then `crossStackFindings` compares them in one pass
 * (indexes keyed by fingerprint, reference and team; linear in the number of facts).
 *
 * Findings appear in each stack they involve (DESIGN.md "JSON report"). They are judged as the
 * in-stack rules judge theirs, from the reconciled policy config: the level each policy runs at (none
 * when disabled), its waivers, e2b-02's environment tag keys and e2b-07's isolated tiers.
 */
import type { GraphResourceLike } from "./detect/stack";
import { readString, tierOf } from "./detect/env-model";
import { modelSecretReference } from "./detect/secret-refs";
import { StackIndex, STACK_TYPE } from "./detect/stack";
import { namesKeyOutput, noCrossEnvironmentKeyReference } from "./e2b-02-no-cross-environment-key-reference";
import { CONFIG_KEY_NAME } from "./detect/hidden-config";
import { namesEnvironment, otherEnvironment } from "./detect/environment";
import { isObjectTree } from "./detect/tree";
import { OPAQUE_SECRET } from "./detect/unknowns";
import { workspaceIsolation } from "./e2b-07-workspace-isolation";
import type { Tier } from "./model";
import { judgeAs, settingsOf, type Judge } from "./policy-dsl";
import type { Finding } from "./report";
import { NO_CONFIG, type PackConfig } from "./settings";
import { stackEnvironment, type StackTags } from "./summary";

export const CROSS_STACK_KEY_POLICY = noCrossEnvironmentKeyReference.name;
export const CROSS_STACK_TEAM_POLICY = workspaceIsolation.name;

export interface StackFacts {
  /** Identifies the stack in findings, e.g. `project/stack`. */
  stack: string;
  /** The environment the stack stands for (summary.ts `stackEnvironment`). */
  environment: string;
  /** Key material seen in the stack: fingerprints and masks only. */
  keys: Array<{ fingerprint: string; mask: string; urn: string; environment: string; tier: Tier | null }>;
  /** Secret references of E2B environments (model.ts `secretReference`). */
  secretReferences: Array<{ reference: string; urn: string; environment: string; tier: Tier | null }>;
  /** E2B teams the stack's environments (and key resources) use. */
  teams: Array<{ teamId: string; urn: string; environment: string; tier: Tier | null }>;
  /**
   * Places that hold the key as a secret the export hides (made without `--show-secrets`): a variable
   * named for the key, or a stack output named for it. Such a key cannot be compared with another's.
   */
  hiddenKeys: Array<{ urn: string; path: string }>;
}

/** A resource as the engine graph or a state export carries it (wire format). */
export type { GraphResourceLike } from "./detect/stack";

/**
 * A variable named for the key as E2B-01 reads a hidden value: `E2B_API_KEY` and its variants
 * (`E2B_API_KEY_PROD`, not `…_ARN`), and other E2B credentials (`E2B_KEY`, `E2B_SANDBOX_KEY`): rt56 #3.
 */
const namesHiddenKey = (name: string): boolean => CONFIG_KEY_NAME.test(name) || namesKeyOutput(name);

/** Extract the facts of one stack from its resources (state export or program graph). */
export function stackFacts(
  resources: readonly GraphResourceLike[],
  meta: { stack?: string; project?: string; environment?: string; tags?: StackTags } = {},
  config: PackConfig = NO_CONFIG,
): StackFacts {
  const tagKeys = settingsOf(noCrossEnvironmentKeyReference, config).environmentTagKeys;
  const index = StackIndex.fromGraph(resources, meta.stack, meta.project);
  const facts: StackFacts = {
    stack: `${meta.project ?? index.project}/${meta.stack ?? index.stack}`,
    environment: meta.environment ?? stackEnvironment(index, meta.tags ?? {}, tagKeys),
    keys: [],
    secretReferences: [],
    teams: [],
    hiddenKeys: [],
  };
  const seenKeys = new Set<string>();
  for (const r of index.resources) {
    // A stack's outputs are what other stacks read; other resources are judged by their inputs.
    const scan = r.type === STACK_TYPE ? index.scanOutputs(r) : index.scan(r);
    for (const l of scan.named)
      if (l.value === OPAQUE_SECRET && l.envName && namesHiddenKey(l.envName))
        facts.hiddenKeys.push({ urn: r.urn, path: l.path });
    if (r.type === STACK_TYPE && isObjectTree(r.outputs))
      for (const [name, v] of Object.entries(r.outputs))
        if (v === OPAQUE_SECRET && namesKeyOutput(name))
          facts.hiddenKeys.push({ urn: r.urn, path: `outputs.${name}` });
    const env = index.environmentOf(r, tagKeys);
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
    const tier = tierOf(e);
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
export function crossStackFindings(
  all: readonly StackFacts[],
  config: PackConfig = NO_CONFIG,
): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>(all.map((s) => [s.stack, []]));
  const keyPolicy = judgeAs(noCrossEnvironmentKeyReference, config);
  const teamPolicy = judgeAs(workspaceIsolation, config);
  const isolatedTiers = new Set<Tier>(settingsOf(workspaceIsolation, config).isolatedTiers);
  /**
   * Whether two stacks' environments are two: different names, and where both names spell an
   * environment, two by environment.ts otherEnvironment (their projects' words aside). Names that
   * spell none (`blue`, `green`) are told apart by name, as before.
   */
  const apart = (a: { stack: string; environment: string }, b: { stack: string; environment: string }) =>
    a.environment !== b.environment &&
    (!namesEnvironment(a.environment) ||
      !namesEnvironment(b.environment) ||
      otherEnvironment(a.environment, b.environment, [a.stack.split("/")[0], b.stack.split("/")[0]]));
  // Duplicates are found through a set, not by scanning the stack's findings on every push.
  const pushed = new Set<string>();
  const push = (
    stack: string,
    judge: Judge | null,
    urn: string,
    message: string,
    /** An advisory about what could not be seen (inconclusive), at a path. */
    unseen?: { path?: string },
  ) => {
    if (!judge) return; // the policy is disabled
    const id = `${stack}\u0000${judge.policy}\u0000${urn}\u0000${message}`;
    if (pushed.has(id)) return;
    pushed.add(id);
    const finding = judge.finding(urn, message, { advisory: unseen !== undefined });
    (out.get(stack) ?? out.set(stack, []).get(stack)!).push(
      unseen
        ? { ...finding, ...(unseen.path ? { path: unseen.path } : {}), unknown: true, inconclusive: true }
        : finding,
    );
  };

  /** One finding per use of something (a key, a secret) that stacks of different environments share. */
  const reportShared = <U extends { stack: string; urn: string; environment: string }>(
    uses: readonly U[],
    message: (use: U, others: string) => string,
  ) => {
    if (new Set(uses.map((u) => u.stack)).size < 2) return;
    for (const u of uses) {
      // Another environment by the project's own rule: `prod` and `production`, `prod-eu` and
      // `prod-us`, `dev` and `dev-2` are one (rt56 #4).
      const others = [
        ...new Set(
          uses.filter((o) => o.stack !== u.stack && apart(o, u)).map((o) => `${o.stack} (${o.environment})`),
        ),
      ];
      if (!others.length) continue;
      push(u.stack, keyPolicy, u.urn, message(u, others.join(", ")));
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

  // A key the export hides, beside another environment's key: nothing shows they differ (real45 #2).
  const involved = (x: StackFacts) => x.keys.length > 0 || x.hiddenKeys.length > 0;
  for (const s of all) {
    if (!involved(s)) continue;
    const unseen = all.filter(
      (o) =>
        o.stack !== s.stack &&
        apart(o, s) &&
        involved(o) &&
        (s.hiddenKeys.length > 0 || o.hiddenKeys.length > 0),
    );
    if (!unseen.length) continue;
    const at = s.hiddenKeys[0] ?? { urn: s.keys[0].urn, path: undefined };
    const which = unseen.map((o) => `${o.stack} (${o.environment})`).join(", ");
    push(
      s.stack,
      keyPolicy,
      at.urn,
      `The E2B key of environment ${s.environment} could not be compared with the keys of ${which}: ${s.hiddenKeys.length ? "this stack's export" : "their exports"} hold${s.hiddenKeys.length ? "s" : ""} it as an encrypted secret. Audit exports made with \`pulumi stack export --show-secrets\` to show that no two environments share a key.`,
      { path: at.path },
    );
  }

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

  // One E2B team serving production and an isolated tier (e2b-07 `isolatedTiers`) across stacks.
  const byTeam = new Map<
    string,
    Array<{ stack: string; urn: string; environment: string; tier: Tier | null }>
  >();
  for (const s of all)
    for (const t of s.teams)
      (byTeam.get(t.teamId) ?? byTeam.set(t.teamId, []).get(t.teamId)!).push({ stack: s.stack, ...t });
  for (const [team, uses] of byTeam) {
    const prod = uses.filter((u) => u.tier === "production");
    const nonProd = uses.filter((u) => u.tier !== null && isolatedTiers.has(u.tier));
    const stacks = new Set(uses.map((u) => u.stack));
    if (!prod.length || !nonProd.length || stacks.size < 2) continue;
    for (const u of [...prod, ...nonProd]) {
      const others = [...prod, ...nonProd]
        .filter((o) => o.stack !== u.stack)
        .map((o) => `${o.stack} (${o.environment}, ${o.tier})`);
      if (!others.length) continue;
      push(
        u.stack,
        teamPolicy,
        u.urn,
        `E2B team ${team} serves ${u.environment} (${u.tier}) here and ${[...new Set(others)].join(", ")}; production must run in its own team so a runaway test cannot take its quota or budget.`,
      );
    }
  }
  return out;
}

/**
 * Convenience for the CLI: graphs (engine `ResourceGraph`s or loaded state exports) in, findings per
 * stack out, keyed by `<project>/<stack>`.
 */
export function crossStackFindingsForGraphs(
  graphs: ReadonlyArray<{
    project: string;
    stack: string;
    tags?: StackTags;
    resources: readonly GraphResourceLike[];
  }>,
  config: PackConfig = NO_CONFIG,
): Map<string, Finding[]> {
  return crossStackFindings(
    graphs.map((g) => stackFacts(g.resources, { stack: g.stack, project: g.project, tags: g.tags }, config)),
    config,
  );
}
