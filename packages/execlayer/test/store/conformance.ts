// The store conformance suite: the runtime's one transaction sequence (src/runtime/transaction.ts) as every store
// must run it: fail closed with the same codes, nothing applied when the body throws, when its changes do not fit,
// or when the store is closed. Run here for the memory and durable stores (transaction.test.ts), and by
// packages/postgres against a real PostgreSQL server.
import { describe, expect, it } from "vitest";
import type { Receipt, StateChange, StateStore } from "../../src/index.ts";
import { parseWindowLabel } from "../../src/vocabulary/windows.ts";

export const T0 = Date.parse("2026-01-31T10:00:00Z");
export const day = parseWindowLabel("calendar:day")!;
const count: StateChange = { op: "count", counter: "c", window: day, key: '["k"]', at: T0, amount: 1 };
const event = { kind: "decision", body: { note: "x" }, time: T0 };
const scope = { now: T0, counters: [{ counter: "c", window: day, key: '["k"]' }] };

export interface ConformanceTarget<S extends StateStore<Receipt>> {
  /** a new, empty store (the suite closes it, or the target's own cleanup does) */
  make(): Promise<S>;
  /** counter `c`, window day, key `["k"]` at T0 as the store holds it, read without a transaction of this store (it may be closed) */
  value(store: S): Promise<number>;
}

export function storeConformance<S extends StateStore<Receipt>>(name: string, target: ConformanceTarget<S>): void {
  describe(`store conformance: ${name}`, () => {
    it("applies and journals a step, its changes in `body.state`", async () => {
      const store = await target.make();
      const out = await store.transact(scope, () => ({ result: 7, changes: [count], event }));
      expect(out.ok && out.result).toBe(7);
      expect(out.ok && out.receipt?.body).toEqual({ note: "x", state: [{ op: "count", counter: "c", window: "calendar:day", key: '["k"]', at: "2026-01-31T10:00:00.000Z", amount: 1 }] });
      expect(await target.value(store)).toBe(1);
    });

    it("a body that throws: XP5001, nothing applied", async () => {
      const store = await target.make();
      const out = await store.transact(scope, () => {
        throw new Error("boom");
      });
      expect(out).toMatchObject({ ok: false, error: { code: "XP5001" } });
      expect(!out.ok && out.error.message).toContain("boom");
      expect(await target.value(store)).toBe(0);
    });

    it("changes that do not apply: XP5001, nothing applied", async () => {
      const store = await target.make();
      const out = await store.transact(scope, () => ({ result: 0, changes: [count, { op: "consume", request: "apr_nope", at: T0 }], event }));
      expect(out).toMatchObject({ ok: false, error: { code: "XP5001" } });
      expect(await target.value(store)).toBe(0);
    });

    it("concurrent transactions see each other's changes: 50 read-then-count steps count 50", async () => {
      const store = await target.make();
      const seen = await Promise.all(
        Array.from({ length: 50 }, () =>
          store.transact(scope, (view) => ({ result: view.counter("c", day, '["k"]', T0), changes: [count], event })),
        ),
      );
      expect(seen.map((o) => (o.ok ? o.result : -1)).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(await target.value(store)).toBe(50);
    });

    it("a closed store: XP5023", async () => {
      const store = await target.make();
      await store.close();
      const out = await store.transact(scope, () => ({ result: 0, changes: [count], event }));
      expect(out).toMatchObject({ ok: false, error: { code: "XP5023" } });
      expect(await target.value(store)).toBe(0);
    });
  });
}
