// Signature checks for whole logs, spread over worker threads. Workers only run OpenSSL (node:crypto) verify; the
// verdict rule of verify-signature.ts is applied here, on the main thread: a worker's "valid" is trusted only for a
// fast-path-eligible key (checked at creation), and every "invalid" is re-checked with verifySignature (OpenSSL,
// then noble). So the verdicts are exactly verifySignature's; workers only move the work off the main thread.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ed25519Spki, fastPathEligible, verifySignature } from "./verify-signature.ts";

// Plain CommonJS, run with `eval`: no loader or TypeScript needed inside the worker.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
let key = null;
parentPort.on("message", (m) => {
  if (m.spki) { key = createPublicKey({ key: Buffer.from(m.spki), format: "der", type: "spki" }); return; }
  const buf = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const offsets = m.offsets;
  const n = offsets.length - 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const start = offsets[i];
    try { out[i] = verify(null, buf.subarray(start + 64, offsets[i + 1]), key, buf.subarray(start, start + 64)) ? 1 : 0; } catch { out[i] = 0; }
  }
  parentPort.postMessage({ id: m.id, out });
});
`;

const BATCH_ITEMS = 256;

interface Batch {
  readonly seqs: number[];
  readonly positions: unknown[];
  readonly parts: Uint8Array[];
  bytes: number;
}

interface Sent {
  readonly batch: Batch;
  readonly data: Buffer;
  readonly offsets: Uint32Array;
}

export interface SignatureFailure<P> {
  readonly seq: number;
  readonly position: P;
}

export class ParallelVerifier<P = unknown> {
  readonly #publicKey: Uint8Array;
  readonly #workers: Worker[];
  readonly #maxInflight: number;
  #batch: Batch = { seqs: [], positions: [], parts: [], bytes: 0 };
  #nextId = 0;
  #nextWorker = 0;
  readonly #inflight = new Map<number, Sent>();
  #room: Array<() => void> = [];
  #failed = false;
  #firstBad: SignatureFailure<P> | null = null;

  private constructor(publicKey: Uint8Array, workers: Worker[]) {
    this.#publicKey = publicKey;
    this.#workers = workers;
    this.#maxInflight = workers.length * 3;
    for (const w of workers) {
      w.on("message", (m: { id: number; out: Uint8Array }) => this.#settle(m.id, m.out));
      w.on("error", () => this.#fail());
      w.on("exit", (code) => {
        if (code !== 0) this.#fail();
      });
    }
  }

  /** How many worker threads are worth starting here (0 or 1 means: verify on the main thread). */
  static defaultThreads(): number {
    return Math.min(4, availableParallelism());
  }

  /** null when the key cannot take the fast path (then OpenSSL's answers could not be trusted) or threads < 1. */
  static create<P>(publicKey: Uint8Array, threads: number = ParallelVerifier.defaultThreads()): ParallelVerifier<P> | null {
    if (threads < 1 || !fastPathEligible(publicKey)) return null;
    const spki = ed25519Spki(publicKey);
    const workers: Worker[] = [];
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.postMessage({ spki });
      workers.push(w);
    }
    return new ParallelVerifier<P>(publicKey, workers);
  }

  /** Queues one signature check; returns a promise when the caller should wait (too much in flight). */
  submit(seq: number, message: Uint8Array, signature: Uint8Array, position: P): Promise<void> | undefined {
    const b = this.#batch;
    b.seqs.push(seq);
    b.positions.push(position);
    b.parts.push(signature, message);
    b.bytes += signature.length + message.length;
    if (b.seqs.length < BATCH_ITEMS) return undefined;
    this.#dispatch();
    if (this.#inflight.size < this.#maxInflight) return undefined;
    return new Promise((resolve) => this.#room.push(resolve));
  }

  /** Waits for every check; returns the failure with the smallest seq, or null when all signatures verify. */
  async finish(): Promise<SignatureFailure<P> | null> {
    if (this.#batch.seqs.length > 0) this.#dispatch();
    while (this.#inflight.size > 0) await new Promise<void>((resolve) => this.#room.push(resolve));
    return this.#firstBad;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate().catch(() => 0)));
  }

  #dispatch(): void {
    const batch = this.#batch;
    this.#batch = { seqs: [], positions: [], parts: [], bytes: 0 };
    const data = Buffer.allocUnsafe(batch.bytes);
    const offsets = new Uint32Array(batch.seqs.length + 1);
    let at = 0;
    for (let i = 0; i < batch.seqs.length; i++) {
      offsets[i] = at;
      const sig = batch.parts[2 * i] as Uint8Array;
      const msg = batch.parts[2 * i + 1] as Uint8Array;
      data.set(sig, at);
      data.set(msg, at + sig.length);
      at += sig.length + msg.length;
    }
    offsets[batch.seqs.length] = at;
    const id = this.#nextId++;
    const sent: Sent = { batch, data, offsets };
    this.#inflight.set(id, sent);
    if (this.#failed) {
      this.#settle(id, null);
      return;
    }
    const worker = this.#workers[this.#nextWorker++ % this.#workers.length] as Worker;
    worker.postMessage({ id, data, offsets });
  }

  /** Applies the verdict rule to a batch's answers (null: no answers, check everything here). */
  #settle(id: number, out: Uint8Array | null): void {
    const sent = this.#inflight.get(id);
    if (sent === undefined) return;
    this.#inflight.delete(id);
    const { batch } = sent;
    for (let i = 0; i < batch.seqs.length; i++) {
      if (out !== null && out[i] === 1) continue;
      const seq = batch.seqs[i] as number;
      if (this.#firstBad !== null && this.#firstBad.seq <= seq) continue;
      const sig = batch.parts[2 * i] as Uint8Array;
      const msg = batch.parts[2 * i + 1] as Uint8Array;
      if (!verifySignature(this.#publicKey, msg, sig)) this.#firstBad = { seq, position: batch.positions[i] as P };
    }
    const waiting = this.#room;
    this.#room = [];
    for (const resolve of waiting) resolve();
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    // Check everything still in flight on the main thread.
    for (const id of [...this.#inflight.keys()]) this.#settle(id, null);
  }
}
