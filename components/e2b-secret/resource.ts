/**
 * `E2BSecret`: one E2B Secret owned by a Pulumi resource, created from a Pulumi secret. Its inputs
 * carry `kind: E2B_SECRET_KIND` so the policy pack can tell it from other dynamic resources; the
 * value is always wrapped as a Pulumi secret and is never an output. `placeholder` is what sandbox
 * network rules send instead of the value.
 */
import * as pulumi from "@pulumi/pulumi";
import { E2B_SECRET_KIND } from "../../policies/model";
import { secretProvider } from "./provider";

export interface E2BSecretArgs {
  name: pulumi.Input<string>;
  environment: pulumi.Input<string>;
  teamId: pulumi.Input<string>;
  hosts: pulumi.Input<pulumi.Input<string>[]>;
  /** The credential, e.g. `config.requireSecret("openaiApiKey")`. */
  value: pulumi.Input<string>;
}

export class E2BSecret extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly secretId: pulumi.Output<string>;
  declare readonly placeholder: pulumi.Output<string>;
  declare readonly version: pulumi.Output<number>;

  constructor(name: string, args: E2BSecretArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      secretProvider,
      name,
      {
        kind: E2B_SECRET_KIND,
        name: args.name,
        environment: args.environment,
        teamId: args.teamId,
        hosts: args.hosts,
        value: pulumi.secret(args.value),
        secretId: undefined,
        placeholder: undefined,
        version: undefined,
        salt: undefined,
        valueDigest: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["valueDigest"] }),
    );
  }
}
