// Offline verification of a whole log directory with one public key, trusting nothing else: every receipt's form,
// seq, chain and signature, every checkpoint's signature, and every checkpoint's root against the tree of the
// receipts it covers (which also catches truncation behind the last checkpoint). Never writes anything.
import { promises as fs } from "node:fs";
import path from "node:path";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { toBase64 } from "./bytes.ts";
import { ParallelVerifier, type SignatureFailure } from "./parallel-verify.ts";
import { verifyCheckpoint } from "./checkpoint.ts";
import type { SkimmedFields } from "./receipt.ts";
import { CHECKPOINTS_FILE, readLineAt, RECEIPTS_FILE, scanCheckpoints, scanReceipts, signatureProblem, type CheckpointRecord, type ReceiptProblem, type ScanProblem } from "./scan.ts";

export interface VerifyLogResult {
  readonly ok: boolean;
  /** receipts verified (all of them when ok; those before the first problem otherwise) */
  readonly count: number;
  /** checkpoints verified */
  readonly checkpoints: number;
  /** the first problem in log order: `seq` is where the log stops being trustworthy */
  readonly firstBad?: {
    readonly seq: number;
    readonly line: number;
    readonly problem: ReceiptProblem;
    readonly message: string;
    readonly code: string;
    readonly file: string;
    readonly offset: number;
  };
  /** when ok: the last receipt's hash and the Merkle root over all receipts (base64) */
  readonly head?: string;
  readonly root?: string;
}

function failed(count: number, checkpoints: number, p: ScanProblem): VerifyLogResult {
  return {
    ok: false,
    count,
    checkpoints,
    firstBad: { seq: p.seq, line: p.line, problem: p.problem, message: p.message, code: p.code, file: p.file, offset: p.offset },
  };
}

/** Below this size the worker threads cost more than they save. */
const PARALLEL_MIN_BYTES = 2 << 20;

export interface VerifyLogOptions {
  /** worker threads for signature checks on large logs; default min(4, cores); 0 or 1: main thread only */
  readonly threads?: number;
  /** use worker threads only for receipts files at least this large (default 2 MiB) */
  readonly parallelMinBytes?: number;
  /**
   * Checkpoints the auditor kept from an earlier look (signed notes, as in checkpoints.jsonl). Each must verify with
   * the key and the log must still agree with it at its size: the log only grew. This catches an insider who holds
   * the key and rewrote receipts and checkpoints alike, which the log's own checkpoints cannot.
   */
  readonly kept?: readonly string[];
  /**
   * every receipt line, in order, as the pass reads it (before the worker threads' signature verdicts: discard what
   * was built from them unless the result is ok); `skimmed`: the kind, time and body end the verifier's skim found
   * (given for every receipt but a seal)
   */
  readonly onLine?: (seq: number, text: string, skimmed?: SkimmedFields) => void;
}

/** Where a kept checkpoint is named in a problem report: not a line of checkpoints.jsonl. */
export const KEPT_CHECKPOINT_FILE = "(kept checkpoint)";

export async function verifyLog(dir: string, publicKey: Uint8Array, options: VerifyLogOptions = {}): Promise<VerifyLogResult> {
  const receiptsFile = path.join(dir, RECEIPTS_FILE);
  let size: number;
  try {
    const st = await fs.stat(receiptsFile);
    if (!st.isFile()) throw new Error("not a regular file");
    size = st.size;
  } catch (e: unknown) {
    const message = Diagnostics.receiptLogUnreadable.message(receiptsFile, e instanceof Error ? e.message : String(e));
    return failed(0, 0, { problem: "unreadable", code: Diagnostics.receiptLogUnreadable.code, message, file: RECEIPTS_FILE, line: 0, offset: 0, seq: 0 });
  }
  const cps = await scanCheckpoints(dir);
  if (cps.bad !== undefined) return failed(0, cps.records.length, cps.bad);
  // Only checkpoints signed by the key are held against the tree; a forged one is reported as such below.
  const verdicts = cps.records.map((cp) => ({ cp, v: verifyCheckpoint(cp.note, publicKey) }));
  const signedCheckpoints = verdicts.filter((x) => x.v.ok).map((x) => x.cp);
  const kept = options.kept ?? [];
  for (let i = 0; i < kept.length; i++) {
    const v = verifyCheckpoint(kept[i]!, publicKey);
    if (!v.ok) {
      return failed(0, cps.records.length, {
        problem: "checkpoint",
        code: Diagnostics.receiptCheckpointInvalid.code,
        message: Diagnostics.receiptCheckpointInvalid.message(`kept checkpoint ${i + 1}: ${v.error}`),
        file: KEPT_CHECKPOINT_FILE,
        line: i + 1,
        offset: 0,
        seq: 0,
      });
    }
    signedCheckpoints.push({ origin: v.value.origin, size: v.value.size, root: v.value.root, note: kept[i]!, line: i + 1, offset: 0, file: KEPT_CHECKPOINT_FILE });
  }
  // Large logs: signatures are checked in worker threads while the main thread reads and chains.
  const threads = options.threads ?? ParallelVerifier.defaultThreads();
  let parallel: ParallelVerifier<{ line: number; offset: number }> | null = null;
  if (size >= (options.parallelMinBytes ?? PARALLEL_MIN_BYTES) && threads >= 2) {
    try {
      parallel = ParallelVerifier.create(publicKey, threads);
    } catch {
      parallel = null; // no worker threads here: verify on the main thread
    }
  }
  let scan: Awaited<ReturnType<typeof scanReceipts>>;
  let sigBad: SignatureFailure<{ line: number; offset: number }> | null = null;
  try {
    scan = await scanReceipts(dir, {
      checkpoints: signedCheckpoints,
      publicKey,
      skim: true,
      ...(options.onLine !== undefined ? { onLine: options.onLine } : {}),
      ...(parallel !== null ? { deferSignature: (seq, message, sig, where) => parallel.submit(seq, message, sig, where) } : {}),
    });
    if (parallel !== null) sigBad = await parallel.finish();
  } finally {
    await parallel?.close();
  }
  if (sigBad !== null && (scan.bad === undefined || sigBad.seq <= scan.bad.seq)) {
    const { seq, position } = sigBad;
    const text = await readLineAt(receiptsFile, position.offset);
    return failed(seq, cps.records.length, signatureProblem(text, seq, { file: RECEIPTS_FILE, line: position.line, offset: position.offset, seq }));
  }
  if (scan.bad !== undefined) return failed(scan.count, cps.records.length, scan.bad);
  if (scan.unsealed !== undefined) {
    const u = scan.unsealed;
    const def = Diagnostics.receiptLogUnsealed;
    return failed(u.count, cps.records.length, { problem: "unsealed", code: def.code, message: def.message(u.seq, scan.count - 1), file: RECEIPTS_FILE, line: u.line, offset: u.offset, seq: u.seq });
  }
  for (const { cp, v } of verdicts) {
    if (!v.ok) {
      return failed(scan.count, cps.records.length, {
        problem: "checkpoint",
        code: Diagnostics.receiptCheckpointInvalid.code,
        message: Diagnostics.receiptCheckpointInvalid.message(`line ${cp.line}: ${v.error}`),
        file: CHECKPOINTS_FILE,
        line: cp.line,
        offset: cp.offset,
        seq: Math.max(cp.size - 1, 0),
      });
    }
  }
  const order = checkpointOrderProblem(cps.records);
  if (order !== undefined) return failed(scan.count, cps.records.length, order);
  const removed = removedCheckpointProblem(cps.records, signedCheckpoints);
  if (removed !== undefined) return failed(scan.count, cps.records.length, removed);
  const torn = scan.torn ?? cps.torn;
  if (torn !== undefined) {
    const seq = torn.file === RECEIPTS_FILE ? scan.count : -1;
    return failed(scan.count, cps.records.length, {
      problem: "torn",
      code: Diagnostics.receiptLogTorn.code,
      message: Diagnostics.receiptLogTorn.message(torn.bytes),
      file: torn.file,
      line: torn.line,
      offset: torn.offset,
      seq,
    });
  }
  return { ok: true, count: scan.count, checkpoints: cps.records.length, head: scan.headHash, root: toBase64(scan.tree.root()) };
}

/**
 * The log's checkpoints in file order must each cover more than the one before (the writer appends them so): a
 * smaller size is a reordering, the same size a duplicate. (Each one's root is held against the receipts, so any two
 * are consistent; this catches lines moved or copied in checkpoints.jsonl, which that check cannot.)
 */
function checkpointOrderProblem(records: readonly CheckpointRecord[]): ScanProblem | undefined {
  for (let i = 1; i < records.length; i++) {
    const cp = records[i] as CheckpointRecord;
    const previous = (records[i - 1] as CheckpointRecord).size;
    if (cp.size > previous) continue;
    const def = Diagnostics.receiptCheckpointOrder;
    return { problem: "checkpoint-order", code: def.code, message: def.message(cp.line, cp.size, previous), file: CHECKPOINTS_FILE, line: cp.line, offset: cp.offset, seq: Math.max(cp.size - 1, 0) };
  }
  return undefined;
}

/**
 * Every kept checkpoint (verified, and agreeing with the receipts by then) must still be one of the log's own: the
 * writer only ever appends to checkpoints.jsonl, so one that is gone was removed (e.g. to hide receipts deleted after
 * it from a reader without the kept copy).
 */
function removedCheckpointProblem(records: readonly CheckpointRecord[], held: readonly CheckpointRecord[]): ScanProblem | undefined {
  const have = new Set(records.map((cp) => `${cp.size} ${toBase64(cp.root)}`));
  for (const kept of held) {
    if (kept.file !== KEPT_CHECKPOINT_FILE || have.has(`${kept.size} ${toBase64(kept.root)}`)) continue;
    const def = Diagnostics.receiptCheckpointRemoved;
    return { problem: "checkpoint-removed", code: def.code, message: def.message(kept.line, kept.size), file: KEPT_CHECKPOINT_FILE, line: kept.line, offset: 0, seq: Math.max(kept.size - 1, 0) };
  }
  return undefined;
}
