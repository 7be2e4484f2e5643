// Reading a log file's lines as they are, streamed: an auditor's range of receipts never holds the whole log in
// memory. Only complete lines count (a last line without its newline is a write still in progress).
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

/** The complete lines of `file`, in order; none when it does not exist. */
export async function* completeLines(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: "utf8" });
  let rest = "";
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        yield rest.slice(0, nl);
        rest = rest.slice(nl + 1);
      }
    }
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  } finally {
    stream.destroy();
  }
}

/**
 * Lines `from`..`to` (inclusive, 0-based; `to` undefined: to the end) of `file`, each with its newline, as a stream;
 * null when the file has fewer than `from + 1` lines (and `from` > 0).
 */
export async function lineRange(file: string, from: number, to: number | undefined): Promise<Readable | null> {
  const lines = completeLines(file);
  let index = 0;
  let first = await lines.next();
  while (!first.done && index < from) {
    first = await lines.next();
    index++;
  }
  if (first.done) {
    await lines.return(undefined);
    return from === 0 ? Readable.from([]) : null;
  }
  const head = first.value;
  async function* rest(): AsyncGenerator<string> {
    try {
      yield head + "\n";
      for (let seq = from + 1; to === undefined || seq <= to; seq++) {
        const next = await lines.next();
        if (next.done) return;
        yield next.value + "\n";
      }
    } finally {
      await lines.return(undefined);
    }
  }
  return Readable.from(rest());
}
