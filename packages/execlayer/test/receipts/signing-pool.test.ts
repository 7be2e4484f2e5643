import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { test as fcTest, fc } from "@fast-check/vitest";
import { ReceiptLog } from "../../src/receipts/log.ts";
import { NativeSigner, NobleSigner, type Signer } from "../../src/index.ts";
import { SigningPool } from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { finishReceipt, GENESIS_PREV, prepareReceipt } from "../../src/receipts/receipt.ts";
import { leafHash } from "../../src/receipts/merkle.ts";
import type { JsonObject } from "../../src/ir/types.ts";
import { buildLog, chainHashOfLine, decisionBody, ORIGIN, repoRoot, seedKey, tempDir } from "./helpers.ts";

const key = seedKey(11);
const native = new NativeSigner(key);

describe("SigningPool", () => {
  fcTest.prop([fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 3 })], { numRuns: 15 })(
    "signMany gives NativeSigner's (and noble's) bytes, in order, for any batch and thread count",
    async (messages, threads) => {
      const pool = new SigningPool(key, { threads });
      try {
        const sigs = await pool.signMany(messages);
        expect(sigs).toHaveLength(messages.length);
        sigs.forEach((sig, i) => expect(Buffer.from(sig).equals(Buffer.from(native.sign(messages[i] as Uint8Array)))).toBe(true));
        if (messages.length > 0) expect(Buffer.from(pool.sign(messages[0] as Uint8Array)).equals(Buffer.from(new NobleSigner(key).sign(messages[0] as Uint8Array)))).toBe(true);
      } finally {
        await pool.close();
      }
    },
  );

  fcTest.prop(
    [fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), { maxLength: 30 }), fc.integer({ min: 1, max: 3 }), fc.boolean()],
    { numRuns: 12 },
  )("frameMany gives finishReceipt's lines and the log's leaf hashes, in order, on workers and after close alike", async (bodies, threads, closeFirst) => {
    const pool = new SigningPool(key, { threads });
    try {
      if (closeFirst) await pool.close();
      const prepared = bodies.map((body, i) => {
        const p = prepareReceipt({ seq: i, prev: GENESIS_PREV, time: "2026-01-31T12:00:00.5Z", kind: "decision", body: body as JsonObject }, pool.keyId);
        if (!p.ok) throw new Error(p.error);
        return p.value;
      });
      const framed = await pool.frameMany(prepared);
      expect(framed).toHaveLength(prepared.length);
      framed.forEach((f, i) => {
        const expected = finishReceipt(prepared[i]!, native.sign(prepared[i]!.message));
        expect(f.line.equals(expected.framed.subarray(1))).toBe(true);
        expect(Buffer.from(f.leaf).equals(Buffer.from(leafHash(expected.framed.subarray(1, expected.framed.length - 1))))).toBe(true);
        expect(Buffer.from(f.signature).equals(Buffer.from(native.sign(prepared[i]!.message)))).toBe(true);
      });
    } finally {
      await pool.close();
    }
  });

  test("workers run below the deciding thread (nice 10 by default, as configured; 0 leaves them as they are)", async () => {
    const niceOfThreads = (): number[] =>
      readdirSync(`/proc/${process.pid}/task`).map((t) => Number(readFileSync(`/proc/${process.pid}/task/${t}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
    for (const [nice, expected] of [[undefined, 10], [15, 15]] as const) {
      const before = niceOfThreads().filter((n) => n === expected).length;
      const pool = new SigningPool(key, { threads: 2, ...(nice !== undefined ? { nice } : {}) });
      try {
        expect(pool.nice).toBe(expected);
        await pool.signMany(Array.from({ length: 40 }, (_, i) => Buffer.from(`m${i}`)));
        expect(niceOfThreads().filter((n) => n === expected).length).toBe(before + 2);
      } finally {
        await pool.close();
      }
    }
    expect(() => new SigningPool(key, { nice: 20 })).toThrow(RangeError);
    expect(() => new SigningPool(key, { nice: -1 })).toThrow(RangeError);
  });

  test("same key id and public key as the native signer; threads must be positive", () => {
    const pool = new SigningPool(key, { threads: 1 });
    expect(pool.keyId).toBe(native.keyId);
    expect(Buffer.from(pool.publicKey).equals(Buffer.from(native.publicKey))).toBe(true);
    expect(() => new SigningPool(key, { threads: 0 })).toThrow(RangeError);
  });

  test("a batch still out when the pool closes is signed on this thread; after close, signMany still signs", async () => {
    const pool = new SigningPool(key, { threads: 2 });
    const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`message ${i}`));
    const pending = pool.signMany(messages);
    await pool.close();
    const sigs = await pending;
    sigs.forEach((sig, i) => expect(Buffer.from(sig).equals(Buffer.from(native.sign(messages[i] as Uint8Array)))).toBe(true));
    const after = await pool.signMany([Buffer.from("late")]);
    expect(Buffer.from(after[0] as Uint8Array).equals(Buffer.from(native.sign(Buffer.from("late"))))).toBe(true);
  });

  test("an idle pool that was never closed does not keep the process alive", () => {
    const script = `
      import { SigningPool } from ${JSON.stringify(path.join(repoRoot, "src/receipts/signing-pool.ts"))};
      import { keyPairFromSeed } from ${JSON.stringify(path.join(repoRoot, "src/receipts/keys.ts"))};
      const pool = new SigningPool(keyPairFromSeed(new Uint8Array(32).fill(1)), { threads: 2 });
      const sigs = await pool.signMany([new Uint8Array(10), new Uint8Array(20), new Uint8Array(30)]);
      console.log(sigs.length);
    `;
    // exits by itself (a ref'd idle worker would hang it until the timeout kills it, failing the call)
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot, timeout: 30_000, encoding: "utf8" });
    expect(out.trim()).toBe("3");
  });
});

describe("a receipt log signing in the group commit", () => {
  test("receipts are signed by the flush; the file is byte-identical to one signed in append", async () => {
    const pool = new SigningPool(key, { threads: 2 });
    try {
      const batched = await buildLog(25, { signer: pool, flushEvery: 4, checkpointEvery: 10 });
      const inline = await buildLog(25, { signer: native, flushEvery: 4, checkpointEvery: 10 });
      const read = (d: string, f: string): string => readFileSync(path.join(d, f), "utf8");
      expect(read(batched, "receipts.jsonl")).toBe(read(inline, "receipts.jsonl"));
      expect(read(batched, "checkpoints.jsonl")).toBe(read(inline, "checkpoints.jsonl"));
      expect(await verifyLog(batched, key.publicKey)).toMatchObject({ ok: true, count: 25 });
    } finally {
      await pool.close();
    }
  });

  test("append assigns seq and prev at once; receipt and line arrive with the flush; concurrent flushes keep seq order", async () => {
    const pool = new SigningPool(key, { threads: 2 });
    const dir = tempDir();
    const log = await ReceiptLog.open(dir, { signer: pool, origin: ORIGIN, durability: "fsync", checkpointEvery: 7 });
    try {
      const a = log.append("decision", decisionBody(0), "2026-01-31T12:00:00Z");
      const b = log.append("decision", decisionBody(1), "2026-01-31T12:00:01Z");
      if (!a.ok || !b.ok) throw new Error("append failed");
      expect([a.seq, b.seq, log.head.size]).toEqual([0, 1, 2]);
      expect(a.receipt).toBeUndefined();
      await log.flush();
      expect(a.receipt?.seq).toBe(0);
      expect(b.receipt?.prev).toBe(chainHashOfLine(a.line ?? ""));
      // 64 callers, each appending then awaiting its flush: every receipt signed, durable, in order
      let next = 2;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < 300) {
            const r = log.append("decision", decisionBody(next++), "2026-01-31T12:00:02Z");
            if (!r.ok) throw r.error;
            await log.flush();
            expect(r.receipt?.seq).toBe(r.seq);
            expect(log.durableSize).toBeGreaterThan(r.seq);
          }
        }),
      );
      await log.close();
      expect(await verifyLog(dir, key.publicKey)).toMatchObject({ ok: true, count: 300 });
    } finally {
      await pool.close();
    }
  });
});

describe("batch signing under any schedule", () => {
  const pool = new SigningPool(key, { threads: 2 });
  afterAll(() => pool.close());

  /** Runs a schedule of appends (a), flushes not awaited (f), waits for every flush so far (w) and turns (t). */
  async function runSchedule(ops: readonly string[], signer: Signer): Promise<{ dir: string; appended: number }> {
    const dir = tempDir();
    const log = await ReceiptLog.open(dir, { signer, origin: ORIGIN, durability: "fsync", checkpointEvery: 5 });
    const flushes: Promise<void>[] = [];
    let appended = 0;
    for (const op of ops) {
      if (op === "a") {
        const r = log.append("decision", decisionBody(appended), new Date(Date.UTC(2026, 0, 1, 0, 0, appended)));
        if (!r.ok) throw r.error;
        appended++;
      } else if (op === "f") {
        const target = log.size;
        // when a flush resolves, everything appended before it is on disk
        flushes.push(log.flush().then(() => expect(log.durableSize).toBeGreaterThanOrEqual(target)));
      } else if (op === "w") {
        await Promise.all(flushes);
      } else {
        await new Promise((r) => setImmediate(r));
      }
    }
    await Promise.all(flushes);
    await log.close();
    return { dir, appended };
  }

  fcTest.prop([fc.array(fc.constantFrom("a", "a", "a", "f", "w", "t"), { minLength: 1, maxLength: 120 })], { numRuns: 25 })(
    "every flush resolves with its receipts durable, the log verifies, and the bytes equal those of a main-thread signer",
    async (ops) => {
      const batched = await runSchedule(ops, pool);
      const inline = await runSchedule(ops, native);
      expect(await verifyLog(batched.dir, key.publicKey)).toMatchObject({ ok: true, count: batched.appended });
      expect(readFileSync(path.join(batched.dir, "receipts.jsonl"), "utf8")).toBe(readFileSync(path.join(inline.dir, "receipts.jsonl"), "utf8"));
    },
  );
});
