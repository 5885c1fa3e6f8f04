// A status page and a worker Lambda, written the way public example programs are: resources passed as
// inputs, a CallbackFunction capturing variables, a scheduled handler, a FileAsset upload, secret config.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

const config = new pulumi.Config();
const greeting = config.require("greeting");
const hookToken = config.requireSecret("hookToken");
const stamp = `${pulumi.getProject()}/${pulumi.getStack()}/${pulumi.getOrganization()}`;

const site = new aws.s3.Bucket("status-site", { website: { indexDocument: "index.html" } });
new aws.s3.BucketObject("index", {
  bucket: site, // a resource as an input
  key: "index.html",
  contentType: "text/html",
  source: new pulumi.asset.FileAsset("www/index.html"),
});

const role = new aws.iam.Role("worker-role", {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } },
    ],
  }),
});
new aws.iam.RolePolicyAttachment("worker-logs", {
  role, // a resource as an input
  policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole,
});

const counter = { runs: 0 };
const worker = new aws.lambda.CallbackFunction("worker", {
  role,
  callback: async () => {
    counter.runs++; // captured variables, serialized by the SDK's closure serializer
    const headers = { "x-hook-token": hookToken.get() }; // a captured secret
    return { statusCode: 200, headers, body: `${greeting} from ${stamp} (${counter.runs})` };
  },
});

aws.cloudwatch.onSchedule("nightly", "rate(1 day)", async () => {
  console.log(`${greeting}: nightly run`);
});

pulumi.log.info(`previewing ${stamp} (dry run: ${pulumi.runtime.isDryRun()})`);

export const siteBucket = site.bucket;
export const workerName = worker.name;
