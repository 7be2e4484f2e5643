// CEL's optional values (cel-go's optional types library): optional.of, optional.none, optional.ofNonZeroValue,
// and the methods hasValue, value, orValue, or. The syntax (`m.?key`, `l[?i]`, `{?k: v}`, `[?x]`) and the macros
// `optMap` / `optFlatMap` are the checker's and planner's; selecting a field of an optional is optional chaining.
import { T, optionalType, typeParam } from "../types.ts";
import { celErrors } from "../errors.ts";
import { CelDuration, CelMap, CelOptional, CelTimestamp, CelUint, type CelResult, type CelValue } from "../values.ts";
import { globalFn, method } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

const A = typeParam("A");
const opt = (v: CelValue) => v as CelOptional;
const one = () => 1;

/** The zero value of its type: null, false, 0, 0u, 0.0, "", b"", [], {}, a zero duration, the epoch. */
export function isZeroValue(v: CelValue): boolean {
  switch (typeof v) {
    case "boolean":
      return !v;
    case "bigint":
      return v === 0n;
    case "number":
      return v === 0;
    case "string":
      return v === "";
    default:
      if (v === null) return true;
      if (Array.isArray(v)) return v.length === 0;
      if (v instanceof Uint8Array) return v.length === 0;
      if (v instanceof CelUint) return v.value === 0n;
      if (v instanceof CelMap) return v.size === 0;
      if (v instanceof CelDuration || v instanceof CelTimestamp) return v.nanos === 0n;
      if (v instanceof CelOptional) return !v.hasValue();
      return false;
  }
}

function value(o: CelOptional): CelResult {
  return o.value === undefined ? celErrors.invalidArgument("optional.none() dereference") : o.value;
}

export const OPTIONAL_FUNCTIONS: readonly FunctionDecl[] = [
  globalFn("optional.of", [{ id: "optional_of", params: [A], result: optionalType(A), impl: (x) => CelOptional.of(x), cost: one }]),
  globalFn("optional.ofNonZeroValue", [
    { id: "optional_ofNonZeroValue", params: [A], result: optionalType(A), impl: (x) => (isZeroValue(x) ? CelOptional.NONE : CelOptional.of(x)), cost: one },
  ]),
  globalFn("optional.none", [{ id: "optional_none", params: [], result: optionalType(A), impl: () => CelOptional.NONE, cost: one }]),
  method("hasValue", [{ id: "optional_hasValue", params: [optionalType(A)], result: T.bool, impl: (o) => opt(o).hasValue(), cost: one }]),
  method("value", [{ id: "optional_value", params: [optionalType(A)], result: A, impl: (o) => value(opt(o)), cost: one }]),
  method("orValue", [
    { id: "optional_orValue_value", params: [optionalType(A), A], result: A, impl: (o, x) => (opt(o).hasValue() ? opt(o).value! : x), cost: one },
  ]),
  method("or", [
    { id: "optional_or_optional", params: [optionalType(A), optionalType(A)], result: optionalType(A), impl: (o, p) => (opt(o).hasValue() ? o : p), cost: one },
  ]),
];
