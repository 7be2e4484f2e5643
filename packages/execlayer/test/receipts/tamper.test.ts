// Tampering with a valid log in every way we can think of: verifyLog must catch each, and report where.
import { test as fcTest, fc } from "@fast-check/vitest";
import { createHash } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { signCheckpoint } from "../../src/receipts/checkpoint.ts";
import { leafHash, rootOf } from "../../src/receipts/merkle.ts";
import { parseReceiptLine, signReceipt } from "../../src/receipts/receipt.ts";
import { NativeSigner } from "../../src/index.ts";
import { verifyLog, type VerifyLogResult } from "../../src/receipts/index.ts";
import { buildLog, chainHashOfLine, ORIGIN, seedKey, tempDir } from "./helpers.ts";

const COUNT = 24;
const key = seedKey(1);
const signer = new NativeSigner(key);
let base: string;
let other: string; // same key, different bodies
let baseLines: string[];
let otherLines: string[];
let baseCheckpoints: string;

const R = "receipts.jsonl";
const C = "checkpoints.jsonl";
const read = (dir: string, f: string): Buffer => readFileSync(path.join(dir, f));
const linesOf = (dir: string): string[] => read(dir, R).toString("utf8").split("\n").slice(0, -1);

beforeAll(async () => {
  base = await buildLog(COUNT, { checkpointEvery: 8, flushEvery: 4 });
  other = await buildLog(COUNT, { checkpointEvery: 8, flushEvery: 4, tag: "b" });
  baseLines = linesOf(base);
  otherLines = linesOf(other);
  baseCheckpoints = read(base, C).toString("utf8");
});

/** A copy of the base log with receipts.jsonl (and optionally checkpoints.jsonl) replaced. */
function variant(receipts: string | Buffer, checkpoints: string = baseCheckpoints): string {
  const dir = tempDir();
  cpSync(base, dir, { recursive: true });
  writeFileSync(path.join(dir, R), receipts);
  writeFileSync(path.join(dir, C), checkpoints);
  return dir;
}

const joined = (ls: readonly string[]): string => ls.map((l) => l + "\n").join("");

async function verifyUnchanged(dir: string): Promise<VerifyLogResult> {
  const before = [read(dir, R), read(dir, C)].map((b) => createHash("sha256").update(b).digest("hex"));
  const v = await verifyLog(dir, key.publicKey, { threads: 0 });
  const after = [read(dir, R), read(dir, C)].map((b) => createHash("sha256").update(b).digest("hex"));
  expect(after).toEqual(before); // verification never modifies the log
  return v;
}

/** Re-signs lines[from..] with `s`, re-chaining prev, as an insider holding a key could. */
function resign(ls: string[], from: number, s = signer): string[] {
  const out = ls.slice(0, from);
  for (let i = from; i < ls.length; i++) {
    const r = parseReceiptLine(ls[i] as string);
    if (!r.ok) throw new Error(r.error);
    const prev = i === 0 ? r.value.prev : chainHashOfLine(out[i - 1] as string);
    const signed = signReceipt({ seq: i, prev, time: r.value.time, kind: r.value.kind, body: r.value.body }, s);
    if (!signed.ok) throw new Error(signed.error);
    out.push(signed.value.line);
  }
  return out;
}

describe("verifyLog", () => {
  test("accepts the intact logs", async () => {
    expect(await verifyUnchanged(base)).toMatchObject({ ok: true, count: COUNT, checkpoints: 3 });
    // parallelMinBytes 0: the log is small, and the default would keep the check on the main thread
    expect(await verifyLog(base, key.publicKey, { threads: 2, parallelMinBytes: 0 })).toMatchObject({ ok: true, count: COUNT, checkpoints: 3 });
    expect((await verifyLog(base, seedKey(2).publicKey)).ok).toBe(false);
  });

  fcTest.prop([fc.nat(), fc.integer({ min: 0, max: 7 })], { numRuns: 60 })("a flipped bit anywhere in the receipts is caught", async (pos, bit) => {
    const bytes = Buffer.from(read(base, R));
    const at = pos % bytes.length;
    bytes[at] = bytes[at]! ^ (1 << bit);
    const v = await verifyUnchanged(variant(bytes));
    expect(v.ok).toBe(false);
    // The first bad seq is at or before the line holding the flipped byte.
    const lineOfByte = read(base, R).subarray(0, at).toString("utf8").split("\n").length - 1;
    expect(v.firstBad!.seq).toBeLessThanOrEqual(lineOfByte);
  });

  fcTest.prop([fc.integer({ min: 0, max: COUNT - 1 })], { numRuns: 15 })("a deleted line is caught", async (i) => {
    const ls = baseLines.filter((_, j) => j !== i);
    const v = await verifyUnchanged(variant(joined(ls)));
    expect(v.ok).toBe(false);
    expect(v.firstBad!.seq).toBe(i);
  });

  fcTest.prop([fc.integer({ min: 0, max: COUNT - 1 }), fc.integer({ min: 0, max: COUNT })], { numRuns: 15 })(
    "a duplicated line is caught",
    async (i, at) => {
      const ls = [...baseLines];
      ls.splice(at, 0, baseLines[i] as string);
      const v = await verifyUnchanged(variant(joined(ls)));
      expect(v.ok).toBe(false);
      expect(["seq", "prev", "checkpoint-root"]).toContain(v.firstBad!.problem);
    },
  );

  fcTest.prop([fc.integer({ min: 0, max: COUNT - 1 }), fc.integer({ min: 0, max: COUNT - 1 })], { numRuns: 15 })(
    "swapped lines are caught",
    async (i, j) => {
      fc.pre(i !== j);
      const ls = [...baseLines];
      [ls[i], ls[j]] = [ls[j] as string, ls[i] as string];
      const v = await verifyUnchanged(variant(joined(ls)));
      expect(v.ok).toBe(false);
      expect(v.firstBad!.seq).toBe(Math.min(i, j));
    },
  );

  fcTest.prop([fc.nat()], { numRuns: 25 })("truncation behind the last checkpoint is caught", async (n) => {
    const all = read(base, R);
    const v = await verifyUnchanged(variant(all.subarray(0, 1 + (n % (all.length - 1)))));
    expect(v.ok).toBe(false);
    expect(["torn", "truncated"]).toContain(v.firstBad!.problem);
  });

  fcTest.prop([fc.integer({ min: 1, max: COUNT - 1 })], { numRuns: 15 })("two logs spliced together are caught at the splice", async (k) => {
    const v = await verifyUnchanged(variant(joined([...baseLines.slice(0, k), ...otherLines.slice(k)])));
    expect(v.ok).toBe(false);
    expect(v.firstBad).toMatchObject({ seq: k, problem: "prev" });
  });

  fcTest.prop([fc.integer({ min: 0, max: COUNT - 1 })], { numRuns: 10 })("a receipt re-signed with another key is caught", async (i) => {
    const stranger = new NativeSigner(seedKey(7));
    // With the stranger's key id in `signer`, and with ours kept (only the signature changes).
    const theirs = resign(baseLines, 0, stranger)[i] as string;
    const ls = [...baseLines];
    ls[i] = theirs.replace(/"prev":"[^"]*"/, `"prev":"${(parseReceiptLine(baseLines[i]!) as { ok: true; value: { prev: string } }).value.prev}"`);
    const v1 = await verifyUnchanged(variant(joined(ls)));
    expect(v1.ok).toBe(false);
    expect(v1.firstBad!.seq).toBe(i);
    const r = parseReceiptLine(baseLines[i] as string);
    if (!r.ok) throw new Error(r.error);
    const forged = signReceipt({ ...r.value }, { ...stranger, keyId: signer.keyId, sign: (m) => stranger.sign(m) });
    if (!forged.ok) throw new Error(forged.error);
    const ls2 = [...baseLines];
    ls2[i] = forged.value.line;
    const v2 = await verifyUnchanged(variant(joined(ls2)));
    expect(v2.firstBad).toMatchObject({ seq: i, problem: "signature" });
  });

  test("an insider with the key who edits a receipt and re-signs the rest is caught by the checkpoints", async () => {
    const ls = [...baseLines];
    ls[4] = ls[4]!.replace('"effect":"allow"', '"effect":"deny"');
    expect(ls[4]).not.toBe(baseLines[4]);
    const v = await verifyUnchanged(variant(joined(resign(ls, 4))));
    expect(v.firstBad).toMatchObject({ problem: "checkpoint-root", seq: 7 });
    // Inserting a receipt the same way shifts every later seq: caught the same way.
    const inserted = [...baseLines.slice(0, 5), baseLines[2] as string, ...baseLines.slice(5)];
    const v2 = await verifyUnchanged(variant(joined(resign(inserted, 5))));
    expect(v2.firstBad).toMatchObject({ problem: "checkpoint-root", seq: 7 });
  });

  test("forged checkpoints are caught: bad signature, other key, wrong root signed with the right key", async () => {
    const cps = baseCheckpoints.split("\n").slice(0, -1);
    const edited = cps.map((l, i) => (i === 1 ? l.replace("\\n16\\n", "\\n17\\n") : l));
    expect((await verifyUnchanged(variant(joined(baseLines), joined(edited)))).firstBad).toMatchObject({ problem: "checkpoint", file: C, line: 2 });

    const leaves = baseLines.map((l) => leafHash(Buffer.from(l)));
    const strangers = JSON.stringify({ note: signCheckpoint({ origin: ORIGIN, size: 10, root: rootOf(leaves, 10) }, new NativeSigner(seedKey(5))) });
    expect((await verifyUnchanged(variant(joined(baseLines), joined([...cps, strangers])))).firstBad).toMatchObject({ problem: "checkpoint" });

    const wrongRoot = JSON.stringify({ note: signCheckpoint({ origin: ORIGIN, size: 10, root: rootOf(leaves, 9) }, signer) });
    expect((await verifyUnchanged(variant(joined(baseLines), joined([...cps, wrongRoot])))).firstBad).toMatchObject({ problem: "checkpoint-root", seq: 9 });

    const beyond = JSON.stringify({ note: signCheckpoint({ origin: ORIGIN, size: COUNT + 1, root: rootOf(leaves) }, signer) });
    expect((await verifyUnchanged(variant(joined(baseLines), joined([...cps, beyond])))).firstBad).toMatchObject({ problem: "truncated", seq: COUNT });
  });

  test("the parallel verifier reports the same first bad receipt", async () => {
    const ls = [...baseLines];
    const r = parseReceiptLine(ls[13] as string);
    if (!r.ok) throw new Error(r.error);
    const stranger = new NativeSigner(seedKey(6));
    const forged = signReceipt({ ...r.value }, { ...stranger, keyId: signer.keyId, sign: (m) => stranger.sign(m) });
    if (!forged.ok) throw new Error(forged.error);
    ls[13] = forged.value.line;
    const dir = variant(joined(ls));
    const seq = await verifyLog(dir, key.publicKey, { threads: 0 });
    const par = await verifyLog(dir, key.publicKey, { threads: 2, parallelMinBytes: 0 });
    expect(par).toEqual(seq);
    expect(par.firstBad).toMatchObject({ seq: 13, line: 14, problem: "signature" });
  });

  fcTest.prop([fc.uint8Array({ minLength: 1, maxLength: 400 })], { numRuns: 40 })("arbitrary bytes: a positioned problem, never a crash", async (bytes) => {
    const v = await verifyUnchanged(variant(Buffer.from(bytes), ""));
    expect(v.ok).toBe(false);
    expect(["foreign", "torn", "malformed"]).toContain(v.firstBad!.problem);
    expect(v.firstBad!.line).toBeGreaterThanOrEqual(1);
  });

  test("a missing or unreadable log is reported as unreadable", async () => {
    const v = await verifyLog(path.join(tempDir(), "nothing-here"), key.publicKey);
    expect(v.firstBad).toMatchObject({ problem: "unreadable" });
    const checkpointsOnly = variant("", "{not json\n");
    expect((await verifyLog(checkpointsOnly, key.publicKey)).firstBad).toMatchObject({ problem: "checkpoint", line: 1 });
  });

});
