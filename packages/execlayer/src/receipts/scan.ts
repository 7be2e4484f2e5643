// Reading a log directory back: the checkpoints file and the receipts file, checked line by line. Shared by
// ReceiptLog.open (which must resume exactly where the file ends) and verifyLog (which also checks signatures).
import path from "node:path";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { DiagnosticDef } from "../diagnostics/diagnostic.ts";
import { bytesEqual } from "./bytes.ts";
import { parseCheckpointText, parseSignedNote, verifyCheckpoint } from "./checkpoint.ts";
import { keyIdOf } from "./keys.ts";
import { promises as fs } from "node:fs";
import { decodeUtf8, LineTooLong, MAX_LINE_BYTES, readLines } from "./lines.ts";
import { CompactTree, leafHash } from "./merkle.ts";
import { chainHash, GENESIS_PREV, parseReceiptLineDetailed, parseSealBody, SEAL_KIND, sealRoot, signingMessage, skimReceiptLine, type Receipt, type SkimmedFields } from "./receipt.ts";
import { ParallelVerifier, type SignatureFailure } from "./parallel-verify.ts";
import { verifySignature } from "./verify-signature.ts";

export const RECEIPTS_FILE = "receipts.jsonl";
export const CHECKPOINTS_FILE = "checkpoints.jsonl";

/** What can be wrong with a log, for both the writer (open) and the auditor (verifyLog). */
export type ReceiptProblem =
  | "unreadable" // a file cannot be read
  | "foreign" // the receipts file is not a receipt log at all (its first line is not a receipt)
  | "malformed" // a line is not a valid receipt in canonical form (not UTF-8, not JSON, wrong fields, too long)
  | "seq" // a seq out of order: a gap, a duplicate, a reordering
  | "prev" // the hash chain is broken
  | "signature" // a signature does not verify with the given key
  | "signer" // the log was written by another key than the writer's
  | "checkpoint" // a checkpoint line is malformed or its signature does not verify
  | "checkpoint-root" // a checkpoint's root is not the Merkle root of the log at its size
  | "checkpoint-order" // the log's checkpoints do not each cover more than the one before: reordered or duplicated
  | "checkpoint-removed" // a checkpoint the auditor kept is no longer among the log's: removed
  | "truncated" // a checkpoint covers receipts that are no longer in the log
  | "seal" // a seal's root is not the Merkle root of the log before it, or its body is not a seal's
  | "unsealed" // receipts without a signature that no signed seal or checkpoint covers
  | "torn"; // the last line is incomplete (interrupted write)

export interface ScanProblem {
  readonly problem: ReceiptProblem;
  /** XP6xxx */
  readonly code: string;
  readonly message: string;
  /** file name inside the log directory */
  readonly file: string;
  /** 1-based line in `file` (0 when the file itself is the problem) */
  readonly line: number;
  /** byte offset of that line */
  readonly offset: number;
  /** the seq at which the log stops being trustworthy (the expected seq of the bad line); -1 when unknown */
  readonly seq: number;
}

export interface CheckpointRecord {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** the signed note, as stored */
  readonly note: string;
  readonly line: number;
  readonly offset: number;
  /** where the checkpoint came from, for problem reports; default checkpoints.jsonl */
  readonly file?: string;
}

export interface TornTail {
  readonly file: string;
  readonly line: number;
  readonly offset: number;
  readonly bytes: number;
}

function problem<A extends readonly unknown[]>(
  kind: ReceiptProblem,
  def: DiagnosticDef<A>,
  args: A,
  at: { file: string; line: number; offset: number; seq: number },
): ScanProblem {
  return { problem: kind, code: def.code, message: def.message(...args), ...at };
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface CheckpointScan {
  readonly records: CheckpointRecord[];
  /** bytes of complete, valid lines (where a torn tail starts) */
  readonly validBytes: number;
  readonly torn?: TornTail;
  readonly bad?: ScanProblem;
}

/** Reads `checkpoints.jsonl`; with a public key, every checkpoint's signature must verify with it. Missing file = none. */
export async function scanCheckpoints(dir: string, publicKey?: Uint8Array): Promise<CheckpointScan> {
  const file = path.join(dir, CHECKPOINTS_FILE);
  const records: CheckpointRecord[] = [];
  let validBytes = 0;
  const at = (line: number, offset: number, seq = -1) => ({ file: CHECKPOINTS_FILE, line, offset, seq });
  try {
    for await (const item of readLines(file)) {
      if (item instanceof LineTooLong) {
        return { records, validBytes, bad: problem("checkpoint", Diagnostics.receiptCheckpointInvalid, ["line too long"], at(item.line, item.offset)) };
      }
      if (!item.complete) return { records, validBytes, torn: { file: CHECKPOINTS_FILE, line: item.line, offset: item.offset, bytes: item.bytes.length } };
      const fail = (why: string, seq = -1): CheckpointScan => ({
        records,
        validBytes,
        bad: problem("checkpoint", Diagnostics.receiptCheckpointInvalid, [`line ${item.line}: ${why}`], at(item.line, item.offset, seq)),
      });
      const text = decodeUtf8(item.bytes);
      if (text === null) return fail("not UTF-8");
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        return fail("not JSON");
      }
      const note = (data as { note?: unknown } | null)?.note;
      if (typeof note !== "string" || Object.keys(data as object).length !== 1 || JSON.stringify({ note }) !== text) {
        return fail('expected exactly {"note": "<signed note>"} in canonical form');
      }
      const signed = parseSignedNote(note);
      if (!signed.ok) return fail(signed.error);
      const cp = parseCheckpointText(signed.value.text);
      if (!cp.ok) return fail(cp.error);
      if (publicKey !== undefined) {
        const v = verifyCheckpoint(note, publicKey);
        if (!v.ok) return fail(v.error, Math.max(cp.value.size - 1, 0));
      }
      records.push({ ...cp.value, note, line: item.line, offset: item.offset });
      validBytes = item.offset + item.bytes.length + 1;
    }
  } catch (e: unknown) {
    if (errnoCode(e) === "ENOENT") return { records, validBytes: 0 };
    return { records, validBytes, bad: problem("unreadable", Diagnostics.receiptLogUnreadable, [file, describe(e)], at(0, 0)) };
  }
  return { records, validBytes };
}

export interface ReceiptScanOptions {
  /** checkpoints whose roots must match the tree at their sizes */
  readonly checkpoints: readonly CheckpointRecord[];
  /** verify every signature with this key (verifyLog) */
  readonly publicKey?: Uint8Array;
  /** every receipt must carry this signer key id (the writer reopening its log) */
  readonly expectSigner?: string;
  /** keep every leaf hash (for proofs) */
  readonly keepLeaves?: boolean;
  /**
   * Hand signature checks to someone else (the parallel verifier) instead of checking them in line; `publicKey` then
   * only names the expected signer. A returned promise is awaited before reading on (back-pressure).
   */
  readonly deferSignature?: (seq: number, message: Uint8Array, signature: Uint8Array, where: { line: number; offset: number }) => Promise<void> | undefined;
  /**
   * Verify the signatures of the receipts from seq `from` on with `publicKey`, and only those (the writer reopening
   * its log: the receipts a verified checkpoint covers are vouched for by its root). Unlike `publicKey`, it does not
   * change how a receipt by another signer is reported (`signer`, with `expectSigner`).
   */
  readonly verifyFrom?: {
    readonly publicKey: Uint8Array;
    readonly seq: number;
    /** after this many checks on the main thread, the rest go to worker threads (ParallelVerifier); default never */
    readonly parallelAfter?: number;
    /** worker threads then; default ParallelVerifier.defaultThreads() (fewer than 2: main thread only) */
    readonly threads?: number;
  };
  /** read lines with skimReceiptLine (only sound with signature checks: publicKey or deferSignature; no onReceipt) */
  readonly skim?: boolean;
  /** called for every receipt that passed the checks, in order (not with skim) */
  readonly onReceipt?: (receipt: Receipt, where: { readonly line: number; readonly offset: number }) => void;
  /**
   * called with every line that passed the checks, in order, with skim too (xpol replay reads the bodies during the
   * verifier's own pass); with deferred signatures a line is passed on before its verdict, so the caller must
   * discard what it built when the scan reports a problem; `skimmed`: what the skim found of a skimmed line
   */
  readonly onLine?: (seq: number, text: string, skimmed?: SkimmedFields) => void;
}

/**
 * Receipts without a signature at the end of the log that no seal or checkpoint covers (per-batch signatures: a batch
 * whose write stopped before its seal), and the scan's state just before the first of them.
 */
export interface UnsealedTail {
  readonly seq: number;
  readonly line: number;
  readonly offset: number;
  readonly count: number;
  readonly headHash: string;
  readonly tree: CompactTree;
  readonly validBytes: number;
}

export interface ReceiptScan {
  /** receipts that passed every check, in order */
  readonly count: number;
  /** chain hash of the last good receipt (its unsigned payload; GENESIS_PREV when none) */
  readonly headHash: string;
  readonly tree: CompactTree;
  readonly leaves?: Uint8Array[];
  /** bytes of complete, good lines */
  readonly validBytes: number;
  /** true when the receipts file does not exist */
  readonly missing: boolean;
  readonly torn?: TornTail;
  readonly unsealed?: UnsealedTail;
  readonly bad?: ScanProblem;
}

/** The problem to report for a line whose signature does not verify: malformed when it is not canonical. */
export function signatureProblem(text: string | null, seq: number, at: { file: string; line: number; offset: number; seq: number }): ScanProblem {
  const parsed = text === null ? ({ ok: false, error: "line is not UTF-8" } as const) : parseReceiptLineDetailed(text);
  if (!parsed.ok) return problem("malformed", Diagnostics.receiptLogMalformed, [`line ${at.line}: ${parsed.error}`], at);
  return problem("signature", Diagnostics.receiptSignatureInvalid, [seq, ""], at);
}

/** The signature checks of `verifyFrom`: on the main thread, moving to worker threads once there are many. */
class TailVerifier {
  #inline = 0;
  /** undefined: not tried yet; null: not available (or not worth it) */
  #parallel: ParallelVerifier<{ line: number; offset: number }> | null | undefined;
  readonly publicKey: Uint8Array;
  readonly from: number;
  readonly #parallelAfter: number;
  readonly #threads: number;

  constructor(v: NonNullable<ReceiptScanOptions["verifyFrom"]>) {
    this.publicKey = v.publicKey;
    this.from = v.seq;
    this.#parallelAfter = v.parallelAfter ?? Infinity;
    this.#threads = v.threads ?? ParallelVerifier.defaultThreads();
  }

  /** false: checked here and it does not verify; true: verified or queued; a promise: queued, wait before reading on */
  check(seq: number, message: Uint8Array, signature: Uint8Array, where: { line: number; offset: number }): boolean | Promise<void> {
    if (this.#parallel === undefined && this.#inline >= this.#parallelAfter) {
      try {
        this.#parallel = this.#threads >= 2 ? ParallelVerifier.create(this.publicKey, this.#threads) : null;
      } catch {
        this.#parallel = null; // no worker threads here: go on on the main thread
      }
    }
    if (this.#parallel) return this.#parallel.submit(seq, message, signature, where) ?? true;
    this.#inline++;
    return verifySignature(this.publicKey, message, signature);
  }

  /** The queued checks' first failure (smallest seq), or null; releases the workers. */
  async finish(): Promise<SignatureFailure<{ line: number; offset: number }> | null> {
    const p = this.#parallel;
    if (!p) return null;
    try {
      return await p.finish();
    } finally {
      await p.close();
    }
  }

  async abort(): Promise<void> {
    await this.#parallel?.close();
  }
}

/**
 * Reads `receipts.jsonl` and checks format, seq, chain, optional signatures, and checkpoint roots; stops at the first
 * problem. With `verifyFrom` checks moved to worker threads, a receipt is passed on (`onReceipt`) before its verdict:
 * a failure is then reported once the file is read (the first bad seq), and the caller must discard what it built.
 */
export async function scanReceipts(dir: string, options: ReceiptScanOptions): Promise<ReceiptScan> {
  const tail = options.verifyFrom === undefined ? undefined : new TailVerifier(options.verifyFrom);
  let scan: ReceiptScan;
  try {
    scan = await scanLines(dir, options, tail);
  } catch (e: unknown) {
    await tail?.abort();
    throw e;
  }
  const sigBad = tail === undefined ? null : await tail.finish();
  if (sigBad === null || (scan.bad !== undefined && scan.bad.seq < sigBad.seq)) return scan;
  const { seq, position } = sigBad;
  const text = await readLineAt(path.join(dir, RECEIPTS_FILE), position.offset);
  return { ...scan, count: seq, bad: signatureProblem(text, seq, { file: RECEIPTS_FILE, line: position.line, offset: position.offset, seq }) };
}

async function scanLines(dir: string, options: ReceiptScanOptions, tail: TailVerifier | undefined): Promise<ReceiptScan> {
  const file = path.join(dir, RECEIPTS_FILE);
  const tree = new CompactTree();
  const leaves: Uint8Array[] | undefined = options.keepLeaves === true ? [] : undefined;
  const expectedSigner = options.expectSigner ?? (options.publicKey !== undefined ? keyIdOf(options.publicKey) : undefined);
  const cps = [...options.checkpoints].sort((a, b) => a.size - b.size);
  let cpIndex = 0;
  let count = 0;
  let headHash = GENESIS_PREV;
  let validBytes = 0;
  let torn: TornTail | undefined;
  let callbackError: { error: unknown } | undefined;
  // Receipts without a signature since the last seal or checkpoint: the state before the first, and (for onReceipt)
  // the receipts themselves, passed on only once something signed covers them.
  let unsealed: UnsealedTail | undefined;
  const held: { receipt: Receipt; where: { line: number; offset: number } }[] = [];
  const state = () => ({
    count,
    headHash,
    tree,
    validBytes,
    missing: false,
    ...(leaves !== undefined ? { leaves } : {}),
    ...(torn !== undefined ? { torn } : {}),
    ...(unsealed !== undefined ? { unsealed } : {}),
  });
  const deliver = (receipt: Receipt, where: { line: number; offset: number }): void => {
    if (options.onReceipt === undefined) return;
    try {
      options.onReceipt(receipt, where);
    } catch (e: unknown) {
      callbackError = { error: e };
      throw e;
    }
  };
  const sealed = (): void => {
    unsealed = undefined;
    for (const h of held.splice(0)) deliver(h.receipt, h.where);
  };
  const checkCheckpoints = (): ScanProblem | undefined => {
    while (cpIndex < cps.length && (cps[cpIndex] as CheckpointRecord).size === tree.size) {
      const cp = cps[cpIndex] as CheckpointRecord;
      if (!bytesEqual(tree.root(), cp.root)) {
        return problem("checkpoint-root", Diagnostics.receiptCheckpointRoot, [cp.size], { file: cp.file ?? CHECKPOINTS_FILE, line: cp.line, offset: cp.offset, seq: Math.max(cp.size - 1, 0) });
      }
      cpIndex++;
      if (unsealed !== undefined) sealed();
    }
    return undefined;
  };
  let bad = checkCheckpoints();
  if (bad !== undefined) return { ...state(), bad };
  try {
    for await (const item of readLines(file)) {
      const at = { file: RECEIPTS_FILE, line: item.line, offset: item.offset, seq: count };
      if (item instanceof LineTooLong) {
        return { ...state(), bad: problem(count === 0 ? "foreign" : "malformed", Diagnostics.receiptLogMalformed, [`line ${item.line} is too long`], at) };
      }
      if (!item.complete) {
        torn = { file: RECEIPTS_FILE, line: item.line, offset: item.offset, bytes: item.bytes.length };
        break;
      }
      const text = decodeUtf8(item.bytes);
      // Skimming (verifier with a key): the signature over the cut-out unsigned text vouches for the form; the full
      // parse runs only when something is off, to name the problem.
      const skimmed = options.skim === true && text !== null ? skimReceiptLine(text) : null;
      let fields: { kind: string; seq: number; prev: string; signer: string; unsigned: string; sig: Uint8Array | null };
      let receipt: Receipt | undefined;
      let skim: SkimmedFields | undefined;
      if (skimmed !== null && skimmed.kind !== SEAL_KIND) {
        fields = skim = skimmed;
      } else {
        const parsed = text === null ? ({ ok: false, error: "line is not UTF-8" } as const) : parseReceiptLineDetailed(text);
        if (!parsed.ok) {
          // A first line that is not a receipt at all means this is some other file, not a damaged log.
          if (count === 0) return { ...state(), bad: problem("foreign", Diagnostics.receiptLogForeign, [file], at) };
          return { ...state(), bad: problem("malformed", Diagnostics.receiptLogMalformed, [`line ${item.line}: ${parsed.error}`], at) };
        }
        receipt = parsed.value.receipt;
        fields = { ...receipt, unsigned: parsed.value.unsigned, sig: parsed.value.sig };
      }
      const { kind, seq, prev, signer, unsigned, sig } = fields;
      if (seq !== count) return { ...state(), bad: problem("seq", Diagnostics.receiptLogSeq, [count, seq], at) };
      if (prev !== headHash) return { ...state(), bad: problem("prev", Diagnostics.receiptLogPrev, [seq], at) };
      if (expectedSigner !== undefined && signer !== expectedSigner) {
        bad =
          options.publicKey !== undefined
            ? problem("signature", Diagnostics.receiptSignatureInvalid, [seq, ` (signed by \`${signer}\`, not by the given key \`${expectedSigner}\`)`], at)
            : problem("signer", Diagnostics.receiptLogOtherSigner, [signer, expectedSigner], at);
        return { ...state(), bad };
      }
      if (sig === null) {
        // Sealed with its batch: vouched for by the next seal or checkpoint, not by a signature of its own.
        unsealed ??= { seq, line: item.line, offset: item.offset, count, headHash, tree: tree.clone(), validBytes };
      } else if (options.deferSignature !== undefined) {
        const wait = options.deferSignature(seq, signingMessage(unsigned), sig, { line: item.line, offset: item.offset });
        if (wait !== undefined) await wait;
      } else if (options.publicKey !== undefined && !verifySignature(options.publicKey, signingMessage(unsigned), sig)) {
        return { ...state(), bad: signatureProblem(text, seq, at) };
      } else if (tail !== undefined && seq >= tail.from) {
        const ok = tail.check(seq, signingMessage(unsigned), sig, { line: item.line, offset: item.offset });
        if (ok === false) return { ...state(), bad: signatureProblem(text, seq, at) };
        if (ok !== true) await ok;
      }
      if (kind === SEAL_KIND) {
        // A seal vouches (by its signature, checked above or queued) for the root of everything before it.
        const body = parseSealBody((receipt as Receipt).body);
        const why = !body.ok
          ? body.error
          : body.value.size !== seq
            ? `it covers ${body.value.size} receipts, not the ${seq} before it`
            : !bytesEqual(sealRoot(body.value), tree.root())
              ? "its root is not the log's Merkle root before it"
              : null;
        if (why !== null) return { ...state(), bad: problem("seal", Diagnostics.receiptSealInvalid, [seq, why], at) };
        if (unsealed !== undefined) sealed();
      }
      const leaf = leafHash(item.bytes);
      tree.appendLeafHash(leaf);
      leaves?.push(leaf);
      headHash = chainHash(unsigned);
      count++;
      validBytes = item.offset + item.bytes.length + 1;
      if (options.onLine !== undefined && text !== null) {
        try {
          options.onLine(seq, text, skim);
        } catch (e: unknown) {
          callbackError = { error: e };
          throw e;
        }
      }
      if (receipt !== undefined) {
        if (unsealed !== undefined) held.push({ receipt, where: { line: item.line, offset: item.offset } });
        else deliver(receipt, { line: item.line, offset: item.offset });
      }
      bad = checkCheckpoints();
      if (bad !== undefined) return { ...state(), bad };
    }
  } catch (e: unknown) {
    // The caller's own callback failed: that is theirs to handle, not a problem of the file.
    if (callbackError !== undefined) throw callbackError.error;
    if (errnoCode(e) === "ENOENT") {
      // No receipts file: fine unless a checkpoint claims receipts exist.
      const missing = { ...state(), missing: true };
      const beyond = cps.find((cp) => cp.size > 0);
      if (beyond === undefined) return missing;
      return { ...missing, bad: problem("truncated", Diagnostics.receiptLogTruncated, [0, beyond.size], { file: RECEIPTS_FILE, line: 0, offset: 0, seq: 0 }) };
    }
    return { ...state(), bad: problem("unreadable", Diagnostics.receiptLogUnreadable, [file, describe(e)], { file: RECEIPTS_FILE, line: 0, offset: 0, seq: count }) };
  }
  const beyond = cps.find((cp) => cp.size > count);
  if (beyond !== undefined) {
    return {
      ...state(),
      bad: problem("truncated", Diagnostics.receiptLogTruncated, [count, beyond.size], { file: RECEIPTS_FILE, line: count + 1, offset: validBytes, seq: count }),
    };
  }
  return state();
}

/** The line starting at `offset` (to name the problem of a receipt whose signature failed in a worker). */
export async function readLineAt(file: string, offset: number): Promise<string | null> {
  const h = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(Math.min(MAX_LINE_BYTES, 1 << 16));
    const chunks: Buffer[] = [];
    let pos = offset;
    for (let total = 0; total <= MAX_LINE_BYTES; ) {
      const { bytesRead } = await h.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
      chunks.push(Buffer.from(buf.subarray(0, nl < 0 ? bytesRead : nl)));
      if (nl >= 0) break;
      pos += bytesRead;
      total += bytesRead;
    }
    return decodeUtf8(Buffer.concat(chunks));
  } catch {
    return null;
  } finally {
    await h.close();
  }
}
