// A transaction whose changes pass the per-change check but do not fit together (a runtime bug) is refused by
// every store with XP5001, and the state keeps only what applied before the misfit: never acknowledged as ok.
import { afterEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NobleSigner } from "../../src/index.ts";
import type { ApprovalRequest } from "../../src/index.ts";
import { DurableStore } from "../../src/index.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import type { StateChange, StateStore } from "../../src/index.ts";

const T0 = Date.parse("2026-01-31T10:00:00Z");
const request: ApprovalRequest = {
  id: "apr_000000000000000000000001",
  actionDigest: `sha256:${"a".repeat(64)}`,
  irDigest: `sha256:${"b".repeat(64)}`,
  policyDigest: `sha256:${"c".repeat(64)}`,
  tier: "T2",
  actionType: "invoice.delete",
  target: null,
  requirements: [{ group: "finance", quorum: 1, withinMs: 3_600_000 }],
  createdAt: T0,
  expiresAt: T0 + 3_600_000,
  approvers: [],
};
// each passes `check` against the empty state; the second does not fit after the first
const twice: StateChange[] = [
  { op: "request", request },
  { op: "request", request },
];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function expectRefused(store: StateStore<unknown>, journaled: boolean): Promise<void> {
  const out = await store.transact({ now: T0 }, () => ({
    result: "done",
    changes: twice,
    ...(journaled ? { event: { kind: "decision", body: {}, time: T0 } } : {}),
  }));
  expect(out.ok).toBe(false);
  if (!out.ok) {
    expect(out.error.code).toBe("XP5001");
    expect(out.error.message).toContain(`request \`${request.id}\` is created twice`);
  }
}

describe("changes that do not fit together", () => {
  it("are refused by a MemoryStore without a journal", async () => {
    const store = new MemoryStore();
    await expectRefused(store, false);
    expect([...store.state.requests.keys()]).toEqual([request.id]);
  });

  it("are refused by a journaled MemoryStore", async () => {
    const store = new MemoryStore({ journal: new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(7))) });
    await expectRefused(store, true);
  });

  it("are refused by a DurableStore", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-unfit-"));
    dirs.push(dir);
    const store = await DurableStore.open(dir, { durability: "none" });
    try {
      await expectRefused(store, true);
    } finally {
      await store.close();
    }
  });
});
