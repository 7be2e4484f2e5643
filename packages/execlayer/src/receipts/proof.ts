// A self-contained proof that one receipt is in a log: the receipt, its inclusion proof, and what the proof leads to:
// a signed checkpoint, or (per-batch signatures, before a checkpoint covers the receipt) the signed seal that closed
// its batch. Checkable with the public key alone, without the log (`xpol verify-proof`).
import { fromBase64, toBase64, utf8 } from "./bytes.ts";
import { verifyCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { consistencyProof, inclusionProof, leafHash, rootOf, verifyInclusion } from "./merkle.ts";
import { tryCanonicalize } from "../ir/canonicalize.ts";
import { parseReceiptLineDetailed, parseSealBody, SEAL_KIND, sealRoot, signingMessage, type Receipt } from "./receipt.ts";
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
  /** = the checkpoint's (or the seal's) size */
  readonly treeSize: number;
  /** RFC 9162 inclusion path, base64 */
  readonly inclusion: readonly string[];
  /** the signed checkpoint note the path leads to; or, instead: */
  readonly checkpoint?: string;
  /** the signed seal receipt whose root the path leads to (a receipt sealed with its batch, no checkpoint yet) */
  readonly seal?: Receipt;
}

export type ProofResult<T> = Result<T>;

/** Builds the proof for receipt `seq` against the latest checkpoint that covers it. Reads the log, checks its chain. */
export async function proveReceipt(dir: string, seq: number): Promise<ProofResult<ReceiptProofBundle>> {
  if (!Number.isSafeInteger(seq) || seq < 0) return { ok: false, error: "seq must be a non-negative integer" };
  const cps = await scanCheckpoints(dir);
  if (cps.bad !== undefined) return { ok: false, error: cps.bad.message };
  let found: Receipt | undefined;
  let seal: Receipt | undefined;
  const scan = await scanReceipts(dir, {
    checkpoints: cps.records,
    keepLeaves: true,
    onReceipt: (r) => {
      if (r.seq === seq) found = r;
      else if (r.seq > seq && r.kind === SEAL_KIND) seal ??= r;
    },
  });
  if (scan.bad !== undefined) return { ok: false, error: `${scan.bad.message} (${scan.bad.file} line ${scan.bad.line})` };
  if (scan.missing) return { ok: false, error: "no receipt log in this directory" };
  if (scan.unsealed !== undefined && seq >= scan.unsealed.seq && seq < scan.count) return { ok: false, error: `receipt ${seq} is not sealed: no signed seal or checkpoint follows it` };
  if (found === undefined) return { ok: false, error: `the log has no receipt ${seq} (it holds ${scan.count})` };
  const cover = cps.records.filter((c) => c.size > seq).sort((a, b) => b.size - a.size)[0];
  const treeSize = cover?.size ?? seal?.seq;
  if (treeSize === undefined) return { ok: false, error: `no checkpoint covers receipt ${seq} yet (a checkpoint is written every N receipts and on close)` };
  const path = inclusionProof(scan.leaves as Uint8Array[], seq, treeSize);
  if (path === null) return { ok: false, error: "cannot build the inclusion proof" };
  const leadsTo = cover !== undefined ? { checkpoint: cover.note } : { seal: seal as Receipt };
  return { ok: true, value: { format: PROOF_FORMAT, receipt: found, leafIndex: seq, treeSize, inclusion: path.map(toBase64), ...leadsTo } };
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

/** A receipt given as an object (untrusted): its canonical line, parsed back (which checks every field). */
function receiptLine(obj: unknown, what: string): ProofResult<{ line: string; parsed: ReturnType<typeof parseReceiptLineDetailed> & { ok: true } }> {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return { ok: false, error: `\`${what}\` must be an object` };
  const line = tryCanonicalize(obj);
  if (!line.ok) return { ok: false, error: `${what} is not JSON: ${line.error.message}` };
  const parsed = parseReceiptLineDetailed(line.value);
  if (!parsed.ok) return { ok: false, error: `${what}: ${parsed.error}` };
  return { ok: true, value: { line: line.value, parsed } };
}

/** The signed root a bundle's path leads to: its checkpoint note, or its seal receipt (signature, form, size = seq). */
function provenRoot(b: Record<string, unknown>, publicKey: Uint8Array): ProofResult<{ size: number; root: Uint8Array; checkpoint?: Checkpoint; seal?: Receipt }> {
  if (b["seal"] !== undefined && b["checkpoint"] === undefined) {
    const s = receiptLine(b["seal"], "seal");
    if (!s.ok) return s;
    const { receipt, unsigned, sig } = s.value.parsed.value;
    if (receipt.kind !== SEAL_KIND || sig === null) return { ok: false, error: "`seal` must be a signed seal receipt" };
    if (!verifySignature(publicKey, signingMessage(unsigned), sig)) return { ok: false, error: "seal signature does not verify with the given key" };
    const body = parseSealBody(receipt.body);
    if (!body.ok) return body;
    if (body.value.size !== receipt.seq) return { ok: false, error: "the seal's size must equal its seq" };
    return { ok: true, value: { size: body.value.size, root: sealRoot(body.value), seal: receipt } };
  }
  if (typeof b["checkpoint"] !== "string") return { ok: false, error: "`checkpoint` must be a signed note (or `seal` a seal receipt)" };
  const cp = verifyCheckpoint(b["checkpoint"], publicKey);
  if (!cp.ok) return cp;
  return { ok: true, value: { size: cp.value.size, root: cp.value.root, checkpoint: cp.value } };
}

/**
 * Checks a proof bundle (parsed JSON, untrusted) with the public key alone. A receipt without a signature of its own
 * (sealed with its batch) is vouched for by the inclusion path to the signed root alone.
 */
export function verifyReceiptProof(bundle: unknown, publicKey: Uint8Array): ProofResult<{ receipt: Receipt; checkpoint?: Checkpoint; seal?: Receipt }> {
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) return { ok: false, error: "proof must be a JSON object" };
  const b = bundle as Record<string, unknown>;
  if (b["format"] !== PROOF_FORMAT) return { ok: false, error: `proof format must be \`${PROOF_FORMAT}\`` };
  const cp = provenRoot(b, publicKey);
  if (!cp.ok) return cp;
  // The receipt's JCS is its log line (and the Merkle leaf); parsing it back checks every field.
  const r = receiptLine(b["receipt"], "receipt");
  if (!r.ok) return r;
  const { line } = r.value;
  const { receipt, unsigned, sig } = r.value.parsed.value;
  if (sig !== null && !verifySignature(publicKey, signingMessage(unsigned), sig)) return { ok: false, error: "receipt signature does not verify with the given key" };
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
  const inc = verifyInclusion(receipt.seq, cp.value.size, leafHash(utf8.encode(line)), hashes, cp.value.root);
  if (!inc.ok) return { ok: false, error: `inclusion: ${inc.error}` };
  const { checkpoint, seal } = cp.value;
  return { ok: true, value: { receipt, ...(checkpoint !== undefined ? { checkpoint } : {}), ...(seal !== undefined ? { seal } : {}) } };
}
