import path from "node:path";
import {
  runProgram,
  ProgramPool,
  InputError,
  ProgramError,
  UNKNOWN,
  SECRET_SIG,
  type GraphResource,
} from "../../engine";
import { newEncryptionSalt, encryptWith } from "../../engine/passphrase";
import { fingerprintKey } from "../../policies/detect/keys";
import { appendFileSync, writeFileSync, cpSync } from "node:fs";
import { programCopy, tmpDir } from "../support/tmp";
import { markerUrn } from "../../policies/detect/hidden-config";

const fixture = path.join(__dirname, "fixtures/recording");
const byName = (rs: GraphResource[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name} in ${rs.map((x) => x.name).join(", ")}`);
  return r;
};

describe("program runner (language-host protocol, preview mode)", () => {
  let resources: GraphResource[];
  beforeAll(async () => {
    const graph = await runProgram({ cwd: fixture, stack: "dev" });
    expect(graph.project).toBe("recording");
    expect(graph.stack).toBe("dev");
    resources = graph.resources;
  });

  it("records the stack, components and custom resources with URNs and parents", () => {
    const stack = byName(resources, "recording-dev");
    expect(stack.type).toBe("pulumi:pulumi:Stack");
    const comp = byName(resources, "logs");
    expect(comp).toMatchObject({ type: "acme:index:Storage", custom: false, parent: stack.urn });
    const bucket = byName(resources, "logs-bucket");
    expect(bucket.urn).toBe(
      "urn:pulumi:dev::recording::acme:index:Storage$aws:s3/bucket:Bucket::logs-bucket",
    );
    expect(bucket).toMatchObject({ custom: true, parent: comp.urn });
    // A preview of a new stack: the provider has not made the bucket yet, so its id is not known.
    expect(bucket.id).toBeUndefined();
  });

  it("builds URNs as the engine does: no stack prefix at the top, the whole parent type chain below", () => {
    expect(byName(resources, "logs").urn).toBe("urn:pulumi:dev::recording::acme:index:Storage::logs");
    expect(byName(resources, "alerts").urn).toBe(
      "urn:pulumi:dev::recording::acme:index:Storage$acme:index:Alerts::alerts",
    );
    expect(byName(resources, "alerts-topic").urn).toBe(
      "urn:pulumi:dev::recording::acme:index:Storage$acme:index:Alerts$aws:sns/topic:Topic::alerts-topic",
    );
  });

  it("records component args as inputs and config from stackConfigDir and project defaults", () => {
    expect(byName(resources, "logs").inputs).toEqual({ owner: "platform-team" });
    expect(byName(resources, "logs-bucket").inputs).toEqual({
      bucket: "rec-logs",
      tags: { owner: "platform-team" },
    });
  });

  it("records dependencies and propertyDependencies, with provider-computed values unknown", () => {
    const policy = byName(resources, "logs-policy");
    const bucketUrn = byName(resources, "logs-bucket").urn;
    expect(policy.dependencies).toEqual([bucketUrn]);
    expect(policy.propertyDependencies.bucket).toEqual([bucketUrn]);
    expect(policy.propertyDependencies.policy).toEqual([bucketUrn]);
    expect(policy.inputs.policy).toBe(UNKNOWN);
  });

  it("keeps secrets as wire secrets and undecryptable secure config as unknown", () => {
    expect(byName(resources, "api-token").inputs.value).toEqual({
      [SECRET_SIG]: expect.any(String),
      value: "not-a-real-token",
    });
    // An unknown secret goes on the wire as the unknown sentinel, as the SDK serializes it in a preview.
    expect(byName(resources, "db-password").inputs.value).toBe(UNKNOWN);
  });

  it("marks reads (.get) as external and echoes outputs", () => {
    expect(byName(resources, "existing")).toMatchObject({ external: true, id: "existing-bucket-id" });
    expect(byName(resources, "logs-bucket").outputs).toMatchObject({ bucket: "rec-logs" });
    expect(byName(resources, "recording-dev").outputs).toEqual({ bucketName: "rec-logs" });
  });
});

describe("program runner: configuration and errors", () => {
  function copyFixture(): string {
    return programCopy("rec-", fixture);
  }

  /** `run` with E2B_API_KEY set in the environment the program starts with (the deployer's shell). */
  async function withKeyInShell<T>(key: string, run: () => Promise<T>): Promise<T> {
    const saved = process.env.E2B_API_KEY;
    process.env.E2B_API_KEY = key;
    try {
      return await run();
    } finally {
      if (saved === undefined) delete process.env.E2B_API_KEY;
      else process.env.E2B_API_KEY = saved;
    }
  }

  it("decrypts secure config with the passphrase provider", async () => {
    const dir = copyFixture();
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    writeFileSync(
      path.join(dir, "config/Pulumi.dev.yaml"),
      `encryptionsalt: ${encryptionsalt}\nconfig:\n  recording:owner: platform-team\n  recording:dbPassword:\n    secure: ${encryptWith(key, "s3cret-value")}\n`,
    );
    const graph = await runProgram({ cwd: dir, stack: "dev", passphrase: "correct horse" });
    expect(byName(graph.resources, "db-password").inputs.value).toEqual({
      [SECRET_SIG]: expect.any(String),
      value: "s3cret-value",
    });
    await expect(runProgram({ cwd: dir, stack: "dev", passphrase: "wrong" })).rejects.toThrow(
      /encryptionsalt.*incorrect passphrase/,
    );
  }, 60_000);

  it("masks the secret values it decrypted in a failed program's error and output, a key's digits without its prefix too (real42 #2)", async () => {
    const dir = copyFixture();
    const hex = "0123456789abcdef".repeat(3).slice(0, 40);
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    writeFileSync(
      path.join(dir, "config/Pulumi.dev.yaml"),
      `encryptionsalt: ${encryptionsalt}\nconfig:\n  recording:e2bApiKey:\n    secure: ${encryptWith(key, `e2b_${hex}\n`)}\n  recording:webhook:\n    secure: ${encryptWith(key, `{"url":"https://hooks.example.com/T0/B0/s3cretpath?key=e2b_${[...hex].reverse().join("")}"}`)}\n`,
    );
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as pulumi from "@pulumi/pulumi";',
        "const config = new pulumi.Config();",
        "const checked = pulumi",
        '  .all([config.requireSecret("e2bApiKey"), config.requireSecretObject<{ url: string }>("webhook")])',
        "  .apply(([k, w]) => {",
        "    console.log(`key id ${k.trim().slice(4).toUpperCase()}, hook ${w.url}`);",
        // Pieces of the keys, in any letter case, backwards (rt50 #5).
        "    console.log(`part ${k.slice(4, 30)}, mixed ${k.slice(4, 24).toUpperCase()}${k.slice(24)}`);",
        '    console.log(`hook key ${w.url.slice(-40)}, backwards ${[...w.url.slice(-40)].reverse().join("")}`);',
        "    throw new Error(`E2B key id ${k.trim().slice(4)} is not a live key`);",
        "  });",
        'new pulumi.CustomResource("test:index:Checked", "checked", { value: checked });',
      ].join("\n"),
    );
    const pool = new ProgramPool(1);
    try {
      for (const run of [runProgram, (o: Parameters<typeof runProgram>[0]) => pool.run(o)]) {
        const err = await run({ cwd: dir, stack: "dev", passphrase: "correct horse" }).catch((e: Error) => e);
        expect(err).toBeInstanceOf(ProgramError);
        const shown = [(err as ProgramError).message, ...(err as ProgramError).streams].join("\n");
        expect(shown).toMatch(/E2B key id \[secret\] is not a live key/);
        expect(shown).toMatch(/key id \[secret\], hook \[secret\]/);
        expect(shown).toMatch(/part \[secret\], mixed \[secret\]/);
        expect(shown).toMatch(/hook key (?:\[secret\]|…), backwards \[secret\]/);
        for (let i = 0; i + 12 <= 40; i++)
          expect([i, shown.toLowerCase().includes(hex.slice(i, i + 12))]).toEqual([i, false]);
        expect(shown).not.toMatch(/s3cretpath/);
      }
    } finally {
      pool.close();
    }
  }, 60_000);

  it("masks pieces of a key the program was given in its environment or a file of its folder, in a failed program's error (real43 #3)", async () => {
    const dir = copyFixture();
    const fromShell = "3f9a1c7e5b2d4086af13c9e7b5d20f4a6c8e1b3d";
    const fromFile = "7c5a9be5f1e96771d2aaeb3f0c59aecc0c6bbfd3";
    writeFileSync(path.join(dir, ".e2bkey"), `E2B_API_KEY=e2b_${fromFile}\n`);
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import { readFileSync } from "node:fs";',
        'const k = process.env.E2B_API_KEY ?? "";',
        'const f = /E2B_API_KEY=(.*)/.exec(readFileSync(".e2bkey", "utf8"))![1];',
        "throw new Error(`E2B key id ${k.slice(4)} rejected; ${f.slice(4, 24)} ${f.slice(24)} also`);",
      ].join("\n"),
    );
    const err = await withKeyInShell(`e2b_${fromShell}`, () =>
      runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e),
    );
    expect(err).toBeInstanceOf(ProgramError);
    const shown = [(err as ProgramError).message, ...(err as ProgramError).streams].join("\n");
    // The two halves, a blank between, read as one run of the digits.
    expect(shown).toMatch(/E2B key id \[secret\] rejected; \[secret\] also/);
    for (const hex of [fromShell, fromFile])
      for (let i = 0; i + 12 <= 40; i++)
        expect([i, shown.includes(hex.slice(i, i + 12))]).toEqual([i, false]);
  }, 60_000);

  it("lists the E2B keys the program read from its environment by fingerprint and mask, never the key (real43 #1)", async () => {
    const dir = copyFixture();
    const hex = "3f9a1c7e5b2d4086af13c9e7b5d20f4a6c8e1b3d";
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as pulumi from "@pulumi/pulumi";',
        "const k = process.env.E2B_API_KEY!;",
        'new pulumi.CustomResource("test:index:Thing", "t", { size: k.length });',
      ].join("\n"),
    );
    const graph = await withKeyInShell(`E2B_${hex.toUpperCase()}`, () =>
      runProgram({ cwd: dir, stack: "dev" }),
    );
    expect(graph.programKeyEnv).toEqual([
      { name: "E2B_API_KEY", fingerprint: fingerprintKey(`e2b_${hex}`), mask: "e2b_…1b3d" },
    ]);
    expect(JSON.stringify(graph).toLowerCase()).not.toContain(hex.slice(0, 12));
  }, 60_000);

  it("says, right after a failed program's error, which secure values reached it undecrypted", async () => {
    // The program reads a secure value with plain `require` as a URL: without the passphrase it gets a
    // placeholder, and the URL error alone names no secret.
    const dir = copyFixture();
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    writeFileSync(
      path.join(dir, "config/Pulumi.dev.yaml"),
      `encryptionsalt: ${encryptionsalt}\nconfig:\n  recording:settings:\n    secure: ${encryptWith(key, "https://hooks.example.com/x")}\n`,
    );
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\nexport const host = new URL(new pulumi.Config().require("settings")).host;\n',
    );
    const failed = await runProgram({ cwd: dir, stack: "dev" }).then(
      () => undefined,
      (e: Error) => e,
    );
    const [first, second] = failed?.message.split("\n") ?? [];
    expect(first).toMatch(/the program failed: TypeError: Invalid URL/);
    expect(second).toMatch(
      /^note: secret config recording:settings could not be decrypted here and reached the program as a placeholder .*; if the error comes from one, set PULUMI_CONFIG_PASSPHRASE/,
    );
    const graph = await runProgram({ cwd: dir, stack: "dev", passphrase: "correct horse" });
    expect(graph.resources.length).toBeGreaterThan(0);
    // With a passphrase given, the value is another secrets provider's: no passphrase to set (real39 obs. 6).
    writeFileSync(
      path.join(dir, "config/Pulumi.dev.yaml"),
      "secretsprovider: awskms://alias/agents\nconfig:\n  recording:settings:\n    secure: AQICAHhsomething==\n",
    );
    const other = await runProgram({ cwd: dir, stack: "dev", passphrase: "correct horse" }).then(
      () => undefined,
      (e: Error) => e,
    );
    const note = other?.message.split("\n")[1];
    expect(note).toMatch(/^note: secret config recording:settings could not be decrypted here/);
    expect(note).not.toMatch(/set PULUMI_CONFIG_PASSPHRASE/);
    expect(note).toMatch(/the stack's secrets are not the passphrase provider's/);
  }, 60_000);

  it("parses an undecrypted secure value as JSON into fields hidden under its key, as pulumi preview parses the value", async () => {
    // `JSON.parse(config.require("settings")).replicas` failed offline without the passphrase, where the
    // CLI hands the program the decrypted document (engine/preload/hidden-documents.js).
    const dir = copyFixture();
    const { encryptionsalt, key } = newEncryptionSalt("correct horse");
    writeFileSync(
      path.join(dir, "config/Pulumi.dev.yaml"),
      `encryptionsalt: ${encryptionsalt}\nconfig:\n  recording:settings:\n    secure: ${encryptWith(key, '{"replicas":2}')}\n`,
    );
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        'const settings = JSON.parse(new pulumi.Config().require("settings"));\n' +
        'new pulumi.CustomResource("test:index:Thing", "t", { replicas: settings.replicas, keys: Object.keys(settings) });\n',
    );
    const graph = await runProgram({ cwd: dir, stack: "dev" });
    const thing = graph.resources.find((r) => r.type === "test:index:Thing")!;
    expect(thing.propertyDependencies.replicas).toEqual([
      markerUrn("dev", "recording", "recording:settings.replicas"),
    ]);
    // Listed, it shows one field standing for the hidden ones, so what is built from the list keeps
    // the secret's provenance (rt45 #9).
    expect(thing.propertyDependencies.keys).toEqual([markerUrn("dev", "recording", "recording:settings.*")]);
  }, 60_000);

  it("names the file and field of a bad project", async () => {
    const dir = copyFixture();
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: x\nruntime: python\n");
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(InputError);
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(/Pulumi\.yaml: field 'runtime'/);
    await expect(runProgram({ cwd: path.join(dir, "config"), stack: "dev" })).rejects.toThrow(
      /no Pulumi\.yaml/,
    );
  });

  it("fails a program that registers one URN twice, as pulumi preview does", async () => {
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as s3 from "@pulumi/aws/s3";\nnew s3.BucketV2("assets");\nnew s3.BucketV2("assets");\n',
    );
    const dup =
      /Duplicate resource URN 'urn:pulumi:dev::recording::aws:s3\/bucketV2:BucketV2::assets'; try giving it a unique name/;
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(dup);
    const pool = new ProgramPool(1);
    try {
      await expect(pool.run({ cwd: dir, stack: "dev" })).rejects.toThrow(dup);
    } finally {
      await pool.close();
    }
  });

  it("fails a program whose asset text is an Output, as pulumi preview refuses it, cold and warm", async () => {
    // StringAsset's type asks for string | Promise<string>; plain JavaScript (or a cast) passes an
    // Output, which reaches the engine as a secret (or an unknown) where a string belongs.
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as pulumi from "@pulumi/pulumi";',
        'import * as s3 from "@pulumi/aws/s3";',
        'const text = pulumi.secret("config: 1") as unknown as string;',
        'new s3.BucketObjectv2("site", { bucket: "b", source: new pulumi.asset.StringAsset(text) });',
        "",
      ].join("\n"),
    );
    const refused =
      /failed to register new resource site \[aws:s3\/bucketObjectv2:BucketObjectv2\]: (2 UNKNOWN: )?unexpected asset text of type \*resource\.Secret/;
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(refused);
    const pool = new ProgramPool(1);
    try {
      await expect(pool.run({ cwd: dir, stack: "dev" })).rejects.toThrow(refused);
    } finally {
      await pool.close();
    }
  });

  it("fails a program that ends without its exit handlers, instead of passing what it registered so far", async () => {
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as s3 from "@pulumi/aws/s3";\nnew s3.BucketV2("assets");\n(process as any).reallyExit(0);\n',
    );
    const ended =
      /the program ended without running its exit handlers \(process\.reallyExit, a native exit, or its exit listeners removed\)/;
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(ended);
    const pool = new ProgramPool(1);
    try {
      await expect(pool.run({ cwd: dir, stack: "dev" })).rejects.toThrow(ProgramError);
    } finally {
      await pool.close();
    }
  });

  it("previews a resource nested 1,000 levels deep, where the SDK's debug log of the answer would overflow", async () => {
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as s3 from "@pulumi/aws/s3";\n' +
        'let policy: any = { leaf: "deepest" };\n' +
        "for (let i = 0; i < 1000; i++) policy = { n: policy };\n" +
        'new s3.BucketV2("deep", { tags: { policy } } as any);\n',
    );
    const depthOf = (v: unknown) => {
      let d = 0;
      for (; typeof v === "object" && v !== null && "n" in v; d++) v = (v as { n: unknown }).n;
      return [d, v];
    };
    const graph = await runProgram({ cwd: dir, stack: "dev" });
    const tags = byName(graph.resources, "deep").inputs.tags as { policy: unknown };
    expect(depthOf(tags.policy)).toEqual([1000, { leaf: "deepest" }]);
    const pool = new ProgramPool(1);
    try {
      const warm = await pool.run({ cwd: dir, stack: "dev" });
      expect(depthOf((byName(warm.resources, "deep").inputs.tags as { policy: unknown }).policy)[0]).toBe(
        1000,
      );
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("says on the first line that the stack imports ESC environments the preview cannot open", async () => {
    const dir = copyFixture();
    writeFileSync(path.join(dir, "config/Pulumi.dev.yaml"), "environment:\n  - acme/e2b-prod\nconfig: {}\n");
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\nexport const k = new pulumi.Config().requireSecret("e2bApiKey");\n',
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: unknown) => e);
    expect((err as Error).message.split("\n")[0]).toMatch(
      /the program failed \(the stack imports Pulumi ESC environment\(s\) acme\/e2b-prod, which the offline preview cannot open: configuration they supply is missing\): Missing required configuration variable 'recording:e2bApiKey'/,
    );
  }, 60_000);

  it("reports a failing program without leaking key material from its error", async () => {
    const dir = copyFixture();
    // With a secure value it could not decrypt, read with a plain getter: shown by its key only.
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        `throw new Error("boom e2b_${"ab".repeat(20)} " + new pulumi.Config().require("dbPassword").toUpperCase());\n`,
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as Error).message).toMatch(
      /the program failed: Error: boom e2b_…abab \[secret RECORDING:DBPASSWORD\]\n/,
    );
    expect((err as Error).message).not.toContain("ab".repeat(20));
    expect((err as Error).message).not.toMatch(/04da6b54/i);
  });

  it("redacts a failed program's error and output whole before cutting them to their first and last lines (rt47 #1)", async () => {
    const dir = copyFixture();
    // A dump four bytes a row: its first six rows alone spell `e2b_` and twenty digits, no whole key.
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        `const key = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);`,
        `const rows = Buffer.from(key).toString("hex").match(/.{1,8}/g)!;`,
        `const dump = rows.map((h, i) => (i * 4).toString(16).padStart(8, "0") + ": " + h.slice(0, 4) + " " + h.slice(4) + "  " + Buffer.from(h, "hex").toString()).join("\\n");`,
        `console.log("before\\n" + dump);`,
        `throw new Error("cannot use the key:\\n" + dump);`,
      ].join("\n"),
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /the program failed: Error: cannot use the key:\n(?:note: .*\n)?\[11 lines withheld: a dump of E2B key material\]/,
    );
    expect(message).toMatch(
      /--- program output ---\nbefore\n\[11 lines withheld: a dump of E2B key material\]$/,
    );
    expect(message).not.toMatch(/6532 625f|3031 3233|e2b_\n/);
    expect(message).not.toMatch(/^0000000[0-9a-f]: /m);
  });

  it("shows a failed program's error of megabytes by its first lines only, each key in them masked (rt48 #7)", async () => {
    const dir = copyFixture();
    // An API response of 3 MB quoted in an error: a key in its first line, another past the first MiB.
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        `const key = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);`,
        `const late = "e2b_" + "fedcba9876543210".repeat(3).slice(0, 40);`,
        `const body = Array.from({ length: 60000 }, (_, i) => "row " + i + " " + "x".repeat(40)).join("\\n");`,
        `throw new Error("request with " + key + " failed:\\n" + body + "\\n" + late + "\\nend of response");`,
      ].join("\n"),
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    const message = (err as Error).message;
    expect(message).toMatch(/the program failed: Error: request with e2b_…\w{4} failed:\n/);
    expect(message).not.toMatch(/0123456789abcdef|fedcba9876543210|end of response/);
    expect(message).not.toContain("row 59999");
    expect(message.length).toBeLessThan(1 << 20);
  });

  it("masks the digits of a key split over two source lines when the error quotes the second", async () => {
    // rt37 #8: Node shows the line of a SyntaxError, here the key's last 24 digits without its prefix.
    const dir = copyFixture();
    const hex = "3f9a0c17b2e84d65a1c0f7e29b4d8c3a6e1f0b52";
    appendFileSync(path.join(dir, "Pulumi.yaml"), "main: index.js\n");
    writeFileSync(
      path.join(dir, "index.js"),
      `const k = "e2b_${hex.slice(0, 16)}" +\n  "${hex.slice(16)}"; let let = 1;\n`,
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as Error).message).toMatch(/SyntaxError/);
    for (let i = 0; i + 8 <= 40; i++) expect((err as Error).message).not.toContain(hex.slice(i, i + 8));
  });

  it("puts a program's first TypeScript error on the first line, after ts-node's heading", async () => {
    const dir = copyFixture();
    writeFileSync(path.join(dir, "index.ts"), "const x = ;\n");
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as Error).message.split("\n")[0]).toMatch(
      /index\.ts: the program failed: TSError: ⨯ Unable to compile TypeScript: index\.ts\(1,11\): error TS1109: Expression expected\.$/,
    );
  });

  it("fails fast with the program's own error when it throws inside an apply (no util.inspect loop)", async () => {
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        'export const out = pulumi.output("x").apply((x) => { throw new Error("broken apply " + x); });\n',
    );
    const started = Date.now();
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    // The first line says why an apply may fail offline where the CLI's preview would not run it
    // (real33 bug 4: a provider-filled `loadBalancer: {}` came back known and empty).
    expect((err as Error).message).toMatch(
      /the program failed: Error: broken apply x \(offline, a resource's outputs are the inputs the program gave: what its provider computes at preview is missing, .*\)\n/,
    );
    // Under Node 20, the SDK's coloured util.inspect of such an error ran for minutes (nodejs/node#64011).
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 60_000);

  it("names the provider functions answered offline when a program that called them fails", async () => {
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as aws from "@pulumi/aws";\n' +
        "export const first = aws.ec2.getSubnets({}).then((s) => s.ids.slice(0, 1));\n",
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    // The program's own error first (it may have nothing to do with the functions), then the note.
    expect((err as Error).message.split("\n")[0]).toMatch(
      /the program failed: TypeError: .* \(offline, provider functions are answered without a provider: aws:ec2\/getSubnets:getSubnets; if the error comes from their results, preview this program with `pulumi preview --policy-pack` instead\)$/,
    );
  }, 60_000);

  it("names the multi-language components left unexpanded when a program that registered one fails", async () => {
    // As eks.createManagedNodeGroup fails offline: its alias names the cluster component's output,
    // which the CLI's provider would have made known.
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        "class Cluster extends pulumi.ComponentResource {\n" +
        '  constructor(name: string) { super("acme:index:Cluster", name, {}, {}, true); }\n' +
        "}\n" +
        'new Cluster("c");\n' +
        "throw new TypeError(\"Cannot read properties of undefined (reading 'name')\");\n",
    );
    const err = await runProgram({ cwd: dir, stack: "dev" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ProgramError);
    expect((err as Error).message.split("\n")[0]).toMatch(
      /the program failed: TypeError: .* \(offline, multi-language components are not expanded and their outputs are unknown: acme:index:Cluster; if the error comes from their outputs, preview this program with `pulumi preview --policy-pack` instead\)$/,
    );
  }, 60_000);

  it("names the stacks read through StackReferences that nothing depends on (an awaited getOutputValue)", async () => {
    // Offline a reference's outputs are unknown: `await getOutputValue` is undefined and the variable
    // it fed vanishes with no dependency left (rt37 #4). One read with getOutput leaves a dependency.
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        "export = async () => {\n" +
        '  const prod = new pulumi.StackReference("acme/agents-platform/prod");\n' +
        '  const arn = await prod.getOutputValue("e2bSecretArn");\n' +
        '  const dns = new pulumi.StackReference("acme/dns/prod");\n' +
        '  new pulumi.CustomResource("test:index:Thing", "t", { arn, zone: dns.getOutput("zoneId") });\n' +
        "};\n",
    );
    const graph = await runProgram({ cwd: dir, stack: "dev" });
    expect(graph.offline?.undependedReferences).toEqual(["acme/agents-platform/prod"]);
    const thing = graph.resources.find((r) => r.type === "test:index:Thing")!;
    expect(thing.inputs).not.toHaveProperty("arn");
  }, 60_000);

  it("names the types of resources the program reads with get(), whose outputs are unknown offline (real37 obs. 3)", async () => {
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        'class Secret extends pulumi.CustomResource { constructor(n: string, id: string) { super("gcp:secretmanager/secret:Secret", n, {}, { id }); } }\n' +
        'new Secret("agent-key", "projects/p/secrets/e2b");\n' +
        'new pulumi.StackReference("acme/dns/prod");\n',
    );
    const graph = await runProgram({ cwd: dir, stack: "dev" });
    expect(graph.offline?.reads).toEqual(["gcp:secretmanager/secret:Secret"]);
  }, 60_000);

  it("names a Kubernetes object without metadata.name as the provider's Check does, so what a program builds in its name's apply is registered", async () => {
    // real33 bug 3: `ns.metadata.name.apply(…)` never ran offline, and the ConfigMap it creates was
    // neither previewed nor judged; under `pulumi preview` the provider autonames in Check.
    const dir = copyFixture();
    writeFileSync(
      path.join(dir, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\n' +
        'const ns = new pulumi.CustomResource("kubernetes:core/v1:Namespace", "agents", { metadata: undefined }, {}, false);\n' +
        "const name = (ns as unknown as { metadata: pulumi.Output<{ name: string }> }).metadata;\n" +
        'name.apply((m) => new pulumi.CustomResource("kubernetes:core/v1:ConfigMap", "settings", { metadata: { namespace: m.name } }));\n' +
        'new pulumi.CustomResource("kubernetes:core/v1:ConfigMap", "named", { metadata: { name: "fixed" } });\n',
    );
    const graph = await runProgram({ cwd: dir, stack: "dev" });
    const byName = new Map(graph.resources.map((r) => [r.name, r]));
    const nsName = (byName.get("agents")!.inputs.metadata as { name: string }).name;
    expect(nsName).toMatch(/^agents-[0-9a-f]{8}$/);
    expect(byName.get("settings")?.inputs.metadata).toEqual({
      namespace: nsName,
      name: expect.stringMatching(/^settings-[0-9a-f]{8}$/),
    });
    // A name the program gave is kept; one run names objects as the next does.
    expect(byName.get("named")!.inputs.metadata).toEqual({ name: "fixed" });
    const again = await runProgram({ cwd: dir, stack: "dev" });
    expect((again.resources.find((r) => r.name === "agents")!.inputs.metadata as { name: string }).name).toBe(
      nsName,
    );
  }, 60_000);

  it("a configuration too large for the program's environment is one line naming the stack file", async () => {
    const dir = copyFixture();
    const file = path.join(dir, "config/Pulumi.dev.yaml");
    writeFileSync(
      file,
      `config:\n  recording:owner: platform-team\n  recording:notes: "${"x".repeat(200_000)}"\n`,
    );
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: field 'config' is too large to hand to the program \\(\\d+ bytes`,
      ),
    );
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(InputError);
  });

  it("a program whose dependencies are not installed is bad input naming its folder", async () => {
    const dir = tmpDir("noinstall-");
    cpSync(fixture, dir, { recursive: true });
    await expect(runProgram({ cwd: dir, stack: "dev" })).rejects.toThrow(
      new InputError(`${dir}: cannot resolve @pulumi/pulumi from the program (run npm install there)`),
    );
  });

  it("never needs the passphrase a CI sets for every stack when a stack has no encryptionsalt", async () => {
    const dir = copyFixture();
    // The fixture's stack has a secure value but no encryptionsalt (another secrets provider):
    // with a passphrase set, the value stays an unknown secret, as without one.
    const graph = await runProgram({ cwd: dir, stack: "dev", passphrase: "set-for-every-stack" });
    expect(graph.resources.find((r) => r.name === "db-password")?.inputs.value).toBe(UNKNOWN);
  }, 60_000);
});
