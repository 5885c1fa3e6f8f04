/**
 * Text files as editors and shells write them: UTF-16 with a byte order mark is what Windows
 * PowerShell 5 writes (`>`, `Out-File`). The artifact reader's; engine/limits.ts keeps its own copy,
 * as the engine may not import this module (tests/architecture.test.ts).
 */

/** The text of UTF-16 bytes that start with a byte order mark (LE or BE); undefined without one. */
export function utf16WithBom(b: Buffer): string | undefined {
  if (b[0] === 0xff && b[1] === 0xfe) return b.toString("utf16le", 2);
  if (b[0] === 0xfe && b[1] === 0xff) return utf16be(b.subarray(2));
  return undefined;
}

/** Big-endian UTF-16 bytes as text (an odd last byte is dropped). */
export function utf16be(b: Buffer): string {
  return Buffer.from(b.subarray(0, b.length & ~1))
    .swap16()
    .toString("utf16le");
}
