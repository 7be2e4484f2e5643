// Counter windows: which events a counter's value includes at a given time.
//
// - calendar day / week / month: in UTC. A day starts at 00:00:00.000Z; a week is the ISO 8601 week, starting on
//   Monday 00:00Z; a month starts on its first day at 00:00Z. The value at time t counts the events whose time falls
//   in the same calendar unit as t.
// - rolling DURATION: the value at time t counts the events whose time e satisfies t - DURATION < e <= t (a half-open
//   window ending now). Events are kept per key at millisecond resolution, so the value is exact (counters.ts).
// - total: a counter declared without a window never resets.
// All times are milliseconds since the Unix epoch.

export type CalendarUnit = "day" | "week" | "month";

export type WindowSpec =
  | { readonly kind: "calendar"; readonly unit: CalendarUnit }
  | { readonly kind: "rolling"; readonly ms: number }
  | { readonly kind: "total" };

const DAY_MS = 86_400_000;

// Decisions cluster in time: remember the last day seen per unit so the common case is one division.
const lastDay: Record<CalendarUnit, number> = { day: Number.NaN, week: Number.NaN, month: Number.NaN };
const lastStart: Record<CalendarUnit, number> = { day: Number.NaN, week: Number.NaN, month: Number.NaN };

/** Start (inclusive) of the calendar unit containing `t`, in UTC. */
export function calendarWindowStart(unit: CalendarUnit, t: number): number {
  const dayStart = Math.floor(t / DAY_MS) * DAY_MS;
  if (lastDay[unit] === dayStart) return lastStart[unit];
  const start = computeWindowStart(unit, t, dayStart);
  lastDay[unit] = dayStart;
  lastStart[unit] = start;
  return start;
}

function computeWindowStart(unit: CalendarUnit, t: number, dayStart: number): number {
  switch (unit) {
    case "day":
      return dayStart;
    case "week": {
      // getUTCDay: 0 = Sunday; ISO weeks start on Monday.
      const sinceMonday = (new Date(dayStart).getUTCDay() + 6) % 7;
      return dayStart - sinceMonday * DAY_MS;
    }
    case "month": {
      const d = new Date(t);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

/** End (exclusive) of the calendar unit containing `t`: the start of the next one. */
export function calendarWindowEnd(unit: CalendarUnit, t: number): number {
  const start = calendarWindowStart(unit, t);
  switch (unit) {
    case "day":
      return start + DAY_MS;
    case "week":
      return start + 7 * DAY_MS;
    case "month": {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

/** A stable text form, recorded with every counter change so replay does not depend on the policy. */
export function windowLabel(w: WindowSpec): string {
  switch (w.kind) {
    case "calendar":
      return `calendar:${w.unit}`;
    case "rolling":
      return `rolling:${w.ms}ms`;
    case "total":
      return "total";
  }
}

const ROLLING_LABEL = /^rolling:([1-9][0-9]{0,15})ms$/;

export function parseWindowLabel(label: string): WindowSpec | null {
  switch (label) {
    case "calendar:day":
      return { kind: "calendar", unit: "day" };
    case "calendar:week":
      return { kind: "calendar", unit: "week" };
    case "calendar:month":
      return { kind: "calendar", unit: "month" };
    case "total":
      return { kind: "total" };
  }
  const m = ROLLING_LABEL.exec(label);
  if (m === null) return null;
  const ms = Number(m[1]);
  return Number.isSafeInteger(ms) ? { kind: "rolling", ms } : null;
}

/** A human description for CLI output and reasons: "calendar month (UTC)", "rolling 24h". */
export function describeWindow(w: WindowSpec): string {
  switch (w.kind) {
    case "calendar":
      return `calendar ${w.unit} (UTC)`;
    case "rolling":
      return `rolling ${formatDuration(w.ms)}`;
    case "total":
      return "no window";
  }
}

/** `90061000` -> `1d1h1m1s`; milliseconds shown only when present. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(Math.round(ms));
  if (rest === 0) return "0s";
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", DAY_MS],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return sign + parts.join("");
}
