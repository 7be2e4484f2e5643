// The CEL standard library: every function and operator as a set of typed overloads, each with its
// implementation. The checker resolves calls against the declared signatures; the compiler binds the chosen
// implementations into closures, dispatching at run time only when static types leave several candidates.
import {
  T,
  listType,
  mapType,
  typeParam,
  typeType,
  type CelType,
} from "./types.ts";
import {
  addInt,
  addUint,
  codePointLength,
  divInt,
  divUint,
  doubleToInt,
  doubleToString,
  doubleToUint,
  intToUint,
  modInt,
  modUint,
  mulInt,
  mulUint,
  negInt,
  stringToDouble,
  stringToInt,
  stringToUint,
  subInt,
  subUint,
  uintToInt,
} from "./arith.ts";
import { CelError, celErrors } from "./errors.ts";
import { regexMatches } from "./regex.ts";
import { EXTENSION_FUNCTIONS } from "./ext/index.ts";
import {
  addDurations,
  addTimestampDuration,
  durationField,
  formatDuration,
  formatTimestamp,
  makeTimestamp,
  parseDuration,
  parseTimestamp,
  subDurations,
  subTimestampDuration,
  subTimestamps,
  timestampField,
  type DurationField,
  type TimestampField,
} from "./time.ts";
import {
  CelDuration,
  CelMap,
  CelOpaqueValue,
  CelRecord,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  NANOS_PER_SECOND,
  celEquals,
  compareValues,
  floorDiv,
  typeNameOf,
  typeOf,
  type CelResult,
  type CelValue,
} from "./values.ts";

export type { FunctionDecl, Overload, OverloadImpl } from "./functions.ts";
import type { FunctionDecl, Overload, OverloadImpl } from "./functions.ts";

const A = typeParam("A");
const B = typeParam("B");

// Implementations cast their arguments: the compiler only calls them with values matching `params`.
const i = (v: CelValue) => v as bigint;
const u = (v: CelValue) => v as CelUint;
const d = (v: CelValue) => v as number;
const s = (v: CelValue) => v as string;
const by = (v: CelValue) => v as Uint8Array;
const ts = (v: CelValue) => v as CelTimestamp;
const du = (v: CelValue) => v as CelDuration;
const li = (v: CelValue) => v as readonly CelValue[];
const ma = (v: CelValue) => v as CelMap;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function listIndex(list: readonly CelValue[], index: CelValue): CelResult {
  let n: number;
  if (typeof index === "bigint") n = Number(index);
  else if (index instanceof CelUint) n = Number(index.value);
  else if (typeof index === "number" && Number.isInteger(index)) n = index;
  else return celErrors.invalidArgument(`invalid list index of type ${typeNameOf(index)}`);
  if (n < 0 || n >= list.length) return celErrors.invalidArgument(`index ${n} out of range for a list of size ${list.length}`);
  return list[n] as CelValue;
}

export function indexValue(container: CelValue, index: CelValue): CelResult {
  if (Array.isArray(container)) return listIndex(container, index);
  if (container instanceof CelMap) {
    const v = container.get(index);
    return v === undefined ? celErrors.noSuchKey(keyDisplay(index)) : v;
  }
  return celErrors.noSuchOverload("_[_]", [typeNameOf(container), typeNameOf(index)]);
}

function keyDisplay(k: CelValue): string {
  return typeof k === "string" ? `'${k}'` : typeof k === "bigint" ? k.toString() : k instanceof CelUint ? `${k.value}u` : String(k);
}

export function inList(x: CelValue, list: readonly CelValue[]): boolean {
  for (let j = 0; j < list.length; j++) if (celEquals(x, list[j] as CelValue)) return true;
  return false;
}

/** `<`, `<=`, `>`, `>=` over compareValues; operands it cannot order are a no_such_overload error for `name`. */
export function relation(op: "<" | "<=" | ">" | ">=", name: string): OverloadImpl {
  return (a, b) => {
    const c = compareValues(a, b);
    if (c === undefined) return celErrors.noSuchOverload(name, [typeNameOf(a), typeNameOf(b)]);
    switch (op) {
      case "<":
        return c < 0;
      case "<=":
        return c <= 0;
      case ">":
        return c > 0;
      case ">=":
        return c >= 0;
    }
  };
}

function decl(name: string, overloads: readonly Omit<Overload, "receiver">[], receiver = false): FunctionDecl {
  return { name, overloads: overloads.map((o) => ({ ...o, receiver })) };
}

const ORDERED: readonly [string, CelType][] = [
  ["bool", T.bool],
  ["int64", T.int],
  ["uint64", T.uint],
  ["double", T.double],
  ["string", T.string],
  ["bytes", T.bytes],
  ["timestamp", T.timestamp],
  ["duration", T.duration],
];
const NUMERIC: readonly [string, CelType][] = [
  ["int64", T.int],
  ["uint64", T.uint],
  ["double", T.double],
];

function relationalDecl(fn: string, idPrefix: string, op: "<" | "<=" | ">" | ">="): FunctionDecl {
  const impl = relation(op, fn);
  const overloads: Omit<Overload, "receiver">[] = ORDERED.map(([n, t]) => ({
    id: `${idPrefix}_${n}`,
    params: [t, t],
    result: T.bool,
    impl,
  }));
  for (const [an, at] of NUMERIC)
    for (const [bn, bt] of NUMERIC)
      if (an !== bn) overloads.push({ id: `${idPrefix}_${an}_${bn}`, params: [at, bt], result: T.bool, impl });
  return decl(fn, overloads);
}

const TIMESTAMP_FIELDS: readonly TimestampField[] = [
  "getFullYear",
  "getMonth",
  "getDayOfYear",
  "getDate",
  "getDayOfMonth",
  "getDayOfWeek",
  "getHours",
  "getMinutes",
  "getSeconds",
  "getMilliseconds",
];
const DURATION_FIELDS: readonly DurationField[] = ["getHours", "getMinutes", "getSeconds", "getMilliseconds"];

function timestampAccessor(field: TimestampField): FunctionDecl {
  const overloads: Omit<Overload, "receiver">[] = [
    { id: `timestamp_${field}`, params: [T.timestamp], result: T.int, impl: (t) => timestampField(ts(t), field) },
    {
      id: `timestamp_${field}_with_tz`,
      params: [T.timestamp, T.string],
      result: T.int,
      impl: (t, tz) => timestampField(ts(t), field, s(tz)),
    },
  ];
  if ((DURATION_FIELDS as readonly string[]).includes(field))
    overloads.push({
      id: `duration_${field}`,
      params: [T.duration],
      result: T.int,
      impl: (x) => durationField(du(x), field as DurationField),
    });
  return decl(field, overloads, true);
}

function sizeOf(v: CelValue): bigint {
  if (typeof v === "string") return BigInt(codePointLength(v));
  if (v instanceof Uint8Array) return BigInt(v.length);
  if (Array.isArray(v)) return BigInt(v.length);
  return BigInt((v as CelMap).size);
}

const sizeOverloads = (prefix: string): Omit<Overload, "receiver">[] => [
  { id: `${prefix}string_size`, params: [T.string], result: T.int, impl: sizeOf },
  { id: `${prefix}bytes_size`, params: [T.bytes], result: T.int, impl: sizeOf },
  { id: `${prefix}list_size`, params: [listType(A)], result: T.int, impl: sizeOf },
  { id: `${prefix}map_size`, params: [mapType(A, B)], result: T.int, impl: sizeOf },
];

function stringToBool(x: string): boolean | CelError {
  switch (x) {
    case "1":
    case "t":
    case "true":
    case "TRUE":
    case "True":
      return true;
    case "0":
    case "f":
    case "false":
    case "FALSE":
    case "False":
      return false;
    default:
      return celErrors.conversion(`cannot convert \`${x}\` to bool`);
  }
}


const FUNCTIONS: readonly FunctionDecl[] = [
  // Arithmetic.
  decl("_+_", [
    { id: "add_int64", params: [T.int, T.int], result: T.int, impl: (a, b) => addInt(i(a), i(b)) },
    { id: "add_uint64", params: [T.uint, T.uint], result: T.uint, impl: (a, b) => addUint(u(a), u(b)) },
    { id: "add_double", params: [T.double, T.double], result: T.double, impl: (a, b) => d(a) + d(b) },
    { id: "add_string", params: [T.string, T.string], result: T.string, impl: (a, b) => s(a) + s(b) },
    { id: "add_bytes", params: [T.bytes, T.bytes], result: T.bytes, impl: (a, b) => concatBytes(by(a), by(b)) },
    {
      id: "add_list",
      params: [listType(A), listType(A)],
      result: listType(A),
      impl: (a, b) => (li(a).length === 0 ? b : li(b).length === 0 ? a : [...li(a), ...li(b)]),
    },
    {
      id: "add_timestamp_duration",
      params: [T.timestamp, T.duration],
      result: T.timestamp,
      impl: (a, b) => addTimestampDuration(ts(a), du(b)),
    },
    {
      id: "add_duration_timestamp",
      params: [T.duration, T.timestamp],
      result: T.timestamp,
      impl: (a, b) => addTimestampDuration(ts(b), du(a)),
    },
    {
      id: "add_duration_duration",
      params: [T.duration, T.duration],
      result: T.duration,
      impl: (a, b) => addDurations(du(a), du(b)),
    },
  ]),
  decl("_-_", [
    { id: "subtract_int64", params: [T.int, T.int], result: T.int, impl: (a, b) => subInt(i(a), i(b)) },
    { id: "subtract_uint64", params: [T.uint, T.uint], result: T.uint, impl: (a, b) => subUint(u(a), u(b)) },
    { id: "subtract_double", params: [T.double, T.double], result: T.double, impl: (a, b) => d(a) - d(b) },
    {
      id: "subtract_timestamp_timestamp",
      params: [T.timestamp, T.timestamp],
      result: T.duration,
      impl: (a, b) => subTimestamps(ts(a), ts(b)),
    },
    {
      id: "subtract_timestamp_duration",
      params: [T.timestamp, T.duration],
      result: T.timestamp,
      impl: (a, b) => subTimestampDuration(ts(a), du(b)),
    },
    {
      id: "subtract_duration_duration",
      params: [T.duration, T.duration],
      result: T.duration,
      impl: (a, b) => subDurations(du(a), du(b)),
    },
  ]),
  decl("_*_", [
    { id: "multiply_int64", params: [T.int, T.int], result: T.int, impl: (a, b) => mulInt(i(a), i(b)) },
    { id: "multiply_uint64", params: [T.uint, T.uint], result: T.uint, impl: (a, b) => mulUint(u(a), u(b)) },
    { id: "multiply_double", params: [T.double, T.double], result: T.double, impl: (a, b) => d(a) * d(b) },
  ]),
  decl("_/_", [
    { id: "divide_int64", params: [T.int, T.int], result: T.int, impl: (a, b) => divInt(i(a), i(b)) },
    { id: "divide_uint64", params: [T.uint, T.uint], result: T.uint, impl: (a, b) => divUint(u(a), u(b)) },
    { id: "divide_double", params: [T.double, T.double], result: T.double, impl: (a, b) => d(a) / d(b) },
  ]),
  decl("_%_", [
    { id: "modulo_int64", params: [T.int, T.int], result: T.int, impl: (a, b) => modInt(i(a), i(b)) },
    { id: "modulo_uint64", params: [T.uint, T.uint], result: T.uint, impl: (a, b) => modUint(u(a), u(b)) },
  ]),
  decl("-_", [
    { id: "negate_int64", params: [T.int], result: T.int, impl: (a) => negInt(i(a)) },
    { id: "negate_double", params: [T.double], result: T.double, impl: (a) => -d(a) },
  ]),
  decl("!_", [{ id: "logical_not", params: [T.bool], result: T.bool, impl: (a) => !a }]),

  // Equality, ordering, membership, indexing.
  decl("_==_", [{ id: "equals", params: [A, A], result: T.bool, impl: (a, b) => celEquals(a, b) }]),
  decl("_!=_", [{ id: "not_equals", params: [A, A], result: T.bool, impl: (a, b) => !celEquals(a, b) }]),
  relationalDecl("_<_", "less", "<"),
  relationalDecl("_<=_", "less_equals", "<="),
  relationalDecl("_>_", "greater", ">"),
  relationalDecl("_>=_", "greater_equals", ">="),
  decl("@in", [
    { id: "in_list", params: [A, listType(A)], result: T.bool, impl: (x, l) => inList(x, li(l)) },
    { id: "in_map", params: [A, mapType(A, B)], result: T.bool, impl: (x, m) => ma(m).has(x) },
  ]),
  decl("_[_]", [
    { id: "index_list", params: [listType(A), T.int], result: A, impl: indexValue },
    { id: "index_map", params: [mapType(A, B), A], result: B, impl: indexValue },
  ]),

  // Size.
  decl("size", sizeOverloads("")),
  decl("size", sizeOverloads("receiver_"), true),

  // Strings.
  decl(
    "contains",
    [{ id: "contains_string", params: [T.string, T.string], result: T.bool, impl: (a, b) => s(a).includes(s(b)) }],
    true,
  ),
  decl(
    "startsWith",
    [{ id: "starts_with_string", params: [T.string, T.string], result: T.bool, impl: (a, b) => s(a).startsWith(s(b)) }],
    true,
  ),
  decl(
    "endsWith",
    [{ id: "ends_with_string", params: [T.string, T.string], result: T.bool, impl: (a, b) => s(a).endsWith(s(b)) }],
    true,
  ),
  decl(
    "matches",
    [{ id: "matches_string", params: [T.string, T.string], result: T.bool, impl: (a, b) => regexMatches(s(a), s(b)) }],
    true,
  ),
  decl("matches", [
    { id: "matches", params: [T.string, T.string], result: T.bool, impl: (a, b) => regexMatches(s(a), s(b)) },
  ]),

  // Conversions.
  decl("int", [
    { id: "int64_to_int64", params: [T.int], result: T.int, impl: (a) => a },
    { id: "uint64_to_int64", params: [T.uint], result: T.int, impl: (a) => uintToInt(u(a)) },
    { id: "double_to_int64", params: [T.double], result: T.int, impl: (a) => doubleToInt(d(a)) },
    { id: "string_to_int64", params: [T.string], result: T.int, impl: (a) => stringToInt(s(a)) },
    { id: "timestamp_to_int64", params: [T.timestamp], result: T.int, impl: (a) => floorDiv(ts(a).nanos, NANOS_PER_SECOND) },
  ]),
  decl("uint", [
    { id: "uint64_to_uint64", params: [T.uint], result: T.uint, impl: (a) => a },
    { id: "int64_to_uint64", params: [T.int], result: T.uint, impl: (a) => intToUint(i(a)) },
    { id: "double_to_uint64", params: [T.double], result: T.uint, impl: (a) => doubleToUint(d(a)) },
    { id: "string_to_uint64", params: [T.string], result: T.uint, impl: (a) => stringToUint(s(a)) },
  ]),
  decl("double", [
    { id: "double_to_double", params: [T.double], result: T.double, impl: (a) => a },
    { id: "int64_to_double", params: [T.int], result: T.double, impl: (a) => Number(i(a)) },
    { id: "uint64_to_double", params: [T.uint], result: T.double, impl: (a) => Number(u(a).value) },
    { id: "string_to_double", params: [T.string], result: T.double, impl: (a) => stringToDouble(s(a)) },
  ]),
  decl("string", [
    { id: "string_to_string", params: [T.string], result: T.string, impl: (a) => a },
    { id: "int64_to_string", params: [T.int], result: T.string, impl: (a) => i(a).toString() },
    { id: "uint64_to_string", params: [T.uint], result: T.string, impl: (a) => u(a).value.toString() },
    { id: "double_to_string", params: [T.double], result: T.string, impl: (a) => doubleToString(d(a)) },
    { id: "bool_to_string", params: [T.bool], result: T.string, impl: (a) => String(a) },
    {
      id: "bytes_to_string",
      params: [T.bytes],
      result: T.string,
      impl: (a) => {
        try {
          return utf8Strict.decode(by(a));
        } catch {
          return celErrors.conversion("invalid UTF-8 in bytes converted to string");
        }
      },
    },
    { id: "timestamp_to_string", params: [T.timestamp], result: T.string, impl: (a) => formatTimestamp(ts(a)) },
    { id: "duration_to_string", params: [T.duration], result: T.string, impl: (a) => formatDuration(du(a)) },
  ]),
  decl("bytes", [
    { id: "bytes_to_bytes", params: [T.bytes], result: T.bytes, impl: (a) => a },
    { id: "string_to_bytes", params: [T.string], result: T.bytes, impl: (a) => utf8.encode(s(a)) },
  ]),
  decl("bool", [
    { id: "bool_to_bool", params: [T.bool], result: T.bool, impl: (a) => a },
    { id: "string_to_bool", params: [T.string], result: T.bool, impl: (a) => stringToBool(s(a)) },
  ]),
  decl("timestamp", [
    { id: "timestamp_to_timestamp", params: [T.timestamp], result: T.timestamp, impl: (a) => a },
    { id: "string_to_timestamp", params: [T.string], result: T.timestamp, impl: (a) => parseTimestamp(s(a)) },
    {
      id: "int64_to_timestamp",
      params: [T.int],
      result: T.timestamp,
      impl: (a) => makeTimestamp(i(a) * NANOS_PER_SECOND),
    },
  ]),
  decl("duration", [
    { id: "duration_to_duration", params: [T.duration], result: T.duration, impl: (a) => a },
    { id: "string_to_duration", params: [T.string], result: T.duration, impl: (a) => parseDuration(s(a)) },
  ]),
  decl("dyn", [{ id: "to_dyn", params: [A], result: T.dyn, impl: (a) => a }]),
  decl("type", [{ id: "type", params: [A], result: typeType(A), impl: (a) => typeOf(a) }]),

  // Time accessors.
  ...TIMESTAMP_FIELDS.map(timestampAccessor),
];

function merge(decls: readonly FunctionDecl[]): Map<string, FunctionDecl> {
  const out = new Map<string, FunctionDecl>();
  for (const f of decls) {
    const prev = out.get(f.name);
    out.set(f.name, prev === undefined ? f : { name: f.name, overloads: [...prev.overloads, ...f.overloads] });
  }
  return out;
}

/**
 * The standard functions by name (operators use CEL's internal names: `_+_`, `_==_`, `@in`, `_[_]`, `!_`, `-_`),
 * with the extension libraries every policy has (ext/): strings, math, lists, encoders, optionals, and
 * Kubernetes' URLs, IPs/CIDRs and regex `find`.
 */
export const STANDARD_FUNCTIONS: ReadonlyMap<string, FunctionDecl> = merge([...FUNCTIONS, ...EXTENSION_FUNCTIONS]);

/** Merges extra declarations (from a TypeEnv) into the standard set. */
export function mergeFunctions(
  base: ReadonlyMap<string, FunctionDecl>,
  extra: readonly FunctionDecl[],
): ReadonlyMap<string, FunctionDecl> {
  if (extra.length === 0) return base;
  return merge([...base.values(), ...extra]);
}

/** Does a runtime value belong to a (declared) type? Type parameters and dyn accept anything. */
export function valueHasType(v: CelValue, t: CelType): boolean {
  switch (t.kind) {
    case "int":
      return typeof v === "bigint";
    case "uint":
      return v instanceof CelUint;
    case "double":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "bytes":
      return v instanceof Uint8Array;
    case "null_type":
      return v === null;
    case "timestamp":
      return v instanceof CelTimestamp;
    case "duration":
      return v instanceof CelDuration;
    case "list":
      return Array.isArray(v);
    case "map":
      return v instanceof CelMap;
    case "type":
      return v instanceof CelTypeValue;
    case "record":
      return v instanceof CelRecord && v.typeName === t.name;
    case "opaque":
      return v instanceof CelOpaqueValue && v.typeName === t.name;
    default:
      return true;
  }
}
