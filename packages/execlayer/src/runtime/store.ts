// The state store interface: everything the runtime remembers between decisions (counter cells, approval
// requests and the approvals they collected) behind one asynchronous, transactional API.
//
// One transaction = one decision or one submitted approval. The caller declares what it will read (`TxScope`, so a
// SQL store can lock exactly those rows), then a synchronous `body` sees a consistent view, computes its result and
// returns the state changes; the store applies them atomically with the event's journal entry. A store that
// cannot apply or record a step answers `{ ok: false }`, never throws, and the runtime turns that into a deny.
import type { JsonObject } from "../ir/types.ts";
import type { KnownCanonical } from "../ir/canonicalize.ts";
import type { ApprovalRecord, ApprovalRequest, RequestState } from "./approvals.ts";
import type { WindowSpec } from "../vocabulary/windows.ts";
import type { RedactionKey } from "../receipts/redaction.ts";
import type { PrincipalKeyring } from "./principal-keyring.ts";
import type { Result } from "../vocabulary/result.ts";

/** One state change. Every store applies the same changes with the same code (state.ts), so replay is exact. */
export type StateChange =
  | {
      readonly op: "count";
      readonly counter: string;
      readonly window: WindowSpec;
      readonly key: string;
      /** ms since epoch */
      readonly at: number;
      readonly amount: number;
    }
  | { readonly op: "request"; readonly request: ApprovalRequest }
  | { readonly op: "approval"; readonly request: string; readonly record: ApprovalRecord }
  | { readonly op: "consume"; readonly request: string; readonly at: number }
  | { readonly op: "close"; readonly request: string; readonly at: number; readonly reason: "expired" };

/**
 * The transaction's time and what it reads, declared up front (a SQL store locks these rows; in-process stores may
 * ignore the read set).
 */
export interface TxScope {
  /** ms since epoch: the decision's clock reading; stores use it to forget requests that can no longer matter */
  readonly now: number;
  readonly counters?: readonly { readonly counter: string; readonly window: WindowSpec; readonly key: string }[];
  /** approval requests by policy digest and action digest */
  readonly actions?: readonly { readonly policyDigest: string; readonly actionDigest: string }[];
  readonly requests?: readonly string[];
}

/** A consistent view of the state inside a transaction. */
export interface StateView {
  /** the counter's value at `at` (before the action being decided) */
  counter(counter: string, window: WindowSpec, key: string, at: number): number;
  /** the open request for this action under this policy, if any (closed ones are forgotten) */
  requestForAction(policyDigest: string, actionDigest: string): RequestState | undefined;
  requestById(id: string): RequestState | undefined;
}

/** An event to record: becomes one receipt in a journaled store, its changes inside the body. */
export interface JournalEvent {
  readonly kind: string;
  readonly body: JsonObject;
  /** ms since epoch */
  readonly time: number;
  /** a part of `body` whose canonical text is at hand (the decision's IR): the journal splices it */
  readonly known?: KnownCanonical;
}

export interface TxStep<R> {
  readonly result: R;
  readonly changes: readonly StateChange[];
  /** recorded when the store keeps a journal; a step with changes should always carry one */
  readonly event?: JournalEvent;
}

/** Why a store could not run a transaction: the runtime denies with this code and message. */
export interface StoreFailure {
  /** XP5xxx */
  readonly code: string;
  /** the diagnostic's message, saying why */
  readonly message: string;
}

export type TxOutcome<R, Receipt> =
  | { readonly ok: true; readonly result: R; readonly receipt?: Receipt }
  | { readonly ok: false; readonly error: StoreFailure };

/** A request as listed for approvers. */
export interface RequestSnapshot extends RequestState {
  /** open requests only */
  readonly status: "pending" | "approved";
}

export interface StateStore<Receipt = unknown> {
  readonly kind: string;
  /** true when steps' events are recorded (so callers build event bodies only then) */
  readonly journaled: boolean;
  /**
   * the key `@sensitive` values are committed under in the receipts this store keeps (receipts/redaction.ts), kept
   * beside its signing key; an Enforcer uses it unless given its own
   */
  readonly redactionKey?: RedactionKey;
  /** the approver keys of principals (groups declared `per actor.FIELD`); an Enforcer uses it unless given its own */
  readonly principalKeys?: PrincipalKeyring;
  /**
   * a store shared by replicas (a fleet) checks the redaction key an Enforcer would commit `@sensitive` values under
   * (its id): under any key but the fleet's, the same action gets another digest than on the other replicas, so an
   * approval request opened there is never found here. `Enforcer.create` throws the error instead of starting.
   */
  checkRedactionKey?(keyId: string): Result<void, StoreError>;
  /** Runs one atomic step. Never rejects: failures are `{ ok: false }`. */
  transact<R>(scope: TxScope, body: (view: StateView) => TxStep<R>): Promise<TxOutcome<R, Receipt>>;
  /** open requests (pending or approved, not expired) at `now`, oldest first */
  openRequests(now: number): Promise<readonly RequestSnapshot[]>;
  /**
   * Readiness: why the store cannot take a transaction now (closed, its journal broken, its database unreachable),
   * or null. A service's readiness probe asks it, so a load balancer stops sending work that can only be denied.
   * Never rejects. Optional for stores of older code: a store without it is taken as ready.
   */
  health?(): Promise<StoreFailure | null>;
  /** releases resources (the durable store: final checkpoint, lock); further transactions fail */
  close(): Promise<void>;
}

/** A typed error for store setup (opening, locking, replay). Decisions never see it: they get a deny. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: string,
    message: string,
    /** `redaction-key`: a store shared by replicas refused a redaction key that is not the fleet's (XP5026) */
    readonly reason: "locked" | "corrupt" | "io" | "closed" | "schema" | "redaction-key",
    /** for `locked`: who holds the directory */
    readonly holder?: { readonly pid: number; readonly host: string; readonly since: string },
    /** for `corrupt`: the first receipt that cannot be trusted (`seq`), and the log's own error (`cause`, with its XP6xxx code) */
    where?: { readonly seq?: number; readonly cause?: unknown },
  ) {
    super(message, where?.cause !== undefined ? { cause: where.cause } : undefined);
    if (where?.seq !== undefined) this.seq = where.seq;
  }

  /** for `corrupt`: the seq of the first receipt that cannot be trusted, when known */
  readonly seq?: number;
}

/**
 * Where a store records events: the receipt log (src/receipts) in the durable store. `append` is synchronous (it
 * assigns the position and signs) and throws when the journal is broken; `flush` makes everything appended durable
 * (group commit) and rejects when it cannot.
 */
export interface Journal<Receipt> {
  append(kind: string, body: JsonObject, time: number, known?: KnownCanonical): Receipt;
  flush(): Promise<void>;
}
