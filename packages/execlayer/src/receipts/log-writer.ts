// The receipt log's writer thread (per-batch signatures with a node:crypto key). The deciding thread only writes each
// receipt body's canonical text and hands it over; this thread builds each line (its `prev` is the previous line's
// hash, so the chain is built here, in seq order), takes the chain and RFC 9162 leaf hashes, extends the Merkle tree,
// signs the batch's seal, writes the batch (with every batch that waited behind it) in one write and syncs it on this
// thread. It answers twice per write: once written (the chain hashes, so the deciding thread can complete its
// receipts, and the tree's size and root, for checkpoints) and once durable. The bytes are the ones the log makes on its own thread (receipt.ts: head/tail,
// prepareReceipt's PAE, encodeUnsealed's frame); a test holds the two to the same file.
//
// Fail-closed: any failure (a write, a sync, a batch out of order) is reported and the thread then refuses every
// later batch; the log turns that into "broken", and the store into deny. A thread that dies does the same.
import { Worker } from "node:worker_threads";
import { PAE_PREFIX, RECEIPT_VERSION } from "./receipt.ts";
import type { CompactTree } from "./merkle.ts";

// Plain CommonJS, run with `eval` (as signing-pool.ts): no loader or TypeScript needed inside the thread.
const WORKER_SOURCE = `
const { parentPort, receiveMessageOnPort, workerData: d } = require("node:worker_threads");
const { createPrivateKey, sign, hash } = require("node:crypto");
const { writeSync, fdatasyncSync } = require("node:fs");
const key = createPrivateKey({ key: Buffer.from(d.pkcs8), format: "der", type: "pkcs8" });
const fd = d.fd;
const TAIL_1 = '"signer":"' + d.keyId + '","time":"';
const TAIL_2 = '","v":' + d.version + '}';
let prev = d.headHash;
let size = d.size;
// Tree hashes are 32-character latin1 strings here: a digest asked for as a Buffer costs a backing store of its own
// per call (~1.1 µs, more than hashing the line), and writing one into the node input is a plain copy.
const toLatin1 = (h) => Buffer.from(h).toString("latin1");
const stack = d.stack.map(toLatin1);
const EMPTY = hash("sha256", Buffer.alloc(0), "latin1");
const nodeInput = Buffer.alloc(65);
nodeInput[0] = 0x01;
function node(left, right) {
  nodeInput.latin1Write(left, 1, 32);
  nodeInput.latin1Write(right, 33, 32);
  return hash("sha256", nodeInput, "latin1");
}
function appendLeaf(h) {
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) h = node(stack.pop(), h);
  stack.push(h);
  size++;
}
function root() {
  const n = stack.length;
  if (n === 0) return EMPTY;
  let r = stack[n - 1];
  for (let i = n - 2; i >= 0; i--) r = node(stack[i], r);
  return r;
}
let slab = Buffer.allocUnsafeSlow(1 << 20);
let broken = null;
function fail(e) {
  broken ??= e instanceof Error ? e.message : String(e);
  parentPort.postMessage({ t: "f", message: broken });
}
// Lays out one batch's lines and its seal in the slab from \`at\`; returns where they end and what to answer.
function layOut(m, at) {
  if (m.seq !== size) throw new Error("batch starts at seq " + m.seq + " but the log is at " + size);
  const n = m.bodies.length;
  const prevs = new Array(n + 1);
  // A line's leaf input is 0x00 || line: the byte before it (the previous newline; slab[0] for the first) is 0x00
  // while the leaf is hashed.
  const leafOf = (start) => {
    slab[start - 1] = 0x00;
    const leaf = hash("sha256", slab.subarray(start - 1, at), "latin1");
    slab[start - 1] = 0x0a;
    return leaf;
  };
  for (let i = 0; i < n; i++) {
    const start = at;
    at += slab.write('{"body":', at, "latin1");
    at += slab.write(m.bodies[i], at, "utf8");
    // kind, prev, seq, signer and time are ASCII (checked by the log)
    at += slab.write(',"kind":"' + m.kinds[i] + '","prev":"' + prev + '","seq":' + size + ',' + TAIL_1 + m.times[i] + TAIL_2, at, "latin1");
    prev = "sha256:" + hash("sha256", slab.subarray(start, at), "hex");
    prevs[i] = prev;
    appendLeaf(leafOf(start));
    slab[at++] = 0x0a;
  }
  // The seal: the root of everything before it, signed over PAE of its unsigned payload.
  const sealSeq = size;
  const head = '{"body":{"root":"sha256:' + Buffer.from(root(), "latin1").toString("hex") + '","size":' + sealSeq + '},"kind":"seal","prev":"' + prev + '","seq":' + sealSeq + ',';
  const tail = TAIL_1 + m.sealTime + TAIL_2;
  const unsigned = head + tail; // ASCII (hex, digits, the key id, a time): its length is its byte length
  const message = Buffer.from(d.paePrefix + unsigned.length + " " + unsigned, "latin1");
  const sig = sign(null, message, key).toString("base64");
  const start = at;
  at += slab.write(head + '"sig":"' + sig + '",' + tail, at, "latin1");
  prev = "sha256:" + hash("sha256", message.subarray(message.length - unsigned.length), "hex");
  prevs[n] = prev;
  appendLeaf(leafOf(start));
  slab[at++] = 0x0a;
  const r = root();
  const rootBytes = new Uint8Array(32); // its own buffer: a pooled Buffer would send the whole pool
  for (let i = 0; i < 32; i++) rootBytes[i] = r.charCodeAt(i);
  return { at, written: { prevs, size, root: rootBytes } };
}
parentPort.on("message", (first) => {
  if (broken !== null) return fail(broken);
  try {
    // Every batch already waiting (sent while this thread wrote or synced) goes out in the same write and sync.
    const batches = [first];
    for (let more; (more = receiveMessageOnPort(parentPort)) !== undefined; ) batches.push(more.message);
    let need = 2048;
    for (const m of batches) {
      need += 1024;
      for (let i = 0; i < m.bodies.length; i++) need += 3 * m.bodies[i].length + m.times[i].length + 256;
    }
    if (slab.length < need) slab = Buffer.allocUnsafeSlow(Math.max(need, 2 * slab.length));
    // The lines are laid out as written, each ending in a newline, from slab[1].
    let at = 1;
    const written = new Array(batches.length);
    for (let b = 0; b < batches.length; b++) {
      const laid = layOut(batches[b], at);
      at = laid.at;
      written[b] = laid.written;
    }
    let off = 1;
    while (off < at) {
      const w = writeSync(fd, slab, off, at - off);
      if (!(w > 0)) throw new Error("write wrote nothing");
      off += w;
    }
    parentPort.postMessage({ t: "w", written });
    // Synced on this thread, not on libuv's pool: the pool's hand-off costs two more cross-thread wake-ups per write.
    if (d.fsync) fdatasyncSync(fd);
    parentPort.postMessage({ t: "s", size, batches: batches.length });
  } catch (e) {
    fail(e);
  }
});
`;

/** One batch written: the chain hash of each of its receipts and of its seal, the tree's size and root after it. */
interface WrittenBatch {
  readonly prevs: readonly string[];
  readonly size: number;
  readonly root: Uint8Array;
}

/** What the writer thread answers. */
type WriterReply =
  /** batches are written, in the order sent */
  | { readonly t: "w"; readonly written: readonly WrittenBatch[] }
  /** the log is durable up to `size`: that many more batches are */
  | { readonly t: "s"; readonly size: number; readonly batches: number }
  | { readonly t: "f"; readonly message: string };

export interface WriterStart {
  /** the receipts file, open for appending (threads share the process's descriptors) */
  readonly fd: number;
  readonly pkcs8: Uint8Array;
  readonly keyId: string;
  readonly headHash: string;
  readonly tree: CompactTree;
  readonly fsync: boolean;
}

export interface WriterEvents {
  written(prevs: readonly string[], size: number, root: Uint8Array): void;
  synced(size: number): void;
  failed(message: string): void;
}

/** One batch for the writer: each receipt's canonical body, kind and time, in seq order from `seq`; the seal's time. */
export interface WriterBatch {
  readonly seq: number;
  readonly bodies: readonly string[];
  readonly kinds: readonly string[];
  readonly times: readonly string[];
  readonly sealTime: string;
}

export class LogWriter {
  readonly #worker: Worker;
  /** batches sent and not yet durable */
  #unsynced = 0;
  #closing = false;
  #failed = false;

  constructor(start: WriterStart, events: WriterEvents) {
    const stack = start.tree.subtreeRoots().map((h) => h.slice());
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: {
        fd: start.fd,
        pkcs8: start.pkcs8,
        keyId: start.keyId,
        headHash: start.headHash,
        size: start.tree.size,
        stack,
        fsync: start.fsync,
        paePrefix: PAE_PREFIX,
        version: RECEIPT_VERSION,
      },
    });
    // An idle writer never keeps the process alive; one with a batch out does (a process waiting on a flush).
    this.#worker.unref();
    const fail = (message: string): void => {
      if (this.#failed) return;
      this.#failed = true;
      events.failed(message);
    };
    this.#worker.on("message", (m: WriterReply) => {
      if (m.t === "w") for (const w of m.written) events.written(w.prevs, w.size, w.root);
      else if (m.t === "s") {
        // a sync covers every write before it
        this.#unsynced -= m.batches;
        if (this.#unsynced === 0) this.#worker.unref();
        events.synced(m.size);
      } else fail(m.message);
    });
    this.#worker.on("error", (e: Error) => fail(`the writer thread failed: ${e.message}`));
    this.#worker.on("exit", (code) => {
      if (!this.#closing) fail(`the writer thread exited (${code})`);
    });
  }

  /** batches sent whose sync has not been answered */
  get unsynced(): number {
    return this.#unsynced;
  }

  send(batch: WriterBatch): void {
    if (this.#unsynced++ === 0) this.#worker.ref();
    this.#worker.postMessage(batch);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate().catch(() => 0);
  }
}
