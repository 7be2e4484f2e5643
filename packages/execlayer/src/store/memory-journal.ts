// A receipt journal kept in memory: receipts are signed and hash-chained exactly as in the receipt log (it uses the
// receipts stage's `signReceipt`), but nothing is written. For an in-memory Enforcer that still returns receipts.
import { GENESIS_PREV, signReceipt, type Receipt } from "../receipts/receipt.ts";
import type { Signer } from "../receipts/signer.ts";
import type { JsonObject } from "../ir/types.ts";
import type { KnownCanonical } from "../ir/canonicalize.ts";
import { isoMillis } from "../ir/values.ts";
import type { Journal } from "../runtime/store.ts";

export interface MemoryJournalOptions {
  /** keep every receipt's canonical line in `lines` (tests); default false, only the head is kept */
  readonly retain?: boolean;
}

export class MemoryJournal implements Journal<Receipt> {
  readonly lines: string[] = [];
  readonly #signer: Signer;
  readonly #retain: boolean;
  #seq = 0;
  #prev = GENESIS_PREV;

  constructor(signer: Signer, options: MemoryJournalOptions = {}) {
    this.#signer = signer;
    this.#retain = options.retain ?? false;
  }

  get head(): { readonly seq: number; readonly hash: string } {
    return { seq: this.#seq - 1, hash: this.#prev };
  }

  append(kind: string, body: JsonObject, time: number, known?: KnownCanonical): Receipt {
    const signed = signReceipt({ seq: this.#seq, prev: this.#prev, time: isoMillis(time), kind, body }, this.#signer, known);
    if (!signed.ok) throw new Error(signed.error);
    this.#seq++;
    this.#prev = signed.value.hash;
    if (this.#retain) this.lines.push(signed.value.line);
    return signed.value.receipt;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
