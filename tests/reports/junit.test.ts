import { convert } from "xmlbuilder2";
import { toJUnit } from "../../reports/junit";
import { makeReport } from "./fixture";

type Node = Record<string, unknown>;
const arr = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

describe("junit report", () => {
  const xml = toJUnit(makeReport());
  const doc = convert(xml, { format: "object" }) as Node;
  const root = doc.testsuites as Node;
  const suites = arr(root.testsuite as Node[]);

  it("has one testsuite per stack and one testcase per case, with totals", () => {
    expect(suites.map((s) => s["@name"])).toEqual(["web/prod", "agents/loadtest"]);
    for (const s of suites) expect(arr(s.testcase as Node[])).toHaveLength(9);
    expect(root["@tests"]).toBe("18");
    expect(root["@failures"]).toBe("2");
    expect(suites[0]["@failures"]).toBe("1");
    expect(suites[0]["@skipped"]).toBe("1");
    expect(suites[1]["@skipped"]).toBe("7");
  });

  it("fails a case with its findings as the failure text", () => {
    const cases = arr(suites[0].testcase as Node[]);
    const e01 = cases.find((c) => String(c["@name"]).startsWith("E2B-01"))!;
    const failure = e01.failure as Node;
    expect(failure["@message"]).toBe("E2B-01 failed on web/prod: 2 blocking finding(s)");
    expect(failure["@type"]).toBe("critical");
    const text = String(failure["#"]);
    expect(text).toContain("e2b-01-no-client-side-key");
    // Escaped exactly once (xmlbuilder2's parser keeps entities as written).
    expect(text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(xml).not.toContain("<script>");
    expect(xml).not.toContain("&amp;lt;");
    expect(text.split("\n")).toHaveLength(2);
    const e03 = cases.find((c) => String(c["@name"]).startsWith("E2B-03"))!;
    expect(e03.failure).toBeUndefined();
    expect(e03.skipped).toBeUndefined();
  });

  it("skips not-applicable cases and lists waived findings of passing cases", () => {
    const cases = arr(suites[1].testcase as Node[]);
    const e01 = cases.find((c) => String(c["@name"]).startsWith("E2B-01"))!;
    expect(e01.skipped).toBeDefined();
    const e05 = cases.find((c) => String(c["@name"]).startsWith("E2B-05"))!;
    expect(e05.failure).toBeUndefined();
    expect(String(e05["system-out"])).toContain(
      "waived: Load test of 2026-12 needs headroom; owner platform@example.com",
    );
  });

  it("writes control characters XML cannot carry as visible escapes", () => {
    const r = makeReport();
    r.stacks[0].findings[0].message = "bad\u0001char";
    r.stacks[0].cases[0].findings[0].message = "bad\u0001char";
    const out = toJUnit(r);
    expect(out).toContain("bad\\u0001char");
    expect(out).not.toContain("\u0001");
    expect(() => convert(out, { format: "object" })).not.toThrow();
  });
});
