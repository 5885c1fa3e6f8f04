/**
 * A fast path for the plainest YAML documents embedded in strings (ConfigMap data, app configs,
 * Kubernetes env lists): block mappings and sequences of `key: value` and `- value` lines whose
 * scalars are plain words, decimal integers, booleans, null or simply quoted text. Such a document is
 * read here in one pass, about 20× faster than the `yaml` package composes it; anything else
 * (comments, flow collections, anchors, tags, block scalars, multi-line scalars, escapes, tabs,
 * numbers other than plain integers, keys YAML would resolve to something else) answers `undefined`
 * and is left to `yaml`. What this returns equals what `yaml.parse` returns for the same text
 * (tests/policies/detect/simple-yaml.property.test.ts compares them).
 */
import type { Tree } from "./walk";

/** `key:` or `key: value`; the key a word YAML reads as a string, the value whatever follows. */
const MAP_LINE = /^([A-Za-z_][A-Za-z0-9_.\-/]*):(?: (.*))?$/;
/** Plain scalars kept to characters that cannot start or end a YAML construct inside a line. */
const PLAIN = /^[A-Za-z0-9_/](?:[A-Za-z0-9_.\-/@+=, ]*[A-Za-z0-9_.\-/@+=])?$/;
/** Quoted text without escapes or quotes inside, printable ASCII only. */
const DOUBLE_QUOTED = /^"([ !#-[\]-~]*)"$/;
const SINGLE_QUOTED = /^'([ -&(-~]*)'$/;
const INTEGER = /^[0-9]+$/;
/** Words the core schema resolves to something other than a string. */
const SPECIAL: Record<string, boolean | null> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
  null: null,
  Null: null,
  NULL: null,
};
/** Keys YAML would not turn into the same string property (special words, the prototype). */
const BAD_KEYS = new Set([...Object.keys(SPECIAL), "__proto__"]);

interface Line {
  indent: number;
  text: string;
}

/** Thrown to abandon the fast path; never escapes this module. */
const NOT_SIMPLE = new Error("not simple YAML");

export function parseSimpleYaml(text: string): Tree | undefined {
  if (text.includes("\t") || text.includes("\r") || text.includes("#")) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split("\n")) {
    let indent = 0;
    while (indent < raw.length && raw.charCodeAt(indent) === 32) indent++;
    if (indent === raw.length) continue; // blank line
    if (raw.charCodeAt(raw.length - 1) === 32) return undefined; // trailing blanks
    lines.push({ indent, text: raw.slice(indent) });
  }
  if (lines.length === 0 || lines[0].indent !== 0) return undefined;
  const state = { lines, at: 0 };
  try {
    const doc = block(state, 0);
    return state.at === lines.length ? doc : undefined;
  } catch {
    // NOT_SIMPLE, or a stack overflow on absurd nesting: `yaml` decides.
    return undefined;
  }
}

type State = { lines: Line[]; at: number };

/** A mapping or sequence whose lines start at column `indent`. */
function block(s: State, indent: number): Tree {
  const first = s.lines[s.at];
  return isItem(first.text) ? sequence(s, indent) : mapping(s, indent, first.text);
}

function isItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** Block mapping at `indent`; `firstText` is its first line (a sequence item's rest, or a whole line). */
function mapping(s: State, indent: number, firstText: string): Tree {
  const out: { [key: string]: Tree } = {};
  let text = firstText;
  for (;;) {
    const m = MAP_LINE.exec(text);
    if (!m || BAD_KEYS.has(m[1])) throw NOT_SIMPLE;
    s.at++;
    out[m[1]] = m[2] === undefined ? nested(s, indent, true) : scalar(m[2]);
    const next = s.lines[s.at];
    if (!next || next.indent < indent) return out;
    if (next.indent > indent || isItem(next.text)) throw NOT_SIMPLE;
    text = next.text;
  }
}

/** Block sequence at `indent`: `- value`, `-` then a nested block, or `- key: value` opening a mapping. */
function sequence(s: State, indent: number): Tree {
  const out: Tree[] = [];
  for (;;) {
    const line = s.lines[s.at];
    if (line.text === "-") {
      s.at++;
      out.push(nested(s, indent, false));
    } else {
      let column = indent + 2;
      while (line.text.charCodeAt(column - indent) === 32) column++;
      const rest = line.text.slice(column - indent);
      if (isItem(rest)) throw NOT_SIMPLE;
      if (MAP_LINE.test(rest)) {
        // The item's mapping continues on lines at the column of its first key.
        s.lines[s.at] = { indent: column, text: rest };
        out.push(mapping(s, column, rest));
      } else {
        s.at++;
        out.push(scalar(rest));
      }
    }
    const next = s.lines[s.at];
    if (!next || next.indent < indent || (next.indent === indent && !isItem(next.text))) return out;
    if (next.indent > indent) throw NOT_SIMPLE;
  }
}

/**
 * The value of `key:` (or of a bare `-`): a block on the following lines, or null. A mapping's value
 * may be a sequence at the mapping's own indentation (`key:\n- a`).
 */
function nested(s: State, indent: number, inMapping: boolean): Tree {
  const next = s.lines[s.at];
  if (!next || next.indent < indent) return null;
  if (next.indent > indent) return block(s, next.indent);
  if (inMapping && isItem(next.text)) return sequence(s, indent);
  return null;
}

function scalar(text: string): Tree {
  const dq = DOUBLE_QUOTED.exec(text) ?? SINGLE_QUOTED.exec(text);
  if (dq) return dq[1];
  if (!PLAIN.test(text) || text.includes(": ")) throw NOT_SIMPLE;
  if (INTEGER.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw NOT_SIMPLE;
    return n;
  }
  if (Object.prototype.hasOwnProperty.call(SPECIAL, text)) return SPECIAL[text];
  if (/^[0-9]/.test(text)) throw NOT_SIMPLE; // 1.5, 1e3, 0x1F, 0o17 … are numbers to YAML
  return text;
}
