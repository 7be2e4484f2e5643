// The in-memory store: for tests, benchmarks and embeddings that keep no state across restarts. A transaction runs
// synchronously inside one call, so it is atomic with respect to every other transaction of this process.
// With a journal (e.g. a receipt log without a directory) it records each event too, and answers only once the
// journal has flushed.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { changeToJson, internalError, RuntimeState } from "../runtime/state.ts";
import type { Journal, RequestSnapshot, StateStore, StateView, TxOutcome, TxScope, TxStep } from "../runtime/store.ts";

export interface MemoryStoreOptions<Receipt> {
  readonly journal?: Journal<Receipt>;
}

export class MemoryStore<Receipt = never> implements StateStore<Receipt> {
  readonly kind = "memory";
  readonly state = new RuntimeState();
  readonly #journal: Journal<Receipt> | undefined;
  #closed = false;

  constructor(options: MemoryStoreOptions<Receipt> = {}) {
    this.#journal = options.journal;
  }

  get journaled(): boolean {
    return this.#journal !== undefined;
  }

  async transact<R>(scope: TxScope, body: (view: StateView) => TxStep<R>): Promise<TxOutcome<R, Receipt>> {
    if (this.#closed) return failure(Diagnostics.storeClosed.code, Diagnostics.storeClosed.message());
    const prepared = this.state.step(scope.now, body);
    if (!prepared.ok) return prepared;
    const step = prepared.step;
    const journal = this.#journal;
    if (journal === undefined || step.event === undefined) {
      const unfit = this.state.applyAll(step.changes);
      return unfit === null ? { ok: true, result: step.result } : internalError(unfit);
    }
    let receipt: Receipt;
    try {
      receipt = journal.append(step.event.kind, { ...step.event.body, state: step.changes.map(changeToJson) }, step.event.time);
    } catch (e: unknown) {
      return unavailable(e);
    }
    // As in the durable store: a change that does not fit the state is a runtime bug, never acknowledged.
    const unfit = this.state.applyAll(step.changes);
    if (unfit !== null) return internalError(unfit);
    try {
      await journal.flush();
    } catch (e: unknown) {
      return unavailable(e);
    }
    return { ok: true, result: step.result, receipt };
  }

  async openRequests(now: number): Promise<readonly RequestSnapshot[]> {
    this.state.sweep(now);
    return this.state.openRequests(now);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function failure(code: string, message: string): { ok: false; error: { code: string; message: string } } {
  return { ok: false, error: { code, message } };
}

function unavailable(e: unknown): { ok: false; error: { code: string; message: string } } {
  return failure(Diagnostics.storeUnavailable.code, Diagnostics.storeUnavailable.message(e instanceof Error ? e.message : String(e)));
}
