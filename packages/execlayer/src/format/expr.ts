// CEL expressions as documents, with the parentheses CEL's precedence needs and those the author wrote around an
// operator expression for clarity (`(a && b) || c`, `(x < y) == true`); redundant ones around names, literals and
// calls go. The result parses back to the same tree. Literals are printed from their source text, so escapes, raw strings, triple quotes, hex and
// exponents stay as written. Line breaks go at `&&` / `||` (operator first on the continuation line), inside
// argument lists, list and map literals, and around `? :`.
import type { Expr } from "../syntax/ast.ts";
import { concat, group, indent, join, line, softline, type Doc } from "./doc.ts";
import { BINARY_PRECEDENCE } from "../syntax/build.ts";
import type { Span } from "../vocabulary/span.ts";

/** Binding strength, lowest first (CEL): ?: < || < && < relations < + - < * / % < unary < member. */
const PREC_CONDITIONAL = 0;
const PREC_UNARY = 6;
const PREC_MEMBER = 7;

const CEL_WORDS = new Set(["true", "false", "null", "in"]);

/** A field name after `.`: bare when the lexer reads it as a name, else in backticks. */
export function fieldText(field: string): string {
  return /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(field) && !CEL_WORDS.has(field) ? field : `\`${field}\``;
}

export class ExprPrinter {
  constructor(private readonly source: string) {}

  private text(span: Span): string {
    return this.source.slice(span.start, span.end);
  }

  /** A numeric literal written with a leading minus (folded into the literal by the parser). */
  private isNegativeNumber(e: Expr): boolean {
    return e.kind === "literal" && (e.literal.type === "int" || e.literal.type === "double") && this.text(e.span).startsWith("-");
  }

  private prec(e: Expr): number {
    switch (e.kind) {
      case "conditional":
        return PREC_CONDITIONAL;
      case "binary":
        return BINARY_PRECEDENCE[e.op]!;
      case "unary":
        return PREC_UNARY;
      default:
        return PREC_MEMBER;
    }
  }

  private paren(e: Expr, needed: boolean): Doc {
    const d = this.doc(e);
    return needed || this.written(e) ? concat("(", d, ")") : d;
  }

  /**
   * Did the author put this operator expression in parentheses? The source around its span is `(` ... `)`, one
   * pair: the text between never closes more than it opened (`(a) && (b)` is not wrapped).
   */
  private written(e: Expr): boolean {
    if (e.kind !== "binary" && e.kind !== "conditional" && e.kind !== "unary") return false;
    let i = e.span.start - 1;
    while (i >= 0 && /\s/.test(this.source[i]!)) i--;
    if (this.source[i] !== "(") return false;
    let j = e.span.end;
    while (j < this.source.length && /\s/.test(this.source[j]!)) j++;
    if (this.source[j] !== ")") return false;
    let depth = 0;
    for (let k = e.span.start; k < e.span.end; k++) {
      const c = this.source[k];
      if (c === '"' || c === "'") return true; // a string literal's brackets are not structure; the ends decided
      if (c === "(") depth++;
      else if (c === ")" && --depth < 0) return false;
    }
    return depth === 0;
  }

  /** Operand of `.field`, `[i]` or `.method()`. A negative literal binds as tightly as a member (`-1.abs()`). */
  private member(e: Expr): Doc {
    return this.paren(e, this.prec(e) < PREC_MEMBER);
  }

  doc(e: Expr): Doc {
    switch (e.kind) {
      case "literal": {
        const t = this.text(e.span);
        // `- 5` is the literal -5: drop the space (the parser folds the minus into the literal either way)
        return t.startsWith("-") ? "-" + t.slice(1).trimStart() : t;
      }
      case "ident":
        return (e.rootScoped ? "." : "") + e.name;
      case "select":
        return concat(this.member(e.operand), e.optional === true ? ".?" : ".", fieldText(e.field));
      case "has":
        return concat("has(", this.member(e.operand), ".", fieldText(e.field), ")");
      case "index":
        return concat(this.member(e.operand), e.optional === true ? "[?" : "[", this.doc(e.index), "]");
      case "call": {
        const head = e.target === null ? e.fn : concat(this.member(e.target), ".", e.fn);
        return this.callDoc(head, e.args);
      }
      case "comprehension": {
        const args: Expr[] = [];
        if (e.predicate !== null) args.push(e.predicate);
        if (e.transform !== null) args.push(e.transform);
        return this.callDoc(concat(this.member(e.range), ".", e.macro), args, e.variable);
      }
      case "unary": {
        const o = e.operand;
        // `-5` would be read as the literal -5, `-!x` / `!-x` do not parse: parenthesize those operands
        // (also when the number starts a member chain: `-(5).size()` is not `-5.size()`)
        const first = leftmost(o);
        const number = first.kind === "literal" && (first.literal.type === "int" || first.literal.type === "double");
        const clash =
          (e.op === "-" && number && !this.isNegativeNumber(first)) ||
          (o.kind === "unary" && o.op !== e.op) ||
          (e.op === "!" && number && this.isNegativeNumber(first));
        return concat(e.op, this.paren(o, clash || this.prec(o) < PREC_UNARY));
      }
      case "binary":
        return e.op === "&&" || e.op === "||" ? this.chain(e) : this.binary(e);
      case "conditional":
        return group(
          this.paren(e.test, this.prec(e.test) <= PREC_CONDITIONAL),
          indent(line, "? ", this.paren(e.then, this.prec(e.then) <= PREC_CONDITIONAL), line, ": ", this.paren(e.otherwise, false)),
        );
      case "list": {
        const optional = new Set(e.optionalIndices ?? []);
        const items = e.elements.map((x, k) => (optional.has(k) ? concat("?", this.doc(x)) : this.doc(x)));
        return e.elements.length === 0 ? "[]" : group("[", indent(softline, join(concat(",", line), items)), softline, "]");
      }
      case "map":
        return e.entries.length === 0
          ? "{}"
          : group(
              "{",
              indent(line, join(concat(",", line), e.entries.map((m) => concat(m.optional === true ? "?" : "", this.doc(m.key), ": ", this.doc(m.value))))),
              line,
              "}",
            );
    }
  }

  private callDoc(head: Doc, args: readonly Expr[], variable?: string): Doc {
    const docs: Doc[] = [];
    for (const a of args) {
      // a comprehension body that is a `&&`/`||` chain: its continuation lines align with its first operand
      const body = variable !== undefined && a === args[args.length - 1] && a.kind === "binary" && (a.op === "&&" || a.op === "||");
      docs.push(body ? this.chain(a as Extract<Expr, { kind: "binary" }>, false) : this.doc(a));
    }
    // `list.all(x, p)`: the variable stays with the call, the body goes to the next line when too long
    if (variable !== undefined) return group(head, "(", variable, ",", indent(line, join(concat(",", line), docs)), ")");
    if (docs.length === 0) return concat(head, "()");
    // `f("a long literal")`: breaking would only move the literal to its own line
    if (args.every(isAtom)) return concat(head, "(", join(", ", docs), ")");
    return group(head, "(", indent(softline, join(concat(",", line), docs)), softline, ")");
  }

  private binary(e: Extract<Expr, { kind: "binary" }>): Doc {
    const p = BINARY_PRECEDENCE[e.op]!;
    // left-associative: an equal-precedence right operand needs parentheses, a left one does not
    return concat(this.paren(e.left, this.prec(e.left) < p), ` ${e.op} `, this.paren(e.right, this.prec(e.right) <= p));
  }

  /** `a && b && c` as one group: all on one line, or one operand per line with the operator first. */
  private chain(e: Extract<Expr, { kind: "binary" }>, indented = true): Doc {
    const op = e.op;
    const p = BINARY_PRECEDENCE[op]!;
    const operands: Doc[] = [];
    const flatten = (x: Expr, right: boolean): void => {
      // only the left spine is the same chain: `a && (b && c)` keeps its parentheses, as `(a && b) && c` does
      if (x.kind === "binary" && x.op === op && !right && (x === e || !this.written(x))) {
        flatten(x.left, false);
        flatten(x.right, true);
      } else if (operands.length === 0) operands.push(this.paren(x, this.prec(x) < p));
      else operands.push(this.paren(x, this.prec(x) <= p));
    };
    flatten(e, false);
    const [first, ...rest] = operands;
    const continuation = rest.flatMap((d) => [line, `${op} `, d]);
    return group(first!, indented ? indent(...continuation) : concat(...continuation));
  }
}

/** A literal, a name or a field path: nothing a line break could shorten. */
function isAtom(e: Expr): boolean {
  return e.kind === "literal" || e.kind === "ident" || (e.kind === "select" && isAtom(e.operand));
}

/** The expression a member chain starts with (`a` in `a.b[0].c()`). */
function leftmost(e: Expr): Expr {
  switch (e.kind) {
    case "select":
    case "index":
      return leftmost(e.operand);
    case "call":
      return e.target === null ? e : leftmost(e.target);
    case "comprehension":
      return leftmost(e.range);
    default:
      return e;
  }
}
