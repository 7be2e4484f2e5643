// Runtime benchmarks: the stateful Enforcer (counters, approvals, stores). Each case is a function returning a
// RuntimeBenchResult; `npx tsx bench/runtime.ts [filter...]` runs them and prints a table.
//
// - runtime.memory.decide        end-to-end Enforcer.decide with the in-memory store, no receipts, invoice policy,
//                                a mix of reads / counted status updates / deletes waiting for approval
// - runtime.memory.bookkeeping   the same with normalization done once up front: evaluation + counters + approvals
//                                (the stateless evaluate alone, the floor for both, is bench/decide.ts)
// - runtime.journal.native/noble in-memory store with a journal: every decision returns a signed, hash-chained
//                                receipt (native / noble signer), nothing written: decisions/s and p50/p99 latency
// - runtime.durable.native/noble durable store, receipts signed by the native / noble signer, group commit (fsync),
//                                64 concurrent callers: decisions/s and p50/p99 latency
// - runtime.durable.native.threads  the same, each group commit signed on one worker thread per core (SigningPool), 256 callers
// - runtime.heap.counters        heap after 1,000,000 distinct counter keys
// - runtime.bytes.pending        heap bytes per pending approval request (and journal bytes per request receipt)
import { hash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { keyPairFromSeed } from "../src/receipts/keys.ts";
import { NativeSigner, NobleSigner } from "../src/receipts/signer.ts";
import { Enforcer } from "../src/runtime/enforcer.ts";
import { MemoryJournal } from "../src/store/memory-journal.ts";
import { enforceableFrom, type EnforceablePolicy, type IrBuild } from "../src/engine/enforceable.ts";
import { DurableStore } from "../src/store/durable.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { RuntimeState } from "../src/runtime/state.ts";
import { requestIdFor } from "../src/runtime/approvals.ts";
import { invoicePolicyCompiled } from "./decide.ts";
import { benchSigner, type AppendSignerKind } from "./receipts.ts";
import { percentileSorted } from "./stats.ts";
import type { CompiledPolicy } from "../src/engine/plan.ts";
import { requestToJson } from "../src/runtime/receipt-body.ts";

export interface RuntimeBenchResult {
  readonly name: string;
  readonly ops: number;
  /** wall-clock milliseconds */
  readonly ms: number;
  /** ops per second (or the measured quantity for heap cases) */
  readonly rate: number;
  readonly unit: string;
  readonly p50Us?: number;
  readonly p99Us?: number;
  /** CPU time per op of every thread of the process (workers included, those that ended too), µs */
  readonly cpuUs?: number;
  readonly notes?: string;
}

const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };
const T = Date.parse("2026-01-15T09:00:00Z");

/** 16 proposals: 8 reads, 6 counted status updates, 2 deletes (require approval; the request then exists). */
export function actionMix(): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 8; i++) out.push({ type: "tool_use", id: `t${i}`, name: "get_invoice", input: { invoice_id: `inv-${i}`, customer_id: "c-1" } });
  for (let i = 0; i < 6; i++) {
    out.push({ action: { type: "invoice.update_status", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" } } });
  }
  for (let i = 0; i < 2; i++) out.push({ action: { type: "invoice.delete", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1" } } });
  return out;
}

function result(name: string, ops: number, ms: number, unit: string, extra: Partial<RuntimeBenchResult> = {}): RuntimeBenchResult {
  return { name, ops, ms, rate: (ops / ms) * 1000, unit, ...extra };
}

/** A clock that advances 1 ms per call, from mid-January: the monthly budget is never the limit here. */
function tickingClock(): () => number {
  let t = T;
  return () => t++;
}

export async function benchMemoryDecide(ops = 200_000, warmup = 20_000): Promise<RuntimeBenchResult> {
  const policy = invoicePolicyCompiled();
  const enforcer = await Enforcer.create({ policy, store: new MemoryStore(), clock: tickingClock() });
  const mix = actionMix();
  for (let i = 0; i < warmup; i++) await enforcer.decide(mix[i % mix.length], who);
  const t = performance.now();
  for (let i = 0; i < ops; i++) await enforcer.decide(mix[i % mix.length], who);
  const ms = performance.now() - t;
  return result("runtime.memory.decide", ops, ms, "decisions/s", { notes: `${((ms * 1000) / ops).toFixed(2)} µs/decision incl. normalization and digests` });
}

// ---- The floor for a raw decision: a plain script that builds the same IRs from the same mix, canonicalizes each
// (RFC 8785, written the plain way: sorted keys, JSON.stringify for strings) and takes both SHA-256 digests with
// node:crypto's one-shot hash. No validation, no schema, no state: what any decision path must at least pay.

function plainJcs(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || typeof v !== "object") return String(v);
  if (Array.isArray(v)) {
    let s = "[";
    for (let i = 0; i < v.length; i++) s += (i === 0 ? "" : ",") + plainJcs(v[i]);
    return s + "]";
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = "{";
  for (let i = 0; i < keys.length; i++) s += (i === 0 ? "" : ",") + JSON.stringify(keys[i]) + ":" + plainJcs(o[keys[i]!]);
  return s + "}";
}

const plainDigest = (text: string): string => "sha256:" + hash("sha256", text, "hex");

interface MixItem {
  readonly type?: string;
  readonly input?: Record<string, unknown>;
  readonly action?: { readonly type: string; readonly target: string; readonly params: Record<string, unknown> };
}

/** The floor script's IR for one proposal of `actionMix()` at `ms`, and its two digests (as src/ir/digest.ts defines them). */
export function floorDigests(proposal: unknown, ms: number): { readonly actionDigest: string; readonly irDigest: string } {
  const p = proposal as MixItem;
  const action =
    p.type === "tool_use"
      ? { type: "invoice.read", target: `invoice/${String(p.input!["invoice_id"])}`, params: { invoice_id: p.input!["invoice_id"], customer_id: p.input!["customer_id"] } }
      : { type: p.action!.type, target: p.action!.target, params: { ...p.action!.params } };
  const ir = { version: "1", action, actor: { ...who.actor }, context: { assigned_customers: [...who.context.assigned_customers] }, requested_at: new Date(ms).toISOString().replace(/\.?0+Z$/, "Z") };
  return {
    actionDigest: plainDigest(plainJcs({ action: ir.action, actor: ir.actor, kind: "execlayer/action/v1" })),
    irDigest: plainDigest(plainJcs({ ir, kind: "execlayer/ir/v1" })),
  };
}

/** The floor's rate over the mix (see above); the clock ticks 1 ms per proposal as in benchMemoryDecide. */
export function benchIrFloor(ops = 200_000, warmup = 20_000): RuntimeBenchResult {
  const mix = actionMix();
  // the same IRs: the floor's digests are the Enforcer's, for every proposal of the mix (at a few clock readings)
  const policy = enforceableFrom(invoicePolicyCompiled());
  for (let i = 0; i < mix.length * 4; i++) {
    const ms = T + i * 37;
    const built = policy.toIR(mix[i % mix.length], { ...who, requestedAt: ms });
    const plain = floorDigests(mix[i % mix.length], ms);
    if (!built.ok || built.actionDigest !== plain.actionDigest || built.irDigest !== plain.irDigest) {
      throw new Error(`the floor script does not build the Enforcer's IR for proposal ${i % mix.length}`);
    }
  }
  let t = T;
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += floorDigests(mix[i % mix.length], t++).irDigest.length;
  const start = performance.now();
  for (let i = 0; i < ops; i++) sink += floorDigests(mix[i % mix.length], t++).irDigest.length;
  const ms = performance.now() - start;
  if (sink === 0) throw new Error("unreachable");
  return result("runtime.floor", ops, ms, "IRs/s", { notes: "plain script: the same IRs, RFC 8785 text and both SHA-256 digests" });
}

/** The policy with normalization memoized per proposal object: what remains is evaluation + runtime bookkeeping. */
function preNormalized(policy: CompiledPolicy): EnforceablePolicy {
  const inner = enforceableFrom(policy);
  const cache = new Map<unknown, IrBuild>();
  return {
    ...inner,
    toIR(proposal, options) {
      let b = cache.get(proposal);
      if (b === undefined) {
        b = inner.toIR(proposal, options);
        cache.set(proposal, b);
      }
      return b;
    },
  };
}

export async function benchMemoryBookkeeping(ops = 500_000, warmup = 50_000): Promise<RuntimeBenchResult> {
  const policy = invoicePolicyCompiled();
  const enforcer = await Enforcer.create({ policy: preNormalized(policy), store: new MemoryStore(), clock: tickingClock() });
  const mix = actionMix();
  for (let i = 0; i < warmup; i++) await enforcer.decide(mix[i % mix.length], who);
  const t = performance.now();
  for (let i = 0; i < ops; i++) await enforcer.decide(mix[i % mix.length], who);
  const ms = performance.now() - t;
  return result("runtime.memory.bookkeeping", ops, ms, "decisions/s", { notes: `${((ms * 1000) / ops).toFixed(2)} µs/decision, IR prebuilt` });
}

/**
 * `concurrency` callers loop { await decide } over the invoice mix until `ops` decisions are made; every decision
 * must return a receipt. Returns the wall time and each decision's latency.
 */
export async function driveWithReceipts(enforcer: Enforcer, ops: number, concurrency: number): Promise<{ ms: number; latencies: Float64Array }> {
  const mix = actionMix();
  const latencies = new Float64Array(ops);
  let next = 0;
  const t = performance.now();
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = next++;
      const start = performance.now();
      const d = await enforcer.decide(mix[i % mix.length], who);
      latencies[i] = performance.now() - start;
      if (d.receipt === undefined) throw new Error(`no receipt: ${d.reasons[0]}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t;
  latencies.sort();
  return { ms, latencies };
}

function latencyFields(latencies: Float64Array): { p50Us: number; p99Us: number } {
  return { p50Us: percentileSorted(latencies, 0.5) * 1000, p99Us: percentileSorted(latencies, 0.99) * 1000 };
}

/** An Enforcer on the invoice policy whose in-memory store journals a signed receipt for every decision. */
export async function journaledEnforcer(kind: "native" | "noble"): Promise<Enforcer> {
  const pair = keyPairFromSeed(new Uint8Array(32).fill(3));
  const signer = kind === "native" ? new NativeSigner(pair) : new NobleSigner(pair);
  return Enforcer.create({ policy: invoicePolicyCompiled(), store: new MemoryStore({ journal: new MemoryJournal(signer) }), clock: tickingClock() });
}

/**
 * Decisions with signed receipts and nothing written: the Enforcer's default in-memory store with a journal
 * (src/store/memory-journal.ts). One caller at a time, so each latency is the service time of one decision.
 */
export async function benchJournaled(kind: "native" | "noble", options: { ops?: number; warmup?: number } = {}): Promise<RuntimeBenchResult> {
  const ops = options.ops ?? (kind === "native" ? 20_000 : 4_000);
  const enforcer = await journaledEnforcer(kind);
  await driveWithReceipts(enforcer, options.warmup ?? Math.ceil(ops / 10), 1);
  const { ms, latencies } = await driveWithReceipts(enforcer, ops, 1);
  return result(`runtime.journal.${kind}`, ops, ms, "decisions/s", {
    ...latencyFields(latencies),
    notes: "in-memory store with a receipt journal, one caller, one signed receipt per decision",
  });
}

export async function benchDurable(
  kind: AppendSignerKind,
  options: { ops?: number; concurrency?: number; signatures?: "per-receipt" | "per-batch"; keepLines?: (lines: Buffer[]) => void } = {},
): Promise<RuntimeBenchResult> {
  const ops = options.ops ?? (kind === "noble" ? 4_000 : 20_000);
  const concurrency = options.concurrency ?? 64;
  const signatures = options.signatures ?? "per-receipt";
  const dir = mkdtempSync(path.join(tmpdir(), "xp-bench-runtime-"));
  const signer = benchSigner(kind, keyPairFromSeed(new Uint8Array(32).fill(3)));
  try {
    const store = await DurableStore.open(dir, { signer, signatures });
    const enforcer = await Enforcer.create({ policy: invoicePolicyCompiled(), store, clock: tickingClock() });
    // getrusage(RUSAGE_SELF): the log's writer thread, the signing workers and libuv's fdatasyncs are counted too
    const cpu0 = process.cpuUsage();
    const { ms, latencies } = await driveWithReceipts(enforcer, ops, concurrency);
    await store.close();
    const cpu = process.cpuUsage(cpu0);
    if (options.keepLines !== undefined) {
      // the decisions' own lines (not the seals), with their newlines: what benchRawAppends writes again
      const text = readFileSync(path.join(dir, "receipts.jsonl"));
      const lines: Buffer[] = [];
      for (let at = 0; at < text.length; ) {
        const nl = text.indexOf(0x0a, at);
        const line = text.subarray(at, nl + 1);
        if (!line.includes('"kind":"seal"')) lines.push(Buffer.from(line));
        at = nl + 1;
      }
      options.keepLines(lines);
    }
    return result(`runtime.durable.${kind}${signatures === "per-batch" ? ".batch" : ""}`, ops, ms, "decisions/s", {
      ...latencyFields(latencies),
      cpuUs: (cpu.user + cpu.system) / ops,
      notes: `${concurrency} concurrent callers, fsync group commit, ${signatures === "per-batch" ? "one signed seal per write" : "one signed receipt per decision"}`,
    });
  } finally {
    await signer.close?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) return g();
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap after `keys` distinct counter keys (run with --expose-gc, or gc is enabled through v8 flags). */
export async function benchHeapCounters(keys = 1_000_000): Promise<RuntimeBenchResult> {
  const state = new RuntimeState();
  const window = { kind: "calendar", unit: "month" } as const;
  const before = heapUsed();
  const t = performance.now();
  for (let i = 0; i < keys; i++) state.apply({ op: "count", counter: "status_updates", window, key: `["agent-${i}"]`, at: T + i, amount: 1 });
  const ms = performance.now() - t;
  const bytes = heapUsed() - before;
  if (state.counterCells !== keys) throw new Error("lost counter keys");
  return {
    name: "runtime.heap.counters",
    ops: keys,
    ms: Math.round(ms),
    rate: bytes / 1024 / 1024,
    unit: "MiB heap",
    notes: `${Math.round(bytes / keys)} bytes per counter key (calendar month)`,
  };
}

export async function benchBytesPerPending(requests = 100_000): Promise<RuntimeBenchResult> {
  const state = new RuntimeState();
  const approvers = ["alice", "bob", "carol"].map((name, i) => ({ group: "finance", name, key: "ed25519:" + String(i).repeat(64) }));
  const requirements = [{ group: "finance", quorum: 2, withinMs: 86_400_000 }];
  const policyDigest = "sha256:" + "9".repeat(64);
  const before = heapUsed();
  let journalBytes = 0;
  for (let i = 0; i < requests; i++) {
    const actionDigest = "sha256:" + i.toString(16).padStart(64, "0");
    const request = {
      id: requestIdFor(policyDigest, actionDigest, T + i),
      actionDigest,
      irDigest: "sha256:" + (i + 1).toString(16).padStart(64, "0"),
      policyDigest,
      tier: "T3" as const,
      actionType: "invoice.delete_all",
      target: `customer/c-${i}`,
      requirements,
      createdAt: T + i,
      expiresAt: T + i + 86_400_000,
      approvers,
    };
    state.apply({ op: "request", request });
    if (i < 100) journalBytes += JSON.stringify(requestToJson(request)).length;
  }
  const bytes = heapUsed() - before;
  if (state.requests.size !== requests) throw new Error("lost requests");
  return {
    name: "runtime.bytes.pending",
    ops: requests,
    ms: 0,
    rate: bytes / requests,
    unit: "bytes/request",
    notes: `heap per pending request (3 approvers recorded); ~${Math.round(journalBytes / 100)} bytes of JSON in its journal entry`,
  };
}

export const runtimeBenchCases: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<RuntimeBenchResult> }> = [
  { name: "runtime.memory.decide", run: () => benchMemoryDecide() },
  { name: "runtime.memory.bookkeeping", run: () => benchMemoryBookkeeping() },
  { name: "runtime.journal.native", run: () => benchJournaled("native") },
  { name: "runtime.journal.noble", run: () => benchJournaled("noble") },
  { name: "runtime.durable.native", run: () => benchDurable("native") },
  { name: "runtime.durable.native.threads", run: () => benchDurable("native.threads", { concurrency: 256 }) },
  { name: "runtime.durable.noble", run: () => benchDurable("noble") },
  { name: "runtime.heap.counters", run: () => benchHeapCounters() },
  { name: "runtime.bytes.pending", run: () => benchBytesPerPending() },
];

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv.slice(2);
  for (const c of runtimeBenchCases) {
    if (only.length > 0 && !only.some((o) => c.name.includes(o))) continue;
    const r = await c.run();
    const lat = r.p50Us !== undefined ? `  p50 ${Math.round(r.p50Us)} µs, p99 ${Math.round(r.p99Us ?? 0)} µs` : "";
    console.log(`${r.name.padEnd(28)} ${String(Math.round(r.rate)).padStart(9)} ${r.unit}${lat}  (${r.ops} in ${Math.round(r.ms)} ms${r.notes ? "; " + r.notes : ""})`);
  }
}

/**
 * The floor of durable appends: `concurrency` callers each append one of `lines` (the same bytes a durable run wrote)
 * and wait until it is on disk, through a group commit built like the receipt log's (one write at a time of
 * everything waiting, each followed by an fdatasync the next write does not wait for; a caller is answered once a
 * sync covers its line), and nothing else: no decision, no encoding, no hashing, no signature.
 */
export async function benchRawAppends(lines: readonly Buffer[], concurrency = 64): Promise<RuntimeBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "xp-bench-appends-"));
  const h = await fsp.open(path.join(dir, "raw.jsonl"), "a");
  try {
    let pending: Buffer[] = [];
    let appended = 0;
    let durable = 0;
    const waiters: { target: number; resolve: () => void }[] = [];
    let writing = false;
    const settle = (): void => {
      let n = 0;
      while (n < waiters.length && waiters[n]!.target <= durable) n++;
      for (const w of waiters.splice(0, n)) w.resolve();
    };
    const pump = (): void => {
      if (writing || pending.length === 0) return;
      writing = true;
      const batch = pending;
      pending = [];
      const size = appended;
      void (async () => {
        await h.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
        writing = false;
        void h.datasync().then(() => {
          if (size > durable) durable = size;
          settle();
        });
        setImmediate(pump);
      })();
    };
    const append = (line: Buffer): Promise<void> => {
      pending.push(line);
      const target = ++appended;
      const done = new Promise<void>((resolve) => waiters.push({ target, resolve }));
      setImmediate(pump);
      return done;
    };
    const ops = lines.length;
    const latencies = new Float64Array(ops);
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ops) {
          const i = next++;
          const start = performance.now();
          await append(lines[i]!);
          latencies[i] = performance.now() - start;
        }
      }),
    );
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort();
    return result("runtime.appends.raw", ops, ms, "lines/s", { ...latencyFields(latencies), cpuUs: (cpu.user + cpu.system) / ops, notes: `${concurrency} callers, group commit, fdatasync` });
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
