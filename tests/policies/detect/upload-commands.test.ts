/**
 * Local files a shell command uploads (detect/upload-commands.ts), as `@pulumi/command`'s
 * local.Command runs them to publish a built front end.
 */
import { leftOutBy, uploadedPaths } from "../../../policies/detect/upload-commands";
import { deployedPathsOf } from "../../../policies/detect/artifacts";

describe("uploadedPaths", () => {
  it("names the local source of each upload, quotes removed, over && and ;", () => {
    expect(
      uploadedPaths(
        `aws s3 sync "./build/client" "s3://site" --delete --cache-control "max-age=3" && aws s3 cp './build/client/a.js' s3://site/a.js --content-type text/javascript; echo done`,
      ),
    ).toEqual([
      { source: "./build/client", folder: true },
      { source: "./build/client/a.js", folder: false },
    ]);
  });

  it("reads gsutil, gcloud storage, az storage blob and wrangler pages deploy", () => {
    expect(uploadedPaths("gsutil -m rsync -r -d ./dist gs://b")).toEqual([
      { source: "./dist", folder: true },
    ]);
    expect(uploadedPaths("gcloud storage cp index.html gs://b/")).toEqual([
      { source: "index.html", folder: false },
    ]);
    expect(uploadedPaths("az storage blob upload-batch --source ./out -d '$web' --account-name x")).toEqual([
      { source: "./out", folder: true },
    ]);
    expect(uploadedPaths("az storage blob upload -f ./a.js -c web -n a.js")).toEqual([
      { source: "./a.js", folder: false },
    ]);
    expect(uploadedPaths("npx wrangler pages deploy dist --project-name site")).toEqual([
      { source: "dist", folder: true },
    ]);
  });

  it("reads the service and verb after global options (rt40 #3)", () => {
    expect(uploadedPaths("aws --profile prod s3 sync build s3://site")).toEqual([
      { source: "build", folder: true },
    ]);
    expect(uploadedPaths("aws --region us-east-1 s3 cp build s3://site --recursive")).toEqual([
      { source: "build", folder: true },
    ]);
    expect(uploadedPaths("gcloud --project acme storage rsync -r build gs://site")).toEqual([
      { source: "build", folder: true },
    ]);
    expect(uploadedPaths("az --subscription s1 storage blob upload-batch -s out -d '$web'")).toEqual([
      { source: "out", folder: true },
    ]);
  });

  it("follows a cd before the upload, as the shell runs the chain (rt40 #3)", () => {
    expect(uploadedPaths("cd build && aws s3 sync . s3://site --delete")).toEqual([
      { source: "build", folder: true },
    ]);
    expect(
      uploadedPaths(
        "cd frontend && npm run build && aws s3 sync dist s3://site; cd ../docs; aws s3 cp a.html s3://d/",
      ),
    ).toEqual([
      { source: "frontend/dist", folder: true },
      { source: "docs/a.html", folder: false },
    ]);
    expect(uploadedPaths("cd /srv/site && aws s3 sync . s3://site")).toEqual([
      { source: "/srv/site", folder: true },
    ]);
  });

  it("follows a subshell's cd only inside it, and pushd and popd (rt41 #4)", () => {
    expect(uploadedPaths("(cd build && aws s3 sync . s3://site --delete)")).toEqual([
      { source: "build", folder: true },
    ]);
    expect(
      uploadedPaths("(cd build; gsutil -m rsync -r . gs://site) && aws s3 cp index.html s3://site/"),
    ).toEqual([
      { source: "build", folder: true },
      { source: "index.html", folder: false },
    ]);
    expect(
      uploadedPaths("pushd web/dist && aws s3 sync . s3://site && popd && aws s3 cp x.js s3://site/"),
    ).toEqual([
      { source: "web/dist", folder: true },
      { source: "x.js", folder: false },
    ]);
  });

  it("reads past redirections, leading keywords and --, and a folder's contents as the folder (rt42 #3)", () => {
    for (const text of [
      "pushd build >/dev/null && aws s3 sync . s3://site",
      "cd build 2>/dev/null && aws s3 sync . s3://site",
      "cd -- build && aws s3 sync . s3://site",
      "if test -d build; then cd build; fi; aws s3 sync . s3://site > sync.log 2>&1",
    ])
      expect([text, uploadedPaths(text)]).toEqual([text, [{ source: "build", folder: true }]]);
    expect(uploadedPaths("gsutil -m cp -r build/* gs://site")).toEqual([{ source: "build", folder: true }]);
  });

  it("marks an upload after a cd the text does not settle as unresolved, never as the program's folder", () => {
    expect(uploadedPaths('cd "$OUT" && aws s3 sync . s3://site')).toEqual([
      { source: ".", folder: true, unresolved: true },
    ]);
    expect(uploadedPaths("cd ~/site && aws s3 sync /srv/www s3://site")).toEqual([
      { source: "/srv/www", folder: true },
    ]);
    expect(uploadedPaths('cd "$OUT" && cd /srv/www && aws s3 sync . s3://site')).toEqual([
      { source: "/srv/www", folder: true },
    ]);
  });

  it("names nothing for downloads, other commands or a remote source", () => {
    expect(uploadedPaths("aws s3 cp s3://a/x ./local")).toEqual([]);
    expect(uploadedPaths("aws s3 cp s3://a/x s3://b/x")).toEqual([]);
    expect(uploadedPaths("npm run build && echo s3://b")).toEqual([]);
  });
});

describe("deployedPathsOf a local.Command", () => {
  it("reads its create and update commands, relative to its dir, and nothing it cannot see", () => {
    const props = {
      create: "aws s3 sync ./out s3://site",
      update: "aws s3 cp ./out/a.js s3://site/",
      dir: "web",
    };
    expect(deployedPathsOf("command:local:Command", props).map((p) => [p.at, p.kind, p.source])).toEqual([
      ["create", "archive", "web/out"],
      ["update", "file", "web/out/a.js"],
    ]);
    // Unknown at preview (the bucket's name not known yet): nothing read, and that is said.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(
      deployedPathsOf("command:local:Command", { create: unknown }).map((p) => [p.at, p.unread]),
    ).toEqual([["create", expect.stringMatching(/^the command is not known at preview .* were not read$/)]]);
  });
});

describe("what an upload leaves out (rt42 note: --exclude was ignored)", () => {
  it("keeps each tool's --exclude and --include in the command's order", () => {
    expect(
      uploadedPaths(`aws s3 sync dist s3://site --exclude "*" --include="*.html" --delete --exclude '*.map'`),
    ).toEqual([
      {
        source: "dist",
        folder: true,
        filters: [
          { exclude: true, syntax: "glob", pattern: "*" },
          { exclude: false, syntax: "glob", pattern: "*.html" },
          { exclude: true, syntax: "glob", pattern: "*.map" },
        ],
      },
    ]);
    expect(uploadedPaths("gsutil -m rsync -r -x '.*\\.map$' dist gs://b")[0].filters).toEqual([
      { exclude: true, syntax: "regex", pattern: ".*\\.map$" },
    ]);
    expect(
      uploadedPaths("gcloud storage rsync dist gs://b --recursive --exclude='^tmp/'")[0].filters,
    ).toEqual([{ exclude: true, syntax: "regex", pattern: "^tmp/" }]);
    expect(
      uploadedPaths("az storage blob upload-batch -s out -d '$web' --pattern '*.js'")[0].filters,
    ).toEqual([
      { exclude: true, syntax: "glob", pattern: "*" },
      { exclude: false, syntax: "glob", pattern: "*.js" },
    ]);
    // A copy without filters has none.
    expect(uploadedPaths("aws s3 cp dist s3://b --recursive")[0].filters).toBeUndefined();
  });

  it("leaves a file out when the last filter that matches its path excludes it", () => {
    const aws = leftOutBy([
      { exclude: true, syntax: "glob", pattern: "*" },
      { exclude: false, syntax: "glob", pattern: "*.html" },
      { exclude: true, syntax: "glob", pattern: "drafts/*" },
    ]);
    expect(["index.html", "a/b/page.html", "app.js", "drafts/x.html", "a/drafts/x.html"].map(aws)).toEqual([
      false,
      false,
      true,
      true,
      false,
    ]);
    // fnmatch: `*` crosses folders, `?` is one character, `[!…]` a set left out; nothing else is special.
    const glob = leftOutBy([{ exclude: true, syntax: "glob", pattern: "*.[!h]s?" }]);
    expect(["js/app.jsx", "app.hsx", "a.b+c.jsx"].map(glob)).toEqual([true, false, true]);
    expect(leftOutBy([{ exclude: true, syntax: "glob", pattern: "a+b.js" }])("a+b.js")).toBe(true);
  });

  it("matches a regular expression from the path's start, as Python's re.match; one it cannot read leaves nothing out", () => {
    const rsync = leftOutBy([{ exclude: true, syntax: "regex", pattern: "(?i)secret" }]);
    expect(["SECRET.js", "a/secret.js"].map(rsync)).toEqual([true, false]);
    expect(leftOutBy([{ exclude: true, syntax: "regex", pattern: "(?P<n>x)" }])("x")).toBe(false);
  });

  it("reads a program's hostile patterns without backtracking without end: many stars, nested quantifiers", () => {
    const long = `${"a".repeat(5000)}.js`;
    expect(leftOutBy([{ exclude: true, syntax: "glob", pattern: "*a*a*a*a*a*a*a*a*b" }])(long)).toBe(false);
    expect(leftOutBy([{ exclude: true, syntax: "glob", pattern: "*a*a*a*.js" }])(long)).toBe(true);
    // `(a+)+$` backtracks exponentially on "aaa…!": not run, so nothing is left out.
    expect(leftOutBy([{ exclude: true, syntax: "regex", pattern: "(a+)+$" }])(`${"a".repeat(40)}!`)).toBe(
      false,
    );
  });
});

describe("deploy scripts as a shell reads them (rt44 #4)", () => {
  it("joins lines a backslash continues", () => {
    expect(uploadedPaths("aws s3 sync \\\n  ./build \\\n  s3://my-site \\\n  --delete\n")).toEqual([
      { source: "./build", folder: true },
    ]);
  });

  it("skips comments: after a command, on a line of their own, a commented-out upload", () => {
    expect(
      uploadedPaths(
        "# deploy the site\ncd build  # output of npm run build\n# aws s3 sync . s3://old-site\naws s3 sync . s3://my-site",
      ),
    ).toEqual([{ source: "build", folder: true }]);
    // `#` inside a word or quotes is no comment.
    expect(uploadedPaths('aws s3 sync "dist#1" s3://b && aws s3 cp a#b.js s3://b/')).toEqual([
      { source: "dist#1", folder: true },
      { source: "a#b.js", folder: false },
    ]);
  });

  it("follows cd with options, and reads any cd it does not understand as going where it cannot tell", () => {
    expect(uploadedPaths("cd -P build && aws s3 sync . s3://my-site")).toEqual([
      { source: "build", folder: true },
    ]);
    expect(uploadedPaths("cd build extra && aws s3 sync . s3://my-site")).toEqual([
      { source: ".", folder: true, unresolved: true },
    ]);
  });
});

describe("other shells' continuations and here-documents (rt45 #6)", () => {
  it("joins lines PowerShell (`) and cmd (^) continue", () => {
    expect(uploadedPaths("aws s3 sync `\n  ./build `\n  s3://my-site --delete")).toEqual([
      { source: "./build", folder: true },
    ]);
    expect(uploadedPaths("aws s3 sync ^\r\n build ^\r\n s3://my-site --delete")).toEqual([
      { source: "build", folder: true },
    ]);
  });

  it("reads a here-document's body as data, not as commands", () => {
    expect(
      uploadedPaths(
        "cat > remote.sh <<'EOF'\ncd /srv/agent && ./restart.sh\nEOF\naws s3 sync build s3://my-site\n" +
          "cat <<-END >> log\n\tcd /tmp\n\tEND\naws s3 cp a.js s3://b/",
      ),
    ).toEqual([
      { source: "build", folder: true },
      { source: "a.js", folder: false },
    ]);
  });
});

describe("what only looks like a here-document (rt46 #7)", () => {
  it("reads on after `<<` in quotes or a comment, one never ended, and a here-document a shell runs", () => {
    const upload = "aws s3 sync build s3://my-site";
    for (const text of [
      `echo "use <<EOF to start"\n${upload}`,
      `# cat <<EOF would write it\n${upload}`,
      `cat <<EOF\nno end here\n${upload}`,
      `bash -e <<'EOF'\n${upload}\nEOF`,
    ])
      expect([text.split("\n")[0], uploadedPaths(text)]).toEqual([
        text.split("\n")[0],
        [{ source: "build", folder: true }],
      ]);
  });
});
