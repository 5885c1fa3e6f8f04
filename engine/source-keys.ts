/**
 * Keys in the program's own files, for what its errors quote from them. Node shows the source line
 * of a SyntaxError (`…/index.js:2`, the line, a caret row): a key split over two source lines to get
 * past push protection shows there as its last digits alone, which no redactor can tell from other
 * hex without the key's prefix. The files an error names are read (bounded), the keys written in them
 * found (plain, or as joined strings; engine/ reads keys as keys.ts does, not the pack's detector),
 * and any run of eight or more of their digits in the error is masked. Encoded copies need no key to
 * be masked: the redactor decodes them.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { addKeyPieces, maskKeyPieces } from "./program-output";

/** Source files named as `<absolute path>.<ext>:<line>` in an error. */
const SOURCE_AT = /(\/[^\s:()'"`]+\.(?:[cm]?[jt]sx?)):\d+/g;
const MAX_FILES = 8;
/** The prefix, then hex digits and what joins strings (quotes, blanks, `+`, `,`, `.concat(`, `${ }`). */
const WRITTEN_KEY = /e2b_((?:[0-9a-f]|["'`\s+,(){}$]|\.concat){40,200})/gi;
const MAX_BYTES = 1024 * 1024;

/** `text` with every piece of a key that a source file it names holds masked. */
export function maskKeysOfQuotedSources(text: string, root: string): string {
  const files = [...new Set([...text.matchAll(SOURCE_AT)].map((m) => m[1]))]
    .filter((f) => !path.relative(root, f).startsWith(".."))
    .slice(0, MAX_FILES);
  const pieces = new Set<string>();
  for (const file of files) {
    let source: string;
    try {
      if (statSync(file).size > MAX_BYTES) continue;
      source = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    // A key as it is, or cut into joined strings (`"e2b_…" +` a line break `"…"`, `.concat(`, `${…}`):
    // its digits are the first forty after the prefix, whatever glue stands between them.
    for (const m of source.matchAll(WRITTEN_KEY)) {
      const hex = m[1].replace(/\.concat/g, "").replace(/[^0-9a-f]/gi, "");
      if (hex.length >= 40) addKeyPieces(pieces, hex.slice(0, 40));
    }
  }
  return maskKeyPieces(text, pieces);
}
