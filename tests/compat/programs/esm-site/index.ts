// An ES module program: top-level await, ESM imports, a folder uploaded object by object.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { readdirSync } from "node:fs";

const bucket = new aws.s3.Bucket("assets", { website: { indexDocument: "index.html" } });
const files = readdirSync("www");
for (const file of files) {
  new aws.s3.BucketObject(file, { bucket, key: file, source: new pulumi.asset.FileAsset(`www/${file}`) });
}
const region = await aws.getRegion();
export const where = region.name ?? "unknown";
export const bucketName = bucket.id;
