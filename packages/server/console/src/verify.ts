// The receipts view's check of a service's log, composed of the core's verifiers (core.ts) over what the service
// hands out: every receipt's signature under the auditor's key, the hash chain from the first receipt on, every
// checkpoint's signature, each checkpoint extending the one before (RFC 9162 consistency proofs checked against the
// roots of the signed notes, not the service's word), and each receipt's inclusion proof to the latest checkpoint.
import { GENESIS_PREV, parseReceiptLine, receiptHash, verifyCheckpoint, verifyConsistency, verifyReceiptProof, verifyReceiptSignature, type Checkpoint, type Receipt } from "./core.ts";

export interface Finding {
  readonly kind: "ok" | "bad" | "note";
  readonly text: string;
}

export interface ReceiptRow {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly summary: string;
  /** included in the latest checkpoint by a verified proof; null when no checkpoint covers it yet */
  readonly included: boolean | null;
}

export interface LogCheck {
  readonly ok: boolean;
  readonly findings: readonly Finding[];
  readonly receipts: readonly ReceiptRow[];
}

export interface Fetcher {
  text(path: string): Promise<string>;
  json<T>(path: string): Promise<T>;
}

/** Inclusion proofs are fetched one request each: for the latest this many receipts. */
export const MAX_PROOFS = 200;

function fromB64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function summary(r: Receipt): string {
  const b = r.body as Record<string, unknown>;
  const d = b["decision"] as Record<string, unknown> | undefined;
  const ir = b["ir"] as { action?: { type?: string; target?: string } } | undefined;
  if (d !== undefined) return `${String(d["effect"])} ${ir?.action?.type ?? String(d["action_type"] ?? "")}${ir?.action?.target !== undefined ? ` ${ir.action.target}` : ""}`;
  const a = b["approval"] as { statement?: { verdict?: string; approver?: string; request?: string } } | null | undefined;
  if (r.kind === "approval" && a !== undefined) {
    const st = a?.statement;
    const outcome = b["accepted"] === true ? String(b["status"] ?? "accepted") : `refused (${String((b["error"] as { code?: string } | undefined)?.code ?? "?")})`;
    return `${st?.verdict ?? "approval"} of ${st?.request ?? "?"} by ${st?.approver ?? "?"}: ${outcome}`;
  }
  return r.kind;
}

export async function verifyLog(publicKey: Uint8Array, fetch: Fetcher): Promise<LogCheck> {
  const findings: Finding[] = [];
  const bad = (text: string): void => void findings.push({ kind: "bad", text });
  const lines = (await fetch.text("/v1/receipts")).split("\n").filter((l) => l !== "");
  const receipts: Receipt[] = [];
  let chainOk = true;
  let sigOk = true;
  for (const [i, line] of lines.entries()) {
    const p = parseReceiptLine(line);
    if (!p.ok) {
      bad(`line ${i + 1} is not a receipt: ${p.error}`);
      chainOk = false;
      break;
    }
    const r = p.value;
    if (!verifyReceiptSignature(r, publicKey)) {
      bad(`receipt ${r.seq}: its signature does not verify with this key`);
      sigOk = false;
    }
    const expectedPrev = i === 0 ? GENESIS_PREV : receiptHash(receipts[i - 1]!);
    if (r.seq !== i || r.prev !== expectedPrev) {
      bad(`receipt ${r.seq}: the chain breaks here (expected seq ${i} linked to ${expectedPrev.slice(0, 19)}…)`);
      chainOk = false;
    }
    receipts.push(r);
  }
  if (receipts.length === 0) findings.push({ kind: "note", text: "the log holds no receipts yet" });
  if (sigOk && receipts.length > 0) findings.push({ kind: "ok", text: `${receipts.length} receipts, each signed by this key` });
  if (chainOk && receipts.length > 0) findings.push({ kind: "ok", text: `the hash chain is unbroken from the first receipt to receipt ${receipts.length - 1}` });

  // checkpoints: signed notes, each consistent with the one before
  const cpLines = (await fetch.text("/v1/checkpoints")).split("\n").filter((l) => l !== "");
  const checkpoints: Checkpoint[] = [];
  let cpOk = true;
  for (const [i, line] of cpLines.entries()) {
    let note: unknown;
    try {
      note = (JSON.parse(line) as { note?: unknown }).note;
    } catch {
      note = undefined;
    }
    const cp = typeof note === "string" ? verifyCheckpoint(note, publicKey) : { ok: false as const, error: "not a checkpoint line" };
    if (!cp.ok) {
      bad(`checkpoint ${i + 1}: ${cp.error}`);
      cpOk = false;
      continue;
    }
    if (cp.value.size > receipts.length) {
      bad(`checkpoint ${i + 1} covers ${cp.value.size} receipts but the log holds ${receipts.length}`);
      cpOk = false;
    }
    checkpoints.push(cp.value);
  }
  for (let i = 1; i < checkpoints.length; i++) {
    const a = checkpoints[i - 1]!;
    const b = checkpoints[i]!;
    if (a.size === b.size) continue;
    const proof = await fetch.json<{ proof: string[] }>(`/v1/receipts/consistency?first=${a.size}&second=${b.size}`);
    const hashes = proof.proof.map(fromB64);
    const r = hashes.some((x) => x === null) ? { ok: false as const, error: "invalid base64" } : verifyConsistency(a.size, b.size, hashes as Uint8Array[], a.root, b.root);
    if (!r.ok) {
      bad(`the checkpoint of ${b.size} receipts does not extend the one of ${a.size}: ${r.error}`);
      cpOk = false;
    }
  }
  if (checkpoints.length === 0) findings.push({ kind: "note", text: "no checkpoint yet (one is written every N receipts and when the service stops)" });
  else if (cpOk) findings.push({ kind: "ok", text: `${checkpoints.length} checkpoints, each signed by this key and extending the one before` });

  // inclusion of each receipt in the latest checkpoint, by its proof
  const latest = checkpoints[checkpoints.length - 1];
  const covered = latest === undefined ? 0 : Math.min(latest.size, receipts.length);
  const from = Math.max(0, covered - MAX_PROOFS);
  const included = new Map<number, boolean>();
  let proofsOk = true;
  for (let seq = from; seq < covered; seq++) {
    const bundle = await fetch.json<unknown>(`/v1/receipts/${seq}`);
    const v = verifyReceiptProof(bundle, publicKey);
    const same = v.ok && receiptHash(v.value.receipt) === receiptHash(receipts[seq]!);
    included.set(seq, same);
    if (!v.ok) bad(`receipt ${seq}: its inclusion proof fails: ${v.error}`);
    else if (!same) bad(`receipt ${seq}: the proof is for another receipt than the log holds`);
    if (!same) proofsOk = false;
  }
  if (covered > 0 && proofsOk) findings.push({ kind: "ok", text: `${covered - from} receipts proven included in the signed checkpoint of ${latest!.size}${from > 0 ? ` (the latest ${MAX_PROOFS}; the chain covers the rest)` : ""}` });
  if (receipts.length > covered) findings.push({ kind: "note", text: `${receipts.length - covered} receipts after the latest checkpoint are not in a checkpoint yet` });

  return {
    ok: findings.every((f) => f.kind !== "bad"),
    findings,
    receipts: receipts.map((r) => ({ seq: r.seq, time: r.time, kind: r.kind, summary: summary(r), included: r.seq < from ? null : r.seq < covered ? (included.get(r.seq) ?? false) : null })),
  };
}
