/** The artifact reader on real files: folders, archives, limits and everything it could not read. */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { brotliCompressSync, gzipSync } from "node:zlib";
import * as tar from "tar";
import { ArtifactReader, deployedPathsOf, lineAt, PROGRAM_DIR_TAG } from "../../../policies/detect/artifacts";
import { scanProps } from "../../../policies/detect/scanner";
import type { Tree } from "../../../policies/detect/walk";
import { tmpDir } from "../../support/tmp";

const KEY = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);

function program(): string {
  const dir = tmpDir("artifacts-");
  mkdirSync(path.join(dir, "site/img"), { recursive: true });
  writeFileSync(path.join(dir, "site/index.html"), "<p>hi</p>\n");
  writeFileSync(path.join(dir, "site/app.js"), `// line 1\nconst k = "${KEY}";\n`);
  writeFileSync(path.join(dir, "site/img/logo.png"), Buffer.from([0x89, 0x50, 0, 0, 1]));
  writeFileSync(path.join(dir, "big.txt"), "x".repeat(2048));
  return dir;
}

describe("ArtifactReader", () => {
  it("reads a folder's text files and notes the binary ones", () => {
    const dir = program();
    const c = new ArtifactReader([dir]).read("archive", "site");
    expect(c.files.map((f) => f.name).sort()).toEqual(["app.js", "index.html"]);
    expect(c.notes).toEqual(["img/logo.png skipped as binary"]);
  });

  it("reads .zip and .tgz archives", async () => {
    const dir = program();
    writeFileSync(path.join(dir, "fn.zip"), zipSync({ "src/handler.js": Buffer.from(`x = "${KEY}"`) }));
    await tar.c({ gzip: true, file: path.join(dir, "site.tgz"), cwd: dir }, ["site"]);
    const r = new ArtifactReader([dir]);
    expect(r.read("archive", "fn.zip").files.map((f) => f.name)).toEqual(["src/handler.js"]);
    const tgz = r.read("archive", "site.tgz");
    expect(tgz.files.map((f) => f.name).sort()).toEqual(["site/app.js", "site/index.html"]);
    expect(tgz.notes).toEqual(["site/img/logo.png skipped as binary"]);
  });

  it("reads a tar's contiguous-file entries as files, and notes entry types it cannot read", () => {
    const dir = program();
    const body = Buffer.from(`E2B_API_KEY=${KEY}\n`);
    const block = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
    const entry = (name: string, type: "ContiguousFile" | "FIFO" | "GNUDumpDir", data: Buffer) => {
      const h = new tar.Header({ path: name, mode: 0o644, size: data.length, type, mtime: new Date(0) });
      h.encode();
      return Buffer.concat([h.block!, block(data)]);
    };
    writeFileSync(
      path.join(dir, "bundle.tar"),
      Buffer.concat([
        entry("app/.env", "ContiguousFile", body),
        entry("app/fifo", "FIFO", Buffer.alloc(0)),
        entry("app/odd", "GNUDumpDir", Buffer.from("dir listing")),
        Buffer.alloc(1024),
      ]),
    );
    const t = new ArtifactReader([dir]).read("archive", "bundle.tar");
    expect(t.files.map((f) => f.name)).toEqual(["app/.env"]);
    expect(t.notes).toEqual(["app/odd skipped: a tar entry of type GNUDumpDir"]);
  });

  it("opens archives inside a folder and inside archives: a .jar in a function's code folder", () => {
    const dir = program();
    mkdirSync(path.join(dir, "fn/lib"), { recursive: true });
    writeFileSync(path.join(dir, "fn/handler.js"), "exports.handler = () => 1;\n");
    const inner = zipSync({ "config/app.properties": Buffer.from(`e2b.apiKey=${KEY}\n`) });
    writeFileSync(
      path.join(dir, "fn/lib/agent.jar"),
      zipSync({ "META-INF/MANIFEST.MF": Buffer.from("Manifest-Version: 1.0\n"), "lib/inner.jar": inner }),
    );
    const c = new ArtifactReader([dir]).read("archive", "fn");
    expect(c.files.map((f) => f.name).sort()).toEqual([
      "handler.js",
      "lib/agent.jar!/META-INF/MANIFEST.MF",
      "lib/agent.jar!/lib/inner.jar!/config/app.properties",
    ]);
    expect(c.notes).toEqual([]);
    // Not endlessly: archives nest two deep inside an artifact; the third is noted, not opened.
    writeFileSync(
      path.join(dir, "deep.zip"),
      zipSync({ "a.zip": zipSync({ "b.zip": zipSync({ "c.zip": inner }) }) }),
    );
    const deep = new ArtifactReader([dir]).read("archive", "deep.zip");
    expect(deep.files).toEqual([]);
    expect(deep.notes).toEqual(["a.zip!/b.zip!/c.zip skipped as binary"]);
  });

  it("reads a text file named like an archive as text and a link to a file; notes a link to a folder, which Pulumi does not follow", () => {
    const dir = program();
    mkdirSync(path.join(dir, "fn"), { recursive: true });
    writeFileSync(path.join(dir, "fn/settings.jar"), `E2B=${KEY}\n`);
    writeFileSync(path.join(dir, "outside.env"), `E2B_API_KEY=${KEY}\n`);
    symlinkSync(path.join(dir, "outside.env"), path.join(dir, "fn/app.env"));
    symlinkSync(path.join(dir, "site"), path.join(dir, "fn/site"));
    const c = new ArtifactReader([dir]).read("archive", "fn");
    expect(c.files.map((f) => f.name).sort()).toEqual(["app.env", "settings.jar"]);
    expect(c.notes).toEqual(["site skipped: a link to a folder"]);
  });

  it("reads gzip and brotli files, UTF-16 text and zips under other names; notes encrypted zip entries", () => {
    const dir = program();
    mkdirSync(path.join(dir, "web"));
    const utf16be = (t: string) => Buffer.from(t, "utf16le").swap16();
    writeFileSync(path.join(dir, "web/app.js.gz"), gzipSync(`const k = "${KEY}";\n`));
    writeFileSync(path.join(dir, "web/app.css.br"), brotliCompressSync(`/* ${KEY} */`));
    // What Windows PowerShell 5 writes with `>`: UTF-16LE with a byte order mark.
    writeFileSync(
      path.join(dir, "web/.env"),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`K=${KEY}\r\n`, "utf16le")]),
    );
    writeFileSync(
      path.join(dir, "web/be.env"),
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(`K=${KEY}`)]),
    );
    writeFileSync(
      path.join(dir, "web/site.war"),
      zipSync({ "WEB-INF/app.properties": strToU8(`key=${KEY}`) }),
    );
    writeFileSync(path.join(dir, "web/bundle.bin"), zipSync({ "inner.txt": strToU8(`key=${KEY}`) }));
    // An entry flagged encrypted (general purpose bit 0 in the central directory).
    const locked = Buffer.from(zipSync({ "secret.env": strToU8(`key=${KEY}`) }));
    const cd = locked.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    locked.writeUInt16LE(locked.readUInt16LE(cd + 8) | 1, cd + 8);
    writeFileSync(path.join(dir, "web/locked.zip"), locked);

    const reader = new ArtifactReader([dir]);
    const c = reader.read("archive", "web");
    expect(c.files.map((f) => f.name).sort()).toEqual([
      ".env",
      "app.css.br",
      "app.js.gz",
      "be.env",
      "bundle.bin!/inner.txt",
      "site.war!/WEB-INF/app.properties",
    ]);
    expect(c.files.every((f) => f.text.includes(KEY))).toBe(true);
    expect(c.notes).toEqual(["locked.zip!/secret.env skipped: encrypted"]);
    // Deployed as one file (a bucket object's FileAsset), a zip is still read as the archive it is.
    expect(reader.read("file", "web/site.war").files.map((f) => f.name)).toEqual([
      "web/site.war!/WEB-INF/app.properties",
    ]);
  });

  it("charges decompressed bytes to the run's budget, bombs included, and reads a huge gzip file up to the limit", () => {
    const dir = program();
    mkdirSync(path.join(dir, "bombs"));
    // Each 16 MiB once decompressed, a few KB as stored; the first holds a key at its start.
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    const spaces = Buffer.alloc(16 * 1024 * 1024, 0x20);
    writeFileSync(
      path.join(dir, "bombs/0.js.gz"),
      gzipSync(Buffer.concat([Buffer.from(`k="${KEY}"\n`), spaces])),
    );
    for (let i = 1; i < 4; i++) writeFileSync(path.join(dir, `bombs/${i}.css.br`), brotliCompressSync(zeros));
    const reader = new ArtifactReader([dir], {
      maxFileBytes: 1 << 20,
      maxTotalBytes: 3 << 20,
      maxFiles: 100,
    });
    const c = reader.read("archive", "bombs");
    expect(c.files.map((f) => f.name)).toEqual(["0.js.gz"]);
    expect(c.files[0].text.startsWith(`k="${KEY}"`)).toBe(true);
    // The budget (3 MiB) goes to the gzip file's first MiB, a bomb's MiB, what is left to the next.
    expect(c.notes.sort()).toEqual([
      "0.js.gz read only its first 1048576 bytes once decompressed",
      "1.css.br skipped: larger than 1048576 bytes once decompressed",
      expect.stringMatching(/^2\.css\.br skipped: larger than \d+ bytes once decompressed$/),
      "3.css.br not read: the run's limit of 3145728 bytes was reached",
    ]);
  });

  it("stops listing a folder once it holds more files than the limit (a FileArchive of `/`)", () => {
    const dir = program();
    for (const d of ["tree/a", "tree/b/c", "tree/d"]) mkdirSync(path.join(dir, d), { recursive: true });
    for (const f of [
      "tree/1.txt",
      "tree/2.txt",
      "tree/3.txt",
      "tree/a/4.txt",
      "tree/b/c/5.txt",
      "tree/d/6.txt",
    ])
      writeFileSync(path.join(dir, f), "x\n");
    const reader = new ArtifactReader([dir], { maxFileBytes: 1024, maxTotalBytes: 1 << 20, maxFiles: 2 });
    const c = reader.read("archive", "tree");
    expect(c.files).toHaveLength(2);
    // The folder's own third file is noted; its sub-folders are never listed.
    expect(c.notes).toEqual([
      expect.stringMatching(
        /^\d\.txt not read: more than 2 files \(the rest of the folder was not listed\)$/,
      ),
    ]);
  });

  it("bounds nested archives by one file count and the run's byte budget", async () => {
    const dir = program();
    mkdirSync(path.join(dir, "many"), { recursive: true });
    const entries = Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`f${i}.txt`, Buffer.from(`file ${i}\n`)]));
    writeFileSync(path.join(dir, "many/a.zip"), zipSync({ "b.zip": zipSync(entries) }));
    const counted = new ArtifactReader([dir], { maxFileBytes: 1024, maxTotalBytes: 1 << 20, maxFiles: 4 });
    const c = counted.read("archive", "many");
    // a.zip, its b.zip and two of b.zip's files make four.
    expect(c.files).toHaveLength(2);
    expect(c.notes).toEqual(["3 files not read: more than 4 files (first: a.zip!/b.zip!/f3.txt)"]);
    // A tar's entries are charged too: past the budget they are noted, not kept.
    mkdirSync(path.join(dir, "tarred/site"), { recursive: true });
    writeFileSync(path.join(dir, "tarred/site/big.txt"), "y".repeat(3000));
    await tar.c({ file: path.join(dir, "tarred.tar"), cwd: path.join(dir, "tarred") }, ["site"]);
    const budget = new ArtifactReader([dir], { maxFileBytes: 8192, maxTotalBytes: 6000, maxFiles: 10 });
    const t = budget.read("archive", "tarred.tar");
    expect(t.files).toEqual([]);
    expect(t.notes).toEqual(["site/big.txt not read: the run's limit of 6000 bytes was reached"]);
    // A .tgz whose tar would pass the budget is inflated up to it: the entries before the cut are read.
    writeFileSync(path.join(dir, "tarred/site/a.env"), `E2B_API_KEY=${KEY}\n`);
    await tar.c({ gzip: true, file: path.join(dir, "tarred.tgz"), cwd: path.join(dir, "tarred") }, [
      "site/a.env",
      "site/big.txt",
    ]);
    const small = new ArtifactReader([dir], { maxFileBytes: 8192, maxTotalBytes: 2500, maxFiles: 10 });
    const cut = small.read("archive", "tarred.tgz");
    expect(cut.files.map((f) => [f.name, f.text.includes(KEY)])).toEqual([["site/a.env", true]]);
    expect(cut.notes).toEqual([
      // What is left of the budget once the .tgz file itself was charged.
      expect.stringMatching(
        /^tarred\.tgz read only up to its first 2\d{3} bytes once decompressed: the run's limit of 2500 bytes was reached$/,
      ),
      "site/big.txt not read: the run's limit of 2500 bytes was reached",
    ]);
  });

  it("says what it could not read: missing, remote, too large, past the run's budget", () => {
    const dir = program();
    const r = new ArtifactReader([dir], { maxFileBytes: 1024, maxTotalBytes: 4096, maxFiles: 10 });
    expect(r.read("file", "nope.js").notes[0]).toMatch(
      /nope\.js was not found \(relative to .*\) and was not read/,
    );
    expect(r.read("file", "https://cdn.test/a.js").notes).toEqual([
      "https://cdn.test/a.js is remote and was not read",
    ]);
    expect(r.read("file", "big.txt").notes).toEqual(["big.txt skipped: larger than 1024 bytes"]);
    expect(new ArtifactReader([]).read("file", "app.js").notes[0]).toMatch(/no program folder known/);
  });

  it("reads a bundle of several megabytes whole by default, and a key at its end", () => {
    // A 9 MB bundle.js in a build context (pulumi/examples' aws-ts-langserve) was skipped at 8 MiB.
    const dir = tmpDir("artifacts-big-");
    const line = "var a=function(b){return b.map(function(c){return c*2})};\n";
    writeFileSync(
      path.join(dir, "bundle.js"),
      `${line.repeat((9 * 1024 * 1024) / line.length)}const k="${KEY}";\n`,
    );
    const c = new ArtifactReader([dir]).read("file", "bundle.js");
    expect(c.notes).toEqual([]);
    expect(c.files[0].text.endsWith(`const k="${KEY}";\n`)).toBe(true);
  });

  it("reads a build context without what its .dockerignore leaves out, as Docker sends it", () => {
    const dir = program();
    const ctx = path.join(dir, "backend");
    for (const [f, text] of Object.entries({
      ".dockerignore": "# local only\n.env\n/node_modules\n**/*.log\ndocs/*.md\n!docs/README.md\n",
      ".env": `E2B_API_KEY=${KEY}\n`,
      "node_modules/dev-tool/config.js": `key: "${KEY}"`,
      "logs/debug.log": `using ${KEY}`,
      "docs/notes.md": `key ${KEY}`,
      "docs/README.md": "# agents\n",
      "src/app.js": "export const run = () => fetch('/api');\n",
    })) {
      mkdirSync(path.dirname(path.join(ctx, f)), { recursive: true });
      writeFileSync(path.join(ctx, f), text);
    }
    const r = new ArtifactReader([dir]);
    expect(
      r
        .read("archive", "backend", { file: ".dockerignore" })
        .files.map((f) => f.name)
        .sort(),
    ).toEqual([".dockerignore", "docs/README.md", "src/app.js"]);
    // Without it (a FileArchive of the same folder), every file is deployed and read.
    expect(r.read("archive", "backend").files.map((f) => f.name)).toContain(".env");
  });

  it("reads a synced folder without its dotfiles unless includeHiddenFiles is set, as the component uploads it", () => {
    const dir = tmpDir("synced-");
    for (const [f, text] of Object.entries({
      "www/index.html": "<h1>agents</h1>\n",
      "www/.env": `E2B_API_KEY=${KEY}\n`,
      "www/.well-known/config.json": `{"key": "${KEY}"}`,
      "www/js/app.js": "export const run = () => fetch('/api');\n",
    })) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    const r = new ArtifactReader([dir]);
    const read = (props: Record<string, unknown>) =>
      deployedPathsOf("synced-folder:index:S3BucketFolder", { path: "www", ...props }).flatMap((d) =>
        r.read(d.kind, d.source, d.ignore).files.map((f) => f.name),
      );
    expect(read({}).sort()).toEqual(["index.html", "js/app.js"]);
    expect(read({ includeHiddenFiles: false }).sort()).toEqual(["index.html", "js/app.js"]);
    expect(read({ includeHiddenFiles: true }).sort()).toEqual([
      ".env",
      ".well-known/config.json",
      "index.html",
      "js/app.js",
    ]);
  });

  it("takes roots from the stack tag, else the environment", () => {
    const tags = new Map([[PROGRAM_DIR_TAG, "/prog"]]);
    // The engine's tag is where the program resolves its paths: the shell's folder is no fallback.
    expect(ArtifactReader.rootsFrom(tags, { E2B_GUARDRAILS_PROGRAM_DIR: "/env", PWD: "/pwd" })).toEqual([
      "/prog",
    ]);
    expect(ArtifactReader.rootsFrom(undefined, { E2B_GUARDRAILS_PROGRAM_DIR: "/env", PWD: "/pwd" })).toEqual([
      "/env",
      "/pwd",
    ]);
    expect(ArtifactReader.rootsFrom(undefined, { PWD: "relative/not/used" })).toEqual([]);
    // A stack export's (empty tag): its program folder is not the folder audit runs in (real47 #4).
    const exported = new Map([[PROGRAM_DIR_TAG, ""]]);
    expect(ArtifactReader.rootsFrom(exported, { PWD: "/pwd" })).toEqual([]);
    expect(ArtifactReader.rootsFrom(exported, { E2B_GUARDRAILS_PROGRAM_DIR: "/env", PWD: "/pwd" })).toEqual([
      "/env",
    ]); // A relative folder, from the shell's folder where it was set (rt60 #4).
    expect(ArtifactReader.rootsFrom(exported, { E2B_GUARDRAILS_PROGRAM_DIR: "app", PWD: "/pwd" })).toEqual([
      "/pwd/app",
    ]);
  });
});

describe("scanProps with artifacts", () => {
  it("names the file and line of a key a FileAsset deploys, and the asset's property", () => {
    const dir = program();
    const props = { bucket: "site", source: { $asset: "file", path: "site/app.js" } };
    const keys = scanProps("aws:s3/bucketObject:BucketObject", props, [], {
      artifacts: new ArtifactReader([dir]),
    }).keys;
    expect(keys.map((k) => [k.path, k.top, k.artifact])).toEqual([
      ["source", "source", { source: "site/app.js", file: "site/app.js", line: 2 }],
    ]);
  });

  it("reads the folder a synced-folder component uploads", () => {
    const dir = program();
    const scan = scanProps("synced-folder:index:S3BucketFolder", { path: "site", bucketName: "b" }, [], {
      artifacts: new ArtifactReader([dir]),
    });
    expect(scan.keys.map((k) => k.artifact?.file)).toEqual(["app.js"]);
    expect(scan.artifactNotes.map((n) => n.note)).toEqual(["img/logo.png skipped as binary"]);
  });

  it("reads the folder an API Gateway component's static route serves (not expanded offline)", () => {
    const dir = program();
    const handler = { urn: "urn:pulumi:dev::p::aws:lambda/function:Function::hello", id: "" };
    const routes: Tree[] = [
      { path: "/", localPath: "site" },
      { path: "/date", method: "GET", eventHandler: handler },
    ];
    const scan = scanProps("aws-apigateway:index:RestAPI", { routes }, [], {
      artifacts: new ArtifactReader([dir]),
    });
    expect(scan.keys.map((k) => [k.artifact?.file, k.path])).toEqual([["app.js", "routes[0].localPath"]]);
  });

  it("reads the site folder of an aws-static-website Website and the file a CopyFile copies (real34 bugs 1, 5)", () => {
    const dir = program();
    const site = scanProps("aws-static-website:index:Website", { sitePath: "site", withCDN: true }, [], {
      artifacts: new ArtifactReader([dir]),
    });
    expect(site.keys.map((k) => [k.artifact?.file, k.path])).toEqual([["app.js", "sitePath"]]);
    const copied = scanProps(
      "command:remote:CopyFile",
      { localPath: "site/app.js", remotePath: "/srv" },
      [],
      {
        artifacts: new ArtifactReader([dir]),
      },
    );
    expect(copied.keys.map((k) => k.path)).toEqual(["localPath"]);
  });

  it("reads the folder a local command uploads with aws s3 sync, when its text is known at preview (real35 bug 1)", () => {
    const dir = program();
    const scan = scanProps(
      "command:local:Command",
      { create: 'aws s3 sync "./site" "s3://web" --delete' },
      [],
      {
        artifacts: new ArtifactReader([dir]),
      },
    );
    expect(scan.keys.map((k) => [k.artifact?.file, k.path])).toEqual([["app.js", "create"]]);
  });

  it("reads a synced folder without the files the command's --exclude leaves out, and keeps what --include brings back", () => {
    const dir = program();
    const keysIn = (create: string) =>
      scanProps("command:local:Command", { create }, [], { artifacts: new ArtifactReader([dir]) }).keys.map(
        (k) => k.artifact?.file,
      );
    expect(keysIn('aws s3 sync ./site s3://web --exclude "*.js"')).toEqual([]);
    expect(keysIn("aws s3 sync ./site s3://web --exclude '*' --include 'index.html'")).toEqual([]);
    expect(keysIn("aws s3 sync ./site s3://web --exclude '*' --include '*.js'")).toEqual(["app.js"]);
    expect(keysIn("aws s3 sync ./site s3://web --exclude=img/*")).toEqual(["app.js"]);
    expect(keysIn("gsutil -m rsync -r -x '.*\\.js$' ./site gs://web")).toEqual([]);
    expect(keysIn("az storage blob upload-batch -s site -d '$web' --pattern '*.html'")).toEqual([]);
  });

  it("says what a local command would upload was not found, rather than pass it in silence (rt40 #3)", () => {
    const scan = scanProps("command:local:Command", { create: "aws s3 sync build s3://web" }, [], {
      artifacts: new ArtifactReader([program()]),
    });
    expect(scan.artifactNotes).toEqual([
      {
        path: "create",
        note: expect.stringMatching(/^build was not found \(relative to .*\) and was not read$/),
      },
    ]);
  });

  it("says a local command's uploads were not read when its text is not known at preview (real35 bug 1)", () => {
    const scan = scanProps(
      "command:local:Command",
      { create: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", delete: "echo done" },
      [],
      { artifacts: new ArtifactReader([program()]) },
    );
    expect(scan.keys).toEqual([]);
    expect(scan.artifactNotes).toEqual([
      { path: "create", note: expect.stringMatching(/^the command is not known at preview/) },
    ]);
  });

  it("reads the file a DigitalOcean Spaces object or a Scaleway object item uploads by its path (real34 bug 10)", () => {
    const dir = program();
    const read = (type: string, props: Tree) =>
      scanProps(type, props, [], { artifacts: new ArtifactReader([dir]) }).keys.map((k) => k.path);
    expect(
      read("digitalocean:index/spacesBucketObject:SpacesBucketObject", {
        bucket: "site",
        key: "app.js",
        source: "site/app.js",
        acl: "public-read",
      }),
    ).toEqual(["source"]);
    expect(read("scaleway:object/item:Item", { bucket: "site", key: "app.js", file: "site/app.js" })).toEqual(
      ["file"],
    );
    expect(
      read("scaleway:index/objectItem:ObjectItem", { bucket: "site", key: "a", file: "site/app.js" }),
    ).toEqual(["file"]);
  });
});

describe("files and folders named by plain strings", () => {
  /** A program folder with a Dockerfile, a named context, manifests, a kustomization and a chart. */
  function deployments(): string {
    const dir = program();
    for (const d of ["docker", "shared", "k8s", "kust", "chart/templates"])
      mkdirSync(path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, "docker/Dockerfile"), `FROM node:20\nENV E2B_API_KEY=${KEY}\n`);
    writeFileSync(path.join(dir, "shared/agent.env"), `E2B_API_KEY=${KEY}\n`);
    writeFileSync(path.join(dir, "k8s/cm.yaml"), `kind: ConfigMap\ndata:\n  E2B_API_KEY: ${KEY}\n`);
    writeFileSync(
      path.join(dir, "kust/kustomization.yaml"),
      `configMapGenerator:\n  - literals: [KEY=${KEY}]\n`,
    );
    writeFileSync(path.join(dir, "chart/values.yaml"), `e2b:\n  apiKey: ${KEY}\n`);
    return dir;
  }
  const files = (type: string, props: Tree, dir: string) => {
    const scan = scanProps(type, props, [], { artifacts: new ArtifactReader([dir]) });
    return {
      found: scan.keys.map((k) => [k.path, k.artifact?.file]),
      notes: scan.artifactNotes.map((n) => n.note),
    };
  };

  it("reads a Dockerfile outside the build context and named build contexts, not an image given as one", () => {
    const dir = deployments();
    const image = {
      context: {
        location: "site",
        named: { shared: { location: "./shared" }, base: { location: "docker-image://node:20" } },
      },
      dockerfile: { location: "docker/Dockerfile" },
    };
    expect(files("docker-build:index:Image", image, dir)).toEqual({
      found: [
        ["context.location", "app.js"],
        ["context.named.shared.location", "agent.env"],
        ["dockerfile.location", "docker/Dockerfile"],
      ],
      notes: ["img/logo.png skipped as binary"],
    });
    expect(
      files(
        "docker:index/image:Image",
        { build: { context: "shared", dockerfile: "docker/Dockerfile" } },
        dir,
      ).found,
    ).toEqual([
      ["build.context", "agent.env"],
      ["build.dockerfile", "docker/Dockerfile"],
    ]);
    expect(
      files("awsx:ecr:Image", { context: "shared", dockerfile: "docker/Dockerfile" }, dir).found,
    ).toEqual([
      ["context", "agent.env"],
      ["dockerfile", "docker/Dockerfile"],
    ]);
  });

  it("reads a Dockerfile its .dockerignore lists (Docker sends it anyway) and a build with no context from the program's folder", () => {
    // real33 bug 1: a whitelist `.dockerignore` (`*`, then `!src/`) hid the Dockerfile's `ENV` key, and
    // `build: { … }` without `context` (the provider builds from `.`) was not read at all.
    const dir = deployments();
    writeFileSync(path.join(dir, "docker/.dockerignore"), "*\n!src/\n");
    writeFileSync(path.join(dir, "docker/notes.env"), `E2B_API_KEY=${KEY}\n`);
    expect(files("docker:index/image:Image", { build: { context: "docker" } }, dir).found).toEqual([
      ["build.context", "Dockerfile"],
    ]);
    const root = program();
    writeFileSync(path.join(root, "Dockerfile"), `FROM node:20\nARG E2B_API_KEY=${KEY}\n`);
    expect(files("docker:index/image:Image", { build: { target: "release" } }, root).found).toEqual([
      ["build.context", "Dockerfile"],
      ["build.context", "site/app.js"],
    ]);
    // @pulumi/docker before v4: `build` is the context's path.
    expect(files("docker:index/image:Image", { build: "docker" }, dir).found).toEqual([
      ["build", "Dockerfile"],
    ]);
    // No build at all (a pulled image): nothing to read.
    expect(files("docker:index/image:Image", { imageName: "nginx" }, root)).toEqual({ found: [], notes: [] });
  });

  it("reads Kubernetes manifests, a kustomization and a local Helm chart; a chart from a repository is not a path", () => {
    const dir = deployments();
    expect(
      files("kubernetes:yaml/v2:ConfigGroup", { files: ["./k8s/cm.yaml", "missing.yaml"] }, dir),
    ).toEqual({
      found: [["files[0]", "./k8s/cm.yaml"]],
      notes: [expect.stringMatching(/^missing\.yaml was not found/)],
    });
    expect(files("kubernetes:yaml/v2:ConfigFile", { file: "k8s/cm.yaml" }, dir).found).toEqual([
      ["file", "k8s/cm.yaml"],
    ]);
    // A glob, as ConfigGroup takes them: the files it matches, each by its path.
    writeFileSync(path.join(dir, "k8s/other.yaml"), "kind: ConfigMap\ndata: {}\n");
    expect(files("kubernetes:yaml/v2:ConfigGroup", { files: ["./k8s/*.yaml", "none/*.yml"] }, dir)).toEqual({
      found: [["files[0]", "k8s/cm.yaml"]],
      notes: ["none/*.yml matched no file and was not read"],
    });
    expect(files("kubernetes:kustomize/v2:Directory", { directory: "./kust" }, dir).found).toEqual([
      ["directory", "kustomization.yaml"],
    ]);
    expect(files("kubernetes:helm.sh/v3:Release", { chart: "./chart" }, dir).found).toEqual([
      ["chart", "values.yaml"],
    ]);
    expect(files("kubernetes:helm.sh/v4:Chart", { chart: "chart" }, dir).found).toEqual([
      ["chart", "values.yaml"],
    ]);
    // A chart from a repository: nothing to read, nothing to note.
    expect(
      files(
        "kubernetes:helm.sh/v3:Release",
        { chart: "nginx", repositoryOpts: { repo: "https://charts.example" } },
        dir,
      ),
    ).toEqual({ found: [], notes: [] });
    // Written as a path but missing: noted.
    expect(files("kubernetes:helm.sh/v4:Chart", { chart: "./charts/agent" }, dir).notes).toEqual([
      expect.stringMatching(/^\.\/charts\/agent was not found/),
    ]);
  });

  it("reads the files of the SDK's own Kubernetes components, which render nothing offline: a v3 Chart's path, a kustomize Directory, yaml ConfigFile and ConfigGroup", () => {
    const dir = deployments();
    expect(files("kubernetes:helm.sh/v3:Chart", { path: "./chart", values: {} }, dir).found).toEqual([
      ["path", "values.yaml"],
    ]);
    expect(files("kubernetes:kustomize:Directory", { directory: "kust" }, dir).found).toEqual([
      ["directory", "kustomization.yaml"],
    ]);
    expect(files("kubernetes:yaml:ConfigFile", { file: "k8s/cm.yaml" }, dir).found).toEqual([
      ["file", "k8s/cm.yaml"],
    ]);
    expect(files("kubernetes:yaml:ConfigGroup", { files: "k8s/cm.yaml" }, dir).found).toEqual([
      ["files", "k8s/cm.yaml"],
    ]);
    expect(files("kubernetes:yaml:ConfigGroup", { files: ["k8s/cm.yaml"] }, dir).found).toEqual([
      ["files[0]", "k8s/cm.yaml"],
    ]);
    // A manifest or kustomization from a URL, a chart from a repository: nothing to read, nothing to note.
    for (const [type, props] of [
      ["kubernetes:yaml:ConfigFile", { file: "https://raw.example/bundle.yaml" }],
      ["kubernetes:kustomize:Directory", { directory: "https://github.com/acme/app/tree/main/deploy" }],
      ["kubernetes:helm.sh/v3:Chart", { chart: "redis", fetchOpts: { repo: "https://charts.example" } }],
    ] as const)
      expect(files(type, props, dir)).toEqual({ found: [], notes: [] });
  });
});

describe("lineAt", () => {
  it("counts line breaks as JavaScript and editors do: LF, CRLF, a lone CR, U+2028", () => {
    expect(lineAt("a\nb\nKEY", 4)).toBe(3);
    expect(lineAt("a\r\nb\r\nKEY", 6)).toBe(3);
    expect(lineAt("// 1\r// 2\r// 3 KEY", 15)).toBe(3);
    expect(lineAt("a\u2028KEY", 2)).toBe(2);
  });
});
