// The runtime's state as in-process data: counter cells and approval requests. Both in-process stores hold one of
// these; the durable store rebuilds it by replaying the journal through the same `apply`.
//
// Forgetting: a request stays while it can still matter. A closed (`close` change) request is gone at once. A used
// or vetoed request is kept until it expires (so replays and re-proposals are denied), then forgotten. An expired
// request that was never used is kept so the next proposal of its action is denied once, naming the expiry (the
// runtime then records `close`), but at most RETAIN_EXPIRED_MS after expiry. Forgetting is a pure function of time,
// so a replayed store forgets the same requests.
import { requestStatus, vetoOf, type ApprovalRecord, type ApprovalRequest, type RequestState } from "./approvals.ts";
import { addToCell, counterGroupId, readCell, type CounterCell } from "../engine/counters.ts";
import type { WindowSpec } from "../vocabulary/windows.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { RequestSnapshot, StateChange, StateView, StoreFailure, TxStep } from "./store.ts";

export const RETAIN_EXPIRED_MS = 7 * 86_400_000;
// transactions between two sweeps
const SWEEP_EVERY = 4096;

interface MutableRequestState {
  readonly request: ApprovalRequest;
  approvals: ApprovalRecord[];
  consumedAt: number | null;
}


export class RuntimeState implements StateView {
  /** counter name + window -> key text -> cell */
  readonly counters = new Map<string, Map<string, CounterCell>>();
  // the last group looked up, by counter name and window object: the compiled policy hands out the same window
  // object for every decision, so the common case builds no id string
  #lastCounter = "";
  #lastWindow: WindowSpec | null = null;
  #lastGroup: Map<string, CounterCell> | undefined;

  #group(counter: string, window: WindowSpec, create: boolean): Map<string, CounterCell> | undefined {
    if (window === this.#lastWindow && counter === this.#lastCounter) return this.#lastGroup;
    const id = counterGroupId(counter, window);
    let g = this.counters.get(id);
    if (g === undefined && create) {
      g = new Map();
      this.counters.set(id, g);
    }
    if (g !== undefined) {
      this.#lastCounter = counter;
      this.#lastWindow = window;
      this.#lastGroup = g;
    }
    return g;
  }

  /** number of counter cells (all counters, all keys) */
  get counterCells(): number {
    let n = 0;
    for (const g of this.counters.values()) n += g.size;
    return n;
  }
  readonly requests = new Map<string, MutableRequestState>();
  /** policy digest -> action digest -> id of its request */
  readonly byAction = new Map<string, Map<string, string>>();

  counter(counter: string, window: WindowSpec, key: string, at: number): number {
    return readCell(this.#group(counter, window, false)?.get(key), window, at);
  }

  requestForAction(policyDigest: string, actionDigest: string): RequestState | undefined {
    const id = this.byAction.get(policyDigest)?.get(actionDigest);
    return id === undefined ? undefined : this.requests.get(id);
  }

  requestById(id: string): RequestState | undefined {
    return this.requests.get(id);
  }

  /**
   * Applies one change. Changes come from the runtime (live) or the journal (replay); a change that does not fit
   * the state (a request id created twice, a change to an unknown request) is a corrupt journal: reported, not
   * applied. A new request for an action that has one replaces it (the runtime does this when requirements change).
   */
  apply(change: StateChange): string | null {
    switch (change.op) {
      case "count": {
        const group = this.#group(change.counter, change.window, true)!;
        const before = group.get(change.key);
        const cell = addToCell(before, change.window, change.at, change.amount);
        if (cell !== before) group.set(change.key, cell);
        return null;
      }
      case "request": {
        const r = change.request;
        if (this.requests.has(r.id)) return `request \`${r.id}\` is created twice`;
        let actions = this.byAction.get(r.policyDigest);
        if (actions === undefined) {
          actions = new Map();
          this.byAction.set(r.policyDigest, actions);
        }
        const previous = actions.get(r.actionDigest);
        if (previous !== undefined) this.requests.delete(previous);
        this.requests.set(r.id, { request: r, approvals: [], consumedAt: null });
        actions.set(r.actionDigest, r.id);
        return null;
      }
      case "approval": {
        const s = this.requests.get(change.request);
        if (s === undefined) return `approval for unknown request \`${change.request}\``;
        s.approvals.push(change.record);
        return null;
      }
      case "consume": {
        const s = this.requests.get(change.request);
        if (s === undefined) return `use of unknown request \`${change.request}\``;
        s.consumedAt = change.at;
        return null;
      }
      case "close": {
        const s = this.requests.get(change.request);
        if (s === undefined) return `close of unknown request \`${change.request}\``;
        this.forget(s);
        return null;
      }
    }
  }

  /** Applies a transaction's changes in order; a change that does not fit (a runtime bug, `check` passed) stops there. */
  applyAll(changes: readonly StateChange[]): string | null {
    for (const c of changes) {
      const why = this.apply(c);
      if (why !== null) return why;
    }
    return null;
  }

  /** Why `changes` would not apply to the current state (checked before they are journaled), or null. */
  check(changes: readonly StateChange[]): string | null {
    for (const c of changes) {
      switch (c.op) {
        case "count":
          break;
        case "request":
          if (this.requests.has(c.request.id)) return `request \`${c.request.id}\` is created twice`;
          break;
        default:
          if (!this.requests.has(c.request)) return `${c.op} of unknown request \`${c.request}\``;
      }
    }
    return null;
  }

  private forget(s: MutableRequestState): void {
    this.requests.delete(s.request.id);
    const actions = this.byAction.get(s.request.policyDigest);
    if (actions?.get(s.request.actionDigest) === s.request.id) {
      actions.delete(s.request.actionDigest);
      if (actions.size === 0) this.byAction.delete(s.request.policyDigest);
    }
  }

  #sinceSweep = 0;

  /**
   * The start of a transaction, the same in every store: an occasional sweep, then the body run against this state,
   * then the check that its changes fit (a change that does not is a runtime bug, refused before it is journaled).
   */
  step<R>(now: number, body: (view: StateView) => TxStep<R>): { ok: true; step: TxStep<R> } | { ok: false; error: StoreFailure } {
    if (++this.#sinceSweep >= SWEEP_EVERY) {
      this.#sinceSweep = 0;
      this.sweep(now);
    }
    let step: TxStep<R>;
    try {
      step = body(this);
    } catch (e: unknown) {
      return internalError(e instanceof Error ? e.message : String(e));
    }
    const unfit = this.check(step.changes);
    return unfit === null ? { ok: true, step } : internalError(unfit);
  }

  /** Drops requests that can no longer matter at `now` (see the header). */
  sweep(now: number): void {
    for (const s of this.requests.values()) {
      if (now <= s.request.expiresAt) continue;
      const settled = s.consumedAt !== null || vetoOf(s) !== undefined;
      if (settled || now > s.request.expiresAt + RETAIN_EXPIRED_MS) this.forget(s);
    }
  }

  openRequests(now: number): RequestSnapshot[] {
    const out: RequestSnapshot[] = [];
    for (const s of this.requests.values()) {
      const status = requestStatus(s, now);
      if (status === "pending" || status === "approved") {
        out.push({ request: s.request, approvals: s.approvals.slice(), consumedAt: s.consumedAt, status });
      }
    }
    return out.sort((a, b) => a.request.createdAt - b.request.createdAt || (a.request.id < b.request.id ? -1 : 1));
  }
}

/** The failure for a runtime bug caught by a store (XP5 internal error). */
export function internalError(why: string): { ok: false; error: StoreFailure } {
  return { ok: false, error: { code: Diagnostics.runtimeInternalError.code, message: Diagnostics.runtimeInternalError.message(why) } };
}

// The JSON forms of requests, approvals and changes belong to the receipt body's schema (receipt-body.ts); they are
// re-exported here for the callers that know them from this module.
