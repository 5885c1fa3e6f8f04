import { toHtml } from "../../reports/html";
import { makeReport, prodKeyUrn } from "./fixture";

describe("html report (markup)", () => {
  const html = toHtml(makeReport());

  it("is self-contained: no scripts, no external assets, a CSP that forbids loading any", () => {
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|url\(|@import/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) expect(h.startsWith("#")).toBe(true);
  });

  it("has a case matrix cell per stack and case with the verdict", () => {
    const cells = [...html.matchAll(/<td data-stack="([^"]+)" data-case="([^"]+)" data-status="([^"]+)">/g)];
    expect(cells).toHaveLength(18);
    const status = (stack: string, id: string) => cells.find((m) => m[1] === stack && m[2] === id)?.[3];
    expect(status("prod", "E2B-01")).toBe("fail");
    expect(status("prod", "E2B-07")).toBe("not-applicable");
    expect(status("prod", "E2B-03")).toBe("pass");
    expect(status("loadtest", "E2B-02")).toBe("fail");
    expect(status("loadtest", "E2B-05")).toBe("pass");
    expect(status("loadtest", "E2B-01")).toBe("not-applicable");
  });

  it("puts each finding in an expandable block, escaped", () => {
    const findings = html.match(/<details class="finding/g) ?? [];
    expect(findings).toHaveLength(5);
    expect(html).toContain(`data-urn="${prodKeyUrn}"`);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("| &quot;quoted&quot; &amp; `ticked`");
    expect(html).not.toContain("<script>alert");
  });

  it("shows waivers, costs, generation time and pack version", () => {
    expect(html).toMatch(
      /<td>Load test of 2026-12 needs headroom<\/td><td>platform@example.com<\/td><td>2026-12-31<\/td>/,
    );
    expect(html).toContain(
      '<td class="num">$1,234.50</td><td class="num">$9,876.25</td><td class="num">$2.42</td>',
    );
    expect(html).toContain('<time class="generated" datetime="2026-11-26T04:00:00.000Z">');
    expect(html).toContain('<span class="pack">e2b-guardrails 0.1.0</span>');
  });

  it("escapes stack names used in attributes", () => {
    const r = makeReport();
    r.stacks[0].stack = 'we"ird<stack>';
    const out = toHtml(r);
    expect(out).toContain('data-stack="we&quot;ird&lt;stack&gt;"');
    expect(out).not.toContain('we"ird');
  });
});
