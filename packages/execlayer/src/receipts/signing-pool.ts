// Ed25519 signing on worker threads (node:crypto, as NativeSigner), for the receipt log's group commit: the log
// prepares a batch of receipts on the main thread (their chain does not depend on signatures, see receipt.ts) and
// `signMany` signs the batch in parallel, one contiguous slice per worker. Ed25519 is deterministic, so the bytes are
// NativeSigner's (and noble's); a test holds them to it.
//
// Fail-safe, never fail-open: if a worker dies or errs, what it had (and everything after) is signed on the main
// thread by the same key. Idle workers are unref'd, so an idle pool never keeps the process alive; they are ref'd
// while a batch is out, so a process waiting on a flush does not exit under it.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { KeyPair } from "./keys.ts";
import { NativeSigner, type Signer } from "./signer.ts";

// Plain CommonJS, run with `eval`: no loader or TypeScript needed inside the worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createPrivateKey, sign } = require("node:crypto");
const key = createPrivateKey({ key: Buffer.from(workerData.pkcs8), format: "der", type: "pkcs8" });
parentPort.on("message", (m) => {
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const at = m.offsets;
  const n = at.length - 1;
  const out = new Uint8Array(64 * n);
  for (let i = 0; i < n; i++) out.set(sign(null, data.subarray(at[i], at[i + 1]), key), 64 * i);
  parentPort.postMessage({ id: m.id, out }, [out.buffer]);
});
`;

interface Slice {
  readonly messages: readonly Uint8Array[];
  readonly resolve: (signatures: Uint8Array[]) => void;
  readonly reject: (e: unknown) => void;
}

export interface SigningPoolOptions {
  /** worker threads; default: the machine's parallelism (at most 4) */
  readonly threads?: number;
}

export class SigningPool implements Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly threads: number;
  /** signs on this thread: checkpoints, and batches when workers are gone */
  readonly #local: NativeSigner;
  readonly #pkcs8: Uint8Array;
  #workers: Worker[] | null = null;
  readonly #out = new Map<number, Slice>();
  #nextId = 0;
  #turn = 0;
  #dead = false;
  #closed = false;

  constructor(pair: KeyPair, options: SigningPoolOptions = {}) {
    const threads = options.threads ?? Math.min(4, availableParallelism());
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError("SigningPool: threads must be a positive integer");
    this.threads = threads;
    this.#local = new NativeSigner(pair);
    this.keyId = this.#local.keyId;
    this.publicKey = this.#local.publicKey;
    this.#pkcs8 = this.#local.pkcs8();
  }

  /** One signature on this thread (the same bytes a worker makes). */
  sign(message: Uint8Array): Uint8Array {
    return this.#local.sign(message);
  }

  /** Signatures for `messages`, in order, made on the worker threads. Rejects only if signing fails on this thread too. */
  async signMany(messages: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (messages.length === 0) return [];
    const workers = this.#dead || this.#closed ? null : this.#start();
    if (workers === null) return messages.map((m) => this.#local.sign(m));
    const per = Math.ceil(messages.length / workers.length);
    const parts: Promise<Uint8Array[]>[] = [];
    // small batches take turns, so one worker does not get them all
    for (let i = 0; i * per < messages.length; i++) {
      parts.push(this.#send(workers[this.#turn++ % workers.length] as Worker, messages.slice(i * per, (i + 1) * per)));
    }
    return (await Promise.all(parts)).flat();
  }

  /** Stops the workers; later signMany calls sign on this thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers ?? [];
    this.#workers = null;
    this.#failOver(null);
    await Promise.all(workers.map((w) => w.terminate().catch(() => 0)));
  }

  #start(): Worker[] {
    if (this.#workers !== null) return this.#workers;
    const workers: Worker[] = [];
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { pkcs8: this.#pkcs8 } });
      w.unref();
      w.on("message", (m: { id: number; out: Uint8Array }) => this.#settle(m.id, m.out));
      w.on("error", () => this.#failOver(w));
      w.on("exit", () => this.#failOver(w));
      workers.push(w);
    }
    this.#workers = workers;
    return workers;
  }

  #send(worker: Worker, messages: readonly Uint8Array[]): Promise<Uint8Array[]> {
    let bytes = 0;
    for (const m of messages) bytes += m.length;
    const data = new Uint8Array(bytes);
    const offsets = new Uint32Array(messages.length + 1);
    let at = 0;
    for (let i = 0; i < messages.length; i++) {
      offsets[i] = at;
      data.set(messages[i] as Uint8Array, at);
      at += (messages[i] as Uint8Array).length;
    }
    offsets[messages.length] = at;
    const id = this.#nextId++;
    return new Promise<Uint8Array[]>((resolve, reject) => {
      if (this.#out.size === 0) for (const w of this.#workers ?? []) w.ref();
      this.#out.set(id, { messages, resolve, reject });
      worker.postMessage({ id, data, offsets }, [data.buffer]);
    });
  }

  #settle(id: number, out: Uint8Array): void {
    const slice = this.#out.get(id);
    if (slice === undefined) return;
    this.#take(id);
    const signatures: Uint8Array[] = [];
    for (let i = 0; i < slice.messages.length; i++) signatures.push(out.subarray(64 * i, 64 * i + 64));
    slice.resolve(signatures);
  }

  #take(id: number): void {
    this.#out.delete(id);
    if (this.#out.size === 0) for (const w of this.#workers ?? []) w.unref();
  }

  /** A worker failed (or the pool closed: null): sign what is still out on this thread, and everything from now on. */
  #failOver(failed: Worker | null): void {
    if (failed !== null && !this.#closed && this.#workers?.includes(failed) === true) {
      this.#dead = true;
      const others = this.#workers.filter((w) => w !== failed);
      this.#workers = null;
      for (const w of others) void w.terminate().catch(() => 0);
    }
    for (const [id, slice] of [...this.#out]) {
      this.#take(id);
      try {
        slice.resolve(slice.messages.map((m) => this.#local.sign(m)));
      } catch (e: unknown) {
        slice.reject(e);
      }
    }
  }
}
