/**
 * The caller's own key found and masked in the forms an API, a proxy or a sandbox's metadata may
 * write it (runtime/key-material.ts): a self-hosted key need not look like `e2b_…`, so the pack's
 * redactor, which reads encodings of `e2b_` keys, would not know it.
 */
import { randomBytes } from "node:crypto";
import { hexRunsIn, keyPieceIn, materialIn, maskOwnKey, ownKeyIn } from "../../runtime/key-material";
import { redactMaterial } from "../../policies/detect/redact";

const key = `selfhosted-${randomBytes(16).toString("hex")}`;
const hex = Buffer.from(key).toString("hex");
const b64 = (t: string) => Buffer.from(t).toString("base64");
const rowsOf = (b: Buffer, n: number) =>
  Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, i * n + n));
const odB = (b: Buffer) =>
  rowsOf(b, 16)
    .map(
      (r, i) =>
        `${(i * 16).toString(8).padStart(7, "0")} ${[...r].map((x) => x.toString(8).padStart(3, "0")).join(" ")}`,
    )
    .join("\n");
const xxdC4 = (b: Buffer) =>
  rowsOf(b, 4)
    .map(
      (r, i) =>
        `${(i * 4).toString(16).padStart(8, "0")}: ${r
          .toString("hex")
          .replace(/(.{4})/g, "$1 ")
          .trimEnd()
          .padEnd(9)}  ${r.toString("latin1")}`,
    )
    .join("\n");

describe("the caller's own key, self-hosted format", () => {
  test.each([
    ["as it is, upper-cased", key.toUpperCase()],
    ["in hex, upper-cased", hex.toUpperCase()],
    ["percent-encoded byte by byte (rt40 #7)", hex.replace(/(..)/g, "%$1")],
    ["as a hex dump with spaces", hex.match(/../g)!.join(" ")],
    ["as escaped bytes", hex.replace(/(..)/g, "\\x$1")],
    ["spaced out", [...key].join(" ")],
    [
      "in base64 of a longer text, wrapped every 20 characters",
      b64(`x-api-key: ${key}`).replace(/(.{20})/g, "$1\n"),
    ],
    ["in base64 of its upper case", b64(key.toUpperCase())],
    ["in base64 of its base64", b64(b64(key))],
    ["as JSON \\u escapes (rt42 #4)", [...key].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join("")],
    ["as a list of decimal bytes", [...Buffer.from(key)].join(",")],
    ["as HTML entities", [...Buffer.from(key)].map((b) => `&#${b};`).join("")],
    ["as hex HTML entities", [...Buffer.from(key)].map((b) => `&#x${b.toString(16)};`).join("")],
    ["as colon-separated hex", hex.match(/../g)!.join(":")],
    [
      "as 0x-prefixed hex",
      hex
        .match(/../g)!
        .map((h) => `0x${h}`)
        .join(", "),
    ],
    ["as hex of its base64", Buffer.from(b64(key)).toString("hex")],
    [
      "in wrapped base64 whose line breaks are printed escaped",
      b64(`x-api-key: ${key}`).replace(/(.{20})/g, "$1\\u000a"),
    ],
    // rt44 #3.
    ["written backwards", [...key].reverse().join("")],
    ["as octal escapes", [...Buffer.from(key)].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("")],
    ["as od -b prints it", [...Buffer.from(key)].map((b) => b.toString(8).padStart(3, "0")).join(" ")],
    ["quoted-printable", hex.replace(/(..)/g, "=$1").toUpperCase()],
    ["in base64 of its UTF-16", Buffer.from(key, "utf16le").toString("base64")],
    ["in base64 of its hex", b64(hex)],
    ["dot-separated", [...key].join(".")],
    ["pipe-separated", [...key].join("|")],
    ["five blanks apart", [...key].join("     ")],
    // rt45 #4.
    ["as a JSON array of its characters", JSON.stringify([...key])],
    ["as two joined literals", `"${key.slice(0, 20)}" + "${key.slice(20)}"`],
    ["with zero-width spaces between its characters", [...key].join("\u200b")],
    ["underscore-separated", [...key].join("_")],
    ["slash-separated", [...key].join("/")],
    ["as its bytes in binary", [...Buffer.from(key)].map((b) => b.toString(2).padStart(8, "0")).join(" ")],
    // rt47 #6: as the standard dump tools and other languages print bytes.
    ["as od -b prints it, 16 a row after an offset", `\n${odB(Buffer.from(key))}`],
    ["as octal escapes, shortest", [...Buffer.from(key)].map((b) => `\\${b.toString(8)}`).join("")],
    ["as a Python oct() list", `[${[...Buffer.from(key)].map((b) => `0o${b.toString(8)}`).join(", ")}]`],
    ["as hex of its UTF-16", Buffer.from(key, "utf16le").toString("hex")],
    ["as hex of it reversed", Buffer.from([...key].reverse().join("")).toString("hex")],
    ["as xxd -c 4 prints it", `\n${xxdC4(Buffer.from(key))}\n`],
  ])("is found and masked %s", (_how, written) => {
    const text = `metadata v=${written} end`;
    expect(ownKeyIn(text, key)).toBe(`se…${key.slice(-4)}`);
    const masked = maskOwnKey(text, key);
    expect(masked).toMatch(/^metadata v=.*(se…[0-9a-f]{4}|lines withheld: a dump)/s);
    expect(masked).not.toContain(written.replace(/\n/g, "").slice(-16));
    expect(ownKeyIn(masked, key)).toBeUndefined();
  });

  test("leaves text without the key alone, and a short key is no form at all", () => {
    const text = "sbx-1 user_id=u-1 73 65 6c 66 %41%42 SGVsbG8=";
    expect(maskOwnKey(text, key)).toBe(text);
    expect(ownKeyIn("abc", "abc")).toBeUndefined();
  });
});

describe("the caller's own E2B key spelled out a character at a time in a layout no reader knows", () => {
  const own = `e2b_${randomBytes(20).toString("hex")}`;
  test.each([
    [
      "as String.fromCharCode calls",
      [...own].map((c) => `String.fromCharCode(${c.charCodeAt(0)})`).join(" + "),
    ],
    ["glued to counters, `k0=e`", [...own].map((c, i) => `k${i}=${c}`).join(" ")],
  ])("is found and masked %s", (_how, written) => {
    const text = `cmd: echo ${written}; end`;
    expect(ownKeyIn(text, own)).toBe(`e2b_…${own.slice(-4)}`);
    const masked = maskOwnKey(text, own);
    // The spelling of the digits is masked; `e2b_` before them is no secret.
    expect(masked).toMatch(/^cmd: echo .{0,160}e2b_…[0-9a-f]{4}\)?; end$/);
    expect(ownKeyIn(masked, own)).toBeUndefined();
  });
});

describe("an E2B key in a form only the diagnostics' redactor reads (rt44 #3)", () => {
  const e2b = `e2b_${randomBytes(20).toString("hex")}`;
  test.each([
    ["written backwards", [...e2b].reverse().join("")],
    ["dot-separated", [...e2b].join(".")],
    [
      "as an xxd dump's groups",
      Buffer.from(e2b)
        .toString("hex")
        .match(/.{1,4}/g)!
        .join(" "),
    ],
    ["quoted-printable", Buffer.from(e2b).toString("hex").replace(/(..)/g, "=$1").toUpperCase()],
    ["as octal escapes", [...Buffer.from(e2b)].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("")],
  ])("is material to the guard, as the audit masks it: %s", (_how, written) => {
    expect(materialIn(`cfg=${written}`)).toBeDefined();
    expect(redactMaterial(`cfg=${written}`)).not.toContain(written.slice(4, 24));
  });

  test("text with no key is none", () => {
    expect(materialIn("sandbox sbx-1 user_id=u-1 region=eu-west-1 6532 not a key")).toBeUndefined();
  });
});

describe("a piece of an E2B key: a head the rest of the request could complete", () => {
  const digits = "3f9a1c7e5b2d4086af13c9e7b5d20f4a6c8e1b3d";
  const inRequest = (text: string, ...others: string[]) =>
    keyPieceIn(text, undefined, { hexRuns: hexRunsIn(text, ...others) });

  test("the prefix alone, or a few digits, when other values hold the rest (rt51 #5)", () => {
    expect(inRequest("e2b_", digits)).toBeDefined();
    expect(inRequest(`e2b_${digits.slice(0, 7)}`, digits.slice(7))).toBeDefined();
    expect(inRequest("E2B_", digits.slice(0, 20), digits.slice(20))).toBeDefined();
  });

  test("not a date, a timestamp or a name that nothing else could complete (rt51 #8)", () => {
    for (const text of ["e2b_20261207", "e2b_1733596800", "E2B_20261207_BUILD", "otel e2b_deadbeefcafe"])
      expect(inRequest(text, "us-east-1", "agent-7")).toBeUndefined();
    // `e2b_run`: no key's digits go on with an `r`.
    expect(inRequest("e2b_run_7", digits)).toBeUndefined();
  });

  test("not a date beside a commit's SHA or a trace UUID, nor a variable's name that goes on (rt52 #4)", () => {
    const sha = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad";
    expect(inRequest("e2b_20261207", sha)).toBeUndefined();
    expect(inRequest("e2b_20261207", "7c9e6679-7425-40de-944b-e07fc1f90ae7")).toBeUndefined();
    expect(inRequest("E2B_CA_BUNDLE", "/etc/ssl/ca.pem", sha)).toBeUndefined();
  });

  test("the rest padded, behind a shard id or in a UUID's layout completes a head (rt53 #4)", () => {
    const uuid = (d: string) => d.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, "$1-$2-$3-$4-$5");
    expect(inRequest("e2b_", `${digits}0`)).toBeDefined();
    expect(inRequest("e2b_", `07${digits}`)).toBeDefined();
    expect(inRequest(`e2b_${digits.slice(0, 8)}`, uuid(digits.slice(8)))).toBeDefined();
    expect(inRequest("e2b_", uuid(digits.slice(0, 32)), digits.slice(32))).toBeDefined();
  });

  test("the rest written as 0x pairs, or in groups, completes a head (rt52 #4)", () => {
    const pairs = digits.match(/../g)!;
    expect(inRequest("e2b_", pairs.map((p) => `0x${p}`).join(","))).toBeDefined();
    expect(inRequest("e2b_", pairs.map((p) => `\\x${p}`).join(""))).toBeDefined();
    expect(inRequest("e2b_", digits.match(/.{4}/g)!.join(" "))).toBeDefined();
  });

  test("without a request around it, a head of eight digits or more", () => {
    expect(keyPieceIn(`e2b_${digits.slice(0, 8)}`)).toBeDefined();
    expect(keyPieceIn(`e2b_${digits.slice(0, 7)}`)).toBeUndefined();
  });
});
