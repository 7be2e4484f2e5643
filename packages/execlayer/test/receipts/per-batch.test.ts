// Per-batch signatures: receipts without a signature of their own, each write closed by a signed seal holding the
// Merkle root of the log up to it. Every receipt must still verify on its own (its inclusion proof to a seal or a
// checkpoint), the log as a whole with `verifyLog`, and nothing unsealed may be trusted or replayed.
import { test as fcTest, fc } from "@fast-check/vitest";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { ReceiptLog } from "../../src/receipts/log.ts";
import { signReceipt } from "../../src/receipts/receipt.ts";
import { NativeSigner } from "../../src/index.ts";
import { parseReceiptLine, proveReceipt, verifyLog, verifyReceiptProof, type Receipt } from "../../src/receipts/index.ts";
import { decisionBody, ORIGIN, seedKey, tempDir } from "./helpers.ts";

const key = seedKey(7);
const R = "receipts.jsonl";

/** Writes receipts in batches of the given sizes (one flush each); closes the log unless told not to. */
async function writeBatches(
  sizes: readonly number[],
  options: { close?: boolean; checkpointEvery?: number; dir?: string; writer?: "thread" | "main"; from?: number } = {},
): Promise<string> {
  const dir = options.dir ?? tempDir("xp-per-batch-");
  const log = await ReceiptLog.open(dir, {
    signer: new NativeSigner(key),
    origin: ORIGIN,
    checkpointEvery: options.checkpointEvery ?? 0,
    durability: "none",
    signatures: "per-batch",
    ...(options.writer ? { writer: options.writer } : {}),
  });
  let i = options.from ?? 0;
  for (const n of sizes) {
    for (let k = 0; k < n; k++) {
      const r = log.append("decision", decisionBody(i++), new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
      expect(r.ok).toBe(true);
    }
    await log.flush();
  }
  if (options.close !== false) await log.close();
  else {
    await log.flush();
    open.push(log);
  }
  return dir;
}

/** logs left open on purpose (so no closing checkpoint covers their receipts), closed after the tests */
const open: ReceiptLog[] = [];
afterAll(async () => {
  await Promise.all(open.map((l) => l.close()));
});

const lines = (dir: string): string[] => readFileSync(path.join(dir, R), "utf8").split("\n").slice(0, -1);
const parsed = (dir: string): Receipt[] => lines(dir).map((l) => {
  const r = parseReceiptLine(l);
  if (!r.ok) throw new Error(r.error);
  return r.value;
});

describe("a per-batch log", () => {
  test("carries no signature on its receipts and one signed seal after each batch, and verifies", async () => {
    const dir = await writeBatches([3, 1, 5]);
    const rs = parsed(dir);
    expect(rs.map((r) => (r.kind === "seal" ? "S" : r.sig === undefined ? "u" : "signed")).join("")).toBe("uuuSuSuuuuuS");
    for (const seal of rs.filter((r) => r.kind === "seal")) {
      expect(seal.sig).toMatch(/^[A-Za-z0-9+/]{86}==$/);
      expect(seal.body).toEqual({ root: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), size: seal.seq });
    }
    const v = await verifyLog(dir, key.publicKey);
    expect(v).toMatchObject({ ok: true, count: 12 });
    // another key verifies nothing
    expect((await verifyLog(dir, seedKey(8).publicKey)).ok).toBe(false);
  });

  test("every receipt proves on its own: to its batch's seal before a checkpoint, to the checkpoint after", async () => {
    const dir = await writeBatches([4, 2], { close: false });
    for (const seq of [0, 3, 5]) {
      const proof = await proveReceipt(dir, seq);
      expect(proof.ok).toBe(true);
      if (!proof.ok) return;
      expect(proof.value.checkpoint).toBeUndefined();
      expect(proof.value.seal?.kind).toBe("seal");
      const v = verifyReceiptProof(JSON.parse(JSON.stringify(proof.value)), key.publicKey);
      expect(v).toMatchObject({ ok: true, value: { receipt: { seq } } });
      // a changed body, a seal of another key, or a seal made up for it: refused
      const changed = JSON.parse(JSON.stringify(proof.value)) as { receipt: { body: Record<string, unknown> } };
      changed.receipt.body["i"] = 999;
      expect(verifyReceiptProof(changed, key.publicKey).ok).toBe(false);
      expect(verifyReceiptProof(JSON.parse(JSON.stringify(proof.value)), seedKey(8).publicKey).ok).toBe(false);
      const unsignedSeal = JSON.parse(JSON.stringify(proof.value)) as { seal: { sig?: string } };
      delete unsignedSeal.seal.sig;
      expect(verifyReceiptProof(unsignedSeal, key.publicKey)).toMatchObject({ ok: false });
    }
  });

  test("after close, a checkpoint covers every receipt and the proof leads to it", async () => {
    const dir = await writeBatches([2, 2]);
    const proof = await proveReceipt(dir, 1);
    expect(proof.ok && proof.value.checkpoint !== undefined).toBe(true);
    if (proof.ok) expect(verifyReceiptProof(JSON.parse(JSON.stringify(proof.value)), key.publicKey).ok).toBe(true);
  });

  test("a changed unsigned receipt breaks the chain; a seal signed with the key over a wrong root is named (XP6020)", async () => {
    const dir = await writeBatches([3, 3]);
    const ls = lines(dir);
    writeFileSync(path.join(dir, R), ls.map((l, i) => (i === 1 ? l.replace('"i":1', '"i":7') : l)).join("\n") + "\n");
    // the next receipt's prev no longer matches: the chain names receipt 2
    expect((await verifyLog(dir, key.publicKey)).firstBad).toMatchObject({ seq: 2, problem: "prev" });

    // an insider with the key re-signs the first seal over another root: the signature holds, the root does not
    const clean = await writeBatches([3, 3]);
    const cls = lines(clean);
    const seal = parsed(clean)[3] as Receipt;
    expect(seal.kind).toBe("seal");
    const forged = signReceipt({ seq: seal.seq, prev: seal.prev, time: seal.time, kind: "seal", body: { root: "sha256:" + "ab".repeat(32), size: 3 } }, new NativeSigner(key));
    expect(forged.ok).toBe(true);
    if (!forged.ok) return;
    writeFileSync(path.join(clean, R), cls.map((l, i) => (i === 3 ? forged.value.line : l)).join("\n") + "\n");
    expect(await verifyLog(clean, key.publicKey)).toMatchObject({ ok: false, firstBad: { seq: 3, problem: "seal", code: "XP6020", line: 4 } });
  });

  test("receipts after the last seal are reported unsealed (XP6021); reopening drops them and replays only sealed ones", async () => {
    const dir = await writeBatches([2, 3], { close: false });
    const ls = lines(dir); // u u S u u u S
    expect(ls).toHaveLength(7);
    // the write of the second batch stopped before its seal
    writeFileSync(path.join(dir, R), ls.slice(0, 5).join("\n") + "\n");
    const v = await verifyLog(dir, key.publicKey);
    expect(v).toMatchObject({ ok: false, count: 3, firstBad: { seq: 3, problem: "unsealed", code: "XP6021", line: 4 } });
    const replayed: number[] = [];
    const log = await ReceiptLog.open(dir, { signer: new NativeSigner(key), origin: ORIGIN, durability: "none", signatures: "per-batch", replay: (r) => replayed.push(r.seq) });
    expect(replayed).toEqual([0, 1]); // never the seal, never the unsealed tail
    expect(log.report.truncated).toHaveLength(1);
    expect(log.report.truncated[0]).toMatchObject({ file: R, line: 4 });
    expect(log.head.size).toBe(3);
    expect(log.append("decision", decisionBody(3), new Date(0)).ok).toBe(true);
    await log.close();
    expect(await verifyLog(dir, key.publicKey)).toMatchObject({ ok: true, count: 5 }); // u u S, then u S
  });

  test("an unsigned receipt added after a seal is never trusted", async () => {
    const dir = await writeBatches([2]);
    const ls = lines(dir);
    const last = parsed(dir).at(-1) as Receipt;
    // a well-formed next receipt, chained correctly, but covered by no seal
    const prev = "sha256:" + createHash("sha256").update(ls.at(-1)!.replace(/"sig":"[^"]+",/, "")).digest("hex");
    const forged = `{"body":{"forged":true},"kind":"decision","prev":"${prev}","seq":${last.seq + 1},"signer":"${last.signer}","time":"2026-01-01T00:00:00.000Z","v":2}`;
    writeFileSync(path.join(dir, R), [...ls, forged].join("\n") + "\n");
    expect(await verifyLog(dir, key.publicKey)).toMatchObject({ ok: false, firstBad: { seq: last.seq + 1, problem: "unsealed" } });
  });

  test("the log's own kind is refused to callers, and an unsigned seal is malformed", async () => {
    const dir = tempDir("xp-per-batch-");
    const log = await ReceiptLog.open(dir, { signer: new NativeSigner(key), origin: ORIGIN, durability: "none", signatures: "per-batch" });
    const r = log.append("seal", { root: "sha256:" + "0".repeat(64), size: 0 }, new Date(0));
    expect(r.ok).toBe(false);
    await log.close();
    expect(parseReceiptLine(`{"body":{"root":"sha256:${"0".repeat(64)}","size":0},"kind":"seal","prev":"sha256:${"0".repeat(64)}","seq":0,"signer":"ed25519:0011223344556677","time":"2026-01-01T00:00:00Z","v":2}`)).toMatchObject({ ok: false, error: "a seal must be signed" });
  });

  test("a log can change mode across opens and still verifies", async () => {
    const dir = await writeBatches([2]);
    const log = await ReceiptLog.open(dir, { signer: new NativeSigner(key), origin: ORIGIN, durability: "none" });
    log.append("decision", decisionBody(10), new Date(0));
    await log.close();
    const rs = parsed(dir);
    expect(rs.at(-1)?.sig).toBeDefined();
    expect((await verifyLog(dir, key.publicKey)).ok).toBe(true);
  });

  fcTest.prop([fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), fc.nat()], { numRuns: 25 })(
    "for all batchings: the log verifies and any receipt's proof verifies",
    async (sizes, pick) => {
      const dir = await writeBatches(sizes, { close: false });
      expect((await verifyLog(dir, key.publicKey, { threads: 0 })).ok).toBe(true);
      const rs = parsed(dir);
      const seq = pick % (rs.length - 1); // the last seal is signed, but no root covers it yet
      const proof = await proveReceipt(dir, seq);
      expect(proof.ok).toBe(true);
      if (proof.ok) expect(verifyReceiptProof(JSON.parse(JSON.stringify(proof.value)), key.publicKey).ok).toBe(true);
    },
  );

  describe("on its writer thread (the default with a NativeSigner) and on the calling thread", () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    // Seals take the wall clock's time: fixed here, both writers must write the very same bytes (ed25519 is
    // deterministic), across a reopen (the thread starts from the tree the log rebuilt) and with checkpoints.
    fcTest.prop([fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 3 }), fc.integer({ min: 0, max: 7 })], {
      numRuns: 15,
    })("for all batchings, reopenings and checkpoint intervals: the same receipts and checkpoints", async (first, second, checkpointEvery) => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 11, 3, 7, 0, 0) });
      const files: string[][] = [];
      for (const writer of ["thread", "main"] as const) {
        const dir = await writeBatches(first, { writer, checkpointEvery });
        if (second.length > 0) await writeBatches(second, { writer, checkpointEvery, dir, from: 100 });
        expect((await verifyLog(dir, key.publicKey, { threads: 0 })).ok).toBe(true);
        files.push([readFileSync(path.join(dir, R), "utf8"), readFileSync(path.join(dir, "checkpoints.jsonl"), "utf8")]);
      }
      expect(files[0]?.[0]).toBe(files[1]?.[0]);
      expect(files[0]?.[1]).toBe(files[1]?.[1]);
      expect(files[0]?.[0]).toContain("ünïcode ✓");
    });

    test("appended receipts are complete once their flush resolves: chained, with their line", async () => {
      const dir = tempDir("xp-per-batch-");
      const log = await ReceiptLog.open(dir, { signer: new NativeSigner(key), origin: ORIGIN, durability: "none", signatures: "per-batch" });
      const a = log.append("decision", decisionBody(1), new Date(0));
      const b = log.append("decision", decisionBody(2), new Date(0));
      if (!a.ok || !b.ok) throw new Error("append failed");
      await log.flush();
      expect(a.receipt?.seq).toBe(0);
      expect(b.receipt?.prev).toBe("sha256:" + createHash("sha256").update(a.line ?? "").digest("hex"));
      expect(lines(dir).slice(0, 2)).toEqual([a.line, b.line]);
      expect(log.durableSize).toBe(3); // two receipts and their seal
      // the seal's chain hash over its unsigned payload (the line without its `sig`)
      const seal = (lines(dir)[2] ?? "").replace(/"sig":"[^"]*",/, "");
      expect(log.head).toEqual({ size: 3, seq: 2, hash: "sha256:" + createHash("sha256").update(seal).digest("hex") });
      await log.close();
    });
  });
});
