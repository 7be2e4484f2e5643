// Policy-level views of expressions: typing through the CEL checker, plus the schema checks CEL cannot do
// (enum values, which counters a condition reads, literal `false`).
import type { Expr } from "../syntax/ast.ts";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import type { CelType } from "../cel/types.ts";
import type { FieldSchema } from "./policy-schema.ts";
import { checkExpression, type CheckedExpr, type TypeEnv } from "../cel/checker.ts";
import type { Span } from "../vocabulary/span.ts";

/** An expression typed in its scope; `checked` is what the CEL compiler takes. */
export interface TypedExpr {
  readonly file: string;
  readonly expr: Expr;
  readonly type: CelType;
  readonly checked: CheckedExpr;
}

/** Types an expression; with `expected`, a value of another type is an error (`what` names it in the message). */
export function typeExpr(
  expr: Expr,
  file: string,
  env: TypeEnv,
  sink: Diagnostic[],
  expected?: { readonly type: CelType; readonly what: string },
): TypedExpr {
  const r = checkExpression(expr, env, {
    file,
    ...(expected !== undefined ? { expectedType: expected.type, expectedWhat: expected.what } : {}),
  });
  sink.push(...r.diagnostics);
  return { file, expr, type: r.type, checked: r.checked };
}

/** Calls `visit` on every node of the expression tree, parents first. */
export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  forEachChild(e, (c) => walkExpr(c, visit));
}

/** Calls `f` on each direct sub-expression of `e`, in source order (a comprehension: range, predicate, transform). */
export function forEachChild(e: Expr, f: (child: Expr) => void): void {
  switch (e.kind) {
    case "literal":
    case "ident":
      return;
    case "select":
    case "has":
    case "unary":
      f(e.operand);
      return;
    case "index":
      f(e.operand);
      f(e.index);
      return;
    case "call":
      if (e.target !== null) f(e.target);
      for (const a of e.args) f(a);
      return;
    case "binary":
      f(e.left);
      f(e.right);
      return;
    case "conditional":
      f(e.test);
      f(e.then);
      f(e.otherwise);
      return;
    case "list":
      for (const x of e.elements) f(x);
      return;
    case "map":
      for (const x of e.entries) {
        f(x.key);
        f(x.value);
      }
      return;
    case "comprehension":
      f(e.range);
      if (e.predicate !== null) f(e.predicate);
      if (e.transform !== null) f(e.transform);
      return;
  }
}

/** `record.field` with `record` a root variable: the pair, else null. */
function fieldOf(e: Expr): { record: string; field: string } | null {
  if (e.kind === "select" && e.operand.kind === "ident") return { record: e.operand.name, field: e.field };
  return null;
}

/** The names of the counters an expression reads (`counter.NAME`), in order of first use. */
export function countersReadBy(expr: Expr): string[] {
  const out: string[] = [];
  walkExpr(expr, (e) => {
    const f = fieldOf(e);
    if (f !== null && f.record === "counter" && !out.includes(f.field)) out.push(f.field);
    if (e.kind === "has" && e.operand.kind === "ident" && e.operand.name === "counter" && !out.includes(e.field)) out.push(e.field);
  });
  return out;
}

export interface EnumProblem {
  readonly span: Span;
  readonly value: string;
  /** `action.status` */
  readonly field: string;
  readonly values: readonly string[];
}

/**
 * String literals compared with an enum-typed field (`==`, `!=`, `in [...]`) that are not among its values.
 * A comprehension variable named like a record shadows it, so comparisons inside one on that name are skipped.
 */
export function checkEnumComparisons(
  expr: Expr,
  records: Readonly<Record<string, ReadonlyMap<string, FieldSchema>>>,
): EnumProblem[] {
  const out: EnumProblem[] = [];
  const enumOf = (e: Expr): { field: string; values: readonly string[] } | null => {
    const f = fieldOf(e);
    if (f === null) return null;
    const schema = records[f.record]?.get(f.field);
    if (schema === undefined || schema.type.kind !== "enum") return null;
    return { field: `${f.record}.${f.field}`, values: schema.type.values };
  };
  const shadowed = new Set<Expr>();
  walkExpr(expr, (e) => {
    if (e.kind === "comprehension" && e.variable in records) {
      for (const inner of [e.predicate, e.transform]) if (inner !== null) walkExpr(inner, (x) => shadowed.add(x));
    }
    if (e.kind !== "binary" || shadowed.has(e)) return;
    const check = (side: Expr, other: Expr): void => {
      const en = enumOf(side);
      if (en === null) return;
      const lits = e.op === "in" ? (other.kind === "list" ? other.elements : []) : [other];
      for (const l of lits)
        if (l.kind === "literal" && l.literal.type === "string" && !en.values.includes(l.literal.value))
          out.push({ span: l.span, value: l.literal.value, field: en.field, values: en.values });
    };
    if (e.op === "==" || e.op === "!=") {
      check(e.left, e.right);
      check(e.right, e.left);
    } else if (e.op === "in") {
      check(e.left, e.right);
    }
  });
  return out;
}

export function isLiteralFalse(e: Expr): boolean {
  return e.kind === "literal" && e.literal.type === "bool" && !e.literal.value;
}

/** The value of a literal (strings, bools, numbers as written), or null for anything else. */
export function literalValueType(e: Expr): string | boolean | number | bigint | null {
  if (e.kind !== "literal") return null;
  const l = e.literal;
  switch (l.type) {
    case "string":
    case "bool":
    case "double":
    case "int":
    case "uint":
      return l.value;
    default:
      return null;
  }
}
