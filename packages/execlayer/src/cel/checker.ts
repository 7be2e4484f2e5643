// The CEL expression type checker: gradual typing over the AST (src/syntax/ast.ts), overload resolution with type
// parameters, record field typing, and diagnostics with spans and "did you mean" suggestions.
//
// The checker never throws and always returns a CheckedExpr: nodes that failed to check get the type `error`
// (which behaves like dyn, so one mistake does not cascade) and the compiler falls back to run-time dispatch for
// them. Callers compile only expressions without error diagnostics; the conformance runner also compiles
// unchecked ones (its `disableCheck` tests), which then fail at run time with CEL's errors.
import type { CallExpr, ComprehensionExpr, Expr, LiteralValue } from "../syntax/ast.ts";
import { diagnostic, type Diagnostic, type DiagnosticDef } from "../diagnostics/diagnostic.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import {
  STANDARD_FUNCTIONS,
  mergeFunctions,
  type FunctionDecl,
  type Overload,
} from "./stdlib.ts";
import { regexError } from "./regex.ts";
import { NUMERIC_VARIADIC } from "./ext/math.ts";
import { CelError } from "./errors.ts";
import { DURATION_FORMS, TIMESTAMP_FORMS, parseDuration, parseTimestamp, timestampHint } from "./time.ts";
import {
  T,
  TYPE_IDENTIFIERS,
  formatType,
  isAssignable,
  isDynLike,
  joinTypes,
  listType,
  mapType,
  optionalOf,
  optionalType,
  substitute,
  typeType,
  type CelType,
  type RecordType,
  type Substitution,
} from "./types.ts";
import type { Span } from "../vocabulary/span.ts";

/** Declared variables and functions an expression is checked against. Immutable: `with*` returns a new env. */
export class TypeEnv {
  private functionsCache: ReadonlyMap<string, FunctionDecl> | undefined;

  /** `new TypeEnv()` is empty: no variables, the standard functions. */
  constructor(
    readonly variables: ReadonlyMap<string, CelType> = new Map(),
    private readonly extraFunctions: readonly FunctionDecl[] = [],
  ) {
    this.functionsCache = extraFunctions.length === 0 ? STANDARD_FUNCTIONS : undefined;
  }

  /** Declares a variable; a dotted name (`a.b.c`) declares a qualified identifier. */
  withVariable(name: string, type: CelType): TypeEnv {
    const vars = new Map(this.variables);
    vars.set(name, type);
    return new TypeEnv(vars, this.extraFunctions);
  }

  withVariables(vars: Iterable<readonly [string, CelType]>): TypeEnv {
    const m = new Map(this.variables);
    for (const [k, v] of vars) m.set(k, v);
    return new TypeEnv(m, this.extraFunctions);
  }

  /** Adds a function (or more overloads of an existing one) with their implementations. */
  withFunction(decl: FunctionDecl): TypeEnv {
    return new TypeEnv(this.variables, [...this.extraFunctions, decl]);
  }

  get functions(): ReadonlyMap<string, FunctionDecl> {
    if (this.functionsCache === undefined) this.functionsCache = mergeFunctions(STANDARD_FUNCTIONS, this.extraFunctions);
    return this.functionsCache;
  }
}

/** How the checker resolved a node; the compiler reads these. */
export type Reference =
  /** an activation variable (name may be qualified, `a.b.c`); on a select node it replaces the whole chain */
  | { readonly kind: "variable"; readonly name: string }
  /** a comprehension variable */
  | { readonly kind: "local"; readonly name: string }
  /** a type name used as a value (`int`, `google.protobuf.Timestamp`) */
  | { readonly kind: "type"; readonly type: CelType }
  /** an undeclared identifier (unchecked evaluation): looked up in the activation at run time */
  | { readonly kind: "unresolved"; readonly name: string }
  /** a function call or operator: the overloads that may apply, most specific first */
  | { readonly kind: "call"; readonly fn: string; readonly receiver: boolean; readonly overloads: readonly Overload[] }
  /** a two-variable comprehension written as a call (`list.all(i, v, p)`, `m.transformMap(k, v, t)`) */
  | { readonly kind: "comprehension2"; readonly macro: Macro2; readonly vars: readonly [string, string] }
  /** `cel.bind(name, init, body)`: `name` is bound to `init` inside `body` */
  | { readonly kind: "bind"; readonly name: string }
  /** `opt.optMap(name, expr)` / `opt.optFlatMap(name, expr)`: `expr` over the optional's value, when it has one */
  | { readonly kind: "optMap"; readonly flat: boolean; readonly name: string };

export type Macro2 = "all" | "exists" | "existsOne" | "transformList" | "transformMap" | "transformMapEntry";

export interface CheckedExpr {
  readonly expr: Expr;
  /** the type of the whole expression */
  readonly type: CelType;
  readonly env: TypeEnv;
  /** the static type of every node */
  readonly types: ReadonlyMap<Expr, CelType>;
  readonly refs: ReadonlyMap<Expr, Reference>;
  /** true when checking produced no error diagnostics */
  readonly ok: boolean;
}

export interface CheckOptions {
  /** attached to every diagnostic */
  readonly file?: string;
  /** the type the expression must have (e.g. bool for conditions); a mismatch is a diagnostic */
  readonly expectedType?: CelType;
  /** what the expression is, for the mismatch message (default "the expression") */
  readonly expectedWhat?: string;
}

export interface CheckResult {
  readonly type: CelType;
  readonly diagnostics: Diagnostic[];
  readonly checked: CheckedExpr;
}

const OPERATOR_FUNCTIONS: Readonly<Record<string, string>> = {
  "+": "_+_",
  "-": "_-_",
  "*": "_*_",
  "/": "_/_",
  "%": "_%_",
  "==": "_==_",
  "!=": "_!=_",
  "<": "_<_",
  "<=": "_<=_",
  ">": "_>_",
  ">=": "_>=_",
  in: "@in",
};

/** How operators read in messages. */
export function displayFunctionName(fn: string): string {
  switch (fn) {
    case "@in":
      return "in";
    case "_[_]":
      return "[]";
    case "!_":
      return "!";
    case "-_":
      return "-";
    default: {
      const m = /^_(.+)_$/.exec(fn);
      return m !== null ? m[1]! : fn;
    }
  }
}

const MACRO2_NAMES: ReadonlySet<string> = new Set([
  "all",
  "exists",
  "existsOne",
  "exists_one",
  "transformList",
  "transformMap",
  "transformMapEntry",
]);

export function checkExpression(expr: Expr, env: TypeEnv, options: CheckOptions = {}): CheckResult {
  const c = new Checker(env, options.file);
  let type = c.check(expr);
  if (options.expectedType !== undefined && !isAssignable(options.expectedType, type, new Map())) {
    c.report(Diagnostics.typeMismatch, expr.span, [
      options.expectedWhat ?? "the expression",
      formatType(options.expectedType),
      formatType(type),
    ]);
    type = T.error;
  }
  const checked: CheckedExpr = {
    expr,
    type,
    env,
    types: c.types,
    refs: c.refs,
    ok: !c.diagnostics.some((d) => d.severity === "error"),
  };
  return { type, diagnostics: c.diagnostics, checked };
}

class Checker {
  readonly types = new Map<Expr, CelType>();
  readonly refs = new Map<Expr, Reference>();
  readonly diagnostics: Diagnostic[] = [];
  /** comprehension variables in scope, innermost last */
  private readonly locals: { name: string; type: CelType }[] = [];

  constructor(
    private readonly env: TypeEnv,
    private readonly file: string | undefined,
  ) {}

  report<A extends readonly unknown[]>(def: DiagnosticDef<A>, span: Span, args: A, help?: string): void {
    const extras: { file?: string; help?: string } = {};
    if (this.file !== undefined) extras.file = this.file;
    if (help !== undefined) extras.help = help;
    this.diagnostics.push(diagnostic(def, span, args, extras));
  }

  check(e: Expr): CelType {
    const t = this.visit(e);
    this.types.set(e, t);
    return t;
  }

  private visit(e: Expr): CelType {
    switch (e.kind) {
      case "literal":
        return literalType(e.literal);
      case "ident":
        return this.ident(e.name, e.rootScoped, e, e.span);
      case "select":
        return this.select(e);
      case "has":
        return this.has(e);
      case "index": {
        const ot = this.check(e.operand);
        if (e.optional === true || optionalOf(ot) !== undefined) return this.optionalIndex(e, ot);
        return this.call("_[_]", false, [e.operand, e.index], e, e.span, undefined, [ot, this.check(e.index)]);
      }
      case "call":
        return this.callExpr(e);
      case "unary":
        return this.call(e.op === "!" ? "!_" : "-_", false, [e.operand], e, e.span);
      case "binary":
        if (e.op === "&&" || e.op === "||") {
          this.expectBool(e.left, `the left operand of \`${e.op}\``);
          this.expectBool(e.right, `the right operand of \`${e.op}\``);
          return T.bool;
        }
        return this.call(OPERATOR_FUNCTIONS[e.op]!, false, [e.left, e.right], e, e.span);
      case "conditional": {
        this.expectBool(e.test, "the condition of `? :`");
        const a = this.check(e.then);
        const b = this.check(e.otherwise);
        const s: Substitution = new Map();
        const p = { kind: "param", name: "A" } as const;
        if (isAssignable(p, a, s) && isAssignable(p, b, s)) return substitute(p, s, true);
        this.report(Diagnostics.noMatchingOverload, e.span, ["? :", `(bool, ${formatType(a)}, ${formatType(b)})`], "both branches of `? :` must have the same type; wrap one in `dyn(...)` to mix types");
        return T.error;
      }
      case "list": {
        let elem: CelType | null = null;
        const optional = new Set(e.optionalIndices ?? []);
        for (let k = 0; k < e.elements.length; k++) {
          const x = e.elements[k]!;
          let t = this.check(x);
          if (optional.has(k)) t = this.optionalEntry(x, t, "a list element");
          elem = elem === null ? t : joinTypes(elem, t);
        }
        return listType(elem ?? T.dyn);
      }
      case "map": {
        let key: CelType | null = null;
        let value: CelType | null = null;
        for (const entry of e.entries) {
          const kt = this.check(entry.key);
          let vt = this.check(entry.value);
          if (entry.optional === true) vt = this.optionalEntry(entry.value, vt, "a map entry");
          if (!isValidKeyType(kt)) this.report(Diagnostics.unsupportedMapKey, entry.key.span, [formatType(kt)], "map keys are int, uint, string or bool");
          key = key === null ? kt : joinTypes(key, kt);
          value = value === null ? vt : joinTypes(value, vt);
        }
        return mapType(key ?? T.dyn, value ?? T.dyn);
      }
      case "comprehension":
        return this.comprehension(e);
    }
  }

  private expectBool(e: Expr, what: string): void {
    const t = this.check(e);
    if (!isAssignable(T.bool, t, new Map())) this.report(Diagnostics.typeMismatch, e.span, [what, "bool", formatType(t)]);
  }

  private lookupLocal(name: string): CelType | undefined {
    for (let k = this.locals.length - 1; k >= 0; k--) if (this.locals[k]!.name === name) return this.locals[k]!.type;
    return undefined;
  }

  private ident(name: string, rootScoped: boolean, node: Expr, span: Span): CelType {
    if (!rootScoped) {
      const local = this.lookupLocal(name);
      if (local !== undefined) {
        this.refs.set(node, { kind: "local", name });
        return local;
      }
    }
    const v = this.env.variables.get(name);
    if (v !== undefined) {
      this.refs.set(node, { kind: "variable", name });
      return v;
    }
    const tv = TYPE_IDENTIFIERS.get(name);
    if (tv !== undefined) {
      this.refs.set(node, { kind: "type", type: tv });
      return typeType(tv);
    }
    this.refs.set(node, { kind: "unresolved", name });
    const candidates = [...this.env.variables.keys(), ...this.locals.map((l) => l.name)];
    this.report(Diagnostics.undeclaredReference, span, [name], didYouMean(name, candidates));
    return T.error;
  }

  /** `a.b.c` as a qualified name when the chain is only selects over an identifier that is not a local. */
  private qualifiedName(e: Expr): { name: string; rootScoped: boolean } | null {
    if (e.kind === "ident") {
      if (!e.rootScoped && this.lookupLocal(e.name) !== undefined) return null;
      return { name: e.name, rootScoped: e.rootScoped };
    }
    if (e.kind === "select") {
      const q = this.qualifiedName(e.operand);
      return q === null ? null : { name: `${q.name}.${e.field}`, rootScoped: q.rootScoped };
    }
    return null;
  }

  private select(e: Extract<Expr, { kind: "select" }>): CelType {
    // Qualified identifiers: the longest declared prefix wins (`a.b.c` declared beats `a.b` + field `c`).
    const q = e.optional === true ? null : this.qualifiedName(e);
    if (q !== null) {
      const v = this.env.variables.get(q.name);
      if (v !== undefined) {
        this.refs.set(e, { kind: "variable", name: q.name });
        return v;
      }
      const tv = TYPE_IDENTIFIERS.get(q.name);
      if (tv !== undefined && q.name.includes(".")) {
        this.refs.set(e, { kind: "type", type: tv });
        return typeType(tv);
      }
    }
    const operand = this.check(e.operand);
    // `m.?f`, and any selection on an optional (optional chaining): an optional of the field's type
    const inner = optionalOf(operand);
    if (e.optional === true || inner !== undefined) {
      const t = this.fieldType(inner ?? operand, e.field, e.fieldSpan, false);
      return t.kind === "error" ? t : optionalType(t);
    }
    return this.fieldType(operand, e.field, e.fieldSpan, false);
  }

  /** `l[?i]`, `m[?k]`, and indexing an optional: an optional of the element's type. */
  private optionalIndex(e: Extract<Expr, { kind: "index" }>, operand: CelType): CelType {
    const container = optionalOf(operand) ?? operand;
    const it = this.check(e.index);
    const s: Substitution = new Map();
    switch (container.kind) {
      case "list":
        if (!isAssignable(T.int, it, s) && !isNumericIndex(it))
          this.report(Diagnostics.noMatchingOverload, e.span, ["[?]", `${formatType(container)}[${formatType(it)}]`], "lists are indexed by `int`");
        return optionalType(container.elem);
      case "map":
        if (!isAssignable(container.key, it, s))
          this.report(Diagnostics.noMatchingOverload, e.span, ["[?]", `${formatType(container)}[${formatType(it)}]`], `this map's keys are \`${formatType(container.key)}\``);
        return optionalType(container.value);
      case "dyn":
      case "error":
      case "param":
        return optionalType(T.dyn);
      default:
        this.report(Diagnostics.noMatchingOverload, e.span, ["[?]", `${formatType(container)}[${formatType(it)}]`], "`[?]` indexes lists and maps");
        return T.error;
    }
  }

  /** An optional list element `[?x]` or map entry `{?k: x}`: `x` must be an optional; the element is its value. */
  private optionalEntry(x: Expr, t: CelType, what: string): CelType {
    const inner = optionalOf(t);
    if (inner !== undefined) return inner;
    if (isDynLike(t) || t.kind === "param") return T.dyn;
    this.report(Diagnostics.typeMismatch, x.span, [`${what} marked \`?\``, "optional_type", formatType(t)], "`?` before an element takes an optional: write `?optional.of(x)` or `?m.?key`");
    return T.error;
  }

  private fieldType(operand: CelType, field: string, span: Span, forHas: boolean): CelType {
    switch (operand.kind) {
      case "record": {
        const f = operand.fields.get(field);
        if (f === undefined) {
          this.report(Diagnostics.unknownField, span, [field, operand.name], didYouMean(field, operand.fields.keys()) ?? fieldList(operand));
          return T.error;
        }
        return f.type;
      }
      case "map":
        if (!isAssignable(T.string, operand.key, new Map())) {
          this.report(Diagnostics.noFieldSelection, span, [field, formatType(operand)], "use an index expression `m[key]` for maps with non-string keys");
          return T.error;
        }
        return operand.value;
      case "error":
        return T.error;
      case "dyn":
      case "param":
        return T.dyn;
      default:
        this.report(Diagnostics.noFieldSelection, span, [field, formatType(operand)], forHas ? "`has()` tests fields of records and keys of maps" : undefined);
        return T.error;
    }
  }

  private has(e: Extract<Expr, { kind: "has" }>): CelType {
    const operand = this.check(e.operand);
    this.fieldType(optionalOf(operand) ?? operand, e.field, e.span, true);
    return T.bool;
  }

  private callExpr(e: CallExpr): CelType {
    // `cel.bind`, `optMap` and `optFlatMap` reach the checker as calls, like the two-variable comprehensions.
    const q = e.target === null ? null : this.qualifiedName(e.target);
    const first = e.args[0];
    if (first !== undefined && first.kind === "ident" && !first.rootScoped) {
      if (q !== null && q.name === "cel" && e.fn === "bind" && e.args.length === 3 && this.env.variables.get("cel") === undefined)
        return this.bind(e, first.name);
      if (e.target !== null && (e.fn === "optMap" || e.fn === "optFlatMap") && e.args.length === 2)
        return this.optMap(e, first.name, e.fn === "optFlatMap");
    }
    // A namespaced global function (`math.greatest(x, y)`, `optional.of(x)`) reads like a method on a name.
    if (q !== null && this.env.functions.has(`${q.name}.${e.fn}`) && this.env.variables.get(q.name) === undefined) {
      const fn = `${q.name}.${e.fn}`;
      const t = this.call(fn, false, e.args, e, e.span, e.fnSpan);
      if (NUMERIC_VARIADIC.has(fn)) this.numericArguments(fn, e);
      return t;
    }
    // Two-variable comprehensions reach the checker as calls (the parser expands only the one-variable macros).
    if (e.target !== null && MACRO2_NAMES.has(e.fn) && (e.args.length === 3 || e.args.length === 4)) {
      const [a, b] = e.args;
      if (a!.kind === "ident" && b!.kind === "ident" && !a!.rootScoped && !b!.rootScoped) {
        const macro = (e.fn === "exists_one" ? "existsOne" : e.fn) as Macro2;
        if (e.args.length === 3 || macro === "transformList" || macro === "transformMap" || macro === "transformMapEntry")
          return this.comprehension2(e, macro, a!.name, b!.name);
      }
    }
    const args = e.target === null ? e.args : [e.target, ...e.args];
    const t = this.call(e.fn, e.target !== null, args, e, e.span, e.fnSpan);
    // A literal that can never convert (`timestamp("2024-13-01")`) fails on every evaluation: say so now.
    if ((e.fn === "timestamp" || e.fn === "duration") && e.target === null && args.length === 1) {
      const a = args[0]!;
      if (a.kind === "literal" && a.literal.type === "string") {
        const r = e.fn === "timestamp" ? parseTimestamp(a.literal.value) : parseDuration(a.literal.value);
        if (r instanceof CelError) {
          const hint = e.fn === "timestamp" ? timestampHint(a.literal.value) : undefined;
          this.report(Diagnostics.constantError, a.span, [r.message], hint ?? (e.fn === "timestamp" ? `a timestamp is ${TIMESTAMP_FORMS}` : DURATION_FORMS));
        }
      }
    }
    // A literal pattern RE2 rejects is an error now rather than at every evaluation.
    if (e.fn === "matches" || e.fn === "find" || e.fn === "findAll") {
      const pattern = args[1];
      if (pattern !== undefined && pattern.kind === "literal" && pattern.literal.type === "string") {
        const why = regexError(pattern.literal.value);
        if (why !== undefined) this.report(Diagnostics.invalidRegex, pattern.span, [pattern.literal.value, why], "patterns use RE2 syntax: https://github.com/google/re2/wiki/Syntax");
      }
    }
    return t;
  }

  private bind(e: CallExpr, name: string): CelType {
    this.refs.set(e, { kind: "bind", name });
    const init = this.check(e.args[1]!);
    this.locals.push({ name, type: init });
    try {
      return this.check(e.args[2]!);
    } finally {
      this.locals.pop();
    }
  }

  private optMap(e: CallExpr, name: string, flat: boolean): CelType {
    this.refs.set(e, { kind: "optMap", flat, name });
    const target = this.check(e.target!);
    const inner = optionalOf(target);
    if (inner === undefined && !isDynLike(target))
      this.report(Diagnostics.typeMismatch, e.target!.span, [`the target of \`${e.fn}\``, "optional_type", formatType(target)]);
    this.locals.push({ name, type: inner ?? T.dyn });
    try {
      const body = this.check(e.args[1]!);
      if (!flat) return body.kind === "error" ? body : optionalType(body);
      if (optionalOf(body) === undefined && !isDynLike(body)) {
        this.report(Diagnostics.typeMismatch, e.args[1]!.span, ["the result of `optFlatMap`", "optional_type", formatType(body)]);
        return T.error;
      }
      return isDynLike(body) ? optionalType(T.dyn) : body;
    } finally {
      this.locals.pop();
    }
  }

  /** `math.greatest` / `math.least` take numbers (their mixed-type overloads are declared over dyn). */
  private numericArguments(fn: string, e: CallExpr): void {
    for (const a of e.args) {
      const t = this.types.get(a);
      if (t === undefined || isDynLike(t) || NUMERIC_KINDS.has(t.kind)) continue;
      if (e.args.length === 1 && t.kind === "list" && (isDynLike(t.elem) || NUMERIC_KINDS.has(t.elem.kind))) continue;
      this.report(Diagnostics.noMatchingOverload, a.span, [fn, `(${formatType(t)})`], `\`${fn}\` takes numbers (int, uint, double), or one list of them`);
    }
  }

  /** Resolves a function or operator call against its overloads (`argTypes` when the arguments are checked already). */
  call(fn: string, receiver: boolean, args: readonly Expr[], node: Expr, span: Span, fnSpan?: Span, checkedArgs?: readonly CelType[]): CelType {
    const argTypes = checkedArgs ?? args.map((a) => this.check(a));
    const decl = this.env.functions.get(fn);
    const arityOk = (o: Overload) => o.params.length === args.length || (o.rest !== undefined && args.length > o.params.length);
    const candidates = decl?.overloads.filter((o) => o.receiver === receiver && arityOk(o)) ?? [];
    if (decl === undefined || (candidates.length === 0 && !decl.overloads.some(arityOk))) {
      this.refs.set(node, { kind: "call", fn, receiver, overloads: [] });
      if (decl === undefined) {
        const names = [...this.env.functions.keys()].filter((n) => /^[A-Za-z]/.test(n));
        this.report(Diagnostics.undeclaredFunction, fnSpan ?? span, [fn], didYouMean(fn, names));
      } else {
        this.report(Diagnostics.noMatchingOverload, span, [displayFunctionName(fn), shownArgs(fn, receiver, argTypes)], signatures(decl, receiver));
      }
      return T.error;
    }
    const matched: Overload[] = [];
    let result: CelType | null = null;
    for (const o of candidates) {
      const s: Substitution = new Map();
      let ok = true;
      for (let k = 0; k < args.length && ok; k++) ok = isAssignable(o.params[k] ?? o.rest!, argTypes[k]!, s);
      if (!ok) continue;
      matched.push(o);
      const r = substitute(o.result, s, true);
      result = result === null ? r : joinTypes(result, r);
    }
    this.refs.set(node, { kind: "call", fn, receiver, overloads: matched.length > 0 ? matched : candidates });
    if (matched.length === 0) {
      // Arguments that already failed to check are not reported again.
      if (!argTypes.some((t) => t.kind === "error")) {
        this.report(Diagnostics.noMatchingOverload, span, [displayFunctionName(fn), shownArgs(fn, receiver, argTypes)], overloadHelp(decl, receiver, argTypes));
      }
      return T.error;
    }
    return result ?? T.dyn;
  }

  private rangeVarTypes(range: CelType): { first: CelType; second: CelType; isMap: boolean } | null {
    switch (range.kind) {
      case "list":
        return { first: range.elem, second: range.elem, isMap: false };
      case "map":
        return { first: range.key, second: range.value, isMap: true };
      case "dyn":
      case "error":
      case "param":
        return { first: T.dyn, second: T.dyn, isMap: false };
      default:
        return null;
    }
  }

  private comprehension({ macro, range: rangeExpr, variable, predicate, transform }: ComprehensionExpr): CelType {
    const range = this.check(rangeExpr);
    const vars = this.rangeVarTypes(range);
    if (vars === null) this.report(Diagnostics.notIterable, rangeExpr.span, [macro, formatType(range)]);
    const varType = vars?.first ?? T.error;
    this.locals.push({ name: variable, type: varType });
    try {
      if (predicate !== null) this.expectBool(predicate, `the predicate of \`${macro}\``);
      const tt = transform !== null ? this.check(transform) : null;
      switch (macro) {
        case "all":
        case "exists":
        case "exists_one":
          return T.bool;
        case "map":
          return listType(tt ?? T.dyn);
        case "filter":
          return listType(varType);
      }
    } finally {
      this.locals.pop();
    }
  }

  private comprehension2(e: CallExpr, macro: Macro2, v1: string, v2: string): CelType {
    this.refs.set(e, { kind: "comprehension2", macro, vars: [v1, v2] });
    const range = this.check(e.target!);
    const vars = this.rangeVarTypes(range);
    if (vars === null) this.report(Diagnostics.notIterable, e.target!.span, [macro, formatType(range)]);
    if (v1 === v2) this.report(Diagnostics.invalidMacro, e.args[1]!.span, [macro, "the two variables must have different names"]);
    const first = vars === null ? T.error : vars.isMap || isDynLike(range) ? vars.first : T.int;
    const second = vars?.second ?? T.error;
    this.locals.push({ name: v1, type: first }, { name: v2, type: second });
    try {
      const rest = e.args.slice(2);
      switch (macro) {
        case "all":
        case "exists":
        case "existsOne":
          this.expectBool(rest[0]!, `the predicate of \`${macro}\``);
          return T.bool;
        case "transformList": {
          if (rest.length === 2) this.expectBool(rest[0]!, `the filter of \`${macro}\``);
          return listType(this.check(rest[rest.length - 1]!));
        }
        case "transformMap": {
          if (vars !== null && !vars.isMap && !isDynLike(range))
            this.report(Diagnostics.notIterable, e.target!.span, [macro, formatType(range)], "`transformMap` needs a map");
          if (rest.length === 2) this.expectBool(rest[0]!, `the filter of \`${macro}\``);
          return mapType(first, this.check(rest[rest.length - 1]!));
        }
        case "transformMapEntry": {
          if (rest.length === 2) this.expectBool(rest[0]!, `the filter of \`${macro}\``);
          const t = this.check(rest[rest.length - 1]!);
          return t.kind === "map" ? t : mapType(T.dyn, T.dyn);
        }
      }
    } finally {
      this.locals.pop();
      this.locals.pop();
    }
  }
}

function literalType(l: LiteralValue): CelType {
  switch (l.type) {
    case "int":
      return T.int;
    case "uint":
      return T.uint;
    case "double":
      return T.double;
    case "string":
      return T.string;
    case "bytes":
      return T.bytes;
    case "bool":
      return T.bool;
    case "null":
      return T.null;
  }
}

function isValidKeyType(t: CelType): boolean {
  switch (t.kind) {
    case "int":
    case "uint":
    case "string":
    case "bool":
    case "dyn":
    case "error":
    case "param":
      return true;
    default:
      return false;
  }
}

function fieldList(r: RecordType): string {
  const names = [...r.fields.keys()];
  if (names.length === 0) return `\`${r.name}\` has no fields`;
  return `fields of \`${r.name}\`: ${names.map((n) => `\`${n}\``).join(", ")}`;
}

/** The argument types of a failed call, as the message shows them: `(int, string)`, `string.size(int)`. */
function shownArgs(fn: string, receiver: boolean, argTypes: readonly CelType[]): string {
  if (!receiver) return `(${argTypes.map(formatType).join(", ")})`;
  return `${formatType(argTypes[0]!)}.${displayFunctionName(fn)}(${argTypes.slice(1).map(formatType).join(", ")})`;
}

/** One overload as it is written: `int > int`, `-int`, `A in list(A)`, `list(A)[int]`, `string.startsWith(string)`. */
function signatureText(name: string, o: Overload): string {
  const p = o.params.map(formatType);
  if (o.rest !== undefined) p.push(`${formatType(o.rest)}...`);
  const op = displayFunctionName(name);
  if (o.receiver) return `${p[0]}.${op}(${p.slice(1).join(", ")})`;
  if (name === "_[_]") return `${p[0]}[${p[1]}]`;
  if ((name === "-_" || name === "!_") && p.length === 1) return `${op}${p[0]}`;
  if ((/^_.+_$/.test(name) || name === "@in") && p.length === 2) return `${p[0]} ${op} ${p[1]}`;
  return `${op}(${p.join(", ")})`;
}

function signatures(decl: FunctionDecl, receiver: boolean): string {
  const sigs = decl.overloads.filter((o) => o.receiver === receiver).map((o) => signatureText(decl.name, o));
  if (sigs.length === 0) {
    return receiver
      ? `\`${displayFunctionName(decl.name)}\` is a global function: call it as \`${displayFunctionName(decl.name)}(x)\``
      : `\`${displayFunctionName(decl.name)}\` is a method: call it as \`x.${displayFunctionName(decl.name)}()\``;
  }
  const shown = sigs.slice(0, 6).join(", ");
  return `expected ${shown}${sigs.length > 6 ? `, ... (${sigs.length} overloads)` : ""}`;
}

const NUMERIC_KINDS: ReadonlySet<string> = new Set(["int", "uint", "double"]);

/** A list index of a numeric type (CEL accepts `l[1u]` and `l[1.0]` at run time; the checker's overload is int). */
function isNumericIndex(t: CelType): boolean {
  return NUMERIC_KINDS.has(t.kind);
}

/** A targeted hint for the commonest mistake: mixing int, uint and double. */
function overloadHelp(decl: FunctionDecl, receiver: boolean, argTypes: readonly CelType[]): string {
  const kinds = argTypes.map((t) => t.kind);
  if (kinds.length === 2 && NUMERIC_KINDS.has(kinds[0]!) && NUMERIC_KINDS.has(kinds[1]!) && kinds[0] !== kinds[1]) {
    return `CEL does not mix \`${kinds[0]}\` and \`${kinds[1]}\` here: convert one side with \`${kinds[0]}(...)\` or \`${kinds[1]}(...)\`, or write the literal as the other type (\`1\`, \`1u\`, \`1.0\`)`;
  }
  return signatures(decl, receiver);
}
