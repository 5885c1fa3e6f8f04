/**
 * E2B-06: the key never enters a sandbox. Where IaC can see it: env vars handed to sandboxes (a
 * `SANDBOX_ENV_VARS`-style variable holding JSON), template build args and Dockerfiles (images built for
 * E2B templates), and future template/sandbox resources. Key material, the key's variable name, or a
 * value depending on a resource that holds the key all fail. Third-party secrets in sandbox env vars
 * get an advisory: E2B Secrets inject them at egress instead.
 */
import { z } from "zod";
import { NO_E2B_KEY_CONSUMER, consumesE2BKey, describe, regexSchema } from "./common";
import { findMaterial } from "./detect/material";
import { DYNAMIC_RESOURCE_TYPE, get, type IndexedResource } from "./detect/stack";
import { walkLeaves, pathOf } from "./detect/walk";
import { stackPolicy } from "./runtime";

/** Where sandbox inputs show up in IaC: data, easy to extend. */
const IMAGE_BUILD_ARGS: Record<string, string[]> = {
  "docker:index/image:Image": ["build"],
  "docker-build:index:Image": ["buildArgs"],
  "aws:codebuild/project:Project": ["environment"],
};
const SANDBOX_RESOURCE_KINDS = new Set(["e2b-guardrails:Template", "e2b-guardrails:Sandbox"]);

const DOCKERFILE = /^\s*FROM\s+\S+/m;
const DOCKER_KEY_LINE = /^\s*(ENV|ARG)\s+(E2B_API_KEY|E2B_ACCESS_TOKEN)\b/m;

export const noKeyInSandbox = stackPolicy(
  {
    name: "e2b-06-no-key-in-sandbox",
    description:
      "The E2B key (or any key material) is never passed into sandbox env vars, template build args or files, where model-generated code could read it.",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: [
      "1. Remove the key from sandbox env vars, template Dockerfiles and build args; sandboxes never need the operator's key.",
      "2. Give sandboxes third-party credentials through E2B Secrets (egress header injection), not env vars.",
      "3. Rotate the key if a sandbox ever received it.",
    ].join("\n"),
    config: z.object({
      sandboxEnvNamePattern: regexSchema(
        "^(E2B_)?SANDBOX_(ENV|ENVS|ENV_VARS|ENVIRONMENT|ENVIRONMENT_VARIABLES)$",
        "Regex for variables whose value (JSON) becomes sandbox env vars.",
      ),
      keyNamePattern: regexSchema(
        "(^|_)E2B_(API_KEY|ACCESS_TOKEN)$",
        "Regex for the E2B key's variable names.",
      ),
      thirdPartySecretPattern: regexSchema(
        "(_API_KEY|_TOKEN|_SECRET|_PASSWORD)$",
        "Regex for other credentials in sandbox env vars (advisory: use E2B Secrets).",
      ),
    }),
    example:
      "aws:ecs/taskDefinition:TaskDefinition 'agent' passes E2B_API_KEY into sandbox env vars (SANDBOX_ENV_VARS/E2B_API_KEY). Sandboxes never need the operator's key; remove it.",
  },
  ({ index, config, report, notApplicable }) => {
    if (!consumesE2BKey(index)) notApplicable(NO_E2B_KEY_CONSUMER);
    const sandboxName = new RegExp(`(^|/)(${config.sandboxEnvNamePattern.replace(/^\^|\$$/g, "")})(/|$)`);
    const keyName = new RegExp(config.keyNamePattern);
    const thirdParty = new RegExp(config.thirdPartySecretPattern);
    const holders = index.keyHolders();
    const holderNames = (urns: string[]) => urns.map((u) => `'${index.byUrn.get(u)?.name ?? u}'`).join(", ");

    const judgeAll = (r: IndexedResource, what: string, tops: readonly string[] | null) => {
      const scan = index.scan(r);
      for (const k of scan.keys) {
        if (tops && !tops.includes(k.top)) continue;
        report(
          `${describe(r)} puts E2B key material (${k.mask}) into ${what} at ${k.path}. Remove it; sandboxes never need the operator's key.`,
          r.urn,
        );
      }
      for (const l of scan.named) {
        if (tops && !tops.includes(l.top)) continue;
        if (l.envName && keyName.test(l.envName))
          report(
            `${describe(r)} passes ${l.envName} into ${what} (${l.path}). Remove it; sandboxes never need the operator's key.`,
            r.urn,
          );
      }
      for (const top of tops ?? Object.keys(r.propertyDependencies)) {
        const from = index.dependsOn(r, top, holders);
        if (from.length && scan.unknownTops.has(top))
          report(
            `${describe(r)} ${what} (${top}) depends on ${holderNames(from)}, which holds the E2B key (value unknown at preview). Keep the key out of sandboxes.`,
            r.urn,
          );
      }
    };

    for (const r of index.resources) {
      if (holders.has(r.urn)) continue;
      // Template/sandbox resources and image builds: every listed input reaches the sandbox.
      if (r.type === DYNAMIC_RESOURCE_TYPE && SANDBOX_RESOURCE_KINDS.has(String(get(r.props, "kind")))) {
        judgeAll(r, "an E2B sandbox/template definition", null);
        continue;
      }
      const build = IMAGE_BUILD_ARGS[r.type];
      if (build) judgeAll(r, "image build args (baked into the sandbox template)", build);

      // Sandbox env vars: values under a SANDBOX_ENV_VARS-style name (usually JSON).
      const seen = new Set<string>();
      walkLeaves(r.props, (leaf) => {
        const inSandboxEnv = sandboxName.test(leaf.nameChain);
        if (typeof leaf.value === "string" && !leaf.unknown && DOCKERFILE.test(leaf.value)) {
          const material = findMaterial(leaf.value);
          if (material.length || DOCKER_KEY_LINE.test(leaf.value)) {
            const path = pathOf(leaf.node);
            const detail = material.length
              ? `key material (${material[0].mask})`
              : "an ENV/ARG for E2B_API_KEY";
            report(
              `${describe(r)} has a Dockerfile at ${path} with ${detail}; it would be baked into the sandbox template. Remove it.`,
              r.urn,
            );
          }
        }
        if (!inSandboxEnv || leaf.parsed) return;
        const path = pathOf(leaf.node);
        if (seen.has(path)) return;
        seen.add(path);
        const last = leaf.envName ?? "";
        if (typeof leaf.value === "string" && !leaf.unknown) {
          const m = findMaterial(leaf.value);
          if (m.length) {
            report(
              `${describe(r)} passes E2B key material (${m[0].mask}) into sandbox env vars (${leaf.nameChain.slice(1)}). Sandboxes never need the operator's key; remove it.`,
              r.urn,
            );
            return;
          }
        }
        if (keyName.test(last)) {
          report(
            `${describe(r)} passes ${last} into sandbox env vars (${leaf.nameChain.slice(1)}). Sandboxes never need the operator's key; remove it.`,
            r.urn,
          );
          return;
        }
        if (leaf.unknown) {
          const from = index.dependsOn(r, leaf.top, holders);
          if (from.length)
            report(
              `${describe(r)} sandbox env vars (${leaf.nameChain.slice(1)}) depend on ${holderNames(from)}, which holds the E2B key (value unknown at preview). Keep the key out of sandboxes.`,
              r.urn,
            );
          return;
        }
        if (thirdParty.test(last) && !sandboxName.test(`/${last}`))
          report(
            `${describe(r)} passes the credential ${last} into sandbox env vars; give sandboxes third-party credentials through E2B Secrets (egress injection) instead.`,
            r.urn,
            { advisory: true },
          );
      });
    }
  },
);
