// DurableStore.open replays only what it verified: the receipts a checkpoint signed by the store's key covers (by
// its root) and, one by one, the signatures of the receipts after the last checkpoint. An edited receipt, re-chained
// so the hash chain still holds, is refused with the seq of the first receipt that cannot be trusted.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DurableStore } from "../../src/index.ts";
import { StoreError } from "../../src/index.ts";
import { NobleSigner } from "../../src/index.ts";
import { parseCheckpointText, parseSignedNote, signCheckpoint } from "../../src/receipts/checkpoint.ts";
import { ReceiptLogError } from "../../src/receipts/log.ts";
import { chainHashOfLine } from "../receipts/helpers.ts";
import type { WindowSpec } from "../../src/index.ts";

const T0 = Date.parse("2026-01-31T10:00:00Z");
const day: WindowSpec = { kind: "calendar", unit: "day" };
const KEY = '["bot"]';
const R = "receipts.jsonl";
const C = "checkpoints.jsonl";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "xpol-verified-open-"));
}

/** `n` receipts, each counting 1 for `spend`; checkpoints every 5 and on close. */
async function build(n: number, checkpointEvery = 5): Promise<string> {
  const dir = tempDir();
  const store = await DurableStore.open(dir, { checkpointEvery, durability: "none", signerKind: "native" });
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    all.push(store.transact({ now: T0 + i }, () => ({ result: null, changes: [{ op: "count", counter: "spend", window: day, key: KEY, at: T0 + i, amount: 1 }] })));
    if (all.length >= 500 || i === n - 1) expect((await Promise.all(all.splice(0))).every((r) => (r as { ok: boolean }).ok)).toBe(true);
  }
  await store.close();
  return dir;
}

const lines = (dir: string, file: string): string[] => fs.readFileSync(path.join(dir, file), "utf8").split("\n").filter((l) => l !== "");
const write = (dir: string, file: string, ls: readonly string[]): void => fs.writeFileSync(path.join(dir, file), ls.map((l) => l + "\n").join(""));
const sizeOf = (line: string): number => {
  const note = (JSON.parse(line) as { note: string }).note;
  const signed = parseSignedNote(note);
  if (!signed.ok) throw new Error(signed.error);
  const cp = parseCheckpointText(signed.value.text);
  if (!cp.ok) throw new Error(cp.error);
  return cp.value.size;
};

/** Sets receipt `seq`'s count amount to 5000 and re-chains every later receipt (their signatures no longer verify). */
function tamper(dir: string, seq: number): void {
  const ls = lines(dir, R);
  const edited = (ls[seq] as string).replace('"amount":1,', '"amount":5000,');
  expect(edited).not.toBe(ls[seq]);
  ls[seq] = edited;
  for (let i = seq + 1; i < ls.length; i++) ls[i] = (ls[i] as string).replace(/"prev":"sha256:[0-9a-f]{64}"/, `"prev":"${chainHashOfLine(ls[i - 1] as string)}"`);
  write(dir, R, ls);
}

async function openError(dir: string): Promise<StoreError> {
  const e = await DurableStore.open(dir, { durability: "none" }).then(
    async (s) => {
      const value = s.state.counter("spend", day, KEY, T0);
      await s.close();
      return new Error(`opened, spend = ${value}`);
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(StoreError);
  return e as StoreError;
}

describe("DurableStore.open verifies what it replays", () => {
  it("an intact log with an uncovered tail (the last checkpoint lost in a crash) opens with exact counters", async () => {
    const dir = await build(13);
    const cps = lines(dir, C);
    expect(sizeOf(cps[cps.length - 1] as string)).toBe(13);
    write(dir, C, cps.slice(0, -1)); // covered up to 10: receipts 10..12 are checked one by one
    const store = await DurableStore.open(dir, { durability: "none" });
    expect(store.state.counter("spend", day, KEY, T0 + 20)).toBe(13);
    await store.close();
  });

  it("an edited count in an uncovered receipt, re-chained, is refused with its seq", async () => {
    const dir = await build(13);
    write(dir, C, lines(dir, C).slice(0, -1)); // the tail 10..12 is uncovered
    tamper(dir, 11);
    const e = await openError(dir);
    expect(e.reason).toBe("corrupt");
    expect(e.code).toBe("XP5021");
    expect(e.seq).toBe(11);
    expect(e.cause).toBeInstanceOf(ReceiptLogError);
    expect(e.cause).toMatchObject({ problem: "signature", code: "XP6005", seq: 11 });
    expect(e.message).toContain("XP6005 receipt 11: signature does not verify");
  });

  it("with no checkpoint at all, every receipt is checked", async () => {
    const dir = await build(8);
    write(dir, C, []);
    tamper(dir, 2);
    expect(await openError(dir)).toMatchObject({ reason: "corrupt", seq: 2 });
  });

  it("a long uncovered tail is checked on worker threads past the first 4096, still refusing with the first bad seq", async () => {
    const dir = await build(6000, 0);
    write(dir, C, []); // checkpointEvery 0 and a crash: nothing covered
    const store = await DurableStore.open(dir, { durability: "none" });
    expect(store.state.counter("spend", day, KEY, T0 + 6000)).toBe(6000);
    await store.close();
    write(dir, C, []);
    tamper(dir, 5000);
    const e = await openError(dir);
    expect(e).toMatchObject({ reason: "corrupt", seq: 5000 });
    expect(e.cause).toMatchObject({ problem: "signature", code: "XP6005", seq: 5000, line: 5001 });
  }, 60_000);

  it("an edited receipt a checkpoint covers is refused, naming the edited receipt rather than the checkpoint", async () => {
    const dir = await build(13);
    tamper(dir, 3);
    const e = await openError(dir);
    expect(e).toMatchObject({ reason: "corrupt", seq: 3 });
    expect(e.cause).toMatchObject({ problem: "signature", seq: 3 });
  });

  it("a checkpoint not signed by the store's key is refused, even with the right root", async () => {
    const dir = await build(13);
    const cps = lines(dir, C);
    const last = cps[cps.length - 1] as string;
    const signed = parseSignedNote((JSON.parse(last) as { note: string }).note);
    if (!signed.ok) throw new Error(signed.error);
    const cp = parseCheckpointText(signed.value.text);
    if (!cp.ok) throw new Error(cp.error);
    const forged = signCheckpoint(cp.value, NobleSigner.fromSeed(new Uint8Array(32).fill(77)));
    write(dir, C, [...cps.slice(0, -1), JSON.stringify({ note: forged })]);
    const e = await openError(dir);
    expect(e).toMatchObject({ reason: "corrupt", code: "XP5021", seq: 12 });
    expect(e.cause).toMatchObject({ problem: "checkpoint", code: "XP6006" });
  });

  it("a forged checkpoint cannot vouch for an edited tail", async () => {
    const dir = await build(13);
    const cps = lines(dir, C);
    write(dir, C, cps.slice(0, -1));
    tamper(dir, 12);
    // the attacker appends a checkpoint over the edited log, signed by another key: its root matches, its key does not
    const other = NobleSigner.fromSeed(new Uint8Array(32).fill(78));
    const { CompactTree, leafHash } = await import("../../src/receipts/merkle.ts");
    const tree = new CompactTree();
    for (const l of lines(dir, R)) tree.appendLeafHash(leafHash(Buffer.from(l, "utf8")));
    const origin = (parseSignedNote((JSON.parse(cps[0] as string) as { note: string }).note) as { ok: true; value: { text: string } }).value.text.split("\n")[0] as string;
    write(dir, C, [...cps.slice(0, -1), JSON.stringify({ note: signCheckpoint({ origin, size: 13, root: tree.root() }, other) })]);
    const e = await openError(dir);
    expect(e.reason).toBe("corrupt");
    expect(e.seq).toBe(12);
  });
});
