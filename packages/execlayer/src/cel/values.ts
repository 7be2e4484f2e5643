// The CEL value model.
//
//   CEL type        JS representation
//   int             bigint (always within int64; arithmetic checks overflow)
//   uint            CelUint (a bigint within uint64, wrapped so `type()` and heterogeneous equality can tell it apart)
//   double          number
//   bool            boolean
//   string          string
//   bytes           Uint8Array
//   null_type       null
//   list            readonly CelValue[]
//   map             CelMap (int/uint/string/bool keys; numerically equal int/uint/double keys are the same key)
//   timestamp       CelTimestamp (nanoseconds since the Unix epoch, 0001-01-01..9999-12-31)
//   duration        CelDuration (nanoseconds, within int64: about ±292 years, as CEL specifies)
//   type            CelTypeValue
//   records         CelRecord (our schema records: a declared set of fields, optional ones may be absent)
//
// Errors are CelError values (errors.ts), never thrown and never stored inside lists or maps.
import { CelError, celErrors } from "./errors.ts";

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;

export class CelUint {
  constructor(readonly value: bigint) {}
  toString(): string {
    return `${this.value}u`;
  }
}

export function celUint(v: bigint | number): CelUint {
  return new CelUint(typeof v === "bigint" ? v : BigInt(v));
}

export const NANOS_PER_SECOND = 1_000_000_000n;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z in seconds since the epoch. */
export const MIN_TIMESTAMP_SECONDS = -62135596800n;
export const MAX_TIMESTAMP_SECONDS = 253402300799n;
export const MIN_TIMESTAMP_NANOS = MIN_TIMESTAMP_SECONDS * NANOS_PER_SECOND;
export const MAX_TIMESTAMP_NANOS = MAX_TIMESTAMP_SECONDS * NANOS_PER_SECOND + 999_999_999n;
/**
 * Durations are one int64 of nanoseconds, about ±292 years: the CEL language definition's limit ("Duration
 * values are limited to a single int64 value"), which the conformance suite tests (a timestamp difference of 9998
 * years is a range error), rather than protobuf's ±10000 years.
 */
export const MAX_DURATION_NANOS = (1n << 63n) - 1n;
export const MIN_DURATION_NANOS = -(1n << 63n);

export class CelTimestamp {
  constructor(readonly nanos: bigint) {}
  static fromMillis(ms: number): CelTimestamp {
    return new CelTimestamp(BigInt(Math.trunc(ms)) * 1_000_000n);
  }
  toDate(): Date {
    return new Date(Number(this.nanos / 1_000_000n));
  }
}

export class CelDuration {
  constructor(readonly nanos: bigint) {}
  static fromMillis(ms: number): CelDuration {
    return new CelDuration(BigInt(Math.trunc(ms)) * 1_000_000n);
  }
}

/** A type as a runtime value: `type(1) == int`. Identified by name. */
export class CelTypeValue {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export const TypeValues = {
  int: new CelTypeValue("int"),
  uint: new CelTypeValue("uint"),
  double: new CelTypeValue("double"),
  bool: new CelTypeValue("bool"),
  string: new CelTypeValue("string"),
  bytes: new CelTypeValue("bytes"),
  null: new CelTypeValue("null_type"),
  list: new CelTypeValue("list"),
  map: new CelTypeValue("map"),
  type: new CelTypeValue("type"),
  timestamp: new CelTypeValue("google.protobuf.Timestamp"),
  duration: new CelTypeValue("google.protobuf.Duration"),
} as const;

/**
 * A schema record: `fields` is a plain object of field name -> value; an absent optional field is simply missing
 * (or `undefined`). `typeName` identifies the record type for `type()` and equality.
 */
export class CelRecord {
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, CelValue | undefined>>,
  ) {}
  get(name: string): CelValue | undefined {
    return Object.prototype.hasOwnProperty.call(this.fields, name) ? this.fields[name] : undefined;
  }
}

/**
 * A value of an extension library's abstract type (OpaqueType): optionals, IP addresses, CIDR ranges, URLs.
 * Immutable; equality, display and JSON are the subclass's.
 */
export abstract class CelOpaqueValue {
  /** the runtime type name, as `type(v)` shows it: `optional_type`, `net.IP` */
  abstract readonly typeName: string;
  abstract equals(other: CelValue): boolean;
  abstract display(): string;
  abstract toJsonValue(): unknown;
  /** the work of walking the value (cost accounting of equality) */
  size(): number {
    return 1;
  }
}

/** `optional.of(x)` / `optional.none()`: `value` is undefined when empty. */
export class CelOptional extends CelOpaqueValue {
  private constructor(readonly value: CelValue | undefined) {
    super();
  }
  static readonly NONE = new CelOptional(undefined);
  static of(v: CelValue): CelOptional {
    return new CelOptional(v);
  }
  get typeName(): string {
    return "optional_type";
  }
  hasValue(): boolean {
    return this.value !== undefined;
  }
  equals(other: CelValue): boolean {
    if (!(other instanceof CelOptional)) return false;
    if (this.value === undefined || other.value === undefined) return this.value === other.value;
    return celEquals(this.value, other.value);
  }
  display(): string {
    return this.value === undefined ? "optional.none()" : `optional.of(${displayValue(this.value)})`;
  }
  toJsonValue(): unknown {
    return this.value;
  }
}

/** The JS key a CEL map key is stored under: int, uint and integral doubles share bigint keys. */
type MapKeyJs = string | bigint | boolean;

/** Converts a CEL value to its map-storage key; undefined when the value cannot be a map key. */
export function mapKeyOf(k: CelValue): MapKeyJs | undefined {
  switch (typeof k) {
    case "string":
    case "boolean":
    case "bigint":
      return k;
    case "number":
      return Number.isInteger(k) && Math.abs(k) <= 2 ** 64 ? BigInt(k) : undefined;
    default:
      return k instanceof CelUint ? k.value : undefined;
  }
}

function isValidKeyValue(k: CelValue): boolean {
  return typeof k === "string" || typeof k === "boolean" || typeof k === "bigint" || k instanceof CelUint;
}

export class CelMap {
  private readonly entries_: Map<MapKeyJs, readonly [CelValue, CelValue]>;

  private constructor(entries: Map<MapKeyJs, readonly [CelValue, CelValue]>) {
    this.entries_ = entries;
  }

  static readonly EMPTY = new CelMap(new Map());

  /** Builds a map; a repeated key or a key of an unsupported type (double, null, list...) is an error. */
  static from(entries: Iterable<readonly [CelValue, CelValue]>): CelMap | CelError {
    const m = new Map<MapKeyJs, readonly [CelValue, CelValue]>();
    for (const [k, v] of entries) {
      if (!isValidKeyValue(k)) return celErrors.invalidArgument(`unsupported key type: ${typeNameOf(k)}`);
      const jk = mapKeyOf(k)!;
      if (m.has(jk)) return celErrors.invalidArgument(`repeated key in map literal: ${displayValue(k)}`);
      m.set(jk, [k, v]);
    }
    return new CelMap(m);
  }

  /** From a JS object with string keys (trusted values). */
  static fromObject(obj: Readonly<Record<string, CelValue>>): CelMap {
    const m = new Map<MapKeyJs, readonly [CelValue, CelValue]>();
    for (const k of Object.keys(obj)) m.set(k, [k, obj[k]!]);
    return new CelMap(m);
  }

  get size(): number {
    return this.entries_.size;
  }

  /** Lookup with CEL key semantics (`{1: "a"}[1u]`, `{1: "a"}[1.0]`); undefined when absent. */
  get(key: CelValue): CelValue | undefined {
    const jk = mapKeyOf(key);
    if (jk === undefined) return undefined;
    return this.entries_.get(jk)?.[1];
  }

  /** Fast path for string keys (field selection). */
  getString(key: string): CelValue | undefined {
    return this.entries_.get(key)?.[1];
  }

  has(key: CelValue): boolean {
    const jk = mapKeyOf(key);
    return jk !== undefined && this.entries_.has(jk);
  }

  *keys(): IterableIterator<CelValue> {
    for (const [k] of this.entries_.values()) yield k;
  }

  entries(): IterableIterator<readonly [CelValue, CelValue]> {
    return this.entries_.values();
  }
}

export type CelValue =
  | bigint
  | number
  | boolean
  | string
  | Uint8Array
  | null
  | CelUint
  | readonly CelValue[]
  | CelMap
  | CelTimestamp
  | CelDuration
  | CelTypeValue
  | CelRecord
  | CelOpaqueValue;

export type CelResult = CelValue | CelError;

/** The runtime type of a value, as `type(v)` reports it. */
export function typeOf(v: CelValue): CelTypeValue {
  switch (typeof v) {
    case "bigint":
      return TypeValues.int;
    case "number":
      return TypeValues.double;
    case "boolean":
      return TypeValues.bool;
    case "string":
      return TypeValues.string;
    default:
      if (v === null) return TypeValues.null;
      if (Array.isArray(v)) return TypeValues.list;
      if (v instanceof CelUint) return TypeValues.uint;
      if (v instanceof Uint8Array) return TypeValues.bytes;
      if (v instanceof CelMap) return TypeValues.map;
      if (v instanceof CelTimestamp) return TypeValues.timestamp;
      if (v instanceof CelDuration) return TypeValues.duration;
      if (v instanceof CelTypeValue) return TypeValues.type;
      if (v instanceof CelRecord) return new CelTypeValue(v.typeName);
      if (v instanceof CelOpaqueValue) return new CelTypeValue(v.typeName);
      return TypeValues.null;
  }
}

export function typeNameOf(v: CelValue | CelError): string {
  if (v instanceof CelError) return "error";
  return typeOf(v).name;
}

// ---------------------------------------------------------------------------------------------------------------
// Equality and ordering.

/** 2^63 as a double, also what INT64_MAX becomes as a double */
export const TWO_63 = 9223372036854775808;
/** 2^64 as a double */
export const TWO_64 = 18446744073709551616;

/**
 * int vs double, as cel-go and the conformance suite define it: out-of-range doubles order outside, otherwise the
 * int is converted to double (so 2^63-1 equals 2^63.0).
 */
function compareIntDouble(i: bigint, d: number): number {
  if (d < -TWO_63) return 1;
  if (d > TWO_63) return -1;
  const x = Number(i);
  return x < d ? -1 : x > d ? 1 : 0;
}

function compareUintDouble(u: bigint, d: number): number {
  if (d < 0) return 1;
  if (d > TWO_64) return -1;
  const x = Number(u);
  return x < d ? -1 : x > d ? 1 : 0;
}

/** Numeric comparison across int/uint/double: -1, 0, 1, or undefined (NaN or not both numeric). */
export function compareNumeric(a: CelValue, b: CelValue): number | undefined {
  if (typeof a === "bigint") {
    if (typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    if (typeof b === "number") return Number.isNaN(b) ? undefined : compareIntDouble(a, b);
    if (b instanceof CelUint) return a < b.value ? -1 : a > b.value ? 1 : 0;
    return undefined;
  }
  if (typeof a === "number") {
    if (Number.isNaN(a)) return undefined;
    if (typeof b === "number") return Number.isNaN(b) ? undefined : a < b ? -1 : a > b ? 1 : 0;
    if (typeof b === "bigint") return -compareIntDouble(b, a);
    if (b instanceof CelUint) return -compareUintDouble(b.value, a);
    return undefined;
  }
  if (a instanceof CelUint) {
    if (b instanceof CelUint) return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    if (typeof b === "bigint") return a.value < b ? -1 : a.value > b ? 1 : 0;
    if (typeof b === "number") return Number.isNaN(b) ? undefined : compareUintDouble(a.value, b);
  }
  return undefined;
}

/** String order by Unicode code point (what UTF-8 byte order gives), not by UTF-16 code unit. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (D800-DFFF) encode code points above FFFF: they must sort after E000-FFFF.
      if (ca >= 0xd800) ca = ca <= 0xdfff ? ca + 0x2000 : ca - 0x800;
      if (cb >= 0xd800) cb = cb <= 0xdfff ? cb + 0x2000 : cb - 0x800;
      return ca < cb ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * CEL ordering (`<`, `<=`, ...): numbers across int/uint/double, strings, bytes, bools, timestamps, durations.
 * Returns -1/0/1, NaN when a double NaN is involved (every comparison is then false), or undefined when the
 * operands are not comparable (no such overload).
 */
export function compareValues(a: CelValue, b: CelValue): number | undefined {
  const ta = typeof a;
  if (ta === "string" && typeof b === "string") return compareStrings(a as string, b);
  if (ta === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  const num = compareNumeric(a, b);
  if (num !== undefined) return num;
  if (isNumeric(a) && isNumeric(b)) return NaN;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a instanceof CelTimestamp && b instanceof CelTimestamp)
    return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
  if (a instanceof CelDuration && b instanceof CelDuration) return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
  return undefined;
}

export function isNumeric(v: CelValue): boolean {
  return typeof v === "bigint" || typeof v === "number" || v instanceof CelUint;
}

/** CEL equality: heterogeneous (values of different types are unequal, numbers compare numerically). */
export function celEquals(a: CelValue, b: CelValue): boolean {
  if (a === b) return typeof a !== "number" || !Number.isNaN(a);
  switch (typeof a) {
    case "string":
    case "boolean":
      return false;
    case "bigint":
    case "number":
      return compareNumeric(a, b) === 0;
    default:
      break;
  }
  if (a === null || b === null) return false;
  if (a instanceof CelUint) return compareNumeric(a, b) === 0;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!celEquals(a[i] as CelValue, b[i] as CelValue)) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && compareBytes(a, b) === 0;
  if (a instanceof CelMap) {
    if (!(b instanceof CelMap) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const bv = b.get(k);
      if (bv === undefined || !celEquals(v, bv)) return false;
    }
    return true;
  }
  if (a instanceof CelTimestamp) return b instanceof CelTimestamp && a.nanos === b.nanos;
  if (a instanceof CelDuration) return b instanceof CelDuration && a.nanos === b.nanos;
  if (a instanceof CelTypeValue) return b instanceof CelTypeValue && a.name === b.name;
  if (a instanceof CelOpaqueValue) return a.equals(b);
  if (a instanceof CelRecord) {
    if (!(b instanceof CelRecord) || a.typeName !== b.typeName) return false;
    const names = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
    for (const n of names) {
      const x = a.get(n);
      const y = b.get(n);
      if (x === undefined || y === undefined) {
        if (x !== y) return false;
      } else if (!celEquals(x, y)) return false;
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Display (error messages, debugging).

export function displayValue(v: CelValue): string {
  switch (typeof v) {
    case "bigint":
      return v.toString();
    case "number":
      return formatDouble(v);
    case "boolean":
      return String(v);
    case "string":
      return JSON.stringify(v);
    default:
      if (v === null) return "null";
      if (Array.isArray(v)) return `[${v.map((x) => displayValue(x as CelValue)).join(", ")}]`;
      if (v instanceof CelUint) return `${v.value}u`;
      if (v instanceof Uint8Array) return `b"${[...v].map((x) => "\\x" + x.toString(16).padStart(2, "0")).join("")}"`;
      if (v instanceof CelMap)
        return `{${[...v.entries()].map(([k, x]) => `${displayValue(k)}: ${displayValue(x)}`).join(", ")}}`;
      if (v instanceof CelTimestamp) return `timestamp(${JSON.stringify(formatTimestampBasic(v.nanos))})`;
      if (v instanceof CelDuration) return `duration("${formatDurationBasic(v.nanos)}")`;
      if (v instanceof CelTypeValue) return v.name;
      if (v instanceof CelOpaqueValue) return v.display();
      if (v instanceof CelRecord)
        return `${v.typeName}{${Object.entries(v.fields)
          .filter(([, x]) => x !== undefined)
          .map(([k, x]) => `${k}: ${displayValue(x as CelValue)}`)
          .join(", ")}}`;
      return String(v);
  }
}

/**
 * A double in messages: JS's shortest round-trip text, with Go's names for the non-finite values. (CEL's own
 * string(double) is `doubleToString` in arith.ts.)
 */
function formatDouble(d: number): string {
  if (Number.isNaN(d)) return "NaN";
  if (d === Infinity) return "+Inf";
  if (d === -Infinity) return "-Inf";
  return String(d);
}

export function formatDurationBasic(nanos: bigint): string {
  const neg = nanos < 0n;
  const abs = neg ? -nanos : nanos;
  const secs = abs / NANOS_PER_SECOND;
  const frac = abs % NANOS_PER_SECOND;
  let out = secs.toString();
  if (frac !== 0n) out += "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return (neg ? "-" : "") + out + "s";
}

/** Division rounding toward negative infinity (bigint `/` truncates toward zero); `b` must be positive. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a < 0n && q * b !== a ? q - 1n : q;
}

/** RFC 3339 in UTC with the shortest fractional seconds (trailing zeros dropped, as Go's RFC3339Nano does). */
export function formatTimestampBasic(nanos: bigint): string {
  const secs = floorDiv(nanos, NANOS_PER_SECOND);
  const frac = nanos - secs * NANOS_PER_SECOND;
  const days = floorDiv(secs, 86400n);
  const rem = Number(secs - days * 86400n);
  const { year, month, day } = civilFromDays(Number(days));
  const hh = Math.floor(rem / 3600);
  const mm = Math.floor((rem % 3600) / 60);
  const ss = rem % 60;
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  let f = "";
  if (frac !== 0n) {
    f = "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  }
  return `${p(year, 4)}-${p(month)}-${p(day)}T${p(hh)}:${p(mm)}:${p(ss)}${f}Z`;
}

/** Days since 1970-01-01 -> proleptic Gregorian date (Howard Hinnant's algorithm). */
export function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { year: m <= 2 ? y + 1 : y, month: m, day: d };
}

/** Proleptic Gregorian date -> days since 1970-01-01. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
