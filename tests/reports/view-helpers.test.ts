/**
 * Names come from the program or the export: a resource or stack named with an escape sequence and a
 * line break must not colour a terminal, ring it, or forge a line ("✅ all good") in any view.
 */
import { githubStepSummary, toGithub } from "../../reports/github";
import { toHtml } from "../../reports/html";
import { toJUnit } from "../../reports/junit";
import { toMarkdown } from "../../reports/markdown";
import { toSarif } from "../../reports/sarif";
import { renderText } from "../../reports/text";
import { inert } from "../../reports/view-helpers";
import { makeReport } from "./fixture";

const HOSTILE = "b\u001b[31m\nFORGED ✅ all good\u0007";

function hostileReport() {
  const r = makeReport();
  const s = r.stacks[0];
  s.stack = `prod${HOSTILE}`;
  const urn = `urn:pulumi:prod::web::aws:s3/bucketV2:BucketV2::${HOSTILE}`;
  s.findings[0].urn = urn;
  s.findings[0].message = `aws:s3/bucketV2:BucketV2 ${JSON.stringify(HOSTILE)} holds key material\u009b2J`;
  s.cases[0].findings[0].urn = urn;
  return r;
}

const views: Array<[string, (r: ReturnType<typeof makeReport>) => string]> = [
  ["text", (r) => renderText(r)],
  ["markdown", toMarkdown],
  ["html", toHtml],
  ["junit", toJUnit],
  ["sarif", (r) => toSarif(r)],
  ["github", toGithub],
  ["github step summary", githubStepSummary],
];

describe.each(views)("the %s view of hostile names", (_name, view) => {
  it("prints no control character and no line the report did not make", () => {
    const out = view(hostileReport());
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    expect(out).not.toMatch(/(^|\n)\s*FORGED/);
    expect(out).toContain("\\u001b[31m");
  });
});

describe("inert", () => {
  it("writes control characters as \\uXXXX, keeping tabs and line breaks outside identifiers", () => {
    expect(inert("a\tb\nc\u001bd\u0085e\u2028")).toBe("a\tb\nc\\u001bd\\u0085e\\u2028");
    expect(inert("a\nb\rc", true)).toBe("a\\u000ab\\u000dc");
    expect(inert("plain ✅ text")).toBe("plain ✅ text");
  });
});

describe("names that try to leave Markdown's code span or read backwards", () => {
  const name = "a``<img src=x onerror=alert(1)>``b\u202egnp.exe";
  const report = () => {
    const r = makeReport();
    r.stacks[0].findings[0].urn = `urn:pulumi:prod::web::aws:s3/bucketV2:BucketV2::${name}`;
    return r;
  };

  it("fences a name holding backticks with a longer run, so its markup stays code", () => {
    const md = toMarkdown(report());
    expect(md).toContain(
      "``` urn:pulumi:prod::web::aws:s3/bucketV2:BucketV2::a``<img src=x onerror=alert(1)>``b\\u202egnp.exe ```",
    );
  });

  it.each(views)("%s writes a right-to-left override as an escape", (_name, view) => {
    const out = view(report());
    expect(out).not.toContain("\u202e");
  });
});
