/**
 * Redaction (policies/detect/keys.ts `redactKeys`, `shortenRedacted`): the red-team's leaks, each a
 * case, then a property over random text with keys planted anywhere and escaped every way the
 * report formats escape.
 */
import { inspect } from "node:util";
import fc from "fast-check";
import { displayPath } from "../../../policies/detect/walk";
import { cutBeforeRun, quoteValue, redactKeys, shortenRedacted } from "../../../policies/detect/keys";
import { redactMaterial } from "../../../policies/detect/redact";

const HEX = "0123456789abcdef0123456789abcdef01234567";
const KEY = `e2b_${HEX}`;
const TOKEN = `sk_e2b_${HEX}`;

/** True when any 20-character window of `key` shows in `text`. */
export function showsPartOf(text: string, key: string): boolean {
  const lower = text.toLowerCase();
  for (let i = 0; i + 20 <= key.length; i++)
    if (lower.includes(key.slice(i, i + 20).toLowerCase())) return true;
  return false;
}

const escapeAll = {
  json: (s: string) => JSON.stringify(s),
  jsonUnicode: (s: string) =>
    s.replace(/[a-z_]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  htmlHex: (s: string) => s.replace(/[a-z]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`),
  htmlDec: (s: string) => s.replace(/[0-9]/g, (c) => `&#${c.charCodeAt(0)};`),
  htmlNamed: (s: string) => s.replace(/_/g, "&lowbar;"),
  url: (s: string) => encodeURIComponent(s).replace(/[0-9]/g, (c) => `%3${c}`),
  // A URL in another URL's query, encoded again (rt49 #7).
  urlTwice: (s: string) =>
    encodeURIComponent(s)
      .replace(/[0-9]/g, (c) => `%3${c}`)
      .replace(/%/g, "%25"),
  jsHex: (s: string) => s.replace(/e/g, "\\x65"),
  markdown: (s: string) => s.replace(/_/g, "\\_"),
};

describe("redactKeys", () => {
  it.each([
    ["after a tab", `\t${KEY}`],
    ["after a newline", `stack\n${KEY}`],
    ["after \\u0001, JSON-escaped", JSON.stringify(`\u0001${KEY}`)],
    ["after a letter", `x${KEY}`],
    ["before _prod", `${KEY}_prod`],
    ["after api_", `api_${KEY}`],
    ["after a digit", `7${KEY}7`],
    ["in upper case", KEY.toUpperCase()],
    ["in mixed case", "E2b_" + HEX.toUpperCase()],
    ["as an access token", TOKEN],
    ["split by \\v, as JUnit strips it", `a\u000b${KEY.slice(0, 24)}\u000b${KEY.slice(24)}`],
    ["split by \\v, JSON-escaped", JSON.stringify(`${KEY.slice(0, 24)}\u000b${KEY.slice(24)}`)],
    ["split by a zero-width space", `${KEY.slice(0, 30)}\u200b${KEY.slice(30)}`],
    ["split by an ANSI colour", `${KEY.slice(0, 20)}\x1b[31m${KEY.slice(20)}\x1b[0m`],
    ["split by an HTML tag", `${KEY.slice(0, 10)}<b>${KEY.slice(10)}</b>`],
    ["split by Markdown emphasis", `${KEY.slice(0, 10)}**${KEY.slice(10)}**`],
    ["cut short (a key's head)", KEY.slice(0, 30)],
    ["nested prefixes", `e2b_e2b_${HEX}`],
    ["after a run of hex", `e2b_${"a".repeat(25)}${KEY}`],
  ])("masks a key %s", (_what, text) => {
    const out = redactKeys(text);
    expect(showsPartOf(out, KEY)).toBe(false);
    expect(out).toMatch(/e2b_…/);
  });

  it("shows the last four digits of a whole key only: a key printed at several lengths is not spelt by its masks", () => {
    // A progress line or a typewriter effect prints the key's head at each length; had each mask
    // shown its last four, they would be the key's digits, four at a time.
    const out = [20, 24, 28, 32, 36, 40].map((n) => redactKeys(`loading ${KEY.slice(0, 4 + n)}`));
    expect(out.slice(0, -1)).toEqual(Array(5).fill("loading e2b_…"));
    expect(out.at(-1)).toBe(`loading e2b_…${KEY.slice(-4)}`);
  });

  it.each(Object.entries(escapeAll))("masks a key behind %s escaping", (_how, escape) => {
    for (const key of [KEY, TOKEN]) {
      const out = redactKeys(escape(`name: ${key} end`));
      expect(out).toMatch(/e2b_…/);
      // Decoding what is left shows no part of the key either.
      const decoded = out
        .replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
        .replace(/&#x([0-9a-f]+);/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
        .replace(/&#([0-9]+);/g, (_m, d: string) => String.fromCharCode(Number(d)));
      expect(showsPartOf(decodeURIComponent(decoded.replace(/%(?![0-9a-f]{2})/gi, "%25")), key)).toBe(false);
    }
  });

  it("keeps the text around a key, and what only looks like a key", () => {
    expect(redactKeys(`a ${KEY} b`)).toBe("a e2b_…4567 b");
    expect(redactKeys("e2b_ is the prefix; e2b_0123 is too short")).toBe(
      "e2b_ is the prefix; e2b_0123 is too short",
    );
    expect(redactKeys(JSON.stringify({ a: KEY }))).toBe('{"a":"e2b_…4567"}');
  });

  it("masks a key printed over two lines as one, and keeps the line break after it and the next line", () => {
    // console.error(key.slice(0, 6)); console.error(key.slice(6)); console.log("abc: …")
    expect(redactKeys(`split:${KEY.slice(0, 6)}\n${KEY.slice(6)}\nabc: done`)).toBe(
      "split:e2b_…4567\nabc: done",
    );
  });

  it("is idempotent", () => {
    const once = redactKeys(`${KEY} \\u0065${TOKEN.slice(1)}`);
    expect(redactKeys(once)).toBe(once);
  });

  it("holds for any text with keys planted anywhere, in any escaping", () => {
    const key = fc.stringMatching(/^[0-9a-f]{40}$/).map((h) => `e2b_${h}`);
    const noise = fc.string({
      unit: fc.constantFrom("a", "_", "0", "\\", "&", "%", "\n", "\u0001", "<", " ", "e"),
    });
    fc.assert(
      fc.property(
        key,
        noise,
        noise,
        fc.constantFrom(...Object.values(escapeAll), (s: string) => s),
        fc.boolean(),
        (k, before, after, escape, upper) => {
          const planted = upper ? k.toUpperCase() : k;
          const out = redactKeys(escape(before + planted + after));
          return !showsPartOf(out, k);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("shortening never cuts through a key", () => {
  it("masks first, then shortens (displayPath)", () => {
    const path = `${"a.".repeat(40)}${KEY}.${"b.".repeat(40)}${KEY}.leaf`;
    for (let max = 40; max < 200; max += 7) {
      const shown = displayPath(path, max);
      expect(showsPartOf(shown, KEY)).toBe(false);
      expect(shown.length).toBeLessThanOrEqual(max);
    }
    expect(shortenRedacted(KEY, 10)).not.toContain(HEX.slice(0, 8));
  });
});

describe("diagnostics hide a key in any encoding a program printed it in (redactMaterial)", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const forms: Record<string, string> = {
    "base64 in an error message": `rejected key (base64 ${b64(KEY)})`,
    "an HTTP Basic credential": `Authorization: Basic ${b64(`user:${KEY}`)}`,
    "base64 of base64": `blob ${b64(b64(KEY))}`,
    "URL-safe base64": `t=${b64(`x${KEY}`).replace(/\+/g, "-").replace(/\//g, "_")}`,
    "the key's ASCII in hex": `hex ${Buffer.from(KEY).toString("hex")}`,
    "an access token's ASCII in hex": `hex ${Buffer.from(TOKEN).toString("hex").toUpperCase()}`,
    "one space between its characters": `spaced ${KEY.split("").join(" ")}`,
    "a dash between its characters": `dashed ${TOKEN.split("").join("-")}`,
    "written backwards": `reversed ${[...KEY].reverse().join("")}!`,
    // rt44 #3: glued to a name, as `sandboxes audit --by` prints a value.
    "base64 of its hex after a name": `v=${b64(Buffer.from(KEY).toString("hex"))}`,
  };
  it.each(Object.entries(forms))("%s", (_name, text) => {
    const out = redactMaterial(`line one\n${text}\nline three`);
    expect(out).toMatch(/e2b_…4567/);
    expect(showsPartOf(out, KEY)).toBe(false);
    for (const encoded of [
      b64(KEY),
      b64(`user:${KEY}`),
      Buffer.from(KEY).toString("hex"),
      [...KEY].reverse().join(""),
    ])
      expect(showsPartOf(out, encoded)).toBe(false);
    expect(out.startsWith("line one\n")).toBe(true);
    expect(out.endsWith("\nline three")).toBe(true);
  });

  // What a key decodes to from a masked text: every base64 or hex run joined, whatever wrapped it.
  const decodedRest = (out: string) =>
    Buffer.from(out.replace(/[^A-Za-z0-9+/=]/g, ""), "base64").toString("latin1") +
    Buffer.from(out.replace(/[^0-9a-f]/gi, ""), "hex").toString("latin1");
  const wrap = (s: string, n: number, indent = "") =>
    s
      .match(new RegExp(`.{1,${n}}`, "g"))!
      .map((l) => indent + l)
      .join("\n");

  it("masks a blob wrapped over lines whole, at every place the key can sit in it", () => {
    for (let pad = 0; pad < 76; pad++) {
      const env = `export E2B_API_KEY="${"p".repeat(pad)}${KEY}"\nQUEUE=agents\n`;
      const blocks = {
        pem: `-----BEGIN E2B KEY-----\n${wrap(b64(env), 64)}\n-----END E2B KEY-----`,
        heredoc: `base64 -d <<'EOF' > /etc/agent.env\n${wrap(b64(env), 76, "  ")}\nEOF`,
        xxd: `xxd -r -p <<EOF\n${wrap(Buffer.from(env).toString("hex"), 60)}\nEOF`,
        pieces: `${b64(env).slice(0, 30)}\n${b64(env).slice(30)}`,
      };
      for (const [name, block] of Object.entries(blocks)) {
        const out = redactMaterial(`line one\n${block}\nline three`);
        expect([name, pad, showsPartOf(decodedRest(out), KEY.slice(10))]).toEqual([name, pad, false]);
        expect(out.startsWith("line one\n") && out.endsWith("\nline three")).toBe(true);
      }
    }
  });

  it.each([
    ["Node's inspect of a Buffer", `key bytes ${inspect(Buffer.from(KEY))}`],
    ["a Buffer inside an object", inspect({ userData: Buffer.from(`E2B_API_KEY=${KEY}\nQ=1\n`) })],
    ["JSON.stringify of a Buffer", JSON.stringify(Buffer.from(KEY))],
    ["char codes", [...KEY].map((c) => c.charCodeAt(0)).join(",")],
    ["a string spread into characters", JSON.stringify([...KEY])],
    ["a hex dump", Buffer.from(`k=${KEY}`).toString("hex").replace(/../g, "$& ")],
    ["console.log of a Uint8Array (columns over lines)", inspect(new TextEncoder().encode(KEY))],
    ["console.log of a Uint16Array", inspect(Uint16Array.from(KEY, (c) => c.charCodeAt(0)))],
    ["JSON.stringify of a Buffer, indented", JSON.stringify(Buffer.from(`E2B_API_KEY=${KEY}`), null, 2)],
    ["console.log of a string spread into characters", inspect([...KEY])],
    // rt52 #7: each character behind a literal's prefix.
    ["Rust byte literals", `[${[...KEY].map((c) => `b'${c}'`).join(", ")}]`],
    ["a C array of its bytes (xxd -i)", [...Buffer.from(KEY)].map((b) => `0x${b.toString(16)}`).join(", ")],
    ["its bytes as decimals separated by blanks", [...Buffer.from(KEY)].join(" ")],
    // rt44 #3.
    ["quoted-printable", Buffer.from(KEY).toString("hex").replace(/(..)/g, "=$1").toUpperCase()],
    ["octal escapes", [...Buffer.from(KEY)].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("")],
    ["od -b", [...Buffer.from(KEY)].map((b) => b.toString(8).padStart(3, "0")).join(" ")],
  ])("withholds a key's bytes listed one by one: %s", (_, text) => {
    const out = redactMaterial(text);
    // A list in one line whose separators are few enough is read as the key spelled with them: masked.
    expect(out).toMatch(
      /characters withheld: (bytes of )?E2B key material|lines withheld: a dump of E2B key material|^\["e2b_…4567"\]$/,
    );
    expect(out).not.toMatch(/(?:\b[0-9a-f]{2}\b[ ,]){12}/i);
    expect(showsPartOf(out, KEY)).toBe(false);
  });

  describe("hex dumps, 16 bytes a row in hex and as ASCII", () => {
    const rowsOf = (bytes: Buffer) =>
      Array.from({ length: Math.ceil(bytes.length / 16) }, (_, i) => bytes.subarray(i * 16, i * 16 + 16));
    const ascii = (row: Buffer) =>
      [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    const pairs = (row: Buffer) => [...row].map((b) => b.toString(16).padStart(2, "0"));
    /** The row's hex in groups of `chars` digits, a blank between (`xxd`, `xxd -g 4`, `tcpdump -X`). */
    const grouped = (row: Buffer, chars: number) =>
      pairs(row)
        .join("")
        .replace(new RegExp(`(.{${chars}})`, "g"), "$1 ")
        .trimEnd();
    const dumps: Record<string, (bytes: Buffer) => string> = {
      xxd: (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const hex = grouped(row, 4);
            return `${(i * 16).toString(16).padStart(8, "0")}: ${hex.padEnd(39)}  ${ascii(row)}`;
          })
          .join("\n"),
      "hexdump -C": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const p = pairs(row);
            const hex = `${p.slice(0, 8).join(" ")}  ${p.slice(8).join(" ")}`.padEnd(48);
            return `${(i * 16).toString(16).padStart(8, "0")}  ${hex}  |${ascii(row)}|`;
          })
          .join("\n"),
      "od -A x -t x1 (no ASCII)": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => `${(i * 16).toString(16).padStart(6, "0")} ${pairs(row).join(" ")}`)
          .join("\n"),
      "od -An -tx1 (no offset)": (bytes) =>
        rowsOf(bytes)
          .map((row) => ` ${pairs(row).join(" ")}`)
          .join("\n"),
      "od -An -tu1 (decimal)": (bytes) =>
        rowsOf(bytes)
          .map((row) => [...row].map((b) => String(b).padStart(4)).join(""))
          .join("\n"),
      "od -c (characters)": (bytes) =>
        rowsOf(bytes)
          .map(
            (row, i) =>
              `${(i * 16).toString(8).padStart(7, "0")}${[...row].map((b) => (b === 10 ? "\\n" : String.fromCharCode(b)).padStart(4)).join("")}`,
          )
          .join("\n"),
      // rt47 #1: six bytes a row in binary; four a row, whose ASCII may itself look like hex.
      "xxd -b": (bytes) =>
        Array.from({ length: Math.ceil(bytes.length / 6) }, (_, i) => bytes.subarray(i * 6, i * 6 + 6))
          .map((row, i) => {
            const bin = [...row].map((b) => b.toString(2).padStart(8, "0")).join(" ");
            return `${(i * 6).toString(16).padStart(8, "0")}: ${bin.padEnd(53)}  ${ascii(row)}`;
          })
          .join("\n"),
      "xxd -c 4": (bytes) =>
        Array.from({ length: Math.ceil(bytes.length / 4) }, (_, i) => bytes.subarray(i * 4, i * 4 + 4))
          .map((row, i) => {
            const hex = grouped(row, 4);
            return `${(i * 4).toString(16).padStart(8, "0")}: ${hex.padEnd(9)}  ${ascii(row)}`;
          })
          .join("\n"),
      // rt48 #1: groups of four bytes, also little-endian; PowerShell's Format-Hex.
      "xxd -g 4": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const hex = grouped(row, 8);
            return `${(i * 16).toString(16).padStart(8, "0")}: ${hex.padEnd(35)}  ${ascii(row)}`;
          })
          .join("\n"),
      "xxd -e": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const words = (
              pairs(row)
                .join("")
                .match(/.{1,8}/g) ?? []
            ).map((w) => (w.match(/../g) ?? []).reverse().join(""));
            return `${(i * 16).toString(16).padStart(8, "0")}: ${words.join(" ").padEnd(35)}  ${ascii(row)}`;
          })
          .join("\n"),
      "Format-Hex": (bytes) =>
        rowsOf(bytes)
          .map(
            (row, i) =>
              `${(i * 16).toString(16).toUpperCase().padStart(8, "0")}   ${pairs(row).join(" ").toUpperCase().padEnd(48)}  ${ascii(row)}`,
          )
          .join("\n"),
      // rt50 #8: 4-digit offsets, `0x` offsets and tabs, no offset at all.
      "tcpdump -X": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const hex = grouped(row, 4);
            return `\t0x${(i * 16).toString(16).padStart(4, "0")}:  ${hex.padEnd(40)}  ${ascii(row)}`;
          })
          .join("\n"),
      "Wireshark hex and ASCII": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const p = pairs(row);
            return `${(i * 16).toString(16).padStart(4, "0")}  ${p.slice(0, 8).join(" ")}  ${p.slice(8).join(" ").padEnd(23)}   ${ascii(row)}`;
          })
          .join("\n"),
      "hex rows and ASCII, no offset": (bytes) =>
        rowsOf(bytes)
          .map((row) => `${pairs(row).join(" ")}   ${ascii(row)}`)
          .join("\n"),
      // rt51 #6: layouts no dump form reads, withheld by their byte words.
      hexyl: (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const p = pairs(row);
            const a = ascii(row);
            return `│${(i * 16).toString(16).padStart(8, "0")}│ ${p.slice(0, 8).join(" ").padEnd(23)} ┊ ${p.slice(8).join(" ").padEnd(23)} │${a.slice(0, 8).padEnd(8)}┊${a.slice(8).padEnd(8)}│`;
          })
          .join("\n"),
      "commons-io HexDump": (bytes) =>
        rowsOf(bytes)
          .map(
            (row, i) =>
              `${(i * 16).toString(16).padStart(8, "0").toUpperCase()} ${pairs(row).join(" ").toUpperCase()} ${ascii(row)}`,
          )
          .join("\n"),
      "gdb x/16xb with a symbol": (bytes) =>
        rowsOf(bytes)
          .map(
            (row, i) =>
              `0x55552${(i * 16).toString(16).padStart(3, "0")} <key+${i * 16}>:\t${pairs(row)
                .map((p) => `0x${p}`)
                .join("\t")}`,
          )
          .join("\n"),
      "gdb x/16c": (bytes) =>
        rowsOf(bytes)
          .map(
            (row, i) =>
              `0x7ffe1${(i * 16).toString(16).padStart(3, "0")}:\t${[...row].map((b) => `${b} '${b >= 32 && b < 127 ? String.fromCharCode(b) : "\\n"}'`).join("\t")}`,
          )
          .join("\n"),
      // rt52 #8: rows of `\x` escapes behind a command or call, or followed by text.
      ...Object.fromEntries(
        ['echo -e "%" >> key', "printf '%'", '  Buffer.from("%"),', "E'%' ||", '  "%" /* N */'].map(
          (form) => [
            `\\x rows as ${form}`,
            (bytes: Buffer) =>
              rowsOf(bytes)
                .map((row, i) =>
                  form
                    .replace(
                      "%",
                      pairs(row)
                        .map((p) => `\\x${p}`)
                        .join(""),
                    )
                    .replace("N", String(i * 16)),
                )
                .join("\n"),
          ],
        ),
      ),
      "hexdump (16-bit words)": (bytes) =>
        rowsOf(bytes)
          .map((row, i) => {
            const words = [];
            for (let k = 0; k < row.length; k += 2)
              words.push(((row[k + 1] ?? 0) * 256 + row[k]).toString(16).padStart(4, "0"));
            return `${(i * 16).toString(16).padStart(7, "0")} ${words.join(" ")}`;
          })
          .join("\n"),
    };

    it.each(Object.keys(dumps))("withholds a dump of a .env line holding the key: %s", (name) => {
      const out = redactMaterial(
        `cat -v .env | ${name}:\n${dumps[name](Buffer.from(`E2B_API_KEY=${KEY}\n`))}\ndone`,
      );
      expect(out).toMatch(/\[\d+ lines withheld: a dump of E2B key material\]/);
      expect(out).toMatch(/^cat -v \.env/);
      expect(out).toMatch(/done$/);
      // Neither column shows 8 of the key's digits, as ASCII or in hex.
      for (let i = 0; i + 8 <= 40; i++) {
        expect(out).not.toContain(HEX.slice(i, i + 8));
        expect(out.replace(/[^0-9a-f]/g, "")).not.toContain(Buffer.from(HEX.slice(i, i + 8)).toString("hex"));
      }
    });

    it.each(Object.keys(dumps))(
      "withholds a dump whose first row follows other text on its line: %s",
      (name) => {
        // `throw new Error("cannot parse: " + dump)`, and in a JSON message, its line breaks escaped (rt48 #1, #8).
        const dump = dumps[name](Buffer.from(`E2B_API_KEY=${KEY}\n`));
        for (const text of [
          `Error: cannot parse: ${dump}\n    at x`,
          JSON.stringify({ m: `cannot parse: ${dump}` }),
        ]) {
          const out = redactMaterial(text);
          expect([name, out]).toEqual([
            name,
            expect.stringMatching(/lines withheld: a dump of E2B key material|withheld/),
          ]);
          for (let i = 0; i + 8 <= 40; i++)
            expect([name, out.includes(HEX.slice(i, i + 8))]).toEqual([name, false]);
        }
      },
    );

    it.each(Object.keys(dumps))("withholds a dump whose every row follows a lead: %s", (name) => {
      // A program's logger in front of each row, a quote block, JSON array elements (rt49 #4).
      const dump = dumps[name](Buffer.from(`E2B_API_KEY=${KEY}\n`)).split("\n");
      for (const rows of [
        dump.map((r) => `  ${r}`),
        dump.map((r) => `[app] ${r}`),
        dump.map((r, i) => `2026-01-01T00:00:0${i}Z ${r}`),
        dump.map((r, i) => `${i % 2 ? "DEBUG" : "INFO"} ${r}`),
        dump.map((r) => `│ ${r}`),
        dump.map((r) => `> ${r}`),
        JSON.stringify(dump, null, 2).split("\n"),
      ]) {
        const out = redactMaterial(`hexdump of .env:\n${rows.join("\n")}\ndone`);
        expect([name, rows[1], out]).toEqual([
          name,
          rows[1],
          expect.stringMatching(/lines withheld: a dump of E2B key material/),
        ]);
        for (let i = 0; i + 8 <= 40; i++)
          expect([name, rows[1], out.includes(HEX.slice(i, i + 8))]).toEqual([name, rows[1], false]);
      }
    });

    it.each(Object.keys(dumps))("leaves a dump that holds no key as it is: %s", (name) => {
      const text = dumps[name](Buffer.from(`GIT_SHA=${HEX}\nREGION=eu-west-1\n`));
      expect(redactMaterial(text)).toBe(text);
    });
  });

  it("masks base64 in pieces as code writes them, and a key backwards in groups (rt49 #9, #10)", () => {
    const chunks = b64(KEY).match(/.{1,8}/g)!;
    const reversed = [...KEY].reverse().join("");
    for (const text of [
      JSON.stringify(chunks),
      chunks.map((c) => `${c};`).join("\n"),
      chunks.join(" _ "),
      reversed.match(/.{1,2}/g)!.join(" "),
      reversed.match(/.{1,4}/g)!.join("-"),
      `${reversed.slice(0, -4)} _ b 2 e`,
    ]) {
      const out = redactMaterial(`value: ${text} end`);
      expect([text, showsPartOf(out, KEY), showsPartOf(out, reversed)]).toEqual([text, false, false]);
      expect([text, out.includes(text.slice(0, 20))]).toEqual([text, false]);
    }
  });

  it("masks base64 and hex in long groups or groups joined by a two-character separator (rt47 #3)", () => {
    for (const text of [
      b64(KEY).replace(/.{20}/g, "$& "),
      b64(KEY).replace(/.{4}(?!$)/g, "$&, "),
      Buffer.from(KEY).toString("hex").replace(/.{32}/g, "$& "),
      Buffer.from(KEY)
        .toString("hex")
        .replace(/.{8}(?!$)/g, "$& | "),
    ]) {
      const out = redactMaterial(`value: ${text} end`);
      expect([text, showsPartOf(out, KEY)]).toEqual([text, false]);
      expect(out).not.toContain(text.slice(0, 20));
    }
  });

  it("masks a key written backwards with separators, and characters quoted one a line (rt47 #5)", () => {
    for (const text of [
      [...KEY].reverse().join(" "),
      [...KEY].reverse().join(", "),
      [...KEY].map((c) => `"${c}"`).join("\n"),
    ]) {
      const out = redactMaterial(`value:\n${text}\nend`);
      expect([text, out.includes(text.slice(0, 24))]).toEqual([text, false]);
      expect(out).toMatch(/e2b_…4567|withheld/);
    }
    // An anchor alone, after a long run of digits, is read backwards a bounded way.
    const long = `${"0 ".repeat(200_000)}_ b 2 e`;
    expect(redactMaterial(long)).toContain("(reversed)");
  });

  it("masks a name that is base64 of base64 of base64 of the key, glued into a path or a long report", () => {
    const b3 = b64(b64(b64(KEY)));
    for (const text of [
      `tags.${b3} (property name)`,
      `${"report line\n".repeat(8000)}name r-${b64(b64(KEY))} end`,
    ]) {
      const out = redactMaterial(text);
      expect(out).toMatch(/e2b_…4567 \(encoded\)/);
      expect(out).not.toContain(b3.slice(0, 30));
      expect(out).not.toContain(b64(b64(KEY)).slice(0, 30));
    }
  });

  it("masks a blob wrapped over lines that a JSON or SARIF writer escaped (\\n, \\u000a)", () => {
    const lines = wrap(b64(`E2B_API_KEY=${KEY}`), 20).split("\n");
    for (const sep of ["\\n", "\\u000a", "\\\\u000a"]) {
      const out = redactMaterial(`{"name": "r-${lines.join(sep)}", "ok": true}`);
      expect(out).toMatch(/e2b_…4567 \(encoded\)/);
      expect(out).toContain('"ok": true');
      for (const l of lines.slice(1, -1)) expect(out).not.toContain(l);
    }
  });

  it("masks a key written as two joined strings whole", () => {
    const out = redactMaterial(`const k = "e2b_" + "${HEX}"; ["e2b_", '${HEX}']`);
    // Parts with a separator between are one key to redactKeys, which runs first.
    expect(out).toBe('const k = "e2b_…4567"; ["e2b_…4567\']');
    expect(out).not.toContain(HEX.slice(0, 12));
  });

  it("masks a blob wrapped over lines that each hold something else too (a code frame, a quote)", () => {
    const blob = Buffer.from(`${"#".repeat(90)}\nE2B_API_KEY=${KEY}\n`).toString("base64");
    const rows = blob.match(/.{1,30}/g)!;
    for (const frame of [
      (r: string, i: number) => `  ${i + 1} | ${r}`,
      (r: string) => `> ${r}`,
      (r: string) => `"${r}" +`,
    ]) {
      const text = `Error: cannot parse /tmp/agent/bundle.env:\n${rows.map(frame).join("\n")}\n    at parse (index.js:3:9)`;
      const out = redactMaterial(text);
      expect(out).toContain("(encoded)");
      expect(out.split("\n")[0]).toBe("Error: cannot parse /tmp/agent/bundle.env:");
      for (const r of rows.slice(4)) expect(out).not.toContain(r);
    }
  });

  it("masks every row of a blob wrapped behind a frame, at every width, the short last row too", () => {
    const leaks: string[] = [];
    for (let width = 16; width <= 100; width += 4)
      for (const blob of [
        Buffer.from(`E2B_API_KEY=${KEY}\n`).toString("base64"),
        Buffer.from(`E2B_API_KEY=${KEY}\n`).toString("hex"),
        Buffer.from(KEY).toString("hex"),
      ])
        for (const prefix of ["> ", "# ", "  | ", "Dec  7 02:00:00 host app[12]: "]) {
          const rows = blob.match(new RegExp(`.{1,${width}}`, "g"))!;
          const out = redactMaterial(`loaded .env:\n${rows.map((r) => prefix + r).join("\n")}\nthen failed`);
          // No row of the blob is left, nor any piece of it 8 characters long.
          for (let i = 0; i + 8 <= blob.length; i++)
            if (out.includes(blob.slice(i, i + 8))) {
              leaks.push(`${prefix}@${width}: ${blob.slice(i, i + 8)}`);
              break;
            }
          if (!out.includes(`e2b_…${KEY.slice(-4)}`)) leaks.push(`${prefix}@${width}: not masked`);
        }
    expect(leaks).toEqual([]);
  });

  it("masks a blob whose frame changes row by row, has text after each row or a caret row between, at every width", () => {
    const frames: Record<string, (row: string, i: number) => string> = {
      "nested quotes": (r, i) => (i % 2 ? "> > " : "> ") + r,
      "quote, then comment": (r, i) => (i % 2 ? "# " : "> ") + r,
      "string array": (r) => `  "${r}",`,
      "table cell": (r) => `| ${r} |`,
      "shell continuation": (r) => `  ${r} \\`,
      "code frame with a caret row": (r, i) =>
        `${String(i + 9).padStart(4)} | ${r}${i === 1 ? "\n     | ^^^^" : ""}`,
      "empty quoted line between": (r, i) => `${i === 1 ? ">\n" : ""}> ${r}`,
    };
    const leaks: string[] = [];
    for (const [name, frame] of Object.entries(frames))
      for (const blob of [
        Buffer.from(`E2B_API_KEY=${KEY}\n`).toString("base64"),
        Buffer.from(KEY).toString("base64"),
        Buffer.from(KEY).toString("hex"),
      ])
        for (let width = 16; width <= 76; width += 4) {
          const rows = blob.match(new RegExp(`.{1,${width}}`, "g"))!;
          const out = redactMaterial(`loaded .env:\n${rows.map(frame).join("\n")}\nthen failed`);
          if (showsPartOf(out, HEX) || !out.includes(`e2b_…${KEY.slice(-4)}`)) leaks.push(`${name}@${width}`);
          // The short last row is masked too: no 12 characters of the key's blob are left (a row
          // that encodes only `E2B_API_KEY=` may stay).
          for (let i = 0; !blob.startsWith("RTJC") && i + 12 <= blob.length; i++)
            if (out.includes(blob.slice(i, i + 12))) {
              leaks.push(`${name}@${width}: ${blob.slice(i, i + 12)}`);
              break;
            }
          expect(out.split("\n")[0]).toBe("loaded .env:");
          expect(out).toContain("then failed");
        }
    expect(leaks).toEqual([]);
  });

  it("masks a blob wrapped over rows that only a carriage return ends, and keeps a progress bar's returns", () => {
    const leaks: string[] = [];
    for (const blob of [
      Buffer.from(`E2B_API_KEY=${KEY}\n`).toString("base64"),
      Buffer.from(KEY).toString("hex"),
    ])
      for (const frame of [
        (r: string) => r,
        (r: string) => `> ${r}`,
        (r: string, i: number) => `  ${i + 1} | ${r}`,
      ])
        for (let width = 16; width <= 76; width += 12) {
          const rows = blob.match(new RegExp(`.{1,${width}}`, "g"))!;
          const out = redactMaterial(`downloading\r${rows.map(frame).join("\r")}\rdone\r`);
          if (!/e2b_…4567|withheld: bytes of E2B key material|key material written in groups/.test(out))
            leaks.push(`@${width}: not masked`);
          for (let i = 0; i + 12 <= blob.length; i++)
            if (out.includes(blob.slice(i, i + 12))) {
              leaks.push(`@${width}: ${blob.slice(i, i + 12)}`);
              break;
            }
        }
    expect(leaks).toEqual([]);
    const progress = "  10% |##        |\r  20% |####      |\r 100% |##########|\n";
    expect(redactMaterial(progress)).toBe(progress);
  });

  it("masks every row of a framed blob whose line breaks a JSON writer escaped", () => {
    const blob = Buffer.from(`E2B_API_KEY=${KEY}`).toString("base64");
    const rows = blob.match(/.{1,40}/g)!;
    const out = redactMaterial(
      JSON.stringify({ note: `agent said:\n${rows.map((r) => `> ${r}`).join("\n")}\nend` }),
    );
    for (const r of rows) expect(out).not.toContain(r);
    expect(out).toContain(`e2b_…${KEY.slice(-4)} (encoded)`);
  });

  it("masks a report naming many different encodings of one key, each many times, without withholding it", () => {
    // A red-team export: resource names, tag keys and outputs each an encoding of the same key, and
    // every name repeated (URN, name, message).
    const encodings = Array.from({ length: 30 }, (_, i) =>
      Buffer.from(`${"x".repeat(i)}${KEY}`).toString("base64"),
    );
    const report = encodings.map((e) => `resource ${e} (urn:…::${e}): ${e}`).join("\n");
    const out = redactMaterial(report);
    expect(out).not.toMatch(/withheld/);
    expect(showsPartOf(out, HEX)).toBe(false);
    for (const e of encodings) expect(out).not.toContain(e.slice(8, 40));
    expect(out.split("\n")).toHaveLength(30);
  });

  // rt42's note: a key four blanks apart, its base64 with a dash every four characters.
  const group = (s: string, n: number, separator: string) =>
    s.match(new RegExp(`.{1,${n}}`, "g"))!.join(separator);
  const grouped: Record<string, string> = {
    "its characters four blanks apart": [...KEY].join("    "),
    "its characters a comma and a blank apart": [...TOKEN].join(", "),
    // rt45 #4.
    "its characters nine blanks apart": [...KEY].join("         "),
    "its characters an underscore apart": [...KEY].join("_"),
    "its bytes in binary": [...Buffer.from(KEY)].map((b) => b.toString(2).padStart(8, "0")).join(" "),
    // rt46 #5: the usual one-liners' outputs.
    "its bytes in binary, a comma and a blank apart": [...Buffer.from(KEY)]
      .map((b) => b.toString(2).padStart(8, "0"))
      .join(", "),
    "its bytes in binary, one a line": [...Buffer.from(KEY)]
      .map((b) => b.toString(2).padStart(8, "0"))
      .join("\n"),
    "its bytes in binary as a JSON list": JSON.stringify(
      [...Buffer.from(KEY)].map((b) => b.toString(2).padStart(8, "0")),
    ),
    "its base64 with a dash every four characters": group(b64(KEY), 4, "-"),
    "its base64 in groups of four, a blank between": group(b64(`E2B_API_KEY=${KEY}`), 4, " "),
    "its base64 in groups of six, a dot between": group(b64(KEY), 6, "."),
    "its ASCII in hex, groups of eight": group(Buffer.from(KEY).toString("hex"), 8, " "),
    "its ASCII in hex, groups of two after a word": `key-${group(Buffer.from(KEY).toString("hex"), 2, ":")}`,
  };
  it.each(Object.entries(grouped))("masks a key written as %s", (_name, text) => {
    const out = redactMaterial(`sandbox metadata: ${text} (from the API)`);
    expect(out).not.toContain(text.slice(8, 28));
    expect(out.replace(/[^0-9a-z]/gi, "")).not.toContain(HEX.slice(0, 16));
    expect(out).toMatch(/^sandbox metadata: /);
    expect(out).toMatch(/\(from the API\)$/);
  });

  it("leaves words and numbers in groups that spell no key as they are", () => {
    const text = `ab12-cd34-ef56-0011-2233 ${group(b64("a build id nothing more at all"), 4, "-")} the cat sat on the mat`;
    expect(redactMaterial(text)).toBe(text);
  });

  it("leaves byte lists that spell no key as they are", () => {
    const text = `${inspect(Buffer.from("hello world, nothing here"))} [1,2,3,4,5,6,7,8,9,10,11,12,13] aa:bb:cc:dd:ee:ff`;
    expect(redactMaterial(text)).toBe(text);
  });

  it("leaves text without key material as it is, hashes and base64 of other things included", () => {
    const text = `sha256 ${"ab12".repeat(16)} and ${b64("just some other bytes, nothing secret at all here")}`;
    expect(redactMaterial(text)).toBe(text);
  });
});

describe("a key printed in two parts with a separator between", () => {
  it.each([" ", "/", "-", ", "])("masks both parts when their digits come to 40 (separator %j)", (sep) => {
    for (const cut of [8, 20, 24, 32]) {
      const out = redactKeys(`stack ${KEY.slice(0, 4 + cut)}${sep}${KEY.slice(4 + cut)} not found`);
      expect(showsPartOf(out, HEX)).toBe(false);
      expect(out).not.toMatch(/[0-9a-f]{12}/);
    }
  });

  it("masks a key printed in three parts, with a short head, or with a wider separator", () => {
    for (const text of [
      `${KEY.slice(0, 18)} ${KEY.slice(18, 28)} ${KEY.slice(28)}`,
      `${KEY.slice(0, 8)} ${KEY.slice(8)}`,
      `${KEY.slice(0, 4)}/${KEY.slice(4)}`,
      `${KEY.slice(0, 20)} => ${KEY.slice(20)}`,
      `${KEY.slice(0, 16)}_${KEY.slice(16)}`,
    ]) {
      const out = redactKeys(`log: ${text} done`);
      expect(out).toBe(`log: e2b_…4567 done`);
    }
  });

  it("masks the rest after a head another redactor masked first (a relayed log)", () => {
    const out = redactKeys(`${redactKeys(KEY.slice(0, 28))} ${KEY.slice(28)}`);
    expect(out).not.toContain(KEY.slice(28));
  });

  it("leaves two unrelated hex words as they are", () => {
    expect(redactKeys("commit 0123456789abcdef0123 and 456789abcdef01234567")).toBe(
      "commit 0123456789abcdef0123 and 456789abcdef01234567",
    );
  });
});

describe("cutBeforeRun (a line shortened after it was redacted)", () => {
  it("leaves out a run that could encode a key rather than cut it, and keeps other text as it is", () => {
    const b64 = Buffer.from(`${"#".repeat(100)}E2B_API_KEY=${KEY}`).toString("base64");
    const cut = cutBeforeRun(`Error: bad port line ${b64}`, 200);
    expect(cut).toBe("Error: bad port line …");
    expect(cutBeforeRun("short", 200)).toBe("short");
    expect(cutBeforeRun(`${"word ".repeat(50)}`, 12)).toBe("word word wo…");
  });
});

describe("quoteValue (a value quoted in a bad-input message)", () => {
  const key = "e2b_7c5a9be5f1e96771d2aaeb3f0c59aecc0c6bbfd3";
  it.each([
    ["base64 of the key", JSON.stringify(Buffer.from(key).toString("base64"))],
    ["hex of the key", JSON.stringify(Buffer.from(key).toString("hex"))],
    ["the key split over two strings", JSON.stringify([key.slice(0, 22), key.slice(22)])],
    ["percent-encoded", JSON.stringify(encodeURIComponent(key).replace(/[0-9a-f]/g, (c) => `%3${c}`))],
  ])("shows no run that could encode part of a key: %s", (_, text) => {
    const q = quoteValue(text, 60);
    expect(q.length).toBeLessThanOrEqual(60);
    expect(q).not.toMatch(/[A-Za-z0-9+/=_%-]{16,}/);
    expect(q).not.toContain(key.slice(4, 14));
  });

  it("keeps what a user needs to find the field: short values whole, a long one's start and length", () => {
    expect(quoteValue('"three"', 60)).toBe('"three"');
    expect(quoteValue(JSON.stringify({ level: "mandatory-ish" }), 60)).toBe('{"level":"mandatory-ish"}');
    expect(quoteValue('"ZTJiXzdjNWE5YmU1ZjFlOTY3"', 60)).toBe('"ZTJi…(24 characters)"');
  });
});

describe("runs of millions of characters (a 9 MB resource name, a 20 MB API error body)", () => {
  // Irregexp's backtracking stack ran out on such runs: the message was lost, or the pack failed.
  const huge = `${"QUJD".repeat(1_000_000)}${Buffer.from(`x ${KEY} y`).toString("base64")}${"QUJD".repeat(1_250_000)}`;

  it("redactMaterial masks the key or shows the run by its length, never throws", () => {
    for (const text of [`error: name ${huge} is too long`, `error: ${"A".repeat(9_000_000)} ${KEY} end`]) {
      const out = redactMaterial(text);
      expect(out.length).toBeLessThan(200);
      expect(out).toMatch(/^error: .* (is too long|end)$/);
      expect(showsPartOf(out, KEY)).toBe(false);
    }
  });

  it("still masks a key spelt with separators beside such a run (its Buffer printed by Node)", () => {
    const bytes = [...Buffer.from(KEY)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const out = redactMaterial(
      `${"Q".repeat(9_000_000)} <Buffer ${bytes}> ${[...Buffer.from(KEY)].join(", ")}`,
    );
    expect(out.length).toBeLessThan(300);
    expect(out).not.toContain(bytes.slice(0, 30));
    expect(out).not.toContain([...Buffer.from(KEY)].slice(4, 14).join(", "));
  });

  it("quoteValue does the same", () => {
    expect(quoteValue(huge, 80)).toBe(`QUJD…(${huge.length} characters)`);
  });

  it("reads a long listing of near-binary groups in linear time (no run split two ways)", () => {
    // Eleven bytes then a break, over and over: each attempt must not retry the separators' splits.
    const text = `${"01100101, ".repeat(11)}0110x `.repeat(20_000);
    expect(redactMaterial(text)).toBe(text);
  });

  it("leaves a long binary listing that spells no key as it is (rt46 #6: its decoding overflowed the stack)", () => {
    const text = Array.from({ length: 200_000 }, (_, i) => ((i % 90) + 32).toString(2).padStart(8, "0")).join(
      " ",
    );
    expect(redactMaterial(text)).toBe(text);
  });

  it("a byte list of millions of numbers is shown by its length too", () => {
    const bytes = `${"65,".repeat(4_000_000)}${[...Buffer.from(KEY)].join(",")}`;
    expect(redactMaterial(bytes)).not.toContain([...Buffer.from(HEX.slice(0, 20))].join(","));
  });
});
