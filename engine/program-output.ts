/**
 * A program's stdout and stderr as one log for error messages, interleaved by whole lines: a line one
 * stream writes in pieces stays whole (a key printed in two writes is one key to the redactor, not
 * two fragments with the other stream's text between them), and a line never runs into the other
 * stream's next one. Only the last `maxBytes` (about) are kept.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

export class ProgramOutput {
  private lines: string[] = [];
  private bytes = 0;
  private readonly partial = new Map<Readable, { decoder: StringDecoder; text: string }>();

  constructor(private readonly maxBytes: number) {}

  /** Collect `stream`'s output until it ends. */
  listen(stream: Readable): void {
    // A multi-byte character split between two chunks is decoded whole.
    const state = { decoder: new StringDecoder("utf8"), text: "" };
    this.partial.set(stream, state);
    stream.on("data", (chunk: Buffer) => {
      const parts = (state.text + state.decoder.write(chunk)).split("\n");
      state.text = parts.pop()!;
      for (const line of parts) this.push(line);
      // A line without an end is kept whole up to the limit, then goes in as it is.
      if (state.text.length > this.maxBytes) {
        this.push(state.text);
        state.text = "";
      }
    });
  }

  /**
   * Everything kept, then each stream's unfinished line (a character still split between chunks is
   * left to the decoder, which may yet get its last bytes).
   */
  text(): string {
    const open = [...this.partial.values()].map((s) => s.text).filter((t) => t);
    return [...this.lines, ...open].join("\n");
  }

  /** Forget what was collected (a warm worker's next program). */
  clear(): void {
    this.lines = [];
    this.bytes = 0;
    for (const s of this.partial.values()) {
      s.text = "";
      s.decoder = new StringDecoder("utf8");
    }
  }

  private push(line: string): void {
    this.lines.push(line);
    this.bytes += line.length + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1) this.bytes -= this.lines.shift()!.length + 1;
  }
}
