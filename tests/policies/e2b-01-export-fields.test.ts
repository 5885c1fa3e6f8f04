/**
 * `audit` scans the whole deployment, including what the analyzer protocol never carries to the pack:
 * resource ids, the id part of provider references, and the deployment's manifest, secrets provider
 * and other fields. Exports are written here in the shape `pulumi stack export` produces
 * (apitype.DeploymentV3: manifest, secrets_providers, resources with `urn::id` provider references).
 */
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { LIMITS } from "../../engine/limits";
import { TREE_DEPTH_LIMIT } from "../../policies/export-fields";
import type { StackReport } from "../../policies/report";
import { useScanner } from "../support/scan";
import { PLANTED, expectClean, status } from "./helpers";
import { tmpDir } from "../support/tmp";

const KEY = `e2b_${PLANTED[0]}`;
const KEY2 = `e2b_${PLANTED[2]}`;
const STACK = "urn:pulumi:prod::shop";
const PROVIDER_URN = `${STACK}::pulumi:providers:aws::default_6_66_2`;
const PROVIDER_ID = "0c5a8b3e-6c1f-4f5e-9a58-2b7e0d3c9f11";
/** The member that marks a value Pulumi serializes specially (sdk/go/common/resource/sig). */
const PLANTED_SIG = "4dabf18193072939515e22adb298388d";

interface Plants {
  bucketId?: string;
  providerId?: string;
  pluginPath?: string;
  secretsProviders?: unknown;
  pendingOperations?: unknown[];
  /** More fields of the bucket's record. */
  bucketFields?: Record<string, unknown>;
}

/** A small deployed stack: the root stack, the default AWS provider and one bucket. */
function exportOf(p: Plants = {}) {
  const providerId = p.providerId ?? PROVIDER_ID;
  return {
    version: 3,
    deployment: {
      manifest: {
        time: "2026-11-30T09:12:44.123456789Z",
        magic: "1f2c0a9f0e6b9a1d7c3f44b8e2d6a5c0b9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4",
        version: "v3.248.0",
        plugins: [
          {
            name: "nodejs",
            path: "/usr/local/bin/pulumi-language-nodejs",
            type: "language",
            version: "3.248.0",
          },
          {
            name: "aws",
            path: p.pluginPath ?? "/home/ci/.pulumi/plugins/resource-aws-v6.66.2/pulumi-resource-aws",
            type: "resource",
            version: "6.66.2",
          },
        ],
      },
      secrets_providers: p.secretsProviders ?? {
        type: "passphrase",
        state: { salt: "v1:4mXq2oP6h0k=:v1:Vt0nq9m1vD0sUu8m:Kq0c1bF7s2dQm4Lw0v9o3Rk8yZg=" },
      },
      resources: [
        {
          urn: `${STACK}::pulumi:pulumi:Stack::shop-prod`,
          custom: false,
          type: "pulumi:pulumi:Stack",
          created: "2026-11-30T09:12:40.001Z",
          modified: "2026-11-30T09:12:40.001Z",
        },
        {
          urn: PROVIDER_URN,
          custom: true,
          id: providerId,
          type: "pulumi:providers:aws",
          inputs: {
            __internal: {},
            region: "us-east-1",
            skipCredentialsValidation: "false",
            version: "6.66.2",
          },
          outputs: { region: "us-east-1", skipCredentialsValidation: "false", version: "6.66.2" },
          created: "2026-11-30T09:12:41.500Z",
          modified: "2026-11-30T09:12:41.500Z",
        },
        {
          urn: `${STACK}::aws:s3/bucket:Bucket::assets`,
          custom: true,
          id: p.bucketId ?? "assets-4f1c2b9",
          type: "aws:s3/bucket:Bucket",
          inputs: { __defaults: ["bucket", "forceDestroy"], bucket: "assets-4f1c2b9", forceDestroy: false },
          outputs: { arn: "arn:aws:s3:::assets-4f1c2b9", bucket: "assets-4f1c2b9", forceDestroy: false },
          parent: `${STACK}::pulumi:pulumi:Stack::shop-prod`,
          provider: `${PROVIDER_URN}::${providerId}`,
          propertyDependencies: { bucket: [], forceDestroy: [] },
          created: "2026-11-30T09:12:43.001Z",
          modified: "2026-11-30T09:12:43.001Z",
          ...p.bucketFields,
        },
      ],
      ...(p.pendingOperations ? { pending_operations: p.pendingOperations } : {}),
    },
  };
}

function write(name: string, doc: unknown): string {
  const dir = tmpDir("export-fields-");
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 4));
  return file;
}

function e2b01(stack: StackReport) {
  return stack.findings.filter((f) => f.caseId === "E2B-01" && f.enforcementLevel === "mandatory");
}

describe("E2B-01 in what only a stack export carries", () => {
  const scan = useScanner();

  it("passes over a clean export: its manifest and passphrase salt are no finding and no evidence", async () => {
    const report = await scan.states([write("clean", exportOf())]);
    const stack = report.stacks[0];
    expect(stack.findings.filter((f) => f.caseId === "E2B-01")).toEqual([]);
    expect(status(stack, "E2B-01")).toBe("not-applicable");
  });

  it("fails a stack whose only E2B trace is a key in a resource id, naming the resource and the field", async () => {
    const report = await scan.states([write("id", exportOf({ bucketId: `assets-${KEY}` }))]);
    const stack = report.stacks[0];
    const [f, ...rest] = e2b01(stack);
    expect(rest).toEqual([]);
    expect(f.policy).toBe("e2b-01-key-from-secret-store");
    expect(f.urn).toBe(`${STACK}::aws:s3/bucket:Bucket::assets`);
    expect(f.path).toBe("id");
    expect(f.keyFingerprint).toMatch(/^sha256:/);
    expect(f.message).toMatch(
      /aws:s3\/bucket:Bucket 'assets' resource id carries E2B key material \(e2b_…4567\) at id/,
    );
    expect(status(stack, "E2B-01")).toBe("fail");
    // A leaked key alone says nothing of how the stack uses E2B.
    expect(status(stack, "E2B-02")).toBe("not-applicable");
    expectClean(stack);
  });

  it("fails a key in the id part of a provider reference", async () => {
    const report = await scan.states([write("provider", exportOf({ providerId: KEY2 }))]);
    const stack = report.stacks[0];
    const fs = e2b01(stack);
    const onBucket = fs.find((f) => f.urn.endsWith("::assets") && f.path === "provider");
    expect(onBucket?.message).toMatch(
      /'assets' provider reference \(the provider's id\) carries E2B key material \(e2b_…c3d4\)/,
    );
    // The provider's own record carries the same id.
    expect(fs.find((f) => f.urn === PROVIDER_URN)?.path).toBe("id");
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("fails a key in the manifest, the secrets provider state (base64) and a pending operation", async () => {
    const report = await scan.states([
      write(
        "deployment",
        exportOf({
          pluginPath: `/home/ci/.pulumi/plugins/resource-aws-v6.66.2/pulumi-resource-aws?token=${KEY}`,
          secretsProviders: {
            type: "cloudkms",
            state: {
              url: "awskms://alias/pulumi-shop?region=us-east-1",
              encryptedkey: Buffer.from(`{"k":"${KEY2}"}`).toString("base64"),
            },
          },
          pendingOperations: [
            {
              resource: {
                urn: `${STACK}::aws:lambda/function:Function::api`,
                custom: true,
                type: "aws:lambda/function:Function",
                inputs: { environment: { variables: { E2B_API_KEY: KEY } } },
              },
              type: "creating",
            },
          ],
        }),
      ),
    ]);
    const stack = report.stacks[0];
    const stackUrn = `${STACK}::pulumi:pulumi:Stack::shop-prod`;
    const byPath = new Map(e2b01(stack).map((f) => [f.path, f]));
    expect(byPath.get("manifest.plugins[1].path")?.message).toMatch(
      /^The deployment's manifest carries E2B key material \(e2b_…4567\) at manifest\.plugins\[1\]\.path/,
    );
    expect(byPath.get("secrets_providers.state.encryptedkey")?.message).toMatch(
      /secrets provider configuration carries E2B key material \(e2b_…c3d4\) .*\(base64-encoded\)/,
    );
    expect(
      byPath.get("pending_operations[0].resource.inputs.environment.variables.E2B_API_KEY")?.message,
    ).toMatch(/pending operations carries E2B key material/);
    expect([...byPath.values()].every((f) => f.urn === stackUrn)).toBe(true);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });
});

describe("E2B-01 in a resource's other fields", () => {
  const scan = useScanner();

  it("fails a key in initErrors, importID, aliases, sourcePosition, ignoreChanges or a field's name", async () => {
    const bucketFields = {
      // What a provider's error echoes back into the state.
      initErrors: [`creating bucket: header x-api-key ${KEY} rejected (403)`],
      importID: `assets-${KEY}`,
      aliases: [`${STACK}::aws:s3/bucket:Bucket::${KEY}`],
      sourcePosition: `project:///index.ts?key=${KEY}#12,1`,
      ignoreChanges: [`tags.${KEY}`],
      [`x-${KEY}`]: true,
    };
    const report = await scan.states([write("fields", exportOf({ bucketFields }))]);
    const stack = report.stacks[0];
    const onBucket = e2b01(stack).filter((f) => f.urn === `${STACK}::aws:s3/bucket:Bucket::assets`);
    expect(onBucket.map((f) => f.path).sort()).toEqual(
      [
        "aliases[0]",
        "ignoreChanges[0]",
        "importID",
        "initErrors[0]",
        `x-e2b_…4567 (property name)`,
        "sourcePosition",
      ].sort(),
    );
    expect(onBucket.find((f) => f.path === "initErrors[0]")?.message).toMatch(
      /^aws:s3\/bucket:Bucket 'assets' field 'initErrors' carries E2B key material \(e2b_…4567\)/,
    );
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });
});

describe("assets the CLI writes with their hash alone", () => {
  const scan = useScanner();

  it("reads an empty StringAsset and AssetArchive, also inside an archive or a secret, and judges the rest of the stack (rt55 #3)", async () => {
    const SIG = "4dabf18193072939515e22adb298388d";
    const emptyAsset = { [SIG]: "c44067f5952c0a294b673a41bacd8c17", hash: "e3b0c442".repeat(8) };
    const emptyArchive = { [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7", hash: "44136fa3".repeat(8) };
    const code = {
      [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7",
      assets: { "index.js": emptyAsset, lib: emptyArchive },
    };
    const doc = exportOf({ bucketFields: { outputs: { tags: { token: KEY } } } });
    doc.deployment.resources.push({
      urn: `${STACK}::aws:lambda/function:Function::fn`,
      custom: true,
      id: "fn-1",
      type: "aws:lambda/function:Function",
      inputs: {
        code,
        readme: emptyAsset,
        layer: emptyArchive,
        // In a shown secret too (rt56 #5).
        secretCode: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(code) },
      } as never,
      outputs: {} as never,
      provider: `${PROVIDER_URN}::${PROVIDER_ID}`,
    } as never);
    const report = await scan.states([write("empty-assets", doc)]);
    // The key elsewhere in the stack is still found: the pack read every resource.
    expect(status(report.stacks[0], "E2B-01")).toBe("fail");
  });
});

describe("E2B-01 in the other state files the Pulumi CLI writes", () => {
  const scan = useScanner();
  const BYTE_STRING = "803fd3297a5875dc03ca845dda5d2a98";
  const FLOAT = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c";

  it("reads a version 4 export (a stack that uses newer features) with NaN and non-UTF-8 strings, and fails a key in such a string", async () => {
    const doc = {
      ...exportOf({
        bucketFields: {
          refreshBeforeUpdate: true,
          taint: true,
          outputs: {
            // What the CLI writes for a number JSON cannot hold and for a string that is not UTF-8.
            ratio: { [PLANTED_SIG]: FLOAT, value: "7ff8000000000001" },
            banner: {
              [PLANTED_SIG]: BYTE_STRING,
              value: Buffer.from("\xff\xfe ok", "latin1").toString("base64"),
            },
          },
        },
      }),
      version: 4,
      features: ["refreshBeforeUpdate", "taint", "byteString"],
    };
    const clean = await scan.states([write("v4-clean", doc)]);
    expect(status(clean.stacks[0], "E2B-01")).toBe("not-applicable");

    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`token=${KEY}`)]);
    doc.deployment.resources[2].outputs = {
      banner: { [PLANTED_SIG]: BYTE_STRING, value: bytes.toString("base64") },
    } as never;
    const leaked = await scan.states([write("v4-key", doc)]);
    expect(
      e2b01(leaked.stacks[0])
        .map((f) => f.message)
        .join("\n"),
    ).toMatch(/e2b_…4567/);
    expect(status(leaked.stacks[0], "E2B-01")).toBe("fail");
  });

  it("judges a resource being replaced and its old copy pending deletion each as a resource (real47 #1: such a state was refused)", async () => {
    const doc = exportOf();
    const bucket = doc.deployment.resources[2];
    // The old copy, marked for deletion, still holds the key the replacement no longer does.
    doc.deployment.resources.splice(2, 0, {
      ...bucket,
      id: "assets-old",
      delete: true,
      outputs: { ...bucket.outputs, tags: { token: KEY } },
    } as never);
    const report = await scan.states([write("replacing", doc)]);
    const findings = e2b01(report.stacks[0]);
    expect(findings).toHaveLength(1);
    expect(findings[0].urn).toMatch(/::assets \(pending deletion\)$/);
    expect(status(report.stacks[0], "E2B-01")).toBe("fail");

    // An old version of a key store holds the key as a key store does: no finding (rt61 #1).
    const store = exportOf();
    const secret = {
      urn: `${STACK}::aws:secretsmanager/secretVersion:SecretVersion::e2b-key`,
      custom: true,
      id: "arn:aws:secretsmanager:us-east-1:1:secret:e2b|v2",
      type: "aws:secretsmanager/secretVersion:SecretVersion",
      inputs: { secretId: "arn:aws:secretsmanager:us-east-1:1:secret:e2b", secretString: KEY },
      outputs: { secretId: "arn:aws:secretsmanager:us-east-1:1:secret:e2b", secretString: KEY },
      provider: `${PROVIDER_URN}::${PROVIDER_ID}`,
    };
    store.deployment.resources.push(
      { ...secret, id: `${secret.id}-old`, delete: true } as never,
      secret as never,
    );
    const stored = await scan.states([write("store-replacing", store)]);
    expect(e2b01(stored.stacks[0])).toEqual([]);
  });

  it("reads a DIY backend's checkpoint (pulumi login file://), gzipped too, and fails a key in its stack configuration", async () => {
    const { deployment } = exportOf();
    const checkpoint = (config: Record<string, unknown>) => ({
      version: 3,
      checkpoint: { stack: "organization/shop/prod", config, latest: deployment },
    });
    const dir = tmpDir("checkpoint-");
    const clean = path.join(dir, "prod.json.gz");
    writeFileSync(clean, gzipSync(JSON.stringify(checkpoint({ "shop:region": "us-east-1" }))));
    const cleanReport = await scan.states([clean]);
    expect(cleanReport.stacks[0]).toMatchObject({ stack: "prod", project: "shop" });
    expect(status(cleanReport.stacks[0], "E2B-01")).toBe("not-applicable");

    // A field of the latest deployment spelled like the checkpoint's own does not hide it.
    const doc = checkpoint({ "shop:e2bApiKey": KEY });
    Object.assign(doc.checkpoint.latest, { "checkpoint.config": { "shop:e2bApiKey": "none" } });
    const leaked = await scan.states([write("prod", doc)]);
    const [finding] = e2b01(leaked.stacks[0]);
    expect(finding.message).toMatch(
      /^The deployment's stack configuration \(in the checkpoint\) carries E2B key material/,
    );
    expect(finding.message).not.toContain(KEY.slice(4, 16));
  });
});

describe("E2B-01 in what an export nests deeper than the depth limit", () => {
  const scan = useScanner();

  it("reads it as text: a key there fails E2B-01 naming the limit, and the limit is noted, never exit 2", async () => {
    expect(TREE_DEPTH_LIMIT).toBe(LIMITS.depth);
    const depth = LIMITS.depth + 500;
    // Written as text: JSON.stringify itself runs out of stack this deep.
    const tags = '{"d":'.repeat(depth) + JSON.stringify({ note: `key ${KEY}` }) + "}".repeat(depth);
    const text = JSON.stringify(exportOf()).replace(
      '"bucket":"assets-4f1c2b9","forceDestroy":false}',
      `"bucket":"assets-4f1c2b9","forceDestroy":false,"tags":${tags}}`,
    );
    expect(text).toContain('"tags":{"d":');
    const file = path.join(tmpDir("too-deep-"), "deep.json");
    writeFileSync(file, text);
    const report = await scan.states([file]);
    const stack = report.stacks[0];
    const onBucket = stack.findings.filter((f) => f.urn === `${STACK}::aws:s3/bucket:Bucket::assets`);
    expect(onBucket.map((f) => [f.enforcementLevel, f.message])).toEqual(
      expect.arrayContaining([
        [
          "mandatory",
          expect.stringMatching(
            /^aws:s3\/bucket:Bucket 'assets' inputs \(deeper than 4096 levels\) carries E2B key material \(e2b_…4567\)/,
          ),
        ],
        [
          "advisory",
          expect.stringContaining(
            "inputs (deeper than 4096 levels): what lies deeper than the limit was read as text",
          ),
        ],
      ]),
    );
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("reads a deployment field past the limit the same way: the stack fails E2B-01 and the limit is noted", async () => {
    const depth = LIMITS.depth + 500;
    const metadata = '{"m":'.repeat(depth) + JSON.stringify({ note: `key ${KEY}` }) + "}".repeat(depth);
    const text = JSON.stringify(exportOf()).replace(
      '"deployment":{',
      `"deployment":{"metadata":${metadata},`,
    );
    expect(text).toContain('"metadata":{"m":');
    const file = path.join(tmpDir("too-deep-"), "deep-metadata.json");
    writeFileSync(file, text);
    const stack = (await scan.states([file])).stacks[0];
    expect(stack.findings.map((f) => [f.enforcementLevel, f.message])).toEqual(
      expect.arrayContaining([
        [
          "mandatory",
          expect.stringMatching(
            /^The deployment's metadata \(deeper than 4096 levels\) carries E2B key material \(e2b_…4567\)/,
          ),
        ],
        [
          "advisory",
          expect.stringContaining("The deployment's metadata (deeper than 4096 levels): what lies deeper"),
        ],
      ]),
    );
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });
});

describe("E2B-01 export fields under policy config", () => {
  const scan = useScanner({
    policyConfig: {
      "e2b-01-key-from-secret-store": {
        waivers: [
          {
            urn: `${STACK}::aws:s3/bucket:Bucket::*`,
            reason: "bucket renamed in the next release",
            owner: "platform@example.com",
            expires: "2099-12-31",
          },
        ],
      },
    },
  });

  it("judges them with the policy's waivers, as the pack judges its own findings", async () => {
    const report = await scan.states([write("waived", exportOf({ bucketId: `assets-${KEY}` }))]);
    const stack = report.stacks[0];
    const f = stack.findings.find((x) => x.path === "id")!;
    expect(f.enforcementLevel).toBe("advisory");
    expect(f.waiver).toEqual({
      reason: "bucket renamed in the next release",
      owner: "platform@example.com",
      expires: "2099-12-31",
    });
    // Waived, the key is still evidence: the case is judged (pass), not not-applicable.
    expect(status(stack, "E2B-01")).toBe("pass");
    expectClean(stack);
  });
});
