/**
 * Property: a key planted anywhere in a random property tree — as a value or a property name, plain
 * or encoded, glued to other text — is found by the scanner (100 % recall), and the same tree without
 * the key, full of near misses, yields no finding at all.
 */
import { deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { fingerprintKey } from "../../../policies/detect/keys";
import { scanProps } from "../../../policies/detect/scanner";
import type { Tree } from "../../../policies/detect/walk";

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const word = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
  minLength: 1,
  maxLength: 12,
});
const envName = fc.constantFrom(
  "E2B_API_KEY",
  "API_KEY",
  "NEXT_PUBLIC_URL",
  "LOG_LEVEL",
  "SANDBOX_ENV",
  "TOKEN",
);

/** Near misses that must never be reported. */
const decoy = fc.oneof(
  hex(39).map((h) => `e2b_${h}`),
  hex(41).map((h) => `e2b_${h}`),
  hex(40).map((h) => `e2b-${h}`),
  hex(39).map((h) => `sk_e2b_${h}`),
  hex(40),
  fc.constantFrom(
    "e2b_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "e2b_<your-api-key>",
    "e2b_code_interpreter",
  ),
  fc.constantFrom("Set E2B_API_KEY to your key (e2b_ followed by 40 hex characters)."),
  hex(39).map((h) => Buffer.from(`e2b_${h}`).toString("base64")),
);
const scalar: fc.Arbitrary<Tree> = fc.oneof(
  word,
  decoy,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string(),
);

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(word, envName), tie("node"), { maxKeys: 4 }),
  ),
})).node;

const b64 = (s: string) => Buffer.from(s).toString("base64");
const ENCODINGS: Record<string, (k: string) => string> = {
  plain: (k) => k,
  upper: (k) => k.toUpperCase(),
  base64: (k) => b64(k),
  "base64url unpadded": (k) => Buffer.from(`{"apiKey":"${k}"}`).toString("base64url").replace(/=+$/, ""),
  "base64 of base64": (k) => b64(b64(`E2B_API_KEY=${k}`)),
  "data URI": (k) => `data:application/json;base64,${b64(`{"k":"${k}"}`)}`,
  "HTTP Basic": (k) => `Basic ${b64(`agent:${k}`)}`,
  percent: (k) => [...k].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(""),
  "percent quote": (k) => `%22${k}%22`,
  "escaped newline": (k) => `-----\\n${k}\\n-----`,
  "unicode escape": (k) => k.replace("_", "\\u005f"),
  hex: (k) => Buffer.from(k).toString("hex"),
  "hex upper": (k) => Buffer.from(`KEY=${k}`).toString("hex").toUpperCase(),
  "gzip base64": (k) => gzipSync(`#cloud-config\nE2B_API_KEY=${k}\n`).toString("base64"),
  // zlib streams are looked for where a base64 run starts.
  "zlib base64": (k) => `payload=${deflateSync(`E2B_API_KEY=${k}`).toString("base64")}`,
  "UTF-16LE base64": (k) => `-EncodedCommand ${Buffer.from(`$env:KEY='${k}'`, "utf16le").toString("base64")}`,
};

interface Plant {
  key: string;
  encoding: string;
  asName: boolean;
  before: string;
  after: string;
  at: number;
}

const plant: fc.Arbitrary<Plant> = fc.record({
  key: fc.oneof(
    hex(40).map((h) => `e2b_${h}`),
    hex(40).map((h) => `sk_e2b_${h}`),
  ),
  encoding: fc.constantFrom(...Object.keys(ENCODINGS)),
  asName: fc.boolean(),
  // Glued text: letters, digits and underscore before; after, anything but another hex digit.
  before: fc.oneof(fc.constant(""), word, fc.constantFrom("x", "api_", '"', " ", "token=")),
  after: fc.oneof(fc.constant(""), fc.constantFrom("_prod", '"', " ", ";", "xyz", "\n")),
  at: fc.nat(),
});

/** Every object and array of a tree, in a stable order. */
function containers(t: Tree): Array<Tree[] | { [k: string]: Tree }> {
  const out: Array<Tree[] | { [k: string]: Tree }> = [];
  const stack: Tree[] = [t];
  while (stack.length) {
    const v = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    out.push(v);
    stack.push(...(Array.isArray(v) ? v : Object.values(v)));
  }
  return out;
}

function planted(t: Tree, p: Plant): Tree {
  const root: Tree = { root: structuredClone(t) };
  const all = containers(root);
  const target = all[p.at % all.length];
  const text = `${p.before}${ENCODINGS[p.encoding](p.key)}${p.after}`;
  if (Array.isArray(target)) target.push(text);
  else if (p.asName) target[text] = "v";
  else target[`planted_${p.at}`] = text;
  return root;
}

describe("scanner recall and precision on random trees", () => {
  it("finds every planted key, in any position and encoding", () => {
    fc.assert(
      fc.property(tree, plant, (t, p) => {
        const keys = scanProps("aws:lambda/function:Function", planted(t, p)).keys;
        expect(keys.map((k) => k.fingerprint)).toContain(fingerprintKey(p.key));
      }),
      { numRuns: 400 },
    );
  });

  it("reports nothing on the same trees without a key", () => {
    fc.assert(
      fc.property(tree, (t) => {
        expect(scanProps("aws:lambda/function:Function", { root: t }).keys).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it("judges any depth of nesting without recursion limits", () => {
    let deep: Tree = { E2B_API_KEY: `e2b_${"ab".repeat(20)}` };
    for (let i = 0; i < 50_000; i++) deep = i % 2 ? { [`n${i % 7}`]: deep } : [deep];
    expect(scanProps("custom:index:Thing", deep).keys.map((k) => k.mask)).toEqual(["e2b_…abab"]);
  });
});
