/**
 * Pulumi ESC: the key is an `fn::secret` value of its own environment, exported as `E2B_API_KEY`
 * for `esc run` and as `e2bApiKey` for stacks that import the environment; each reader (a Pulumi
 * Cloud team) gets `open` permission on this environment only.
 */
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { stringify } from "yaml";
import { secretReference } from "../../policies/model";
import type { SecretStoreAdapter } from "./types";

export function escDefinition(key: string, environment: string): string {
  return stringify({
    values: {
      e2b: { environment, apiKey: { "fn::secret": key } },
      environmentVariables: { E2B_API_KEY: "${e2b.apiKey}" },
      pulumiConfig: { e2bApiKey: "${e2b.apiKey}" },
    },
  });
}

export const pulumiEsc: SecretStoreAdapter<"pulumi-esc"> = {
  kind: "pulumi-esc",
  cloud: "pulumi",
  store({ name, environment, store, key, readers, parent }) {
    const env = new pulumiservice.Environment(
      `${name}-key`,
      {
        organization: store.organization,
        project: store.project,
        name: store.environment,
        yaml: key.apply((k) => new pulumi.asset.StringAsset(escDefinition(k, environment.name))),
      },
      { parent },
    );
    const grants = readers.map(
      (team, i) =>
        new pulumiservice.TeamEnvironmentPermission(
          `${name}-key-reader-${i}`,
          {
            organization: store.organization,
            project: store.project,
            environment: env.name,
            team,
            permission: pulumiservice.EnvironmentPermission.Open,
          },
          { parent },
        ),
    );
    return {
      reference: secretReference(store),
      secret: env,
      grants,
      locator: pulumi.output(`${store.organization}/${store.project}/${store.environment}`),
    };
  },
};
