import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { addToCell, readCell, type CounterCell } from "../../src/engine/counters.ts";
import { calendarWindowStart, type WindowSpec } from "../../src/vocabulary/windows.ts";

const T0 = Date.parse("2026-01-31T23:00:00Z");

describe("calendar counters", () => {
  const month: WindowSpec = { kind: "calendar", unit: "month" };
  it("counts within the month and resets in the next", () => {
    let cell: CounterCell | undefined;
    for (let i = 0; i < 3; i++) cell = addToCell(cell, month, T0 + i, 1);
    expect(readCell(cell, month, T0 + 10)).toBe(3);
    const feb = Date.parse("2026-02-01T00:00:00Z");
    expect(readCell(cell, month, feb)).toBe(0);
    cell = addToCell(cell, month, feb, 5);
    expect(readCell(cell, month, feb + 1)).toBe(5);
    // a clock stepping back into January reads the stored (later) value: conservative
    expect(readCell(cell, month, T0)).toBe(5);
  });
});

describe("rolling counters are exact", () => {
  const hour: WindowSpec = { kind: "rolling", ms: 3_600_000 };
  it("an event leaves the window exactly `duration` after it happened", () => {
    let cell = addToCell(undefined, hour, T0, 2);
    cell = addToCell(cell, hour, T0 + 1000, 3);
    expect(readCell(cell, hour, T0 + 3_599_999)).toBe(5);
    expect(readCell(cell, hour, T0 + 3_600_000)).toBe(3); // (t - d, t]: the first event is out
    expect(readCell(cell, hour, T0 + 3_601_000)).toBe(0);
  });

  // Model: the value at time t is the sum of amounts of events e with t - d < e.time <= t (non-decreasing clock).
  const steps = fc.array(
    fc.record({ dt: fc.integer({ min: 0, max: 5_000 }), amount: fc.integer({ min: 0, max: 9 }), read: fc.boolean() }),
    { maxLength: 200 },
  );
  test.prop([fc.integer({ min: 1, max: 20_000 }), steps])("matches the model", (d, ops) => {
    const w: WindowSpec = { kind: "rolling", ms: d };
    let cell: CounterCell | undefined;
    const events: { at: number; amount: number }[] = [];
    let now = T0;
    for (const op of ops) {
      now += op.dt;
      const expected = events.filter((e) => e.at > now - d && e.at <= now).reduce((s, e) => s + e.amount, 0);
      expect(readCell(cell, w, now)).toBe(expected);
      if (!op.read) {
        cell = addToCell(cell, w, now, op.amount);
        events.push({ at: now, amount: op.amount });
      }
    }
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 100 })])(
    "out-of-order events (clock stepping back) are kept sorted and counted",
    (offsets) => {
      const w: WindowSpec = { kind: "rolling", ms: 1_000_000 };
      let cell: CounterCell | undefined;
      for (const o of offsets) cell = addToCell(cell, w, T0 + o, 1);
      expect(readCell(cell, w, T0 + 100_000)).toBe(offsets.length);
      if (offsets.length === 0) return;
      expect(cell?.kind).toBe("rolling");
      const c = cell as Extract<CounterCell, { kind: "rolling" }>;
      const live = c.times.slice(c.head);
      // strictly ascending: events of the same millisecond are merged into one entry
      expect(live).toEqual([...new Set(offsets)].sort((a, b) => a - b).map((o) => T0 + o));
      expect(c.amounts.slice(c.head).reduce((s, a) => s + a, 0)).toBe(offsets.length);
    },
  );
});

describe("calendar counters match a model", () => {
  const units = fc.constantFrom("day" as const, "week" as const, "month" as const);
  const steps = fc.array(fc.record({ dt: fc.integer({ min: 0, max: 3 * 86_400_000 }), amount: fc.integer({ min: 1, max: 5 }) }), {
    maxLength: 60,
  });
  test.prop([units, steps])("value = sum of events in the same calendar unit", (unit, ops) => {
    const w: WindowSpec = { kind: "calendar", unit };
    let cell: CounterCell | undefined;
    const events: { at: number; amount: number }[] = [];
    let now = T0;
    for (const op of ops) {
      now += op.dt;
      const start = calendarWindowStart(unit, now);
      const expected = events.filter((e) => calendarWindowStart(unit, e.at) === start).reduce((s, e) => s + e.amount, 0);
      expect(readCell(cell, w, now)).toBe(expected);
      cell = addToCell(cell, w, now, op.amount);
      events.push({ at: now, amount: op.amount });
    }
  });
});

describe("total counters", () => {
  it("a total counter never resets", () => {
    const w: WindowSpec = { kind: "total" };
    let cell = addToCell(undefined, w, T0, 4);
    cell = addToCell(cell, w, T0 + 10 ** 12, 1);
    expect(readCell(cell, w, T0 + 10 ** 13)).toBe(5);
  });
});
