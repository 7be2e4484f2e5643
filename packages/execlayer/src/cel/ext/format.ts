// `"...".format([args])`, as cel-go's strings extension (formatting_v2.go) defines it: clauses %s %d %f %e %b %o
// %x %X, an optional precision (`%.3f`, at most 100), `%%` for a percent sign. Values format as cel-go prints them
// (doubles in shortest plain decimal, durations as seconds, timestamps RFC 3339 in UTC, maps sorted by key).
import { celErrors, CelError } from "../errors.ts";
import {
  CelDuration,
  CelMap,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  compareStrings,
  typeNameOf,
  type CelResult,
  type CelValue,
} from "../values.ts";
import { formatTimestamp } from "../time.ts";

const MAX_PRECISION = 100;
const DEFAULT_PRECISION = 6;

const utf8 = new TextEncoder();
const utf8Lenient = new TextDecoder("utf-8");

export function formatValue(format: string, args: readonly CelValue[]): CelResult {
  let out = "";
  let argIndex = 0;
  let k = 0;
  while (k < format.length) {
    const c = format[k]!;
    if (c !== "%") {
      const next = format.indexOf("%", k);
      const end = next === -1 ? format.length : next;
      out += format.slice(k, end);
      k = end;
      continue;
    }
    if (format[k + 1] === "%") {
      out += "%";
      k += 2;
      continue;
    }
    if (argIndex >= args.length) return celErrors.invalidArgument(`index ${argIndex} out of range`);
    if (k + 1 >= format.length) return celErrors.invalidArgument("unexpected end of string");
    // precision
    let j = k + 1;
    let precision = DEFAULT_PRECISION;
    if (format[j] === ".") {
      j++;
      const start = j;
      while (j < format.length && format[j]! >= "0" && format[j]! <= "9") j++;
      if (j >= format.length) return parseError("could not find end of precision specifier");
      precision = start === j ? 0 : Number(format.slice(start, j));
      if (precision > MAX_PRECISION)
        return parseError(`precision ${precision} exceeds maximum allowed precision ${MAX_PRECISION}`);
    }
    const verb = format[j]!;
    const arg = args[argIndex]!;
    let r: string | CelError;
    switch (verb) {
      case "s":
        r = formatString(arg);
        break;
      case "d":
        r = decimal(arg);
        break;
      case "f":
        r = fixed(arg, precision);
        break;
      case "e":
        r = scientific(arg, precision);
        break;
      case "b":
        r = binary(arg);
        break;
      case "o":
        r = octal(arg);
        break;
      case "x":
      case "X":
        r = hex(arg, verb === "X");
        break;
      default:
        return parseError(`unrecognized formatting clause "${verb}"`);
    }
    if (r instanceof CelError) return r;
    out += r;
    argIndex++;
    k = j + 1;
  }
  return out;
}

function parseError(why: string): CelError {
  return celErrors.invalidArgument(`could not parse formatting clause: ${why}`);
}

function formattingError(why: string): CelError {
  return celErrors.invalidArgument(`error during formatting: ${why}`);
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64): the shortest round-trip digits, never in exponent form. */
export function plainDecimal(x: number): string {
  const t = String(x);
  const e = t.indexOf("e");
  if (e === -1) return t;
  const neg = t.startsWith("-");
  const mant = t.slice(neg ? 1 : 0, e);
  const exp = Number(t.slice(e + 1));
  const dot = mant.indexOf(".");
  const digits = mant.replace(".", "");
  const intLen = (dot === -1 ? mant.length : dot) + exp;
  let body: string;
  if (intLen <= 0) body = "0." + "0".repeat(-intLen) + digits;
  else if (intLen >= digits.length) body = digits + "0".repeat(intLen - digits.length);
  else body = digits.slice(0, intLen) + "." + digits.slice(intLen);
  return (neg ? "-" : "") + body;
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return undefined;
}

function formatString(v: CelValue): string | CelError {
  switch (typeof v) {
    case "string":
      return v;
    case "boolean":
      return String(v);
    case "bigint":
      return v.toString();
    case "number":
      return nonFinite(v) ?? plainDecimal(v);
    default:
      break;
  }
  if (v === null) return "null";
  if (v instanceof CelUint) return v.value.toString();
  if (v instanceof Uint8Array) return utf8Lenient.decode(v);
  if (v instanceof CelDuration) return plainDecimal(Number(v.nanos) / 1e9) + "s";
  if (v instanceof CelTimestamp) return formatTimestamp(v);
  if (v instanceof CelTypeValue) return v.name;
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const x of v) {
      const p = formatString(x as CelValue);
      if (p instanceof CelError) return p;
      parts.push(p);
    }
    return `[${parts.join(", ")}]`;
  }
  if (v instanceof CelMap) {
    const entries: [string, string][] = [];
    for (const [k, x] of v.entries()) {
      const ks = formatString(k);
      if (ks instanceof CelError) return ks;
      const xs = formatString(x);
      if (xs instanceof CelError) return xs;
      entries.push([ks, xs]);
    }
    entries.sort((a, b) => compareStrings(a[0], b[0]));
    return `{${entries.map(([k, x]) => `${k}: ${x}`).join(", ")}}`;
  }
  return formattingError(
    `string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given ${typeNameOf(v)}`,
  );
}

function decimal(v: CelValue): string | CelError {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof CelUint) return v.value.toString();
  if (typeof v === "number") return nonFinite(v) ?? plainDecimal(v);
  return formattingError(`decimal clause can only be used on integers, was given ${typeNameOf(v)}`);
}

function asDouble(v: CelValue): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof CelUint) return Number(v.value);
  return undefined;
}

function fixed(v: CelValue, precision: number): string | CelError {
  const x = asDouble(v);
  if (x === undefined) return formattingError(`fixed-point clause can only be used on doubles, was given ${typeNameOf(v)}`);
  return nonFinite(x) ?? toFixedHalfEven(x, precision);
}

/**
 * `x.toFixed(p)` rounds an exact tie away from zero; Go (and so cel-go) rounds it to even: `%.0f` of 2.5 is "2".
 * Ties are exact binary values, so they are detected exactly.
 */
function toFixedHalfEven(x: number, p: number): string {
  if (Math.abs(x) >= 1e21) return BigInt(x).toString() + (p > 0 ? "." + "0".repeat(p) : "");
  const t = x.toFixed(p);
  if (!isExactTie(x, p)) return t;
  const last = t.charCodeAt(t.length - 1) - 48;
  // toFixed chose the larger magnitude; when that digit is odd the even neighbour is one unit smaller
  return last % 2 === 1 ? t.slice(0, -1) + String(last - 1) : t;
}

/** Is |x| * 10^p exactly halfway between two integers? */
function isExactTie(x: number, p: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  if (exp >= 0 || mant === 0n) return false;
  // |x| * 10^p = mant * 10^p / 2^-exp; a tie when the remainder is exactly half the divisor
  const divisor = 1n << BigInt(-exp);
  return (mant * 10n ** BigInt(p)) % divisor === divisor >> 1n;
}

function scientific(v: CelValue, precision: number): string | CelError {
  const x = asDouble(v);
  if (x === undefined) return formattingError(`scientific clause can only be used on doubles, was given ${typeNameOf(v)}`);
  const nf = nonFinite(x);
  if (nf !== undefined) return nf;
  const t = x.toExponential(precision);
  // Go writes at least two exponent digits: 1.052033e+03
  return t.replace(/e([+-])(\d)$/, "e$10$2");
}

function binary(v: CelValue): string | CelError {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "bigint") return v.toString(2);
  if (v instanceof CelUint) return v.value.toString(2);
  return formattingError(`only integers and bools can be formatted as binary, was given ${typeNameOf(v)}`);
}

function octal(v: CelValue): string | CelError {
  if (typeof v === "bigint") return v.toString(8);
  if (v instanceof CelUint) return v.value.toString(8);
  return formattingError(`octal clause can only be used on integers, was given ${typeNameOf(v)}`);
}

function hex(v: CelValue, upper: boolean): string | CelError {
  let t: string;
  if (typeof v === "bigint") t = v.toString(16);
  else if (v instanceof CelUint) t = v.value.toString(16);
  else if (typeof v === "string") t = bytesHex(utf8.encode(v));
  else if (v instanceof Uint8Array) t = bytesHex(v);
  else return formattingError(`only integers, byte buffers, and strings can be formatted as hex, was given ${typeNameOf(v)}`);
  return upper ? t.toUpperCase() : t;
}

function bytesHex(b: Uint8Array): string {
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}
