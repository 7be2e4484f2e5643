// Streaming line reader over a file: yields raw lines with their 1-based number and byte offset, and tells a
// complete line (ended by "\n") from a torn tail (bytes after the last newline, as a crash mid-write leaves).
import { promises as fs } from "node:fs";

export interface RawLine {
  /** the line's bytes, without the newline */
  readonly bytes: Buffer;
  /** 1-based */
  readonly line: number;
  /** byte offset of the line's first byte in the file */
  readonly offset: number;
  /** false for the torn tail: bytes after the last newline */
  readonly complete: boolean;
}

const CHUNK = 1 << 20;
/** A line longer than this is reported as too long (bytes beyond it are skipped), so a corrupt file cannot exhaust memory. */
export const MAX_LINE_BYTES = 16 << 20;

export class LineTooLong {
  constructor(readonly line: number, readonly offset: number) {}
}

/** Throws the fs error if the file cannot be opened or read; yields LineTooLong for an oversized line and stops. */
export async function* readLines(file: string): AsyncGenerator<RawLine | LineTooLong> {
  const handle = await fs.open(file, "r");
  try {
    let carry: Buffer[] = [];
    let carryLen = 0;
    let lineNo = 1;
    let lineStart = 0; // file offset of the current line
    let filePos = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, filePos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, from);
        if (nl < 0) break;
        const piece = chunk.subarray(from, nl);
        const bytes = carryLen === 0 ? Buffer.from(piece) : Buffer.concat([...carry, piece]);
        carry = [];
        carryLen = 0;
        if (bytes.length > MAX_LINE_BYTES) {
          yield new LineTooLong(lineNo, lineStart);
          return;
        }
        yield { bytes, line: lineNo, offset: lineStart, complete: true };
        lineNo++;
        lineStart = filePos + nl + 1;
        from = nl + 1;
      }
      if (from < bytesRead) {
        carry.push(Buffer.from(chunk.subarray(from)));
        carryLen += bytesRead - from;
        if (carryLen > MAX_LINE_BYTES) {
          yield new LineTooLong(lineNo, lineStart);
          return;
        }
      }
      filePos += bytesRead;
    }
    if (carryLen > 0) yield { bytes: Buffer.concat(carry), line: lineNo, offset: lineStart, complete: false };
  } finally {
    await handle.close();
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding (a BOM is kept, so it makes the line invalid JSON); null on invalid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}
