/** A program's two output streams as one log: whole lines, whatever pieces each stream wrote them in. */
import { PassThrough } from "node:stream";
import { redactKeys } from "../../policies/detect/keys";
import { redactMaterial } from "../../policies/detect/redact";
import { OVERLONG_LINE, ProgramOutput, keysToSpell, relayable } from "../../engine/program-output";

const KEY = "e2b_" + "3f9a1c7e52b8d04f6a1e9c3b7d25f8e06c4a9b1d";
const flush = () => new Promise((r) => setImmediate(r));

describe("ProgramOutput", () => {
  it("keeps a line one stream writes in pieces whole, so the other stream's line never splits a key", async () => {
    const [out, err] = [new PassThrough(), new PassThrough()];
    const log = new ProgramOutput(1024);
    log.listen(out);
    log.listen(err);
    err.write(`leaked: ${KEY.slice(0, 30)}`);
    await flush();
    out.write("ansi: \u001b[31mred\u001b[0m\n");
    await flush();
    err.write(`${KEY.slice(30)}\n`);
    await flush();
    expect(log.text().split("\n")).toEqual(["ansi: \u001b[31mred\u001b[0m", `leaked: ${KEY}`]);
    // The whole key reaches the redactor: masked with its last four characters.
    expect(redactKeys(log.text())).toContain("leaked: e2b_…9b1d");
  });

  it("keeps no piece of a key written on one terminal line across both streams (head on stdout, tail on stderr)", async () => {
    const [out, err] = [new PassThrough(), new PassThrough()];
    const log = new ProgramOutput(1024);
    log.listen(out);
    log.listen(err);
    // The head is shorter than any redactor masks on its own (e2b_ and 18 digits).
    out.write(`a ${KEY.slice(0, 22)}`);
    await flush();
    err.write(`${KEY.slice(22)}\n`);
    await flush();
    out.write("\n");
    await flush();
    const hex = KEY.slice(4);
    for (const text of [log.text(), ...log.streams()])
      for (let i = 0; i + 8 <= hex.length; i++) expect(text).not.toContain(hex.slice(i, i + 8));
    expect(log.text().split("\n").sort()).toEqual(["a e2b_…", "…"]);
    // A colour reset between the pieces, and much other output after them, change nothing.
    const [o2, e2] = [new PassThrough(), new PassThrough()];
    const log2 = new ProgramOutput(64 * 1024);
    log2.listen(o2);
    log2.listen(e2);
    o2.write(`b ${KEY.slice(0, 24)}`);
    await flush();
    e2.write(`\u001b[0m${KEY.slice(24)}\n`);
    await flush();
    o2.write("\n");
    for (let i = 0; i < 300; i++) o2.write(`${"x".repeat(1000)}\n`);
    await flush();
    for (const text of [log2.text(), ...log2.streams()])
      for (let i = 0; i + 8 <= hex.length; i++) expect(text).not.toContain(hex.slice(i, i + 8));
    // A key printed whole in one place is left for the redactor, which shows its last four.
    out.write(`again: ${KEY}\n`);
    await flush();
    expect(redactKeys(log.text())).toContain("again: e2b_…9b1d");
  });

  it("masks a key the run knows spelled a character a line, before a redactor reads a part of it and the rest is cut (rt54 #1)", async () => {
    const out = new PassThrough();
    const log = new ProgramOutput(64 * 1024);
    log.knowKeys(() => [KEY.slice(4)]);
    log.listen(out);
    // pino's line: its constant `level` is also a counter's value, which took over a reader of numbered items.
    for (const [i, c] of [...KEY].entries())
      out.write(
        `${JSON.stringify({ level: 30, time: 1765144701000 + i, pid: 4242, hostname: "ci", i, c })}\n`,
      );
    await flush();
    const relayed = redactMaterial(log.text()).split("\n").slice(-20).join("\n");
    // The prefix's characters stay (no secret), the digits are one mask.
    expect(relayed.match(/"c":"[0-9a-f]"/g)).toEqual(['"c":"e"', '"c":"2"', '"c":"b"']);
    expect(relayed).toMatch(/"i":4,"c":"…"\}$/);
  });

  it("masks the run's own key spelled out first when the program also printed many keys whole (at most 16 are spelled)", async () => {
    const out = new PassThrough();
    const log = new ProgramOutput(64 * 1024);
    log.knowKeys(() => [KEY.slice(4)]);
    log.listen(out);
    for (let n = 1; n <= 100; n++) out.write(`fixture key e2b_${n.toString(16).padStart(40, "0")}\n`);
    for (const [i, c] of [...KEY].entries()) out.write(`char ${i} = ${c}\n`);
    await flush();
    expect(log.text()).toMatch(/char 4 = …$/);
    const printed = Array.from({ length: 100 }, (_, n) => n.toString(16).padStart(40, "0"));
    expect(keysToSpell([KEY.slice(4)], [printed[0], KEY.slice(4), ...printed])).toEqual([
      KEY.slice(4),
      ...printed.slice(0, 15),
    ]);
  });

  it("decodes a character split between two chunks, and keeps an unfinished line at the end", async () => {
    const out = new PassThrough();
    const log = new ProgramOutput(1024);
    log.listen(out);
    const euro = Buffer.from("€");
    out.write(Buffer.concat([Buffer.from("price: 5"), euro.subarray(0, 1)]));
    await flush();
    out.write(Buffer.concat([euro.subarray(1), Buffer.from("\nno newline")]));
    await flush();
    expect(log.text()).toBe("price: 5€\nno newline");
  });

  it("keeps only about the last maxBytes, and forgets everything on clear", async () => {
    const out = new PassThrough();
    const log = new ProgramOutput(100);
    log.listen(out);
    for (let i = 0; i < 50; i++) out.write(`line ${i}\n`);
    await flush();
    const lines = log.text().split("\n");
    expect(lines.at(-1)).toBe("line 49");
    expect(log.text().length).toBeLessThanOrEqual(100);
    log.clear();
    expect(log.text()).toBe("");
  });

  it("shows a notice for an unfinished line past the limit, never a piece of it that starts inside a key", async () => {
    // A one-line JSON dump written in 64 KiB reads: cut into pieces, the piece after the cut would
    // start inside the key (`b_<hex>`), which no redactor recognizes, and the head piece is dropped.
    const out = new PassThrough();
    const log = new ProgramOutput(1024);
    log.listen(out);
    const line = `{"pad":"${"x".repeat(1018)}","k":"${KEY}","more":"${"y".repeat(3000)}"}`;
    for (let i = 0; i < line.length; i += 512) {
      out.write(line.slice(i, i + 512));
      await flush();
    }
    out.write("\nafter the long line\n");
    await flush();
    const text = log.text();
    expect(text.split("\n")).toEqual([OVERLONG_LINE(1024), "after the long line"]);
    expect(text).not.toMatch(/[0-9a-f]{12}/);
  });

  it("keeps a finished long line whole, so its key is masked", async () => {
    const out = new PassThrough();
    const log = new ProgramOutput(1024);
    log.listen(out);
    out.write(`${"z".repeat(900)}`);
    await flush();
    out.write(`${KEY}${"z".repeat(300)}\n`);
    await flush();
    expect(redactKeys(log.text())).toContain("e2b_…9b1d");
    expect(redactKeys(log.text())).not.toContain(KEY.slice(4, 24));
  });

  it("keeps no piece of a key whose first line was dropped to stay within the limit", async () => {
    // The head of a key ends a long finished line and its digits go on in the next one (or a blob's
    // first row ends it and its rows follow): dropping the long line must not leave the rest readable.
    const blobRows = Buffer.from(`E2B_API_KEY=${KEY}\n`.repeat(3))
      .toString("base64")
      .match(/.{1,40}/g)!;
    for (const [head, rest] of [
      [KEY.slice(0, 24), [`${KEY.slice(24)} tail`]],
      [blobRows[0], blobRows.slice(1)],
    ] as const) {
      const out = new PassThrough();
      const log = new ProgramOutput(1024);
      log.listen(out);
      out.write(`${"x".repeat(1000)} ${head}\n`);
      await flush();
      out.write(`${rest.join("\n")}\nlast\n`);
      await flush();
      const text = redactMaterial(log.text());
      expect(text).not.toContain(KEY.slice(24));
      for (const r of rest) expect(text).not.toContain(r.slice(0, 30));
      expect(log.text().split("\n").at(-1)).toBe("last");
    }
  });
});

describe("relayable (program output as it is relayed)", () => {
  const KEY40 = "e2b_3a5f0c9e1b7d2486a0c4e8f13b5d7092c6e4a1f8";
  it("drops colours and OSC/DCS strings, so a key split by one is whole for the redactor", () => {
    for (const cut of ["\x1b]0;title\x07", "\x1b]8;;https://x.test\x1b\\", "\x1bPq#0\x1b\\", "\x1b[31m"])
      expect(redactKeys(relayable(`${KEY40.slice(0, 24)}${cut}${KEY40.slice(24)}`))).toBe("e2b_…a1f8");
  });

  it("writes every other control character as \\uXXXX and keeps line breaks and tabs", () => {
    expect(relayable("a\rb\x08c\x1b[2Kd\r\ne\tf")).toBe("a\\u000db\\u0008c\\u001b[2Kd\ne\tf");
  });
});
