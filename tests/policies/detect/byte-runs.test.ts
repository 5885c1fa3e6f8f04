/**
 * Numbers spelling bytes, in the layouts programs and the standard dump tools print (rt47 #1–#5):
 * each is read whatever its separators, prefixes or a dump's offsets; what spells nothing is left.
 */
import { byteRunSpans } from "../../../policies/detect/byte-runs";
import { applySpans } from "../../../policies/detect/keys";
import { redactMaterial } from "../../../policies/detect/redact";

const KEY = "e2b_89abcdef0123456789abcdef0123456789abcd";
const bytes = Buffer.from(KEY);
const bits = (b: number) => b.toString(2).padStart(8, "0");
const octal = (b: number) => b.toString(8).padStart(3, "0");
const rows = <T>(xs: readonly T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** `od -b`: a 7-digit octal offset, 16 bytes a row in three octal digits; the last row the length. */
const odB = (b: Buffer) =>
  [
    ...rows([...b], 16).map((r, i) => `${(i * 16).toString(8).padStart(7, "0")} ${r.map(octal).join(" ")}`),
    b.length.toString(8).padStart(7, "0"),
  ].join("\n");
/** `od -o`: 16-bit little-endian words in six octal digits. */
const odO = (b: Buffer) =>
  rows([...b], 16)
    .map(
      (r, i) =>
        `${(i * 16).toString(8).padStart(7, "0")} ${rows(r, 2)
          .map(([lo, hi = 0]) => (lo + hi * 256).toString(8).padStart(6, "0"))
          .join(" ")}`,
    )
    .join("\n");
/** `hexdump -b`: a 7-digit hex offset, then octal bytes. */
const hexdumpB = (b: Buffer) =>
  rows([...b], 16)
    .map((r, i) => `${(i * 16).toString(16).padStart(7, "0")} ${r.map(octal).join(" ")}`)
    .join("\n");

/** `od -t x4` and `od -d`: a 7-digit octal offset, then words low byte first, in hex or decimal. */
const odWords = (b: Buffer, size: number, radix: 16 | 10) =>
  rows([...b], 16)
    .map(
      (r, i) =>
        `${(i * 16).toString(8).padStart(7, "0")} ${rows(r, size)
          .map((w) =>
            w
              .reduceRight((v, x) => v * 256 + x, 0)
              .toString(radix)
              .padStart(radix === 16 ? 2 * size : 0, "0"),
          )
          .join(" ")}`,
    )
    .join("\n");

/** `od -t o4`/`o8`: words of `size` bytes, low byte first, in octal padded to `digits`. */
const odOctalWords = (b: Buffer, size: number, digits: number) =>
  rows([...b], size)
    .map((w) =>
      w
        .reduceRight((v, x) => v * 256n + BigInt(x), 0n)
        .toString(8)
        .padStart(digits, "0"),
    )
    .join(" ");

const layouts: Record<string, string> = {
  "od -b": odB(bytes),
  "od -o": odO(bytes),
  "hexdump -b": hexdumpB(bytes),
  "decimals separated by ;": [...bytes].join(";"),
  "decimals one a line": [...bytes].join("\n"),
  "0x bytes separated by blanks": [...bytes].map((x) => `0x${x.toString(16)}`).join(" "),
  "\\x bytes separated by blanks": [...bytes].map((x) => `\\x${x.toString(16)}`).join(" "),
  "octal escapes, shortest": [...bytes].map((x) => `\\${x.toString(8)}`).join(""),
  "a Python oct() list": `[${[...bytes].map((x) => `0o${x.toString(8)}`).join(", ")}]`,
  "binary in JSON indented by 4": JSON.stringify([...bytes].map(bits), null, 4),
  "binary separated by dots": [...bytes].map(bits).join("."),
  "hex in groups of 20": bytes.toString("hex").replace(/.{20}/g, "$& "),
  "hex in groups of 32 a line": bytes.toString("hex").replace(/.{32}/g, "$&\n"),
  "hex in groups of 8 joined by _": bytes.toString("hex").replace(/.{8}(?!$)/g, "$&_"),
  "hex in groups of 8 joined by /": bytes.toString("hex").replace(/.{8}(?!$)/g, "$&/"),
  "quoted-printable with soft line breaks": bytes
    .toString("hex")
    .toUpperCase()
    .replace(/../g, "=$&")
    .replace(/.{75}/g, "$&=\n"),
  "hex of its UTF-16": Buffer.from(KEY, "utf16le").toString("hex"),
  "hex of it reversed": Buffer.from([...KEY].reverse().join("")).toString("hex"),
  // rt48 #1: words low byte first.
  "od -t x4": odWords(bytes, 4, 16),
  "od -d": odWords(bytes, 2, 10),
  "od -t d4": odWords(bytes, 4, 10),
  // rt49 #1: unpadded binary, C literals, words high byte first, 64-bit words, \u escapes.
  "Python [bin(c) for c in key]": `[${[...bytes].map((x) => `'0b${x.toString(2)}'`).join(", ")}]`,
  "toString(2) unpadded": [...bytes].map((x) => x.toString(2)).join(" "),
  "C octal literals": `{ ${[...bytes].map((x) => `0${x.toString(8)}`).join(", ")} }`,
  "C hex literals with type suffixes": `{ ${[...bytes].map((x) => `0x${x.toString(16)}u`).join(", ")} }`,
  "C decimal literals with type suffixes": `{ ${[...bytes].map((x) => `${x}UL`).join(", ")} }`,
  "\\u escapes separated by blanks": [...bytes].map((x) => `\\u${x.toString(16).padStart(4, "0")}`).join(" "),
  "16-bit words high byte first": rows([...bytes], 2)
    .map(([hi, lo = 0]) => hi * 256 + lo)
    .join(" "),
  "32-bit words high byte first": rows([...bytes], 4)
    .map((w) => w.reduce((v, x) => v * 256 + x, 0))
    .join(" "),
  // rt50 #8: Python's bytes, eight a row, each row a literal with its `b` prefix.
  "Python bytes literals a row": rows([...bytes], 8)
    .map((r) => `b'${r.map((x) => `\\x${x.toString(16)}`).join("")}'`)
    .join("\n"),
  // rt51 #4: bits in groups of four; braced escapes, Perl's `\x{65}`.
  "bits in groups of four": [...bytes]
    .map((x) =>
      x
        .toString(2)
        .padStart(8, "0")
        .replace(/(.{4})(.{4})/, "$1 $2"),
    )
    .join(" "),
  "Perl braced escapes": [...bytes].map((x) => `\\x{${x.toString(16)}}`).join(""),
  // rt51 #9: other ways to open a literal of bytes, a row each.
  ...Object.fromEntries(
    ["bytearray(b'%')", "br'%'", 'u8"%"', 'L"%"'].map((form) => [
      `${form} rows`,
      rows([...bytes], 8)
        .map((r) => form.replace("%", r.map((x) => `\\x${x.toString(16)}`).join("")))
        .join("\n"),
    ]),
  ),
  "od -t u8": rows([...bytes], 8)
    .map((w) => w.reduceRight((v, x) => v * 256n + BigInt(x), 0n).toString())
    .join(" "),
  // rt52 #7: each byte in a language's wrapper, the same around every item.
  "Java (byte) casts in rows": rows([...bytes], 8)
    .map((r) => `    ${r.map((x) => `(byte) 0x${x.toString(16)}`).join(", ")},`)
    .join("\n"),
  "Kotlin .toByte()": [...bytes].map((x) => `0x${x.toString(16)}.toByte()`).join(", "),
  "Go byte() conversions": [...bytes].map((x) => `byte(0x${x.toString(16)})`).join(", "),
  "Swift UInt8()": [...bytes].map((x) => `UInt8(0x${x.toString(16)})`).join(", "),
  "Unicode U+ code points": [...bytes]
    .map((x) => `U+${x.toString(16).padStart(4, "0").toUpperCase()}`)
    .join(" "),
  "Python chr() + chr()": [...bytes].map((x) => `chr(${x})`).join(" + "),
  "Visual Basic &H bytes": [...bytes].map((x) => `&H${x.toString(16).toUpperCase()}`).join(", "),
  // rt51 #4: `od -t o4` and `od -t o8`, words in octal padded to 11 and 22 digits, low byte first.
  "od -t o4": odOctalWords(bytes, 4, 11),
  "od -t o8": odOctalWords(bytes, 8, 22),
};

const spellsKey = (decoded: string) => decoded.includes(KEY) || [...decoded].reverse().join("").includes(KEY);
const masked = (text: string) =>
  applySpans(
    text,
    byteRunSpans(text, spellsKey, () => "[bytes]"),
  );

describe("byteRunSpans", () => {
  it.each(Object.keys(layouts))("reads the key's bytes written as %s, the whole run", (name) => {
    const text = `config bytes:\n${layouts[name]}\nthen failed`;
    const out = masked(text);
    expect(out).toMatch(/^config bytes:\n.*\[bytes\]/s);
    expect(out).toMatch(/then failed$/);
    // No two digits of the run are left beside the mask (a dump's last offset, alone on its line, may be).
    const rest = out
      .replace(/^config bytes:\n|\nthen failed$/g, "")
      .replace(/^\d{7}$/m, "")
      .replace(/bytearray/g, "");
    expect(rest).not.toMatch(/[0-9a-f]{2}/i);
  });

  it.each(Object.keys(layouts))("leaves numbers that spell something else as they are: %s", (name) => {
    const other = Buffer.from("GIT_SHA=0123456789abcdef0123456789abcdef01234567");
    const text = layouts[name].replace(/[\s\S]*/, () =>
      name === "od -b"
        ? odB(other)
        : name === "od -o"
          ? odO(other)
          : name === "hexdump -b"
            ? hexdumpB(other)
            : [...other].join(", "),
    );
    expect(masked(text)).toBe(text);
  });

  it("masks through redactMaterial, in a failed program's output", () => {
    for (const [name, layout] of Object.entries(layouts)) {
      const out = redactMaterial(`error: could not parse\n${layout}\nthen failed`);
      expect([name, out.includes("withheld") || out.includes("e2b_…abcd")]).toEqual([name, true]);
      const shown = layout.split("\n").filter((line) => line.length >= 8 && out.includes(line));
      expect([name, shown]).toEqual([name, []]);
    }
  });

  it("reads bytes one a line in a JSON or SARIF message, whose line breaks are escaped (rt48 #8)", () => {
    const message = JSON.stringify({ message: `E2B_API_URL is ${[...bytes].join("\n")}` });
    const out = redactMaterial(message);
    expect(out).toContain("withheld: bytes of E2B key material");
    expect(out).not.toContain([...bytes].slice(4, 12).join("\\n"));
  });

  it("leaves prose, dates, versions and a digest alone, and a long run of numbers that spells nothing", () => {
    const prose =
      "Released 2026-12-07 as v3.228.0 (build 20261207, sha256 " + "ab".repeat(32) + "); 16 of 9 cases.";
    expect(masked(prose)).toBe(prose);
    const many = "1 2 3 4 5 6 7 8 9 10 ".repeat(20_000);
    expect(masked(many)).toBe(many);
  });
});
