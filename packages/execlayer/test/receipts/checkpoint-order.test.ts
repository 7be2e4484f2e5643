// verifyLog / xpol verify report checkpoints that were reordered, duplicated or removed: the writer only appends to
// checkpoints.jsonl, each checkpoint covering more than the one before, so lines moved, copied or deleted there are
// tampering even when every checkpoint on its own is signed and has the right root.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { formatPublicKey } from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { buildLog, seedKey, tempDir } from "./helpers.ts";

const key = seedKey(1);
const C = "checkpoints.jsonl";
const lines = (dir: string): string[] => readFileSync(path.join(dir, C), "utf8").split("\n").filter((l) => l !== "");
const write = (dir: string, ls: readonly string[]): void => writeFileSync(path.join(dir, C), ls.map((l) => l + "\n").join(""));
const note = (line: string): string => (JSON.parse(line) as { note: string }).note;

async function xpol(args: string[]): Promise<{ code: number; err: string; out: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { stdout: (t) => void (out += t + "\n"), stderr: (t) => void (err += t + "\n"), cwd: process.cwd() };
  return { code: await main(args, io), out, err };
}

/** 35 receipts, checkpoints at 10, 20, 30 and 35 (close). */
async function log(): Promise<string> {
  const dir = await buildLog(35, { checkpointEvery: 10 });
  expect(lines(dir)).toHaveLength(4);
  return dir;
}

describe("checkpoint order and presence", () => {
  test("an intact log, and one checked against all its own checkpoints kept, verify", async () => {
    const dir = await log();
    expect(await verifyLog(dir, key.publicKey)).toMatchObject({ ok: true, checkpoints: 4 });
    expect(await verifyLog(dir, key.publicKey, { kept: lines(dir).map(note) })).toMatchObject({ ok: true });
  });

  test("reordered checkpoints are reported", async () => {
    const dir = await log();
    const ls = lines(dir);
    write(dir, [ls[0]!, ls[2]!, ls[1]!, ls[3]!]);
    const v = await verifyLog(dir, key.publicKey);
    expect(v.ok).toBe(false);
    expect(v.firstBad).toMatchObject({ problem: "checkpoint-order", code: "XP6018", file: C, line: 3, seq: 19 });
    expect(v.firstBad?.message).toContain("reordered");
  });

  test("a duplicated checkpoint is reported", async () => {
    const dir = await log();
    const ls = lines(dir);
    write(dir, [ls[0]!, ls[1]!, ls[1]!, ls[2]!, ls[3]!]);
    const v = await verifyLog(dir, key.publicKey);
    expect(v.firstBad).toMatchObject({ problem: "checkpoint-order", code: "XP6018", line: 3 });
    expect(v.firstBad?.message).toContain("duplicated");
  });

  test("a removed checkpoint is reported against the kept ones", async () => {
    const dir = await log();
    const ls = lines(dir);
    const kept = ls.map(note);
    write(dir, [ls[0]!, ls[2]!, ls[3]!]); // the checkpoint at 20 is gone
    expect((await verifyLog(dir, key.publicKey)).ok).toBe(true); // undetectable without a kept copy
    const v = await verifyLog(dir, key.publicKey, { kept });
    expect(v.firstBad).toMatchObject({ problem: "checkpoint-removed", code: "XP6019", file: "(kept checkpoint)", line: 2, seq: 19 });
  });

  test("xpol verify reports each, exit 1", async () => {
    const pub = formatPublicKey(key.publicKey);
    const reordered = await log();
    const ls = lines(reordered);
    write(reordered, [ls[1]!, ls[0]!, ls[2]!, ls[3]!]);
    const r = await xpol(["verify", reordered, "--key", pub]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("checkpoints out of order (checkpoints.jsonl line 2");
    expect(r.err).toContain("XP6018");

    const removed = await log();
    const keptFile = path.join(tempDir(), "kept.json");
    writeFileSync(keptFile, lines(removed)[2]! + "\n");
    write(removed, lines(removed).filter((_, i) => i !== 2));
    const m = await xpol(["verify", removed, "--key", pub, "--checkpoint", keptFile]);
    expect(m.code).toBe(1);
    expect(m.err).toContain("kept checkpoint 1");
    expect(m.err).toContain("checkpoints were removed");
    expect(m.err).toContain("XP6019");
  });
});
