import { createHash } from "node:crypto";
import { promises as fsp, readFileSync, writeFileSync, appendFileSync, existsSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { test as fcTest, fc } from "@fast-check/vitest";
import { canonicalize, rememberCanonical, tryCanonicalize, tryCanonicalizeReusing } from "../../src/ir/canonicalize.ts";
import type { JsonObject } from "../../src/index.ts";
import { verifyCheckpoint } from "../../src/receipts/index.ts";
import { ReceiptLog, ReceiptLogError } from "../../src/receipts/log.ts";
import { consistencyProof, rootOf, leafHash, verifyConsistency } from "../../src/receipts/merkle.ts";
import { proveReceipt, verifyReceiptProof } from "../../src/receipts/index.ts";
import { readReceipts } from "../../src/receipts/index.ts";
import { GENESIS_PREV, parseReceiptLine, signReceipt, verifyReceiptSignature, type Receipt } from "../../src/receipts/receipt.ts";
import { NativeSigner, NobleSigner } from "../../src/index.ts";
import { verifySignature } from "../../src/receipts/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { buildLog, chainHashOfLine, decisionBody, ORIGIN, seedKey, tempDir } from "./helpers.ts";

const key = seedKey(1);
const signer = new NativeSigner(key);
const lines = (dir: string): string[] => readFileSync(path.join(dir, "receipts.jsonl"), "utf8").split("\n").filter((l) => l !== "");
const checkpointNotes = (dir: string): string[] =>
  readFileSync(path.join(dir, "checkpoints.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { note: string }).note);

async function openOrError(dir: string, s = signer): Promise<ReceiptLog | ReceiptLogError> {
  try {
    return await ReceiptLog.open(dir, { signer: s, origin: ORIGIN, durability: "none" });
  } catch (e: unknown) {
    if (e instanceof ReceiptLogError) return e;
    throw e;
  }
}

describe("receipt format", () => {
  test("each line is the receipt's RFC 8785 form; prev chains sha256 of the previous unsigned payload; sig covers the DSSE PAE", async () => {
    const dir = await buildLog(3);
    const ls = lines(dir);
    let prev = GENESIS_PREV;
    for (const [i, line] of ls.entries()) {
      const r = parseReceiptLine(line);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const receipt = r.value;
      expect(canonicalize(receipt as unknown as JsonObject)).toBe(line);
      expect(receipt).toMatchObject({ v: 2, seq: i, prev, kind: "decision", signer: signer.keyId });
      const { sig, ...unsigned } = receipt;
      const payload = canonicalize(unsigned as unknown as JsonObject);
      const message = `DSSEv1 20 execlayer/receipt/v2 ${Buffer.byteLength(payload)} ${payload}`;
      expect(verifySignature(key.publicKey, Buffer.from(message), Buffer.from(sig ?? "", "base64"))).toBe(true);
      // the chain covers exactly what the signature covers: the receipt without `sig`
      prev = "sha256:" + createHash("sha256").update(payload).digest("hex");
      expect(chainHashOfLine(line)).toBe(prev);
    }
  });

  fcTest.prop([fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), fc.nat(), fc.constantFrom("decision", "approval", "consumption")], {
    numRuns: 120,
  })("encoding: the line is the JCS of the receipt, framed as 0x00 | line | newline, and parses back", (body, seq, kind) => {
    const r = signReceipt({ seq, prev: GENESIS_PREV, time: "2026-01-31T12:00:00.5Z", kind, body: body as JsonObject }, signer);
    const canonical = tryCanonicalize(body);
    expect(r.ok).toBe(canonical.ok);
    if (!r.ok) return;
    expect(r.value.line).toBe(canonicalize(r.value.receipt as unknown as JsonObject));
    expect(r.value.framed.equals(Buffer.concat([Buffer.from([0]), Buffer.from(r.value.line, "utf8"), Buffer.from("\n")]))).toBe(true);
    const back = parseReceiptLine(r.value.line);
    expect(back.ok && back.value.body).toEqual(JSON.parse(canonical.ok ? canonical.value : "null"));
    expect(verifyReceiptSignature(r.value.receipt, key.publicKey)).toBe(true);
  });

  fcTest.prop(
    [
      fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
      fc.array(fc.tuple(fc.string({ unit: "binary" }), fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }))), { maxLength: 3 }),
    ],
    { numRuns: 120 },
  )("encoding with remembered fragments (rememberCanonical, spliced at any depth) is still the JCS of the receipt", (base, fragments) => {
    const body: Record<string, unknown> = { ...base };
    for (const [k, v] of fragments) {
      if (rememberCanonical(v as JsonObject).ok) body[k] = { nested: v, again: v, list: [v] };
    }
    expect(tryCanonicalizeReusing(body)).toEqual(tryCanonicalize(body));
    const r = signReceipt({ seq: 3, prev: GENESIS_PREV, time: "2026-01-31T12:00:00.5Z", kind: "decision", body: body as JsonObject }, signer);
    expect(r.ok).toBe(tryCanonicalize(body).ok);
    if (!r.ok) return;
    expect(r.value.line).toBe(canonicalize(r.value.receipt as unknown as JsonObject));
    expect(verifyReceiptSignature(r.value.receipt, key.publicKey)).toBe(true);
  });

  fcTest.prop([fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })], {
    numRuns: 120,
  })("a known part (the IR with the text toSovereignIR made of it) is spliced for that object only: still the JCS", (base, part) => {
    const copy = structuredClone(part);
    const body: Record<string, unknown> = { ...base, ir: part, other: copy };
    const known = { value: part, text: canonicalize(part as JsonObject) };
    expect(tryCanonicalizeReusing(body, known)).toEqual(tryCanonicalize(body));
    // only the very object is spliced: a stale text shows where the known object is, and nowhere else
    const stale = tryCanonicalizeReusing({ ir: part, other: copy }, { value: part, text: "STALE" });
    expect(stale.ok && stale.value).toBe(`{"ir":STALE,"other":${canonicalize(copy as JsonObject)}}`);
    // and nothing is remembered after the call
    expect(tryCanonicalizeReusing(body)).toEqual(tryCanonicalize(body));
  });

  test("a remembered fragment is frozen, so its remembered text cannot go stale", () => {
    const fragment = { b: [1, { c: "x" }], a: null };
    expect(rememberCanonical(fragment)).toEqual({ ok: true, value: '{"a":null,"b":[1,{"c":"x"}]}' });
    expect(Object.isFrozen(fragment) && Object.isFrozen(fragment.b) && Object.isFrozen(fragment.b[1])).toBe(true);
    expect(() => {
      (fragment.b[1] as { c: string }).c = "y";
    }).toThrow(TypeError);
    expect(tryCanonicalizeReusing({ z: fragment })).toEqual({ ok: true, value: '{"z":{"a":null,"b":[1,{"c":"x"}]}}' });
    // not JSON: an error, and nothing frozen
    const bad = { n: Number.NaN };
    expect(rememberCanonical(bad).ok).toBe(false);
    expect(Object.isFrozen(bad)).toBe(false);
  });

  test("non-canonical lines are rejected", () => {
    const good = '{"body":{},"kind":"decision","prev":"' + GENESIS_PREV + '","seq":0,"sig":"' + "A".repeat(86) + '==","signer":"ed25519:0011223344556677","time":"2026-01-01T00:00:00Z","v":2}';
    expect(parseReceiptLine(good).ok).toBe(true);
    expect(parseReceiptLine(good.replace('{"body":{}', '{"body":{ }')).ok).toBe(false);
    expect(parseReceiptLine(good.replace('"v":2}', '"v":2,"x":1}')).ok).toBe(false);
    expect(parseReceiptLine(good.replace('"seq":0', '"seq":0.5')).ok).toBe(false);
    expect(parseReceiptLine(good.replace('"kind":"decision"', '"kind":"Decision"')).ok).toBe(false);
    expect(parseReceiptLine(good.replace("2026-01-01T00:00:00Z", "2026-01-01 00:00:00Z")).ok).toBe(false);
    expect(parseReceiptLine(good.replace('"body":{}', '"body":{"b":1,"a":2}')).ok).toBe(false);
    expect(parseReceiptLine(good.replace('"body":{}', '"body":[]')).ok).toBe(false);
  });
});

describe("ReceiptLog", () => {
  test("append is synchronous and assigns seq/prev; reopening continues the chain; verifyLog accepts", async () => {
    const dir = tempDir();
    const log = await ReceiptLog.open(dir, { signer, origin: ORIGIN, checkpointEvery: 4, durability: "fsync" });
    expect(log.head).toEqual({ size: 0, seq: -1, hash: GENESIS_PREV });
    const a = log.append("decision", { n: 1 }, "2026-01-31T12:00:00Z");
    const b = log.append("approval", { n: 2 }, new Date(Date.UTC(2026, 0, 31)));
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect([a.receipt?.seq, b.receipt?.seq]).toEqual([0, 1]);
    expect(b.receipt?.prev).toBe(chainHashOfLine(a.line ?? ""));
    expect(b.receipt?.time).toBe("2026-01-31T00:00:00.000Z");
    expect(log.durableSize).toBe(0);
    await log.flush();
    expect(log.durableSize).toBe(2);
    await log.close();
    expect(log.append("decision", {}, new Date()).ok).toBe(false);

    const replayed: Receipt[] = [];
    const again = await ReceiptLog.open(dir, { signer, origin: ORIGIN, checkpointEvery: 4, replay: (r) => replayed.push(r) });
    expect(replayed.map((r) => r.body)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(again.head.size).toBe(2);
    const c = again.append("consumption", { n: 3 }, "2026-01-31T12:00:01Z");
    expect(c.ok && c.receipt?.seq).toBe(2);
    await again.close();
    const v = await verifyLog(dir, key.publicKey);
    expect(v).toMatchObject({ ok: true, count: 3, checkpoints: 2 });
  });

  test("verifyLog's onLine: every line in order, with the kind, time and body end the verifier's skim found", async () => {
    const dir = await buildLog(12, { checkpointEvery: 5 });
    const seen: { seq: number; text: string; skimmed: unknown }[] = [];
    const v = await verifyLog(dir, key.publicKey, { onLine: (seq, text, skimmed) => seen.push({ seq, text, skimmed }) });
    expect(v).toMatchObject({ ok: true, count: 12 });
    expect(seen.map((s) => s.seq)).toEqual([...Array(12).keys()]);
    for (const { text, skimmed } of seen) {
      const r = JSON.parse(text) as Receipt;
      expect(skimmed).toMatchObject({ kind: r.kind, time: r.time });
      const { bodyEnd } = skimmed as { bodyEnd: number };
      expect(text.slice(8, bodyEnd)).toBe(canonicalize(r.body));
    }
  });

  test("invalid input is an error value, and the log stays usable", async () => {
    const log = await ReceiptLog.open(tempDir(), { signer, origin: ORIGIN, durability: "none" });
    expect(log.append("Bad Kind", {}, new Date()).ok).toBe(false);
    expect(log.append("decision", {}, "yesterday").ok).toBe(false);
    expect(log.append("decision", { x: Number.NaN } as unknown as JsonObject, new Date()).ok).toBe(false);
    expect(log.append("decision", [] as unknown as JsonObject, new Date()).ok).toBe(false);
    expect(log.append("decision", {}, new Date(Number.NaN)).ok).toBe(false);
    const ok = log.append("decision", {}, new Date());
    expect(ok.ok && ok.receipt?.seq).toBe(0);
    await log.close();
  });

  test("group commit: concurrent flushes all resolve with their receipts durable, in few writes", async () => {
    const dir = tempDir();
    const log = await ReceiptLog.open(dir, { signer: new NobleSigner(key), origin: ORIGIN, durability: "fsync", checkpointEvery: 0 });
    const syncs = countSyncs();
    try {
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 60; i++) {
        const r = log.append("decision", decisionBody(i), new Date(0));
        expect(r.ok).toBe(true);
        waits.push(log.flush());
      }
      await Promise.all(waits);
      expect(lines(dir)).toHaveLength(60);
      // 60 flush calls in one turn, nothing in flight: a write (and its sync) starts as soon as 16 wait, so the
      // disk works while later callers still decide; the other 44 gather while that sync runs and go on the next turn.
      expect(syncs.count()).toBe(2);
    } finally {
      syncs.restore();
    }
    await log.close();
    expect(checkpointNotes(dir)).toHaveLength(1);
  });

  test("a failed fsync rejects the flush and breaks the log: appends then return errors", async () => {
    const dir = tempDir();
    const log = await ReceiptLog.open(dir, { signer, origin: ORIGIN, durability: "fsync" });
    expect(log.append("decision", { n: 1 }, new Date(0)).ok).toBe(true);
    const restore = failDatasync();
    try {
      await expect(log.flush()).rejects.toMatchObject({ problem: "io", code: "XP6010" });
    } finally {
      restore();
    }
    expect(log.broken?.problem).toBe("io");
    const after = log.append("decision", { n: 2 }, new Date(0));
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.error.problem).toBe("broken");
    await expect(log.flush()).rejects.toBeInstanceOf(ReceiptLogError);
    await log.close().catch(() => undefined);
  });

  test("checkpoints every N durable receipts and on close; consecutive checkpoints are consistent", async () => {
    const dir = await buildLog(25, { checkpointEvery: 10 });
    const notes = checkpointNotes(dir);
    const sizes = notes.map((n) => {
      const v = verifyCheckpoint(n, key.publicKey);
      expect(v.ok).toBe(true);
      return v.ok ? v.value : null;
    });
    expect(sizes.map((c) => c?.size)).toEqual([10, 20, 25]);
    const leaves = lines(dir).map((l) => leafHash(Buffer.from(l)));
    for (let i = 1; i < sizes.length; i++) {
      const a = sizes[i - 1]!;
      const b = sizes[i]!;
      expect(rootOf(leaves, b.size)).toEqual(b.root);
      expect(verifyConsistency(a.size, b.size, consistencyProof(leaves, a.size, b.size)!, a.root, b.root)).toEqual({ ok: true });
    }
  });

  test("a torn last line is truncated on open and reported; verifyLog reports it before", async () => {
    const dir = await buildLog(5);
    const file = path.join(dir, "receipts.jsonl");
    const intact = readFileSync(file);
    appendFileSync(file, '{"body":{"partial');
    const v = await verifyLog(dir, key.publicKey);
    expect(v.ok).toBe(false);
    expect(v.firstBad).toMatchObject({ problem: "torn", seq: 5, line: 6, offset: intact.length });
    const log = await openOrError(dir);
    expect(log).toBeInstanceOf(ReceiptLog);
    if (!(log instanceof ReceiptLog)) return;
    expect(log.report.truncated).toEqual([{ file: "receipts.jsonl", line: 6, offset: intact.length, bytes: 17 }]);
    expect(readFileSync(file).equals(intact)).toBe(true);
    await log.close();
    expect((await verifyLog(dir, key.publicKey)).ok).toBe(true);
  });

  test("foreign, corrupt and truncated logs are refused with their position", async () => {
    const foreign = tempDir();
    writeFileSync(path.join(foreign, "receipts.jsonl"), "name,amount\nalice,3\n");
    expect(await openOrError(foreign)).toMatchObject({ problem: "foreign", line: 1, offset: 0, code: "XP6001" });

    const corrupt = await buildLog(6);
    const ls = lines(corrupt);
    ls[3] = ls[3]!.replace('"kind":"decision"', '"kind": "decision"');
    writeFileSync(path.join(corrupt, "receipts.jsonl"), ls.join("\n") + "\n");
    const offset = ls.slice(0, 3).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    expect(await openOrError(corrupt)).toMatchObject({ problem: "malformed", line: 4, offset, seq: 3 });

    const truncated = await buildLog(12, { checkpointEvery: 5 });
    writeFileSync(path.join(truncated, "receipts.jsonl"), lines(truncated).slice(0, 9).join("\n") + "\n");
    expect(await openOrError(truncated)).toMatchObject({ problem: "truncated", seq: 9 });

    const otherKey = await buildLog(2);
    expect(await openOrError(otherKey, new NativeSigner(seedKey(9)))).toMatchObject({ problem: "signer" });
  });

  test("replay sees every receipt; an exception in replay rejects open with it; an empty log verifies", async () => {
    const dir = await buildLog(3);
    const boom = new Error("store says no");
    await expect(
      ReceiptLog.open(dir, {
        signer,
        origin: ORIGIN,
        replay: (r) => {
          if (r.seq === 1) throw boom;
        },
      }),
    ).rejects.toBe(boom);
    const empty = tempDir();
    await (await ReceiptLog.open(empty, { signer, origin: ORIGIN })).close();
    expect(await verifyLog(empty, key.publicKey)).toMatchObject({ ok: true, count: 0, checkpoints: 0 });
  });

  test("readReceipts streams receipts and positioned errors", async () => {
    const dir = await buildLog(4);
    const ls = lines(dir);
    ls[1] = "garbage";
    writeFileSync(path.join(dir, "receipts.jsonl"), ls.join("\n") + "\n" + "{torn");
    const items = [];
    for await (const item of readReceipts(dir)) items.push(item.ok ? ["ok", item.receipt.seq, item.line] : [item.problem, item.line, item.offset]);
    expect(items).toEqual([
      ["ok", 0, 1],
      ["malformed", 2, Buffer.byteLength(ls[0]!) + 1],
      ["ok", 2, 3],
      ["ok", 3, 4],
      ["torn", 5, ls.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)],
    ]);
    const missing = [];
    for await (const item of readReceipts(path.join(dir, "nope"))) missing.push(item.ok ? "ok" : item.problem);
    expect(missing).toEqual(["unreadable"]);
  });

  test("inclusion proofs: built from the log, checked without it; tampering is caught", async () => {
    const dir = await buildLog(13, { checkpointEvery: 5 });
    for (const seq of [0, 6, 12]) {
      const proof = await proveReceipt(dir, seq);
      expect(proof.ok).toBe(true);
      if (!proof.ok) return;
      const bundle = JSON.parse(JSON.stringify(proof.value)) as Record<string, unknown>;
      expect(verifyReceiptProof(bundle, key.publicKey)).toMatchObject({ ok: true });
      expect(verifyReceiptProof(bundle, seedKey(2).publicKey).ok).toBe(false);
      const changed = JSON.parse(JSON.stringify(bundle)) as { receipt: { body: { i: number } } };
      changed.receipt.body.i += 1;
      expect(verifyReceiptProof(changed, key.publicKey).ok).toBe(false);
      if ((bundle["inclusion"] as string[]).length > 0) {
        const badPath = { ...bundle, inclusion: [...(bundle["inclusion"] as string[])].reverse() };
        if ((bundle["inclusion"] as string[]).length > 1) expect(verifyReceiptProof(badPath, key.publicKey).ok).toBe(false);
        expect(verifyReceiptProof({ ...bundle, inclusion: [] }, key.publicKey).ok).toBe(false);
      }
      expect(verifyReceiptProof({ ...bundle, leafIndex: seq + 1 }, key.publicKey).ok).toBe(false);
    }
    expect((await proveReceipt(dir, 13)).ok).toBe(false);
    expect(existsSync(path.join(dir, "receipts.jsonl"))).toBe(true);
  });
});

// ---- failure injection on node:fs FileHandle (this test file runs in its own process) ---------------------------

let proto: FileHandle;
beforeAll(async () => {
  const h = await fsp.open(path.join(tempDir(), "probe"), "w");
  await h.close();
  proto = Object.getPrototypeOf(h) as FileHandle;
});

function failDatasync(): () => void {
  const original = proto.datasync;
  proto.datasync = async function () {
    throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
  };
  return () => {
    proto.datasync = original;
  };
}

/** Counts fdatasync calls: one follows each write of receipts. */
function countSyncs(): { count: () => number; restore: () => void } {
  let n = 0;
  const original = proto.datasync;
  proto.datasync = function (this: FileHandle) {
    n++;
    return original.call(this);
  };
  return {
    count: () => n,
    restore: () => {
      proto.datasync = original;
    },
  };
}

/** Holds every fdatasync until the test releases (runs it) or fails it. */
function gateDatasync(): { held: Array<{ release: () => void; fail: () => void }>; restore: () => void } {
  const original = proto.datasync;
  const held: Array<{ release: () => void; fail: () => void }> = [];
  proto.datasync = function (this: FileHandle) {
    return new Promise<void>((resolve, reject) => {
      held.push({
        release: () => void original.call(this).then(resolve, reject),
        fail: () => reject(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })),
      });
    });
  };
  return {
    held,
    restore: () => {
      proto.datasync = original;
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(condition()).toBe(true);
}

/** A durable log whose fdatasyncs wait for the test (restore the gate when done). */
async function gatedLog(checkpointEvery: number): Promise<{ dir: string; log: ReceiptLog; gate: ReturnType<typeof gateDatasync> }> {
  const dir = tempDir();
  const log = await ReceiptLog.open(dir, { signer, origin: ORIGIN, durability: "fsync", checkpointEvery });
  return { dir, log, gate: gateDatasync() };
}

describe("group commit with the fdatasync off the write path", () => {
  test("a flush resolves only once a sync covers its receipts; the next batch is written while a sync runs", async () => {
    const { dir, log, gate } = await gatedLog(0);
    try {
      const settled = [false, false];
      log.append("decision", decisionBody(0), new Date(0));
      const p0 = log.flush().then(() => (settled[0] = true));
      await until(() => gate.held.length === 1);
      log.append("decision", decisionBody(1), new Date(0));
      const p1 = log.flush().then(() => (settled[1] = true));
      // the second batch reached the file while the first sync is still held
      await until(() => gate.held.length === 2);
      expect(lines(dir)).toHaveLength(2);
      expect(settled).toEqual([false, false]);
      expect(log.durableSize).toBe(0);
      // the later sync finishes first: it covers both batches, so both flushes are answered
      gate.held[1]!.release();
      await Promise.all([p0, p1]);
      expect(log.durableSize).toBe(2);
      gate.held[0]!.release();
    } finally {
      gate.restore();
    }
    await log.close();
    expect(await verifyLog(dir, key.publicKey)).toMatchObject({ ok: true, count: 2 });
  });

  test("a sync that fails while the next batch is out rejects every waiting flush, and the log is broken", async () => {
    const { log, gate } = await gatedLog(0);
    try {
      log.append("decision", decisionBody(0), new Date(0));
      const p0 = log.flush();
      await until(() => gate.held.length === 1);
      log.append("decision", decisionBody(1), new Date(0));
      const p1 = log.flush();
      await until(() => gate.held.length === 2);
      gate.held[0]!.fail();
      await expect(p0).rejects.toMatchObject({ problem: "io" });
      await expect(p1).rejects.toMatchObject({ problem: "io" });
      expect(log.broken?.problem).toBe("io");
      expect(log.append("decision", decisionBody(2), new Date(0)).ok).toBe(false);
      gate.held[1]!.release();
    } finally {
      gate.restore();
    }
    await log.close().catch(() => undefined);
  });

  test("a checkpoint is written only after the sync that makes its receipts durable", async () => {
    const { dir, log, gate } = await gatedLog(2);
    try {
      log.append("decision", decisionBody(0), new Date(0));
      log.append("decision", decisionBody(1), new Date(0));
      const p = log.flush();
      await until(() => gate.held.length === 1);
      expect(checkpointNotes(dir)).toHaveLength(0);
      gate.held[0]!.release();
      // then the checkpoint file's own sync
      await until(() => gate.held.length === 2);
      gate.held[1]!.release();
      await p;
      expect(checkpointNotes(dir)).toHaveLength(1);
    } finally {
      gate.restore();
    }
    await log.close();
  });
});
