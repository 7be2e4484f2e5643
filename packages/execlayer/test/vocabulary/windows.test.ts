import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import {
  calendarWindowEnd,
  calendarWindowStart,
  describeWindow,
  formatDuration,
  parseWindowLabel,
  windowLabel,
  type CalendarUnit,
  type WindowSpec,
} from "../../src/vocabulary/windows.ts";
import { isoMillis as isoTime } from "../../src/ir/values.ts";

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe("calendar windows (UTC)", () => {
  it("day starts at midnight UTC", () => {
    expect(iso(calendarWindowStart("day", t("2026-03-14T23:59:59.999Z")))).toBe("2026-03-14T00:00:00.000Z");
    expect(iso(calendarWindowEnd("day", t("2026-03-14T00:00:00.000Z")))).toBe("2026-03-15T00:00:00.000Z");
  });

  it("week is the ISO week: starts on Monday", () => {
    // 2026-03-15 is a Sunday: it belongs to the week that started Monday 2026-03-09.
    expect(iso(calendarWindowStart("week", t("2026-03-15T12:00:00Z")))).toBe("2026-03-09T00:00:00.000Z");
    expect(iso(calendarWindowStart("week", t("2026-03-16T00:00:00Z")))).toBe("2026-03-16T00:00:00.000Z");
    // across a year boundary: Thursday 2026-01-01 is in the week starting Monday 2025-12-29
    expect(iso(calendarWindowStart("week", t("2026-01-01T08:00:00Z")))).toBe("2025-12-29T00:00:00.000Z");
    expect(iso(calendarWindowEnd("week", t("2026-01-01T08:00:00Z")))).toBe("2026-01-05T00:00:00.000Z");
  });

  it("month starts on the first, including leap February and December", () => {
    expect(iso(calendarWindowStart("month", t("2024-02-29T23:59:59.999Z")))).toBe("2024-02-01T00:00:00.000Z");
    expect(iso(calendarWindowEnd("month", t("2024-02-10T00:00:00Z")))).toBe("2024-03-01T00:00:00.000Z");
    expect(iso(calendarWindowEnd("month", t("2025-12-31T23:00:00Z")))).toBe("2026-01-01T00:00:00.000Z");
    expect(iso(calendarWindowStart("month", t("2026-01-01T00:00:00.000Z")))).toBe("2026-01-01T00:00:00.000Z");
  });

  const units: CalendarUnit[] = ["day", "week", "month"];
  const instant = fc.integer({ min: t("1971-01-01T00:00:00Z"), max: t("2200-01-01T00:00:00Z") });

  test.prop([fc.constantFrom(...units), instant])("start <= t < end, and the window is stable inside", (unit, ms) => {
    const start = calendarWindowStart(unit, ms);
    const end = calendarWindowEnd(unit, ms);
    expect(start).toBeLessThanOrEqual(ms);
    expect(ms).toBeLessThan(end);
    expect(calendarWindowStart(unit, start)).toBe(start);
    expect(calendarWindowStart(unit, end - 1)).toBe(start);
    expect(calendarWindowStart(unit, end)).toBe(end);
    if (unit === "week") expect(new Date(start).getUTCDay()).toBe(1);
    if (unit === "month") expect(new Date(start).getUTCDate()).toBe(1);
  });
});

describe("window labels", () => {
  const specs = fc.oneof(
    fc.constantFrom<WindowSpec>(
      { kind: "calendar", unit: "day" },
      { kind: "calendar", unit: "week" },
      { kind: "calendar", unit: "month" },
      { kind: "total" },
    ),
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map((ms): WindowSpec => ({ kind: "rolling", ms })),
  );
  test.prop([specs])("parse(label(w)) == w", (w) => {
    expect(parseWindowLabel(windowLabel(w))).toEqual(w);
  });
  it("rejects unknown labels", () => {
    for (const bad of ["calendar:year", "rolling:0ms", "rolling:-5ms", "rolling:1.5ms", "rolling:01ms", ""]) {
      expect(parseWindowLabel(bad)).toBeNull();
    }
  });
  it("describes windows and durations", () => {
    expect(describeWindow({ kind: "rolling", ms: 86_400_000 })).toBe("rolling 1d");
    expect(describeWindow({ kind: "calendar", unit: "week" })).toBe("calendar week (UTC)");
    expect(formatDuration(3_723_004)).toBe("1h2m3s4ms");
    expect(formatDuration(-90_000)).toBe("-1m30s");
  });
});

describe("iso (RFC 3339 of a time, cached)", () => {
  test.prop([fc.array(fc.integer({ min: 0, max: 253402300799999 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 20 })])(
    "equals Date.prototype.toISOString, in any order of calls",
    (starts, steps) => {
      for (const s of starts) {
        let t = s;
        expect(isoTime(t)).toBe(new Date(t).toISOString());
        for (const d of steps) {
          t = Math.min(t + d, 253402300799999);
          expect(isoTime(t)).toBe(new Date(t).toISOString());
        }
      }
    },
  );
});
