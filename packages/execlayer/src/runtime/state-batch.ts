// The runtime's state for a store that keeps it outside the process (a SQL database): the rows one database
// transaction locked are loaded into a RuntimeState, the runtime's transactions run against it with the same
// sequence as every other store (transaction.ts: sweep, body, check, journal append, apply), and the rows that
// changed come back out to be written in the same database transaction. Several transactions may run in one batch
// (one database round of locks and writes for many decisions); each sees the changes of those before it.
//
// Rows:
//   counter: (counter, window label, key) -> the cell as JSON (engine/counters.ts cellToJson), null when new
//   request: its history as state-change JSON (receipt-body.ts: the `request` change, then each `approval` and
//            `consume`), so a request is rebuilt by the same `apply` and parser the durable store replays with
import { cellFromJson, cellToJson, counterGroupId } from "../engine/counters.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { parseWindowLabel, windowLabel } from "../vocabulary/windows.ts";
import { changeFromJson, changeToJson, withStateChanges } from "./receipt-body.ts";
import { internalError, RuntimeState } from "./state.ts";
import { StoreError, type RequestSnapshot, type StateChange, type StateView, type StoreFailure, type TxScope, type TxStep } from "./store.ts";
import { storeClosed, storeUnavailable } from "./transaction.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";

/** A counter cell as a row: `cell` is null for a cell that has never counted. */
export interface CounterRow {
  /** the counter's declared name */
  readonly counter: string;
  /** window label (`calendar:month`, `rolling:<ms>ms`, `total`) */
  readonly window: string;
  /** canonical text of the `per` values ("" for a global counter) */
  readonly key: string;
  /** engine/counters.ts cellToJson */
  readonly cell: JsonValue | null;
}

/** An approval request as a row: its identity and its history of state changes (JSON). */
export interface RequestRow {
  /** `apr_<24 hex>` */
  readonly id: string;
  /** the policy the request was made under */
  readonly policyDigest: string;
  /** the action it is for */
  readonly actionDigest: string;
  /** ms */
  readonly createdAt: number;
  /** ms */
  readonly expiresAt: number;
  /** ms, once the approved action ran */
  readonly consumedAt: number | null;
  /** its state changes as JSON (receipt-body.ts): the `request` change, then each `approval` and `consume` */
  readonly history: readonly JsonValue[];
}

/** What one transaction of the batch answered: its result and its journal entry, or why it failed (nothing applied). */
export type BatchStep<R, Entry> = { readonly ok: true; readonly result: R; readonly entry?: Entry } | { readonly ok: false; readonly error: StoreFailure };

/** The locked rows of one database transaction as the runtime's state (see the header). */
export class StateBatch {
  readonly #state = new RuntimeState();
  /** request id -> its history, for every request loaded or created in this batch */
  readonly #history = new Map<string, JsonValue[]>();
  readonly #touchedRequests = new Set<string>();
  /** group id + "\n" + key -> the cell's identity */
  readonly #touchedCounters = new Map<string, { counter: string; window: string; key: string; group: string }>();

  /** Loads a locked counter row; why it cannot be read, or null. */
  loadCounter(row: CounterRow): string | null {
    if (row.cell === null) return null;
    const window = parseWindowLabel(row.window);
    if (window === null) return `counter \`${row.counter}\`: unknown window \`${row.window}\``;
    const cell = cellFromJson(row.cell, window);
    if (cell === null) return `counter \`${row.counter}\` key ${row.key}: the cell does not read back for window ${row.window}`;
    const id = counterGroupId(row.counter, window);
    let group = this.#state.counters.get(id);
    if (group === undefined) {
      group = new Map();
      this.#state.counters.set(id, group);
    }
    group.set(row.key, cell);
    return null;
  }

  /** Loads a locked request from its history; why it does not apply, or null. */
  loadRequest(history: readonly JsonValue[]): string | null {
    let id: string | undefined;
    for (const c of history) {
      const parsed = changeFromJson(c);
      if (!parsed.ok) return `request ${id ?? "?"}: ${parsed.error}`;
      const change = parsed.value;
      if (id === undefined) {
        if (change.op !== "request") return "a request's history must start with its `request` change";
        id = change.request.id;
      } else if (change.op === "request" || change.op === "count" || change.op === "close" || change.request !== id) {
        return `request ${id}: its history holds a \`${change.op}\` change that is not its own`;
      }
      const why = this.#state.apply(change);
      if (why !== null) return why;
    }
    if (id === undefined) return "an empty request history";
    this.#history.set(id, history.slice());
    return null;
  }

  /**
   * Runs one transaction against the loaded state (the store's own refusals, closed or broken, come first and are
   * the store's). `append` journals the event (its body carrying the changes) and may throw: XP5004, nothing applied.
   */
  step<R, Entry>(scope: TxScope, body: (view: StateView) => TxStep<R>, append?: (kind: string, body: JsonObject, time: number) => Entry): BatchStep<R, Entry> {
    const state = this.#state;
    state.sweep(scope.now);
    const prepared = state.step(scope.now, body);
    if (!prepared.ok) return prepared;
    const { result, changes } = prepared.step;
    let entry: Entry | undefined;
    if (append !== undefined) {
      const event = prepared.step.event ?? { kind: "state", body: {}, time: scope.now };
      try {
        entry = append(event.kind, withStateChanges(event.body, changes), event.time);
      } catch (e: unknown) {
        return { ok: false, error: storeUnavailable(e instanceof Error ? e.message : String(e)) };
      }
    }
    const unfit = state.applyAll(changes);
    if (unfit !== null) return internalError(unfit);
    for (const c of changes) this.#track(c);
    return entry === undefined ? { ok: true, result } : { ok: true, result, entry };
  }

  #track(c: StateChange): void {
    switch (c.op) {
      case "count": {
        const group = counterGroupId(c.counter, c.window);
        this.#touchedCounters.set(`${group}\n${c.key}`, { counter: c.counter, window: windowLabel(c.window), key: c.key, group });
        return;
      }
      case "request":
        this.#history.set(c.request.id, [changeToJson(c)]);
        this.#touchedRequests.add(c.request.id);
        return;
      case "close":
        this.#touchedRequests.add(c.request);
        return;
      default:
        this.#history.get(c.request)?.push(changeToJson(c));
        this.#touchedRequests.add(c.request);
    }
  }

  /** Open requests (pending or approved) among those loaded, oldest first. */
  openRequests(now: number): readonly RequestSnapshot[] {
    this.#state.sweep(now);
    return this.#state.openRequests(now);
  }

  /** The counter rows the batch changed, with their new cells. */
  changedCounters(): CounterRow[] {
    const out: CounterRow[] = [];
    for (const t of this.#touchedCounters.values()) {
      const cell = this.#state.counters.get(t.group)?.get(t.key);
      if (cell !== undefined) out.push({ counter: t.counter, window: t.window, key: t.key, cell: cellToJson(cell) as JsonValue });
    }
    return out;
  }

  /**
   * The requests to write: those the batch created or changed and still holds (`upsert`), and those loaded or
   * created that it no longer holds (`remove`: closed, replaced, or forgotten by time).
   */
  changedRequests(): { readonly upsert: RequestRow[]; readonly remove: string[] } {
    const upsert: RequestRow[] = [];
    const remove: string[] = [];
    for (const [id, history] of this.#history) {
      const s = this.#state.requests.get(id);
      if (s === undefined) remove.push(id);
      else if (this.#touchedRequests.has(id)) {
        const r = s.request;
        upsert.push({ id, policyDigest: r.policyDigest, actionDigest: r.actionDigest, createdAt: r.createdAt, expiresAt: r.expiresAt, consumedAt: s.consumedAt, history });
      }
    }
    return { upsert, remove };
  }

  /** The id of the request now held for this action, or null. */
  requestFor(policyDigest: string, actionDigest: string): string | null {
    return this.#state.byAction.get(policyDigest)?.get(actionDigest) ?? null;
  }
}

/** A store's refusal of a transaction, with the runtime's codes: closed (XP5023) or unavailable (XP5004). */
export function storeRefusal(kind: "closed" | "unavailable", why: string = ""): StoreFailure {
  return kind === "closed" ? storeClosed() : storeUnavailable(why);
}

/**
 * Why a database-backed store cannot be set up: its schema is one this code does not know (`schema`, XP5024), the
 * database cannot be used (`io`, XP5025), or a redaction key is not the fleet's (`redaction-key`, XP5026). `where`
 * names the database without its password.
 */
export function databaseStoreError(kind: "schema" | "io" | "redaction-key", where: string, why: string, cause?: unknown): StoreError {
  const d = kind === "schema" ? Diagnostics.storeSchemaUnknown : kind === "io" ? Diagnostics.storeDatabaseFailed : Diagnostics.storeRedactionKeyRefused;
  return new StoreError(d.code, d.message(where, why), kind, undefined, cause === undefined ? undefined : { cause });
}
