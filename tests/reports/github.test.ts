/** `--format github`: workflow commands as the Actions runner reads them back. */
import { escapeData, escapeProperty, toGithub, workflowCommand } from "../../reports/github";
import { parseWorkflowCommands } from "./github-commands";
import { makeFindings, makeReport } from "./fixture";

const KEY = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);

describe("GitHub workflow commands", () => {
  it("escapes as the runner unescapes: %, CR, LF in data; also : and , in properties", () => {
    expect(escapeData("100% done\r\nnext")).toBe("100%25 done%0D%0Anext");
    expect(escapeProperty("a:b,c%")).toBe("a%3Ab%2Cc%25");
    const line = workflowCommand("error", { title: "p: a, b" }, "50%\nline two ::warning::x");
    expect(line.split("\n")).toHaveLength(1);
    expect(parseWorkflowCommands(line)).toEqual([
      { command: "error", properties: { title: "p: a, b" }, message: "50%\nline two ::warning::x" },
    ]);
  });

  it("prints one command per finding at its level, then the totals, with keys masked", () => {
    const f = makeFindings();
    f.prod[0] = { ...f.prod[0], message: `${f.prod[0].message} %0A raw ${KEY}` };
    const commands = parseWorkflowCommands(toGithub(makeReport(f)));
    expect(commands.map((c) => [c.command, c.properties.title])).toEqual([
      ["error", "e2b-01-no-client-side-key (E2B-01, mandatory)"],
      ["error", "e2b-01-key-only-in-key-stores (E2B-01, mandatory)"],
      ["warning", "third-party-advice (advisory)"],
      ["error", "e2b-02-distinct-key-per-environment (E2B-02, mandatory)"],
      ["notice", "e2b-05-budget-alarm (E2B-05, advisory, waived)"],
      ["notice", "e2b-guardrails"],
    ]);
    expect(commands[0].message).toMatch(
      /^web\/prod vercel:index\/projectEnvironmentVariable:ProjectEnvironmentVariable: next-public-e2b-key\n/,
    );
    // A literal "%0A" in a message stays literal text; it does not become a line break.
    expect(commands[0].message).toContain(" %0A raw e2b_…4567");
    expect(commands[4].message).toContain("Waived by platform@example.com until 2026-12-31");
    expect(JSON.stringify(commands)).not.toContain(KEY.slice(4));
  });
});
