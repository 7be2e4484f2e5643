import type { Span } from "../vocabulary/span.ts";
// CEL evaluation errors are values, never exceptions: every operation returns `CelValue | CelError`, and the
// logical operators absorb errors as CEL specifies (`false && err` is false).

/** The kinds of run-time error CEL defines, plus the two this implementation adds (cost limit, internal). */
export type CelErrorKind =
  | "no_such_overload"
  | "no_such_key"
  | "no_such_field"
  | "no_such_variable"
  | "unbound_function"
  | "division_by_zero"
  | "modulus_by_zero"
  | "overflow"
  | "range"
  | "invalid_argument"
  | "conversion"
  | "cost_limit"
  | "internal";

export class CelError {
  constructor(
    readonly kind: CelErrorKind,
    readonly message: string,
    /** span of the sub-expression that failed, when known */
    readonly span?: Span,
  ) {}

  /** The same error, attributed to a span (keeps an existing, more precise span). */
  at(span: Span | undefined): CelError {
    if (span === undefined || this.span !== undefined) return this;
    return new CelError(this.kind, this.message, span);
  }

  toString(): string {
    return this.message;
  }
}

export function isCelError(v: unknown): v is CelError {
  return v instanceof CelError;
}

export const celErrors = {
  noSuchOverload: (fn: string, argTypes: readonly string[]) =>
    new CelError("no_such_overload", `no such overload: ${fn}(${argTypes.join(", ")})`),
  noSuchKey: (key: string) => new CelError("no_such_key", `no such key: ${key}`),
  noSuchField: (field: string, type: string) =>
    new CelError("no_such_field", `no such field \`${field}\` in ${type}`),
  fieldNotSet: (field: string) => new CelError("no_such_field", `field \`${field}\` is not set`),
  noSuchVariable: (name: string) =>
    new CelError("no_such_variable", `undeclared reference to \`${name}\` (no value in the activation)`),
  unboundFunction: (name: string) => new CelError("unbound_function", `unbound function \`${name}\``),
  divisionByZero: () => new CelError("division_by_zero", "division by zero"),
  modulusByZero: () => new CelError("modulus_by_zero", "modulus by zero"),
  overflow: (op: string) => new CelError("overflow", `integer overflow in ${op}`),
  range: (what: string) => new CelError("range", `${what} out of range`),
  invalidArgument: (what: string) => new CelError("invalid_argument", what),
  conversion: (what: string) => new CelError("conversion", what),
  costLimit: (limit: number) =>
    new CelError("cost_limit", `evaluation cost limit of ${limit} steps exceeded`),
  internal: (what: string) => new CelError("internal", `internal error: ${what}`),
} as const;
