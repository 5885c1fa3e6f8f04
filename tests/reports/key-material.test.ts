import { randomBytes } from "node:crypto";
import { maskKey } from "../../policies/detect/keys";
import { toHtml } from "../../reports/html";
import { toJUnit } from "../../reports/junit";
import { toMarkdown } from "../../reports/markdown";
import { toSarif } from "../../reports/sarif";
import { makeReport } from "./fixture";

// Fresh random keys each run, so no writer can pass by knowing them.
const apiKey = `e2b_${randomBytes(20).toString("hex")}`;
const token = `sk_e2b_${randomBytes(20).toString("hex")}`;

function plantedReport() {
  const r = makeReport();
  const s = r.stacks[0];
  const f = s.findings[0];
  f.message = `value ${apiKey} leaked; also ${token}`;
  f.urn = `${f.urn}-${apiKey}`;
  f.policy = `e2b-01-no-client-side-key`;
  s.findings[1].waiver = { reason: `approved ${apiKey}`, owner: token, expires: "2027-01-01" };
  s.environment = apiKey;
  s.costs![0].environment = token;
  s.cases[0].findings = [f, s.findings[1]];
  r.tool.version = apiKey;
  return r;
}

const writers = {
  markdown: (r: ReturnType<typeof makeReport>) => toMarkdown(r),
  html: toHtml,
  junit: toJUnit,
  sarif: (r: ReturnType<typeof makeReport>) => toSarif(r, { policies: [{ name: "x", description: apiKey }] }),
};

describe("no key material in any report format", () => {
  for (const [name, write] of Object.entries(writers)) {
    it(`${name} output holds masks, never the planted keys`, () => {
      const out = write(plantedReport());
      expect(out.includes(apiKey)).toBe(false);
      expect(out.includes(token)).toBe(false);
      expect(out.includes(apiKey.slice(4))).toBe(false);
      expect(out.includes(token.slice(7))).toBe(false);
      expect(out).toContain(maskKey(apiKey));
    });
  }
});
