// An ES module program: top-level await, ESM imports (a package's and one of its own), a folder
// uploaded object by object.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { siteFiles } from "./site-files.js";

const bucket = new aws.s3.Bucket("assets", { website: { indexDocument: "index.html" } });
for (const file of siteFiles("www")) {
  new aws.s3.BucketObject(file, { bucket, key: file, source: new pulumi.asset.FileAsset(`www/${file}`) });
}
const region = await aws.getRegion();
export const where = region.name ?? "unknown";
export const bucketName = bucket.id;
