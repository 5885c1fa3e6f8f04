/**
 * Keys in the program's own files, for what its errors quote from them. Node shows the source line
 * of a SyntaxError (`…/index.js:2`, the line, a caret row): a key split over two source lines to get
 * past push protection shows there as its last digits alone, which no redactor can tell from other
 * hex without the key's prefix. The files an error names are read (bounded), the keys written in them
 * found (plain, or as joined strings), and any run of eight or more of their digits in the error is
 * masked. Encoded copies need no key to be masked: the redactor decodes them.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { replaceSplitKeys } from "../policies/detect/material";
import { addKeyPieces, maskKeyPieces } from "./program-output";

/** Source files named as `<absolute path>.<ext>:<line>` in an error. */
const SOURCE_AT = /(\/[^\s:()'"`]+\.(?:[cm]?[jt]sx?)):\d+/g;
const MAX_FILES = 8;
const PLAIN_KEY = /e2b_([0-9a-f]{40})(?![0-9a-f])/gi;
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
    for (const m of source.matchAll(PLAIN_KEY)) addKeyPieces(pieces, m[1]);
    replaceSplitKeys(source, (key) => (addKeyPieces(pieces, key.slice(-40)), ""));
  }
  return maskKeyPieces(text, pieces);
}
