// The receipt log's writer thread on its own (an internal, on purpose): its failures are reported, never swallowed,
// and it refuses every batch after one, so the log it serves breaks (and the store denies) instead of going on.
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { LogWriter, type WriterBatch } from "../../src/receipts/log-writer.ts";
import { CompactTree } from "../../src/receipts/merkle.ts";
import { NativeSigner } from "../../src/index.ts";
import { seedKey, tempDir } from "./helpers.ts";

const signer = new NativeSigner(seedKey(3));
const batch = (seq: number): WriterBatch => ({ seq, bodies: ['{"n":1}'], kinds: ["decision"], times: ["2026-01-01T00:00:00.000Z"], sealTime: "2026-01-01T00:00:01.000Z" });

function start(fd: number): { writer: LogWriter; events: string[]; next: () => Promise<string> } {
  const events: string[] = [];
  let read = 0;
  let wake: (() => void) | null = null;
  const push = (e: string): void => {
    events.push(e);
    wake?.();
  };
  const writer = new LogWriter(
    { fd, pkcs8: signer.pkcs8(), keyId: signer.keyId, headHash: "sha256:" + "0".repeat(64), tree: new CompactTree(), fsync: true },
    { written: (prevs, size) => push(`written ${prevs.length} ${size}`), synced: (size) => push(`synced ${size}`), failed: (m) => push(`failed ${m}`) },
  );
  // the events in order, each once, however they were delivered
  const next = async (): Promise<string> => {
    while (read === events.length) await new Promise<void>((resolve) => (wake = resolve));
    return events[read++] as string;
  };
  return { writer, events, next };
}

test("a batch is written, then synced; a batch out of order fails the writer, and every later batch is refused", async () => {
  const file = path.join(tempDir("xp-writer-"), "receipts.jsonl");
  const fd = openSync(file, "a");
  const { writer, events, next } = start(fd);
  writer.send(batch(0));
  expect(await next()).toBe("written 2 2");
  expect(await next()).toBe("synced 2");
  expect(readFileSync(file, "utf8").split("\n")).toHaveLength(3); // a receipt, its seal, and the last newline
  writer.send(batch(5));
  expect(await next()).toMatch(/^failed batch starts at seq 5 but the log is at 2/);
  // the right batch now: refused too (the failure is reported once; the log is broken from the first)
  writer.send(batch(2));
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(events).toHaveLength(3);
  expect(readFileSync(file, "utf8").split("\n")).toHaveLength(3);
  await writer.close();
  closeSync(fd);
});

test("a write that fails is reported as a failure naming its cause, and nothing is written", async () => {
  const file = path.join(tempDir("xp-writer-"), "receipts.jsonl");
  closeSync(openSync(file, "a"));
  const fd = openSync(file, "r"); // not open for writing: the write fails (EBADF)
  const { writer, next } = start(fd);
  writer.send(batch(0));
  expect(await next()).toMatch(/^failed .*EBADF/);
  expect(readFileSync(file, "utf8")).toBe("");
  await writer.close();
  closeSync(fd);
});
