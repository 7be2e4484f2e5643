// An auditor who kept a checkpoint from an earlier look can tell that the log only grew since: an insider holding the
// key can rewrite receipts and the log's own checkpoints consistently, but not the checkpoint the auditor kept.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { formatPublicKey } from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { buildLog, seedKey, tempDir } from "./helpers.ts";

const key = seedKey(1);

function checkpointLines(dir: string): string[] {
  return readFileSync(path.join(dir, "checkpoints.jsonl"), "utf8").split("\n").filter((l) => l !== "");
}

async function xpol(args: string[]): Promise<{ code: number; err: string; out: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { stdout: (t) => void (out += t + "\n"), stderr: (t) => void (err += t + "\n"), cwd: process.cwd() };
  return { code: await main(args, io), out, err };
}

describe("kept checkpoints", () => {
  test("a log that only grew agrees with a checkpoint kept earlier", async () => {
    const early = await buildLog(10, { checkpointEvery: 10 });
    const kept = JSON.parse(checkpointLines(early)[0]!) as { note: string };
    // the same writer went on: 25 receipts, of which the first 10 are the ones the auditor saw
    const later = await buildLog(25, { checkpointEvery: 10 });
    expect((await verifyLog(later, key.publicKey, { kept: [kept.note] })).ok).toBe(true);
  });

  test("a rewritten history with re-signed receipts and checkpoints passes alone, but not against the kept one", async () => {
    const early = await buildLog(10, { checkpointEvery: 10 });
    const keptNote = (JSON.parse(checkpointLines(early)[0]!) as { note: string }).note;
    // the insider rebuilds the whole log with other contents, signing everything with the real key
    const rewritten = await buildLog(25, { checkpointEvery: 10, tag: "rewritten" });
    expect((await verifyLog(rewritten, key.publicKey)).ok).toBe(true);
    const v = await verifyLog(rewritten, key.publicKey, { kept: [keptNote] });
    expect(v.ok).toBe(false);
    expect(v.firstBad).toMatchObject({ problem: "checkpoint-root", file: "(kept checkpoint)", line: 1, seq: 9 });
  });

  test("a log truncated behind the kept checkpoint is caught", async () => {
    const early = await buildLog(20, { checkpointEvery: 20 });
    const keptNote = (JSON.parse(checkpointLines(early)[0]!) as { note: string }).note;
    const shorter = await buildLog(12, { checkpointEvery: 5 });
    const v = await verifyLog(shorter, key.publicKey, { kept: [keptNote] });
    expect(v.firstBad).toMatchObject({ problem: "truncated" });
  });

  test("a kept checkpoint signed by another key is refused", async () => {
    const other = await buildLog(10, { checkpointEvery: 10, seedNo: 2 });
    const foreign = (JSON.parse(checkpointLines(other)[0]!) as { note: string }).note;
    const log = await buildLog(10, { checkpointEvery: 10 });
    const v = await verifyLog(log, key.publicKey, { kept: [foreign] });
    expect(v.firstBad).toMatchObject({ problem: "checkpoint", file: "(kept checkpoint)", line: 1 });
  });

  test("xpol verify --checkpoint: exit 0 when the log grew, 1 naming the kept checkpoint when it was rewritten", async () => {
    const early = await buildLog(10, { checkpointEvery: 10 });
    const keptFile = path.join(tempDir(), "kept.json");
    writeFileSync(keptFile, checkpointLines(early)[0]! + "\n");
    const pub = formatPublicKey(key.publicKey);
    const grown = await xpol(["verify", await buildLog(30, { checkpointEvery: 10 }), "--key", pub, "--checkpoint", keptFile]);
    expect(grown.code).toBe(0);
    expect(grown.out).toContain("consistent with 1 kept checkpoint(s)");
    const rewritten = await xpol(["verify", await buildLog(30, { checkpointEvery: 10, tag: "x" }), "--key", pub, "--checkpoint", keptFile]);
    expect(rewritten.code).toBe(1);
    expect(rewritten.err).toContain("no longer agrees with kept checkpoint 1");
    expect((await xpol(["verify", early, "--key", pub, "--checkpoint", "/nonexistent/kept"])).code).toBe(3);
  });
});
