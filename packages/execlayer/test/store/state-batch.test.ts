// What a store outside the process builds on: StateBatch (rows in, the runtime's transaction sequence, changed rows
// out) and ReceiptChain (the receipt log's lines and checkpoints without files). Held here to the in-process stores
// they must agree with, without a database: the rows go through JSON text between batches, as a database keeps them.
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MemoryJournal, MemoryStore, NobleSigner, ReceiptChain, StateBatch, type CounterRow, type JsonValue, type RequestRow, type StateChange, type TxScope } from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { parseWindowLabel, windowLabel, type WindowSpec } from "../../src/vocabulary/windows.ts";
import { signApproval, type ApprovalRequest } from "../../src/runtime/approvals.ts";

const T0 = Date.parse("2026-01-31T10:00:00Z");
const signer = NobleSigner.fromSeed(new Uint8Array(32).fill(9));

/** A table of rows kept as JSON text, as a database would. */
class Rows {
  readonly counters = new Map<string, string>();
  readonly requests = new Map<string, string>();
  batch(scope: TxScope): StateBatch {
    const b = new StateBatch();
    for (const c of scope.counters ?? []) {
      const label = windowLabel(c.window);
      const cell = this.counters.get(`${c.counter} ${label} ${c.key}`);
      expect(b.loadCounter({ counter: c.counter, window: label, key: c.key, cell: cell === undefined ? null : (JSON.parse(cell) as JsonValue) })).toBeNull();
    }
    for (const id of scope.requests ?? []) {
      const r = this.requests.get(id);
      if (r !== undefined) expect(b.loadRequest((JSON.parse(r) as RequestRow).history)).toBeNull();
    }
    return b;
  }
  store(b: StateBatch): void {
    for (const c of b.changedCounters() as CounterRow[]) this.counters.set(`${c.counter} ${c.window} ${c.key}`, JSON.stringify(c.cell));
    const { upsert, remove } = b.changedRequests();
    for (const r of upsert) this.requests.set(r.id, JSON.stringify(r));
    for (const id of remove) this.requests.delete(id);
  }
}

const windows: WindowSpec[] = ["calendar:day", "calendar:week", "calendar:month", "rolling:3600000ms", "rolling:1000ms", "total"].map((l) => parseWindowLabel(l)!);

describe("StateBatch", () => {
  const steps = fc.array(
    fc.record({ dt: fc.integer({ min: 0, max: 2 * 3_600_000 }), amount: fc.integer({ min: 0, max: 9 }), key: fc.constantFrom('["a"]', '["b"]'), w: fc.nat({ max: windows.length - 1 }), back: fc.boolean() }),
    { maxLength: 60 },
  );

  test.prop([steps])("for all sequences of counts, rows that went through JSON read as the in-memory store's state", async (ops) => {
    const mem = new MemoryStore();
    const rows = new Rows();
    let now = T0;
    for (const op of ops) {
      // the clock mostly advances, sometimes steps back
      now = op.back ? now - Math.min(op.dt, 5_000) : now + op.dt;
      const window = windows[op.w]!;
      const change: StateChange = { op: "count", counter: "c", window, key: op.key, at: now, amount: op.amount };
      const scope: TxScope = { now, counters: [{ counter: "c", window, key: op.key }] };
      const read = (view: { counter: (c: string, w: WindowSpec, k: string, at: number) => number }) => view.counter("c", window, op.key, now);
      const expected = await mem.transact(scope, (view) => ({ result: read(view), changes: [change] }));
      const batch = rows.batch(scope);
      const got = batch.step(scope, (view) => ({ result: read(view), changes: [change] }));
      expect(got).toEqual({ ok: true, result: expected.ok && expected.result });
      rows.store(batch);
    }
    for (const window of windows) {
      for (const key of ['["a"]', '["b"]']) {
        const b = rows.batch({ now, counters: [{ counter: "c", window, key }] });
        const got = b.step({ now }, (view) => ({ result: view.counter("c", window, key, now), changes: [] }));
        expect(got.ok && got.result).toBe(mem.state.counter("c", window, key, now));
      }
    }
  });

  it("a request and its approvals round-trip through its history; a closed request is removed", () => {
    const request: ApprovalRequest = {
      id: "apr_000000000000000000000001",
      actionDigest: "sha256:" + "1".repeat(64),
      irDigest: "sha256:" + "2".repeat(64),
      policyDigest: "sha256:" + "3".repeat(64),
      tier: "T2",
      actionType: "invoice.delete",
      target: "invoice/1",
      requirements: [{ group: "finance", quorum: 1, withinMs: 3_600_000 }],
      createdAt: T0,
      expiresAt: T0 + 3_600_000,
      approvers: [{ group: "finance", name: "alice", key: "ed25519:" + Buffer.from(signer.publicKey).toString("hex") }],
    };
    const rows = new Rows();
    const b1 = rows.batch({ now: T0 });
    expect(b1.step({ now: T0 }, () => ({ result: 0, changes: [{ op: "request", request }] })).ok).toBe(true);
    expect(b1.requestFor(request.policyDigest, request.actionDigest)).toBe(request.id);
    rows.store(b1);
    const signed = signApproval(signer, request, "approve", T0 + 1000);
    const record = { approver: signer.keyId, member: "alice", groups: ["finance"], verdict: "approve" as const, signedAt: signed.statement.signed_at, receivedAt: T0 + 1000, signature: signed.signature };
    const b2 = rows.batch({ now: T0 + 1000, requests: [request.id] });
    expect(b2.step({ now: T0 + 1000 }, () => ({ result: 0, changes: [{ op: "approval", request: request.id, record }, { op: "consume", request: request.id, at: T0 + 2000 }] })).ok).toBe(true);
    rows.store(b2);
    const b3 = rows.batch({ now: T0 + 3000, requests: [request.id] });
    const seen = b3.step({ now: T0 + 3000 }, (view) => ({ result: view.requestById(request.id), changes: [] }));
    expect(seen.ok && seen.result).toEqual({ request, approvals: [record], consumedAt: T0 + 2000 });
    // used and expired: forgotten by time, so the row is removed
    const b4 = rows.batch({ now: T0 + 3_600_001, requests: [request.id] });
    expect(b4.step({ now: T0 + 3_600_001 }, (view) => ({ result: view.requestById(request.id), changes: [] }))).toEqual({ ok: true, result: undefined });
    expect(b4.changedRequests()).toEqual({ upsert: [], remove: [request.id] });
  });

  it("fails closed as the in-process stores do: a throwing body or changes that do not fit are XP5001, an append that throws XP5004", () => {
    const b = new StateBatch();
    expect(b.step({ now: T0 }, () => { throw new Error("boom"); })).toMatchObject({ ok: false, error: { code: "XP5001" } });
    expect(b.step({ now: T0 }, () => ({ result: 0, changes: [{ op: "consume", request: "apr_x", at: T0 }] }))).toMatchObject({ ok: false, error: { code: "XP5001" } });
    const day = parseWindowLabel("calendar:day")!;
    const failing = b.step({ now: T0 }, () => ({ result: 0, changes: [{ op: "count", counter: "c", window: day, key: "", at: T0, amount: 1 }] }), () => {
      throw new Error("disk on fire");
    });
    expect(failing).toMatchObject({ ok: false, error: { code: "XP5004" } });
    expect(b.changedCounters()).toEqual([]);
  });

  it("refuses rows that do not read back", () => {
    const b = new StateBatch();
    expect(b.loadCounter({ counter: "c", window: "calendar:fortnight", key: "", cell: { value: 1 } })).toMatch(/unknown window/);
    expect(b.loadCounter({ counter: "c", window: "rolling:1000ms", key: "", cell: { value: 1 } })).toMatch(/does not read back/);
    expect(b.loadRequest([])).toBe("an empty request history");
    expect(b.loadRequest([{ op: "consume", request: "apr_x", at: "2026-01-31T10:00:00.000Z" }])).toMatch(/must start with its `request` change/);
  });
});

describe("ReceiptChain", () => {
  test.prop([fc.array(fc.record({ n: fc.integer({ min: 0, max: 7 }), commit: fc.boolean() }), { minLength: 1, maxLength: 12 })], { numRuns: 20 })(
    "for all sequences of batches, committed or rolled back: the lines are the memory journal's, and the exported log verifies",
    async (batches) => {
      const chain = new ReceiptChain(signer, { origin: "execlayer/test", checkpointEvery: 5 });
      const journal = new MemoryJournal(signer, { retain: true });
      const lines: string[] = [];
      const checkpoints: string[] = [];
      let i = 0;
      for (const { n, commit } of batches) {
        const bodies = Array.from({ length: n }, () => ({ n: i++ }));
        for (const body of bodies) chain.append("decision", body, T0 + i);
        const sealed = await chain.seal();
        if (!commit) {
          chain.rollback();
          continue;
        }
        chain.commit();
        lines.push(...sealed.receipts.map((r) => r.line));
        if (sealed.checkpoint !== null) checkpoints.push(sealed.checkpoint.note);
        // the same receipts, appended to the in-memory journal, give the same bytes
        for (const r of sealed.receipts) journal.append(r.receipt.kind, r.receipt.body, Date.parse(r.receipt.time));
      }
      expect(lines).toEqual(journal.lines);
      expect(chain.size).toBe(lines.length);
      if (lines.length > 0) checkpoints.push(chain.checkpoint().note);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-chain-"));
      try {
        fs.writeFileSync(path.join(dir, "receipts.jsonl"), lines.map((l) => l + "\n").join(""));
        // a checkpoint at the same size twice (a crossing at the end, then close) is kept once, as the database does
        const unique = [...new Map(checkpoints.map((c) => [c.split("\n")[1], c])).values()];
        fs.writeFileSync(path.join(dir, "checkpoints.jsonl"), unique.map((note) => JSON.stringify({ note }) + "\n").join(""));
        const v = await verifyLog(dir, signer.publicKey, { threads: 0 });
        expect(v).toMatchObject({ ok: true, count: lines.length, checkpoints: unique.length });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
