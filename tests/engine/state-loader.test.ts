import { LIMITS, TEXT_DEPTH, checkJsonSize } from "../../engine/limits";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { loadStateExport, InputError, OPAQUE_SECRET, SECRET_SIG, type GraphResource } from "../../engine";
import { parseStateExport, TOO_DEEP } from "../../engine/state-loader";
import { tmpDir } from "../support/tmp";

const state = (f: string) => path.join(__dirname, "fixtures/state", f);
const KEY = "e2b_0123456789abcdef0123456789abcdef01234567";
const lambda = (rs: GraphResource[]) => rs.find((r) => r.type === "aws:lambda/function:Function")!;
/** A deployment (v3) holding one resource, as `pulumi stack export` writes it. */
const oneResource = (resource: Record<string, unknown>) => ({
  version: 3,
  deployment: { resources: [resource] },
});

describe("state loader (pulumi stack export, deployment v3 and v4, DIY checkpoints)", () => {
  it("reads resources with stack, project, parents and dependencies", () => {
    const g = loadStateExport(state("lambda-key-shown.json"));
    expect(g).toMatchObject({ stack: "prod", project: "agents-api", source: { kind: "state" } });
    const fn = lambda(g.resources);
    expect(fn).toMatchObject({
      name: "api",
      custom: true,
      id: "api",
      parent: "urn:pulumi:prod::agents-api::pulumi:pulumi:Stack::agents-api-prod",
    });
    expect(fn.propertyDependencies.role).toEqual([
      "urn:pulumi:prod::agents-api::aws:iam/role:Role::api-role",
    ]);
    expect(g.resources.map((r) => r.type)).toContain("pulumi:providers:aws");
  });

  it("reads an export written with a byte order mark, in UTF-8 or UTF-16 (Windows PowerShell 5's `>`)", () => {
    const text = readFileSync(state("lambda-key-shown.json"), "utf8");
    const expected = loadStateExport(state("lambda-key-shown.json")).resources;
    const dir = tmpDir("bom-");
    const variants = {
      "utf8-bom.json": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      "utf16le.json": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
      "utf16be.json": Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]),
      "utf16le-no-bom.json": Buffer.from(text, "utf16le"),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      writeFileSync(path.join(dir, name), bytes);
      expect(loadStateExport(path.join(dir, name)).resources).toEqual(expected);
    }
  });

  it("names an invisible unexpected character by its code point, and says what a second byte order mark means", () => {
    const file = path.join(tmpDir("twice-bom-"), "state.json");
    writeFileSync(
      file,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from("{}")]),
    );
    expect(() => loadStateExport(file)).toThrow(
      `${file}: not valid JSON (Unexpected token 'U+FEFF'; the file looks like UTF-16 or holds a byte order mark more than once)`,
    );
  });

  it("decodes shown secrets (plaintext is a JSON encoding of the value)", () => {
    const env = lambda(loadStateExport(state("lambda-key-shown.json")).resources).inputs.environment as {
      variables: Record<string, unknown>;
    };
    expect(env.variables.E2B_API_KEY).toEqual({ [SECRET_SIG]: expect.any(String), value: KEY });
  });

  it("keeps encrypted secrets opaque, and says the export hid some (a baseline tells such runs apart)", () => {
    const g = loadStateExport(state("lambda-key-encrypted.json"));
    const env = lambda(g.resources).inputs.environment as { variables: Record<string, unknown> };
    expect(env.variables.E2B_API_KEY).toEqual({ [SECRET_SIG]: expect.any(String), value: OPAQUE_SECRET });
    expect(g.secretsHidden).toBe(true);
    expect(loadStateExport(state("lambda-key-shown.json")).secretsHidden).toBeUndefined();
  });

  it.each([
    ["missing.json", /missing\.json: cannot read \(ENOENT\)/],
    ["malformed.json", /malformed\.json: not valid JSON/],
    ["wrong-version.json", /wrong-version\.json: field 'version' is 7; expected 1 to 4/],
    ["missing-urn.json", /missing-urn\.json: field 'deployment\.resources\[1\]\.urn' must be a Pulumi URN/],
  ])("rejects %s with one line naming the file and field", (file, message) => {
    let err: unknown;
    try {
      loadStateExport(state(file));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });

  it("reads a shown secret whose plaintext is itself a secret as one secret (the pack never sees a secret in a secret)", () => {
    const SIG = SECRET_SIG;
    const VALUE = "1b47061264138c4ac30d75fd1eb44270";
    const inner = JSON.stringify({ [SIG]: VALUE, plaintext: JSON.stringify({ key: KEY }) });
    const g = parseStateExport(
      oneResource({
        urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
        type: "aws:s3/bucket:Bucket",
        outputs: {
          s: { [SIG]: VALUE, plaintext: inner },
          t: { [SIG]: VALUE, value: { [SIG]: VALUE, value: 1 } },
        },
      }),
      "nested.json",
    );
    expect(g.resources[0].outputs).toEqual({
      s: { [SIG]: VALUE, value: { key: KEY } },
      t: { [SIG]: VALUE, value: 1 },
    });
  });

  it("reads a tree just under the nesting limit, in inputs, a secret's plaintext and a record field, without running out of stack", () => {
    const depth = LIMITS.depth - 10;
    const nest = (leaf: unknown) => {
      let v: unknown = leaf;
      for (let i = 0; i < depth; i++) v = { d: v };
      return v;
    };
    const g = parseStateExport(
      oneResource({
        urn: "urn:pulumi:dev::p::x:y:Z::b",
        type: "x:y:Z",
        inputs: { x: nest("in") },
        outputs: {
          s: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(nest("s")) },
        },
        initErrors: [nest("err")],
      }),
      "deep.json",
    );
    let v: unknown = g.resources[0].inputs.x;
    for (let i = 0; i < depth; i++) v = (v as { d: unknown }).d;
    expect(v).toBe("in");
  });

  it("reads what nests deeper than the limit as text, in a shown secret's plaintext too, and marks its place", () => {
    const key = "e2b_3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";
    const deep =
      '{"a":'.repeat(LIMITS.depth + 50) + JSON.stringify(`token ${key}`) + "}".repeat(LIMITS.depth + 50);
    let inputs: unknown = { name: key };
    for (let i = 0; i < LIMITS.depth + 20; i++) inputs = { d: inputs };
    const g = parseStateExport(
      oneResource({
        urn: "urn:pulumi:dev::p::x:y:Z::b",
        type: "x:y:Z",
        inputs,
        outputs: { s: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: deep } },
      }),
      "deep-secret.json",
    );
    const [r] = g.resources;
    expect(r.tooDeep).toEqual([
      { field: "inputs", text: expect.arrayContaining(["name", key]) },
      { field: "outputs", text: expect.arrayContaining([`token ${key}`]) },
    ]);
    expect(JSON.stringify(r.inputs)).toContain(TOO_DEEP);
  });

  it("reads a deployment field deeper than the limit as text too, instead of refusing the export", () => {
    const key = "e2b_3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";
    let manifest: unknown = { plugins: [{ name: key }] };
    for (let i = 0; i < LIMITS.depth + 20; i++) manifest = { m: manifest };
    const g = parseStateExport(
      {
        version: 3,
        deployment: { manifest, resources: [{ urn: "urn:pulumi:dev::p::x:y:Z::b", type: "x:y:Z" }] },
      },
      "deep-manifest.json",
    );
    expect(g.deploymentTooDeep).toEqual([{ field: "manifest", text: expect.arrayContaining(["name", key]) }]);
    expect(JSON.stringify(g.deploymentFields)).toContain(TOO_DEEP);
  });

  it("reads a file nested far deeper than the limit without building the tree: its deep part as text", () => {
    // 30 million nested arrays in 60 MB took 3 GB to parse; past TEXT_DEPTH the text is one string.
    const key = "e2b_3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";
    const levels = TEXT_DEPTH + 5000;
    const inputs = `${"[".repeat(levels)}${JSON.stringify(`k=${key}`)}${"]".repeat(levels)}`;
    const text = `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:dev::p::x:y:Z::b","type":"x:y:Z","inputs":{"a":${inputs}}}]}}`;
    const parsed = checkJsonSize(text, "deep.json");
    expect(parsed.length).toBeLessThan(text.length + 100);
    expect(JSON.parse(parsed)).toBeTruthy();
    const dir = tmpDir("deep-text-");
    writeFileSync(path.join(dir, "deep.json"), text);
    const [r] = loadStateExport(path.join(dir, "deep.json")).resources;
    expect(r.tooDeep).toHaveLength(1);
    expect(r.tooDeep![0].text.some((t) => t.includes(key))).toBe(true);
    // A key escaped inside a document held in a string at that depth is read as JSON.parse would
    // have handed it over (unescaped once), so it is found as it is without the cut.
    const doc = JSON.stringify(JSON.stringify({ k: key }).replace("e2b_", "\\u0065\\u0032b_"));
    const escapedDeep = text.replace(JSON.stringify(`k=${key}`), doc);
    writeFileSync(path.join(dir, "escaped.json"), escapedDeep);
    const [e] = loadStateExport(path.join(dir, "escaped.json")).resources;
    expect(e.tooDeep![0].text.join("\n")).toContain('"\\u0065\\u0032b_');
    // What lies past the cut is not parsed, but its strings, brackets and bare words are checked.
    for (const [bad, why] of [
      [text.replace(`"k=`, `xyz, "k=`), /not valid JSON \(unexpected character at \d+\)$/],
      [text.replace(`"k=`, `"\\q k=`), /not valid JSON \(a string at character \d+ is malformed\)$/],
      [text.replace(`"]]]`, `"}]]`), /not valid JSON \(a bracket at character \d+ closes another kind\)$/],
    ] as const) {
      writeFileSync(path.join(dir, "bad.json"), bad);
      expect(() => loadStateExport(path.join(dir, "bad.json"))).toThrow(why);
    }
    // An array is no export: one line at once.
    writeFileSync(path.join(dir, "array.json"), "[".repeat(1000) + "]".repeat(1000));
    expect(() => loadStateExport(path.join(dir, "array.json"))).toThrow(
      `${path.join(dir, "array.json")}: field '(root)' must be an object (a \`pulumi stack export\` file)`,
    );
  });

  it("keeps a property named __proto__ as a property (it cannot hide a key)", () => {
    const doc = JSON.parse(
      `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:dev::p::x:y:Z::b","type":"x:y:Z","inputs":{"__proto__":{"E2B_API_KEY":"${KEY}"}}}]}}`,
    );
    const inputs = parseStateExport(doc, "proto.json").resources[0].inputs;
    expect(Object.keys(inputs)).toEqual(["__proto__"]);
    expect(JSON.stringify(inputs)).toContain(KEY);
  });

  it("refuses a record Pulumi would not write, naming the field, so a key in it is judged or refused, never passed (rt54 #4, #5)", () => {
    const dir = tmpDir("identity-");
    const file = path.join(dir, "export.json");
    const BUCKET = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b";
    const PROVIDER = "urn:pulumi:dev::p::pulumi:providers:aws::default";
    const exportWith = (r: Record<string, unknown>) =>
      JSON.stringify({
        version: 3,
        deployment: {
          resources: [
            { urn: PROVIDER, type: "pulumi:providers:aws", custom: true, id: "prov-1" },
            { urn: BUCKET, type: "aws:s3/bucket:Bucket", custom: true, id: "b-1", ...r },
          ],
        },
      });
    const refused = (r: Record<string, unknown>) => {
      writeFileSync(file, exportWith(r));
      try {
        loadStateExport(file);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as Error).message).not.toContain(KEY.slice(4, 16));
        return (e as Error).message.replace(`${file}: `, "");
      }
      return "read";
    };
    const at = "field 'deployment.resources[1]";
    expect(refused({ provider: `${PROVIDER}::prov-1` })).toBe("read");
    expect(refused({ type: `aws:x:${KEY}` })).toMatch(`${at}.type' is "aws:x:e2b_…`);
    expect(refused({ provider: KEY })).toBe(
      `${at}.provider' must be a provider reference (the provider's URN, '::' and its id)`,
    );
    expect(refused({ urn: `urn:pulumi:dev::${KEY}::aws:s3/bucket:Bucket::b` })).toBe(
      `${at}.urn' names another stack or project than deployment.resources[0] (an export holds one stack)`,
    );
    expect(refused({ custom: "yes" })).toBe(`${at}.custom' must be true or false`);
    expect(refused({ id: { v: KEY } })).toBe(`${at}.id' must be a string`);
    expect(refused({ parent: 7 })).toBe(`${at}.parent' must be a string`);
    const SIG = "4dabf18193072939515e22adb298388d";
    expect(refused({ outputs: { x: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: [KEY] } } })).toBe(
      `${at}.outputs.x.plaintext' must be the secret's value as JSON text`,
    );
    expect(
      refused({ outputs: { x: { [SIG]: "c44067f5952c0a294b673a41bacd8c17", path: 5, text: KEY } } }),
    ).toBe(`${at}.outputs.x' holds a malformed asset: unexpected asset path of type float64`);
    expect(refused({ outputs: { x: { [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7", assets: "x" } } })).toBe(
      `${at}.outputs.x' holds a malformed archive: unexpected archive contents of type string`,
    );
    expect(refused({ outputs: { x: { [SIG]: "zz", v: KEY } } })).toBe(
      `${at}.outputs.x' holds an object with an unknown Pulumi signature "zz"`,
    );
  });

  it("reads what newer CLIs write (version 4, NaN, non-UTF-8 strings, DIY checkpoints) and refuses what no CLI reads, naming the field", () => {
    const dir = tmpDir("formats-");
    const file = path.join(dir, "state.json");
    const SIG = "4dabf18193072939515e22adb298388d";
    const bucket = (outputs: Record<string, unknown>) => ({
      urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
      type: "aws:s3/bucket:Bucket",
      outputs,
    });
    const read = (doc: unknown, bytes?: Buffer) => {
      writeFileSync(file, bytes ?? JSON.stringify(doc));
      try {
        return loadStateExport(file);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message.replace(`${file}: `, "");
      }
    };
    const v4 = (outputs: Record<string, unknown>, features: unknown = ["byteString"]) => ({
      version: 4,
      features,
      deployment: { resources: [bucket(outputs)] },
    });
    const outputsOf = (g: ReturnType<typeof read>) => (typeof g === "string" ? g : g.resources[0].outputs);

    const nan = { [SIG]: "8ad145fe-0d11-4827-bfd7-1abcbf086f5c", value: "7ff8000000000001" };
    const inf = { [SIG]: "8ad145fe-0d11-4827-bfd7-1abcbf086f5c", value: "fff0000000000000" };
    const bytes = {
      [SIG]: "803fd3297a5875dc03ca845dda5d2a98",
      value: Buffer.from([0x61, 0xff, 0x62]).toString("base64"),
    };
    expect(outputsOf(read(v4({ nan, inf, bytes })))).toEqual({ nan: NaN, inf: -Infinity, bytes: "a\ufffdb" });
    expect(read(v4({}, ["hooks", "stackTags"]))).toBe(
      `field 'features' names features the Pulumi CLI does not know ("stackTags"): it refuses such a deployment`,
    );
    expect(read(v4({}, "hooks"))).toBe("field 'features' must be an array of feature names");
    expect(read({ ...v4({}), version: 5 })).toMatch(/^field 'version' is 5; expected 1 to 4/);
    expect(read(v4({ x: { ...nan, value: "0x7ff8" } }))).toBe(
      "field 'deployment.resources[0].outputs.x.value' must be a number's 64 bits in hexadecimal",
    );
    expect(read(v4({ x: { ...bytes, value: "YW-_" } }))).toBe(
      "field 'deployment.resources[0].outputs.x.value' must be the string's bytes in standard base64",
    );

    // A resource reference's id in the map form older CLIs wrote, {"V": id}, read as the CLI reads it.
    const ref = { [SIG]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:pulumi:dev::p::e2b:index:Key::k" };
    expect(
      outputsOf(
        read(v4({ a: { ...ref, id: { V: KEY } }, b: { ...ref, id: { V: {} } }, c: { ...ref, id: {} } })),
      ),
    ).toEqual({ a: { ...ref, id: KEY }, b: { ...ref, id: "" }, c: ref });
    expect(read(v4({ a: { ...ref, id: 7 } }))).toBe(
      "field 'deployment.resources[0].outputs.a.id' must be the id of the resource the reference names (a string)",
    );
    expect(read(v4({ a: { ...ref, id: { V: [KEY] } } }))).toMatch(
      /^field '.*outputs\.a\.id\.V' must be the id/,
    );
    expect(read(v4({ a: { ...ref, packageVersion: 6 } }))).toBe(
      "field 'deployment.resources[0].outputs.a.packageVersion' must be a string",
    );

    // Versions 1 and 2, and a checkpoint from before versions (2017), as the CLI migrates them: every
    // input depends on all the dependencies.
    const old = {
      ...bucket({ a: 1 }),
      inputs: { name: "b", acl: "private" },
      dependencies: ["urn:pulumi:dev::p::x:y:Z::z"],
    };
    for (const doc of [{ version: 1, deployment: { resources: [old] } }, { latest: { resources: [old] } }]) {
      const g = read(doc);
      expect(typeof g === "string" ? g : g.resources[0].propertyDependencies).toEqual({
        name: old.dependencies,
        acl: old.dependencies,
      });
    }
    // Its fields folded as the CLI folds them, where they stand (rt60 #2).
    expect(read({ latest: { resources: [] }, Latest: { resources: [old] } })).toMatch(
      /^field 'Latest' is 'latest' in other letters/,
    );
    // A resource being replaced: the old copy is a resource of its own, named so (rt61 #1).
    const live = { ...bucket({ id: "b-2" }), id: "b-2" };
    const oldCopy = { ...live, delete: true, id: "b-1", outputs: { id: "b-1" } };
    const replaced = read({ version: 3, deployment: { resources: [oldCopy, oldCopy, live] } });
    expect(typeof replaced === "string" ? replaced : replaced.resources).toMatchObject([
      {
        id: "b-1",
        name: "b (pending deletion)",
        urn: "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b (pending deletion)",
      },
      { id: "b-1", name: "b (pending deletion 2)" },
      { id: "b-2", name: "b", urn: live.urn },
    ]);
    expect(read({ version: 3, deployment: { resources: [live, { ...live }] } })).toMatch(
      /^field 'deployment\.resources\[1\]\.urn' repeats the URN of deployment\.resources\[0\], and neither is marked delete: true/,
    );
    expect(read({ version: 2, features: ["hooks"], deployment: { resources: [] } })).toBe(
      "field 'features' is written only with version 4 (the CLI does not read it in version 2)",
    );

    // A DIY backend's checkpoint: its latest deployment, field names under checkpoint.latest.
    const checkpoint = (latest: unknown) => ({ version: 3, checkpoint: { stack: "dev", latest } });
    expect(outputsOf(read(checkpoint({ resources: [bucket({ a: 1 })] })))).toEqual({ a: 1 });
    expect(read(checkpoint(null))).toMatchObject({ resources: [], stack: "dev", project: "unknown" });
    expect(read({ stack: "dev", latest: null })).toMatchObject({ stack: "dev" });
    expect(read({ stack: "dev" })).toMatchObject({ stack: "dev", resources: [] });
    expect(read({ version: 3, checkpoint: { stack: 5 } })).toBe(
      "field 'checkpoint.stack' must be the stack's name (a string)",
    );
    expect(read({ stack: "dev", config: "x" })).toBe(
      "field 'config' must be a map of the stack's configuration",
    );
    expect(read({ version: 3, checkpoint: { stack: "organization/shop/prod" } })).toMatchObject({
      stack: "prod",
      project: "shop",
    });
    expect(read(checkpoint({ resources: [{ urn: "x" }] }))).toBe(
      "field 'checkpoint.latest.resources[0].urn' must be a Pulumi URN",
    );
    expect(read(checkpoint([]))).toBe(
      "field 'checkpoint.latest' must be an object (the stack's latest deployment)",
    );
    // What the CLI's Go reader would take differently is refused: a field in other letters (it folds
    // case, and reads the last of two), an export that is also a checkpoint, features in version 3.
    const exported = { resources: [bucket({ a: 1 })] };
    expect(read({ version: 3, deployment: exported, Deployment: exported })).toBe(
      "field 'Deployment' is 'deployment' in other letters: Pulumi writes 'deployment', and the CLI would read either (the last of two)",
    );
    expect(read({ version: 3, checKpoint: {} })).toMatch(
      /^field 'checKpoint' is 'checkpoint' in other letters/,
    );
    expect(read(checkpoint({ Resources: [] }))).toMatch(
      /^field 'checkpoint\.latest\.Resources' is 'resources'/,
    );
    expect(read({ version: 3, deployment: { resources: [{ ...bucket({}), Outputs: {} }] } })).toMatch(
      /^field 'deployment\.resources\[0\]\.Outputs' is 'outputs' in other letters/,
    );
    expect(
      read({ version: 3, deployment: { resources: [{ ...bucket({}), propertydependencies: {} }] } }),
    ).toMatch(
      /^field 'deployment\.resources\[0\]\.propertydependencies' is 'propertyDependencies' in other letters/,
    );
    expect(read({ verſion: 3, deployment: exported })).toMatch(
      /^field 'verſion' is 'version' in other letters/,
    );
    expect(read({ ...checkpoint({}), deployment: exported })).toMatch(
      /^field 'checkpoint' stands beside 'deployment'/,
    );
    expect(read({ version: 3, features: ["hooks"], deployment: exported })).toBe(
      "field 'features' is written only with version 4 (the CLI does not read it in version 3)",
    );
    expect(read(v4({ a: { ...ref, id: { V: "i-1", note: KEY } } }))).toBe(
      "field 'deployment.resources[0].outputs.a.id.note' is no member of a resource reference's id (only V is)",
    );
    expect(read(v4({ a: { ...ref, id: { V: { Element: { V: KEY } } } } }))).toMatch(
      /outputs\.a\.id\.V' must be the id/,
    );
    expect(outputsOf(read(v4({ a: { ...ref, id: { V: { Element: { V: "" } } } } })))).toEqual({
      a: { ...ref, id: "" },
    });
    // Other members of the file are read with the deployment's fields.
    expect(read({ version: 3, deployment: exported, note: { k: KEY } })).toMatchObject({
      deploymentFields: { note: { k: KEY } },
    });

    // Gzipped (PULUMI_DIY_BACKEND_GZIP) within the size limit; zstd named, not misread.
    expect(
      outputsOf(read(undefined, gzipSync(JSON.stringify(checkpoint({ resources: [bucket({ a: 2 })] }))))),
    ).toEqual({
      a: 2,
    });
    expect(read(undefined, Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toMatch(/^not valid gzip/);
    const trailing = Buffer.concat([
      gzipSync(JSON.stringify(checkpoint(null))),
      Buffer.from(`\0\0{"k":"${KEY}"}`),
    ]);
    expect(read(undefined, trailing)).toBe("not valid gzip (data after the compressed stream)");
    expect(read(undefined, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toMatch(/^is zstd-compressed/);
  });

  it("refuses an object that repeats a member name (JSON.parse would hide the first), naming it", () => {
    const dir = tmpDir("repeated-");
    const lambdaWith = (vars: string) =>
      `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:dev::p::aws:lambda/function:Function::api","type":"aws:lambda/function:Function","inputs":{"environment":{"variables":{${vars}}}},"outputs":{"tags":[{"a":1},{"b":2,"c":3}]}}]}}`;
    const file = path.join(dir, "repeated.json");
    writeFileSync(file, lambdaWith(`"E2B_API_KEY":"${KEY}","E2B_API_KEY":"arn:aws:secretsmanager:x"`));
    expect(() => loadStateExport(file)).toThrow(
      `${file}: field 'deployment.resources[0].inputs.environment.variables.E2B_API_KEY' is a member name its object repeats`,
    );
    // The same name in two objects, in arrays, and names with escapes are no repeat.
    writeFileSync(file, lambdaWith(`"A":"1","B":"\\"x\\":1","C\\u0022":"2"`));
    expect(loadStateExport(file).resources).toHaveLength(1);
    // A member named __proto__, which the policy protocol drops with what it holds, is refused too.
    writeFileSync(file, lambdaWith(`"__proto__":{"E2B_API_KEY":"${KEY}"}`));
    expect(() => loadStateExport(file)).toThrow(/field '.*variables\.__proto__' is a member named __proto__/);
    // A repeat spelt with an escape is one too.
    writeFileSync(file, lambdaWith(`"AB":"1","A\\u0042":"2"`));
    expect(() => loadStateExport(file)).toThrow(
      /field '.*variables\.AB' is a member name its object repeats/,
    );
  });
});
