// Counter cells: the state of one counter for one key, and the two operations on it (read at a time, add an
// amount at a time). Pure data and functions, shared by every store so replay and live updates agree exactly.
//
// Exactness of rolling windows: a rolling cell keeps every counted event as (time in ms, amount), merging events
// of the same millisecond, and drops an event once it has aged out (time <= now - window). The value is the sum of
// the kept events whose time is inside the window, so it is exact at millisecond resolution for a non-decreasing
// clock. If the clock steps back, events newer than "now" still count (the conservative side for a limit), but
// events already dropped are not resurrected.
//
// Calendar cells keep (window start, value); an add in a later window restarts the count. If the clock steps back
// into an earlier window, the stored value is read as is (conservative), never reset.
import { calendarWindowStart, windowLabel, type WindowSpec } from "../vocabulary/windows.ts";

/** One counter this action reads, and what it adds when the action is counted. */
export interface CounterUse {
  /** the counter's declared name */
  readonly counter: string;
  /** canonical text of the key values (`per ...`), "" for a global counter */
  readonly key: string;
  readonly window: WindowSpec;
  /** what this action adds when it is counted (1, or the `sum` expression) */
  readonly amount: number;
  /** false when the counter is only read here (another action type, or its `where` excludes this action) */
  readonly increments: boolean;
}

export interface CalendarCell {
  readonly kind: "calendar";
  windowStart: number;
  value: number;
}

export interface RollingCell {
  readonly kind: "rolling";
  /** event times, ascending; entries before `head` are dropped */
  times: number[];
  amounts: number[];
  head: number;
  /** sum of amounts[head..] */
  sum: number;
}

export interface TotalCell {
  readonly kind: "total";
  value: number;
}

export type CounterCell = CalendarCell | RollingCell | TotalCell;

/**
 * Cells are grouped by counter name and window (so a policy that changes a counter's window starts fresh), then
 * keyed by the key text alone: the key string the policy produced is the map key, no concatenation per cell.
 */
export function counterGroupId(counter: string, window: WindowSpec): string {
  return `${counter}\u0000${windowLabel(window)}`;
}

/** The counter's value at time `at` (the count before the action being decided). */
export function readCell(cell: CounterCell | undefined, window: WindowSpec, at: number): number {
  if (cell === undefined) return 0;
  switch (cell.kind) {
    case "total":
      return cell.value;
    case "calendar": {
      if (window.kind !== "calendar") return 0;
      return calendarWindowStart(window.unit, at) <= cell.windowStart ? cell.value : 0;
    }
    case "rolling": {
      if (window.kind !== "rolling") return 0;
      pruneRolling(cell, at - window.ms);
      return cell.sum;
    }
  }
}

/** Adds `amount` at time `at`; returns the cell (a new one when `cell` is undefined). */
export function addToCell(cell: CounterCell | undefined, window: WindowSpec, at: number, amount: number): CounterCell {
  switch (window.kind) {
    case "total": {
      if (cell?.kind === "total") {
        cell.value += amount;
        return cell;
      }
      return { kind: "total", value: amount };
    }
    case "calendar": {
      const start = calendarWindowStart(window.unit, at);
      if (cell?.kind === "calendar") {
        if (start > cell.windowStart) {
          cell.windowStart = start;
          cell.value = amount;
        } else {
          cell.value += amount;
        }
        return cell;
      }
      return { kind: "calendar", windowStart: start, value: amount };
    }
    case "rolling": {
      const c: RollingCell = cell?.kind === "rolling" ? cell : { kind: "rolling", times: [], amounts: [], head: 0, sum: 0 };
      pruneRolling(c, at - window.ms);
      const last = c.times.length - 1;
      if (last >= c.head && c.times[last]! >= at) {
        if (c.times[last] === at) {
          c.amounts[last]! += amount;
        } else {
          insertRollingOutOfOrder(c, at, amount);
        }
      } else {
        c.times.push(at);
        c.amounts.push(amount);
      }
      c.sum += amount;
      return c;
    }
  }
}

/** Drops events with time <= `cutoff`, compacting the arrays once half of them are dead. */
function pruneRolling(c: RollingCell, cutoff: number): void {
  let h = c.head;
  const n = c.times.length;
  while (h < n && c.times[h]! <= cutoff) {
    c.sum -= c.amounts[h]!;
    h++;
  }
  if (h === c.head) return;
  if (h === n) {
    c.times = [];
    c.amounts = [];
    c.head = 0;
    c.sum = 0;
  } else if (h > 32 && h * 2 > n) {
    c.times = c.times.slice(h);
    c.amounts = c.amounts.slice(h);
    c.head = 0;
  } else {
    c.head = h;
  }
}

/** A clock that stepped back: keep the event list sorted so pruning stays correct. */
function insertRollingOutOfOrder(c: RollingCell, at: number, amount: number): void {
  let i = c.times.length;
  while (i > c.head && c.times[i - 1]! > at) i--;
  if (i > c.head && c.times[i - 1] === at) {
    c.amounts[i - 1]! += amount;
    return;
  }
  c.times.splice(i, 0, at);
  c.amounts.splice(i, 0, amount);
}

/**
 * A cell as JSON, for stores that keep cells outside the process (a database row): `{ window_start, value }`
 * (calendar), `{ value }` (total), `{ events: [[time ms, amount], ...] }` (rolling, the kept events only, oldest
 * first). `cellFromJson` reads it back for the same window kind, or null when it does not fit.
 */
export function cellToJson(cell: CounterCell): { readonly [k: string]: number | readonly (readonly [number, number])[] } {
  switch (cell.kind) {
    case "total":
      return { value: cell.value };
    case "calendar":
      return { window_start: cell.windowStart, value: cell.value };
    case "rolling": {
      const events: [number, number][] = [];
      for (let i = cell.head; i < cell.times.length; i++) events.push([cell.times[i]!, cell.amounts[i]!]);
      return { events };
    }
  }
}

export function cellFromJson(v: unknown, window: WindowSpec): CounterCell | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const int = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
  switch (window.kind) {
    case "total":
      return int(o["value"]) ? { kind: "total", value: o["value"] } : null;
    case "calendar":
      return int(o["window_start"]) && int(o["value"]) ? { kind: "calendar", windowStart: o["window_start"], value: o["value"] } : null;
    case "rolling": {
      const events = o["events"];
      if (!Array.isArray(events)) return null;
      const cell: RollingCell = { kind: "rolling", times: [], amounts: [], head: 0, sum: 0 };
      let last = Number.NEGATIVE_INFINITY;
      for (const e of events as unknown[]) {
        if (!Array.isArray(e) || e.length !== 2 || !int(e[0]) || !int(e[1]) || e[0] <= last) return null;
        last = e[0];
        cell.times.push(e[0]);
        cell.amounts.push(e[1]);
        cell.sum += e[1];
      }
      return cell;
    }
  }
}
