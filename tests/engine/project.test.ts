/** Reading a project and its stack's configuration as the Pulumi CLI does (engine/project.ts). */
import { writeFileSync } from "node:fs";
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
