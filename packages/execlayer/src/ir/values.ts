// Scalar conversions with exactly one canonical spelling each: integers from numbers or numeric strings (exact or
// rejected), RFC 3339 timestamps to UTC `Z` with a trimmed fraction, durations to protobuf/CEL seconds (`"1.5s"`),
// bytes to standard padded base64. Each returns the canonical value or a reason (a string) it was rejected.

// the calendar arithmetic is CEL's own (cel/values.ts), so both read a date the same way
import { civilFromDays, daysFromCivil } from "../cel/values.ts";
import type { Result } from "../vocabulary/result.ts";

export type Converted<T> = Result<T>;

const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const no = (error: string): { ok: false; error: string } => ({ ok: false, error });

// ---------------------------------------------------------------------------------------------------------------
// Numbers

/** A JSON number literal, the only syntax accepted inside a numeric string: no `+`, no leading zeros, no spaces. */
const JSON_NUMBER = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

export type ExactInteger = { readonly kind: "integer"; readonly value: bigint } | { readonly kind: "fraction" } | { readonly kind: "huge" };

/**
 * The exact integer a JSON number literal denotes (`"1e3"` -> 1000n, `"1.50e1"` -> 15n), `fraction` when it is not
 * an integer (`"1.5"`), `huge` when it has more than 80 digits (beyond every integer type), undefined when it is
 * not a JSON number at all. Exact: no detour through a double.
 */
export function exactInteger(text: string): ExactInteger | undefined {
  const m = JSON_NUMBER.exec(text);
  if (m === null) return undefined;
  const negative = m[1] === "-";
  let digits = m[2]! + (m[3] ?? "");
  const expText = m[4] ?? "0";
  digits = digits.replace(/^0+/, "");
  if (digits === "") return { kind: "integer", value: 0n };
  // Exponents beyond a few thousand make a fraction or a huge number; do not compute 10^1e9.
  if (expText.replace(/^[+-]?0*/, "").length > 6) return expText.startsWith("-") ? { kind: "fraction" } : { kind: "huge" };
  let exp = Number(expText) - (m[3]?.length ?? 0);
  while (exp < 0 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exp++;
  }
  if (exp < 0) return { kind: "fraction" };
  if (digits.length + exp > 80) return { kind: "huge" };
  const magnitude = BigInt(digits) * 10n ** BigInt(exp);
  return { kind: "integer", value: negative ? -magnitude : magnitude };
}

/** The double a JSON number literal denotes, or undefined when `text` is not a JSON number or overflows. */
export function doubleFromString(text: string): number | undefined {
  if (!JSON_NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? (n === 0 ? 0 : n) : undefined;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

// ---------------------------------------------------------------------------------------------------------------
// Timestamps

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))$/;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * An RFC 3339 timestamp in its canonical form: UTC, `T` and `Z` upper case, the fraction without trailing zeros
 * (none when zero), at most 9 fractional digits, years 0001-9999 (the protobuf Timestamp range), no leap second.
 * `2026-01-31T13:00:00.500+01:00` -> `2026-01-31T12:00:00.5Z`.
 */
export function canonicalTimestamp(text: string): Converted<string> {
  const m = RFC3339.exec(text);
  if (m === null) return no("expected RFC 3339, e.g. `2026-01-31T12:00:00Z`");
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const fraction = (m[7] ?? "").replace(/0+$/, "");
  if ((m[7]?.length ?? 0) > 9) return no("more than 9 fractional digits (finer than a nanosecond)");
  if (mo < 1 || mo > 12) return no(`month ${mo} does not exist`);
  const dim = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!;
  if (d < 1 || d > dim) return no(`day ${d} does not exist in month ${mo} of ${y}`);
  if (h > 23) return no(`hour ${h} does not exist`);
  if (mi > 59) return no(`minute ${mi} does not exist`);
  if (s === 60) return no("leap seconds are not representable");
  if (s > 59) return no(`second ${s} does not exist`);
  let offset = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return no("invalid UTC offset");
    offset = (m[9] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const total = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  const days = Math.floor(total / 86400);
  const rest = total - days * 86400;
  const { year: uy, month: um, day: ud } = civilFromDays(days);
  if (uy < 1 || uy > 9999) return no("outside years 0001-9999 in UTC");
  const time = `${pad(Math.floor(rest / 3600), 2)}:${pad(Math.floor((rest % 3600) / 60), 2)}:${pad(rest % 60, 2)}`;
  return ok(`${pad(uy, 4)}-${pad(um, 2)}-${pad(ud, 2)}T${time}${fraction === "" ? "" : "." + fraction}Z`);
}

/** Milliseconds since the epoch of 0001-01-01T00:00:00Z and just past 9999-12-31T23:59:59.999Z. */
const FIRST_MS = -62135596800000;
const PAST_LAST_MS = 253402300800000;

// A clock's readings come in bursts within one minute: its text up to the minute is reused while it lasts. Two
// minutes are kept, so times written side by side (a decision's time and its request's expiry) do not evict each other.
let minuteStartMs = Number.NaN;
let minutePrefix = "";
let otherStartMs = Number.NaN;
let otherPrefix = "";

/** `t` (whole ms, years 0001-9999) -> its milliseconds into the minute, with `minutePrefix` (`YYYY-MM-DDTHH:MM:`) set. */
function intoMinute(t: number): number {
  const rest = t - minuteStartMs;
  if (rest >= 0 && rest < 60_000) return rest;
  const start = t - (((t % 60_000) + 60_000) % 60_000);
  const prefix = start === otherStartMs ? otherPrefix : new Date(start).toISOString().slice(0, 17);
  otherStartMs = minuteStartMs;
  otherPrefix = minutePrefix;
  minuteStartMs = start;
  minutePrefix = prefix;
  return t - start;
}

/**
 * The canonical timestamp (as `canonicalTimestamp` writes it) of a clock reading in milliseconds since the epoch,
 * truncated to the millisecond as `Date` does; undefined outside years 0001-9999 or for a value that is not a time.
 * The runtime's request times take this path: no text to parse.
 */
export function timestampFromEpochMs(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const t = Math.trunc(ms);
  if (t < FIRST_MS || t >= PAST_LAST_MS) return undefined;
  const rest = intoMinute(t);
  const sec = Math.floor(rest / 1000);
  let milli = rest - sec * 1000;
  let text = minutePrefix + (sec < 10 ? "0" : "") + sec;
  if (milli !== 0) {
    let digits = 3;
    while (milli % 10 === 0) {
      milli /= 10;
      digits--;
    }
    text += "." + String(milli).padStart(digits, "0");
  }
  return text + "Z";
}

/**
 * RFC 3339 UTC with milliseconds, exactly as `Date.prototype.toISOString` writes it (receipt times, request expiries),
 * truncated to the millisecond; throws RangeError, as `Date` does, on a value that is not a time. Years 0001-9999
 * reuse the minute's text.
 */
export function isoMillis(ms: number): string {
  const t = Math.trunc(ms);
  if (!(t >= FIRST_MS && t < PAST_LAST_MS)) return new Date(t).toISOString();
  const rest = intoMinute(t);
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return minutePrefix + (sec < 10 ? "0" : "") + sec + "." + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z";
}

// ---------------------------------------------------------------------------------------------------------------
// Durations

const NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};
const GO_DURATION = /^([-+]?)((?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h|d))+)$/;
const GO_PART = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h|d)/g;
const ISO_DURATION = /^([-+]?)P(?:([0-9]+(?:\.[0-9]+)?)D)?(?:T(?:([0-9]+(?:\.[0-9]+)?)H)?(?:([0-9]+(?:\.[0-9]+)?)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$/;

const TOO_LONG = "beyond ±315576000000s (10,000 years)";

/** protobuf Duration's range: ±10,000 years of seconds, plus the nanoseconds of the last second */
export const MAX_DURATION_NANOS = 315_576_000_000n * 1_000_000_000n + 999_999_999n;

/** `amount` (decimal text) times `unit` nanoseconds; "fine" when that is finer than a nanosecond. */
function scaled(amount: string, unit: bigint): bigint | "fine" | "huge" {
  const [whole = "", frac = ""] = amount.split(".");
  const w = whole.replace(/^0+/, "");
  if (w.length > 24) return "huge"; // beyond any accepted duration in any unit
  const f = frac.replace(/0+$/, "");
  if (f.length > 24) return "fine"; // no unit makes more than 14 decimals whole nanoseconds
  const scale = 10n ** BigInt(f.length);
  const total = (BigInt(w === "" ? "0" : w) * scale + BigInt(f === "" ? "0" : f)) * unit;
  return total % scale === 0n ? total / scale : "fine";
}

/**
 * A duration in its canonical protobuf/CEL JSON form: seconds with the fraction trimmed of trailing zeros
 * (`"1.5s"`, `"3600s"`, `"-0.000000001s"`, `"0s"`). Accepts that form, Go/CEL strings (`"1h30m"`, `"300ms"`,
 * `"2.5us"`, also `d` for 24h) and ISO 8601 day-time durations (`"PT1H30M"`, `"P1DT2H"`); rejects amounts finer
 * than a nanosecond and beyond ±315,576,000,000 s.
 */
export function canonicalDuration(text: string): Converted<string> {
  let nanos = 0n;
  let negative = false;
  const go = GO_DURATION.exec(text);
  if (text === "0" || text === "-0" || text === "+0") {
    nanos = 0n;
  } else if (go !== null) {
    negative = go[1] === "-";
    for (const p of go[2]!.matchAll(GO_PART)) {
      const v = scaled(p[1]!, NANOS[p[2]!]!);
      if (typeof v === "string") return no(v === "fine" ? "finer than a nanosecond" : TOO_LONG);
      nanos += v;
    }
  } else {
    const iso = ISO_DURATION.exec(text);
    if (iso === null || (iso[2] === undefined && iso[3] === undefined && iso[4] === undefined && iso[5] === undefined) || text.endsWith("T")) {
      return no("expected e.g. `1.5s`, `1h30m`, `300ms` or `PT1H30M`");
    }
    negative = iso[1] === "-";
    const units = [NANOS.d!, NANOS.h!, NANOS.m!, NANOS.s!];
    for (let i = 0; i < 4; i++) {
      const amount = iso[i + 2];
      if (amount === undefined) continue;
      const v = scaled(amount, units[i]!);
      if (typeof v === "string") return no(v === "fine" ? "finer than a nanosecond" : TOO_LONG);
      nanos += v;
    }
  }
  if (nanos > MAX_DURATION_NANOS) return no(TOO_LONG);
  if (nanos === 0n) return ok("0s");
  const seconds = nanos / 1_000_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return ok(`${negative ? "-" : ""}${seconds}${frac === "" ? "" : "." + frac}s`);
}

// ---------------------------------------------------------------------------------------------------------------
// Bytes

const BASE64_STD = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9\-_]*={0,2}$/;

/**
 * Bytes as standard base64 with padding (RFC 4648 §4). Accepts standard or URL-safe alphabet (not mixed), padded
 * or not; no whitespace. Non-zero unused bits in the last character are ignored, as decoders do.
 */
export function canonicalBase64(text: string): Converted<string> {
  if (!BASE64_STD.test(text) && !BASE64_URL.test(text)) return no("only the base64 alphabet (standard or URL-safe, not mixed) and `=` padding");
  const body = text.replace(/=+$/, "");
  const padding = text.length - body.length;
  if (body.length % 4 === 1) return no("truncated (length is 1 more than a multiple of 4)");
  if (padding > 0 && (text.length % 4 !== 0 || (body.length % 4) + padding !== 4)) return no("wrong padding");
  return ok(Buffer.from(body, "base64").toString("base64"));
}
