/**
 * Client-side surfaces: what a browser (or a mobile app) downloads. Data tables, easy to extend.
 *
 * 1. Public env-var prefixes: front-end frameworks inline variables with these prefixes into the
 *    bundles they build, whatever platform stores them (reference/peer-tools.md §0.5).
 * 2. Resource types whose properties are shipped to browsers: static-site objects and edge/CDN code.
 */

export interface PublicPrefix {
  prefix: string;
  framework: string;
}

export const PUBLIC_ENV_PREFIXES: readonly PublicPrefix[] = [
  { prefix: "NEXT_PUBLIC_", framework: "Next.js" },
  { prefix: "VITE_", framework: "Vite" },
  { prefix: "REACT_APP_", framework: "Create React App" },
  { prefix: "EXPO_PUBLIC_", framework: "Expo / React Native" },
  { prefix: "NUXT_PUBLIC_", framework: "Nuxt" },
  { prefix: "NUXT_ENV_", framework: "Nuxt 2" },
  { prefix: "GATSBY_", framework: "Gatsby" },
  { prefix: "PUBLIC_", framework: "SvelteKit / Astro" },
  { prefix: "PUBLIC_ENV__", framework: "Vike" },
  { prefix: "VUE_APP_", framework: "Vue CLI" },
  { prefix: "STORYBOOK_", framework: "Storybook" },
  { prefix: "NG_APP_", framework: "Angular (@ngx-env)" },
  { prefix: "REDWOOD_ENV_", framework: "RedwoodJS" },
  { prefix: "SANITY_STUDIO_", framework: "Sanity Studio" },
];

export const DEFAULT_PUBLIC_PREFIXES: readonly string[] = PUBLIC_ENV_PREFIXES.map((p) => p.prefix);

/**
 * Resource types that carry front-end build/runtime env vars (reference/peer-tools.md §0.6). The
 * public-prefix rule applies to every resource type; this table is what the README documents and what
 * makes an unknown env-var *map* on these types suspicious when it depends on the key.
 */
export const FRONTEND_ENV_RESOURCES: readonly { type: string; paths: readonly string[]; platform: string }[] =
  [
    {
      type: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
      paths: ["value"],
      platform: "Vercel",
    },
    {
      type: "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables",
      paths: ["variables"],
      platform: "Vercel",
    },
    {
      type: "vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable",
      paths: ["value"],
      platform: "Vercel",
    },
    { type: "vercel:index/project:Project", paths: ["environments"], platform: "Vercel" },
    { type: "vercel:index/deployment:Deployment", paths: ["environment"], platform: "Vercel" },
    {
      type: "aws:amplify/app:App",
      paths: ["environmentVariables", "autoBranchCreationConfig"],
      platform: "AWS Amplify",
    },
    { type: "aws:amplify/branch:Branch", paths: ["environmentVariables"], platform: "AWS Amplify" },
    {
      type: "cloudflare:index/pagesProject:PagesProject",
      paths: ["deploymentConfigs"],
      platform: "Cloudflare Pages",
    },
    { type: "netlify:index/environmentVariable:EnvironmentVariable", paths: ["values"], platform: "Netlify" },
    { type: "azure-native:web:StaticSite", paths: ["buildProperties"], platform: "Azure Static Web Apps" },
  ];

/**
 * Content a browser downloads or that runs at the edge in plain text. `bucketFrom` names the property
 * that points at the bucket when the object is only public if its bucket serves a website.
 */
export interface ContentSurface {
  type: string;
  /** Top-level properties whose content is shipped. */
  paths: readonly string[];
  what: string;
  /** When set, the object is client-side only if the bucket it names is a website bucket or it is public. */
  bucketProperty?: string;
  /**
   * When set, only the leaves at these paths are shipped (an API's static routes, not its handlers),
   * and an unknown top-level property is not judged as content.
   */
  leaf?: RegExp;
}

export const CLIENT_CONTENT_SURFACES: readonly ContentSurface[] = [
  {
    type: "aws:s3/bucketObject:BucketObject",
    paths: ["content", "source", "contentBase64"],
    what: "S3 object",
    bucketProperty: "bucket",
  },
  {
    type: "aws:s3/bucketObjectv2:BucketObjectv2",
    paths: ["content", "source", "contentBase64"],
    what: "S3 object",
    bucketProperty: "bucket",
  },
  {
    type: "gcp:storage/bucketObject:BucketObject",
    paths: ["content", "source"],
    what: "GCS object",
    bucketProperty: "bucket",
  },
  {
    type: "azure-native:storage:Blob",
    paths: ["source"],
    what: "Azure blob",
    bucketProperty: "containerName",
  },
  {
    type: "azure:storage/blob:Blob",
    paths: ["source", "sourceContent"],
    what: "Azure blob",
    bucketProperty: "storageContainerName",
  },
  { type: "aws:cloudfront/function:Function", paths: ["code"], what: "CloudFront function code" },
  {
    type: "cloudflare:index/workersScript:WorkersScript",
    paths: ["content", "contentFile", "assets"],
    what: "Cloudflare Worker code",
  },
  {
    type: "cloudflare:index/workerVersion:WorkerVersion",
    paths: ["assets", "modules"],
    what: "Cloudflare Worker static assets and modules",
  },
  { type: "cloudflare:index/workerScript:WorkerScript", paths: ["content"], what: "Cloudflare Worker code" },
  { type: "vercel:index/deployment:Deployment", paths: ["files"], what: "Vercel deployment files" },
  // Vercel Blob objects are served at public URLs when their store's access is public.
  {
    type: "vercel:index/blobObject:BlobObject",
    paths: ["source"],
    what: "Vercel Blob object",
    bucketProperty: "storeId",
  },
  // The folders an aws-apigateway RestAPI's static routes serve (`routes[*].localPath`).
  {
    type: "aws-apigateway:index:RestAPI",
    paths: ["routes"],
    leaf: /^routes\[\d+\]\.localPath$/,
    what: "API Gateway static route files",
  },
  // Objects of DigitalOcean Spaces and Scaleway Object Storage: public with a public-read ACL
  // (`acl`, Scaleway's `visibility`) or in a website bucket.
  {
    type: "digitalocean:index/spacesBucketObject:SpacesBucketObject",
    paths: ["source", "content", "contentBase64"],
    what: "Spaces object",
    bucketProperty: "bucket",
  },
  ...["scaleway:object/item:Item", "scaleway:index/objectItem:ObjectItem"].map((type): ContentSurface => ({
    type,
    paths: ["file", "content", "contentBase64"],
    what: "Scaleway object",
    bucketProperty: "bucket",
  })),
  // @pulumi/aws-static-website: its site folder is what the website serves.
  { type: "aws-static-website:index:Website", paths: ["sitePath"], what: "static website folder" },
  // Folders synced to a bucket (@pulumi/synced-folder): client-side when the bucket serves a website.
  {
    type: "synced-folder:index:S3BucketFolder",
    paths: ["path"],
    what: "synced website folder",
    bucketProperty: "bucketName",
  },
  {
    type: "synced-folder:index:AzureBlobFolder",
    paths: ["path"],
    what: "synced website folder",
    bucketProperty: "containerName",
  },
  {
    type: "synced-folder:index:GoogleCloudFolder",
    paths: ["path"],
    what: "synced website folder",
    bucketProperty: "bucketName",
  },
];

/** CDN distributions and the properties naming their origins: an origin bucket serves browsers. */
export const CDN_ORIGIN_TYPES: ReadonlyMap<string, readonly string[]> = new Map([
  ["aws:cloudfront/distribution:Distribution", ["origins"]],
  ["gcp:compute/backendBucket:BackendBucket", ["bucketName"]],
  ["azure-native:cdn:Endpoint", ["origins", "originHostHeader"]],
]);

/**
 * Bucket types and how they declare static website hosting: a non-empty `websiteProperty`, or, with
 * `publicValues`, that property set to one of them (a Vercel Blob store with `access: "public"`, an
 * Azure container with anonymous access).
 */
export const WEBSITE_BUCKETS: readonly {
  type: string;
  websiteProperty?: string;
  publicValues?: readonly string[];
}[] = [
  { type: "aws:s3/bucket:Bucket", websiteProperty: "website" },
  { type: "aws:s3/bucketV2:BucketV2", websiteProperty: "websites" },
  { type: "gcp:storage/bucket:Bucket", websiteProperty: "website" },
  { type: "aws-native:s3:Bucket", websiteProperty: "websiteConfiguration" },
  { type: "vercel:index/blobStore:BlobStore", websiteProperty: "access", publicValues: ["public"] },
  // Azure containers open to anonymous reads: every blob in them is downloadable by anyone.
  {
    type: "azure:storage/container:Container",
    websiteProperty: "containerAccessType",
    publicValues: ["blob", "container"],
  },
  {
    type: "azure-native:storage:BlobContainer",
    websiteProperty: "publicAccess",
    publicValues: ["Blob", "Container"],
  },
];

/**
 * Grants that make every object of a bucket world-readable (GCS IAM for `allUsers`): the bucket is
 * then a client-side surface like a website bucket. `members` is the property holding the member
 * (a string) or members (a list).
 */
export const PUBLIC_BUCKET_GRANTS: readonly { type: string; bucketProperty: string; members: string }[] = [
  { type: "gcp:storage/bucketIAMBinding:BucketIAMBinding", bucketProperty: "bucket", members: "members" },
  { type: "gcp:storage/bucketIAMMember:BucketIAMMember", bucketProperty: "bucket", members: "member" },
  {
    type: "gcp:storage/bucketAccessControl:BucketAccessControl",
    bucketProperty: "bucket",
    members: "entity",
  },
  {
    type: "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
    bucketProperty: "bucket",
    members: "entity",
  },
];

/** Members that mean "anyone on the internet". */
export const PUBLIC_MEMBERS: ReadonlySet<string> = new Set(["allUsers", "allAuthenticatedUsers"]);

/** Resources that turn a bucket into a website (they name the bucket in `bucket`). */
export const WEBSITE_CONFIG_TYPES: readonly string[] = [
  "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
  "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2",
];

/**
 * Resources that turn on a storage account's static website and name the container it serves from in
 * an output (Azure's `$web`, known only once the provider answers): an object whose container
 * depends on one is served to browsers.
 */
export const WEBSITE_CONTAINER_TYPES: readonly string[] = [
  "azure-native:storage:StorageAccountStaticWebsite",
];

/** Canned ACLs that make an object world-readable. */
export const PUBLIC_ACLS: ReadonlySet<string> = new Set([
  "public-read",
  "public-read-write",
  "publicRead",
  "publicreadwrite",
]);

/** Azure serves static websites from this container. */
export const AZURE_WEB_CONTAINER = "$web";

export function contentSurfaceOf(type: string): ContentSurface | undefined {
  return contentByType.get(type);
}
const contentByType = new Map(CLIENT_CONTENT_SURFACES.map((s) => [s.type, s]));

export function frontendEnvResourceOf(type: string) {
  return frontendByType.get(type);
}
const frontendByType = new Map(FRONTEND_ENV_RESOURCES.map((s) => [s.type, s]));
