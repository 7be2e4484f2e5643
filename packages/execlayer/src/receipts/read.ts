// A streaming reader for a log's receipts: parses each line and yields the receipt or a positioned error. It does
// not check the chain or signatures (verifyLog does); it keeps going after a bad line so tools can show them all.
import path from "node:path";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { decodeUtf8, LineTooLong, readLines } from "./lines.ts";
import { parseReceiptLine, type Receipt } from "./receipt.ts";
import { RECEIPTS_FILE } from "./scan.ts";

export type ReadItem =
  | { readonly ok: true; readonly receipt: Receipt; readonly line: number; readonly offset: number }
  | {
      readonly ok: false;
      readonly problem: "malformed" | "torn" | "unreadable";
      readonly code: string;
      readonly message: string;
      /** 1-based line; 0 when the file cannot be read */
      readonly line: number;
      readonly offset: number;
    };

export async function* readReceipts(dir: string): AsyncGenerator<ReadItem> {
  const file = path.join(dir, RECEIPTS_FILE);
  try {
    for await (const item of readLines(file)) {
      if (item instanceof LineTooLong) {
        const message = Diagnostics.receiptLogMalformed.message(`line ${item.line} is too long`);
        yield { ok: false, problem: "malformed", code: Diagnostics.receiptLogMalformed.code, message, line: item.line, offset: item.offset };
        return;
      }
      if (!item.complete) {
        const message = Diagnostics.receiptLogTorn.message(item.bytes.length);
        yield { ok: false, problem: "torn", code: Diagnostics.receiptLogTorn.code, message, line: item.line, offset: item.offset };
        return;
      }
      const text = decodeUtf8(item.bytes);
      const parsed = text === null ? ({ ok: false, error: "line is not UTF-8" } as const) : parseReceiptLine(text);
      if (parsed.ok) {
        yield { ok: true, receipt: parsed.value, line: item.line, offset: item.offset };
      } else {
        const message = Diagnostics.receiptLogMalformed.message(`line ${item.line}: ${parsed.error}`);
        yield { ok: false, problem: "malformed", code: Diagnostics.receiptLogMalformed.code, message, line: item.line, offset: item.offset };
      }
    }
  } catch (e: unknown) {
    const message = Diagnostics.receiptLogUnreadable.message(file, e instanceof Error ? e.message : String(e));
    yield { ok: false, problem: "unreadable", code: Diagnostics.receiptLogUnreadable.code, message, line: 0, offset: 0 };
  }
}
