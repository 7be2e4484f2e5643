// Test helpers: ASTs without spans (for shape comparisons) and a compact printer for expressions.
import { expect } from "vitest";
import type { Expr, PolicyFile } from "../../src/syntax/ast.ts";
import { parseExpression } from "../../src/syntax/parse.ts";
import { POSITION_KEYS } from "../../src/format/ast-equal.ts";
import type { Span } from "../../src/index.ts";

const SPAN_KEYS = POSITION_KEYS;

/** A deep copy without span fields. */
export function noSpans<T>(value: T): T {
  if (Array.isArray(value)) return value.map(noSpans) as T;
  if (value instanceof Uint8Array || value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SPAN_KEYS.has(k)) out[k] = noSpans(v);
  return out as T;
}

/** Fully parenthesized CEL text of an expression, to check precedence and macro expansion at a glance (and to
 * parse again: it is valid CEL). */
export function show(e: Expr): string {
  switch (e.kind) {
    case "literal": {
      const l = e.literal;
      if (l.type === "null") return "null";
      if (l.type === "string") return JSON.stringify(l.value);
      if (l.type === "bytes") return `b"${[...l.value].map((b) => "\\x" + b.toString(16).padStart(2, "0")).join("")}"`;
      if (l.type === "uint") return `${l.value}u`;
      if (l.type === "double") return Number.isInteger(l.value) && Math.abs(l.value) < 1e21 ? `${l.value}.0` : String(l.value);
      return String(l.value);
    }
    case "ident":
      return (e.rootScoped ? "." : "") + e.name;
    case "select":
      return `${show(e.operand)}.${e.field}`;
    case "has":
      return `has(${show(e.operand)}.${e.field})`;
    case "index":
      return `${show(e.operand)}[${show(e.index)}]`;
    case "call":
      return `${e.target === null ? "" : show(e.target) + "."}${e.fn}(${e.args.map(show).join(", ")})`;
    case "unary": {
      // CEL does not mix `!` and `-` in one run: `!-x` must be written `!(-x)`.
      const inner = show(e.operand);
      const other = e.op === "!" ? "-" : "!";
      // and `-1` would read back as the literal -1, not as minus applied to 1.
      const wrap = inner.startsWith(other) || (e.op === "-" && /^[\d.]/.test(inner));
      return `(${e.op}${wrap ? `(${inner})` : inner})`;
    }
    case "binary":
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case "conditional":
      return `(${show(e.test)} ? ${show(e.then)} : ${show(e.otherwise)})`;
    case "list":
      return `[${e.elements.map(show).join(", ")}]`;
    case "map":
      return `{${e.entries.map((x) => `${show(x.key)}: ${show(x.value)}`).join(", ")}}`;
    case "comprehension": {
      const args = [e.variable, ...(e.predicate === null ? [] : [show(e.predicate)]), ...(e.transform === null ? [] : [show(e.transform)])];
      return `${show(e.range)}.${e.macro}(${args.join(", ")})`;
    }
  }
}

/** Parses an expression that must be valid and returns its compact text. */
export function ok(text: string): string {
  const r = parseExpression(text);
  if (r.expr === null) throw new Error(`expected \`${text}\` to parse: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return show(r.expr);
}

/** Parses an expression that must fail and returns `code message` of each diagnostic. */
export function errors(text: string): string[] {
  const r = parseExpression(text);
  return r.diagnostics.map((d) => `${d.code} ${d.message}`);
}

/** Every node of an expression, for span checks. */
export function* walk(e: Expr): Generator<Expr> {
  yield e;
  switch (e.kind) {
    case "select":
    case "has":
      yield* walk(e.operand);
      break;
    case "index":
      yield* walk(e.operand);
      yield* walk(e.index);
      break;
    case "call":
      if (e.target !== null) yield* walk(e.target);
      for (const a of e.args) yield* walk(a);
      break;
    case "unary":
      yield* walk(e.operand);
      break;
    case "binary":
      yield* walk(e.left);
      yield* walk(e.right);
      break;
    case "conditional":
      yield* walk(e.test);
      yield* walk(e.then);
      yield* walk(e.otherwise);
      break;
    case "list":
      for (const x of e.elements) yield* walk(x);
      break;
    case "map":
      for (const x of e.entries) {
        yield* walk(x.key);
        yield* walk(x.value);
      }
      break;
    case "comprehension":
      yield* walk(e.range);
      if (e.predicate !== null) yield* walk(e.predicate);
      if (e.transform !== null) yield* walk(e.transform);
      break;
    default:
      break;
  }
}

/** Direct children of an expression. */
export function children(e: Expr): Expr[] {
  const it = walk(e);
  it.next();
  const all = [...it];
  // walk yields descendants depth-first; keep those not inside another yielded node
  return all.filter((x) => !all.some((y) => y !== x && [...walk(y)].includes(x)));
}

/**
 * Every span-carrying object lies within the span of the object that holds it (parents cover children), and so do
 * a node's other spans (`opSpan`, `fnSpan`, `fieldSpan`, `variableSpan`).
 */
export function checkCover(ast: PolicyFile | Expr): void {
  const within = (s: Span, outer: Span): void => {
    expect(s.start).toBeGreaterThanOrEqual(outer.start);
    expect(s.end).toBeLessThanOrEqual(outer.end);
    expect(s.start).toBeLessThanOrEqual(s.end);
  };
  const visit = (v: unknown, outer: Span): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, outer);
      return;
    }
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    let here = outer;
    const s = o["span"] as Span | undefined;
    if (s !== undefined) {
      within(s, outer);
      here = s;
    }
    for (const [k, x] of Object.entries(o)) {
      if (k === "span") continue;
      if (SPAN_KEYS.has(k)) within(x as Span, here);
      else visit(x, here);
    }
  };
  visit(ast, ast.span);
}
