/**
 * Property: the key prefilter never hides a key. Whatever the full detector finds in a string
 * (findMaterial) passes `mayHoldMaterial`; whatever a full walk finds in a tree — values, property
 * names, and JSON/YAML documents in strings, all of them parsed — makes `mayHoldMaterialTree` say
 * "may", and the scanner (which trusts the prefilter) reports it.
 */
import { deflateSync, gzipSync } from "node:zlib";
import { strToU8, zipSync } from "fflate";
import fc from "fast-check";
import { fingerprintKey } from "../../../policies/detect/keys";
import {
  findMaterial,
  mayHoldCheap,
  mayHoldEmbeddedMaterial,
  mayHoldMaterial,
} from "../../../policies/detect/material";
import { scanProps } from "../../../policies/detect/scanner";
import { mayHoldMaterialTree, walkLeaves, type Tree } from "../../../policies/detect/walk";

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const key = fc.oneof(
  hex(40).map((h) => `e2b_${h}`),
  hex(40).map((h) => `sk_e2b_${h}`),
  hex(40).map((h) => `E2B_${h.toUpperCase()}`),
);
const b64 = (s: string) => Buffer.from(s).toString("base64");
const wrap = (s: string, width: number) => s.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
const jsonEscape = (s: string) =>
  [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

/** A key written the ways issue 10 lists, and a few more that only decoding or parsing reveals. */
const ENCODINGS: Array<(k: string) => string> = [
  (k) => k,
  (k) => b64(k),
  (k) => b64(`E2B_API_KEY=${k}`).replace(/=+$/, ""),
  (k) => Buffer.from(`{"apiKey":"${k}"}`).toString("base64url"),
  (k) => b64(b64(`token ${k}`)),
  (k) => `data:text/plain;base64,${b64(k)}`,
  (k) => `Basic ${b64(`user:${k}`)}`,
  (k) => [...k].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(""),
  (k) => `%22${k}%22`,
  (k) => `a\\n${k}\\n`,
  (k) => k.replace("_", "\\u005f"),
  (k) => k.replace("_", "\\x5F"),
  // One hex digit escaped: the key's run of 40 is only a run once `\` counts.
  (k) =>
    k.replace(
      /([0-9a-f]{20})([0-9a-f])/i,
      (_, a: string, c: string) => `${a}\\x${c.charCodeAt(0).toString(16)}`,
    ),
  // Percent-encoding of an escape: `%5Cx30` is `\x30` once decoded, then `0`.
  (k) =>
    k
      .replace("_", "%5f")
      .replace(
        /([0-9a-f]{20})([0-9a-f])/i,
        (_, a: string, c: string) => `${a}%5Cx${c.charCodeAt(0).toString(16)}`,
      ),
  (k) =>
    k
      .replace("_", "%5f")
      .replace(
        /([0-9a-f]{30})([0-9a-f])/i,
        (_, a: string, c: string) => `${a}%5Cu00${c.charCodeAt(0).toString(16)}`,
      ),
  (k) => Buffer.from(`E2B_API_KEY=${k}`).toString("hex"),
  (k) => `0x${Buffer.from(k).toString("hex").toUpperCase()}`,
  (k) => gzipSync(`export E2B_API_KEY=${k}`).toString("base64"),
  (k) => `echo ${gzipSync(k).toString("base64")}| base64 -d`,
  (k) => deflateSync(`{"apiKey":"${k}"}`).toString("base64"),
  (k) => Buffer.from(zipSync({ "app.properties": strToU8(`e2b.apiKey=${k}`) })).toString("base64"),
  // Wrapped over lines inside other text: a PEM-style block, an `echo` of 76-column base64, `xxd -p`.
  (k) => `-----BEGIN KEY-----\n${wrap(b64(`E2B_API_KEY=${k}`), 64)}\n-----END KEY-----`,
  (k) => `echo '${wrap(b64(`export E2B_API_KEY=${k}\n`), 76)}' | base64 -d`,
  (k) => `xxd -r -p <<EOF\n${wrap(Buffer.from(`k=${k}`).toString("hex"), 60)}\nEOF`,
  // A key split into two joined strings.
  (k) => `const key = "${k.slice(0, -40)}" + "${k.slice(-40)}";`,
  (k) => `const key = "${k.slice(0, -40)}".concat("${k.slice(-40)}");`,
  (k) => `const key = \`${k.slice(0, -40)}\${"${k.slice(-40)}"}\`;`,
  // Hex as an outer layer: of base64, of gzip (a Postgres bytea).
  (k) => `blob ${Buffer.from(b64(`E2B_API_KEY=${k}`)).toString("hex")};`,
  (k) => `\\x${gzipSync(`export E2B_API_KEY=${k}`).toString("hex")}`,
  (k) => `-EncodedCommand ${Buffer.from(`$env:KEY='${k}'`, "utf16le").toString("base64")}`,
];
/** Whole blobs the detector decodes only as a whole: broken into lines, or base64 of percent-encoding. */
const WHOLE: Array<(k: string) => string> = [
  (k) => wrap(b64(`secret: ${k}`), 16),
  (k) => b64(k.replace("_", "%5F")),
  // A percent-encoded blob: line breaks as `%0A`, one letter as `%6x` (what makes it decoded).
  (k) =>
    wrap(b64(`secret: ${k}`), 16)
      .replace(/\n/g, "%0A")
      .replace(/[a-f]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
];

/** Documents that hold a key only once parsed (escapes, a wrapped block scalar) or plainly. */
const DOCUMENTS: Array<(k: string) => string> = [
  (k) => JSON.stringify({ env: [{ name: "E2B_API_KEY", value: k }] }),
  (k) => `{"value":"${jsonEscape(k)}"}`,
  (k) => `{"blob":"${wrap(b64(k), 20).replace(/\n/g, "\\n")}"}`,
  (k) => `{"blob":"${b64(k).replace(/\//g, "\\/")}"}`,
  (k) => `data:\n  cert: |\n${wrap(b64(`k=${k}`), 12).replace(/^/gm, "    ")}\nkind: Secret\n`,
  (k) => `e2b:\n  apiKey: "${k.slice(0, 20)}\\\n    ${k.slice(20)}"\n`,
  (k) => `env:\n  - name: KEY\n    value: "${k.replace("2", "\\x32")}"\n`,
  (k) => `env:\n  - name: KEY\n    value: "${k.replace("2", "\\U00000032")}"\n`,
  // A key cut into short pieces by YAML escaped line breaks (no long run of any one alphabet).
  (k) => `e2b:\n  apiKey: "${k.match(/.{1,9}/g)!.join("\\\n    ")}"\n`,
  // The same YAML as a string in a JSON document: its escaped line breaks are written `\\\n`.
  (k) => JSON.stringify({ config: `e2b:\n  apiKey: "${k.slice(0, 25)}\\\n    ${k.slice(25)}"\n` }),
  // Multi-line scalars folded across a blank line: one base64 text with a line break inside.
  (k) => `k: ${b64(k).slice(0, 40)}  \n\n  ${b64(k).slice(40)}\n`,
  (k) => `k: "${b64(k).slice(0, 30)}\n\n  ${b64(k).slice(30)}"\n`,
];

const noise = fc.string({
  unit: fc.constantFrom(...'e2bEB_sk0123456789abcdefXYZ%\\u /+=-:\n"{}ZTJiUyYlMmJf'),
  maxLength: 80,
});

const plantedString = fc.oneof(
  fc
    .tuple(key, fc.nat(ENCODINGS.length - 1), noise, noise)
    .map(([k, e, before, after]) => ({ key: k, text: `${before} ${ENCODINGS[e](k)} ${after}` })),
  fc.tuple(key, fc.nat(WHOLE.length - 1)).map(([k, e]) => ({ key: k, text: WHOLE[e](k) })),
);

/** The full detector over a tree, with every document-looking string parsed (no prefilter). */
function fullWalk(tree: Tree): Set<string> {
  const found = new Set<string>();
  walkLeaves(
    tree,
    (leaf) => {
      if (typeof leaf.value === "string" && !leaf.unknown)
        for (const m of findMaterial(leaf.value)) found.add(m.fingerprint);
    },
    {
      parseEmbedded: () => true,
      visitKey: (k) => findMaterial(k).forEach((m) => found.add(m.fingerprint)),
    },
  );
  return found;
}

describe("the key prefilter", () => {
  it("passes every string the full detector finds a key in (keys in every encoding)", () => {
    fc.assert(
      fc.property(plantedString, ({ key: k, text }) => {
        const found = findMaterial(text).map((m) => m.fingerprint);
        expect(found).toContain(fingerprintKey(k.toLowerCase()));
        expect(mayHoldMaterial(text)).toBe(true);
        expect(mayHoldEmbeddedMaterial(text)).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it("passes every random string the full detector finds anything in", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          noise,
          plantedString.map((p) => p.text),
        ),
        noise,
        (a, b) => {
          const text = a + b;
          if (findMaterial(text).length > 0) expect(mayHoldMaterial(text)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("says 'may' for every tree a full walk with all documents parsed finds a key in", () => {
    const doc = fc.tuple(key, fc.nat(DOCUMENTS.length - 1)).map(([k, d]) => DOCUMENTS[d](k));
    const leaf = fc.oneof(
      noise,
      doc,
      plantedString.map((p) => p.text),
    );
    const tree = fc.letrec<{ node: Tree }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), leaf), tie("node"), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (t) => {
        const found = fullWalk(t);
        if (found.size === 0) return;
        expect(mayHoldMaterialTree(t)).toBe(true);
        const reported = new Set(scanProps("custom:index:Thing", t).keys.map((h) => h.fingerprint));
        for (const f of found) expect(reported).toContain(f);
      }),
      { numRuns: 400 },
    );
  });

  it("its first step (mayHoldCheap) passes every string and document the full detector finds a key in", () => {
    const doc = fc.tuple(key, fc.nat(DOCUMENTS.length - 1)).map(([k, d]) => DOCUMENTS[d](k));
    fc.assert(
      fc.property(
        fc.oneof(
          plantedString.map((p) => p.text),
          doc,
          noise,
        ),
        noise,
        (a, b) => {
          for (const text of [a, a + b, b + a]) {
            if (findMaterial(text).length > 0) {
              expect(mayHoldCheap(text, false)).toBe(true);
              expect(mayHoldCheap(text, true)).toBe(true);
            }
            if (fullWalk({ spec: text }).size > 0) expect(mayHoldCheap(text, true)).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("finds keys only a parsed document reveals", () => {
    const k = `e2b_${"0123456789abcdef".repeat(3).slice(0, 40)}`;
    for (const d of DOCUMENTS) {
      const t: Tree = { spec: d(k) };
      expect(fullWalk(t)).toContain(fingerprintKey(k));
      expect(scanProps("custom:index:Thing", t).keys.map((h) => h.fingerprint)).toContain(fingerprintKey(k));
    }
  });

  it("proves ordinary stack text key-free", () => {
    const texts = [
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] }),
      "version: 1\nfrontend:\n  phases:\n    build:\n      commands:\n        - npm ci\n        - npm run build\n",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:e2b/prod/api-key-AbCdEf",
    ];
    for (const t of texts) expect(mayHoldEmbeddedMaterial(t)).toBe(false);
    // …most of it by the first step alone (no regex, no decoding).
    for (const t of texts) expect(mayHoldCheap(t, true)).toBe(false);
    expect(mayHoldMaterialTree({ a: texts, E2B_API_KEY: texts[3] })).toBe(false);
    // Cleared trees share one empty result, which refuses writes (no scan can leak into another).
    const clean = scanProps("custom:index:Thing", { a: texts });
    expect(clean.keys).toEqual([]);
    expect(() => clean.keys.push(clean.keys[0])).toThrow(TypeError);
    expect(() => clean.keyTops.add("a")).toThrow(TypeError);
    expect(scanProps("custom:index:Other", { b: texts }).keyTops.size).toBe(0);
  });
});
