// One store transaction, the same sequence in every store over a RuntimeState (state.ts):
//   1. refuse at once when the store cannot take one (closed, its journal broken)            -> XP5023 / XP5004
//   2. run the body against the state (an occasional sweep first) and check its changes fit  -> XP5001
//   3. append the step's journal event, its body carrying the changes (`state`)              -> XP5004
//   4. apply the changes (a misfit here is a runtime bug, never acknowledged)                -> XP5001
//   5. wait until the journal has made the event durable (group commit)                      -> XP5004
//   6. answer the result with the event's receipt
// Steps 2 to 4 run synchronously in one turn of the event loop: concurrent transactions of one process are
// serialized by the JS thread, so counters stay exact; while step 5 waits, later transactions already see the
// changes (and join the same group commit). A store passes in what is its own: whether it can take a transaction
// now, and its journal (none: steps 3 and 5 are skipped).
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { JsonObject } from "../ir/types.ts";
import type { KnownCanonical } from "../ir/canonicalize.ts";
import { stateChangesFromBody, withStateChanges } from "./receipt-body.ts";
import { internalError, type RuntimeState } from "./state.ts";
import type { JournalEvent, StateView, StoreFailure, TxOutcome, TxScope, TxStep } from "./store.ts";

/**
 * Where a transaction's event is recorded. `append` is synchronous (it assigns the position) and throws when the
 * journal cannot record; `flush` makes every appended entry durable and rejects when it cannot; `receiptOf` reads an
 * entry's receipt once its flush resolved (a journal that signs in batches sets it then).
 */
export interface TxJournal<Receipt, Entry = Receipt> {
  append(kind: string, body: JsonObject, time: number, known?: KnownCanonical): Entry;
  flush(): Promise<void>;
  receiptOf(entry: Entry): Receipt | undefined;
}

export interface Transactor<Receipt, Entry = Receipt> {
  readonly state: RuntimeState;
  /** none: the changes are applied and nothing is recorded */
  readonly journal: TxJournal<Receipt, Entry> | undefined;
  /** why the store cannot take a transaction now (closed, broken), or null */
  refuse(): StoreFailure | null;
  /**
   * true: every step is recorded, one without an event as a plain `state` receipt (the durable store, whose journal
   * is its only memory); false: a step without an event is applied unrecorded
   */
  readonly journalEveryStep: boolean;
}

/** Runs one transaction (the header's sequence). Never rejects. */
export async function runTransaction<R, Receipt, Entry>(
  tx: Transactor<Receipt, Entry>,
  scope: TxScope,
  body: (view: StateView) => TxStep<R>,
): Promise<TxOutcome<R, Receipt>> {
  const refused = tx.refuse();
  if (refused !== null) return { ok: false, error: refused };
  const state = tx.state;
  const prepared = state.step(scope.now, body);
  if (!prepared.ok) return prepared;
  const step = prepared.step;
  const journal = tx.journal;
  const event: JournalEvent | undefined = step.event ?? (tx.journalEveryStep ? { kind: "state", body: {}, time: scope.now } : undefined);
  if (journal === undefined || event === undefined) {
    const unfit = state.applyAll(step.changes);
    return unfit === null ? { ok: true, result: step.result } : internalError(unfit);
  }
  let entry: Entry;
  try {
    entry = journal.append(event.kind, withStateChanges(event.body, step.changes), event.time, event.known);
  } catch (e: unknown) {
    return unavailable(e);
  }
  const unfit = state.applyAll(step.changes);
  if (unfit !== null) return internalError(unfit);
  try {
    await journal.flush();
  } catch (e: unknown) {
    return unavailable(e);
  }
  const receipt = journal.receiptOf(entry);
  if (receipt === undefined) return internalError("a flushed receipt was not signed");
  return { ok: true, result: step.result, receipt };
}

/**
 * Replays one journaled receipt body into the state (opening a durable store): its `state` changes, parsed by the
 * body's schema (receipt-body.ts) and applied by the same `apply` as the live path. Why it does not fit, or null.
 */
export function replayBody(state: RuntimeState, body: JsonObject): string | null {
  const parsed = stateChangesFromBody(body);
  // the changes that parsed are applied first: the first problem in log order is the one reported
  const unfit = state.applyAll(parsed.changes);
  return unfit ?? parsed.why;
}

/** The store's answer when it is closed. */
export function storeClosed(): StoreFailure {
  return { code: Diagnostics.storeClosed.code, message: Diagnostics.storeClosed.message() };
}

/** The store's answer when its journal cannot record (XP5004). */
export function storeUnavailable(why: string): StoreFailure {
  return { code: Diagnostics.storeUnavailable.code, message: Diagnostics.storeUnavailable.message(why) };
}

function unavailable(e: unknown): { ok: false; error: StoreFailure } {
  return { ok: false, error: storeUnavailable(e instanceof Error ? e.message : String(e)) };
}
