/**
 * AWS SSM Parameter Store: the key is a SecureString parameter. Parameters have no resource
 * policies, so each reader role gets an inline policy allowing `GetParameter` on this one parameter.
 * Readers must therefore be IAM role ARNs.
 */
import * as iam from "@pulumi/aws/iam";
import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";
import { secretReference } from "../../policies/model";
import type { SecretStoreAdapter } from "./types";

/** `arn:aws:iam::123456789012:role/path/name` → `name`. */
export function roleNameFromArn(arn: string): string {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) throw new Error(`aws-ssm-parameter readers must be IAM role ARNs; got "${arn}"`);
  return m[1];
}

export const awsSsmParameter: SecretStoreAdapter<"aws-ssm-parameter"> = {
  kind: "aws-ssm-parameter",
  cloud: "aws",
  store({ name, store, key, readers, tags, parent }) {
    const parameter = new ssm.Parameter(
      `${name}-key`,
      { name: store.name, type: "SecureString", value: key, keyId: store.kmsKeyId, tags },
      { parent },
    );
    const grants = readers.map(
      (reader, i) =>
        new iam.RolePolicy(
          `${name}-key-reader-${i}`,
          {
            role: pulumi.output(reader).apply(roleNameFromArn),
            policy: parameter.arn.apply((arn) =>
              JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                  { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: arn },
                  ...(store.kmsKeyId
                    ? [{ Effect: "Allow", Action: ["kms:Decrypt"], Resource: store.kmsKeyId }]
                    : []),
                ],
              }),
            ),
          },
          { parent },
        ),
    );
    return { reference: secretReference(store), secret: parameter, grants, locator: parameter.arn };
  },
};
