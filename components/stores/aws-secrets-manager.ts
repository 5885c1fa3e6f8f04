/**
 * AWS Secrets Manager: the key is the secret's only version; a resource policy lets exactly the
 * given IAM principals call `GetSecretValue`.
 */
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import { secretReference } from "../../policies/model";
import type { SecretStoreAdapter } from "./types";

export const awsSecretsManager: SecretStoreAdapter<"aws-secrets-manager"> = {
  kind: "aws-secrets-manager",
  cloud: "aws",
  store({ name, store, key, readers, tags, parent }) {
    const secret = new secretsmanager.Secret(
      `${name}-key`,
      {
        name: store.name,
        kmsKeyId: store.kmsKeyId,
        description: "E2B API key (managed by e2b-guardrails)",
        tags,
      },
      { parent },
    );
    const version = new secretsmanager.SecretVersion(
      `${name}-key-version`,
      { secretId: secret.id, secretString: key },
      { parent },
    );
    const policy = new secretsmanager.SecretPolicy(
      `${name}-key-readers`,
      {
        secretArn: secret.arn,
        blockPublicPolicy: true,
        policy: pulumi.all([secret.arn, pulumi.all(readers)]).apply(([arn, principals]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "E2BKeyReaders",
                Effect: "Allow",
                Principal: { AWS: principals },
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: arn,
              },
            ],
          }),
        ),
      },
      { parent },
    );
    return { reference: secretReference(store), secret: version, grants: [policy], locator: secret.arn };
  },
};
