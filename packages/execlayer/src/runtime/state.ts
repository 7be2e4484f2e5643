// The runtime's state as in-process data: counter cells and approval requests. Both in-process stores hold one of
// these; the durable store rebuilds it by replaying the journal through the same `apply`.
//
// Forgetting: a request stays while it can still matter. A closed (`close` change) request is gone at once. A used
// or vetoed request is kept until it expires (so replays and re-proposals are denied), then forgotten. An expired
// request that was never used is kept so the next proposal of its action is denied once, naming the expiry (the
// runtime then records `close`), but at most RETAIN_EXPIRED_MS after expiry. Forgetting is a pure function of time,
// so a replayed store forgets the same requests.
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { iso, requestStatus, vetoOf, type ApprovalRecord, type ApprovalRequest, type RequestState } from "./approvals.ts";
import { addToCell, counterGroupId, readCell, type CounterCell } from "../engine/counters.ts";
import { TIERS, type ApprovalRequirement, type Tier } from "../vocabulary/decision.ts";
import { parseWindowLabel, windowLabel, type WindowSpec } from "../vocabulary/windows.ts";
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

// --- JSON form of changes (the journal) ----------------------------------------------------------------------

/** One approval requirement as receipts record it (in a decision and in a request). */
export function requirementToJson(q: ApprovalRequirement): JsonObject {
  return { group: q.group, quorum: q.quorum, within_ms: q.withinMs };
}

export function requestToJson(r: ApprovalRequest): JsonObject {
  return {
    id: r.id,
    action_digest: r.actionDigest,
    ir_digest: r.irDigest,
    policy_digest: r.policyDigest,
    tier: r.tier,
    action_type: r.actionType,
    target: r.target,
    requirements: r.requirements.map(requirementToJson),
    created_at: iso(r.createdAt),
    expires_at: iso(r.expiresAt),
    approvers: r.approvers.map((a) => ({ group: a.group, name: a.name, key: a.key })),
  };
}

export function recordToJson(a: ApprovalRecord): JsonObject {
  return {
    approver: a.approver,
    member: a.member,
    groups: [...a.groups],
    verdict: a.verdict,
    signed_at: a.signedAt,
    received_at: iso(a.receivedAt),
    signature: a.signature,
  };
}

export function changeToJson(c: StateChange): JsonObject {
  switch (c.op) {
    case "count":
      return { op: "count", counter: c.counter, window: windowLabel(c.window), key: c.key, at: iso(c.at), amount: c.amount };
    case "request":
      return { op: "request", request: requestToJson(c.request) };
    case "approval":
      return { op: "approval", request: c.request, record: recordToJson(c.record) };
    case "consume":
      return { op: "consume", request: c.request, at: iso(c.at) };
    case "close":
      return { op: "close", request: c.request, at: iso(c.at), reason: c.reason };
  }
}

// Parsing is strict: a journal entry that does not read back exactly is corruption, not something to guess at.
class Bad extends Error {}

function obj(v: JsonValue | undefined, what: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Bad(`\`${what}\` must be an object`);
  return v as JsonObject;
}
function str(o: JsonObject, k: string): string {
  const v = o[k];
  if (typeof v !== "string") throw new Bad(`\`${k}\` must be a string`);
  return v;
}
function list(o: JsonObject, k: string): readonly JsonValue[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new Bad(`\`${k}\` must be a list`);
  return v;
}
function int(o: JsonObject, k: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new Bad(`\`${k}\` must be an integer`);
  return v;
}
function time(o: JsonObject, k: string): number {
  const t = Date.parse(str(o, k));
  if (Number.isNaN(t)) throw new Bad(`\`${k}\` must be a time`);
  return t;
}
const TIER_NAMES: ReadonlySet<string> = new Set(TIERS);

function requestFromJson(v: JsonValue | undefined): ApprovalRequest {
  const o = obj(v, "request");
  const tier = o["tier"];
  if (tier !== null && (typeof tier !== "string" || !TIER_NAMES.has(tier))) throw new Bad("`tier` must be T0..T3 or null");
  const target = o["target"];
  if (target !== null && typeof target !== "string") throw new Bad("`target` must be a string or null");
  const reqs = o["requirements"];
  if (!Array.isArray(reqs)) throw new Bad("`requirements` must be a list");
  const requirements: ApprovalRequirement[] = reqs.map((q: JsonValue) => {
    const r = obj(q, "requirement");
    return { group: str(r, "group"), quorum: int(r, "quorum"), withinMs: int(r, "within_ms") };
  });
  return {
    id: str(o, "id"),
    actionDigest: str(o, "action_digest"),
    irDigest: str(o, "ir_digest"),
    policyDigest: str(o, "policy_digest"),
    tier: tier as Tier | null,
    actionType: str(o, "action_type"),
    target: target as string | null,
    requirements,
    createdAt: time(o, "created_at"),
    expiresAt: time(o, "expires_at"),
    approvers: list(o, "approvers").map((x: JsonValue) => {
      const a = obj(x, "approver");
      return { group: str(a, "group"), name: str(a, "name"), key: str(a, "key") };
    }),
  };
}

function recordFromJson(v: JsonValue | undefined): ApprovalRecord {
  const o = obj(v, "record");
  const verdict = str(o, "verdict");
  if (verdict !== "approve" && verdict !== "reject") throw new Bad("`verdict` must be approve or reject");
  const groups = o["groups"];
  if (!Array.isArray(groups) || !groups.every((g: JsonValue) => typeof g === "string")) throw new Bad("`groups` must be a list of strings");
  return {
    approver: str(o, "approver"),
    member: str(o, "member"),
    groups: groups as string[],
    verdict,
    signedAt: str(o, "signed_at"),
    receivedAt: time(o, "received_at"),
    signature: str(o, "signature"),
  };
}

export function changeFromJson(v: JsonValue): { ok: true; change: StateChange } | { ok: false; why: string } {
  try {
    const o = obj(v, "change");
    switch (o["op"]) {
      case "count": {
        const window = parseWindowLabel(str(o, "window"));
        if (window === null) throw new Bad(`unknown window \`${str(o, "window")}\``);
        return { ok: true, change: { op: "count", counter: str(o, "counter"), window, key: str(o, "key"), at: time(o, "at"), amount: int(o, "amount") } };
      }
      case "request":
        return { ok: true, change: { op: "request", request: requestFromJson(o["request"]) } };
      case "approval":
        return { ok: true, change: { op: "approval", request: str(o, "request"), record: recordFromJson(o["record"]) } };
      case "consume":
        return { ok: true, change: { op: "consume", request: str(o, "request"), at: time(o, "at") } };
      case "close":
        if (o["reason"] !== "expired") throw new Bad("`reason` must be expired");
        return { ok: true, change: { op: "close", request: str(o, "request"), at: time(o, "at"), reason: "expired" } };
      default:
        throw new Bad(`unknown op ${JSON.stringify(o["op"] ?? null)}`);
    }
  } catch (e: unknown) {
    if (e instanceof Bad) return { ok: false, why: e.message };
    throw e;
  }
}
