/**
 * A known key spelled out digit by digit in layouts no reader of the redactor knows (rt52 #7,
 * rt53 #1 and #2, left by session 40): masked because the run knows the key, whatever stands between
 * its digits. Text that spells no known key is left as it is.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { MIN_SPELLED, maskSpelledKeys, spelledKeySpans } from "../../../policies/detect/spelled-keys";

const KEY = "e2b_3f9a1c7e5b2d4086af13c9e7b5d20f4a6c8e1b3d";
const DIGITS = KEY.slice(4);
const chars = [...KEY];
const codes = chars.map((c) => c.charCodeAt(0));
const hex = (n: number) => n.toString(16).padStart(2, "0");
/** Another key's forty digits, at random. */
const randomDigits = fc.string({
  unit: fc.constantFrom(..."0123456789abcdef"),
  minLength: 40,
  maxLength: 40,
});

const layouts: Record<string, string> = {
  "hex counters, `0x00: e` a line": chars.map((c, i) => `0x${hex(i)}: ${c}`).join("\n"),
  "a counter glued to a word, `k0=e`": chars.map((c, i) => `k${i}=${c}`).join(" "),
  "counters stepping by two": chars.map((c, i) => `${2 * i}: ${c}`).join("\n"),
  "a float counter, `0.0 e`": chars.map((c, i) => `${i}.0 ${c}`).join("\n"),
  "the byte in a sentence's fifth word": chars
    .map((_, i) => `[${i}] len 44 of key is 0x${hex(codes[i])}`)
    .join("\n"),
  "JS String.fromCharCode(101) + …": codes.map((b) => `String.fromCharCode(${b})`).join(" + "),
  "Rust 0x65u8 literals": `[${codes.map((b) => `0x${hex(b)}u8`).join(", ")}]`,
  "Rust b'e' as u8": `[${chars.map((c) => `b'${c}' as u8`).join(", ")}]`,
  "C++ static_cast<char>(101)": codes.map((b) => `static_cast<char>(${b})`).join(", "),
  "a C array with a comment per byte": `{ ${codes.map((b, i) => `0x${hex(b)} /* ${chars[i]} */`).join(", ")} }`,
  "a wrapper on every other byte": codes.map((b, i) => (i % 2 ? `(byte) ${b}` : `${b}`)).join(", "),
  "asm `db 065h` rows": (
    codes
      .map((b) => `0${hex(b)}h`)
      .join(",")
      .match(/(?:[^,]+,?){1,8}/g) ?? []
  )
    .map((row) => `  db ${row.replace(/,$/, "")}`)
    .join("\n"),
  "Verilog 8'h65": codes.map((b) => `8'h${hex(b)}`).join(", "),
  "octal escapes": codes.map((b) => `\\${b.toString(8)}`).join(""),
  "binary bytes": codes.map((b) => `0b${b.toString(2).padStart(8, "0")}`).join(" "),
  "chunks of three behind a logger's prefix": (KEY.match(/.{1,3}/g) ?? [])
    .map((c, i) => `2026-12-07T21:58:${String(i).padStart(2, "0")}.123Z DEBUG part ${i} = ${c}`)
    .join("\n"),
  "upper case, a character a line": KEY.toUpperCase().split("").join("\n"),
  // rt55 #2: each digit's value, and the key's decoded bytes.
  "each digit's value in hex, `0x3, 0xf`": [...DIGITS]
    .map((c) => `0x${parseInt(c, 16).toString(16)}`)
    .join(", "),
  "the decoded bytes in decimal": JSON.stringify([...Buffer.from(DIGITS, "hex")]),
  "the decoded bytes as 0x literals": [...Buffer.from(DIGITS, "hex")].map((b) => `0x${hex(b)}`).join(", "),
  "backwards, a character a line": [...chars].reverse().join("\n"),
  // rt57 #1: each digit's value in decimal, and as four bits.
  "each digit's value in decimal, `[14,10,5]`": JSON.stringify([...DIGITS].map((c) => parseInt(c, 16))),
  "each digit's value as four bits": [...DIGITS]
    .map((c) => parseInt(c, 16).toString(2).padStart(4, "0"))
    .join(" "),
  // rt57 #2: a logger's line of numbers, and lines of over 200 characters, between the digits.
  "two digits a line after sixteen numbers": (DIGITS.match(/../g) ?? [])
    .map((p) => `2026-01-01T12:34:56.789Z pid=1234 host=10.0.0.12 port=8080 mem=123 456 789 gc=1 2 3 ch=${p}`)
    .join("\n"),
  // rt58 #5: two digits at a time with the same numbers between the pairs (gaps of 0 and 6 words).
  "pairs of digits between the same six numbers": (DIGITS.match(/../g) ?? [])
    .map((p) => `${p[0]} ${p[1]}`)
    .join(" 1 2 3 4 5 6 "),
  "a digit in each structured log line of 300 characters": [...DIGITS]
    .map((c) =>
      JSON.stringify({ level: "info", msg: "checking the credential", ch: c, ctx: "worker pool".repeat(24) }),
    )
    .join("\n"),
};

describe("spelledKeySpans", () => {
  it.each(Object.keys(layouts))("masks the key spelled as %s, and keeps the text around it", (name) => {
    const out = maskSpelledKeys(`debug:\n${layouts[name]}\nthen failed`, [DIGITS], "[secret]");
    expect(out).toMatch(/^debug:\n/);
    expect(out).toMatch(/then failed$/);
    expect(out).toContain("[secret]");
    expect(spelledKeySpans(out, [DIGITS])).toEqual([]);
  });

  it("masks half the key's digits spelled out, but not fewer (shorter pieces are keys.ts's, whole)", () => {
    const spell = (d: string) => [...d].map((c, i) => `${i}: ${c}`).join("\n");
    expect(maskSpelledKeys(spell(DIGITS.slice(10, 10 + MIN_SPELLED)), [DIGITS], "[secret]")).toMatch(
      /^[^\n]*\[secret\]$/,
    );
    const few = spell(DIGITS.slice(10, 10 + MIN_SPELLED - 1));
    expect(maskSpelledKeys(few, [DIGITS], "[secret]")).toBe(few);
  });

  it("does not join digits with more than 24 numbers, or 1,000 characters, between them", () => {
    const numbers = Array.from({ length: 25 }, (_, j) => 7000 + j).join(" ");
    expect(spelledKeySpans([...DIGITS].join(` ${numbers} `), [DIGITS])).toEqual([]);
    expect(
      spelledKeySpans([...DIGITS].join(` ${numbers.split(" ").slice(1).join(" ")} `), [DIGITS]),
    ).not.toEqual([]);
    const prose = "the deploy went on for a while with nothing much to say about it, and then some; ".repeat(
      13,
    );
    expect(prose.length).toBeGreaterThan(1000);
    expect(spelledKeySpans([...DIGITS].join(` ${prose} `), [DIGITS])).toEqual([]);
  });

  it("reads past words that stand for no digit: a logger's class name and trace ids (rt54 #1)", () => {
    const text = [...KEY]
      .map(
        (c, i) =>
          `2026-12-07T21:58:${String(i).padStart(2, "0")}.123Z DEBUG [app.secrets.CredentialBuilder] trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 service=deployer appending char ${i} = ${c}`,
      )
      .join("\n");
    expect(maskSpelledKeys(text, [DIGITS], "[secret]")).toMatch(/^(.*\n){4}.*char 4 = \[secret\]$/);
  });

  it("spells nothing from ordinary text: this project's docs and sources, with random keys", () => {
    const root = path.join(__dirname, "../../..");
    const files = [
      ...readdirSync(path.join(root, "docs")).map((f) => path.join(root, "docs", f)),
      ...readdirSync(path.join(root, "policies/detect")).map((f) => path.join(root, "policies/detect", f)),
    ].filter((f) => /\.(md|ts|txt)$/.test(f));
    const corpus = files.map((f) => readFileSync(f, "utf8")).join("\n");
    expect(corpus.length).toBeGreaterThan(200_000);
    fc.assert(
      fc.property(randomDigits, (d) => {
        expect(spelledKeySpans(corpus, [d])).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it("spells nothing from a hexdump -C of ordinary text (rt55 #1: 1 to 2 keys in 100 did, any words between their digits)", () => {
    const text = readFileSync(path.join(__dirname, "../../../README.md")).subarray(0, 64 * 1024);
    const rows: string[] = [];
    for (let i = 0; i < text.length; i += 16) {
      const r = [...text.subarray(i, i + 16)];
      const h = r.map((b) => b.toString(16).padStart(2, "0"));
      const shown = r.map((b) => (b > 31 && b < 127 ? String.fromCharCode(b) : ".")).join("");
      rows.push(
        `${i.toString(16).padStart(8, "0")}  ${h.slice(0, 8).join(" ")}  ${h.slice(8).join(" ")}  |${shown}|`,
      );
    }
    const dump = rows.join("\n");
    fc.assert(
      fc.property(randomDigits, (d) => {
        expect(spelledKeySpans(dump, [d])).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("spells nothing from a table of random bytes, in decimal and hex", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 2000, maxLength: 2000 }),
        randomDigits,
        (bytes, d) => {
          const table = bytes.map((b, i) => `${i}\t${b}\t0x${hex(b)}`).join("\n");
          expect(spelledKeySpans(table, [d])).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });
});
