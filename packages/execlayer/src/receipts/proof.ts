// A self-contained proof that one receipt is in a log: the receipt, its inclusion proof, and the signed checkpoint
// the proof leads to. Checkable with the public key alone, without the log (`xpol verify-proof`).
import { fromBase64, toBase64, utf8 } from "./bytes.ts";
import { verifyCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { consistencyProof, inclusionProof, leafHash, rootOf, verifyInclusion } from "./merkle.ts";
import { tryCanonicalize } from "../ir/canonicalize.ts";
import { parseReceiptLineDetailed, signingMessage, type Receipt } from "./receipt.ts";
import { scanCheckpoints, scanReceipts } from "./scan.ts";
import { verifySignature } from "./verify-signature.ts";
import type { Result } from "../vocabulary/result.ts";

export const PROOF_FORMAT = "execlayer/receipt-proof/v1";

export interface ReceiptProofBundle {
  readonly format: typeof PROOF_FORMAT;
  /** the receipt, as in the log (its JCS is the leaf) */
  readonly receipt: Receipt;
  /** = receipt.seq */
  readonly leafIndex: number;
  /** = the checkpoint's size */
  readonly treeSize: number;
  /** RFC 9162 inclusion path, base64 */
  readonly inclusion: readonly string[];
  /** the signed checkpoint note the path leads to */
  readonly checkpoint: string;
}

export type ProofResult<T> = Result<T>;

/** Builds the proof for receipt `seq` against the latest checkpoint that covers it. Reads the log, checks its chain. */
export async function proveReceipt(dir: string, seq: number): Promise<ProofResult<ReceiptProofBundle>> {
  if (!Number.isSafeInteger(seq) || seq < 0) return { ok: false, error: "seq must be a non-negative integer" };
  const cps = await scanCheckpoints(dir);
  if (cps.bad !== undefined) return { ok: false, error: cps.bad.message };
  let found: Receipt | undefined;
  const scan = await scanReceipts(dir, {
    checkpoints: cps.records,
    keepLeaves: true,
    onReceipt: (r) => {
      if (r.seq === seq) found = r;
    },
  });
  if (scan.bad !== undefined) return { ok: false, error: `${scan.bad.message} (${scan.bad.file} line ${scan.bad.line})` };
  if (scan.missing) return { ok: false, error: "no receipt log in this directory" };
  if (found === undefined) return { ok: false, error: `the log has no receipt ${seq} (it holds ${scan.count})` };
  const cover = cps.records.filter((c) => c.size > seq).sort((a, b) => b.size - a.size)[0];
  if (cover === undefined) return { ok: false, error: `no checkpoint covers receipt ${seq} yet (a checkpoint is written every N receipts and on close)` };
  const path = inclusionProof(scan.leaves as Uint8Array[], seq, cover.size);
  if (path === null) return { ok: false, error: "cannot build the inclusion proof" };
  return {
    ok: true,
    value: { format: PROOF_FORMAT, receipt: found, leafIndex: seq, treeSize: cover.size, inclusion: path.map(toBase64), checkpoint: cover.note },
  };
}

/** An RFC 9162 consistency proof between two sizes of a log, with both roots (base64). */
export interface ConsistencyProofBundle {
  readonly first: number;
  readonly second: number;
  readonly firstRoot: string;
  readonly secondRoot: string;
  /** base64 hashes; check with `verifyConsistency` */
  readonly proof: readonly string[];
}

/** Builds the consistency proof from tree size `first` to `second` (0 < first <= second <= receipts). Reads the log. */
export async function proveConsistency(dir: string, first: number, second: number): Promise<ProofResult<ConsistencyProofBundle>> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) {
    return { ok: false, error: "sizes must be integers with 0 < first <= second" };
  }
  const scan = await scanReceipts(dir, { checkpoints: [], keepLeaves: true });
  if (scan.bad !== undefined) return { ok: false, error: `${scan.bad.message} (${scan.bad.file} line ${scan.bad.line})` };
  if (scan.missing) return { ok: false, error: "no receipt log in this directory" };
  const leaves = scan.leaves as Uint8Array[];
  if (second > leaves.length) return { ok: false, error: `the log holds ${leaves.length} receipts, fewer than ${second}` };
  const proof = consistencyProof(leaves, first, second);
  if (proof === null) return { ok: false, error: "cannot build the consistency proof" };
  return { ok: true, value: { first, second, firstRoot: toBase64(rootOf(leaves, first)), secondRoot: toBase64(rootOf(leaves, second)), proof: proof.map(toBase64) } };
}

/** Checks a proof bundle (parsed JSON, untrusted) with the public key alone. */
export function verifyReceiptProof(bundle: unknown, publicKey: Uint8Array): ProofResult<{ receipt: Receipt; checkpoint: Checkpoint }> {
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) return { ok: false, error: "proof must be a JSON object" };
  const b = bundle as Record<string, unknown>;
  if (b["format"] !== PROOF_FORMAT) return { ok: false, error: `proof format must be \`${PROOF_FORMAT}\`` };
  if (typeof b["checkpoint"] !== "string") return { ok: false, error: "`checkpoint` must be a signed note" };
  const cp = verifyCheckpoint(b["checkpoint"], publicKey);
  if (!cp.ok) return { ok: false, error: cp.error };
  const receiptObj = b["receipt"];
  if (typeof receiptObj !== "object" || receiptObj === null || Array.isArray(receiptObj)) return { ok: false, error: "`receipt` must be an object" };
  // The receipt's JCS is its log line (and the Merkle leaf); parsing it back checks every field.
  const line = tryCanonicalize(receiptObj);
  if (!line.ok) return { ok: false, error: `receipt is not JSON: ${line.error.message}` };
  const parsed = parseReceiptLineDetailed(line.value);
  if (!parsed.ok) return { ok: false, error: `receipt: ${parsed.error}` };
  const { receipt, unsigned, sig } = parsed.value;
  if (!verifySignature(publicKey, signingMessage(unsigned), sig)) return { ok: false, error: "receipt signature does not verify with the given key" };
  if (b["leafIndex"] !== receipt.seq) return { ok: false, error: "`leafIndex` must equal the receipt's seq" };
  if (b["treeSize"] !== cp.value.size) return { ok: false, error: "`treeSize` must equal the checkpoint's size" };
  const inclusion = b["inclusion"];
  if (!Array.isArray(inclusion) || inclusion.some((x) => typeof x !== "string")) return { ok: false, error: "`inclusion` must be an array of base64 strings" };
  const hashes: Uint8Array[] = [];
  for (const x of inclusion as string[]) {
    const h = fromBase64(x);
    if (h === null) return { ok: false, error: "`inclusion` holds invalid base64" };
    hashes.push(h);
  }
  const r = verifyInclusion(receipt.seq, cp.value.size, leafHash(utf8.encode(line.value)), hashes, cp.value.root);
  if (!r.ok) return { ok: false, error: `inclusion: ${r.error}` };
  return { ok: true, value: { receipt, checkpoint: cp.value } };
}
