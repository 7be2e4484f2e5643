// The durable embedded store: a local directory, no server. Its journal IS the receipt log (src/receipts): every
// transaction appends exactly one receipt whose body carries the state changes it made (`body.state`), and opening
// the store replays the log through the same `apply` the live path uses, so counters and approval requests come
// back exactly. The transaction itself is the runtime's one sequence (src/runtime/transaction.ts); this store passes
// in its log (append, group-commit flush, the receipt a batch signature completes) and refuses while closed or broken.
//
// Durability contract: a transaction (a decision, an approval) is answered only after the group commit that made
// its receipt durable has resolved (fdatasync of the log). A crash (even kill -9) loses only transactions that were
// never answered; a torn last line is truncated on open by the receipt log. Changes are applied in memory before the
// fsync so concurrent transactions see them (they are serialized by the single JS thread); if that fsync fails, the
// log is broken, every transaction from then on is denied (`XP5004`), and the lost changes are never acknowledged.
//
// Single writer: `DIR/LOCK` (lock.ts). A second opener gets StoreError `locked` naming the holder.
// Receipts are signed by the store's key: `options.signer`, or `DIR/runtime.key` (created with mode 0600 on first
// open, public half in `DIR/runtime.pub`). A log accepts one signer: reopening with another key is refused.
// Beside it, `DIR/runtime.redaction-key` (created with it, mode 0600): the key `@sensitive` values are committed under
// in receipts (receipts/redaction.ts), unless `options.redactionKey` is given. `DIR/principals.keyring`, when the
// service writes one, holds the approver keys of principals (runtime/principal-keyring.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { JsonObject } from "../ir/types.ts";
import { generateKeyPair, readPrivateKeyFile, writeKeyFiles } from "../receipts/keys.ts";
import { ReceiptLog, ReceiptLogError, type AppendedReceipt } from "../receipts/log.ts";
import type { Receipt } from "../receipts/receipt.ts";
import { createSigner, type Signer, type SignerKind } from "../receipts/signer.ts";
import { SigningPool } from "../receipts/signing-pool.ts";
import { acquireDirectoryLock, type DirectoryLock } from "./lock.ts";
import { filePrincipalKeyring, PRINCIPAL_KEYRING_FILE, type PrincipalKeyring } from "../runtime/principal-keyring.ts";
import { generateRedactionKey, readRedactionKeyFile, writeRedactionKeyFile, type RedactionKey } from "../receipts/redaction.ts";
import { RuntimeState } from "../runtime/state.ts";
import { StoreError, type RequestSnapshot, type StateStore, type StateView, type StoreFailure, type TxOutcome, type TxScope, type TxStep } from "../runtime/store.ts";
import { replayBody, runTransaction, storeClosed, storeUnavailable, type Transactor } from "../runtime/transaction.ts";

export interface DurableStoreOptions {
  /** signs the receipts; default: the directory's own key `DIR/runtime.key`, created on first open */
  readonly signer?: Signer;
  /** how the directory's own key signs: "noble" (default, pure JS) or "native" (node:crypto, several times faster;
   * Ed25519 is deterministic, so the signatures are the same bytes) */
  readonly signerKind?: SignerKind;
  /** with signerKind "native": sign each group commit on this many worker threads (SigningPool); 0 (default): on
   * the main thread. Throughput under concurrent callers, at the cost of a thread hop per commit. */
  readonly signingThreads?: number;
  /**
   * "per-receipt" (default): every receipt signed. "per-batch": one signed seal per group commit covers its receipts
   * by their Merkle root (each receipt still verifies offline with its inclusion proof); a signature per write
   * instead of per decision. See src/receipts/README.md, "Per-batch signatures".
   */
  readonly signatures?: "per-receipt" | "per-batch";
  /** the log's checkpoint origin; default `execlayer/<directory name>` */
  readonly origin?: string;
  /** checkpoint every N receipts (default 1000) */
  readonly checkpointEvery?: number;
  /** "fsync" (default) or "none" (tests and benchmarks only: no durability) */
  readonly durability?: "fsync" | "none";
  /** commits `@sensitive` values in receipts; default: the directory's own `DIR/runtime.redaction-key`, created on first open */
  readonly redactionKey?: RedactionKey;
}

export const RUNTIME_KEY_BASE = "runtime";
/** The redaction key's file in a state directory, beside `runtime.key`. */
export const REDACTION_KEY_FILE = "runtime.redaction-key";

async function loadOrCreateRedactionKey(dir: string): Promise<RedactionKey> {
  const file = path.join(dir, REDACTION_KEY_FILE);
  if (!fs.existsSync(file)) {
    try {
      await writeRedactionKeyFile(file, generateRedactionKey());
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  const key = await readRedactionKeyFile(file);
  if (!key.ok) throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(dir, key.error), "io");
  return key.value;
}

/** A log append that failed (the transaction answers XP5004 with its message). */
class AppendFailed extends Error {}

async function loadOrCreateSigner(dir: string, kind: SignerKind, threads: number): Promise<Signer> {
  const base = path.join(dir, RUNTIME_KEY_BASE);
  if (!fs.existsSync(`${base}.key`)) {
    try {
      await writeKeyFiles(base, generateKeyPair());
    } catch (e: unknown) {
      // a concurrent creator won the race: use its key
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  const pair = await readPrivateKeyFile(`${base}.key`);
  if (!pair.ok) throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(dir, pair.error), "io");
  return kind === "native" && threads > 0 ? new SigningPool(pair.value, { threads }) : createSigner(pair.value, kind);
}

/** Why `signingThreads` cannot be honoured with these options, or null. */
function signingThreadsProblem(threads: number, options: DurableStoreOptions): string | null {
  if (!Number.isSafeInteger(threads) || threads < 0) return "signingThreads must be a non-negative integer";
  if (threads === 0) return null;
  if (options.signer !== undefined) return "signingThreads applies to the directory's own key; pass a SigningPool as `signer` instead";
  if (options.signerKind !== "native") return 'signingThreads signs with node:crypto: it needs signerKind "native"';
  return null;
}

function defaultOrigin(dir: string): string {
  const name = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9._/-]/g, "_");
  return `execlayer/${name === "" ? "state" : name}`;
}

export class DurableStore implements StateStore<Receipt> {
  readonly kind = "durable";
  readonly journaled = true;
  readonly dir: string;
  readonly state: RuntimeState;
  readonly log: ReceiptLog;
  readonly signer: Signer;
  readonly redactionKey: RedactionKey;
  /** `DIR/principals.keyring`, re-read when it changes: the approver keys of principals (runtime/principal-keyring.ts) */
  readonly principalKeys: PrincipalKeyring;
  readonly #lock: DirectoryLock;
  /** the store made its signer (from DIR/runtime.key), so it releases it on close */
  readonly #ownsSigner: boolean;
  readonly #tx: Transactor<Receipt, AppendedReceipt<JsonObject>>;
  #closed = false;

  private constructor(dir: string, state: RuntimeState, log: ReceiptLog, signer: Signer, lock: DirectoryLock, ownsSigner: boolean, redactionKey: RedactionKey) {
    this.dir = dir;
    this.redactionKey = redactionKey;
    this.principalKeys = filePrincipalKeyring(path.join(dir, PRINCIPAL_KEYRING_FILE));
    this.state = state;
    this.log = log;
    this.signer = signer;
    this.#lock = lock;
    this.#ownsSigner = ownsSigner;
    // Every change is journaled (the log is the store's only memory): a step without an event gets a plain "state"
    // receipt. The receipt is set by append, or by the flush that signed it (batch signing).
    this.#tx = {
      state,
      journalEveryStep: true,
      refuse: (): StoreFailure | null => {
        if (this.#closed) return storeClosed();
        const broken = log.broken;
        return broken === null ? null : storeUnavailable(broken.message);
      },
      journal: {
        append: (kind, body, time, known) => {
          const appended = log.append(kind, body, time, known);
          if (!appended.ok) throw new AppendFailed(appended.error.message);
          return appended;
        },
        flush: () => log.flush(),
        receiptOf: (appended) => appended.receipt,
      },
    };
  }

  /**
   * Opens (creating if needed) the state directory: takes its lock, opens the receipt log and replays it, verified
   * (the log's checkpoints and the signatures of the receipts after the last one: ReceiptLog.open).
   * Rejects with a StoreError: `locked` (naming the holder), `corrupt` (where the log or a state change is bad:
   * `seq` = the first receipt that cannot be trusted, `cause` = the log's error with its XP6xxx code), or `io`.
   */
  static async open(dir: string, options: DurableStoreOptions = {}): Promise<DurableStore> {
    const abs = path.resolve(dir);
    try {
      fs.mkdirSync(abs, { recursive: true });
    } catch (e: unknown) {
      throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(abs, (e as Error).message), "io");
    }
    const threads = options.signingThreads ?? 0;
    const badThreads = signingThreadsProblem(threads, options);
    if (badThreads !== null) throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(abs, badThreads), "io");
    const lock = acquireDirectoryLock(abs);
    let made: Signer | undefined;
    try {
      made = options.signer === undefined ? await loadOrCreateSigner(abs, options.signerKind ?? "noble", threads) : undefined;
      const signer = options.signer ?? (made as Signer);
      const redactionKey = options.redactionKey ?? (await loadOrCreateRedactionKey(abs));
      const state = new RuntimeState();
      let bad: { why: string; seq: number } | null = null;
      const replay = (receipt: Receipt, where: { line: number }): void => {
        if (bad !== null) return;
        const why = replayBody(state, receipt.body);
        if (why !== null) bad = { why: `receipt ${receipt.seq} (line ${where.line}): ${why}`, seq: receipt.seq };
      };
      let log: ReceiptLog;
      try {
        log = await ReceiptLog.open(abs, {
          signer,
          origin: options.origin ?? defaultOrigin(abs),
          ...(options.checkpointEvery !== undefined ? { checkpointEvery: options.checkpointEvery } : {}),
          durability: options.durability ?? "fsync",
          ...(options.signatures !== undefined ? { signatures: options.signatures } : {}),
          replay,
        });
      } catch (e: unknown) {
        const why = e instanceof Error ? e.message : String(e);
        const corrupt = e instanceof ReceiptLogError && e.problem !== "io" && e.problem !== "options";
        const seq = e instanceof ReceiptLogError && e.seq !== undefined && e.seq >= 0 ? { seq: e.seq } : {};
        throw new StoreError(
          corrupt ? Diagnostics.storeCorrupt.code : Diagnostics.storeOpenFailed.code,
          corrupt ? Diagnostics.storeCorrupt.message(abs, e instanceof ReceiptLogError ? `${e.code} ${why}` : why) : Diagnostics.storeOpenFailed.message(abs, why),
          corrupt ? "corrupt" : "io",
          undefined,
          { ...(corrupt ? seq : {}), cause: e },
        );
      }
      if (bad !== null) {
        await log.close().catch(() => undefined);
        const { why, seq } = bad as { why: string; seq: number };
        throw new StoreError(Diagnostics.storeCorrupt.code, Diagnostics.storeCorrupt.message(abs, why), "corrupt", undefined, { seq });
      }
      return new DurableStore(abs, state, log, signer, lock, made !== undefined, redactionKey);
    } catch (e: unknown) {
      await made?.close?.().catch(() => undefined);
      lock.release();
      if (e instanceof StoreError) throw e;
      throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(abs, e instanceof Error ? e.message : String(e)), "io");
    }
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

  /** Flushes, writes the final checkpoint, releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.log.close();
    } finally {
      if (this.#ownsSigner) await this.signer.close?.().catch(() => undefined);
      this.#lock.release();
    }
  }
}
