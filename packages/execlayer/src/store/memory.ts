// The in-memory store: for tests, benchmarks and embeddings that keep no state across restarts. A transaction runs
// synchronously inside one call, so it is atomic with respect to every other transaction of this process.
// With a journal (e.g. a receipt log without a directory) it records each event too, and answers only once the
// journal has flushed.
import { RuntimeState } from "../runtime/state.ts";
import type { Journal, RequestSnapshot, StateStore, StateView, StoreFailure, TxOutcome, TxScope, TxStep } from "../runtime/store.ts";
import { runTransaction, storeClosed, type Transactor, type TxJournal } from "../runtime/transaction.ts";
import { generateRedactionKey, type RedactionKey } from "../receipts/redaction.ts";

export interface MemoryStoreOptions<Receipt> {
  readonly journal?: Journal<Receipt>;
  /** the key `@sensitive` values are committed under in receipts; default: a new random one for this store */
  readonly redactionKey?: RedactionKey;
}

export class MemoryStore<Receipt = never> implements StateStore<Receipt> {
  readonly kind = "memory";
  readonly state = new RuntimeState();
  readonly #journal: Journal<Receipt> | undefined;
  readonly #tx: Transactor<Receipt>;
  #closed = false;

  readonly redactionKey: RedactionKey;

  constructor(options: MemoryStoreOptions<Receipt> = {}) {
    this.redactionKey = options.redactionKey ?? generateRedactionKey();
    const journal = options.journal;
    this.#journal = journal;
    // the journal's receipt is made by `append` (a step without an event is applied unrecorded)
    const tx: TxJournal<Receipt> | undefined =
      journal === undefined ? undefined : { append: (kind, body, time, known) => journal.append(kind, body, time, known), flush: () => journal.flush(), receiptOf: (r) => r };
    this.#tx = { state: this.state, journal: tx, journalEveryStep: false, refuse: (): StoreFailure | null => (this.#closed ? storeClosed() : null) };
  }

  get journaled(): boolean {
    return this.#journal !== undefined;
  }

  transact<R>(scope: TxScope, body: (view: StateView) => TxStep<R>): Promise<TxOutcome<R, Receipt>> {
    return runTransaction(this.#tx, scope, body);
  }

  async openRequests(now: number): Promise<readonly RequestSnapshot[]> {
    this.state.sweep(now);
    return this.state.openRequests(now);
  }

  async health(): Promise<StoreFailure | null> {
    return this.#tx.refuse();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
