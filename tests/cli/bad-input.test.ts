/**
 * The bad-input matrix: every command given broken state files, policy configs, case YAMLs, outputs
 * and flags. Each case exits 2 with exactly one line on stderr that names the file and the field,
 * no stack trace, nothing on stdout, within a time limit, and no part of the key planted in it.
 * Runs `main()` in-process (the same code the binary runs; tests/support/cli.ts) so the matrix stays
 * fast; the cases that need a real file descriptor (a full disk, a closed pipe) spawn the binary in
 * output-errors.test.ts.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runCli } from "../support/cli";
import { repoRoot } from "../support/scan";
import { tmpDir } from "../support/tmp";

const HEX = "3a5f0c9e1b7d2486a0c4e8f13b5d7092c6e4a1f8";
const KEY = `e2b_${HEX}`;
const tmp = tmpDir("bad-input-");
const file = (name: string, content: string | object) => {
  const p = path.join(tmp, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};
const clean = path.join(repoRoot, "tests/engine/fixtures/state/clean.json");

const stack = "urn:pulumi:prod::agents-api::";
const res = (over: object = {}) => ({
  urn: `${stack}aws:s3/bucket:Bucket::b`,
  type: "aws:s3/bucket:Bucket",
  ...over,
});
const state = (resources: unknown) => ({ version: 3, deployment: { resources } });

/** A state whose one resource's inputs nest `depth` levels (as text: JSON.stringify cannot go that deep). */
function nestedState(depth: number): string {
  const inputs = '{"a":'.repeat(depth) + '{"leaf":"x"}' + "}".repeat(depth);
  const r = JSON.stringify(res({ inputs: "@" })).replace('"@"', inputs);
  return `{"version":3,"deployment":{"resources":[${r}]}}`;
}

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const r = await runCli(argv, { env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

function expectOneLine(r: { code: number; out: string; err: string }, ...mentions: (string | RegExp)[]) {
  expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: "" });
  expect(r.err.endsWith("\n")).toBe(true);
  const lines = r.err.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).not.toMatch(/\n\s+at |\bat .*\.ts:\d+/);
  for (let i = 0; i + 20 <= KEY.length; i++) expect(r.err).not.toContain(KEY.slice(i, i + 20));
  for (const m of mentions) {
    if (typeof m === "string") expect(lines[0]).toContain(m);
    else expect(lines[0]).toMatch(m);
  }
}

type Case = [string, () => string[], (string | RegExp)[]];

const stateCases: Case[] = [
  ["a missing file", () => ["--state", path.join(tmp, "nope.json")], ["nope.json", "ENOENT"]],
  ["a folder", () => ["--state", tmp], ["EISDIR"]],
  ["an empty file", () => ["--state", file("empty.json", "")], ["empty.json", "not valid JSON"]],
  [
    "binary garbage",
    () => ["--state", file("bin.json", "\u0000\u00ff\u0001PK")],
    ["bin.json", "not valid JSON"],
  ],
  ["a key as a bad token", () => ["--state", file("tok.json", `{"version": ${KEY}}`)], ["tok.json"]],
  ["an array root", () => ["--state", file("arr.json", [])], ["arr.json", "'(root)'"]],
  [
    "a version holding a control character and a key",
    () => ["--state", file("ver.json", { version: `\u0001${KEY}`, deployment: {} })],
    ["ver.json", "'version'"],
  ],
  ["no deployment", () => ["--state", file("nodep.json", { version: 3 })], ["'deployment'"]],
  ["resources not an array", () => ["--state", file("r.json", state({}))], ["'deployment.resources'"]],
  ["a resource not an object", () => ["--state", file("r1.json", state([7]))], ["'deployment.resources[0]'"]],
  [
    "a URN that is not one",
    () => ["--state", file("u.json", state([res({ urn: KEY })]))],
    ["resources[0].urn"],
  ],
  [
    "a resource without type",
    () => ["--state", file("t.json", state([res({ type: 3 })]))],
    ["resources[0].type"],
  ],
  [
    "inputs not an object",
    () => ["--state", file("i.json", state([res({ inputs: [KEY] })]))],
    ["resources[0].inputs"],
  ],
  [
    "dependencies not URNs",
    () => ["--state", file("d.json", state([res({ dependencies: [1] })]))],
    ["resources[0].dependencies"],
  ],
  [
    "propertyDependencies not an object",
    () => ["--state", file("pd.json", state([res({ propertyDependencies: "x" })]))],
    ["resources[0].propertyDependencies"],
  ],
  [
    "non-string additionalSecretOutputs",
    () => ["--state", file("aso.json", state([res({ additionalSecretOutputs: [1, { k: KEY }] })]))],
    ["aso.json", "resources[0].additionalSecretOutputs"],
  ],
  [
    "duplicate URNs",
    () => ["--state", file("dup.json", state([res(), res()]))],
    ["dup.json", "resources[1].urn", "repeats the URN of deployment.resources[0]"],
  ],
  [
    "a shown secret whose plaintext is not JSON",
    () => [
      "--state",
      file(
        "pt.json",
        state([
          res({
            outputs: {
              s: {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                plaintext: `{${KEY}`,
              },
            },
          }),
        ]),
      ),
    ],
    ["pt.json", "resources[0].outputs.s"],
  ],
  [
    "an object with 1,000,000 keys",
    () => {
      const keys = Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":${i}`).join(",");
      return [
        "--state",
        file(
          "wide.json",
          `{"version":3,"deployment":{"resources":[{"urn":"${stack}x:y:Z::w","type":"x:y:Z","inputs":{${keys}}}]}}`,
        ),
      ];
    },
    [
      /^error: too large: .*wide\.json \(limit 500,000 property values per resource; passed at deployment\.resources\[0\]\.inputs\)$/,
    ],
  ],
  [
    "an endless file (/dev/zero)",
    () => ["--state", "/dev/zero"],
    [/^error: too large: \/dev\/zero \(limit 128 MiB\)/],
  ],
  ["the same file twice", () => ["--state", clean, "--state", clean], ["given twice"]],
  ["an unknown format", () => ["--state", clean, "--format", "pdf"], ["--format", "pdf"]],
  ["an unknown flag", () => ["--state", clean, "--bogus"], ["--bogus"]],
  [
    "--output under /proc",
    () => ["--state", clean, "--output", "/proc/x/y"],
    ["--output /proc/x/y", "cannot write there"],
  ],
  ["--output a folder", () => ["--state", clean, "--output", tmp], ["--output", "EISDIR"]],
  [
    "--output under a file",
    () => ["--state", clean, "--output", path.join(clean, "x.json")],
    ["--output", "ENOTDIR"],
  ],
  ["--policy-pack not a pack", () => ["--state", clean, "--policy-pack", tmp], ["not a policy pack"]],
];

describe("audit: bad state files and flags", () => {
  it.each(stateCases)(
    "%s: exit 2, one line naming file and field",
    async (_name, args, mentions) => {
      expectOneLine(await run(["audit", ...args()]), ...mentions);
    },
    30_000,
  );

  it("nesting 5,000 levels deep is no bad input: judged, the limit named in an advisory", async () => {
    const r = await run(["audit", "--state", file("deep.json", nestedState(5000))]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain(
      "inputs (deeper than 4096 levels): what lies deeper than the limit was read as text",
    );
  });
});

const configCases: Case[] = [
  ["a missing config", () => [path.join(tmp, "none.json")], ["none.json", "ENOENT"]],
  ["config not JSON", () => [file("c1.json", `{"all": ${KEY}}`)], ["c1.json", "not valid JSON"]],
  [
    "an 'all' holding a control character and a key",
    () => [file("c2.json", { all: `\u0001${KEY}` })],
    ["c2.json", "field 'all'"],
  ],
  [
    "an unknown policy",
    () => [file("c3.json", { [`x${KEY}`]: "mandatory" })],
    ["c3.json", "no policy named"],
  ],
  [
    "a regex that compiles alone but not as the rule builds it",
    () => [file("c4.json", { "e2b-06-no-key-in-sandbox": { sandboxEnvNamePattern: "SANDBOX\\$" } })],
    [
      "c4.json",
      "e2b-06-no-key-in-sandbox",
      "field 'sandboxEnvNamePattern'",
      "not a valid regular expression",
    ],
  ],
  [
    "a regex that does not compile",
    () => [file("c5.json", { "e2b-01-no-client-side-key": { keyNamePattern: "(" } })],
    ["c5.json", "keyNamePattern"],
  ],
  [
    "a waiver that expires on a day the calendar does not have",
    () => [
      file("c6.json", {
        "e2b-05-budget-alarm": {
          waivers: [{ urn: "*", reason: "r", owner: "o", expires: "2027-02-29" }],
        },
      }),
    ],
    ["c6.json", "e2b-05-budget-alarm", "field 'waivers.0.expires'", "is not a day of the calendar"],
  ],
];

describe("audit: bad policy configs (validated at configure time)", () => {
  it.each(configCases)(
    "%s: exit 2, one line naming file and field",
    async (_name, args, mentions) => {
      expectOneLine(await run(["audit", "--state", clean, "--policy-config", ...args()]), ...mentions);
    },
    60_000,
  );
});

describe("preview, evals and sandboxes: bad input", () => {
  const badYaml = path.join(tmp, "evals-bad");
  file("evals-bad/cases/E2B-01.yaml", `id: E2B-01\ntitle: [unclosed\n`);
  const cases: Case[] = [
    ["preview: a missing --cwd", () => ["preview", "--cwd", path.join(tmp, "nowhere")], ["nowhere"]],
    [
      "preview: --program-timeout that is no number of seconds",
      () => ["preview", "--cwd", "tests/cli/fixtures/hanging-program", "--program-timeout", "2m"],
      ["--program-timeout", "'2m'"],
    ],
    [
      "preview: a program still running at --program-timeout",
      () => [
        "preview",
        "--cwd",
        "tests/cli/fixtures/stuck-program",
        "--stack",
        "dev",
        "--program-timeout",
        "2",
      ],
      ["index.js", "did not finish within 2s (preview --program-timeout allows more)"],
    ],
    ["preview: no Pulumi.yaml", () => ["preview", "--cwd", tmp], [tmp]],
    [
      "preview: Pulumi.yaml not YAML",
      () => {
        file("proj/Pulumi.yaml", "name: [x\n");
        return ["preview", "--cwd", path.join(tmp, "proj"), "--stack", "dev"];
      },
      ["Pulumi.yaml"],
    ],
    [
      "preview: a stack file whose alias contains itself",
      () => {
        file("loop/Pulumi.yaml", "name: loop\nruntime: nodejs\n");
        file("loop/index.ts", "export {};\n");
        file("loop/Pulumi.dev.yaml", "config:\n  loop:agents: &a [*a]\n");
        return ["preview", "--cwd", path.join(tmp, "loop"), "--stack", "dev"];
      },
      ["Pulumi.dev.yaml", "'config.loop:agents.0'", "contains itself"],
    ],
    [
      "preview: a Pulumi.yaml whose alias contains itself",
      () => {
        file("loop2/Pulumi.yaml", "name: loop2\nruntime: nodejs\nconfig:\n  limits: &a {inner: *a}\n");
        file("loop2/index.ts", "export {};\n");
        return ["preview", "--cwd", path.join(tmp, "loop2"), "--stack", "dev"];
      },
      ["Pulumi.yaml", "'config.limits.inner'", "contains itself"],
    ],
    [
      "preview: a program on @pulumi/pulumi 2.x (real40 bug 2)",
      () => {
        file("sdk2/Pulumi.yaml", "name: sdk2\nruntime: nodejs\n");
        file("sdk2/Pulumi.dev.yaml", "config: {}\n");
        file("sdk2/index.ts", "export {};\n");
        file("sdk2/node_modules/@pulumi/pulumi/package.json", { name: "@pulumi/pulumi", version: "2.4.0" });
        file("sdk2/node_modules/@pulumi/pulumi/index.js", "");
        file("sdk2/node_modules/@pulumi/pulumi/cmd/run/index.js", "");
        return ["preview", "--cwd", path.join(tmp, "sdk2"), "--stack", "dev"];
      },
      ["sdk2", "@pulumi/pulumi is 2.4.0", "3.100.0 or later"],
    ],
    ["evals: an unknown case", () => ["evals", "--case", "E2B-99"], ["--case", "E2B-99"]],
    ["evals: --report-dir under /proc", () => ["evals", "--report-dir", "/proc/x"], ["--report-dir /proc/x"]],
    ["evals: --concurrency 0", () => ["evals", "--concurrency", "0"], ["--concurrency"]],
    [
      "evals: a case YAML that is not YAML",
      () => ["evals", "--case", "E2B-01", "--evals-dir", badYaml],
      ["E2B-01.yaml"],
    ],
    ["sandboxes: no API key", () => ["sandboxes", "audit", "--max-age", "1h"], ["E2B_API_KEY"]],
    [
      "sandboxes: a policy file with a key",
      () => ["sandboxes", "audit", "--policy", file("pol.json", `{"x": "${KEY}"`)],
      ["pol.json", "key material"],
    ],
    ["sandboxes: a bad --max-age", () => ["sandboxes", "audit", "--max-age", "forever"], ["--max-age"]],
    [
      "sandboxes: a bad --api-url",
      () => ["sandboxes", "audit", "--max-age", "1h", "--api-url", "ftp:x"],
      ["--api-url"],
    ],
    [
      "sandboxes: a bad --request-timeout",
      () => ["sandboxes", "audit", "--max-age", "1h", "--request-timeout", "0s"],
      ["--request-timeout"],
    ],
    [
      "sandboxes: --output under /proc",
      () => [
        "sandboxes",
        "audit",
        "--max-age",
        "1h",
        "--output",
        "/proc/x/y",
        "--api-url",
        "http://127.0.0.1:9",
      ],
      ["--output /proc/x/y"],
    ],
  ];
  it.each(cases)(
    "%s: exit 2, one line",
    async (_name, args, mentions) => {
      expectOneLine(
        await run(args(), {
          E2B_API_KEY: args()[0] === "sandboxes" && !_name.includes("no API key") ? KEY : undefined,
        }),
        ...mentions,
      );
    },
    30_000,
  );
});

describe("preview: a program that fails after printing the key in encodings", () => {
  it("exits 2 with the error first, and no copy of the key in any encoding on stderr", async () => {
    const dir = path.join(tmp, "leaky-program");
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    file("leaky-program/Pulumi.yaml", "name: leaky\nruntime: nodejs\n");
    file("leaky-program/Pulumi.dev.yaml", "config: {}\n");
    file(
      "leaky-program/index.ts",
      [
        `const key = ${JSON.stringify(KEY)};`,
        `console.log("auth: Basic " + Buffer.from("u:" + key).toString("base64"));`,
        `console.log("hex " + Buffer.from(key).toString("hex"));`,
        // Forms a log line holds that a stack never does: a Buffer, a blob wrapped at 76 columns, and
        // one printed in two pieces with the other stream's line between them.
        `console.log("bytes", Buffer.from(key));`,
        `console.log(Buffer.from("export E2B_API_KEY=" + key + "\\n").toString("base64").replace(/.{76}/g, "$&\\n"));`,
        `const piece = Buffer.from(key).toString("base64");`,
        `console.log(piece.slice(0, 30)); console.error("warning: retrying"); console.log(piece.slice(30));`,
        `console.log("::warning title=forged::from the program");`,
        `throw new Error("E2B rejected key " + key + " (base64 " + Buffer.from(key).toString("base64") + ")\\n::error title=forged::injected");`,
      ].join("\n"),
    );
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    const r = await run(["preview", "--cwd", dir, "--stack", "dev"]);
    expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: "" });
    expect(r.err.split("\n")[0]).toMatch(
      /^error: .*index\.ts: the program failed: Error: E2B rejected key e2b_…a1f8 \(base64 e2b_…a1f8 \(encoded\)\)$/,
    );
    const env = b64(`export E2B_API_KEY=${KEY}\n`);
    const spaced = Buffer.from(KEY).toString("hex").replace(/../g, "$& ").trim();
    for (const copy of [KEY, b64(KEY), b64(`u:${KEY}`), Buffer.from(KEY).toString("hex"), env, spaced])
      for (let i = 0; i + 20 <= copy.length; i++) expect(r.err).not.toContain(copy.slice(i, i + 20));
    // The blob's second line, which holds most of the key, is masked too.
    expect(r.err).not.toContain(env.slice(76, 96));
    // And the program's output did come through (the absences above say nothing otherwise).
    expect(r.err).toContain("warning: retrying");
    // Under --format github the first line is the annotation, and what the program printed is fenced
    // with stop-commands: a line it forged (`::error …`, `::warning …`) is shown, never run.
    const gh = await run(["preview", "--cwd", dir, "--stack", "dev", "--format", "github"]);
    const lines = gh.err.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^::error title=e2b-guardrails::error: .*the program failed: Error: E2B rejected key e2b_…a1f8/,
    );
    const token = /^::stop-commands::(\S+)$/.exec(lines[1])?.[1];
    expect(token).toBeDefined();
    expect(lines[lines.length - 1]).toBe(`::${token}::`);
    // Both forged lines are shown (the error's may appear twice: in the error and in the program's
    // stderr, when the streams are relayed one by one).
    expect(new Set(lines.filter((l) => /^::(error|warning) title=forged/.test(l)))).toEqual(
      new Set(["::error title=forged::injected", "::warning title=forged::from the program"]),
    );
    expect(lines.slice(2, -1).every((l) => !l.startsWith(`::${token}`))).toBe(true);
  }, 60_000);
});

describe("preview: a program whose output is relayed stream by stream", () => {
  it("never cuts a stream's last lines inside a wrapped blob that holds the key", async () => {
    // A blob of 12 rows whose end holds the key, then 19 lines: a cut at the stream's last 20 lines
    // would keep only the blob's last row, most of the key in base64 with nothing before it to decode.
    const dir = path.join(tmp, "blob-then-lines");
    const blob = Buffer.from(`${"#".repeat(600)}E2B_API_KEY=${KEY}\n`).toString("base64");
    file("blob-then-lines/Pulumi.yaml", "name: blob\nruntime: nodejs\n");
    file("blob-then-lines/Pulumi.dev.yaml", "config: {}\n");
    file(
      "blob-then-lines/index.js",
      [
        `console.log(${JSON.stringify(blob)}.replace(/.{76}/g, "$&\\n"));`,
        `for (let i = 0; i < 19; i++) console.log("step " + i);`,
        `console.error("warning: " + Buffer.from(${JSON.stringify(KEY)}).toString("base64"));`,
        `throw new Error("deploy failed");`,
      ].join("\n"),
    );
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    const r = await run(["preview", "--cwd", dir, "--stack", "dev"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--- program output \(stdout\) ---/);
    const lastRow = blob.slice(Math.floor((blob.length - 1) / 76) * 76);
    expect(lastRow.length).toBeGreaterThanOrEqual(40); // the key's last 29 characters
    expect(r.err).not.toContain(lastRow.slice(0, 24));
    expect(r.err).toContain("step 18");
  }, 60_000);
});

describe("preview: a program that prints terminal controls between a key's pieces", () => {
  it("relays them as \\uXXXX, so no terminal puts the key back together; colours are dropped", async () => {
    const dir = path.join(tmp, "controls");
    const hex = KEY.slice(4);
    file("controls/Pulumi.yaml", "name: controls\nruntime: nodejs\n");
    file("controls/Pulumi.dev.yaml", "config: {}\n");
    file(
      "controls/index.js",
      [
        `console.log("XXXX${hex}\\re2b_");`, // \r: the prefix written over the start
        `console.log("\\u001b[5G${hex}\\u001b[1Ge2b_");`, // cursor to column 5, then back to 1
        `console.log("e2b_" + ${JSON.stringify(hex)}.split("").map((c) => "Z\\b" + c).join(""));`, // backspaces
        `console.log("\\u001b[31mred\\u001b[0m");`,
        `throw new Error("deploy failed");`,
      ].join("\n"),
    );
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    const r = await run(["preview", "--cwd", dir, "--stack", "dev"]);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/[\r\b]/);
    expect(r.err.includes("\u001b")).toBe(false);
    expect(r.err).toContain("\\u000de2b_");
    expect(r.err).toContain("Z\\u0008");
    expect(r.err).toContain("\nred\n");
    expect(r.err).not.toContain(KEY);
  }, 60_000);
});

describe("--output: a run that fails leaves no report behind", () => {
  it("removes the report of an earlier run before the work starts, so a failed run cannot upload it", async () => {
    const out = file("reports/stale.sarif", '{"runs":[{"results":[]}]}');
    const r = await run([
      "audit",
      "--state",
      path.join(tmp, "missing.json"),
      "--output",
      out,
      "--format",
      "sarif",
    ]);
    expectOneLine(r, "missing.json");
    expect(existsSync(out)).toBe(false);
  });
});

describe("--format github: bad input is an annotation", () => {
  it("prints the one line as an ::error workflow command naming the file in the workspace, still exit 2", async () => {
    const bad = file("github/broken.json", `{"version":3,"deployment":{"resources":[{"urn":"${KEY}`);
    const r = await run(["audit", "--state", bad, "--format", "github"], { GITHUB_WORKSPACE: tmp });
    expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: "" });
    const lines = r.err.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^::error title=e2b-guardrails,file=github\/broken\.json::error: .*broken\.json: /,
    );
    for (let i = 0; i + 20 <= KEY.length; i++) expect(r.err).not.toContain(KEY.slice(i, i + 20));
    // Outside the workspace there is no file to link: the annotation has only its title.
    const outside = await run(["audit", "--state", bad, "--format=github"], { GITHUB_WORKSPACE: repoRoot });
    expect(outside.err).toMatch(/^::error title=e2b-guardrails::error: .*broken\.json: [^\n]*\n$/);
  });
});
