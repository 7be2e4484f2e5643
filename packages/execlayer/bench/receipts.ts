// Receipt benchmarks: raw signing rates, durable append throughput with group commit, whole-log verification.
// Each case is a function returning a BenchResult; `npx tsx bench/receipts.ts` runs them all and prints a table.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { JsonObject } from "../src/ir/types.ts";
import { keyPairFromSeed } from "../src/receipts/keys.ts";
import { ReceiptLog } from "../src/receipts/log.ts";
import { signingMessage } from "../src/receipts/receipt.ts";
import { ed } from "../src/receipts/noble.ts";
import { NativeSigner, NobleSigner, type Signer } from "../src/receipts/signer.ts";
import { SigningPool } from "../src/receipts/signing-pool.ts";
import { verifyLog } from "../src/receipts/verify-log.ts";

export interface BenchResult {
  readonly name: string;
  /** operations done */
  readonly ops: number;
  /** wall-clock milliseconds */
  readonly ms: number;
  /** ops per second */
  readonly rate: number;
  readonly unit: string;
  readonly notes?: string;
}

/** The bench logs' signing key (replay.ts writes its log with it too, so timeVerifyLog checks both). */
export const pair = keyPairFromSeed(new Uint8Array(32).fill(7));

/** A decision body of realistic size (~800 bytes of JSON; with the signing prefix and padding, ~1 KB to sign). */
export function sampleDecisionBody(i: number): JsonObject {
  return {
    ir_digest: "sha256:" + (i * 2654435761).toString(16).padStart(64, "0").slice(-64),
    ir: {
      version: "1",
      action: { type: "invoice.update_status", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, status: "paid", amount: 1200 + (i % 97) } },
      actor: { agent: "billing-agent", on_behalf_of: "sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a", roles: ["billing"] },
      context: { region: "eu-west-1" },
      requested_at: "2026-01-31T12:00:00.5Z",
    },
    policy: { name: "invoices", version: "1.4.0", digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" },
    tier: "T1",
    decision: { effect: "allow", rules: [{ rule: "monthly_threshold", effect: "allow" }], reasons: ["within the monthly threshold of 1000 updates"] },
    counters: { read: { monthly_updates: i % 1000 }, written: { monthly_updates: (i % 1000) + 1 } },
  };
}

function result(name: string, ops: number, ms: number, unit: string, notes?: string): BenchResult {
  return { name, ops, ms, rate: (ops / ms) * 1000, unit, ...(notes !== undefined ? { notes } : {}) };
}

function typicalMessage(): Uint8Array {
  return signingMessage(JSON.stringify(sampleDecisionBody(1)) + "x".repeat(200));
}

/**
 * The library's own one-call API, `ed.sign(message, seed)`: the "raw noble signing rate" as a user of
 * @noble/ed25519 gets it. It derives the expanded key (a second base-point multiplication) on every call;
 * NobleSigner derives it once, so it signs faster than this baseline.
 */
class NobleLibrarySigner implements Signer {
  readonly keyId = "ed25519:0000000000000000";
  readonly publicKey: Uint8Array = pair.publicKey;
  sign(message: Uint8Array): Uint8Array {
    return ed.sign(message, pair.seed);
  }
}

/** noble: NobleSigner.sign; noble.lib: @noble/ed25519's ed.sign(msg, seed); native: NativeSigner (node:crypto). */
export type RawSignKind = "noble" | "noble.lib" | "native";

export async function benchRawSign(kind: RawSignKind, ops = kind === "native" ? 30000 : 3000, warmup = 50): Promise<BenchResult> {
  const signer: Signer = kind === "noble" ? new NobleSigner(pair) : kind === "noble.lib" ? new NobleLibrarySigner() : new NativeSigner(pair);
  const msg = typicalMessage();
  for (let i = 0; i < warmup; i++) signer.sign(msg);
  const t = performance.now();
  for (let i = 0; i < ops; i++) signer.sign(msg);
  return result(`sign.raw.${kind}`, ops, performance.now() - t, "signatures/s");
}

/**
 * The machine's raw native signing rate on all cores: a SigningPool with one worker per core (nice 0: nothing else
 * runs) signing typical receipt messages, `inFlight` batches of `batch` kept out at once so every worker stays busy.
 */
export async function benchRawSignAllCores(ops = 60_000, batch = 256, inFlight = 4): Promise<BenchResult> {
  const threads = availableParallelism();
  const pool = new SigningPool(pair, { threads, nice: 0 });
  const msg = typicalMessage();
  const messages = Array.from({ length: batch }, () => msg);
  try {
    await pool.signMany(messages); // starts the workers
    let started = 0;
    const t = performance.now();
    const lane = async (): Promise<void> => {
      while (started < ops) {
        started += batch;
        const sigs = await pool.signMany(messages);
        if (sigs.length !== batch) throw new Error("the pool returned too few signatures");
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    return result("sign.raw.native.cores", started, performance.now() - t, "signatures/s", `${threads} worker threads, one per core`);
  } finally {
    await pool.close();
  }
}

/** noble / native: signing inside append on the main thread; native.threads: SigningPool, one worker per core. */
export type AppendSignerKind = "noble" | "native" | "native.threads";

/** The signer for a benchmark run; close it after (the pool's threads). */
export function benchSigner(kind: AppendSignerKind, keyPair = pair): Signer {
  return kind === "noble" ? new NobleSigner(keyPair) : kind === "native" ? new NativeSigner(keyPair) : new SigningPool(keyPair, { threads: availableParallelism() });
}

/**
 * `concurrency` simulated requests each loop { append a decision receipt; await flush() }: flushes that overlap
 * share one write + one fdatasync (group commit). Every counted receipt is durable.
 */
export async function benchAppend(
  kind: AppendSignerKind,
  options: { receipts?: number; concurrency?: number; durability?: "fsync" | "none" } = {},
): Promise<BenchResult> {
  const receipts = options.receipts ?? (kind === "noble" ? 3000 : 40000);
  const concurrency = options.concurrency ?? 64;
  const durability = options.durability ?? "fsync";
  const dir = mkdtempSync(path.join(tmpdir(), "xp-bench-receipts-"));
  const signer = benchSigner(kind);
  try {
    const log = await ReceiptLog.open(dir, { signer, origin: "bench.example/log", durability });
    const time = "2026-01-31T12:00:00.5Z";
    let next = 0;
    const t = performance.now();
    const worker = async (): Promise<void> => {
      while (next < receipts) {
        const r = log.append("decision", sampleDecisionBody(next++), time);
        if (!r.ok) throw r.error;
        await log.flush();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const ms = performance.now() - t;
    await log.close();
    return result(`append.${durability}.${kind}`, receipts, ms, "receipts/s", `${concurrency} concurrent appenders`);
  } finally {
    await signer.close?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a log of `receipts` decision receipts into a new temporary directory (native signer, no fsync). */
export async function writeBenchLog(receipts: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "xp-bench-verify-"));
  const log = await ReceiptLog.open(dir, { signer: new NativeSigner(pair), origin: "bench.example/log", durability: "none" });
  for (let i = 0; i < receipts; i++) {
    const r = log.append("decision", sampleDecisionBody(i), "2026-01-31T12:00:00.5Z");
    if (!r.ok) throw r.error;
    if (i % 1000 === 999) await log.flush();
  }
  await log.close();
  return dir;
}

/** Times verifyLog over a log written by writeBenchLog; throws when it does not verify completely. */
export async function timeVerifyLog(dir: string, receipts: number): Promise<BenchResult> {
  const t = performance.now();
  const v = await verifyLog(dir, pair.publicKey);
  const ms = performance.now() - t;
  if (!v.ok || v.count !== receipts) throw new Error(`verification failed: ${JSON.stringify(v.firstBad)}`);
  return result("verify.log", receipts, ms, "receipts/s", `${v.checkpoints} checkpoints`);
}

/** Writes a log of `receipts` receipts (native signer, no fsync) and times verifyLog over it. */
export async function benchVerifyLog(receipts = 100_000): Promise<BenchResult> {
  const dir = await writeBenchLog(receipts);
  try {
    return await timeVerifyLog(dir, receipts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Noise-resistant ratio on a shared machine: alternates blocks of raw signatures and blocks of durable appends
 * (`concurrency` appenders, each awaiting its flush) in one process and compares the summed times.
 */
export async function benchAppendVsSign(
  kind: "noble" | "native",
  options: { rounds?: number; block?: number; concurrency?: number; durability?: "fsync" | "none" } = {},
): Promise<BenchResult> {
  const rounds = options.rounds ?? (kind === "noble" ? 10 : 20);
  const block = options.block ?? (kind === "noble" ? 200 : 1000);
  const concurrency = options.concurrency ?? 64;
  const signer: Signer = kind === "noble" ? new NobleSigner(pair) : new NativeSigner(pair);
  const dir = mkdtempSync(path.join(tmpdir(), "xp-bench-ratio-"));
  try {
    const log = await ReceiptLog.open(dir, { signer, origin: "bench.example/log", durability: options.durability ?? "fsync" });
    const msg = typicalMessage();
    const bodies = Array.from({ length: block }, (_, i) => sampleDecisionBody(i));
    let signMs = 0;
    let appendMs = 0;
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      for (let i = 0; i < block; i++) signer.sign(msg);
      signMs += performance.now() - t;
      t = performance.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < block) {
          const r = log.append("decision", bodies[next++] as JsonObject, "2026-01-31T12:00:00.5Z");
          if (!r.ok) throw r.error;
          await log.flush();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      appendMs += performance.now() - t;
    }
    await log.close();
    const ops = rounds * block;
    return {
      ...result(`append.vs.sign.${kind}`, ops, appendMs, "receipts/s"),
      notes: `raw signing ${Math.round((ops / signMs) * 1000)}/s in the same rounds: durable appends reach ${Math.round((signMs / appendMs) * 100)}% of it`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const receiptBenchCases: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<BenchResult> }> = [
  { name: "sign.raw.noble.lib", run: () => benchRawSign("noble.lib") },
  { name: "sign.raw.noble", run: () => benchRawSign("noble") },
  { name: "sign.raw.native", run: () => benchRawSign("native") },
  { name: "append.fsync.noble", run: () => benchAppend("noble") },
  { name: "append.fsync.native", run: () => benchAppend("native") },
  { name: "append.fsync.native.threads", run: () => benchAppend("native.threads", { concurrency: 256 }) },
  { name: "verify.log", run: () => benchVerifyLog() },
  { name: "append.vs.sign.noble", run: () => benchAppendVsSign("noble") },
  { name: "append.vs.sign.native", run: () => benchAppendVsSign("native") },
];

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv.slice(2);
  const rates: Record<string, number> = {};
  for (const c of receiptBenchCases) {
    if (only.length > 0 && !only.some((o) => c.name.includes(o))) continue;
    const r = await c.run();
    rates[r.name] = r.rate;
    console.log(`${r.name.padEnd(22)} ${String(Math.round(r.rate)).padStart(8)} ${r.unit}  (${r.ops} in ${Math.round(r.ms)} ms${r.notes ? "; " + r.notes : ""})`);
  }
  const ratio = (a: string, b: string): string => (rates[a] && rates[b] ? `${Math.round((rates[a] / rates[b]) * 100)}%` : "n/a");
  console.log(`NobleSigner.sign / noble's ed.sign: ${ratio("sign.raw.noble", "sign.raw.noble.lib")}`);
  console.log(`durable noble appends / ed.sign (the library's rate): ${ratio("append.fsync.noble", "sign.raw.noble.lib")} (target >= 90%)`);
  console.log(`durable noble appends / NobleSigner.sign (our signer alone): ${ratio("append.fsync.noble", "sign.raw.noble")}`);
  console.log(`durable native appends / raw native signatures: ${ratio("append.fsync.native", "sign.raw.native")}`);
  console.log(`durable native appends, signed on a worker per core: ${Math.round(rates["append.fsync.native.threads"] ?? NaN)}/s (target: >= 20000 receipts/s)`);
}
