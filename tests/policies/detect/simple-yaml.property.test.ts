/**
 * Property: the YAML fast path never reads a document differently from the `yaml` package. Random
 * documents of block mappings and sequences, with scalars YAML resolves in surprising ways, odd
 * indentation and the constructs the fast path leaves alone: whatever it accepts equals
 * `yaml.parse` with the options parseEmbedded uses, and it accepts nothing `yaml` rejects.
 */
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { parseSimpleYaml } from "../../../policies/detect/simple-yaml";

const yamlParse = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return {
      ok: true,
      value: parseYaml(text, { uniqueKeys: false, maxAliasCount: 100, logLevel: "error" }) as unknown,
    };
  } catch {
    return { ok: false };
  }
};

/** Keys and scalars the fast path takes, and (below) ones it must hand over or read YAML's way. */
const SIMPLE_KEYS = ["name", "value", "E2B_API_KEY", "a.b", "a/b", "x-y", "_", "on", "y"];
const SIMPLE_SCALARS = [
  "plain",
  "two words",
  "worker-5",
  "8080",
  "0123",
  "true",
  "FALSE",
  "Null",
  "nULL",
  "yes",
  "off",
  "NaN",
  '"quoted"',
  '"with: colon"',
  "'single'",
  "a=b+c/d@e",
  "a,b",
  "e2b_0123456789abcdef0123456789abcdef01234567",
  "",
];
const KEYS = ["true", "null", "__proto__", "on", "y", "1", "a b", "-a", "<<", "k#"];
const SCALARS = [
  "plain",
  "two words",
  "worker-5",
  "code-interpreter-v1",
  "8080",
  "0123",
  "9007199254740993",
  "-1",
  "+1",
  "1.5",
  "1e3",
  "0x1F",
  "0o17",
  ".inf",
  ".nan",
  "~",
  "null",
  "Null",
  "NULL",
  "nULL",
  "true",
  "True",
  "FALSE",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "NaN",
  "a#b",
  "a #b",
  "a: b",
  "a:b",
  "a,b",
  "[a]",
  "{a: b}",
  "&x a",
  "*x",
  "!tag a",
  "|",
  ">",
  '"quoted"',
  '"with: colon"',
  '"esc\\u0065"',
  "'single'",
  "'it''s'",
  '"un',
  "e2b_0123456789abcdef0123456789abcdef01234567",
  "@at",
  "`tick",
  "%pct",
  "a=b+c/d@e",
  "",
];

type Doc =
  | { kind: "map"; entries: Array<[string, Doc]> }
  | { kind: "seq"; items: Doc[] }
  | { kind: "scalar"; text: string };

const mostlySimple = (simple: string[], tricky: string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...simple), weight: 12 },
    { arbitrary: fc.constantFrom(...tricky), weight: 1 },
  );
const key = mostlySimple(SIMPLE_KEYS, KEYS);
const scalarText = mostlySimple(SIMPLE_SCALARS, SCALARS);

const doc: fc.Arbitrary<Doc> = fc.letrec<{ node: Doc }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    scalarText.map((text): Doc => ({ kind: "scalar", text })),
    fc
      .array(fc.tuple(key, tie("node")), { minLength: 1, maxLength: 4 })
      .map((entries): Doc => ({ kind: "map", entries })),
    fc.array(tie("node"), { minLength: 1, maxLength: 4 }).map((items): Doc => ({ kind: "seq", items })),
  ),
})).node;

/** Block-style YAML for a document, with the given indentation step and item style. */
function render(d: Doc, step: number, compactItems: boolean, indent = 0): string[] {
  const pad = " ".repeat(indent);
  if (d.kind === "scalar") return [`${pad}${d.text}`];
  const out: string[] = [];
  if (d.kind === "map") {
    for (const [k, v] of d.entries) {
      if (v.kind === "scalar") out.push(`${pad}${k}:${v.text === "" ? "" : ` ${v.text}`}`);
      else {
        out.push(`${pad}${k}:`);
        // A sequence under a key may sit at the key's own indentation.
        const inner = v.kind === "seq" && compactItems ? indent : indent + step;
        out.push(...render(v, step, compactItems, inner));
      }
    }
    return out;
  }
  for (const v of d.items) {
    if (v.kind === "scalar") out.push(`${pad}-${v.text === "" ? "" : ` ${v.text}`}`);
    else if (v.kind === "map" && compactItems) {
      const lines = render(v, step, compactItems, indent + 2);
      out.push(`${pad}- ${lines[0].slice(indent + 2)}`, ...lines.slice(1));
    } else {
      out.push(`${pad}-`);
      out.push(...render(v, step, compactItems, indent + step));
    }
  }
  return out;
}

/** Small corruptions: the constructs the fast path must hand over, and plain mistakes. */
const MUTATIONS: Array<(s: string) => string> = [
  (s) => s,
  (s) => s,
  (s) => s.replace("\n", "\n\n"),
  (s) => s.replace("\n", "\n  "),
  (s) => s.replace(/\n/, "\n\t"),
  (s) => s.replace(/\n/g, "\r\n"),
  (s) => s.replace(":", ":  "),
  (s) => `${s}# comment\n`,
  (s) => s.replace(/\n$/, "  \n"),
  (s) => `  ${s}`,
  (s) => s.replace("- ", "-   "),
  (s) => `${s}...\n`,
];

describe("the YAML fast path", () => {
  it("reads every document it accepts exactly as the yaml package does", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        doc.filter((d) => d.kind !== "scalar"),
        fc.constantFrom(2, 4),
        fc.boolean(),
        fc.nat(MUTATIONS.length - 1),
        (d, step, compact, mutation) => {
          const text = MUTATIONS[mutation](`${render(d, step, compact).join("\n")}\n`);
          const fast = parseSimpleYaml(text);
          if (fast === undefined) return;
          accepted++;
          const full = yamlParse(text);
          expect(full.ok).toBe(true);
          if (full.ok) expect(fast).toEqual(full.value);
        },
      ),
      { numRuns: 3000 },
    );
    // The comparison means something only if the fast path takes a fair share of the documents.
    expect(accepted).toBeGreaterThan(300);
  });

  it("takes the usual embedded documents: app config, env lists", () => {
    const config =
      "server:\n  port: 8080\n  name: worker-5\nsandbox:\n  template: code-interpreter-v1\n  timeoutSeconds: 300\n" +
      "  metadata:\n    - user_id\n    - request_id\ne2b:\n  apiKeySecretRef: e2b-api-key\n";
    const env = 'env:\n- name: E2B_API_KEY\n  value: "abc"\n- name: LOG_LEVEL\n  value: info\n';
    for (const text of [config, env]) {
      expect(parseSimpleYaml(text)).toEqual(
        yamlParse(text).ok && (yamlParse(text) as { value: unknown }).value,
      );
    }
    expect(parseSimpleYaml(config)).toBeDefined();
    expect(parseSimpleYaml(env)).toBeDefined();
  });

  it("leaves anchors, tags, flow collections, block scalars and comments to the yaml package", () => {
    for (const text of [
      "a: &x b\nc: *x\n",
      "a: !Ref b\n",
      "a: {b: c}\n",
      "a: |\n  text\n",
      "a: b # note\n",
      "a: b\n  continued\n",
    ])
      expect(parseSimpleYaml(text)).toBeUndefined();
  });
});
