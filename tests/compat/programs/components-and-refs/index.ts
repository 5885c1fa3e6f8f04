// A local component holding a function, a remote component as awsx/eks SDKs register it (children only its
// provider plugin would create), and one planted mistake so every SDK version must give the same verdict.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

class Api extends pulumi.ComponentResource {
  readonly fn: aws.lambda.Function;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("acme:index:Api", name, {}, opts);
    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: "{}" }, { parent: this });
    this.fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        role: role.arn,
        runtime: "nodejs20.x",
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({
          "index.js": new pulumi.asset.StringAsset("exports.handler=()=>1"),
        }),
        environment: { variables: { E2B_API_KEY: "e2b_" + "0123456789abcdef".repeat(2) + "01234567" } },
      },
      { parent: this },
    );
    this.registerOutputs({ fnName: this.fn.name });
  }
}

const api = new Api("agents");
// What `new awsx.ecs.FargateService(...)` registers: a remote component the awsx plugin would expand.
const service = new pulumi.ComponentResource(
  "awsx:ecs:FargateService",
  "web",
  { desiredCount: 2, taskDefinitionArgs: { container: { name: "web", image: "nginx", cpu: 256 } } },
  { dependsOn: [api] },
  true,
);
export const functionName = api.fn.name;
export const serviceUrn = service.urn;
