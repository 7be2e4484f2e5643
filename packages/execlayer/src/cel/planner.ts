// Checked CEL expression -> a tree of closures, built once. Evaluation never interprets the AST and never uses
// eval/new Function: every node becomes a closure `(frame) => CelValue | CelError`, specialized by the static
// types the checker computed (an int field compared with an int literal is one bigint comparison; `startsWith` on
// strings calls String.prototype.startsWith directly). Run-time dispatch remains only where static types leave
// several overloads possible (dyn).
//
// Errors are values with CEL's semantics: strict functions propagate the first error of their arguments; `&&`,
// `||` absorb errors when the other side decides the result (`false && err` is false); `? :` only evaluates the
// chosen branch. Nothing throws out of a compiled expression: the outermost closure catches anything unexpected
// and returns it as an `internal` CelError.
//
// Cost: every evaluation counts steps; beyond `costLimit` (default 1,000,000 steps) it stops with a `cost_limit`
// error, whatever the surrounding `||`/`&&` would do with an ordinary error. A comprehension iteration is one step;
// an operation whose work grows with its operands is charged that work before doing it: a list element or map entry
// visited is one step (`in` over a list, `+` of lists, equality of lists and maps, by their deep size), a string or
// bytes value scanned is one step per 8 code units (`contains`, `startsWith`, `size`, `==` and `<` of long strings,
// conversions, `+`), a regex match is the scanned length times the pattern's weight, and compiling a dynamic pattern
// is 64 steps per character. Every other node is a constant amount of work per evaluation of its enclosing
// comprehension body, so the whole evaluation is bounded by the expression's size times the steps allowed. Scalars
// and short strings cost nothing extra: the fast paths only add a length to the count.
import type { ComprehensionExpr, Expr } from "../syntax/ast.ts";
import type { CheckedExpr, Macro2, Reference } from "./checker.ts";
import { runtimeTypeName, type CelType } from "./types.ts";
import { CelError, celErrors } from "./errors.ts";
import { addInt, divInt, modInt, mulInt, subInt } from "./arith.ts";
import { compileRegex, invalidRegex, regexMatches, safeTest } from "./regex.ts";
import { parseDuration, parseTimestamp } from "./time.ts";
import { deepSize, dynamicRegexCost, regexWeight, scanOne, scanWeight, shallowSize } from "./cost.ts";
import { STANDARD_FUNCTIONS, inList, indexValue, relation, valueHasType, type Overload } from "./stdlib.ts";
import {
  CelMap,
  CelOptional,
  CelRecord,
  CelTypeValue,
  CelUint,
  celEquals,
  typeNameOf,
  type CelResult,
  type CelValue,
} from "./values.ts";
import type { Span } from "../vocabulary/span.ts";

/**
 * The variables an expression reads, by name: a plain object such as
 * `{ action: CelRecord, actor: CelRecord, context: CelRecord, counter: CelRecord, now: CelTimestamp }`.
 * Qualified variables (`a.b.c` declared as one name) use the dotted name as the key. Values must have the types
 * the TypeEnv declared (build them with `fromJson`); a missing variable evaluates to a `no_such_variable` error.
 */
export type Activation = Readonly<Record<string, CelValue>>;

export type CompiledExpression = (activation: Activation) => CelResult;

export interface CompileOptions {
  /** maximum cost per evaluation, in steps: comprehension iterations and the size of what operations scan (default 1,000,000) */
  readonly costLimit?: number;
}

export const DEFAULT_COST_LIMIT = 1_000_000;

const EMPTY_ACTIVATION: Activation = Object.freeze({});

/** Per-evaluation state. */
interface Frame {
  act: Activation;
  /** comprehension variables, by slot */
  readonly locals: CelValue[];
  steps: number;
  /** the cost limit, in steps */
  readonly limit: number;
  /** set when the cost limit is exceeded: the evaluation's result, whatever the operators around it say */
  abort: CelError | undefined;
}

type Node = (f: Frame) => CelResult;

export function compileExpression(checked: CheckedExpr, options: CompileOptions = {}): CompiledExpression {
  const limit = options.costLimit ?? DEFAULT_COST_LIMIT;
  const c = new Compiler(checked, limit);
  let root: Node;
  try {
    root = c.compile(checked.expr);
  } catch (e) {
    const err = celErrors.internal(`compilation failed: ${e instanceof Error ? e.message : String(e)}`);
    return () => err;
  }
  const slots = c.maxSlots;
  // One frame is reused across evaluations; a re-entrant evaluation (a custom function evaluating this same
  // expression) gets a fresh one.
  const shared: Frame = { act: EMPTY_ACTIVATION, locals: new Array<CelValue>(slots), steps: 0, limit, abort: undefined };
  let busy = false;
  return (activation: Activation): CelResult => {
    const reuse = !busy;
    const f: Frame = reuse
      ? shared
      : { act: activation, locals: new Array<CelValue>(slots), steps: 0, limit, abort: undefined };
    f.act = activation;
    f.steps = 0;
    f.abort = undefined;
    busy = true;
    try {
      const r = root(f);
      return f.abort ?? r;
    } catch (e) {
      return f.abort ?? celErrors.internal(e instanceof Error ? e.message : String(e));
    } finally {
      if (reuse) {
        busy = false;
        shared.act = EMPTY_ACTIVATION;
        if (slots > 0) shared.locals.fill(null);
      }
    }
  };
}

const isErr = (v: unknown): v is CelError => v instanceof CelError;

function noOverload(fn: string, args: readonly CelResult[], span: Span): CelError {
  return celErrors.noSuchOverload(fn, args.map((a) => typeNameOf(a))).at(span);
}

class Compiler {
  maxSlots = 0;
  private readonly scope: { name: string; slot: number }[] = [];

  constructor(
    private readonly checked: CheckedExpr,
    private readonly costLimit: number,
  ) {}

  private typeOf(e: Expr): CelType | undefined {
    return this.checked.types.get(e);
  }

  private is(e: Expr, kind: CelType["kind"]): boolean {
    return this.checked.types.get(e)?.kind === kind;
  }

  private ref(e: Expr): Reference | undefined {
    return this.checked.refs.get(e);
  }

  compile(e: Expr): Node {
    switch (e.kind) {
      case "literal":
        return constant(literalValue(e));
      case "ident":
        return this.ident(e);
      case "select":
        return this.select(e);
      case "has":
        return this.has(e);
      case "index":
        return this.index(e);
      case "call":
        return this.callExpr(e);
      case "unary":
        return e.op === "!" ? this.not(e.operand, e.span) : this.call(e, [e.operand], "-_");
      case "binary":
        return this.binary(e);
      case "conditional":
        return this.conditional(e.test, e.then, e.otherwise, e.span);
      case "list":
        return this.list(e.elements, e.optionalIndices, e.span);
      case "map":
        return this.map(e);
      case "comprehension":
        return this.comprehension(e);
    }
  }

  // --- names -------------------------------------------------------------------------------------------------

  private lookupSlot(name: string): number | undefined {
    for (let k = this.scope.length - 1; k >= 0; k--) if (this.scope[k]!.name === name) return this.scope[k]!.slot;
    return undefined;
  }

  private ident(e: Extract<Expr, { kind: "ident" }>): Node {
    const ref = this.ref(e);
    // A comprehension variable: as the checker resolved it, or (node the checker did not see) by scope.
    const slot = ref?.kind === "local" || (ref === undefined && !e.rootScoped) ? this.lookupSlot(e.name) : undefined;
    if (slot !== undefined) return (f) => f.locals[slot]!;
    if (ref?.kind === "type") return constant(new CelTypeValue(runtimeTypeName(ref.type)));
    return variable(ref?.kind === "variable" ? ref.name : e.name, e.span);
  }

  private select(e: Extract<Expr, { kind: "select" }>): Node {
    const ref = this.ref(e);
    if (ref?.kind === "variable") return variable(ref.name, e.span);
    if (ref?.kind === "type") return constant(new CelTypeValue(runtimeTypeName(ref.type)));
    const operand = this.compile(e.operand);
    const field = e.field;
    const span = e.fieldSpan;
    if (e.optional === true) {
      return (f) => {
        const v = operand(f);
        if (isErr(v)) return v;
        return optionalSelect(v instanceof CelOptional ? v : CelOptional.of(v), field, span);
      };
    }
    if (this.is(e.operand, "record")) {
      if (field in Object.prototype) {
        return (f) => {
          const r = operand(f);
          if (r instanceof CelRecord && Object.prototype.hasOwnProperty.call(r.fields, field)) {
            const v = r.fields[field];
            if (v !== undefined) return v;
          }
          return selectField(r, field, span);
        };
      }
      return (f) => {
        const r = operand(f);
        if (r instanceof CelRecord) {
          const v = r.fields[field];
          if (v !== undefined) return v;
        }
        return selectField(r, field, span);
      };
    }
    if (this.is(e.operand, "map")) {
      return (f) => {
        const m = operand(f);
        if (m instanceof CelMap) {
          const v = m.getString(field);
          if (v !== undefined) return v;
        }
        return selectField(m, field, span);
      };
    }
    return (f) => selectField(operand(f), field, span);
  }

  private has(e: Extract<Expr, { kind: "has" }>): Node {
    const operand = this.compile(e.operand);
    const field = e.field;
    const span = e.span;
    return (f) => {
      let v = operand(f);
      if (v instanceof CelOptional) {
        // has() on an optional: false when empty, else the test on its value
        if (v.value === undefined) return false;
        v = v.value;
      }
      if (v instanceof CelRecord) return v.fields[field] !== undefined && Object.prototype.hasOwnProperty.call(v.fields, field);
      if (v instanceof CelMap) return v.has(field);
      if (isErr(v)) return v;
      return celErrors.noSuchOverload("has", [typeNameOf(v)]).at(span);
    };
  }

  private index(e: Extract<Expr, { kind: "index" }>): Node {
    const operand = this.compile(e.operand);
    const idx = this.compile(e.index);
    const span = e.span;
    const optional = e.optional === true;
    return (f) => {
      const c = operand(f);
      if (isErr(c)) return c;
      const k = idx(f);
      if (isErr(k)) return k;
      if (optional || c instanceof CelOptional) return optionalIndex(c instanceof CelOptional ? c : CelOptional.of(c), k, span);
      const r = indexValue(c, k);
      return isErr(r) ? r.at(span) : r;
    };
  }

  // --- logic -------------------------------------------------------------------------------------------------

  private and(le: Expr, re: Expr, span: Span): Node {
    const l = this.compile(le);
    const r = this.compile(re);
    return (f) => {
      const a = l(f);
      if (a === false) return false;
      const b = r(f);
      if (b === false) return false;
      if (a === true && b === true) return true;
      // Neither side is false: an error (or a non-bool operand, in unchecked code) decides.
      if (a !== true) return isErr(a) ? a : noOverload("_&&_", [a, b], span);
      return isErr(b) ? b : noOverload("_&&_", [a, b], span);
    };
  }

  private or(le: Expr, re: Expr, span: Span): Node {
    const l = this.compile(le);
    const r = this.compile(re);
    return (f) => {
      const a = l(f);
      if (a === true) return true;
      const b = r(f);
      if (b === true) return true;
      if (a === false && b === false) return false;
      if (a !== false) return isErr(a) ? a : noOverload("_||_", [a, b], span);
      return isErr(b) ? b : noOverload("_||_", [a, b], span);
    };
  }

  private not(operand: Expr, span: Span): Node {
    const o = this.compile(operand);
    return (f) => {
      const v = o(f);
      if (typeof v === "boolean") return !v;
      return isErr(v) ? v : noOverload("!_", [v], span);
    };
  }

  private conditional(test: Expr, then: Expr, otherwise: Expr, span: Span): Node {
    const t = this.compile(test);
    const a = this.compile(then);
    const b = this.compile(otherwise);
    return (f) => {
      const c = t(f);
      if (c === true) return a(f);
      if (c === false) return b(f);
      return isErr(c) ? c : noOverload("_?_:_", [c], span);
    };
  }

  // --- operators and calls -----------------------------------------------------------------------------------

  private binary(e: Extract<Expr, { kind: "binary" }>): Node {
    switch (e.op) {
      case "&&":
        return this.and(e.left, e.right, e.span);
      case "||":
        return this.or(e.left, e.right, e.span);
      case "<":
      case "<=":
      case ">":
      case ">=":
        return this.relational(e, e.op);
      case "==":
      case "!=":
        return this.equality(e, e.op === "!=");
      case "in":
        return this.membership(e);
      default:
        return this.arithmetic(e) ?? this.call(e, [e.left, e.right], `_${e.op}_`);
    }
  }

  /** int (+ - * / %) and string + on statically typed operands: no dispatch; other values take the general path. */
  private arithmetic(e: Extract<Expr, { kind: "binary" }>): Node | undefined {
    const lk = this.typeOf(e.left)?.kind;
    const rk = this.typeOf(e.right)?.kind;
    if (lk !== rk || (lk !== "int" && lk !== "string") || (lk === "string" && e.op !== "+")) return undefined;
    const fnName = `_${e.op}_`;
    const overloads = this.overloadsFor(e, fnName, 2);
    if (overloads.length === 0) return undefined;
    const dispatch = makeDispatcher(fnName, overloads, e.span);
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const span = e.span;
    const slow = (a: CelResult, b: CelResult): CelResult => (isErr(a) ? a : isErr(b) ? b : dispatch.d2(a, b));
    if (lk === "string") {
      return (f) => {
        const a = l(f);
        const b = r(f);
        if (typeof a === "string" && typeof b === "string") {
          if ((f.steps += (a.length + b.length) >>> 3) > f.limit) return over(f, span);
          return a + b;
        }
        return slow(a, b);
      };
    }
    let op: (a: bigint, b: bigint) => bigint | CelError;
    switch (e.op) {
      case "+":
        op = addInt;
        break;
      case "-":
        op = subInt;
        break;
      case "*":
        op = mulInt;
        break;
      case "/":
        op = divInt;
        break;
      case "%":
        op = modInt;
        break;
      default:
        return undefined;
    }
    const fn = op;
    return (f) => {
      const a = l(f);
      if (isErr(a)) return a;
      const b = r(f);
      if (typeof a === "bigint" && typeof b === "bigint") {
        const v = fn(a, b);
        return isErr(v) ? v.at(span) : v;
      }
      return slow(a, b);
    };
  }

  private relational(e: Extract<Expr, { kind: "binary" }>, op: "<" | "<=" | ">" | ">="): Node {
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const span = e.span;
    const compare = relation(op, `_${op}_`);
    const slow = (a: CelResult, b: CelResult): CelResult => {
      if (isErr(a)) return a;
      if (isErr(b)) return b;
      const v = compare(a, b);
      return isErr(v) ? v.at(span) : v;
    };
    const bothInt = this.is(e.left, "int") && this.is(e.right, "int");
    const bothDouble = this.is(e.left, "double") && this.is(e.right, "double");
    // int against an int literal: one closure, one bigint comparison.
    if (bothInt && e.right.kind === "literal" && e.right.literal.type === "int") {
      const k = e.right.literal.value;
      switch (op) {
        case "<":
          return (f) => {
            const a = l(f);
            return typeof a === "bigint" ? a < k : slow(a, k);
          };
        case "<=":
          return (f) => {
            const a = l(f);
            return typeof a === "bigint" ? a <= k : slow(a, k);
          };
        case ">":
          return (f) => {
            const a = l(f);
            return typeof a === "bigint" ? a > k : slow(a, k);
          };
        case ">=":
          return (f) => {
            const a = l(f);
            return typeof a === "bigint" ? a >= k : slow(a, k);
          };
      }
    }
    if (bothInt) {
      switch (op) {
        case "<":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "bigint" && typeof b === "bigint" ? a < b : slow(a, b);
          };
        case "<=":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "bigint" && typeof b === "bigint" ? a <= b : slow(a, b);
          };
        case ">":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "bigint" && typeof b === "bigint" ? a > b : slow(a, b);
          };
        case ">=":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "bigint" && typeof b === "bigint" ? a >= b : slow(a, b);
          };
      }
    }
    if (bothDouble) {
      switch (op) {
        case "<":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "number" && typeof b === "number" ? a < b : slow(a, b);
          };
        case "<=":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "number" && typeof b === "number" ? a <= b : slow(a, b);
          };
        case ">":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "number" && typeof b === "number" ? a > b : slow(a, b);
          };
        case ">=":
          return (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "number" && typeof b === "number" ? a >= b : slow(a, b);
          };
      }
    }
    // Strings take the general path too: JS string order is UTF-16 order, which differs from CEL's code point
    // order with surrogates; compareValues handles that.
    return (f) => {
      const a = l(f);
      const b = r(f);
      const w = scanWeight(a, b);
      if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
      return slow(a, b);
    };
  }

  private equality(e: Extract<Expr, { kind: "binary" }>, negate: boolean): Node {
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const lt = this.typeOf(e.left)?.kind;
    const rt = this.typeOf(e.right)?.kind;
    const span = e.span;
    const slowEq = (f: Frame, a: CelResult, b: CelResult): CelResult => {
      if (isErr(a)) return a;
      if (isErr(b)) return b;
      const w = equalityCost(a, b);
      if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
      return negate ? !celEquals(a, b) : celEquals(a, b);
    };
    // Strings of different lengths compare in constant time; long ones of equal length are charged their length.
    if (lt === rt && lt === "string") {
      return negate
        ? (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "string" && typeof b === "string" && a.length < SHORT ? a !== b : slowEq(f, a, b);
          }
        : (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "string" && typeof b === "string" && a.length < SHORT ? a === b : slowEq(f, a, b);
          };
    }
    if (lt === rt && lt === "int") {
      return negate
        ? (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "bigint" && typeof b === "bigint" ? a !== b : slowEq(f, a, b);
          }
        : (f) => {
            const a = l(f);
            const b = r(f);
            return typeof a === "bigint" && typeof b === "bigint" ? a === b : slowEq(f, a, b);
          };
    }
    return (f) => {
      const a = l(f);
      if (isErr(a)) return a;
      return slowEq(f, a, r(f));
    };
  }

  private membership(e: Extract<Expr, { kind: "binary" }>): Node {
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const span = e.span;
    const container = this.typeOf(e.right);
    const elemKind = container?.kind === "list" ? container.elem.kind : undefined;
    const slow = (f: Frame, x: CelResult, c: CelResult): CelResult => {
      if (isErr(x)) return x;
      if (isErr(c)) return c;
      const w = membershipCost(x, c);
      if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
      if (Array.isArray(c)) return inList(x, c);
      if (c instanceof CelMap) return c.has(x);
      return noOverload("@in", [x, c], span);
    };
    // A string (or bool) in a list of strings: Array.prototype.includes compares with ===, which is CEL equality
    // for these types. One step per element (short strings).
    if (elemKind === "string" && this.typeOf(e.left)?.kind === "string") {
      return (f) => {
        const x = l(f);
        const c = r(f);
        if (typeof x === "string" && Array.isArray(c) && x.length < SHORT) {
          if ((f.steps += c.length) > f.limit) return over(f, span);
          return c.includes(x);
        }
        return slow(f, x, c);
      };
    }
    return (f) => slow(f, l(f), r(f));
  }

  private callExpr(e: Extract<Expr, { kind: "call" }>): Node {
    const ref = this.ref(e);
    if (ref?.kind === "comprehension2") return this.comprehension2(e, ref.macro, ref.vars);
    if (ref?.kind === "bind") return this.bind(e, ref.name);
    if (ref?.kind === "optMap") return this.optMap(e, ref.name, ref.flat);
    // a namespaced global function written like a method on a name (`math.greatest(a, b)`)
    if (ref?.kind === "call" && !ref.receiver && e.target !== null) return this.call(e, e.args, ref.fn);
    const args = e.target === null ? e.args : [e.target, ...e.args];
    // timestamp("...") and duration("...") of a literal are constants: parse once, not per evaluation.
    if ((e.fn === "timestamp" || e.fn === "duration") && e.target === null && args.length === 1) {
      const a = args[0]!;
      if (a.kind === "literal" && a.literal.type === "string") {
        const v = e.fn === "timestamp" ? parseTimestamp(a.literal.value) : parseDuration(a.literal.value);
        return constant(isErr(v) ? v.at(e.span) : v);
      }
    }
    // Specializations for string methods on known strings.
    if (e.target !== null && args.length === 2 && this.is(args[0]!, "string") && this.is(args[1]!, "string")) {
      const special = this.stringMethod(e.fn, args[0]!, args[1]!, e.span);
      if (special !== undefined) return special;
    }
    return this.call(e, args, e.fn);
  }

  private stringMethod(fn: string, targetExpr: Expr, argExpr: Expr, span: Span): Node | undefined {
    const t = this.compile(targetExpr);
    const lit = argExpr.kind === "literal" && argExpr.literal.type === "string" ? argExpr.literal.value : undefined;
    const a = lit === undefined ? this.compile(argExpr) : constant(lit);
    const fail = (x: CelResult, y: CelResult): CelResult => (isErr(x) ? x : isErr(y) ? y : noOverload(fn, [x, y], span));
    switch (fn) {
      // startsWith/endsWith compare at most the prefix's length; contains scans the string (and the pattern).
      case "startsWith":
        if (lit !== undefined)
          return (f) => {
            const s = t(f);
            return typeof s === "string" ? s.startsWith(lit) : fail(s, lit);
          };
        return (f) => {
          const s = t(f);
          const p = a(f);
          if (typeof s === "string" && typeof p === "string") {
            if ((f.steps += p.length >>> 3) > f.limit) return over(f, span);
            return s.startsWith(p);
          }
          return fail(s, p);
        };
      case "endsWith":
        return (f) => {
          const s = t(f);
          const p = a(f);
          if (typeof s === "string" && typeof p === "string") {
            if ((f.steps += p.length >>> 3) > f.limit) return over(f, span);
            return s.endsWith(p);
          }
          return fail(s, p);
        };
      case "contains":
        return (f) => {
          const s = t(f);
          const p = a(f);
          if (typeof s === "string" && typeof p === "string") {
            if ((f.steps += (s.length + p.length) >>> 3) > f.limit) return over(f, span);
            return s.includes(p);
          }
          return fail(s, p);
        };
      case "matches": {
        if (lit !== undefined) {
          const re = compileRegex(lit);
          if (typeof re === "string") {
            const err = invalidRegex(lit, re).at(argExpr.span);
            return (f) => {
              const s = t(f);
              return isErr(s) ? s : err;
            };
          }
          const weight = regexWeight(lit.length);
          return (f) => {
            const s = t(f);
            if (typeof s === "string") {
              if ((f.steps += (s.length >>> 3) * weight) > f.limit) return over(f, span);
              return safeTest(re, s);
            }
            return fail(s, lit);
          };
        }
        return (f) => {
          const s = t(f);
          const p = a(f);
          if (typeof s === "string" && typeof p === "string") {
            if ((f.steps += dynamicRegexCost(s, p)) > f.limit) return over(f, span);
            const r = regexMatches(s, p);
            return isErr(r) ? r.at(span) : r;
          }
          return fail(s, p);
        };
      }
      default:
        return undefined;
    }
  }

  /** The overloads a call may use: the checker's candidates, or (unchecked code) every overload of its shape. */
  private overloadsFor(node: Expr, fn: string, arity: number): readonly Overload[] {
    const ref = this.ref(node);
    const overloads: readonly Overload[] = ref?.kind === "call" ? ref.overloads : [];
    if (overloads.length > 0) return overloads;
    const receiver = ref?.kind === "call" ? ref.receiver : node.kind === "call" && node.target !== null;
    const decl = this.checked.env.functions.get(fn);
    return decl?.overloads.filter((o) => o.receiver === receiver && (o.params.length === arity || (o.rest !== undefined && arity > o.params.length))) ?? [];
  }

  /** A strict call: evaluate the arguments left to right, propagate the first error, dispatch. */
  private call(node: Expr, argExprs: readonly Expr[], fn: string): Node {
    const overloads = this.overloadsFor(node, fn, argExprs.length);
    const args = argExprs.map((a) => this.compile(a));
    const span = node.span;
    if (overloads.length === 0) {
      const err = (this.checked.env.functions.has(fn)
        ? celErrors.noSuchOverload(fn, [])
        : celErrors.unboundFunction(fn)
      ).at(span);
      return (f) => {
        for (const a of args) {
          const v = a(f);
          if (isErr(v)) return v;
        }
        return err;
      };
    }
    if (overloads.some((o) => o.cost !== undefined)) return extensionCall(fn, args, overloads, span);
    const dispatch = makeDispatcher(fn, overloads, span);
    const cost = callCost(fn, this.checked.env.functions.get(fn) === STANDARD_FUNCTIONS.get(fn));
    switch (args.length) {
      case 1: {
        const [a0] = args as [Node];
        return (f) => {
          const x = a0(f);
          if (isErr(x)) return x;
          const w = cost(x, null);
          if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
          return dispatch.d1(x);
        };
      }
      case 2: {
        const [a0, a1] = args as [Node, Node];
        return (f) => {
          const x = a0(f);
          if (isErr(x)) return x;
          const y = a1(f);
          if (isErr(y)) return y;
          const w = cost(x, y);
          if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
          return dispatch.d2(x, y);
        };
      }
      default:
        return (f) => {
          const vals: CelValue[] = new Array<CelValue>(args.length);
          let w = 0;
          for (let k = 0; k < args.length; k++) {
            const v = args[k]!(f);
            if (isErr(v)) return v;
            vals[k] = v;
            w += cost(v, null);
          }
          if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
          return dispatch.dn(vals);
        };
    }
  }

  // --- aggregates --------------------------------------------------------------------------------------------

  private list(elements: readonly Expr[], optionalIndices: readonly number[] | undefined, span: Span): Node {
    const items = elements.map((x) => this.compile(x));
    if (optionalIndices !== undefined && optionalIndices.length > 0) {
      const optional = items.map((_, k) => optionalIndices.includes(k));
      return (f) => {
        const out: CelValue[] = [];
        for (let k = 0; k < items.length; k++) {
          const v = items[k]!(f);
          if (isErr(v)) return v;
          if (!optional[k]) out.push(v);
          else if (v instanceof CelOptional) {
            if (v.value !== undefined) out.push(v.value);
          } else return noOverload("[?_]", [v], span);
        }
        return out;
      };
    }
    if (items.length === 0) {
      const empty: readonly CelValue[] = Object.freeze([]);
      return () => empty;
    }
    return (f) => {
      const out: CelValue[] = new Array<CelValue>(items.length);
      for (let k = 0; k < items.length; k++) {
        const v = items[k]!(f);
        if (isErr(v)) return v;
        out[k] = v;
      }
      return out;
    };
  }

  private map(e: Extract<Expr, { kind: "map" }>): Node {
    const entries = e.entries.map((x) => [this.compile(x.key), this.compile(x.value), x.optional === true] as const);
    const span = e.span;
    return (f) => {
      const out: [CelValue, CelValue][] = [];
      for (const [kn, vn, optional] of entries) {
        const k = kn(f);
        if (isErr(k)) return k;
        const v = vn(f);
        if (isErr(v)) return v;
        if (!optional) out.push([k, v]);
        else if (v instanceof CelOptional) {
          if (v.value !== undefined) out.push([k, v.value]);
        } else return noOverload("{?_: _}", [v], span);
      }
      const m = CelMap.from(out);
      return isErr(m) ? m.at(span) : m;
    };
  }

  // --- cel.bind and the optional macros -------------------------------------------------------------------

  private bind(e: Extract<Expr, { kind: "call" }>, name: string): Node {
    const init = this.compile(e.args[1]!);
    return this.withLocals([name], ([slot]) => {
      const s = slot!;
      const body = this.compile(e.args[2]!);
      return (f) => {
        const v = init(f);
        if (isErr(v)) return v;
        f.locals[s] = v;
        return body(f);
      };
    });
  }

  private optMap(e: Extract<Expr, { kind: "call" }>, name: string, flat: boolean): Node {
    const target = this.compile(e.target!);
    const span = e.span;
    const fn = flat ? "optFlatMap" : "optMap";
    return this.withLocals([name], ([slot]) => {
      const s = slot!;
      const body = this.compile(e.args[1]!);
      return (f) => {
        const o = target(f);
        if (isErr(o)) return o;
        if (!(o instanceof CelOptional)) return noOverload(fn, [o], span);
        if (o.value === undefined) return o;
        f.locals[s] = o.value;
        const r = body(f);
        if (isErr(r)) return r;
        if (!flat) return CelOptional.of(r);
        return r instanceof CelOptional ? r : noOverload(fn, [r], span);
      };
    });
  }

  // --- comprehensions ----------------------------------------------------------------------------------------

  private withLocals<R>(names: readonly string[], body: (slots: number[]) => R): R {
    const slots = names.map((name) => {
      const slot = this.scope.length;
      this.scope.push({ name, slot });
      return slot;
    });
    this.maxSlots = Math.max(this.maxSlots, this.scope.length);
    try {
      return body(slots);
    } finally {
      for (let k = 0; k < names.length; k++) this.scope.pop();
    }
  }

  private comprehension({ macro, range: rangeExpr, variable, predicate, transform, span }: ComprehensionExpr): Node {
    const range = this.compile(rangeExpr);
    const limit = this.costLimit;
    return this.withLocals([variable], ([slot]) => {
      const s = slot!;
      const pred = predicate === null ? null : this.compile(predicate);
      const tr = transform === null ? null : this.compile(transform);
      const items = (f: Frame): readonly CelValue[] | CelError => {
        const r = range(f);
        if (Array.isArray(r)) return r;
        if (r instanceof CelMap) {
          // the keys are copied before the first iteration: charged, as an exists that stops early would not pay
          if ((f.steps += r.size) > limit) return over(f, span);
          return [...r.keys()];
        }
        return isErr(r) ? r : noOverload(macro, [r], span);
      };
      const step = costStep(limit, span);
      switch (macro) {
        case "all":
        case "exists": {
          const decisive = macro === "exists";
          const p = pred!;
          return (f) => {
            const xs = items(f);
            if (isErr(xs)) return xs;
            let error: CelError | undefined;
            for (let k = 0; k < xs.length; k++) {
              const stop = step(f);
              if (stop !== undefined) return stop;
              f.locals[s] = xs[k] as CelValue;
              const v = p(f);
              if (v === decisive) return decisive;
              if (v !== !decisive && error === undefined) error = isErr(v) ? v : noOverload(macro, [v], span);
            }
            return error ?? !decisive;
          };
        }
        case "exists_one": {
          const p = pred!;
          return (f) => {
            const xs = items(f);
            if (isErr(xs)) return xs;
            let n = 0;
            for (let k = 0; k < xs.length; k++) {
              const stop = step(f);
              if (stop !== undefined) return stop;
              f.locals[s] = xs[k] as CelValue;
              const v = p(f);
              if (v === true) n++;
              else if (v !== false) return isErr(v) ? v : noOverload(macro, [v], span);
            }
            return n === 1;
          };
        }
        case "map":
        case "filter": {
          const t = tr;
          return (f) => {
            const xs = items(f);
            if (isErr(xs)) return xs;
            const out: CelValue[] = [];
            for (let k = 0; k < xs.length; k++) {
              const stop = step(f);
              if (stop !== undefined) return stop;
              const x = xs[k] as CelValue;
              f.locals[s] = x;
              if (pred !== null) {
                const v = pred(f);
                if (v === false) continue;
                if (v !== true) return isErr(v) ? v : noOverload(macro, [v], span);
              }
              if (t === null) out.push(x);
              else {
                const y = t(f);
                if (isErr(y)) return y;
                out.push(y);
              }
            }
            return out;
          };
        }
      }
    });
  }

  private comprehension2(e: Extract<Expr, { kind: "call" }>, macro: Macro2, vars: readonly [string, string]): Node {
    const range = this.compile(e.target!);
    const limit = this.costLimit;
    const span = e.span;
    return this.withLocals(vars, ([s1, s2]) => {
      const a = s1!;
      const b = s2!;
      const rest = e.args.slice(2).map((x) => this.compile(x));
      const pairs = (f: Frame): (readonly [CelValue, CelValue])[] | CelError => {
        const r = range(f);
        // the pairs are built before the first iteration: charged, as an exists that stops early would not pay
        if (Array.isArray(r)) {
          if ((f.steps += r.length) > limit) return over(f, span);
          return r.map((x, k) => [BigInt(k), x as CelValue] as const);
        }
        if (r instanceof CelMap) {
          if ((f.steps += r.size) > limit) return over(f, span);
          return [...r.entries()];
        }
        return isErr(r) ? r : noOverload(macro, [r], span);
      };
      const step = costStep(limit, span);
      switch (macro) {
        case "all":
        case "exists": {
          const decisive = macro === "exists";
          const p = rest[0]!;
          return (f) => {
            const xs = pairs(f);
            if (isErr(xs)) return xs;
            let error: CelError | undefined;
            for (const [k, v] of xs) {
              const stop = step(f);
              if (stop !== undefined) return stop;
              f.locals[a] = k;
              f.locals[b] = v;
              const r = p(f);
              if (r === decisive) return decisive;
              if (r !== !decisive && error === undefined) error = isErr(r) ? r : noOverload(macro, [r], span);
            }
            return error ?? !decisive;
          };
        }
        case "existsOne": {
          const p = rest[0]!;
          return (f) => {
            const xs = pairs(f);
            if (isErr(xs)) return xs;
            let n = 0;
            for (const [k, v] of xs) {
              const stop = step(f);
              if (stop !== undefined) return stop;
              f.locals[a] = k;
              f.locals[b] = v;
              const r = p(f);
              if (r === true) n++;
              else if (r !== false) return isErr(r) ? r : noOverload(macro, [r], span);
            }
            return n === 1;
          };
        }
        case "transformList":
        case "transformMap":
        case "transformMapEntry": {
          const filter = rest.length === 2 ? rest[0]! : null;
          const t = rest[rest.length - 1]!;
          return (f) => {
            const xs = pairs(f);
            if (isErr(xs)) return xs;
            const outList: CelValue[] = [];
            const outEntries: [CelValue, CelValue][] = [];
            for (const [k, v] of xs) {
              const stop = step(f);
              if (stop !== undefined) return stop;
              f.locals[a] = k;
              f.locals[b] = v;
              if (filter !== null) {
                const c = filter(f);
                if (c === false) continue;
                if (c !== true) return isErr(c) ? c : noOverload(macro, [c], span);
              }
              const y = t(f);
              if (isErr(y)) return y;
              if (macro === "transformList") outList.push(y);
              else if (macro === "transformMap") outEntries.push([k, y]);
              else if (y instanceof CelMap) for (const entry of y.entries()) outEntries.push([entry[0], entry[1]]);
              else return noOverload(macro, [y], span);
            }
            if (macro === "transformList") return outList;
            const m = CelMap.from(outEntries);
            return isErr(m) ? m.at(span) : m;
          };
        }
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** One comprehension iteration: counts it, and past the limit records the abort (and returns it) for the frame. */
function costStep(limit: number, span: Span): (f: Frame) => CelError | undefined {
  return (f) => {
    if (++f.steps > limit) {
      f.abort ??= celErrors.costLimit(limit).at(span);
      return f.abort;
    }
    return undefined;
  };
}

/** Records that the frame went over its cost limit at `span` (the first such place wins) and returns the error. */
function over(f: Frame, span: Span): CelError {
  return (f.abort ??= celErrors.costLimit(f.limit).at(span));
}

/** Strings shorter than this compare in a constant amount of work for the fast paths (no charge). */
const SHORT = 256;

/**
 * The charge of a call before its dispatch, from its arguments: strings and bytes by the code units the standard
 * functions scan (size, conversions, contains...); `+` adds the lists it copies; `matches` is a dynamic regex; a
 * function that is not the standard one's (an extension) is charged the size of every argument, lists and maps too.
 */
function callCost(fn: string, standard: boolean): (a: CelValue, b: CelValue | null) => number {
  if (fn === "matches") return (a, b) => (typeof a === "string" && typeof b === "string" ? dynamicRegexCost(a, b) : 0);
  if (fn === "_+_" || !standard) return (a, b) => shallowSize(a) + (b === null ? 0 : shallowSize(b));
  return scanWeight;
}

/** Equality walks at most the smaller operand; strings of equal length compare by content. */
function equalityCost(a: CelValue, b: CelValue): number {
  if (typeof a === "string") return typeof b === "string" && a.length === b.length ? a.length >>> 3 : 0;
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return 0;
  return Math.min(deepSize(a), deepSize(b));
}

/** `x in list` compares x with every element (each comparison bounded by the element); a map lookup hashes x. */
function membershipCost(x: CelValue, c: CelValue): number {
  if (Array.isArray(c)) {
    if ((typeof x === "object" && x !== null) || (typeof x === "string" && x.length >= SHORT)) return deepSize(c);
    return c.length;
  }
  return scanOne(x);
}

function constant(v: CelResult): Node {
  return () => v;
}

function literalValue(e: Extract<Expr, { kind: "literal" }>): CelValue {
  const l = e.literal;
  switch (l.type) {
    case "int":
    case "double":
    case "string":
    case "bool":
      return l.value;
    case "uint":
      return new CelUint(l.value);
    case "bytes":
      return l.value;
    case "null":
      return null;
  }
}

function variable(name: string, span: Span): Node {
  // Names that exist on Object.prototype (`constructor`, `toString`) must not resolve to inherited members.
  const risky = name in Object.prototype;
  return (f) => {
    const v = f.act[name];
    if (v === undefined || (risky && !Object.prototype.hasOwnProperty.call(f.act, name)) || typeof v === "function")
      return celErrors.noSuchVariable(name).at(span);
    return v;
  };
}

/** `o.?field` and selection on an optional: empty when `o` is, or when the field (map key) is absent. */
function optionalSelect(o: CelOptional, field: string, span: Span): CelResult {
  const v = o.value;
  if (v === undefined) return o;
  if (v instanceof CelMap) {
    const x = v.getString(field);
    return x === undefined ? CelOptional.NONE : CelOptional.of(x);
  }
  if (v instanceof CelRecord) {
    const x = Object.prototype.hasOwnProperty.call(v.fields, field) ? v.fields[field] : undefined;
    return x === undefined ? CelOptional.NONE : CelOptional.of(x);
  }
  return selectField(v, field, span);
}

/** `c[?k]` and indexing an optional: empty when `c` is, or when the index (key) is absent. */
function optionalIndex(o: CelOptional, k: CelValue, span: Span): CelResult {
  const c = o.value;
  if (c === undefined) return o;
  if (Array.isArray(c)) {
    const r = indexValue(c, k);
    if (!isErr(r)) return CelOptional.of(r);
    // an index of a valid type that is out of range is absent; a bad index type stays an error
    return typeof k === "bigint" || k instanceof CelUint || (typeof k === "number" && Number.isInteger(k)) ? CelOptional.NONE : r.at(span);
  }
  if (c instanceof CelMap) {
    const x = c.get(k);
    return x === undefined ? CelOptional.NONE : CelOptional.of(x);
  }
  const r = indexValue(c, k);
  return isErr(r) ? r.at(span) : r;
}

function selectField(v: CelResult, field: string, span: Span): CelResult {
  if (isErr(v)) return v;
  if (v instanceof CelOptional) return optionalSelect(v, field, span);
  if (v instanceof CelRecord) {
    if (Object.prototype.hasOwnProperty.call(v.fields, field)) {
      const x = v.fields[field];
      if (x !== undefined) return x;
    }
    return celErrors.fieldNotSet(field).at(span);
  }
  if (v instanceof CelMap) {
    const x = v.getString(field);
    return x === undefined ? celErrors.noSuchKey(`'${field}'`).at(span) : x;
  }
  return celErrors
    .invalidArgument(`type \`${typeNameOf(v)}\` does not support field selection (selecting \`${field}\`)`)
    .at(span);
}

/**
 * A strict call to extension overloads (they declare their cost): arguments left to right, the first error wins;
 * the overload whose parameter types the values have is chosen once, charged its cost, then called.
 */
function extensionCall(fn: string, args: readonly Node[], overloads: readonly Overload[], span: Span): Node {
  const n = args.length;
  const fail = (vals: readonly CelValue[]) => celErrors.noSuchOverload(fn, vals.map((a) => typeNameOf(a))).at(span);
  const invoke = (f: Frame, o: Overload, vals: CelValue[]): CelResult => {
    // a core overload met through dynamic dispatch (`string(dyn(b))`) pays what the core functions scan
    let w = 0;
    if (o.cost !== undefined) w = o.cost(vals);
    else for (const v of vals) w += scanOne(v);
    if (w > 0 && (f.steps += w) > f.limit) return over(f, span);
    const r = o.impl(...vals);
    return isErr(r) ? r.at(span) : r;
  };
  if (overloads.length === 1 && n === 1) {
    const o = overloads[0]!;
    const p0 = o.params[0]!;
    const a0 = args[0]!;
    const cost = o.cost;
    const impl = o.impl;
    return (f) => {
      const x = a0(f);
      if (isErr(x)) return x;
      if (!valueHasType(x, p0)) return fail([x]);
      if (cost !== undefined && (f.steps += cost([x])) > f.limit) return over(f, span);
      const r = impl(x);
      return isErr(r) ? r.at(span) : r;
    };
  }
  return (f) => {
    const vals: CelValue[] = new Array<CelValue>(n);
    for (let k = 0; k < n; k++) {
      const v = args[k]!(f);
      if (isErr(v)) return v;
      vals[k] = v;
    }
    for (const o of overloads) if (argsHaveTypes(o, vals)) return invoke(f, o, vals);
    return fail(vals);
  };
}

function argsHaveTypes(o: Overload, args: readonly CelValue[]): boolean {
  if (args.length !== o.params.length && (o.rest === undefined || args.length < o.params.length)) return false;
  for (let k = 0; k < args.length; k++) if (!valueHasType(args[k]!, o.params[k] ?? o.rest!)) return false;
  return true;
}

interface Dispatcher {
  d1(a: CelValue): CelResult;
  d2(a: CelValue, b: CelValue): CelResult;
  dn(args: readonly CelValue[]): CelResult;
}

/** Chooses the overload whose parameter types the run-time arguments have, then calls it. */
function makeDispatcher(fn: string, overloads: readonly Overload[], span: Span): Dispatcher {
  const fail = (args: readonly CelValue[]) => celErrors.noSuchOverload(fn, args.map((a) => typeNameOf(a))).at(span);
  const finish = (r: CelResult): CelResult => (isErr(r) ? r.at(span) : r);
  if (overloads.length === 1) {
    const o = overloads[0]!;
    const p0 = o.params[0] ?? o.rest;
    const p1 = o.params[1] ?? o.rest;
    const impl = o.impl;
    return {
      d1: (a) => (valueHasType(a, p0!) ? finish(impl(a)) : fail([a])),
      d2: (a, b) => (valueHasType(a, p0!) && valueHasType(b, p1!) ? finish(impl(a, b)) : fail([a, b])),
      dn: (args) => (argsHaveTypes(o, args) ? finish(impl(...args)) : fail(args)),
    };
  }
  return {
    d1: (a) => {
      for (const o of overloads) if (valueHasType(a, o.params[0]!)) return finish(o.impl(a));
      return fail([a]);
    },
    d2: (a, b) => {
      for (const o of overloads) if (argsHaveTypes(o, [a, b])) return finish(o.impl(a, b));
      return fail([a, b]);
    },
    dn: (args) => {
      for (const o of overloads) if (argsHaveTypes(o, args)) return finish(o.impl(...args));
      return fail(args);
    },
  };
}
