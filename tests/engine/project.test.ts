/** Reading a project and its stack's configuration as the Pulumi CLI does (engine/project.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readProject, readStackConfig } from "../../engine/project";
import { tmpDir } from "../support/tmp";

function project(files: Record<string, string>) {
  const dir = tmpDir("project-");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return readStackConfig(readProject(dir, "dev"));
}

describe("project-level config in Pulumi.yaml", () => {
  it("takes a plain value, a `value` attribute or a `default`, and nothing from a bare type", () => {
    const { config } = project({
      "Pulumi.yaml": [
        "name: agents",
        "runtime: nodejs",
        "config:",
        "  aws:region: us-west-2",
        "  gcp:project:",
        "    value: agents-prod",
        "  greeting:",
        "    type: string",
        "    value: hello",
        "  prefix:",
        "    type: string",
        "    default: rec",
        "  owner:",
        "    type: string",
        "",
      ].join("\n"),
      "Pulumi.dev.yaml": "config:\n  agents:prefix: dev\n",
      "index.ts": "export {};\n",
    });
    expect(config).toEqual({
      "aws:region": "us-west-2",
      "gcp:project": "agents-prod",
      "agents:greeting": "hello",
      // The stack's value wins over the project's default.
      "agents:prefix": "dev",
    });
  });
});

describe("stack config keys, qualified as the CLI qualifies them", () => {
  const stack = (lines: string[]) =>
    project({
      "Pulumi.yaml": "name: agents\nruntime: nodejs\n",
      "Pulumi.dev.yaml": ["config:", ...lines.map((l) => `  ${l}`), ""].join("\n"),
      "index.ts": "export {};\n",
    });

  it("gives a bare key the project's namespace and reads the old `ns:config:name` form as `ns:name`", () => {
    expect(stack(["region: eu", "aws:config:profile: ops", "aws:region: us"]).config).toEqual({
      "agents:region": "eu",
      "aws:profile": "ops",
      "aws:region": "us",
    });
  });

  it.each([
    [["e2bApiKey: a", "agents:e2bApiKey: b"], "agents:e2bApiKey", "e2bApiKey"],
    [["aws:region: a", "aws:config:region: b"], "aws:config:region", "aws:region"],
  ])(
    "refuses one key spelt two ways %#: the CLI would keep either value at random",
    (lines, field, other) => {
      expect(() => stack(lines)).toThrow(
        new RegExp(`Pulumi\\.dev\\.yaml: field 'config\\.${field}' is the same key as '${other}' \\(`),
      );
    },
  );

  it("applies merge keys as yaml.v3 does: config shared through an anchor is there", () => {
    expect(
      stack(["<<: &shared", "  aws:region: eu-west-1", "  owner: platform", "owner: agents"]).config,
    ).toEqual({ "aws:region": "eu-west-1", "agents:owner": "agents" });
  });

  it("refuses a key the CLI cannot parse, naming it", () => {
    expect(() => stack(["a:b:c: x"])).toThrow(/field 'config\.a:b:c' is not a configuration key/);
  });
});

describe("fields of the wrong type, refused naming the file and field as the CLI refuses them (rt54 #6)", () => {
  const files = (projectYaml: string, stackYaml: string) => ({
    "Pulumi.yaml": `name: agents\nruntime: nodejs\n${projectYaml}`,
    "Pulumi.dev.yaml": stackYaml,
    "index.ts": "export {};\n",
  });
  it.each([
    [
      "Pulumi.yaml config that is a list",
      "config: [1, 2]\n",
      "config: {}\n",
      /Pulumi\.yaml: field 'config' must be a mapping/,
    ],
    [
      "a default not of its declared type",
      "config:\n  x:\n    type: integer\n    default: abc\n",
      "config: {}\n",
      /Pulumi\.yaml: field 'config\.x\.default' must be of type integer/,
    ],
    [
      "an unknown declared type",
      "config:\n  x:\n    type: number\n",
      "config: {}\n",
      /field 'config\.x\.type' must be one of string, integer, boolean, array, object/,
    ],
    [
      "an array without its items' type",
      "config:\n  x:\n    type: array\n",
      "config: {}\n",
      /field 'config\.x\.items' must give the array's item type/,
    ],
    [
      "secretsprovider that is no string",
      "",
      "secretsprovider: [1]\nconfig: {}\n",
      /Pulumi\.dev\.yaml: field 'secretsprovider' must be a string/,
    ],
    [
      "environment that is a number",
      "",
      "environment: 5\nconfig: {}\n",
      /Pulumi\.dev\.yaml: field 'environment' must be a list/,
    ],
  ])("%s", (_what, projectYaml, stackYaml, message) => {
    expect(() => project(files(projectYaml, stackYaml))).toThrow(message);
  });
  it("reads what is of the right type, as the CLI reads it (an integer or boolean written as text, typed items)", () => {
    const { config } = project(
      files(
        [
          "config:",
          "  n:",
          "    type: integer",
          "    default: 3",
          "  t:",
          "    type: integer",
          '    default: "42"',
          "  b:",
          "    type: boolean",
          '    default: "true"',
          "  zones:",
          "    type: array",
          "    items:",
          "      type: string",
          "    default: [a, b]",
          "  big:",
          "    type: integer",
          "    default: 1_000",
          "  db:",
          "    type: object",
          "    default: { host: db }",
          "  empty:",
          "    type: string",
          "    default:",
          "",
        ].join("\n"),
        // `secure:` with no ciphertext is a plain map to the CLI (`pulumi config set --path smtp.secure true`: rt56 #2).
        "secretsprovider: passphrase\nconfig:\n  agents:smtp:\n    secure: true\n",
      ),
    );
    expect(config).toEqual({
      "agents:n": "3",
      "agents:t": "42",
      "agents:b": "true",
      "agents:zones": '["a","b"]',
      "agents:big": "1_000",
      "agents:db": '{"host":"db"}',
      "agents:smtp": '{"secure":true}',
    });
  });

  it("reads `config: <dir>`, the CLI's old spelling of stackConfigDir (rt56 #1)", () => {
    const dir = tmpDir("project-");
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agents\nruntime: nodejs\nconfig: stacks\n");
    mkdirSync(path.join(dir, "stacks"));
    writeFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), "config:\n  agents:region: eu\n");
    writeFileSync(path.join(dir, "index.ts"), "export {};\n");
    expect(readStackConfig(readProject(dir, "dev")).config).toEqual({ "agents:region": "eu" });
  });
});

describe("Pulumi ESC environments a stack imports", () => {
  const base = { "Pulumi.yaml": "name: agents\nruntime: nodejs\n", "index.ts": "export {};\n" };

  it("lists them, written as a list or as an inline definition's imports", () => {
    expect(
      project({ ...base, "Pulumi.dev.yaml": "environment:\n  - acme/e2b-prod\n  - acme/aws\n" }).environments,
    ).toEqual(["acme/e2b-prod", "acme/aws"]);
    expect(
      project({
        ...base,
        "Pulumi.dev.yaml":
          "environment:\n  imports:\n    - acme/e2b-prod\n    - acme/aws: { merge: false }\n",
      }).environments,
    ).toEqual(["acme/e2b-prod", "acme/aws"]);
    expect(project({ ...base, "Pulumi.dev.yaml": "config: {}\n" }).environments).toEqual([]);
  });
});

describe("stack config files too big or too deep to read", () => {
  const base = { "Pulumi.yaml": "name: agents\nruntime: nodejs\n", "index.ts": "export {};\n" };

  it("refuses a file over 16 MiB before parsing it, naming the file", () => {
    const huge = `config:\n  agents:blob: "${"x".repeat(17 * 2 ** 20)}"\n`;
    expect(() => project({ ...base, "Pulumi.dev.yaml": huge })).toThrow(
      /^too large: .*Pulumi\.dev\.yaml \(limit 16 MiB\)$/,
    );
  });

  it("says a valid but deeply nested file is too deep to read, not that it is invalid YAML", () => {
    const deep = `config:\n  agents:deep: ${"[".repeat(1000)}1${"]".repeat(1000)}\n`;
    expect(() => project({ ...base, "Pulumi.dev.yaml": deep })).toThrow(
      /Pulumi\.dev\.yaml: nested too deeply to read/,
    );
  });
});

describe("stack files read as the Pulumi CLI's YAML reader does", () => {
  const base64Key = Buffer.from(`e2b_${"0123456789abcdef".repeat(3).slice(0, 40)}`).toString("base64");

  it("prints no parser warning, which would quote the source line (an encoded key cut short) on stderr", () => {
    const emitted = jest.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      const { config } = project({
        "Pulumi.yaml": "name: agents\nruntime: nodejs\n",
        "Pulumi.dev.yaml": `config:\n  agents:apiKey: !custom ${base64Key}\n`,
        "index.ts": "export {};\n",
      });
      expect(config["agents:apiKey"]).toBe(base64Key);
      expect(emitted).not.toHaveBeenCalled();
    } finally {
      emitted.mockRestore();
    }
  });

  it("reads !!binary as the text its bytes spell, as yaml.v3 does, under YAML 1.2 and 1.1", () => {
    for (const directive of ["", "%YAML 1.1\n---\n"]) {
      const { config } = project({
        "Pulumi.yaml": "name: agents\nruntime: nodejs\n",
        "Pulumi.dev.yaml": `${directive}config:\n  agents:apiKey: !!binary ${base64Key}\n`,
        "index.ts": "export {};\n",
      });
      expect(config["agents:apiKey"]).toBe(Buffer.from(base64Key, "base64").toString());
    }
  });
});

describe("the passphrase provider's encryptionsalt", () => {
  it.each(["garbage", "v2:abc:v1:def:ghi", "12345", "v1:garbage"])(
    "says a present but malformed encryptionsalt (%s) is malformed, not missing, without quoting it",
    (salt) => {
      const dir = tmpDir("project-");
      writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agents\nruntime: nodejs\n");
      writeFileSync(
        path.join(dir, "Pulumi.dev.yaml"),
        `encryptionsalt: "${salt}"\nconfig:\n  agents:token:\n    secure: v1:AAAA:BBBB\n`,
      );
      writeFileSync(path.join(dir, "index.ts"), "export {};\n");
      const read = () => readStackConfig(readProject(dir, "dev"), "correct horse");
      expect(read).toThrow(
        /Pulumi\.dev\.yaml: field 'encryptionsalt' is malformed \(expected v1:<salt>:v1:<nonce>:<ciphertext>/,
      );
      expect(read).not.toThrow(salt);
    },
  );
});

describe("the program's entry point", () => {
  it("takes `main` naming an ES module or CommonJS file, as the language host and Node do", () => {
    for (const file of ["index.mjs", "index.cjs", "main.mts"]) {
      const dir = tmpDir("project-main-");
      writeFileSync(path.join(dir, "Pulumi.yaml"), `name: app\nruntime: nodejs\nmain: ${file}\n`);
      writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: {}\n");
      writeFileSync(path.join(dir, file), "export {};\n");
      expect(readProject(dir, "dev").main).toBe(path.join(dir, file));
    }
  });
});

describe("a stack with no stack file", () => {
  it("is refused, and where the project has no stack file at all the message says an empty one is enough (real37 obs. 4)", () => {
    const base = { "Pulumi.yaml": "name: agents\nruntime: nodejs\n", "index.ts": "export {};\n" };
    expect(() => project(base)).toThrow(
      /Pulumi\.dev\.yaml: no such stack 'dev' \(offline the stack files are the stacks: a stack with no config needs one holding `config: \{\}`\)$/,
    );
    expect(() => project({ ...base, "Pulumi.prod.yaml": "config: {}\n" })).toThrow(
      /Pulumi\.dev\.yaml: no such stack 'dev' \(stacks here: prod\)$/,
    );
    expect(project({ ...base, "Pulumi.dev.yaml": "config: {}\n" }).config).toEqual({});
  });
});
