/**
 * Input limits: what the engine accepts before it builds a single gRPC request. Beyond them a run
 * is one line and exit 2 ("too large: FILE (limit …)"), never a native out-of-memory crash, a
 * stack overflow deep in protobuf, or a pack left running. Measured on this machine (Node 20,
 * google-protobuf's Struct.fromJavaScript, which the analyzer protocol needs): 200,000 property
 * values take ~0.4 GB and 5 s to encode, 1,000,000 take 1.6 GB and 45 s, for each of the two
 * requests (Analyze and AnalyzeStack) and again in the pack; protobuf refuses to decode a Struct
 * nested ~1,090 levels deep ("13 INTERNAL: Error deserializing request").
 *
 * | limit                         | value        | why                                               |
 * |-------------------------------|--------------|---------------------------------------------------|
 * | bytes of a state export       | 128 MiB      | the JSON text, parsed at once                     |
 * | bytes of a policy config      | 4 MiB        | a config is hand-written                          |
 * | property values in one stack  | 2,500,000    | inputs and outputs together (AnalyzeStack): a     |
 * |                               |              | 50,000-resource platform stack from               |
 * |                               |              | bench/generate.ts has ~2.2 M                      |
 * | property values in a resource | 500,000      | one Analyze request; ≈ 0.8 GB to encode           |
 * | nesting of a property tree    | 4,096 levels | state files; deeper subtrees are sent to the pack |
 * |                               |              | flattened (depth-limit.ts), so a deep key is      |
 * |                               |              | still judged; real stacks use <30                 |
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync } from "node:fs";
import { InputError } from "./errors";
import { defaultSignalsWhileIdle } from "./children";
import type { ResourceGraph, WireValue } from "./graph";

export const LIMITS = {
  stateBytes: 128 * 2 ** 20,
  policyConfigBytes: 4 * 2 ** 20,
  /** A Pulumi.yaml or Pulumi.<stack>.yaml (each config value is also held to 128 KiB once parsed). */
  projectFileBytes: 16 * 2 ** 20,
  values: 2_500_000,
  resourceValues: 500_000,
  depth: 4096,
} as const;

export const mib = (n: number) => `${Math.round((n / 2 ** 20) * 10) / 10} MiB`;

/** How long a pipe with a writer may stay silent before its read gives up. */
export const PIPE_SILENCE_MS = 60_000;
/**
 * How long a FIFO may go without a writer: one that was waiting for a reader (`pulumi stack export >
 * fifo &`) opens it as soon as the read begins.
 */
export const FIFO_WRITER_MS = 2_000;
/** How long a whole read from a pipe may take, however its writer spaces what it sends. */
export const PIPE_TOTAL_MS = 300_000;

/** Wait without spinning (the read is synchronous, as is everything that loads input). */
export const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Read a file's text, at most `limit` bytes: a regular file, a pipe (`--state <(pulumi stack
 * export)`) or a device (`/dev/zero` ends at the limit, it is not read for ever).
 *
 * Opened non-blocking: a FIFO that no process writes to would otherwise block open(2) for ever, and
 * with it the event loop, so not even SIGTERM (handled in JavaScript, engine/children.ts) would end
 * the run. A pipe with a writer but no data yet is polled; silent for `silenceMs`, a FIFO without a
 * writer for `writerMs`, or still unfinished after `totalMs` (a writer sending a byte now and then), it
 * is bad input. While the read waits, no signal handler can run: a signal then takes its default
 * action and ends the process at once, when nothing needs cleaning up (children.ts
 * defaultSignalsWhileIdle); otherwise it ends the run once the wait does, after `silenceMs` at most.
 */
export function readBoundedText(file: string, limit: number, waits: PipeWaits = PIPE_WAITS): string {
  return decodeText(readBoundedBytes(file, limit, waits));
}

type PipeWaits = { silenceMs: number; writerMs: number; totalMs?: number };
const PIPE_WAITS: PipeWaits = { silenceMs: PIPE_SILENCE_MS, writerMs: FIFO_WRITER_MS };

/** readBoundedText's read, its bytes as they are (for a file that may be compressed). */
export function readBoundedBytes(file: string, limit: number, waits: PipeWaits = PIPE_WAITS): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  let restoreSignals: (() => void) | undefined;
  let hadWriter = false;
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(1 << 20);
    const fifo = fstatSync(fd).isFIFO();
    const anonymous = fifo && isAnonymousPipe(file);
    const started = Date.now();
    const totalMs = waits.totalMs ?? PIPE_TOTAL_MS;
    let quietSince = started;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "EAGAIN") throw new InputError(`${file}: cannot read (${code ?? String(e)})`, file);
        n = -1; // a pipe with a writer and nothing in it yet
        hadWriter = true;
      }
      if (n > 0) {
        total += n;
        if (total > limit) throw new InputError(`too large: ${file} (limit ${mib(limit)})`, file);
        chunks.push(Buffer.from(buf.subarray(0, n)));
        quietSince = Date.now();
        continue;
      }
      // The end, except for a named FIFO read before its writer opened it (a non-blocking open does
      // not wait for one): then it is given a moment to open it. A writer that closed it without
      // writing leaves it empty, as `cat` reads it; an anonymous pipe (`<(true)`) always had one.
      if (n === 0 && !(fifo && total === 0 && !hadWriter && !anonymous)) break;
      const quiet = Date.now() - quietSince;
      if (n === 0 && quiet > waits.writerMs)
        throw new InputError(
          `${file}: nothing to read: no process opened this pipe to write to it within ${waits.writerMs / 1000} s`,
          file,
        );
      if (quiet > waits.silenceMs)
        throw new InputError(
          `${file}: nothing to read: the process writing to this pipe sent nothing within ${waits.silenceMs / 1000} s`,
          file,
        );
      if (Date.now() - started > totalMs)
        throw new InputError(
          `${file}: the process writing to this pipe did not finish within ${totalMs / 1000} s`,
          file,
        );
      restoreSignals ??= defaultSignalsWhileIdle();
      pause(10);
    }
    return Buffer.concat(chunks, total);
  } finally {
    restoreSignals?.();
    closeSync(fd);
  }
}

/**
 * Text as editors and shells write it: UTF-8, its byte order mark dropped, or UTF-16 with one (what
 * Windows PowerShell 5's `pulumi stack export > prod.json` writes) or without (its first characters,
 * ASCII in JSON and YAML, give it away).
 */
export function decodeText(b: Buffer): string {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.toString("utf8", 3);
  if (b[0] === 0xff && b[1] === 0xfe) return b.toString("utf16le", 2);
  if (b[0] === 0xfe && b[1] === 0xff) return utf16be(b.subarray(2));
  // UTF-16 without a mark: JSON and YAML start with ASCII, so every other byte of it is zero.
  if (b.length >= 4 && b[0] !== 0 && b[1] === 0 && b[2] !== 0 && b[3] === 0) return b.toString("utf16le");
  if (b.length >= 4 && b[0] === 0 && b[1] !== 0 && b[2] === 0 && b[3] !== 0) return utf16be(b);
  return b.toString("utf8");
}

/**
 * Its own copy of policies/detect/text.ts utf16be: the engine may import only the key redactor, the
 * enforcement levels and the config markers from the pack (tests/architecture.test.ts).
 */
function utf16be(b: Buffer): string {
  return Buffer.from(b.subarray(0, b.length & ~1))
    .swap16()
    .toString("utf16le");
}

/**
 * How deep a JSON text may nest before the pass below takes what lies deeper out as a string: far past
 * LIMITS.depth (what the loader reads as a tree), so the loader reads it as text all the same, but
 * JSON.parse never builds millions of nested arrays (30 million in 60 MB took 3 GB).
 */
export const TEXT_DEPTH = 2 * LIMITS.depth;

/** Characters JSON allows outside strings: structure, blanks, numbers, `true`, `false`, `null`. */
const BARE = new Uint8Array(128);
for (const c of "[]{},: \t\r\n0123456789+-.eEtruefalsn") BARE[c.charCodeAt(0)] = 1;

/**
 * Count a JSON text's values before it is parsed (one pass): parsing a million-key object costs
 * seconds and hundreds of MB before any check could run on the parsed tree. Counts separators outside
 * strings, so it is exact for arrays and objects alike, give or take one per container. Returns the
 * text to parse: as it is, or with each part nested deeper than `maxDepth` replaced by one string
 * holding that part's strings (names and values, unescaped as JSON.parse would, one per line: what the
 * loader reads of a part past its own depth limit). A cut part is checked as it is read (its strings,
 * its brackets, nothing else outside strings); it is not parsed. `counts.members`, when given, is set
 * to the number of object members outside the cut parts (colons outside strings), for
 * `refuseRepeatedMembers`.
 */
export function checkJsonSize(
  text: string,
  file: string,
  maxDepth = TEXT_DEPTH,
  counts?: { members: number },
): string {
  const invalid = (why: string) => new InputError(`${file}: not valid JSON (${why})`, file);
  let inString = false;
  let escaped = false;
  let values = 1;
  let members = 0;
  let depth = 0;
  let cutFrom = -1;
  let stringFrom = -1;
  /** The cut part's open brackets, `[` as 0 and `{` as 1 (a part can nest millions deep). */
  let kinds = new Uint8Array(0);
  let cutStrings: string[] = [];
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) {
        inString = false;
        if (cutFrom >= 0) {
          try {
            cutStrings.push(JSON.parse(text.slice(stringFrom, i + 1)) as string);
          } catch {
            throw invalid(`a string at character ${stringFrom} is malformed`);
          }
        }
      }
      continue;
    }
    if (c === 34) {
      inString = true;
      stringFrom = i;
    } else if (c === 44 && ++values > LIMITS.values)
      throw new InputError(
        `too large: ${file} (limit ${LIMITS.values.toLocaleString("en-US")} property values per stack)`,
        file,
      );
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) {
        if (cutFrom < 0) cutFrom = i;
        const at = depth - maxDepth - 1;
        if (at >= kinds.length) {
          const grown = new Uint8Array(Math.max(1024, kinds.length * 2));
          grown.set(kinds);
          kinds = grown;
        }
        kinds[at] = c === 123 ? 1 : 0;
      }
    } else if (c === 93 || c === 125) {
      if (depth > maxDepth && kinds[depth - maxDepth - 1] !== (c === 125 ? 1 : 0))
        throw invalid(`a bracket at character ${i} closes another kind`);
      if (depth-- === maxDepth + 1 && cutFrom >= 0) {
        parts.push(text.slice(copied, cutFrom), JSON.stringify(cutStrings.join("\n")));
        copied = i + 1;
        cutFrom = -1;
        cutStrings = [];
      }
    } else if (c === 58 && cutFrom < 0) members++;
    else if (cutFrom >= 0 && (c >= 128 || BARE[c] === 0)) throw invalid(`unexpected character at ${i}`);
  }
  if (cutFrom >= 0) throw invalid("brackets are not balanced");
  if (counts) counts.members = members;
  if (parts.length === 0) return text;
  parts.push(text.slice(copied));
  return parts.join("");
}

/** What is left of a stack's value budget, and of the current resource's, while its trees are checked. */
export interface ValueBudget {
  left: number;
  resourceLeft: number;
}

export function valueBudget(): ValueBudget {
  return { left: LIMITS.values, resourceLeft: LIMITS.resourceValues };
}

/** The trees checked from now on belong to the next resource (or to none: the deployment's fields). */
export function nextResource(budget: ValueBudget): void {
  budget.resourceLeft = LIMITS.resourceValues;
}

/** Count `n` more property values against the stack's and the resource's budgets (one line if past). */
export function spendValues(budget: ValueBudget, n: number, file: string, at: string): void {
  budget.left -= n;
  budget.resourceLeft -= n;
  if (budget.left < 0)
    throw new InputError(
      `too large: ${file} (limit ${LIMITS.values.toLocaleString("en-US")} property values per stack; passed at ${at})`,
      file,
    );
  if (budget.resourceLeft < 0)
    throw new InputError(
      `too large: ${file} (limit ${LIMITS.resourceValues.toLocaleString("en-US")} property values per resource; passed at ${at})`,
      file,
    );
}

/**
 * Check one property tree against the limits without recursion (a tree too deep for the limit is
 * also too deep for a recursive walk). `at` names the tree in messages, `file` the input.
 */
export function checkTree(
  tree: unknown,
  at: string,
  file: string,
  budget: ValueBudget,
  startDepth = 0,
  maxDepth: number = LIMITS.depth,
  /**
   * A node at the depth limit is handed here with where it sits, instead of failing the input;
   * whatever the callback puts in its place is not descended into.
   */
  onTooDeep?: (value: object, holder: Record<string | number, unknown>, key: string | number) => void,
): void {
  const spend = (n: number) => spendValues(budget, n, file, at);
  spend(1);
  type Item = [unknown, number, Record<string | number, unknown> | undefined, string | number];
  const stack: Item[] = [[tree, startDepth, undefined, ""]];
  while (stack.length > 0) {
    const [v, depth, holder, key] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= maxDepth) {
      if (onTooDeep && holder) {
        onTooDeep(v, holder, key);
        continue;
      }
      throw new InputError(
        `${file}: field '${at}' nests deeper than ${LIMITS.depth} levels (the limit for a property tree)`,
        file,
      );
    }
    // Children are counted before they are queued: a million-key object fails here, at once.
    const o = v as Record<string | number, unknown>;
    if (Array.isArray(v)) {
      spend(v.length);
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x !== null && typeof x === "object") stack.push([x, depth + 1, o, i]);
      }
    } else {
      const keys = Object.keys(v);
      spend(keys.length);
      for (const k of keys) {
        const x = o[k];
        if (x !== null && typeof x === "object") stack.push([x, depth + 1, o, k]);
      }
    }
  }
}

/**
 * The same limits for a graph from any source (a program's registrations too), checked before any
 * request is built: names the source and the resource.
 */
export function checkGraphLimits(graph: ResourceGraph): void {
  const budget = valueBudget();
  for (const r of graph.resources) {
    nextResource(budget);
    for (const stage of ["inputs", "outputs"] as const) {
      // Depth is not limited here: the analyzer host sends deep subtrees flattened (depth-limit.ts), so
      // a program's deeply nested resource is still judged. State files keep their nesting limit.
      checkTree(
        r[stage] as WireValue,
        `${r.name} (${r.type}) ${stage}`,
        graph.source.path,
        budget,
        0,
        Infinity,
      );
    }
  }
}

/**
 * JSON.parse keeps the last of an object's members that share a name, and nothing of the others is
 * left to check: a key in a shadowed member would go unseen. Pulumi never writes such a file, so one
 * is bad input. `members` is checkJsonSize's count of the text's members; the parsed tree's are
 * counted (one walk), and only when they differ is the text walked again to name the member.
 */
export function refuseRepeatedMembers(text: string, parsed: unknown, members: number, file: string): void {
  let count = 0;
  let proto = false;
  const stack: unknown[] = [parsed];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === "object") {
      for (const k in v) {
        count++;
        if (k === "__proto__") proto = true;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  if (count !== members)
    throw new InputError(
      `${file}: field '${memberWhere(text, "repeated") ?? "(unknown)"}' is a member name its object repeats (JSON would keep only the last; Pulumi never writes one)`,
      file,
    );
  // The pack reads properties as google-protobuf decodes them, which drops a `__proto__` key and what
  // it holds (as under the Pulumi CLI): unchecked, so refused.
  if (proto)
    throw new InputError(
      `${file}: field '${memberWhere(text, "__proto__") ?? "(unknown)"}' is a member named __proto__, which the policy protocol drops with what it holds (Pulumi never writes one)`,
      file,
    );
}

/**
 * The path of the first member in JSON text that is repeated in its object, or named `__proto__` (the
 * slow path: a set per open object).
 */
function memberWhere(text: string, what: "repeated" | "__proto__"): string | undefined {
  const open: Array<{ keys: Set<string> | undefined; path: string; index: number }> = [];
  let lastString = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      lastString = JSON.parse(text.slice(i, j + 1)) as string;
      i = j;
    } else if (c === 123 || c === 91) {
      const top = open[open.length - 1];
      const at = top
        ? top.keys
          ? `${top.path}${top.path ? "." : ""}${lastString}`
          : `${top.path}[${top.index}]`
        : "";
      open.push({ keys: c === 123 ? new Set() : undefined, path: at, index: 0 });
    } else if (c === 125 || c === 93) open.pop();
    else if (c === 44) {
      const top = open[open.length - 1];
      if (top && !top.keys) top.index++;
    } else if (c === 58) {
      const top = open[open.length - 1];
      if (!top?.keys) continue;
      const path = `${top.path}${top.path ? "." : ""}${lastString}`;
      if (what === "__proto__" ? lastString === "__proto__" : top.keys.has(lastString)) return path;
      top.keys.add(lastString);
    }
  }
  return undefined;
}

/** `/dev/fd/N` (or `/proc/self/fd/N`) naming a pipe a shell made (`<(…)`, `|`): it had a writer. */
function isAnonymousPipe(file: string): boolean {
  try {
    return /^pipe:\[/.test(readlinkSync(file));
  } catch {
    return false;
  }
}
