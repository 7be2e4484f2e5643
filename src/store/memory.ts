// The in-memory store: for tests, benchmarks and embeddings that keep no state across restarts. A transaction runs
// synchronously inside one call, so it is atomic with respect to every other transaction of this process.
// With a journal (e.g. a receipt log without a directory) it records each event too, and answers only once the
// journal has flushed.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { changeToJson, RuntimeState } from "./state.ts";
import type { Journal, RequestSnapshot, StateStore, StateView, TxOutcome, TxScope, TxStep } from "./types.ts";

export interface MemoryStoreOptions<Receipt> {
  readonly journal?: Journal<Receipt>;
}

const SWEEP_EVERY = 4096;

export class MemoryStore<Receipt = never> implements StateStore<Receipt> {
  readonly kind = "memory";
  readonly state = new RuntimeState();
  readonly #journal: Journal<Receipt> | undefined;
  #closed = false;
  #sinceSweep = 0;

  constructor(options: MemoryStoreOptions<Receipt> = {}) {
    this.#journal = options.journal;
  }

  get journaled(): boolean {
    return this.#journal !== undefined;
  }

  async transact<R>(scope: TxScope, body: (view: StateView) => TxStep<R>): Promise<TxOutcome<R, Receipt>> {
    if (this.#closed) return { ok: false, error: { code: Diagnostics.storeClosed.code, message: Diagnostics.storeClosed.message() } };
    if (++this.#sinceSweep >= SWEEP_EVERY) {
      this.#sinceSweep = 0;
      this.state.sweep(scope.now);
    }
    let step: TxStep<R>;
    try {
      step = body(this.state);
    } catch (e: unknown) {
      return { ok: false, error: { code: Diagnostics.runtimeInternalError.code, message: Diagnostics.runtimeInternalError.message(e instanceof Error ? e.message : String(e)) } };
    }
    const unfit = this.state.check(step.changes);
    if (unfit !== null) {
      return { ok: false, error: { code: Diagnostics.runtimeInternalError.code, message: Diagnostics.runtimeInternalError.message(unfit) } };
    }
    const journal = this.#journal;
    if (journal === undefined || step.event === undefined) {
      for (const c of step.changes) this.state.apply(c);
      return { ok: true, result: step.result };
    }
    let receipt: Receipt;
    try {
      receipt = journal.append(step.event.kind, { ...step.event.body, state: step.changes.map(changeToJson) }, step.event.time);
    } catch (e: unknown) {
      return { ok: false, error: { code: Diagnostics.storeUnavailable.code, message: Diagnostics.storeUnavailable.message(e instanceof Error ? e.message : String(e)) } };
    }
    for (const c of step.changes) this.state.apply(c);
    try {
      await journal.flush();
    } catch (e: unknown) {
      return { ok: false, error: { code: Diagnostics.storeUnavailable.code, message: Diagnostics.storeUnavailable.message(e instanceof Error ? e.message : String(e)) } };
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
