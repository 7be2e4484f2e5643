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
import { NativeSigner, type FramedReceipt, type FrameInput, type Signer } from "./signer.ts";
import { frameSigned, SIG_FIELD_BYTES } from "./receipt.ts";
import { sha256, toBase64 } from "./bytes.ts";

// Plain CommonJS, run with `eval`: no loader or TypeScript needed inside the worker. A message with `frame` also
// frames each signed receipt as frameSigned does (its head, the sig field, its tail, a newline: the bytes the log
// writes) and takes its RFC 9162 leaf hash (SHA-256 of 0x00 || line), so the main thread, which must build the chain
// in order, does neither.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createPrivateKey, sign, hash } = require("node:crypto");
const key = createPrivateKey({ key: Buffer.from(workerData.pkcs8), format: "der", type: "pkcs8" });
// Below the deciding thread: on a busy machine, a worker woken by a batch must not take the core of the thread that
// builds the chain (Linux: a thread's own nice value, set through its thread id; elsewhere nothing changes).
if (workerData.nice !== 0) {
  try {
    const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
    require("node:os").setPriority(tid, workerData.nice);
  } catch {}
}
parentPort.on("message", (m) => {
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const at = m.offsets;
  const n = at.length - 1;
  const sigs = new Uint8Array(64 * n);
  if (!m.frame) {
    for (let i = 0; i < n; i++) sigs.set(sign(null, data.subarray(at[i], at[i + 1]), key), 64 * i);
    parentPort.postMessage({ id: m.id, sigs }, [sigs.buffer]);
    return;
  }
  const payloadAt = m.payloadAt, headBytes = m.headBytes;
  // out holds each receipt framed, 0x00 || line || "\\n": the leaf input is one contiguous view, the line another.
  let total = 0;
  for (let i = 0; i < n; i++) total += 1 + at[i + 1] - at[i] - payloadAt[i] + ${SIG_FIELD_BYTES} + 1;
  const out = Buffer.from(new ArrayBuffer(total));
  const lineAt = new Uint32Array(n + 1);
  const leaves = new Uint8Array(32 * n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const msg = data.subarray(at[i], at[i + 1]);
    const sig = sign(null, msg, key);
    sigs.set(sig, 64 * i);
    lineAt[i] = o;
    out[o++] = 0x00;
    o += msg.copy(out, o, payloadAt[i], payloadAt[i] + headBytes[i]);
    o += out.write('"sig":"' + sig.toString("base64") + '",', o, "latin1");
    o += msg.copy(out, o, payloadAt[i] + headBytes[i]);
    // a latin1 digest copied out: a Buffer digest costs a backing store of its own per call (bytes.ts digestBytes)
    const leaf = hash("sha256", out.subarray(lineAt[i], o), "latin1");
    for (let j = 0; j < 32; j++) leaves[32 * i + j] = leaf.charCodeAt(j);
    out[o++] = 0x0a;
  }
  lineAt[n] = o;
  parentPort.postMessage({ id: m.id, sigs, out, lineAt, leaves }, [sigs.buffer, out.buffer, lineAt.buffer, leaves.buffer]);
});
`;

/** What a worker sends back: the signatures, and with framing the framed lines, where each starts, their leaf hashes. */
interface WorkerReply {
  readonly id: number;
  readonly sigs: Uint8Array;
  readonly out?: Uint8Array;
  readonly lineAt?: Uint32Array;
  readonly leaves?: Uint8Array;
}

/** One receipt's result: its signature, and with framing its line (with the newline) and leaf hash. */
interface Done {
  readonly signature: Uint8Array;
  readonly line?: Buffer;
  readonly leaf?: Uint8Array;
}

interface Slice {
  readonly items: readonly FrameInput[];
  readonly frame: boolean;
  readonly resolve: (done: Done[]) => void;
  readonly reject: (e: unknown) => void;
}

/** The same bytes a worker makes, made on this thread (fail-over). */
function frameHere(item: FrameInput, signature: Uint8Array): FramedReceipt {
  const framed = frameSigned(item, toBase64(signature));
  return { signature, line: framed.subarray(1), leaf: sha256(framed.subarray(0, framed.length - 1)) };
}

/** The fewest receipts worth a worker's wake-up when a group is split between workers. */
const MIN_SLICE = 16;

export interface SigningPoolOptions {
  /** worker threads; default: the machine's parallelism (at most 4) */
  readonly threads?: number;
  /**
   * the workers' nice value on Linux, 0..19 (default 10): lower priority than the thread that decides, so that on a
   * machine with no free core, waking a worker does not preempt the deciding thread (measured: at 256 callers on 2
   * busy cores, a worker's wake-up took the main thread's core for ~200 µs per batch at 0, ~20 µs at 19); no effect
   * while cores are free. 0 leaves them as they are.
   */
  readonly nice?: number;
}

export class SigningPool implements Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly threads: number;
  readonly nice: number;
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
    const nice = options.nice ?? 10;
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError("SigningPool: nice must be an integer 0..19");
    this.nice = nice;
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
    const done = await this.#run(
      messages.map((m) => ({ message: m as Buffer, payloadAt: 0, headBytes: 0 })),
      false,
    );
    return done.map((d) => d.signature);
  }

  /**
   * Signs prepared receipts on the worker threads and frames them there too: for each, in order, its signature, its
   * line as the log writes it (with the newline) and its RFC 9162 leaf hash, the bytes finishReceipt and the log
   * would make on this thread. Rejects only if signing fails on this thread too.
   */
  async frameMany(items: readonly FrameInput[]): Promise<FramedReceipt[]> {
    return (await this.#run(items, true)) as FramedReceipt[];
  }

  async #run(items: readonly FrameInput[], frame: boolean): Promise<Done[]> {
    if (items.length === 0) return [];
    const workers = this.#dead || this.#closed ? null : this.#start();
    if (workers === null) return this.#here(items, frame);
    // Each message wakes a worker (and can cost the deciding thread its core): small groups go to one worker,
    // taking turns so one worker does not get them all.
    const per = Math.max(MIN_SLICE, Math.ceil(items.length / workers.length));
    const parts: Promise<Done[]>[] = [];
    for (let i = 0; i * per < items.length; i++) {
      parts.push(this.#send(workers[this.#turn++ % workers.length] as Worker, items.slice(i * per, (i + 1) * per), frame));
    }
    return (await Promise.all(parts)).flat();
  }

  #here(items: readonly FrameInput[], frame: boolean): Done[] {
    return items.map((item) => {
      const signature = this.#local.sign(item.message);
      return frame ? frameHere(item, signature) : { signature };
    });
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
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { pkcs8: this.#pkcs8, nice: this.nice } });
      w.unref();
      w.on("message", (m: WorkerReply) => this.#settle(m));
      w.on("error", () => this.#failOver(w));
      w.on("exit", () => this.#failOver(w));
      workers.push(w);
    }
    this.#workers = workers;
    return workers;
  }

  #send(worker: Worker, items: readonly FrameInput[], frame: boolean): Promise<Done[]> {
    let bytes = 0;
    for (const item of items) bytes += item.message.length;
    const data = new Uint8Array(bytes);
    const offsets = new Uint32Array(items.length + 1);
    const payloadAt = frame ? new Uint32Array(items.length) : null;
    const headBytes = frame ? new Uint32Array(items.length) : null;
    let at = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as FrameInput;
      offsets[i] = at;
      data.set(item.message, at);
      at += item.message.length;
      if (payloadAt !== null && headBytes !== null) {
        payloadAt[i] = item.payloadAt;
        headBytes[i] = item.headBytes;
      }
    }
    offsets[items.length] = at;
    const id = this.#nextId++;
    return new Promise<Done[]>((resolve, reject) => {
      if (this.#out.size === 0) for (const w of this.#workers ?? []) w.ref();
      this.#out.set(id, { items, frame, resolve, reject });
      worker.postMessage({ id, data, offsets, frame, payloadAt, headBytes }, [data.buffer, offsets.buffer]);
    });
  }

  #settle(m: WorkerReply): void {
    const slice = this.#out.get(m.id);
    if (slice === undefined) return;
    this.#take(m.id);
    const n = slice.items.length;
    const done: Done[] = new Array<Done>(n);
    const { out, lineAt, leaves } = m;
    const lines = out !== undefined ? Buffer.from(out.buffer, out.byteOffset, out.byteLength) : undefined;
    for (let i = 0; i < n; i++) {
      const signature = m.sigs.subarray(64 * i, 64 * i + 64);
      done[i] =
        slice.frame && lines !== undefined && lineAt !== undefined && leaves !== undefined
          ? { signature, line: lines.subarray(lineAt[i]! + 1, lineAt[i + 1]), leaf: leaves.subarray(32 * i, 32 * i + 32) }
          : { signature };
    }
    slice.resolve(done);
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
        slice.resolve(this.#here(slice.items, slice.frame));
      } catch (e: unknown) {
        slice.reject(e);
      }
    }
  }
}
