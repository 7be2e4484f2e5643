// A receipt chain built in memory for a store that keeps its receipts somewhere else (a database table): the same
// receipts, lines, Merkle tree and signed checkpoints the receipt log (log.ts) writes to its files, so an export of
// the lines and checkpoints is a directory `verifyLog` accepts.
//
// Appends are tentative until `commit()`: a store appends one receipt per transaction of a batch, `seal()`s them
// (signs them, in one `signMany` call when the signer has it, and adds them to the tree), writes the lines in its
// own database transaction, then commits the chain when that transaction committed, or rolls it back when it did
// not (nothing appended since the last commit happened).
import { GENESIS_PREV, finishReceipt, prepareReceipt, type PreparedReceipt, type Receipt } from "./receipt.ts";
import { CompactTree } from "./merkle.ts";
import { isValidKeyName, signCheckpoint } from "./checkpoint.ts";
import { isValidKeyId } from "./receipt.ts";
import type { JsonObject } from "../ir/types.ts";
import type { Signer } from "./signer.ts";

/** How a chain names itself in its checkpoints, and how often it checkpoints. */
export interface ReceiptChainOptions {
  /** the chain's identity: first line of its checkpoints and their key name (no spaces, no `+`) */
  readonly origin: string;
  /** a checkpoint when a seal takes the size across a multiple of this; 0: only `checkpoint()`. Default 1000. */
  readonly checkpointEvery?: number;
}

/** A sealed receipt: its seq and its line (the canonical text, without the newline). */
export interface SealedReceipt {
  readonly seq: number;
  /** the receipt's canonical JSON line, without the newline: what a receipt log file holds */
  readonly line: string;
  readonly receipt: Receipt;
}

/** A signed checkpoint of a chain: its first `size` receipts. */
export interface ChainCheckpoint {
  /** receipts covered */
  readonly size: number;
  /** the C2SP signed note */
  readonly note: string;
}

/** A signed, hash-chained receipt sequence with Merkle checkpoints, kept in memory (see the header). */
export class ReceiptChain {
  /** signs the receipts and checkpoints */
  readonly signer: Signer;
  /** the checkpoints' origin line and key name */
  readonly origin: string;
  readonly #every: number;
  // committed
  #size = 0;
  #prev = GENESIS_PREV;
  #tree = new CompactTree();
  // tentative (since the last commit)
  #pending: PreparedReceipt<JsonObject>[] = [];
  #pendingPrev = GENESIS_PREV;
  #sealedTree: CompactTree | null = null;

  constructor(signer: Signer, options: ReceiptChainOptions) {
    if (!isValidKeyName(options.origin)) throw new RangeError(`invalid chain origin \`${options.origin}\``);
    if (!isValidKeyId(signer.keyId)) throw new RangeError(`signer key id \`${signer.keyId}\` must be ed25519:<16 hex>`);
    const every = options.checkpointEvery ?? 1000;
    if (!Number.isSafeInteger(every) || every < 0) throw new RangeError("checkpointEvery must be a non-negative integer");
    this.signer = signer;
    this.origin = options.origin;
    this.#every = every;
  }

  /** committed receipts */
  get size(): number {
    return this.#size;
  }

  /** Appends a receipt tentatively (seq and prev assigned, not signed yet). Throws on a bad kind or body. */
  append(kind: string, body: JsonObject, time: number): { readonly seq: number } {
    const seq = this.#size + this.#pending.length;
    const prev = this.#pending.length === 0 ? this.#prev : this.#pendingPrev;
    const prepared = prepareReceipt({ seq, prev, time: new Date(time).toISOString(), kind, body }, this.signer.keyId);
    if (!prepared.ok) throw new Error(prepared.error);
    this.#pending.push(prepared.value);
    this.#pendingPrev = prepared.value.hash;
    return { seq };
  }

  /**
   * Signs the tentative receipts and adds them to a tentative tree: their lines, and a checkpoint when the size crossed
   * a multiple of `checkpointEvery`. Rejects when the signer fails (then `rollback()`).
   */
  async seal(): Promise<{ readonly receipts: readonly SealedReceipt[]; readonly checkpoint: ChainCheckpoint | null }> {
    const pending = this.#pending;
    let signatures: Uint8Array[];
    if (this.signer.signMany !== undefined && pending.length > 1) signatures = await this.signer.signMany(pending.map((p) => p.message));
    else signatures = pending.map((p) => this.signer.sign(p.message));
    const tree = this.#tree.clone();
    const receipts: SealedReceipt[] = [];
    for (let i = 0; i < pending.length; i++) {
      const done = finishReceipt(pending[i]!, signatures[i]!);
      tree.append(done.framed.subarray(1, done.framed.length - 1));
      receipts.push({ seq: done.receipt.seq, line: done.line, receipt: done.receipt });
    }
    this.#sealedTree = tree;
    const every = this.#every;
    const crossed = every > 0 && Math.floor(tree.size / every) > Math.floor(this.#size / every);
    return { receipts, checkpoint: crossed ? this.#checkpointOf(tree) : null };
  }

  /** The sealed receipts were stored: they are the chain now. */
  commit(): void {
    if (this.#sealedTree === null || this.#sealedTree.size !== this.#size + this.#pending.length) throw new Error("commit before seal");
    this.#tree = this.#sealedTree;
    this.#size = this.#tree.size;
    if (this.#pending.length > 0) this.#prev = this.#pendingPrev;
    this.#pending = [];
    this.#sealedTree = null;
  }

  /** Drops everything appended since the last commit. */
  rollback(): void {
    this.#pending = [];
    this.#sealedTree = null;
  }

  /** A signed checkpoint of the committed chain. */
  checkpoint(): ChainCheckpoint {
    return this.#checkpointOf(this.#tree);
  }

  #checkpointOf(tree: CompactTree): ChainCheckpoint {
    return { size: tree.size, note: signCheckpoint({ origin: this.origin, size: tree.size, root: tree.root() }, this.signer) };
  }
}
