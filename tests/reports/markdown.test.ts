import { toMarkdown } from "../../reports/markdown";
import { makeFindings, makeReport } from "./fixture";

describe("markdown report", () => {
  const md = toMarkdown(makeReport());
  const lines = md.split("\n");

  it("has a summary row per stack with a verdict for each of the nine cases", () => {
    expect(lines).toContain(
      "| Stack | Environment | E2B-01 | E2B-02 | E2B-03 | E2B-04 | E2B-05 | E2B-06 | E2B-07 | E2B-08 | E2B-09 |",
    );
    const row = (stack: string) => lines.find((l) => l.startsWith(`| ${stack} |`))!.split(" | ");
    const prod = row("web/prod");
    const loadtest = row("agents/loadtest");
    // Columns: stack, environment, then E2B-01 … E2B-09.
    expect(prod[1]).toBe("prod");
    expect(prod[2]).toBe("❌ FAIL"); // E2B-01
    expect(prod[3]).toBe("✅ PASS"); // E2B-02
    expect(prod[8]).toBe("➖ N-A"); // E2B-07
    expect(loadtest[2]).toBe("➖ N-A");
    expect(loadtest[3]).toBe("❌ FAIL");
    expect(loadtest[6]).toBe("✅ PASS"); // E2B-05, waived finding only
    expect(prod).toHaveLength(11);
    expect(lines).toContain("- **E2B-06** The key never enters a sandbox (critical)");
  });

  it("groups findings by case after the summary, with stack verdicts", () => {
    const summary = md.indexOf("## Cases per stack");
    const e01 = md.indexOf("### E2B-01 Server-side-only key material");
    const e02 = md.indexOf("### E2B-02 A distinct key per environment");
    expect(summary).toBeGreaterThanOrEqual(0);
    expect(e01).toBeGreaterThan(summary);
    expect(e02).toBeGreaterThan(e01);
    const e01Block = md.slice(e01, e02);
    expect(e01Block).toContain("#### web/prod: FAIL");
    expect(e01Block).toContain("**e2b-01-no-client-side-key** (mandatory, critical)");
    expect(e01Block).toContain("**e2b-01-key-only-in-key-stores**");
    // Cases without findings get no section.
    expect(md).not.toContain("### E2B-03");
  });

  it("shows waivers with reason, owner and expiry", () => {
    expect(md).toContain(
      "_Waived_: Load test of 2026-12 needs headroom — owner platform@example.com, expires 2026-12-31",
    );
  });

  it("escapes pipes and HTML so the tables and page stay intact", () => {
    expect(md).toContain('VITE_E2B_KEY \\| "quoted"');
    expect(md).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(md).not.toContain("<script>");
  });

  it("writes link and image syntax from a name as text, so no name adds a link or a remote image", () => {
    const name = "api![i](https://evil.example/p.png)[rotate here](https://evil.example/t)";
    const f = makeFindings();
    f.prod[0] = { ...f.prod[0], message: `Function '${name}' holds an E2B API key (e2b_…a1b2).` };
    const out = toMarkdown(makeReport(f));
    expect(out).toContain("api!\\[i\\](https://evil.example/p.png)\\[rotate here\\](https://evil.example/t)");
    expect(out).not.toMatch(/!\[i\]\(/);
    expect(out).not.toMatch(/(?<!\\)\[rotate here\]/);
  });

  it("lists cost figures, other policies, generation time and pack version", () => {
    expect(md).toContain("| web/prod | prod | $1,234.50 | $9,876.25 | $2.42 | $2,000.00 |");
    expect(md).toContain("| agents/loadtest | loadtest | $50.00 | $400.00 | $0.10 | none |");
    expect(md).toContain("### Other policies: web/prod");
    expect(md).toContain("**third-party-advice** (advisory, low)");
    expect(md).toContain(
      "Generated 2026-11-26T04:00:00.000Z by e2b-guardrails 0.1.0 with policy pack e2b-guardrails 0.1.0.",
    );
  });

  it("says so when there is nothing to report", () => {
    const empty = toMarkdown({ ...makeReport(), stacks: [] });
    expect(empty).toContain("_No stacks were analysed._");
    expect(empty).toContain("_No findings._");
  });
});
