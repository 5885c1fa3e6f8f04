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
      expect(() => parseStackRef(bad, project)).toThrow(`--stack: '${bad}' is not a stack name`);
  });
});
