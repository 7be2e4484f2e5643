// CEL's math extension (cel-go ext/math.go): math.greatest / math.least over numbers of mixed types (variadic or
// one list), ceil, floor, round, trunc, abs, sign, sqrt, isNaN, isInf, isFinite, and the bit operations on int
// and uint. Shifts are logical (a right shift of a negative int fills with zeros), past 63 bits they give 0.
import { T, listType, type CelType } from "../types.ts";
import { celErrors } from "../errors.ts";
import { negInt } from "../arith.ts";
import { CelUint, INT64_MIN, compareNumeric, isNumeric, typeNameOf, type CelResult, type CelValue } from "../values.ts";
import { globalFn, type ExtOverload } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

const d = (v: CelValue) => v as number;
const i = (v: CelValue) => v as bigint;
const u = (v: CelValue) => (v as CelUint).value;

/** The greatest (sign 1) or least (sign -1) of numbers of any numeric types; the winner keeps its type. */
function extreme(values: readonly CelValue[], sign: 1 | -1, fn: string): CelResult {
  if (values.length === 0) return celErrors.invalidArgument(`${fn}(): list must not be empty`);
  let best: CelValue | undefined;
  for (const v of values) {
    if (!isNumeric(v)) return celErrors.noSuchOverload(fn, [typeNameOf(v)]);
    if (best === undefined) {
      best = v;
      continue;
    }
    const c = compareNumeric(v, best);
    // NaN compares as undefined: cel-go's comparison then keeps the current value
    if (c !== undefined && c * sign > 0) best = v;
  }
  return best!;
}

const NUMBERS: readonly [string, CelType][] = [
  ["int", T.int],
  ["uint", T.uint],
  ["double", T.double],
];

function extremeDecl(name: string, sign: 1 | -1): FunctionDecl {
  const overloads: ExtOverload[] = [];
  const variadic = (...args: CelValue[]) => extreme(args, sign, name);
  for (const [n, t] of NUMBERS) {
    overloads.push({ id: `${name}_${n}`, params: [t], result: t, impl: variadic, cost: () => 1 });
    overloads.push({ id: `${name}_${n}_variadic`, params: [t], rest: t, result: t, impl: variadic, cost: (a) => a.length });
    overloads.push({ id: `${name}_list_${n}`, params: [listType(t)], result: t, impl: (l) => extreme(l as readonly CelValue[], sign, name), cost: (a) => (a[0] as readonly CelValue[]).length });
  }
  // Mixed numeric types (`math.greatest(1, 2.5, 3u)`); the checker accepts only numeric (or dyn) arguments.
  overloads.push({ id: `${name}_dyn_variadic`, params: [T.dyn], rest: T.dyn, result: T.dyn, impl: variadic, cost: (a) => a.length });
  overloads.push({ id: `${name}_list_dyn`, params: [listType(T.dyn)], result: T.dyn, impl: (l) => extreme(l as readonly CelValue[], sign, name), cost: (a) => (a[0] as readonly CelValue[]).length });
  return globalFn(name, overloads);
}

/** Go's math.Round: half away from zero. */
function round(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function absInt(x: bigint): CelResult {
  if (x === INT64_MIN) return celErrors.overflow("math.abs");
  return x < 0n ? negInt(x) : x;
}

const MASK64 = (1n << 64n) - 1n;

function shift(x: bigint, by: bigint, left: boolean, unsigned: boolean): CelResult {
  if (by < 0n) return celErrors.invalidArgument(`math.bitShift${left ? "Left" : "Right"}() negative offset: ${by}`);
  if (by > 63n) return unsigned ? new CelUint(0n) : 0n;
  const bits = x & MASK64;
  const r = left ? (bits << by) & MASK64 : bits >> by;
  return unsigned ? new CelUint(r) : BigInt.asIntN(64, r);
}

const doubleFn = (name: string, f: (x: number) => number): FunctionDecl =>
  globalFn(name, [{ id: `${name}_double`, params: [T.double], result: T.double, impl: (x) => f(d(x)), cost: () => 1 }]);

const doublePredicate = (name: string, f: (x: number) => boolean): FunctionDecl =>
  globalFn(name, [{ id: `${name}_double`, params: [T.double], result: T.bool, impl: (x) => f(d(x)), cost: () => 1 }]);

function bitwise(name: string, op: (a: bigint, b: bigint) => bigint): FunctionDecl {
  return globalFn(name, [
    { id: `${name}_int_int`, params: [T.int, T.int], result: T.int, impl: (a, b) => BigInt.asIntN(64, op(i(a), i(b))), cost: () => 1 },
    { id: `${name}_uint_uint`, params: [T.uint, T.uint], result: T.uint, impl: (a, b) => new CelUint(BigInt.asUintN(64, op(u(a), u(b)))), cost: () => 1 },
  ]);
}

function shiftDecl(name: string, left: boolean): FunctionDecl {
  return globalFn(name, [
    { id: `${name}_int_int`, params: [T.int, T.int], result: T.int, impl: (a, b) => shift(i(a), i(b), left, false), cost: () => 1 },
    { id: `${name}_uint_int`, params: [T.uint, T.int], result: T.uint, impl: (a, b) => shift(u(a), i(b), left, true), cost: () => 1 },
  ]);
}

const one = () => 1;

export const MATH_FUNCTIONS: readonly FunctionDecl[] = [
  extremeDecl("math.greatest", 1),
  extremeDecl("math.least", -1),
  doubleFn("math.ceil", Math.ceil),
  doubleFn("math.floor", Math.floor),
  doubleFn("math.round", round),
  doubleFn("math.trunc", Math.trunc),
  doublePredicate("math.isNaN", Number.isNaN),
  doublePredicate("math.isInf", (x) => x === Infinity || x === -Infinity),
  doublePredicate("math.isFinite", Number.isFinite),
  globalFn("math.abs", [
    { id: "math_abs_int", params: [T.int], result: T.int, impl: (x) => absInt(i(x)), cost: one },
    { id: "math_abs_uint", params: [T.uint], result: T.uint, impl: (x) => x, cost: one },
    { id: "math_abs_double", params: [T.double], result: T.double, impl: (x) => Math.abs(d(x)), cost: one },
  ]),
  globalFn("math.sign", [
    { id: "math_sign_int", params: [T.int], result: T.int, impl: (x) => (i(x) > 0n ? 1n : i(x) < 0n ? -1n : 0n), cost: one },
    { id: "math_sign_uint", params: [T.uint], result: T.uint, impl: (x) => new CelUint(u(x) > 0n ? 1n : 0n), cost: one },
    { id: "math_sign_double", params: [T.double], result: T.double, impl: (x) => (Number.isNaN(d(x)) ? NaN : d(x) > 0 ? 1 : d(x) < 0 ? -1 : 0), cost: one },
  ]),
  globalFn("math.sqrt", [
    { id: "math_sqrt_int", params: [T.int], result: T.double, impl: (x) => Math.sqrt(Number(i(x))), cost: one },
    { id: "math_sqrt_uint", params: [T.uint], result: T.double, impl: (x) => Math.sqrt(Number(u(x))), cost: one },
    { id: "math_sqrt_double", params: [T.double], result: T.double, impl: (x) => Math.sqrt(d(x)), cost: one },
  ]),
  bitwise("math.bitAnd", (a, b) => a & b),
  bitwise("math.bitOr", (a, b) => a | b),
  bitwise("math.bitXor", (a, b) => a ^ b),
  globalFn("math.bitNot", [
    { id: "math_bitNot_int", params: [T.int], result: T.int, impl: (x) => ~i(x), cost: one },
    { id: "math_bitNot_uint", params: [T.uint], result: T.uint, impl: (x) => new CelUint(u(x) ^ MASK64), cost: one },
  ]),
  shiftDecl("math.bitShiftLeft", true),
  shiftDecl("math.bitShiftRight", false),
];

/** The functions whose arguments the checker requires to be numbers (their `dyn` overloads would take anything). */
export const NUMERIC_VARIADIC: ReadonlySet<string> = new Set(["math.greatest", "math.least"]);
