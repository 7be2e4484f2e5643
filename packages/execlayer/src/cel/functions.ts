// The shape of CEL function declarations: typed overloads with their implementations (and, for extension
// functions, their cost). Its own module so the standard library (stdlib.ts) and the extension libraries (ext/)
// share it without importing each other.
import type { CelType } from "./types.ts";
import type { CelResult, CelValue } from "./values.ts";

/** An implementation receives arguments already checked against the overload's parameter types. */
export type OverloadImpl = (...args: CelValue[]) => CelResult;

export interface Overload {
  /** stable identifier, e.g. `add_int64`, `string_starts_with` */
  readonly id: string;
  /** member call `target.fn(args)`: `params[0]` is the target */
  readonly receiver: boolean;
  readonly params: readonly CelType[];
  readonly result: CelType;
  readonly impl: OverloadImpl;
  /** variadic: any number (at least one) of further arguments of this type after `params` */
  readonly rest?: CelType;
  /**
   * The steps charged before the call (the cost limit), from the arguments: what the implementation scans and
   * allocates. Extension functions set it; without it the planner charges what the core functions scan.
   */
  readonly cost?: (args: readonly CelValue[]) => number;
}

export interface FunctionDecl {
  readonly name: string;
  readonly overloads: readonly Overload[];
}

