/** `--stack` as the Pulumi CLI takes it (cli/stack-name.ts). */
import { parseStackRef } from "../../cli/stack-name";

describe("a stack named with its organization and project", () => {
  const project = () => "agents";

  it("reads stack, org/stack and org/project/stack: the file is the stack's, the organization the first part", () => {
    expect(parseStackRef("prod", project)).toEqual({ stack: "prod" });
    expect(parseStackRef("acme/prod", project)).toEqual({ stack: "prod", organization: "acme" });
    expect(parseStackRef("acme/agents/prod", project)).toEqual({ stack: "prod", organization: "acme" });
  });

  it("refuses another project's stack and names that are no stack, in one line", () => {
    expect(() => parseStackRef("acme/web/prod", project)).toThrow(
      "--stack: 'acme/web/prod' names project 'web', but this project is 'agents' (Pulumi.yaml)",
    );
    for (const bad of ["a//b", "/prod", "a/b/c/d", "prod/"])
      expect(() => parseStackRef(bad, project)).toThrow(`--stack: "${bad}" is not a stack name`);
  });

  it("refuses a name the Pulumi CLI refuses, its line break or control character shown escaped", () => {
    for (const bad of ["prod\n", "prod\nx", "pr od", "acme/pro\u0000d", "a".repeat(101), "ac me/prod"]) {
      const thrown = (() => {
        try {
          parseStackRef(bad, project);
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(thrown).toBe(
        `--stack: ${JSON.stringify(bad)} is not a stack name: stack names may only contain alphanumeric, hyphens, underscores, and periods (at most 100)`,
      );
      expect(thrown).not.toContain("\n");
    }
    expect(parseStackRef("prod-eu_2.blue", project)).toEqual({ stack: "prod-eu_2.blue" });
  });
});
