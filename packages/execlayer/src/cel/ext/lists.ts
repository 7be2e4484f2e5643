// CEL's lists extension (cel-go ext/lists.go): distinct, flatten, lists.range, reverse, slice, sort, first, last.
// Each is charged the elements it visits and builds (sort n·log n, distinct by the deep size of what it compares).
import { T, listType, optionalType, typeParam } from "../types.ts";
import { celErrors } from "../errors.ts";
import { deepSize } from "../cost.ts";
import {
  CelDuration,
  CelOptional,
  CelTimestamp,
  CelUint,
  celEquals,
  compareValues,
  typeNameOf,
  type CelResult,
  type CelValue,
} from "../values.ts";
import { globalFn, method } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

const A = typeParam("A");
const li = (v: CelValue) => v as readonly CelValue[];
const i = (v: CelValue) => v as bigint;

/** One step a list element. */
const listLength = (args: readonly CelValue[]) => li(args[0]!).length;

/** A key under which equal scalars collide (1, 1u and 1.0 are equal in CEL); undefined for other values. */
function scalarKey(v: CelValue): string | undefined {
  switch (typeof v) {
    case "string":
      return "s" + v;
    case "boolean":
      return v ? "t" : "f";
    case "bigint":
      return "n" + v.toString();
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 2 ** 64 ? "n" + BigInt(v).toString() : Number.isNaN(v) ? undefined : "d" + String(v);
    default:
      if (v === null) return "null";
      if (v instanceof CelUint) return "n" + v.value.toString();
      return undefined;
  }
}

function distinct(list: readonly CelValue[]): readonly CelValue[] {
  const seen = new Set<string>();
  const others: CelValue[] = [];
  const out: CelValue[] = [];
  for (const x of list) {
    const key = scalarKey(x);
    if (key !== undefined) {
      if (seen.has(key)) continue;
      seen.add(key);
    } else {
      if (others.some((o) => celEquals(o, x))) continue;
      others.push(x);
    }
    out.push(x);
  }
  return out;
}

function distinctCost(args: readonly CelValue[]): number {
  const list = li(args[0]!);
  let composite = 0;
  for (const x of list) if (scalarKey(x) === undefined) composite++;
  // composite elements are compared with each other: bounded by their number times the list's deep size
  return list.length + (composite > 1 ? composite * deepSize(list) : 0);
}

function flatten(list: readonly CelValue[], depth: bigint): CelResult {
  if (depth < 0n) return celErrors.invalidArgument("level must be non-negative");
  const out: CelValue[] = [];
  const walk = (xs: readonly CelValue[], level: bigint): void => {
    for (const x of xs) {
      if (Array.isArray(x) && level > 0n) walk(x as readonly CelValue[], level - 1n);
      else out.push(x);
    }
  };
  walk(list, depth);
  return out;
}

function range(n: bigint): CelResult {
  const out: bigint[] = [];
  for (let k = 0n; k < n; k++) out.push(k);
  return out;
}

function slice(list: readonly CelValue[], start: bigint, end: bigint): CelResult {
  if (start < 0n || end < 0n) return celErrors.invalidArgument(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end)
    return celErrors.invalidArgument(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`);
  if (end > BigInt(list.length)) return celErrors.invalidArgument(`cannot slice(${start}, ${end}), list is length ${list.length}`);
  return list.slice(Number(start), Number(end));
}

/** The orderable kinds `sort` accepts; every element must be of the same one. */
function sortKind(v: CelValue): string | undefined {
  switch (typeof v) {
    case "string":
    case "boolean":
    case "bigint":
    case "number":
      return typeof v;
    default:
      if (v instanceof CelUint) return "uint";
      if (v instanceof Uint8Array) return "bytes";
      if (v instanceof CelTimestamp) return "timestamp";
      if (v instanceof CelDuration) return "duration";
      return undefined;
  }
}

function sort(list: readonly CelValue[]): CelResult {
  if (list.length === 0) return list;
  const kind = sortKind(list[0]!);
  for (const x of list) {
    const k = sortKind(x);
    if (k === undefined || k !== kind)
      return celErrors.invalidArgument(`list elements must have the same comparable type, found ${typeNameOf(list[0]!)} and ${typeNameOf(x)}`);
  }
  // a stable sort; NaN orders as equal to everything, as cel-go's comparison leaves it
  return [...list].sort((a, b) => compareValues(a, b) || 0);
}

function sortCost(args: readonly CelValue[]): number {
  const n = li(args[0]!).length;
  return n <= 1 ? 1 : Math.ceil(n * Math.log2(n)) + deepSize(args[0]!);
}

export const LIST_FUNCTIONS: readonly FunctionDecl[] = [
  method("distinct", [{ id: "list_distinct", params: [listType(A)], result: listType(A), impl: (l) => distinct(li(l)), cost: distinctCost }]),
  method("flatten", [
    { id: "list_flatten", params: [listType(T.dyn)], result: listType(T.dyn), impl: (l) => flatten(li(l), 1n), cost: (a) => deepSize(a[0]!) },
    {
      id: "list_flatten_int",
      params: [listType(T.dyn), T.int],
      result: listType(T.dyn),
      impl: (l, n) => flatten(li(l), i(n)),
      cost: (a) => deepSize(a[0]!),
    },
  ]),
  globalFn("lists.range", [
    // the list built, one step an element: charged before it is built
    { id: "lists_range", params: [T.int], result: listType(T.int), impl: (n) => range(i(n)), cost: (a) => Math.max(0, Math.min(Number(i(a[0]!)), Number.MAX_SAFE_INTEGER)) },
  ]),
  method("reverse", [{ id: "list_reverse", params: [listType(A)], result: listType(A), impl: (l) => [...li(l)].reverse(), cost: listLength }]),
  method("slice", [
    { id: "list_slice", params: [listType(A), T.int, T.int], result: listType(A), impl: (l, a, b) => slice(li(l), i(a), i(b)), cost: listLength },
  ]),
  method("sort", [{ id: "list_sort", params: [listType(A)], result: listType(A), impl: (l) => sort(li(l)), cost: sortCost }]),
  method("first", [
    { id: "list_first", params: [listType(A)], result: optionalType(A), impl: (l) => (li(l).length === 0 ? CelOptional.NONE : CelOptional.of(li(l)[0]!)), cost: () => 1 },
  ]),
  method("last", [
    { id: "list_last", params: [listType(A)], result: optionalType(A), impl: (l) => (li(l).length === 0 ? CelOptional.NONE : CelOptional.of(li(l)[li(l).length - 1]!)), cost: () => 1 },
  ]),
];
