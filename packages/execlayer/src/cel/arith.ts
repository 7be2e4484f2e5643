// int64 / uint64 / double arithmetic and conversions with CEL's error semantics: overflow, division and modulus by
// zero, and out-of-range conversions are error values.
import { CelError, celErrors } from "./errors.ts";
import { CelUint, INT64_MAX, INT64_MIN, TWO_63, TWO_64, UINT64_MAX } from "./values.ts";

export function checkInt(r: bigint, op: string): bigint | CelError {
  return r > INT64_MAX || r < INT64_MIN ? celErrors.overflow(op) : r;
}

export function checkUint(r: bigint, op: string): CelUint | CelError {
  return r > UINT64_MAX || r < 0n ? celErrors.overflow(op) : new CelUint(r);
}

export function addInt(a: bigint, b: bigint): bigint | CelError {
  return checkInt(a + b, "addition");
}
export function subInt(a: bigint, b: bigint): bigint | CelError {
  return checkInt(a - b, "subtraction");
}
export function mulInt(a: bigint, b: bigint): bigint | CelError {
  return checkInt(a * b, "multiplication");
}
export function divInt(a: bigint, b: bigint): bigint | CelError {
  if (b === 0n) return celErrors.divisionByZero();
  if (a === INT64_MIN && b === -1n) return celErrors.overflow("division");
  return a / b; // bigint division truncates toward zero, as CEL specifies
}
export function modInt(a: bigint, b: bigint): bigint | CelError {
  if (b === 0n) return celErrors.modulusByZero();
  if (a === INT64_MIN && b === -1n) return celErrors.overflow("modulus");
  return a % b; // sign of the dividend, as CEL specifies
}
export function negInt(a: bigint): bigint | CelError {
  return checkInt(-a, "negation");
}

export function addUint(a: CelUint, b: CelUint): CelUint | CelError {
  return checkUint(a.value + b.value, "addition");
}
export function subUint(a: CelUint, b: CelUint): CelUint | CelError {
  return checkUint(a.value - b.value, "subtraction");
}
export function mulUint(a: CelUint, b: CelUint): CelUint | CelError {
  return checkUint(a.value * b.value, "multiplication");
}
export function divUint(a: CelUint, b: CelUint): CelUint | CelError {
  if (b.value === 0n) return celErrors.divisionByZero();
  return new CelUint(a.value / b.value);
}
export function modUint(a: CelUint, b: CelUint): CelUint | CelError {
  if (b.value === 0n) return celErrors.modulusByZero();
  return new CelUint(a.value % b.value);
}

export function doubleToInt(d: number): bigint | CelError {
  if (!Number.isFinite(d) || d <= -TWO_63 || d >= TWO_63) return celErrors.range("int conversion of a double");
  return BigInt(Math.trunc(d));
}

export function doubleToUint(d: number): CelUint | CelError {
  if (!Number.isFinite(d) || d <= -1 || d >= TWO_64) return celErrors.range("uint conversion of a double");
  return new CelUint(BigInt(Math.trunc(d)));
}

export function uintToInt(u: CelUint): bigint | CelError {
  return u.value > INT64_MAX ? celErrors.range("int conversion of a uint") : u.value;
}

export function intToUint(i: bigint): CelUint | CelError {
  return i < 0n ? celErrors.range("uint conversion of a negative int") : new CelUint(i);
}

const INT_TEXT = /^[+-]?\d+$/;
const UINT_TEXT = /^\+?\d+$/;

export function stringToInt(s: string): bigint | CelError {
  if (!INT_TEXT.test(s)) return celErrors.conversion(`cannot convert \`${s}\` to int`);
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? celErrors.range("int conversion of a string") : v;
}

export function stringToUint(s: string): CelUint | CelError {
  if (!UINT_TEXT.test(s)) return celErrors.conversion(`cannot convert \`${s}\` to uint`);
  const v = BigInt(s);
  return v > UINT64_MAX ? celErrors.range("uint conversion of a string") : new CelUint(v);
}

const DOUBLE_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_DOUBLE = /^[+-]?(?:inf|infinity|nan)$/i;

export function stringToDouble(s: string): number | CelError {
  if (DOUBLE_TEXT.test(s)) return Number(s);
  if (SPECIAL_DOUBLE.test(s)) {
    const lower = s.toLowerCase();
    if (lower.endsWith("nan")) return NaN;
    return lower.startsWith("-") ? -Infinity : Infinity;
  }
  return celErrors.conversion(`cannot convert \`${s}\` to double`);
}

/** Go's `%g` (shortest representation), which cel-go uses for string(double). */
export function doubleToString(d: number): string {
  if (Number.isNaN(d)) return "NaN";
  if (d === Infinity) return "+Inf";
  if (d === -Infinity) return "-Inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const [mant, expText] = d.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  if (exp < -4 || exp >= 6) {
    // Go switches to exponent form at 1e+06 (and below 1e-04) for the shortest %g.
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${neg ? "-" : ""}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  let out: string;
  if (exp < 0) out = "0." + "0".repeat(-exp - 1) + digits;
  else if (digits.length <= exp + 1) out = digits + "0".repeat(exp + 1 - digits.length);
  else out = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  return (neg ? "-" : "") + out;
}

/** Number of Unicode code points (CEL `size(string)`). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
