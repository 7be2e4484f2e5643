// Timestamps and durations: parsing, formatting, arithmetic with range checks, and the calendar accessors with an
// optional time zone (IANA names through Intl, fixed offsets like "+05:30").
import { CelError, celErrors } from "./errors.ts";
import {
  CelDuration,
  CelTimestamp,
  MAX_DURATION_NANOS,
  MAX_TIMESTAMP_NANOS,
  MIN_DURATION_NANOS,
  MIN_TIMESTAMP_NANOS,
  NANOS_PER_SECOND,
  civilFromDays,
  daysFromCivil,
  floorDiv,
  formatDurationBasic,
  formatTimestampBasic,
} from "./values.ts";

export function makeTimestamp(nanos: bigint): CelTimestamp | CelError {
  if (nanos < MIN_TIMESTAMP_NANOS || nanos > MAX_TIMESTAMP_NANOS) return celErrors.range("timestamp");
  return new CelTimestamp(nanos);
}

export function makeDuration(nanos: bigint): CelDuration | CelError {
  if (nanos < MIN_DURATION_NANOS || nanos > MAX_DURATION_NANOS) return celErrors.range("duration");
  return new CelDuration(nanos);
}

/**
 * The accepted timestamp forms, the same for CEL's `timestamp()` and for `timestamp` action parameters (the IR's
 * canonicalTimestamp, test/cel/time.test.ts holds them equal): RFC 3339 with seconds and a zone, `T`, `t` or a
 * space between date and time, at most 9 fractional digits, years 0001-9999, no leap second.
 */
export const TIMESTAMP_FORMS = "RFC 3339 with seconds and a zone: `2024-05-19T12:00:00Z`, `2024-05-19 12:00:00.5+02:00`";

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** What a text that is not an accepted timestamp lacks, when it is a near miss (`2024-05-19 12:00`). */
export function timestampHint(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(.*))?$/.exec(text);
  if (m === null) return undefined;
  const date = m[1]!;
  if (m[2] === undefined) return `add a time and a zone: \`${date}T00:00:00Z\``;
  const seconds = m[3] ?? ":00";
  const zone = m[4] === "" || m[4] === undefined ? "Z" : m[4];
  const fixed = `${date}T${m[2]}${seconds}${zone}`;
  return fixed === text ? undefined : `did you mean \`${fixed}\`? a timestamp needs seconds and a zone (\`Z\` for UTC)`;
}

/** Parses an RFC 3339 timestamp (`2009-02-13T23:31:30Z`, `...30.123+05:30`), within 0001..9999. */
export function parseTimestamp(text: string): CelTimestamp | CelError {
  const m = RFC3339.exec(text);
  if (m === null) {
    if (/^\d{5,}-/.test(text)) return celErrors.range("timestamp");
    return celErrors.conversion(`cannot parse \`${text}\` as a timestamp (expected ${TIMESTAMP_FORMS})`);
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (year < 1) return celErrors.range("timestamp");
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return celErrors.conversion(`invalid date or time in timestamp \`${text}\`${second === 60 ? " (leap seconds are not representable)" : ""}`);
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, "0"));
  let offsetSeconds = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return celErrors.conversion(`invalid offset in timestamp \`${text}\``);
    offsetSeconds = (m[9] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const days = daysFromCivil(year, month, day);
  const secs = BigInt(days) * 86400n + BigInt(hour * 3600 + minute * 60 + second) - BigInt(offsetSeconds);
  return makeTimestamp(secs * NANOS_PER_SECOND + frac);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

export function formatTimestamp(t: CelTimestamp): string {
  return formatTimestampBasic(t.nanos);
}

export function formatDuration(d: CelDuration): string {
  return formatDurationBasic(d.nanos);
}

const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n,
  "μs": 1_000n,
  ms: 1_000_000n,
  s: NANOS_PER_SECOND,
  m: 60n * NANOS_PER_SECOND,
  h: 3600n * NANOS_PER_SECOND,
  d: 86400n * NANOS_PER_SECOND,
};

/** Parses a Go-style duration: `100s`, `1.5h`, `1h30m`, `-1ns`, `0`. */
export function parseDuration(text: string): CelDuration | CelError {
  let s = text;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return new CelDuration(0n);
  if (s === "") return badDuration(text);
  let total = 0n;
  // Go's units, and `d` (24h) as in .xpol durations (`within 7d`) and duration parameters: one syntax everywhere
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h|d)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (m === null || (m[1] === "" && (m[2] === undefined || m[2] === ""))) return badDuration(text);
    const unit = UNIT_NANOS[m[3]!]!;
    const whole = m[1] === "" ? 0n : BigInt(m[1]!);
    total += whole * unit;
    if (m[2] !== undefined && m[2] !== "") {
      // Fractional part: exact to the nanosecond, truncated below.
      const digits = m[2];
      total += (BigInt(digits) * unit) / 10n ** BigInt(digits.length);
    }
    if (total > MAX_DURATION_NANOS + 1n) return celErrors.range("duration");
    s = s.slice(m[0].length);
  }
  return makeDuration(neg ? -total : total);
}

/** The accepted duration forms, for messages. */
export const DURATION_FORMS = "a duration is numbers with units, no spaces: `250ms`, `90s`, `15m`, `1.5h`, `7d`, `1h30m` (units ns, us, ms, s, m, h, d)";

function badDuration(text: string): CelError {
  return celErrors.conversion(`cannot parse \`${text}\` as a duration (expected e.g. 90s, 1h30m, 1.5h, 250ms, 7d)`);
}

// ---------------------------------------------------------------------------------------------------------------
// Arithmetic.

export function addTimestampDuration(t: CelTimestamp, d: CelDuration): CelTimestamp | CelError {
  return makeTimestamp(t.nanos + d.nanos);
}

export function subTimestampDuration(t: CelTimestamp, d: CelDuration): CelTimestamp | CelError {
  return makeTimestamp(t.nanos - d.nanos);
}

export function subTimestamps(a: CelTimestamp, b: CelTimestamp): CelDuration | CelError {
  return makeDuration(a.nanos - b.nanos);
}

export function addDurations(a: CelDuration, b: CelDuration): CelDuration | CelError {
  return makeDuration(a.nanos + b.nanos);
}

export function subDurations(a: CelDuration, b: CelDuration): CelDuration | CelError {
  return makeDuration(a.nanos - b.nanos);
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar accessors.

export type TimestampField =
  | "getFullYear"
  | "getMonth"
  | "getDayOfYear"
  | "getDate"
  | "getDayOfMonth"
  | "getDayOfWeek"
  | "getHours"
  | "getMinutes"
  | "getSeconds"
  | "getMilliseconds";

const FIXED_OFFSET = /^([+-])?(\d{2}):(\d{2})$/;
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(tz: string): Intl.DateTimeFormat | null {
  let f = formatters.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        era: "short",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      f = null;
    }
    if (formatters.size > 500) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of the zone from UTC at the given instant, in seconds; undefined for an unknown zone. */
export function zoneOffsetSeconds(tz: string, epochSeconds: number): number | undefined {
  const fixed = FIXED_OFFSET.exec(tz);
  if (fixed !== null) {
    const h = Number(fixed[2]);
    const m = Number(fixed[3]);
    if (h > 23 || m > 59) return undefined;
    return (fixed[1] === "-" ? -1 : 1) * (h * 3600 + m * 60);
  }
  if (tz === "UTC" || tz === "Z") return 0;
  const f = formatterFor(tz);
  if (f === null) return undefined;
  const parts = f.formatToParts(new Date(epochSeconds * 1000));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0");
  const bc = parts.find((p) => p.type === "era")?.value === "BC";
  const year = bc ? 1 - get("year") : get("year");
  const localDays = daysFromCivil(year, get("month"), get("day"));
  const localSeconds = localDays * 86400 + get("hour") * 3600 + get("minute") * 60 + get("second");
  return localSeconds - epochSeconds;
}

export function timestampField(t: CelTimestamp, field: TimestampField, tz?: string): bigint | CelError {
  let secs = floorDiv(t.nanos, NANOS_PER_SECOND);
  const frac = t.nanos - secs * NANOS_PER_SECOND;
  if (tz !== undefined) {
    const off = zoneOffsetSeconds(tz, Number(secs));
    if (off === undefined) return celErrors.invalidArgument(`unknown time zone \`${tz}\``);
    secs += BigInt(off);
  }
  const days = Number(floorDiv(secs, 86400n));
  const rem = Number(secs - BigInt(days) * 86400n);
  switch (field) {
    case "getHours":
      return BigInt(Math.floor(rem / 3600));
    case "getMinutes":
      return BigInt(Math.floor((rem % 3600) / 60));
    case "getSeconds":
      return BigInt(rem % 60);
    case "getMilliseconds":
      return frac / 1_000_000n;
    case "getDayOfWeek":
      // 1970-01-01 was a Thursday (4); Sunday is 0.
      return BigInt((((days + 4) % 7) + 7) % 7);
    default:
      break;
  }
  const { year, month, day } = civilFromDays(days);
  switch (field) {
    case "getFullYear":
      return BigInt(year);
    case "getMonth":
      return BigInt(month - 1);
    case "getDate":
      return BigInt(day);
    case "getDayOfMonth":
      return BigInt(day - 1);
    case "getDayOfYear":
      return BigInt(days - daysFromCivil(year, 1, 1));
    default:
      return celErrors.internal(`unknown timestamp field ${field}`);
  }
}

export type DurationField = "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds";

export function durationField(d: CelDuration, field: DurationField): bigint {
  switch (field) {
    case "getHours":
      return d.nanos / (3600n * NANOS_PER_SECOND);
    case "getMinutes":
      return d.nanos / (60n * NANOS_PER_SECOND);
    case "getSeconds":
      return d.nanos / NANOS_PER_SECOND;
    case "getMilliseconds":
      return (d.nanos % NANOS_PER_SECOND) / 1_000_000n;
  }
}
