// The receipt log: one append-only file of canonical receipts (DIR/receipts.jsonl, one per line) and a file of
// signed checkpoints (DIR/checkpoints.jsonl, one {"note": "<C2SP signed note>"} per line).
//
// append() is synchronous: it assigns seq and prev (the chain hashes unsigned payloads, so it never waits for a
// signature) and buffers the receipt. With a plain Signer it also signs, extends the Merkle tree and frames the line
// right there; with a signer that has `signMany` (signing-pool.ts) that happens in the group commit, the whole batch
// signed in parallel off the main thread.
// flush() is the group commit: on the next turn (so the callers already running join in) what is buffered is
// written, one write at a time in seq order (at most 64 receipts each with batch signing); each write is followed by
// an fdatasync that the next write does not wait for, and a flush resolves once a sync covers every receipt appended
// before the call. A failed write or sync rejects every waiting flush, and append() then returns an error: the log
// is "broken" until reopened (the store turns that into deny).
// A checkpoint is written after the receipts it covers are durable, whenever `checkpointEvery` receipts have
// accumulated since the last one, and on close().
import { promises as fs, writevSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { DiagnosticDef } from "../diagnostics/diagnostic.ts";
import type { JsonObject } from "../ir/types.ts";
import { flat, tryCanonicalizeReusing, type KnownCanonical } from "../ir/canonicalize.ts";
import { isValidKeyName, signCheckpoint, verifyCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { CompactTree } from "./merkle.ts";
import { sha256, toBase64 } from "./bytes.ts";
import { LogWriter } from "./log-writer.ts";
import { NativeSigner } from "./signer.ts";
import {
  encodeUnsealed,
  rememberReceiptHash,
  RECEIPT_VERSION,
  unsealedBodyText,
  unsignedCanonical,
  finishReceipt,
  SEAL_KIND,
  sealBody,
  signedReceipt,
  isValidKeyId,
  prepareReceipt,
  receiptTime,
  signPrepared,
  type EncodedReceipt,
  type PreparedReceipt,
  type Receipt,
  type ReceiptKind,
} from "./receipt.ts";
import { CHECKPOINTS_FILE, RECEIPTS_FILE, scanCheckpoints, scanReceipts, type CheckpointRecord, type ReceiptProblem, type ScanProblem, type TornTail } from "./scan.ts";
import type { Signer } from "./signer.ts";

export type LogErrorKind = ReceiptProblem | "io" | "broken" | "closed" | "invalid" | "options";

/** Every failure of the log, typed: what (`problem`), the stable code, and where when it is about a file position. */
export class ReceiptLogError extends Error {
  readonly code: string;
  readonly problem: LogErrorKind;
  readonly file?: string;
  readonly line?: number;
  readonly offset?: number;
  readonly seq?: number;

  constructor(problem: LogErrorKind, code: string, message: string, where: { file?: string; line?: number; offset?: number; seq?: number } = {}) {
    super(message);
    this.name = "ReceiptLogError";
    this.problem = problem;
    this.code = code;
    if (where.file !== undefined) this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.seq !== undefined) this.seq = where.seq;
  }

  static from(p: ScanProblem): ReceiptLogError {
    const pos = p.line > 0 ? ` (${p.file} line ${p.line}, byte ${p.offset})` : ` (${p.file})`;
    return new ReceiptLogError(p.problem, p.code, p.message + pos, p);
  }
}

function logError<A extends readonly unknown[]>(problem: LogErrorKind, def: DiagnosticDef<A>, ...args: A): ReceiptLogError {
  return new ReceiptLogError(problem, def.code, def.message(...args));
}

/** An I/O (or signing) failure during `what`, as the log's error; a ReceiptLogError passes through unchanged. */
function ioError(what: string, e: unknown): ReceiptLogError {
  return e instanceof ReceiptLogError ? e : logError("io", Diagnostics.receiptLogIo, what, e instanceof Error ? e.message : String(e));
}

export interface ReceiptLogOptions {
  readonly signer: Signer;
  /** the log's identity: first line of its checkpoints and their signature key name (no spaces, no `+`) */
  readonly origin: string;
  /** write a checkpoint once this many receipts are durable since the last one; 0: only on close. Default 1000. */
  readonly checkpointEvery?: number;
  /** "fsync" (default): flush() waits for fdatasync. "none": no syncs (tests, benchmarks, throwaway logs). */
  readonly durability?: "fsync" | "none";
  /**
   * "per-receipt" (default): every receipt is signed. "per-batch": receipts carry no signature; each group commit ends
   * with one signed `seal` receipt holding the Merkle root of the log up to it, so each receipt still verifies on its
   * own with its inclusion proof (proveReceipt). One signature per write instead of one per receipt.
   */
  readonly signatures?: "per-receipt" | "per-batch";
  /**
   * Per-batch signatures with a NativeSigner: "thread" (default) builds, hashes, seals and writes each batch on a
   * writer thread of the log's own (log-writer.ts), so the deciding thread keeps only each body's canonical text;
   * "main" does it all on the calling thread (as with any other signer). The bytes written are the same.
   */
  readonly writer?: "thread" | "main";
  /** called for each existing receipt while opening, in order (not the log's own seals): how the store rebuilds its state (if it throws, open rejects with that error) */
  readonly replay?: (receipt: Receipt, where: { readonly line: number; readonly offset: number }) => void;
}

export interface LogHead {
  /** number of receipts (durable or buffered) */
  readonly size: number;
  /** seq of the last receipt; -1 when empty */
  readonly seq: number;
  /** chain hash of the last receipt (its unsigned payload): the next receipt's `prev` */
  readonly hash: string;
}

/** What open() found and repaired. */
export interface OpenReport {
  /** receipts already in the log */
  readonly existing: number;
  readonly checkpoints: number;
  /** torn tails removed (bytes after the last newline: writes that never completed, so never acknowledged) */
  readonly truncated: readonly TornTail[];
}

/** An appended receipt. `receipt` and `line` are set once it is signed: by `append` itself with a plain Signer, by the
 * flush that writes it when the signer signs off-thread (`signMany`); always by the time that flush resolves. */
export interface AppendedReceipt<B extends JsonObject> {
  readonly ok: true;
  readonly seq: number;
  readonly receipt: Receipt<B> | undefined;
  readonly line: string | undefined;
}

/** The log's AppendedReceipt: completed by #finish; the line is decoded from the written bytes when read. */
class Entry<B extends JsonObject> implements AppendedReceipt<B> {
  readonly ok = true;
  receipt: Receipt<B> | undefined = undefined;
  /** the line and its newline: what the log writes */
  bytes: Buffer | null = null;
  /** for the writer thread: the body's canonical text, until it is handed over */
  bodyText: string | null = null;
  constructor(readonly seq: number) {}
  get line(): string | undefined {
    if (this.bytes !== null) return this.bytes.toString("utf8", 0, this.bytes.length - 1);
    // written by the writer thread: the line is made again from the receipt (its body is not mutated: see append)
    const r = this.receipt;
    const text = r === undefined ? undefined : tryCanonicalizeReusing(r.body);
    return r === undefined || text === undefined || !text.ok ? undefined : unsignedCanonical(text.value, r.kind, r.prev, r.seq, r.signer, r.time);
  }
}

/** A receipt handed to the writer thread: its entry is completed when the thread answers that its batch is written. */
interface Queued {
  readonly entry: Entry<JsonObject>;
  readonly kind: ReceiptKind;
  readonly time: string;
  readonly body: JsonObject;
}

export type AppendResult<B extends JsonObject> = AppendedReceipt<B> | { readonly ok: false; readonly error: ReceiptLogError };

/**
 * A buffered receipt: signed (its entry holds its line and newline), or with its signature requested
 * (`signing`, a batch's signatures, this one at `index`), or not yet requested.
 */
interface Buffered {
  /** null: encoded unsigned (per-batch signatures), its entry complete */
  readonly prepared: PreparedReceipt<JsonObject> | null;
  readonly entry: Entry<JsonObject>;
  signing: Promise<readonly OffThread[]> | null;
  index: number;
}

/** A receipt signed off this thread: its signature, and when the signer framed it too, its line and leaf hash. */
interface OffThread {
  readonly signature: Uint8Array;
  readonly line?: Buffer;
  readonly leaf?: Uint8Array;
}

/** The signer's way of signing a group off this thread: framed too (frameMany) when it can, else signMany; or none. */
function offThreadSigning(signer: Signer): ((group: readonly Buffered[]) => Promise<readonly OffThread[]>) | null {
  if (signer.frameMany !== undefined && signer.signMany !== undefined) {
    const frameMany = signer.frameMany.bind(signer);
    return (group) => frameMany(group.map((b) => b.prepared as PreparedReceipt<JsonObject>));
  }
  if (signer.signMany === undefined) return null;
  const signMany = signer.signMany.bind(signer);
  return async (group) => (await signMany(group.map((b) => (b.prepared as PreparedReceipt<JsonObject>).message))).map((signature) => ({ signature }));
}

/** With batch signing, signatures are requested once this many receipts wait, so signing overlaps deciding. */
const SIGN_EVERY = 32;
/** With batch signing, the most receipts one write carries (see #startWrite). */
const MAX_BATCH = 64;
/** Signed on this thread (a plain Signer, or per-batch seals): with no sync under way, a flush writes at once when
 * this many receipts wait. */
const WRITE_EARLY = 16;
/**
 * With the writer thread: a flush hands its batch over at once (WRITER_EARLY) while at most one batch is not yet
 * durable, and on the next turn while fewer than WRITER_MAX_OUT are; the rest gather and go as syncs complete.
 * Measured at 64 callers with fsync (2 cores): 4 and 1 gave 25.3k decisions/s, 2 and 0 23.7k. Since the thread
 * syncs on itself and writes every waiting batch at once, 32 beat 16 at 64 callers (median of paired rounds +6 to
 * +13% in three sets; 24: +7%; 256 callers: no change): fewer hand-offs, each costing the deciding thread a postMessage.
 */
const WRITER_EARLY = 32;
const WRITER_MAX_OUT = 4;
const WRITER_EARLY_OUT = 1;

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

const DEFAULT_CHECKPOINT_EVERY = 1000;
/** On open, the uncovered tail's signatures are checked on the main thread up to this many, then on worker threads. */
const TAIL_INLINE_CHECKS = 4096;

/** A checkpoint of the log that is not signed by the log's own key. */
function checkpointProblem(cp: CheckpointRecord, why: string): ScanProblem {
  return {
    problem: "checkpoint",
    code: Diagnostics.receiptCheckpointInvalid.code,
    message: Diagnostics.receiptCheckpointInvalid.message(`line ${cp.line}: ${why}`),
    file: cp.file ?? CHECKPOINTS_FILE,
    line: cp.line,
    offset: cp.offset,
    seq: Math.max(cp.size - 1, 0),
  };
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

async function truncateTail(dir: string, file: string, length: number, durable: boolean): Promise<void> {
  const h = await fs.open(path.join(dir, file), "r+");
  try {
    await h.truncate(length);
    if (durable) await h.sync();
  } finally {
    await h.close();
  }
}

async function writeAll(h: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await h.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

/** The most buffers one writev takes (POSIX guarantees IOV_MAX >= 16; Linux has 1024). */
const IOV_MAX = 1024;

/**
 * Writes every buffer, in order, with writev on this thread: the bytes go to the page cache (tens of µs for a batch),
 * no copy into one buffer and no round trip through the thread pool; the fdatasync that makes them durable is the
 * part that waits on the disk, and it runs off this thread.
 */
function writeAllSync(fd: number, buffers: readonly Buffer[]): void {
  let i = 0;
  let skip = 0; // bytes of buffers[i] already written
  while (i < buffers.length) {
    const chunk = buffers.slice(i, i + IOV_MAX);
    if (skip > 0) chunk[0] = (chunk[0] as Buffer).subarray(skip);
    let written = writevSync(fd, chunk);
    if (written === 0) throw new Error("writev wrote nothing");
    // a short write: step over what went, resume inside the buffer it stopped in
    while (i < buffers.length && written > 0) {
      const left = (buffers[i] as Buffer).length - skip;
      if (written >= left) {
        written -= left;
        skip = 0;
        i++;
      } else {
        skip += written;
        written = 0;
      }
    }
  }
}

export class ReceiptLog {
  readonly dir: string;
  readonly origin: string;
  readonly signer: Signer;
  readonly report: OpenReport;
  readonly #receipts: FileHandle;
  readonly #checkpoints: FileHandle;
  readonly #fsync: boolean;
  readonly #checkpointEvery: number;
  readonly #tree: CompactTree;
  /** the signer's signMany: then receipts are signed in the group commit rather than in append */
  readonly #signMany: ((group: readonly Buffered[]) => Promise<readonly OffThread[]>) | null;
  /** per-batch signatures: receipts go out unsigned, each write closed by a signed seal */
  readonly #perBatch: boolean;
  /** per-batch signatures on the writer thread: then #tree, #headHash and the tree below follow its answers */
  readonly #writer: LogWriter | null = null;
  /** appended for the writer, not sent yet */
  #queued: Queued[] = [];
  /** batches sent to the writer, not yet answered as written, in order */
  readonly #sent: Queued[][] = [];
  /** with the writer: the tree's size and root as of its last written batch */
  #writtenSize: number;
  #writtenRoot: Uint8Array;
  #headHash: string;
  #size: number;
  #durableSize: number;
  #checkpointedSize: number;
  #pending: Buffered[] = [];
  /** appended, signature not requested yet (batch signing) */
  #unsent: Buffered[] = [];
  /** a turn is scheduled to request signatures and start a write */
  #tickSoon = false;
  /** the write under way (one at a time, in seq order) */
  #inflight: Promise<void> | null = null;
  /** flush() calls waiting for durableSize to reach their target, in call order (targets never decrease) */
  readonly #waiters: Waiter[] = [];
  /** fdatasyncs under way (each started after its batch was written) */
  readonly #syncs = new Set<Promise<void>>();
  /** checkpoints computed, waiting for their receipts to be durable */
  readonly #dueCheckpoints: Checkpoint[] = [];
  /** the chain of checkpoint writes (one at a time, in size order); a failure breaks the log, and later links see it */
  #checkpointing: Promise<void> = Promise.resolve();
  #broken: ReceiptLogError | null = null;
  #closed = false;
  #lastCheckpoint: string | null;

  private constructor(
    dir: string,
    options: ReceiptLogOptions,
    handles: { receipts: FileHandle; checkpoints: FileHandle },
    state: { tree: CompactTree; headHash: string; checkpointedSize: number; lastCheckpoint: string | null; report: OpenReport },
  ) {
    this.dir = dir;
    this.origin = options.origin;
    this.signer = options.signer;
    this.#fsync = (options.durability ?? "fsync") === "fsync";
    this.#checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    this.#receipts = handles.receipts;
    this.#checkpoints = handles.checkpoints;
    this.#tree = state.tree;
    this.#perBatch = options.signatures === "per-batch";
    this.#signMany = this.#perBatch ? null : offThreadSigning(options.signer);
    this.#size = state.tree.size;
    this.#headHash = state.headHash;
    this.#durableSize = state.tree.size;
    this.#checkpointedSize = state.checkpointedSize;
    this.#lastCheckpoint = state.lastCheckpoint;
    this.report = state.report;
    this.#writtenSize = state.tree.size;
    this.#writtenRoot = state.tree.root();
    if (this.#perBatch && options.writer !== "main" && options.signer instanceof NativeSigner) {
      this.#writer = new LogWriter(
        { fd: handles.receipts.fd, pkcs8: options.signer.pkcs8(), keyId: options.signer.keyId, headHash: state.headHash, tree: state.tree, fsync: this.#fsync },
        {
          written: (prevs, size, root) => this.#written(prevs, size, root),
          synced: (size) => {
            void this.#synced(size);
            this.#soon();
          },
          failed: (message) => this.#fail(logError("io", Diagnostics.receiptLogIo, "write", message)),
        },
      );
    }
  }

  /**
   * Opens (creating if needed) the log in `dir`. Reads every existing line and checks format, seq, chain, signer
   * key id, every checkpoint's signature (by the signer's key) and root, and the signatures of the receipts after
   * the last checkpoint (those before it are vouched for by its signed root: all of verifyLog's checks, at the cost
   * of the uncovered tail's signatures). A torn last line (an interrupted write, never acknowledged) is truncated.
   * Rejects with ReceiptLogError, positioned (`seq`: the first receipt that cannot be trusted), for anything else,
   * before `replay` has seen a receipt whose signature was not checked.
   */
  static async open(dir: string, options: ReceiptLogOptions): Promise<ReceiptLog> {
    if (!isValidKeyName(options.origin)) {
      throw new ReceiptLogError("options", Diagnostics.receiptInvalid.code, `origin \`${options.origin}\` must be non-empty, without spaces or \`+\``);
    }
    if (!isValidKeyId(options.signer.keyId)) {
      throw new ReceiptLogError("options", Diagnostics.receiptInvalid.code, `signer key id \`${options.signer.keyId}\` must be ed25519:<16 hex>`);
    }
    const every = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    if (!Number.isSafeInteger(every) || every < 0) {
      throw new ReceiptLogError("options", Diagnostics.receiptInvalid.code, "checkpointEvery must be a non-negative integer");
    }
    if (options.signatures !== undefined && options.signatures !== "per-receipt" && options.signatures !== "per-batch") {
      throw new ReceiptLogError("options", Diagnostics.receiptInvalid.code, 'signatures must be "per-receipt" or "per-batch"');
    }
    const durable = (options.durability ?? "fsync") === "fsync";
    const absDir = path.resolve(dir);
    try {
      const created = await fs.mkdir(absDir, { recursive: true });
      if (created !== undefined && durable) await syncDir(path.dirname(absDir));
    } catch (e: unknown) {
      throw ioError("directory creation", e);
    }

    const cps = await scanCheckpoints(absDir);
    if (cps.bad !== undefined) throw ReceiptLogError.from(cps.bad);
    // What is replayed is verified: a checkpoint signed by this key vouches (by its root, checked as the scan reaches
    // its size) for every receipt it covers; the signatures of the receipts after the last such checkpoint are checked
    // before they are replayed (a crash leaves at most checkpointEvery of them); a long uncovered tail (no checkpoint:
    // checkpointEvery 0 and a crash, or a lost checkpoints file) goes to worker threads after the first
    // TAIL_INLINE_CHECKS, its verdicts arriving after the replay: open then rejects, and the state built is discarded.
    const publicKey = options.signer.publicKey;
    let trusted = 0;
    let forged: ScanProblem | undefined;
    for (const cp of cps.records) {
      const v = verifyCheckpoint(cp.note, publicKey);
      if (v.ok) trusted = Math.max(trusted, cp.size);
      else forged ??= checkpointProblem(cp, v.error);
    }
    const expectSigner = options.signer.keyId;
    const replay = options.replay;
    const scan = await scanReceipts(absDir, {
      checkpoints: cps.records,
      expectSigner,
      verifyFrom: { publicKey, seq: trusted, parallelAfter: TAIL_INLINE_CHECKS },
      // unsigned receipts reach replay only once their seal (or a checkpoint) is read: an unsealed tail never does
      ...(replay ? { onReceipt: (r: Receipt, where: { readonly line: number; readonly offset: number }) => r.kind !== SEAL_KIND && replay(r, where) } : {}),
    });
    if (scan.bad !== undefined) {
      if (scan.bad.problem === "checkpoint-root") {
        // Name the first receipt that was changed, when a signature shows it (a rewrite with the key shows none).
        const full = await scanReceipts(absDir, { checkpoints: [], expectSigner, verifyFrom: { publicKey, seq: 0, parallelAfter: TAIL_INLINE_CHECKS } });
        if (full.bad !== undefined && full.bad.seq < scan.bad.seq) throw ReceiptLogError.from(full.bad);
      }
      throw ReceiptLogError.from(scan.bad);
    }
    if (forged !== undefined) throw ReceiptLogError.from(forged);

    const truncated: TornTail[] = [];
    // An unsealed tail (a batch whose write stopped before its seal) was never acknowledged: it goes, like a torn line.
    const u = scan.unsealed;
    const kept = u === undefined ? scan : { ...scan, count: u.count, headHash: u.headHash, tree: u.tree, validBytes: u.validBytes };
    try {
      if (u !== undefined) {
        const end = scan.validBytes + (scan.torn?.bytes ?? 0);
        await truncateTail(absDir, RECEIPTS_FILE, u.validBytes, durable);
        truncated.push({ file: RECEIPTS_FILE, line: u.line, offset: u.offset, bytes: end - u.validBytes });
      } else if (scan.torn !== undefined) {
        await truncateTail(absDir, RECEIPTS_FILE, scan.validBytes, durable);
        truncated.push(scan.torn);
      }
      if (cps.torn !== undefined) {
        await truncateTail(absDir, CHECKPOINTS_FILE, cps.validBytes, durable);
        truncated.push(cps.torn);
      }
    } catch (e: unknown) {
      throw ioError("truncating a torn last line", e);
    }

    let receipts: FileHandle | undefined;
    let checkpoints: FileHandle | undefined;
    try {
      receipts = await fs.open(path.join(absDir, RECEIPTS_FILE), "a", 0o644);
      checkpoints = await fs.open(path.join(absDir, CHECKPOINTS_FILE), "a", 0o644);
      // New files are durable only once the directory entry is.
      if (durable && (scan.missing || cps.records.length === 0)) await syncDir(absDir);
    } catch (e: unknown) {
      await receipts?.close().catch(() => undefined);
      await checkpoints?.close().catch(() => undefined);
      throw ioError("open", e);
    }
    const last = cps.records.reduce<(typeof cps.records)[number] | null>((m, r) => (m === null || r.size >= m.size ? r : m), null);
    return new ReceiptLog(
      absDir,
      options,
      { receipts, checkpoints },
      {
        tree: kept.tree,
        headHash: kept.headHash,
        checkpointedSize: last?.size ?? 0,
        lastCheckpoint: last?.note ?? null,
        report: { existing: kept.count, checkpoints: cps.records.length, truncated },
      },
    );
  }

  /** With the writer thread, as of the last batch it wrote (every appended receipt once a flush has resolved). */
  get head(): LogHead {
    const size = this.#writer !== null ? this.#writtenSize : this.#size;
    return { size, seq: size - 1, hash: this.#headHash };
  }

  /** receipts appended (signed or not yet, durable or not yet) */
  get size(): number {
    return this.#size;
  }

  /** receipts known to be on disk (all of them when durability is "none" and a flush has completed) */
  get durableSize(): number {
    return this.#durableSize;
  }

  /** the error that broke the log, if any */
  get broken(): ReceiptLogError | null {
    return this.#broken;
  }

  /** the most recent signed checkpoint note, if any */
  get lastCheckpoint(): string | null {
    return this.#lastCheckpoint;
  }

  /** Merkle root over every receipt signed so far (durable or not): all appended ones once a flush has resolved. */
  root(): Uint8Array {
    return this.#writer !== null ? this.#writtenRoot : this.#tree.root();
  }

  /**
   * Buffers one receipt (signed here with a plain Signer, in the group commit with `signMany`); synchronous. It is
   * durable once a later flush() resolves. `body` is kept by reference in the receipt: do not mutate it afterwards.
   */
  append<B extends JsonObject>(kind: ReceiptKind, body: B, time: Date | string | number, known?: KnownCanonical): AppendResult<B> {
    if (this.#broken !== null) return { ok: false, error: logError("broken", Diagnostics.receiptLogBroken, this.#broken.message) };
    if (this.#closed) return { ok: false, error: logError("closed", Diagnostics.receiptLogClosed) };
    const t = receiptTime(time);
    if (!t.ok) return { ok: false, error: logError("invalid", Diagnostics.receiptInvalid, t.error) };
    if (kind === SEAL_KIND) return { ok: false, error: logError("invalid", Diagnostics.receiptInvalid, `receipt kind \`${SEAL_KIND}\` is the log's own`) };
    if (this.#writer !== null) return this.#appendToWriter(kind, body, t.value, known);
    if (this.#perBatch) return this.#appendUnsealed(kind, body, t.value, known);
    const prepared = prepareReceipt({ seq: this.#size, prev: this.#headHash, time: t.value, kind, body }, this.signer.keyId, known);
    if (!prepared.ok) return { ok: false, error: logError("invalid", Diagnostics.receiptInvalid, prepared.error) };
    const entry = new Entry<B>(this.#size);
    const buffered: Buffered = { prepared: prepared.value, entry: entry as Entry<JsonObject>, signing: null, index: 0 };
    if (this.#signMany === null) {
      const signed = signPrepared(prepared.value, this.signer);
      if (!signed.ok) return { ok: false, error: logError("invalid", Diagnostics.receiptInvalid, signed.error) };
      this.#finish(buffered, signed.value);
    }
    this.#size++;
    this.#headHash = prepared.value.hash;
    this.#pending.push(buffered);
    if (this.#signMany !== null && this.#unsent.push(buffered) >= SIGN_EVERY) this.#requestSignatures();
    return entry;
  }

  /** Per-batch signatures: the receipt is complete (unsigned) at once and its leaf joins the tree; the seal comes with its write. */
  #appendUnsealed<B extends JsonObject>(kind: ReceiptKind, body: B, time: string, known: KnownCanonical | undefined): AppendResult<B> {
    const encoded = encodeUnsealed({ seq: this.#size, prev: this.#headHash, time, kind, body }, this.signer.keyId, known);
    if (!encoded.ok) return { ok: false, error: logError("invalid", Diagnostics.receiptInvalid, encoded.error) };
    const entry = new Entry<B>(this.#size);
    const buffered: Buffered = { prepared: null, entry: entry as Entry<JsonObject>, signing: null, index: 0 };
    this.#finishFramed(buffered, encoded.value.receipt, encoded.value.framed.subarray(1), encoded.value.leaf);
    this.#size++;
    this.#headHash = encoded.value.hash;
    this.#pending.push(buffered);
    return entry;
  }

  /** Per-batch signatures on the writer thread: only the body's canonical text is made here; the thread does the rest. */
  #appendToWriter<B extends JsonObject>(kind: ReceiptKind, body: B, time: string, known: KnownCanonical | undefined): AppendResult<B> {
    const text = unsealedBodyText(kind, body, known);
    if (!text.ok) return { ok: false, error: logError("invalid", Diagnostics.receiptInvalid, text.error) };
    const entry = new Entry<B>(this.#size);
    entry.bodyText = flat(text.value); // held until the batch is handed over
    this.#queued.push({ entry: entry as Entry<JsonObject>, kind, time, body });
    this.#size++;
    return entry;
  }

  /** Hands what is queued to the writer thread as one batch; its seal takes the next seq. */
  #sendToWriter(writer: LogWriter): void {
    const batch = this.#queued;
    if (batch.length === 0) return;
    this.#queued = [];
    const n = batch.length;
    const bodies = new Array<string>(n);
    const kinds = new Array<string>(n);
    const times = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const q = batch[i] as Queued;
      bodies[i] = q.entry.bodyText as string;
      // the thread has its copy; an entry's line, rarely asked for, is made again from its receipt
      q.entry.bodyText = null;
      kinds[i] = q.kind;
      times[i] = q.time;
    }
    const seq = (batch[0] as Queued).entry.seq;
    this.#size++; // the seal
    this.#sent.push(batch);
    writer.send({ seq, bodies, kinds, times, sealTime: new Date().toISOString() });
  }

  /** The writer wrote a batch: its receipts are complete (their `prev` known), and checkpoints may fall due. */
  #written(prevs: readonly string[], size: number, root: Uint8Array): void {
    const batch = this.#sent.shift();
    if (batch === undefined || prevs.length !== batch.length + 1) {
      this.#fail(logError("io", Diagnostics.receiptLogIo, "write", "the writer thread answered a batch that was not sent"));
      return;
    }
    let prev = this.#headHash;
    const signer = this.signer.keyId;
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i] as Queued;
      const receipt: Receipt<JsonObject> = { v: RECEIPT_VERSION, seq: q.entry.seq, prev, time: q.time, kind: q.kind, body: q.body, signer };
      prev = prevs[i] as string;
      rememberReceiptHash(receipt, prev);
      q.entry.receipt = receipt;
    }
    this.#headHash = prevs[batch.length] as string;
    this.#writtenSize = size;
    this.#writtenRoot = root;
    if (this.#checkpointEvery > 0 && size - this.#checkpointedSize >= this.#checkpointEvery) {
      this.#checkpointedSize = size;
      this.#dueCheckpoints.push({ origin: this.origin, size, root });
    }
  }

  /**
   * Per-batch signatures: closes what is pending with a seal, signed here: a receipt of kind `seal` whose body holds
   * the Merkle root of every receipt before it. Synchronous, so nothing is appended between the batch and its seal.
   */
  #appendSeal(): Buffered {
    const size = this.#size;
    const body = sealBody(size, this.#tree.root());
    const prepared = prepareReceipt({ seq: size, prev: this.#headHash, time: new Date().toISOString(), kind: SEAL_KIND, body }, this.signer.keyId);
    if (!prepared.ok) throw logError("invalid", Diagnostics.receiptInvalid, prepared.error);
    const signed = signPrepared(prepared.value, this.signer);
    if (!signed.ok) throw logError("io", Diagnostics.receiptLogIo, "seal signing", signed.error);
    const b: Buffered = { prepared: prepared.value, entry: new Entry<JsonObject>(size), signing: null, index: 0 };
    this.#finish(b, signed.value);
    this.#size++;
    this.#headHash = prepared.value.hash;
    return b;
  }

  /** Batch signing: asks the signer for the signatures of every receipt not yet sent; they are awaited in #write. */
  #requestSignatures(): void {
    const group = this.#unsent;
    if (group.length === 0 || this.#signMany === null) return;
    this.#unsent = [];
    let signing: Promise<readonly OffThread[]>;
    try {
      signing = this.#signMany(group);
    } catch (e: unknown) {
      signing = Promise.reject(e);
    }
    // awaited by #write; a rejection here must not also surface as unhandled
    signing.catch(() => undefined);
    for (let i = 0; i < group.length; i++) {
      const b = group[i] as Buffered;
      b.signing = signing;
      b.index = i;
    }
  }

  /** The receipt is signed: it completes its entry and its leaf joins the tree (in seq order: callers keep that order). */
  #finish(b: Buffered, encoded: EncodedReceipt<JsonObject>): void {
    // framed = [0x00 | line | "\n"]: the RFC 9162 leaf input and the bytes to write are views of it.
    this.#finishFramed(b, encoded.receipt, encoded.framed.subarray(1), sha256(encoded.framed.subarray(0, encoded.framed.length - 1)));
  }

  #finishFramed(b: Buffered, receipt: Receipt<JsonObject>, bytes: Buffer, leaf: Uint8Array): void {
    this.#tree.appendLeafHash(leaf);
    b.entry.receipt = receipt;
    b.entry.bytes = bytes;
  }

  /** Group commit: resolves when every receipt appended before this call is durable; rejects if the log broke. */
  flush(): Promise<void> {
    if (this.#broken !== null) return Promise.reject(this.#broken);
    const target = this.#size;
    if (this.#durableSize >= target) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ target, resolve, reject }));
    // Callers answered by one sync come back together, each deciding on this thread. When the disk is idle, start
    // writing (and syncing) the first of them while the rest still decide, so its wait overlaps the work instead of
    // following it; while a sync runs, the rest gather into one batch (each sync costs the kernel real CPU time).
    const writer = this.#writer;
    if (writer !== null) {
      if (writer.unsynced <= WRITER_EARLY_OUT && this.#queued.length >= WRITER_EARLY) this.#sendToWriter(writer);
      else this.#soon();
    } else if (this.#signMany === null && this.#syncs.size === 0 && this.#pending.length >= WRITE_EARLY) this.#startWrite();
    else this.#soon();
    return done;
  }

  /**
   * On the next turn, once the callers already running have appended too (so they share one request and one write):
   * ask for the signatures still unrequested, even if the write that carries them has to wait, and start a write
   * unless one is under way.
   */
  #soon(): void {
    if (this.#tickSoon || (this.#pending.length === 0 && this.#queued.length === 0) || this.#broken !== null) return;
    this.#tickSoon = true;
    setImmediate(() => {
      this.#tickSoon = false;
      if (this.#writer !== null) {
        // while the thread has enough batches out, the rest gather and go when one is durable (#synced)
        if (this.#broken === null && this.#writer.unsynced < WRITER_MAX_OUT) this.#sendToWriter(this.#writer);
        return;
      }
      this.#requestSignatures();
      if (this.#inflight === null && this.#pending.length > 0 && this.#broken === null) this.#startWrite();
    });
  }

  #startWrite(): void {
    // With batch signing a write carries at most MAX_BATCH receipts: its callers are answered (and come back with
    // more work) while the next batch is still being signed, instead of everyone waiting for one big batch.
    // Signing inside append never waits, and its checkpoints need the tree to end where the batch ends: all of it.
    const batch = this.#signMany !== null && this.#pending.length > MAX_BATCH ? this.#pending.splice(0, MAX_BATCH) : this.#pending.splice(0);
    if (this.#perBatch && batch.length > 0) {
      try {
        batch.push(this.#appendSeal());
      } catch (e: unknown) {
        this.#fail(e);
        return;
      }
    }
    if (this.#signMany === null) {
      // nothing to wait for: written now, in seq order, its sync started
      try {
        this.#writeSigned(batch);
      } catch (e: unknown) {
        this.#fail(e);
      }
      return;
    }
    const p = this.#write(batch).then(
      () => {
        this.#inflight = null;
        this.#soon();
      },
      (e: unknown) => {
        this.#inflight = null;
        this.#fail(e);
      },
    );
    this.#inflight = p;
  }

  /** The log is broken: every waiting flush rejects, and so does everything after. */
  #fail(e: unknown): void {
    this.#broken ??= ioError("write", e);
    for (const w of this.#waiters.splice(0)) w.reject(this.#broken);
  }

  /** Resolves the flushes whose receipts are all durable now. */
  #settleWaiters(): void {
    let n = 0;
    while (n < this.#waiters.length && (this.#waiters[n] as Waiter).target <= this.#durableSize) n++;
    for (const w of this.#waiters.splice(0, n)) w.resolve();
  }

  // Writes run one at a time, in seq order (#startWrite starts one only when none is under way; a batch whose
  // receipts are all signed is written synchronously), so batches join the tree, and the file, in seq order. The
  // fdatasync that makes a batch durable is not waited for here: the next batch can be written while it runs (a sync
  // covers everything written before it started).
  async #write(batch: Buffered[]): Promise<void> {
    if (this.#broken !== null) throw this.#broken;
    try {
      await this.#signBatch(batch);
    } catch (e: unknown) {
      throw ioError("write", e);
    }
    this.#writeSigned(batch);
  }

  /** Writes a batch whose receipts are all signed and in the tree, and starts its sync. Throws when the write fails. */
  #writeSigned(batch: readonly Buffered[]): void {
    if (this.#broken !== null) throw this.#broken;
    let size: number;
    try {
      // Everything up to the batch's end is signed and in the tree now (later appends are not, yet, with batch
      // signing; with a plain Signer they are, so the size comes from the batch).
      size = batch.length > 0 ? (batch[batch.length - 1] as Buffered).entry.seq + 1 : this.#tree.size;
      if (this.#checkpointEvery > 0 && size - this.#checkpointedSize >= this.#checkpointEvery && size === this.#tree.size) {
        this.#checkpointedSize = size;
        this.#dueCheckpoints.push({ origin: this.origin, size, root: this.#tree.root() });
      }
      if (batch.length > 0) writeAllSync(this.#receipts.fd, batch.map((b) => b.entry.bytes as Buffer));
    } catch (e: unknown) {
      throw ioError("write", e);
    }
    const sync = this.#sync(size);
    this.#syncs.add(sync);
    void sync.finally(() => this.#syncs.delete(sync));
  }

  /** Makes the file durable up to `size` (fdatasync), then #synced. */
  async #sync(size: number): Promise<void> {
    try {
      if (this.#fsync) await this.#receipts.datasync();
    } catch (e: unknown) {
      this.#fail(e);
      return;
    }
    await this.#synced(size);
  }

  /** The file is durable up to `size`: writes the checkpoints that became due, answers the flushes. */
  async #synced(size: number): Promise<void> {
    try {
      // syncs may finish out of order; each covers every write before it
      if (size > this.#durableSize) this.#durableSize = size;
      await this.#writeDueCheckpoints();
    } catch (e: unknown) {
      this.#fail(e);
      return;
    }
    this.#settleWaiters();
  }

  /** Checkpoints are written in order, each only once the receipts it covers are durable. */
  #writeDueCheckpoints(): Promise<void> {
    this.#checkpointing = this.#checkpointing.then(async () => {
      while (this.#dueCheckpoints.length > 0 && (this.#dueCheckpoints[0] as Checkpoint).size <= this.#durableSize && this.#broken === null) {
        await this.#writeCheckpoint(this.#dueCheckpoints.shift() as Checkpoint);
      }
    });
    return this.#checkpointing;
  }

  /** Waits for the batch's signatures (requested as receipts were appended) and finishes its receipts in seq order. */
  async #signBatch(batch: Buffered[]): Promise<void> {
    this.#requestSignatures();
    let current: Promise<readonly OffThread[]> | null = null;
    let signed: readonly OffThread[] = [];
    for (const b of batch) {
      if (b.signing !== current) {
        current = b.signing;
        try {
          signed = await (current as Promise<readonly OffThread[]>);
        } catch (e: unknown) {
          throw ioError("signing", e);
        }
      }
      const one = signed[b.index];
      if (one === undefined || one.signature.length !== 64) throw logError("io", Diagnostics.receiptLogIo, "signing", "the signer returned too few signatures");
      const prepared = b.prepared as PreparedReceipt<JsonObject>;
      if (one.line !== undefined && one.leaf !== undefined) this.#finishFramed(b, signedReceipt(prepared, toBase64(one.signature)), one.line, one.leaf);
      else this.#finish(b, finishReceipt(prepared, one.signature));
    }
  }

  async #writeCheckpoint(cp: Checkpoint): Promise<void> {
    let note: string;
    try {
      note = signCheckpoint(cp, this.signer);
    } catch (e: unknown) {
      throw ioError("checkpoint signing", e);
    }
    await writeAll(this.#checkpoints, Buffer.from(JSON.stringify({ note }) + "\n", "utf8"));
    if (this.#fsync) await this.#checkpoints.datasync();
    this.#lastCheckpoint = note;
  }

  /** Flushes, writes a final checkpoint when receipts were added since the last one, and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.flush();
      // Wait for writes and syncs still under way (ones whose receipts were all durable already), and due checkpoints.
      while (this.#inflight !== null || this.#syncs.size > 0) await Promise.all([this.#inflight, ...this.#syncs]);
      await this.#checkpointing;
      if (this.#broken !== null) throw this.#broken;
      const size = this.#writer !== null ? this.#writtenSize : this.#tree.size;
      if (size > this.#checkpointedSize) {
        this.#checkpointedSize = size;
        await this.#writeCheckpoint({ origin: this.origin, size, root: this.root() });
      }
    } catch (e: unknown) {
      const err = ioError("close", e);
      this.#broken ??= err;
      throw err;
    } finally {
      await this.#writer?.close();
      await this.#receipts.close().catch(() => undefined);
      await this.#checkpoints.close().catch(() => undefined);
    }
  }
}
