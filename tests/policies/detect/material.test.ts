import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import * as fflate from "fflate";
import { strToU8, zipSync } from "fflate";
import { inflateUpTo } from "../../../policies/detect/inflate";
import { MaterialFinder, findMaterial } from "../../../policies/detect/material";
import { fingerprintKey, maskKey, redactKeys } from "../../../policies/detect/keys";

const KEY = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const TOKEN = "sk_e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const HEX = KEY.slice(4);

/**
 * A zip as a streaming writer leaves it (flag bit 3): each entry deflated, its sizes in a data
 * descriptor after it, none in the local header; cut off before its central directory.
 */
function streamedZip(entries: Array<[name: string, text: string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of entries) {
    const data = deflateRawSync(text);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(8, 6);
    head.writeUInt16LE(8, 8);
    head.writeUInt16LE(name.length, 26);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(data.length, 8);
    descriptor.writeUInt32LE(text.length, 12);
    parts.push(head, Buffer.from(name), data, descriptor);
  }
  return Buffer.concat(parts);
}

describe("findMaterial", () => {
  it("finds API keys and access tokens, masks only", () => {
    const m = findMaterial(`key=${KEY} token=${TOKEN}`);
    expect(m.map((x) => x.kind)).toEqual(["api-key", "access-token"]);
    expect(JSON.stringify(m)).not.toContain(HEX);
    expect(m[0].mask).toBe(maskKey(KEY));
    expect(m[0].fingerprint).toBe(fingerprintKey(KEY));
  });

  it("finds base64-encoded keys", () => {
    const m = findMaterial(Buffer.from(`E2B_API_KEY=${KEY}`).toString("base64"));
    expect(m).toHaveLength(1);
    expect(m[0].encoding).toBe("base64");
  });

  it("rejects near misses: wrong length, identifiers, placeholders, documentation", () => {
    expect(findMaterial("e2b_code_interpreter")).toEqual([]);
    expect(findMaterial(KEY.slice(0, -1))).toEqual([]);
    expect(findMaterial(KEY + "0")).toEqual([]);
    expect(findMaterial("e2b_" + "x".repeat(40))).toEqual([]);
    // A placeholder in the key's shape (`.env.example`, docs), plain or encoded; redaction still masks it.
    for (const digit of ["0", "f", "A"]) {
      const placeholder = `E2B_API_KEY=e2b_${digit.repeat(40)}`;
      expect(findMaterial(placeholder)).toEqual([]);
      expect(findMaterial(Buffer.from(placeholder).toString("base64"))).toEqual([]);
      expect(redactKeys(placeholder)).not.toContain(digit.repeat(20));
    }
    expect(findMaterial("Set E2B_API_KEY=e2b_<your key here> (40 hex characters after e2b_)")).toEqual([]);
    expect(findMaterial("sha1 " + HEX + " and e2b_" + HEX.slice(0, 39))).toEqual([]);
    // Joined strings whose digits come to 39 or 41: no key, as when written whole.
    expect(findMaterial(`k = "e2b_${HEX.slice(0, 20)}" + "${HEX.slice(20, 39)}"`)).toEqual([]);
    expect(findMaterial(`k = "e2b_${HEX.slice(0, 20)}" + "${HEX.slice(20)}" + "f"`)).toEqual([]);
    expect(findMaterial(`["e2b_${HEX.slice(0, 38)}", "cafe"]`)).toEqual([]);
    // Hundreds of one-digit pieces: the digits go on past 40, so no key.
    expect(findMaterial(`k = "e2b_"${' + "a"'.repeat(300)};`)).toEqual([]);
  });

  it("finds keys glued to text and in any letter case", () => {
    for (const text of [
      `x${KEY}`,
      `${KEY}_prod`,
      `api_${KEY}`,
      KEY.toUpperCase(),
      `"\\n${KEY}`,
      `%22${KEY}%22`,
      // Inside 100 KB of base64-alphabet text, not itself base64 of anything: still the key as written.
      `${"A".repeat(100_000)}${KEY}${"Z".repeat(1000)}`,
    ]) {
      const m = findMaterial(text);
      expect(m).toHaveLength(1);
      expect(m[0].fingerprint).toBe(fingerprintKey(KEY));
    }
  });

  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const b64url = (s: string) => Buffer.from(s).toString("base64url");

  it.each([
    ["base64 of base64", b64(b64(`E2B_API_KEY=${KEY}`)), "base64+base64"],
    ["URL-safe base64 without padding", b64url(`{"k":"${KEY}"}??>>`), "base64"],
    ["a data: URI", `data:text/plain;base64,${b64(KEY)}`, "base64"],
    ["an HTTP Basic credential", `Authorization: Basic ${b64(`user:${KEY}`)}`, "base64"],
    ["full percent-encoding", [...KEY].map((c) => "%" + c.charCodeAt(0).toString(16)).join(""), "percent"],
    [
      "percent-encoding applied twice",
      [...KEY].map((c) => "%25" + c.charCodeAt(0).toString(16)).join(""),
      "percent+percent",
    ],
    ["unicode escapes", KEY.replace("_", "\\u005f"), "escape"],
    ["percent-encoded base64", encodeURIComponent(b64(`=${KEY}`)).replace(/=/g, "%3D"), "base64"],
    // Upper-case hex digits written as escapes (the key is matched in any letter case).
    ["an upper-case digit percent-encoded", KEY.toUpperCase().replace(/F/, "%46"), "percent"],
    ["an upper-case digit escaped", KEY.toUpperCase().replace(/C/, "\\u0043"), "escape"],
  ])("finds a key hidden as %s", (_, text, encoding) => {
    const m = findMaterial(text);
    expect(m.map((x) => [x.fingerprint, x.encoding])).toEqual([[fingerprintKey(KEY), encoding]]);
  });

  // A key of random digits: a repetitive one compresses to a stream too short to be one.
  const RKEY = "e2b_" + "3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";
  const b64gz = (s: string) => gzipSync(s).toString("base64");

  it.each([
    ["hex", Buffer.from(`E2B_API_KEY=${RKEY}`).toString("hex"), "hex"],
    ["upper-case hex glued to text", `0x${Buffer.from(`k${RKEY}`).toString("hex").toUpperCase()};`, "hex"],
    [
      "gzip-compressed cloud-init user data",
      b64gz(`#cloud-config\nruncmd:\n  - export E2B_API_KEY=${RKEY}\n`),
      "base64+gzip",
    ],
    [
      "a gzip stream glued into a script",
      `echo ${b64gz(`E2B_API_KEY=${RKEY}`)}_v2 | base64 -d | gunzip`,
      "base64+gzip",
    ],
    [
      "a gzip stream wrapped at 76 columns in a script's heredoc",
      `#!/bin/sh\nbase64 -d <<'EOF' | gunzip > /etc/agent.env\n${b64gz(
        `E2B_API_KEY=${RKEY}\nQUEUE=jobs\n`.repeat(4),
      )
        .match(/.{1,76}/g)!
        .map((l) => `  ${l}`)
        .join("\n")}\nEOF\n`,
      "base64+gzip",
    ],
    ["a zlib stream", deflateSync(`{"apiKey":"${RKEY}"}`).toString("base64"), "base64+zlib"],
    ["hex of base64", Buffer.from(b64(`E2B_API_KEY=${RKEY}`)).toString("hex"), "hex+base64"],
    ["two joined JavaScript strings", `const key = "e2b_" + "${RKEY.slice(4)}";`, "joined"],
    ["a CloudFormation Fn::Join", `{"Fn::Join": ["", ["e2b_", "${RKEY.slice(4)}"]]}`, "joined"],
    ["Python's implicit concatenation", `KEY = ("e2b_" '${RKEY.slice(4)}')`, "joined"],
    ["a shell word quoted in two parts", `export E2B_API_KEY=e2b_"${RKEY.slice(4)}"`, "joined"],
    [
      "a String.prototype.concat",
      `const key = "e2b_".concat("${RKEY.slice(4, 20)}").concat('${RKEY.slice(20)}');`,
      "joined",
    ],
    [
      "a template literal's substitutions",
      `const key = \`e2b_\${"${RKEY.slice(4, 30)}"}${RKEY.slice(30)}\`;`,
      "joined",
    ],
    [
      "two strings cut inside the digits",
      `const key = "${RKEY.slice(0, 24)}" + "${RKEY.slice(24)}";`,
      "joined",
    ],
    [
      "three strings over lines, as Prettier wraps them",
      `const key =\n  "${RKEY.slice(0, 17)}" +\n  "${RKEY.slice(17, 31)}" +\n  "${RKEY.slice(31)}";`,
      "joined",
    ],
    [
      "an Fn::Join cut inside the digits",
      `{"Fn::Join":["",["${RKEY.slice(0, 10)}","${RKEY.slice(10)}"]]}`,
      "joined",
    ],
    ["two strings cut inside the prefix (rt39 #10)", `const key = "e2" + "${RKEY.slice(2)}";`, "joined"],
    [
      "a document's list cut inside the prefix",
      JSON.stringify({ runCommand: [`export E2B_API_KEY=${RKEY.slice(0, 3)}`, RKEY.slice(3)] }),
      "joined",
    ],
    [
      "a Postgres bytea of gzip (hex after \\x)",
      `\\x${gzipSync(`{"apiKey":"${RKEY}"}`).toString("hex")}`,
      "hex+gzip",
    ],
    [
      "a zip's deflated entry (a jar's config in a Kubernetes Secret)",
      Buffer.from(
        zipSync({
          "META-INF/MANIFEST.MF": strToU8("Manifest-Version: 1.0\n"),
          "app.properties": strToU8(`e2b.apiKey=${RKEY}\n`),
        }),
      ).toString("base64"),
      "base64+zip",
    ],
    [
      "the second deflated entry of a zip with its sizes only in data descriptors (a streamed zip)",
      Buffer.from(
        streamedZip([
          ["notes.txt", "x".repeat(300)],
          ["agent.env", `E2B_API_KEY=${RKEY}\n`],
        ]),
      ).toString("base64"),
      "base64+zip",
    ],
    [
      "a PowerShell -EncodedCommand (base64 of UTF-16LE)",
      `powershell -EncodedCommand ${Buffer.from(`$env:E2B_API_KEY='${RKEY}'`, "utf16le").toString("base64")}`,
      "base64+utf-16",
    ],
    [
      "UTF-16LE text read as UTF-8 (a .env PowerShell 5 wrote)",
      Buffer.from(`\ufeffE2B_API_KEY=${RKEY}\r\n`, "utf16le").toString("utf8"),
      "utf-16",
    ],
    [
      "a gz+b64 write_files entry inside gzip-compressed cloud-init (four layers)",
      b64gz(
        `#cloud-config\nwrite_files:\n  - path: /etc/agent.env\n    encoding: gz+b64\n    content: ${b64gz(`E2B_API_KEY=${RKEY}\n`)}\n`,
      ),
      "base64+gzip+base64+gzip",
    ],
  ])("finds a key hidden as %s", (_, text, encoding) => {
    const m = findMaterial(text);
    expect(m.map((x) => [x.fingerprint, x.encoding])).toEqual([[fingerprintKey(RKEY), encoding]]);
  });

  it("finds a key in base64 or hex wrapped over lines inside other text, wherever it sits in the blob", () => {
    const wrap = (t: string, n: number, indent = "") =>
      t
        .match(new RegExp(`.{1,${n}}`, "g"))!
        .map((l) => indent + l)
        .join("\n");
    const missed: string[] = [];
    for (let pad = 0; pad < 76; pad++) {
      const env = `export E2B_API_KEY="${"p".repeat(pad)}${RKEY}"\nQUEUE=agents\n`;
      const b64 = Buffer.from(env).toString("base64");
      const shapes: Record<string, string> = {
        "a PEM-style block": `# agent key\n-----BEGIN E2B KEY-----\n${wrap(b64, 64)}\n-----END E2B KEY-----\n`,
        "a heredoc, 76 columns, indented": `base64 -d <<'EOF' > /etc/agent.env\n${wrap(b64, 76, "  ")}\nEOF\n`,
        "an echo with its quotes on the first and last lines": `echo '${wrap(b64, 76)}' | base64 -d > /etc/agent.env`,
        "xxd -p hex, 60 columns": `xxd -r -p > /etc/agent.env <<EOF\n${wrap(Buffer.from(env).toString("hex"), 60)}\nEOF`,
        "a blob printed in two pieces": `user data:\n${b64.slice(0, 30)}\n${b64.slice(30)}\ndone`,
      };
      for (const [shape, text] of Object.entries(shapes))
        if (!findMaterial(text).some((m) => m.fingerprint === fingerprintKey(RKEY)))
          missed.push(`${shape} @${pad}`);
    }
    expect(missed).toEqual([]);
  });

  it("finds a key in base64 or hex wrapped behind a frame on each row, or whole after a word of the alphabet, at every width", () => {
    const rows = (t: string, n: number, frame: (i: number) => string) =>
      t
        .match(new RegExp(`.{1,${n}}`, "g"))!
        .map((r, i) => frame(i) + r)
        .join("\n");
    const env = Buffer.from(`E2B_API_KEY=${RKEY}\n`);
    const missed: string[] = [];
    for (let width = 16; width <= 100; width += 4)
      for (const [name, blob] of [
        ["base64", env.toString("base64")],
        ["hex (xxd -p)", env.toString("hex")],
        ["the key's hex", Buffer.from(RKEY).toString("hex")],
      ]) {
        const shapes: Record<string, string> = {
          "behind > ": rows(blob, width, () => "> "),
          "behind # ": rows(blob, width, () => "# "),
          "in a code frame": rows(blob, width, (i) => `  ${i + 9} | `),
          "in a code frame marking one row": rows(blob, width, (i) =>
            i === 1 ? `> ${i + 9} | ` : `  ${i + 9} | `,
          ),
          // Rows shorter than a key's base64 behind a frame of other characters than `> # |` are not
          // looked for (material.ts FRAMED_SOURCE): the cheap test would let most logs through.
          ...(width >= 60
            ? {
                "behind a log line's timestamp": rows(
                  blob,
                  width,
                  (i) => `2026-12-07T02:00:0${i % 10}.123Z app[1]: `,
                ),
              }
            : {}),
          "whole, after one word": `KEY\n${rows(blob, width, () => "")}`,
          "whole, as it is": rows(blob, width, () => ""),
        };
        for (const [shape, text] of Object.entries(shapes))
          if (!findMaterial(text).some((m) => m.fingerprint === fingerprintKey(RKEY)))
            missed.push(`${name} ${shape} @${width}`);
      }
    expect(missed).toEqual([]);
  });

  it("finds two hex-written keys in one hex run, whichever byte alignment each sits at", () => {
    const other = "e2b_" + "9d0c1b2a39485766f5e4d3c2b1a0918273645546";
    const run = Buffer.from(`a=${RKEY};`).toString("hex") + "7" + Buffer.from(`b=${other};`).toString("hex");
    expect(
      findMaterial(run)
        .map((m) => m.fingerprint)
        .sort(),
    ).toEqual([fingerprintKey(RKEY), fingerprintKey(other)].sort());
  });

  it("inflates a string's streams up to 32 times its length (64 KiB at least), reading what came out before that", () => {
    // A bomb: the key first, then 64 MiB of zeros. What comes out before the budget is read.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from(`E2B_API_KEY=${RKEY}\n`), Buffer.alloc(64 * 1024 * 1024)]),
    );
    expect(bomb.length).toBeLessThan(100_000);
    expect(findMaterial(bomb.toString("base64")).map((m) => m.encoding)).toEqual(["base64+gzip"]);
    // The key after 1 MiB of zeros, in a string of about 1.4 KB: past its 64 KiB, not read.
    const late = gzipSync(Buffer.concat([Buffer.alloc(1024 * 1024), Buffer.from(RKEY)])).toString("base64");
    expect(late.length).toBeLessThan(2048);
    expect(findMaterial(late)).toEqual([]);
    // Many bombs in one string share one budget: each after the first gets what is left.
    const many = Array.from({ length: 50 }, () => bomb.toString("base64")).join(" ");
    expect(findMaterial(many).map((m) => m.encoding)).toEqual(["base64+gzip"]);
  });

  it("searches each text once per run and shares one inflate limit among all the run's streams, saying which were cut short", () => {
    const small = (n: number) => gzipSync(Buffer.alloc(60 * 1024, 0x20 + (n % 90))).toString("base64");
    const keyed = gzipSync(`E2B_API_KEY=${RKEY}\n`).toString("base64");
    // Room for about three small streams.
    const run = new MaterialFinder(200 * 1024);
    const first = [0, 1, 2].map((n) => run.find(small(n)));
    expect(first.map((r) => r.cut)).toEqual([false, false, false]);
    expect(run.find(small(3)).cut).toBe(true);
    // Past the run's limit a stream is not read at all, and the text is marked.
    expect(run.find(keyed)).toEqual({ matches: [], cut: true });
    // A fresh run reads it; the same text asked again is the same answer, not a second search.
    const fresh = new MaterialFinder(200 * 1024);
    const once = fresh.find(keyed);
    expect(once.matches.map((m) => m.encoding)).toEqual(["base64+gzip"]);
    expect(fresh.find(keyed)).toBe(once);
    // Its own limit cuts a stream too (1 MiB of zeros in 1.4 KB of text), and says so.
    const late = gzipSync(Buffer.concat([Buffer.alloc(1024 * 1024), Buffer.from(RKEY)])).toString("base64");
    expect(fresh.find(late)).toEqual({ matches: [], cut: true });
    // Text without a stream is never cut.
    expect(fresh.find(`E2B_API_KEY=${RKEY}`)).toMatchObject({ cut: false });
  });

  it("stops feeding bytes that keep the inflater waiting: what follows a stream header by chance in random data", () => {
    // A zlib header, then a megabyte of hash-chain bytes that inflate to 26 KB and then only take
    // input: fed on, fflate copies its growing backlog on every push (quadratic; seconds a megabyte).
    const bytes = Buffer.alloc(1 << 20);
    let h = Buffer.from("7");
    for (let i = 0; i < bytes.length; i += 32) (h = createHash("sha256").update(h).digest()).copy(bytes, i);
    const push = jest.spyOn(fflate.Inflate.prototype, "push");
    try {
      const out = inflateUpTo(Buffer.concat([Buffer.from([0x78, 0x9c]), bytes]), 8 * 1024 * 1024)!;
      const fed = push.mock.calls.reduce((n, [chunk]) => n + chunk.length, 0);
      expect(out.bytes.length).toBeLessThan(64 * 1024);
      expect(fed).toBeLessThan(out.bytes.length + 300 * 1024);
    } finally {
      push.mockRestore();
    }
  });

  it("reads on past padding that inflates to nothing (empty deflate blocks), and says so when it cannot read an entry", () => {
    // 60,000 empty stored blocks (300 KB that inflate to nothing), then the key: fflate consumes them.
    const empty = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
    const raw = Buffer.concat([...Array.from({ length: 60_000 }, () => empty), deflateRawSync(`k=${RKEY}`)]);
    const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), raw]).toString("base64");
    expect(new MaterialFinder().find(gz).matches.map((m) => m.encoding)).toEqual(["base64+gzip"]);
    // A zip entry compressed with bzip2 (method 12) is not read here: skipped, and the text is marked.
    const zip = Buffer.from(zipSync({ "a.env": strToU8(`E2B_API_KEY=${RKEY}\n`.repeat(3)) }));
    zip.writeUInt16LE(12, 8);
    expect(new MaterialFinder().find(zip.toString("base64"))).toEqual({ matches: [], cut: true });
  });

  it("marks xz, bzip2 and zstd data as not read, whole or glued into other text, by their magic bytes", () => {
    // Compressed bytes as such data goes on (a key inside is not seen in them).
    const body = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 97 + 13) & 0xff));
    const magics = {
      xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
      bzip2: [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59],
      zstd: [0x28, 0xb5, 0x2f, 0xfd],
    };
    for (const magic of Object.values(magics)) {
      const b64 = Buffer.concat([Buffer.from(magic), body]).toString("base64");
      expect(new MaterialFinder().find(b64)).toEqual({ matches: [], cut: true });
      expect(new MaterialFinder().find(`bundle: ${b64}`)).toEqual({ matches: [], cut: true });
    }
    // The same bytes with no magic before them are no stream: nothing was left unread.
    expect(
      new MaterialFinder().find(`bundle: ${Buffer.concat([Buffer.from("xx"), body]).toString("base64")}`),
    ).toMatchObject({
      cut: false,
    });
  });

  it("reads a zip's entries within the same budget: a bomb entry is read up to it, an encrypted one not at all", () => {
    const bomb = zipSync({
      "a.env": Buffer.concat([Buffer.from(`E2B_API_KEY=${RKEY}\n`), Buffer.alloc(64 * 1024 * 1024)]),
    });
    expect(bomb.length).toBeLessThan(100_000);
    const t0 = Date.now();
    expect(findMaterial(Buffer.from(bomb).toString("base64")).map((m) => m.encoding)).toEqual(["base64+zip"]);
    expect(Date.now() - t0).toBeLessThan(2000);
    // Flag bit 0 set on the entry: its bytes are ciphertext to a reader without the password.
    const locked = Buffer.from(zipSync({ "a.env": strToU8(`E2B_API_KEY=${RKEY}\n`.repeat(3)) }));
    locked.writeUInt16LE(locked.readUInt16LE(6) | 1, 6);
    expect(findMaterial(locked.toString("base64"))).toEqual([]);
  });

  it("decodes base64 longer than a megabyte", () => {
    const blob = b64("x".repeat(1_200_000) + KEY + "y".repeat(1000));
    expect(findMaterial(blob).map((m) => m.encoding)).toEqual(["base64"]);
  });

  it("is linear: a megabyte of near-misses is fast", () => {
    const text = "e2b_0123 ".repeat(120_000);
    const t0 = Date.now();
    expect(findMaterial(text)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("redactKeys leaves no key behind", () => {
    expect(redactKeys(`a ${KEY} b ${TOKEN}`)).not.toMatch(/[0-9a-f]{40}/);
  });
});
