/**
 * A program's stdout and stderr as one log for error messages, interleaved by whole lines: a line one
 * stream writes in pieces stays whole (a key printed in two writes is one key to the redactor, not
 * two fragments with the other stream's text between them), and a line never runs into the other
 * stream's next one. Only the last `maxBytes` (about) are kept, of the log and of each stream's own.
 *
 * A line still unfinished past `maxBytes` is not kept at all, only a notice of it: cut into pieces,
 * a key (or an encoded copy of one) across a cut would leave a piece holding part of it that no
 * redactor recognizes, and the piece with its head may be the one dropped to stay within the limit.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { TOKEN_CHAR, inert, redactKeys } from "../policies/detect/keys";
import { withholdDumps } from "../policies/detect/redact";
import { maskSpelledKeys } from "../policies/detect/spelled-keys";
import { MAX_KNOWN_KEYS } from "./secret-values";

interface Lines {
  lines: string[];
  bytes: number;
}

interface StreamState {
  decoder: StringDecoder;
  /** The current job's end marker has come through this stream. */
  ended: boolean;
  /** The stream's unfinished line. */
  text: string;
  /** Inside a line already noted as too long: the rest of it, up to its end, is dropped. */
  overlong: boolean;
  own: Lines;
}

/** What stands for an unfinished line longer than the limit. */
export const OVERLONG_LINE = (maxBytes: number) =>
  `[a line longer than ${maxBytes} characters was printed here; it is not shown]`;

/**
 * A warm worker answers over IPC, a channel apart from the program's stdout and stderr, so its reply
 * (or its exit) can arrive while the last of the program's output is still in the pipes. Before it
 * replies, the worker writes the job's end marker (chosen by the parent, never shown) to both
 * streams; the parent waits for it on each before it reads the output.
 */
interface EndWait {
  marker: string;
  done: () => void;
  promise: Promise<void>;
}

export class ProgramOutput {
  private readonly all: Lines = { lines: [], bytes: 0 };
  private readonly partial = new Map<Readable, StreamState>();
  private end: EndWait | undefined;
  /**
   * The last characters of both streams as they arrived, chunk by chunk, terminal controls left out
   * (as a terminal shows them): a key a program writes across them on one line (its head on stdout,
   * its tail on stderr, a colour reset between) is whole only in this order, while the logs above keep
   * each stream's line apart. Never shown; each chunk is searched with what came before it, and the
   * keys found are kept as pieces (`keyPieces`) for `maskPieces`.
   */
  private transcript = "";
  /** Every 8-digit piece of each key the transcript has spelt, however long ago. */
  private readonly keyPieces = new Set<string>();
  /**
   * The digits of the keys the transcript spelt, and of those the run knows (its decrypted config,
   * its environment, the files beside the program: secret-values.ts), read only once the output is
   * (a failed program's): masked when spelled out a character at a time, before the redactor reads the
   * output and it is cut to its last lines (rt54 #1: a redactor that masked the first part of a
   * spelling left too few digits after it to know).
   */
  private readonly spelt = new Set<string>();
  private known: { read: () => Iterable<string>; keys?: ReadonlySet<string> } | undefined;

  constructor(private readonly maxBytes: number) {}

  /** From now on, `marker` on a stream ends the current job's output there (see `ended`). */
  expectEnd(marker: string): void {
    for (const s of this.partial.values()) s.ended = false;
    let done = () => {};
    const promise = new Promise<void>((resolve) => (done = resolve));
    this.end = { marker, done, promise };
  }

  /** Resolves once every stream has shown the marker `expectEnd` named, or after `timeoutMs`. */
  async ended(timeoutMs: number): Promise<void> {
    if (!this.end) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.end.promise, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** `text` with the end marker taken out, noting that `state`'s stream reached it. */
  private takeMarker(text: string, state: StreamState): string {
    const end = this.end;
    if (!end || state.ended || !text.includes(end.marker)) return text;
    state.ended = true;
    if ([...this.partial.values()].every((s) => s.ended)) end.done();
    return text.replace(end.marker, "");
  }

  /** Collect `stream`'s output until it ends. */
  listen(stream: Readable): void {
    // A multi-byte character split between two chunks is decoded whole.
    const state: StreamState = {
      decoder: new StringDecoder("utf8"),
      ended: false,
      text: "",
      overlong: false,
      own: { lines: [], bytes: 0 },
    };
    this.partial.set(stream, state);
    stream.on("data", (chunk: Buffer) => {
      const decoded = state.decoder.write(chunk);
      const searched = this.transcript + decoded.replace(TERMINAL_CONTROLS, "");
      this.transcript = searched.slice(-TRANSCRIPT_KEPT);
      for (const m of searched.matchAll(KEY_IN_TRANSCRIPT)) {
        addKeyPieces(this.keyPieces, m[1]);
        this.spelt.add(m[1].toLowerCase());
      }
      let text = this.takeMarker(state.text + decoded, state);
      if (state.overlong) {
        const end = text.indexOf("\n");
        if (end < 0) return;
        text = text.slice(end + 1);
        state.overlong = false;
      }
      const parts = text.split("\n");
      state.text = parts.pop()!;
      // A finished line is kept whole, however long: the redactor sees all of it.
      for (const line of parts) this.push(line, state.own);
      if (state.text.length > this.maxBytes) {
        this.push(OVERLONG_LINE(this.maxBytes), state.own);
        state.text = "";
        state.overlong = true;
      }
    });
  }

  /**
   * Each stream's own output, in the order `listen` was called: what one stream printed in pieces
   * (a blob in two `console.log`s) is adjacent here even when the other stream wrote between them,
   * so a redactor can join it.
   */
  streams(): string[] {
    return [...this.partial.values()].map((s) =>
      this.maskPieces([...s.own.lines, ...(s.text ? [s.text] : [])].join("\n")),
    );
  }

  /**
   * Everything kept, then each stream's unfinished line (a character still split between chunks is
   * left to the decoder, which may yet get its last bytes).
   */
  text(): string {
    const open = [...this.partial.values()].map((s) => s.text).filter((t) => t);
    return this.maskPieces([...this.all.lines, ...open].join("\n"));
  }

  /**
   * `text` with every run of eight or more hex digits that is part of a key the transcript spells
   * replaced by `…` (a whole key in its place aside): the pieces of a key written across both
   * streams, which no redactor could join.
   */
  private maskPieces(text: string): string {
    const known = this.known && (this.known.keys ??= new Set(this.known.read()));
    return maskSpelledKeys(maskKeyPieces(text, this.keyPieces), keysToSpell(known ?? [], this.spelt), "…");
  }

  /** Where to read the digits of keys the run knows (lower case), should the output be read. */
  knowKeys(read: () => Iterable<string>): void {
    this.known = { read };
  }

  /** Forget what was collected (a warm worker's next program). */
  clear(): void {
    this.transcript = "";
    this.keyPieces.clear();
    this.spelt.clear();
    this.known = undefined;
    this.all.lines = [];
    this.all.bytes = 0;
    for (const s of this.partial.values()) {
      s.text = "";
      s.overlong = false;
      s.decoder = new StringDecoder("utf8");
      s.ended = false;
      s.own.lines = [];
      s.own.bytes = 0;
    }
  }

  private push(line: string, own: Lines): void {
    for (const into of [this.all, own]) {
      into.lines.push(line);
      into.bytes += line.length + 1;
      while (into.bytes > this.maxBytes && into.lines.length > 1) {
        const dropped = into.lines.shift()!;
        into.bytes -= dropped.length + 1;
        if (RUN_END.test(dropped)) cutContinuation(into);
      }
    }
  }
}

/**
 * How much of the transcript is kept between chunks: all of a key but its last character, so a key
 * whose last piece comes in a chunk is found with the pieces before it, and each character is searched
 * a bounded number of times.
 */
const TRANSCRIPT_KEPT = 43;
/** ANSI escape sequences (CSI, OSC, two-character) and other C0/C1 controls but the line feed. */
const TERMINAL_CONTROLS =
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])|[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/** A key in the transcript, and its hex digits. */
/**
 * The keys whose spellings a failed program's output is masked for: the run's own first, then those
 * the program printed whole, as many as a run may know (masking costs time in step with the keys:
 * 2,000 printed keys took 6.7 s per 64 KB read).
 */
export function keysToSpell(known: Iterable<string>, printed: Iterable<string>): string[] {
  return [...new Set([...known, ...printed])].slice(0, MAX_KNOWN_KEYS);
}

const KEY_IN_TRANSCRIPT = /e2b_([0-9a-f]{40})(?![0-9a-f])/gi;
/** The shortest piece of a key's digits masked on its own. */
const PIECE = 8;
const HEX_RUN = new RegExp(`[0-9a-fA-F]{${PIECE},}`, "g");

/** Every 8-digit piece of a key's 40 hex digits, added to `pieces`. */
export function addKeyPieces(pieces: Set<string>, hex: string): void {
  const h = hex.toLowerCase();
  for (let i = 0; i + PIECE <= h.length; i++) pieces.add(h.slice(i, i + PIECE));
}

/**
 * `text` with every run of eight or more hex digits that holds one of `pieces` replaced by `…` (a
 * whole key in its place aside: the redactor's, which shows its last four).
 */
export function maskKeyPieces(text: string, pieces: ReadonlySet<string>): string {
  if (pieces.size === 0) return text;
  return text.replace(HEX_RUN, (run, at: number) => {
    if (run.length === 40 && text.slice(Math.max(0, at - 4), at).toLowerCase() === "e2b_") return run;
    const r = run.toLowerCase();
    for (let i = 0; i + PIECE <= r.length; i++) if (pieces.has(r.slice(i, i + PIECE))) return "…";
    return run;
  });
}

/** A line ending in a run that may go on in the next line (a key, a wrapped blob). */
const RUN_END = new RegExp(`${TOKEN_CHAR}$`);
const RUN_START = new RegExp(`^\\s*${TOKEN_CHAR}{8,}`);
const WHOLE_RUN = new RegExp(`^\\s*${TOKEN_CHAR}+\\s*$`);

/**
 * What is left after a dropped line that may have gone on in it: the head of a key printed over two
 * lines, or of a blob wrapped over many, is gone, and what follows would spell its digits with
 * nothing a redactor recognizes. The run that continues it is not kept (rows of a blob, whole).
 */
function cutContinuation(into: Lines): void {
  for (let i = 0; i < into.lines.length; i++) {
    const l = into.lines[i];
    if (WHOLE_RUN.test(l) && l.trim().length >= 8) {
      into.lines[i] = "…";
      into.bytes -= l.length - 1;
      continue;
    }
    const cut = l.replace(RUN_START, "…");
    into.bytes -= l.length - cut.length;
    into.lines[i] = cut;
    return;
  }
}

/**
 * Program output as it is relayed: colours dropped (the SDK colours its errors with util.inspect), and
 * so are OSC and DCS strings (a window title, a hyperlink's target: nothing a reader is shown in the
 * text, and a key split by one is whole once it is gone); every other control character is written
 * `\uXXXX`, so a terminal shows what the redactor read: a `\r`, a backspace or a cursor move cannot
 * put back together on screen a key the text holds in pieces.
 */
/**
 * What a program printed as it is relayed, keys masked; a dump of key material withheld first, whose
 * rows redactKeys would otherwise run together (a row's `e2b_…` with the next row's offset, rt48 #1).
 */
export function redactedOutput(text: string): string {
  return redactKeys(withholdDumps(relayable(text)));
}

export function relayable(s: string): string {
  return inert(s.replace(COLOUR, "").replace(OSC_OR_DCS, "").replace(/\r\n/g, "\n"));
}

// eslint-disable-next-line no-control-regex -- escape sequences are what these find
const COLOUR = /\u001b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const OSC_OR_DCS = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001bP[^\u001b]*\u001b\\/g;
