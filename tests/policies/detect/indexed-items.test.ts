/**
 * Items numbered one by one, a counter before each character or byte of a key (rt51 #4): read
 * without their counters, column by column; numbered lists that spell nothing are left as they are.
 */
import { indexedItemSpans } from "../../../policies/detect/indexed-items";
import { applySpans } from "../../../policies/detect/keys";
import { redactMaterial } from "../../../policies/detect/redact";

const KEY = "e2b_89abcdef0123456789abcdef0123456789abcd";
const bytes = [...Buffer.from(KEY)];
const hex = (b: number) => b.toString(16).padStart(2, "0");

const layouts: Record<string, string> = {
  "a debug loop's `i: 0xNN` a line": bytes.map((b, i) => `${i}: 0x${hex(b)}`).join("\n"),
  "a char-code table, `i<TAB>dec<TAB>hex<TAB>char`": bytes
    .map((b, i) => `${i}\t${b}\t${hex(b)}\t${String.fromCharCode(b)}`)
    .join("\n"),
  "a string spread into an object, JSON.stringify({ ...key })": JSON.stringify({ ...[...KEY] }),
  "the same, indented": JSON.stringify({ ...[...KEY] }, null, 2),
  "`i:c` pairs on one line": [...KEY].map((c, i) => `${i}:${c}`).join(" "),
  "`key[i] = 'c'` lines, counting from 1": [...KEY].map((c, i) => `key[${i + 1}] = '${c}'`).join("\n"),
  "a right-aligned `%3d  %c` table": [...KEY].map((c, i) => `${String(i).padStart(3)}  ${c}`).join("\n"),
  "a logger's line a character (rt53 #1)": [...KEY]
    .map((c, i) => `2026-12-07T21:58:${String(i % 60).padStart(2, "0")}.123Z DEBUG key char ${i} = ${c}`)
    .join("\n"),
  "numbered chunks of four (rt53 #1)": (KEY.match(/.{1,4}/g) ?? [])
    .map((c, i) => `chunk ${i}: ${c}`)
    .join("\n"),
  "numbered pairs (rt53 #1)": (KEY.match(/.{1,2}/g) ?? []).map((c, i) => `${i}: ${c}`).join("\n"),
  "a Python enumerate() list": `[${[...KEY].map((c, i) => `(${i}, '${c}')`).join(", ")}]`,
};

const spellsKey = (decoded: string) => decoded.includes(KEY);
const masked = (text: string) =>
  applySpans(
    text,
    indexedItemSpans(text, spellsKey, () => "[items]"),
  );

describe("indexedItemSpans", () => {
  it.each(Object.keys(layouts))("reads the key in %s, the whole run", (name) => {
    const out = masked(`debug:\n${layouts[name]}\nthen failed`);
    expect(out).toMatch(/^debug:\n.{0,64}\[items\]/s);
    expect(out).toMatch(/then failed$/);
    expect(out).not.toMatch(/89ab|\b0x38\b/);
  });

  it("takes an item's own number for the item, not for the next counter (`1:2 2:b`)", () => {
    const key = "e2b_1234567890123456789012345678901234567890";
    const text = [...key].map((c, i) => `${i}:${c}`).join(" ");
    expect(
      applySpans(
        text,
        indexedItemSpans(
          text,
          (d) => d.includes(key),
          () => "[items]",
        ),
      ),
    ).toBe("[items]");
  });

  it("leaves numbered lists that spell nothing: a changelog, a table of numbers, a spread word", () => {
    const texts = [
      Array.from({ length: 30 }, (_, i) => `${i + 1}. step ${i + 1} done`).join("\n"),
      Array.from({ length: 30 }, (_, i) => `${i}\t${i * 7}\t${(i * 7).toString(16)}`).join("\n"),
      JSON.stringify({ ...[..."a string that is no key at all"] }),
    ];
    for (const text of texts) expect(indexedItemSpans(text, spellsKey, () => "[items]")).toEqual([]);
  });
});

describe("redactMaterial of numbered items", () => {
  it.each(Object.keys(layouts))("masks the key in %s", (name) => {
    const out = redactMaterial(`Error: debug dump\n${layouts[name]}\n    at main (index.ts:3:7)`);
    expect(out).toContain("withheld: bytes of E2B key material");
    expect(out).toContain("at main (index.ts:3:7)");
    expect(out).not.toMatch(/89ab|cdef/);
  });

  it("masks the key in a JSON log line a character, whose other numbers count too (rt53 #1)", () => {
    const lines = [...KEY].map((c, i) =>
      JSON.stringify({ level: 20, time: 1765144680000 + i, pid: 4242, i, c }),
    );
    const out = redactMaterial(`${lines.join("\n")}\ndone`);
    expect(out).toContain("withheld: bytes of E2B key material");
    expect(out).toMatch(/done$/);
    for (const line of lines) expect(out).not.toContain(line);
  });

  it("leaves a numbered list of ordinary output as it was", () => {
    const text = Array.from({ length: 40 }, (_, i) => `${i}: resource ${i} created (id ${1000 + i})`).join(
      "\n",
    );
    expect(redactMaterial(text)).toBe(text);
  });
});
