// DurableStore.open on a 100,000-receipt state directory: how long the replay (and its verification) takes.
// `npx tsx bench/store-open.ts [receipts]`. Three shapes of the same log: closed cleanly (a checkpoint covers
// everything), the last checkpoint missing (a crash: up to checkpointEvery receipts uncovered), no checkpoint at all
// (every receipt uncovered: the worst case).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DurableStore } from "../src/store/durable.ts";

const receipts = Number(process.argv[2] ?? 100_000);

async function build(dir: string): Promise<void> {
  const store = await DurableStore.open(dir, { signerKind: "native", durability: "none" });
  const t0 = Date.parse("2026-01-31T12:00:00Z");
  for (let i = 0; i < receipts; i += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(receipts, i + 1000); j++) {
      batch.push(
        store.transact({ now: t0 + j }, () => ({
          result: null,
          changes: [{ op: "count", counter: "spend", window: { kind: "calendar", unit: "day" }, key: `["agent-${j % 50}"]`, at: t0 + j, amount: 1 }],
        })),
      );
    }
    await Promise.all(batch);
  }
  await store.close();
}

async function timeOpen(dir: string, runs = 3): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const store = await DurableStore.open(dir, { signerKind: "native", durability: "none" });
    out.push(performance.now() - t);
    await releaseWithoutCheckpoint(store, dir);
  }
  return out;
}

/** Closes the store, then restores the checkpoints file so every run opens the same shape. */
async function releaseWithoutCheckpoint(store: DurableStore, dir: string): Promise<void> {
  const cps = readFileSync(path.join(dir, "checkpoints.jsonl"));
  await store.close();
  writeFileSync(path.join(dir, "checkpoints.jsonl"), cps);
}

const root = mkdtempSync(path.join(tmpdir(), "xp-bench-open-"));
try {
  const clean = path.join(root, "clean");
  await build(clean);
  const crash = path.join(root, "crash");
  cpSync(clean, crash, { recursive: true });
  const lines = readFileSync(path.join(crash, "checkpoints.jsonl"), "utf8").split("\n").filter((l) => l !== "");
  writeFileSync(path.join(crash, "checkpoints.jsonl"), lines.slice(0, -1).map((l) => l + "\n").join(""));
  const none = path.join(root, "none");
  cpSync(clean, none, { recursive: true });
  writeFileSync(path.join(none, "checkpoints.jsonl"), "");
  for (const [name, dir] of [["checkpointed", clean], ["last checkpoint missing", crash], ["no checkpoint", none]] as const) {
    const ms = await timeOpen(dir);
    console.log(`open ${receipts} receipts, ${name}: ${ms.map((x) => x.toFixed(0)).join(" / ")} ms`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
