/**
 * `E2BApiKey`: one E2B team API key owned by a Pulumi resource. Its inputs carry
 * `kind: E2B_API_KEY_KIND` so the policy pack can tell it from other dynamic resources, and never
 * the management credential. The raw key is a secret output.
 */
import * as pulumi from "@pulumi/pulumi";
import { E2B_API_KEY_KIND } from "../../policies/model";
import { apiKeyProvider } from "./provider";

export interface E2BApiKeyArgs {
  name: pulumi.Input<string>;
  environment: pulumi.Input<string>;
  teamId: pulumi.Input<string>;
  /** Change to rotate: a new key is created and stored before the old one is deleted. */
  rotation: pulumi.Input<string>;
}

export class E2BApiKey extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly key: pulumi.Output<string>;
  declare readonly mask: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: E2BApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      apiKeyProvider,
      name,
      {
        kind: E2B_API_KEY_KIND,
        name: args.name,
        environment: args.environment,
        teamId: args.teamId,
        rotation: args.rotation,
        key: undefined,
        mask: undefined,
        fingerprint: undefined,
        createdAt: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["key"] }),
    );
  }
}
