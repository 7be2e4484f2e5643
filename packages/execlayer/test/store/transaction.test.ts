// The one transaction sequence (src/runtime/transaction.ts) as both stores run it: the shared conformance suite
// (conformance.ts, which packages/postgres runs too), then what is particular to each: nothing applied when the
// journal cannot append; no receipt acknowledged when the flush fails; replay through the same parser and `apply`.
import { afterEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NobleSigner } from "../../src/index.ts";
import type { Receipt } from "../../src/index.ts";
import { RuntimeState } from "../../src/runtime/state.ts";
import type { Journal, StateChange, StateStore } from "../../src/index.ts";
import { replayBody, runTransaction } from "../../src/runtime/transaction.ts";
import { DurableStore } from "../../src/index.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import { parseWindowLabel } from "../../src/vocabulary/windows.ts";
import { storeConformance } from "./conformance.ts";

const T0 = Date.parse("2026-01-31T10:00:00Z");
const day = parseWindowLabel("calendar:day")!;
const count: StateChange = { op: "count", counter: "c", window: day, key: '["k"]', at: T0, amount: 1 };
const signer = (): NobleSigner => NobleSigner.fromSeed(new Uint8Array(32).fill(9));
const event = { kind: "decision", body: { note: "x" }, time: T0 };

const dirs: string[] = [];
const opened: StateStore<unknown>[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function durable(signatures: "per-receipt" | "per-batch" = "per-receipt"): Promise<DurableStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-tx-"));
  dirs.push(dir);
  const s = await DurableStore.open(dir, { signer: signer(), durability: "none", signatures });
  opened.push(s);
  return s;
}

function value(state: RuntimeState): number {
  return state.counter("c", day, '["k"]', T0);
}

storeConformance("memory, journaled", { make: async () => new MemoryStore<Receipt>({ journal: new MemoryJournal(signer()) }), value: async (s) => value(s.state) });
storeConformance("durable", { make: () => durable(), value: async (s) => value(s.state) });
storeConformance("durable, per-batch signatures", { make: () => durable("per-batch"), value: async (s) => value(s.state) });

describe("store-specific parts", () => {
  it("the memory store applies a step without an event unrecorded; the durable store journals it as `state`", async () => {
    const mem = new MemoryStore<Receipt>({ journal: new MemoryJournal(signer()) });
    const m = await mem.transact({ now: T0 }, () => ({ result: 0, changes: [count] }));
    expect(m.ok && m.receipt).toBeUndefined();
    expect(value(mem.state)).toBe(1);
    const dur = await durable();
    const d = await dur.transact({ now: T0 }, () => ({ result: 0, changes: [count] }));
    expect(d.ok && d.receipt?.kind).toBe("state");
    expect(value(dur.state)).toBe(1);
  });

  it("a journal that cannot append: XP5004, nothing applied", async () => {
    const journal: Journal<string> = {
      append: () => {
        throw new Error("disk on fire");
      },
      flush: () => Promise.resolve(),
    };
    const store = new MemoryStore<string>({ journal });
    const out = await store.transact({ now: T0 }, () => ({ result: 0, changes: [count], event }));
    expect(out).toMatchObject({ ok: false, error: { code: "XP5004" } });
    expect(!out.ok && out.error.message).toContain("disk on fire");
    expect(value(store.state)).toBe(0);
  });

  it("a journal whose flush fails: XP5004, never acknowledged", async () => {
    const journal: Journal<string> = { append: () => "r", flush: () => Promise.reject(new Error("fsync failed")) };
    const out = await new MemoryStore<string>({ journal }).transact({ now: T0 }, () => ({ result: 0, changes: [count], event }));
    expect(out).toMatchObject({ ok: false, error: { code: "XP5004" } });
    expect(!out.ok && out.error.message).toContain("fsync failed");
  });

  it("runTransaction without a journal applies and answers no receipt", async () => {
    const state = new RuntimeState();
    const out = await runTransaction({ state, journal: undefined, journalEveryStep: true, refuse: () => null }, { now: T0 }, () => ({ result: 1, changes: [count], event }));
    expect(out).toEqual({ ok: true, result: 1 });
    expect(value(state)).toBe(1);
  });

  it("replay reports the first problem in order: a misfit before a bad change, a bad change after good ones", () => {
    const good = { op: "count", counter: "c", window: "calendar:day", key: '["k"]', at: "2026-01-31T10:00:00.000Z", amount: 1 };
    const state = new RuntimeState();
    expect(replayBody(state, { state: [good, { op: "nope" }] })).toBe("unknown op \"nope\"");
    expect(value(state)).toBe(1);
    expect(replayBody(state, { state: [{ op: "consume", request: "apr_x", at: "2026-01-31T10:00:00.000Z" }, { op: "nope" }] })).toBe("use of unknown request `apr_x`");
    expect(replayBody(state, { state: 3 })).toBe("`body.state` is not a list");
    expect(replayBody(state, {})).toBeNull();
  });
});
