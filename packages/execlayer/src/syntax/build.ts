// CST -> AST. Builders return null for a piece the parser could not recognize (its error is already reported), and
// a declaration with a missing required piece is dropped rather than built weaker than written: a rule whose
// condition failed to parse must not become an unconditional rule.
import type { CstNode, IToken } from "chevrotain";
import type { ActionDecl, Annotation, BinaryOp, CounterDecl, CounterWindow, Declaration, DottedName, DurationLit, Effect, Escalation, ExpectedOutcome, Expr, FieldDecl, FieldInit, GroupDecl, GroupMember, IntLit, LiteralExpr, MacroName, MapEntry, McpServerDecl, McpServerMember, Name, PolicyHeader, PropertyDecl, RecordDecl, RuleDecl, StringLit, Target, TestDecl, TestStep, TierDecl, ToolDecl, TypeRef } from "./ast.ts";
import type { DiagnosticDef, DiagnosticExtras } from "../diagnostics/diagnostic.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { decodeDouble, decodeDuration, decodeInt, decodeStringToken, decodeUint } from "./literals.ts";
import type { Span } from "../vocabulary/span.ts";

/** Deepest expression tree accepted (operator, member and `?:` chains, nested literals); see grammar/README.md. */
export const MAX_EXPR_DEPTH = 250;

/** CEL's reserved words: not usable as identifiers or global function names, fine as fields and methods. */
export const CEL_RESERVED = new Set([
  "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
  "namespace", "return", "var", "void", "while",
]);

/** CEL binary operator precedence, higher binds tighter (the formatter parenthesizes by the same table). */
export const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  in: 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
};

const COUNTER_CLAUSES = ["KwOn", "KwPer", "KwSum", "KwWhere", "KwWindow"];

const COMPREHENSION_MACROS: ReadonlySet<string> = new Set(["all", "exists", "exists_one", "filter", "map"]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isToken(c: CstNode | IToken): c is IToken {
  return (c as IToken).image !== undefined;
}

function realToken(t: IToken | undefined): t is IToken {
  return t !== undefined && t.isInsertedInRecovery !== true && Number.isFinite(t.startOffset);
}

function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

// CST accessors. A child key is either a token type (only tokens) or a rule name (only nodes), so no per-element
// type test is needed. Tokens that error recovery inserted (no position) are skipped. No copying in the common case:
// these run for every node and their garbage showed up in profiles.
function toks(n: CstNode, key: string): readonly IToken[] {
  const c = n.children[key] as IToken[] | undefined;
  if (c === undefined) return [];
  for (const x of c) if (!realToken(x)) return c.filter(realToken);
  return c;
}

function tok(n: CstNode, key: string): IToken | undefined {
  const c = n.children[key] as IToken[] | undefined;
  if (c === undefined) return undefined;
  for (const x of c) if (realToken(x)) return x;
  return undefined;
}

function nodes(n: CstNode, key: string): readonly CstNode[] {
  return (n.children[key] as CstNode[] | undefined) ?? [];
}

function node(n: CstNode, key: string): CstNode | undefined {
  return (n.children[key] as CstNode[] | undefined)?.[0];
}

function nodeSpan(n: CstNode): Span | null {
  const l = n.location;
  if (l === undefined || !Number.isFinite(l.startOffset) || l.endOffset === undefined || !Number.isFinite(l.endOffset)) {
    return null;
  }
  return { start: l.startOffset, end: l.endOffset + 1 };
}

/** A name (or tier name) as written by one token; null when the token is missing. */
function tokenName(t: IToken | undefined): Name | null {
  return t === undefined ? null : { text: t.image, span: tokenSpan(t) };
}

function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Every token of a CST node, in source order (for the text of a message type name). */
function allTokens(n: CstNode, out: IToken[] = []): IToken[] {
  collectTokens(n, out);
  return out.sort((a, b) => a.startOffset - b.startOffset);
}

function collectTokens(n: CstNode, out: IToken[]): void {
  for (const list of Object.values(n.children)) {
    for (const c of list) {
      if (!isToken(c)) collectTokens(c, out);
      else if (realToken(c)) out.push(c);
    }
  }
}

/** Where the builder reports (parse.ts's Reporter, which adds the file and caps the count). */
export interface DiagnosticSink {
  add<A extends readonly unknown[]>(def: DiagnosticDef<A>, span: Span, args: A, extras?: DiagnosticExtras): void;
}

export class AstBuilder {
  // A plain Map (dropped with the builder): a WeakMap's ephemeron bookkeeping makes GC much slower here.
  private readonly depth = new Map<Expr, number>();
  /**
   * Every AST node takes at least one character, so an expression shorter than MAX_EXPR_DEPTH characters cannot be
   * too deep: depth bookkeeping is skipped for those (nearly all of them).
   */
  private tracking = true;
  private exprNesting = 0;

  constructor(private readonly sink: DiagnosticSink) {}

  /** Records an expression's depth; null (reported) when it passes the limit, so later stages never see it. */
  private made<E extends Expr>(e: E, children: readonly (Expr | null)[]): E | null {
    if (!this.tracking) return e;
    let d = 0;
    for (const c of children) if (c !== null) d = Math.max(d, this.depth.get(c) ?? 1);
    if (d + 1 > MAX_EXPR_DEPTH) {
      this.sink.add(Diagnostics.expressionTooDeep, e.span, [MAX_EXPR_DEPTH], {
        help: "split the expression, or use `in` with a list instead of long chains of `||`",
      });
      return null;
    }
    if (d > 0) this.depth.set(e, d + 1); // leaves have depth 1, the default
    return e;
  }

  // =============================================================================================================
  // Expressions

  expr(n: CstNode | undefined): Expr | null {
    if (n === undefined || n.recoveredNode === true) return null;
    if (this.exprNesting > 0) return this.conditional(n);
    const span = nodeSpan(n);
    this.tracking = span === null || span.end - span.start >= MAX_EXPR_DEPTH;
    this.exprNesting++;
    try {
      return this.conditional(n);
    } finally {
      this.exprNesting--;
      this.tracking = true;
    }
  }

  private conditional(n: CstNode): Expr | null {
    const parts = nodes(n, "binary");
    const questions = toks(n, "Question");
    if (parts.length === 0) return null;
    if (parts.length === 1 && questions.length === 0) return this.binary(parts[0]!);
    const items = parts.map((p) => this.binary(p));
    if (items.some((x) => x === null) || items.length % 2 !== 1) return null;
    // `a ? b : c ? d : e` arrives as [a, b, c, d, e]; CEL's `?:` is right-associative: a ? b : (c ? d : e).
    let acc = items[items.length - 1]!;
    for (let i = (items.length - 1) / 2; i >= 1; i--) {
      const test = items[2 * i - 2]!;
      const then = items[2 * i - 1]!;
      const built = this.made({ kind: "conditional", test, then, otherwise: acc, span: cover(test.span, acc.span) }, [test, then, acc]);
      if (built === null) return null;
      acc = built;
    }
    return acc;
  }

  /** Operator precedence over the flat `operand (op operand)*` list, with explicit stacks (no recursion). */
  private binary(n: CstNode): Expr | null {
    if (n.recoveredNode === true) return null;
    const operandNodes = nodes(n, "unary");
    const ops = toks(n, "BinaryOp");
    if (operandNodes.length === 0 || operandNodes.length !== ops.length + 1) return null;
    const built = all(operandNodes, (u) => this.unary(u));
    if (built === null) return null;
    if (ops.length === 0) return built[0]!;
    const operands: Expr[] = [built[0]!];
    const pending: IToken[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const prec = BINARY_PRECEDENCE[op.image] ?? 0;
      // Left-associative: reduce while the operator on the stack binds at least as tightly.
      while (pending.length > 0 && (BINARY_PRECEDENCE[pending[pending.length - 1]!.image] ?? 0) >= prec) {
        if (!this.reduce(operands, pending)) return null;
      }
      pending.push(op);
      operands.push(built[i + 1]!);
    }
    while (pending.length > 0) if (!this.reduce(operands, pending)) return null;
    return operands[0] ?? null;
  }

  private reduce(operands: Expr[], pending: IToken[]): boolean {
    const op = pending.pop()!;
    const right = operands.pop()!;
    const left = operands.pop()!;
    const e = this.made(
      { kind: "binary", op: op.image as BinaryOp, left, right, opSpan: tokenSpan(op), span: cover(left.span, right.span) },
      [left, right],
    );
    if (e === null) return false;
    operands.push(e);
    return true;
  }

  private unary(n: CstNode): Expr | null {
    if (n.recoveredNode === true) return null;
    const p = node(n, "primary");
    if (p === undefined) return null;
    const bangs = toks(n, "Bang");
    const minuses = toks(n, "Minus");
    const ops = bangs.length > 0 ? bangs : minuses;
    // The minus right before a numeric literal is part of the literal, as in CEL: -9223372036854775808 is an int
    // (and `-1.abs()` is `(-1).abs()`).
    const innerMinus = minuses.length > 0 ? minuses[minuses.length - 1] : undefined;
    const [primary, folded] = this.primary(p, innerMinus);
    let acc = primary;
    const start = nodeSpan(p)?.start ?? primary?.span.start ?? 0;
    for (const post of nodes(n, "postfix")) {
      if (acc === null) return null;
      acc = this.postfix(post, acc, start, p);
    }
    const remaining = folded ? ops.length - 1 : ops.length;
    for (let i = remaining - 1; i >= 0; i--) {
      if (acc === null) return null;
      const op = ops[i]!;
      acc = this.made({ kind: "unary", op: op.image as "!" | "-", operand: acc, span: cover(tokenSpan(op), acc.span) }, [acc]);
    }
    return acc;
  }

  private postfix(n: CstNode, operand: Expr, start: number, primaryNode: CstNode): Expr | null {
    const span = nodeSpan(n);
    if (n.recoveredNode === true || span === null) return null;
    const whole: Span = { start: Math.min(start, operand.span.start), end: span.end };
    const quoted = tok(n, "QuotedIdent");
    if (quoted !== undefined) {
      const field = quoted.image.slice(1, -1);
      return this.made({ kind: "select", operand, field, fieldSpan: tokenSpan(quoted), span: whole }, [operand]);
    }
    const dot = tok(n, "Dot");
    const optional = tok(n, "Question") !== undefined;
    if (dot !== undefined) {
      const field = tok(n, "AnyIdent");
      if (field === undefined) return null;
      if (tok(n, "LParen") === undefined) {
        const select = { kind: "select", operand, field: field.image, fieldSpan: tokenSpan(field), span: whole } as const;
        return this.made(optional ? { ...select, optional } : select, [operand]);
      }
      if (optional) {
        this.sink.add(Diagnostics.unexpectedToken, tokenSpan(tok(n, "Question")!), ["`?`", "a field name (`.?` selects a field, not a method)"]);
        return null;
      }
      const args = this.exprList(node(n, "exprList"));
      if (args === null) return null;
      return this.call(field, operand, args, whole);
    }
    if (tok(n, "LBracket") !== undefined) {
      const index = this.expr(node(n, "expr"));
      if (index === null) return null;
      return this.made(optional ? { kind: "index", operand, index, optional, span: whole } : { kind: "index", operand, index, span: whole }, [operand, index]);
    }
    // `T{...}`: message construction.
    const typeText = allTokens(primaryNode)
      .map((t) => t.image)
      .join("");
    this.sink.add(Diagnostics.messageConstruction, whole, [operand.kind === "ident" || operand.kind === "select" ? exprText(operand) : typeText], {
      help: "ExecLayer has no protobuf messages; use a map literal `{\"field\": value}`",
    });
    return null;
  }

  /** A call, expanding CEL macros: `has(a.b)`, `e.all(x, p)`, `e.exists(x, p)`, `e.exists_one(x, p)`, `e.map(x, [p,] t)`, `e.filter(x, p)`. */
  private call(fnTok: IToken, target: Expr | null, args: Expr[], span: Span): Expr | null {
    const fn = fnTok.image;
    const fnSpan = tokenSpan(fnTok);
    if (target === null && fn === "has" && args.length === 1) {
      const arg = args[0]!;
      if (arg.kind !== "select") {
        this.sink.add(Diagnostics.hasArgument, arg.span, [], { help: "write `has(a.b)` to test whether `a` has the field `b`" });
        return null;
      }
      return this.made({ kind: "has", operand: arg.operand, field: arg.field, span }, [arg.operand]);
    }
    if (target !== null && COMPREHENSION_MACROS.has(fn) && (args.length === 2 || (fn === "map" && args.length === 3))) {
      const v = args[0]!;
      if (v.kind !== "ident" || v.rootScoped) {
        this.sink.add(Diagnostics.macroVariable, v.span, [fn], { help: `for example \`list.${fn}(x, x > 0)\`` });
        return null;
      }
      const three = args.length === 3;
      const body = args[args.length - 1]!;
      const predicate = fn === "map" ? (three ? args[1]! : null) : body;
      const transform = fn === "map" ? body : null;
      return this.made(
        {
          kind: "comprehension",
          macro: fn as MacroName,
          range: target,
          variable: v.name,
          variableSpan: v.span,
          predicate,
          transform,
          span,
        },
        [target, predicate, transform],
      );
    }
    return this.made({ kind: "call", fn, target, args, fnSpan, span }, [target, ...args]);
  }

  private primary(n: CstNode, minus: IToken | undefined): [Expr | null, boolean] {
    if (n.recoveredNode === true) return [null, false];
    const lit = tok(n, "Literal");
    if (lit !== undefined) return this.literal(lit, minus);
    const id = tok(n, "AnyIdent");
    if (id !== undefined) return [this.identOrCall(n, id), false];
    const paren = node(n, "parenExpr");
    if (paren !== undefined) return [paren.recoveredNode === true ? null : this.expr(node(paren, "expr")), false];
    const list = node(n, "listLiteral");
    if (list !== undefined) return [this.listLiteral(list), false];
    const map = node(n, "mapLiteral");
    if (map !== undefined) return [this.mapLiteral(map), false];
    return [null, false];
  }

  /** `name`, `.name`, `f(args)` inside a primary node. */
  private identOrCall(n: CstNode, id: IToken): Expr | null {
    const span = nodeSpan(n);
    if (span === null) return null;
    const rootScoped = tok(n, "Dot") !== undefined;
    if (CEL_RESERVED.has(id.image)) {
      this.sink.add(Diagnostics.reservedWord, tokenSpan(id), [id.image], {
        help: "CEL reserves this word; it can still be a field (`a.if`) but not a variable or function name",
      });
      return null;
    }
    if (tok(n, "LParen") === undefined) {
      return this.made({ kind: "ident", name: id.image, rootScoped, span }, []);
    }
    const args = this.exprList(node(n, "exprList"));
    if (args === null) return null;
    return this.call(id, null, args, span);
  }

  exprList(n: CstNode | undefined): Expr[] | null {
    if (n === undefined) return [];
    if (n.recoveredNode === true) return null;
    return all(nodes(n, "expr"), (e) => this.expr(e));
  }

  private listLiteral(n: CstNode): Expr | null {
    const span = nodeSpan(n);
    const elementNodes = nodes(n, "expr");
    const elements = all(elementNodes, (e) => this.expr(e));
    if (n.recoveredNode === true || span === null || elements === null) return null;
    // `[?a, b]`: an element is optional when a `?` comes after the previous element and before it
    const questions = toks(n, "Question").map((t) => t.startOffset);
    if (questions.length === 0) return this.made({ kind: "list", elements, span }, elements);
    const optionalIndices: number[] = [];
    let after = span.start;
    elements.forEach((el, k) => {
      const start = nodeSpan(elementNodes[k]!)?.start ?? el.span.start;
      if (questions.some((q) => q >= after && q < start)) optionalIndices.push(k);
      after = el.span.end;
    });
    return this.made({ kind: "list", elements, optionalIndices, span }, elements);
  }

  private mapLiteral(n: CstNode): Expr | null {
    const span = nodeSpan(n);
    const entries = all(nodes(n, "mapEntry"), (e): MapEntry | null => {
      const [k, v] = nodes(e, "expr");
      const es = nodeSpan(e);
      const key = this.expr(k);
      const value = this.expr(v);
      if (key === null || value === null || es === null) return null;
      return tok(e, "Question") !== undefined ? { key, value, optional: true, span: es } : { key, value, span: es };
    });
    if (n.recoveredNode === true || span === null || entries === null) return null;
    return this.made({ kind: "map", entries, span }, entries.flatMap((e) => [e.key, e.value]));
  }

  private literal(t: IToken, minus: IToken | undefined): [Expr | null, boolean] {
    const span = tokenSpan(t);

    switch (t.tokenType.name) {
      case "Int": {
        const negated = minus !== undefined;
        const s = negated ? cover(tokenSpan(minus), span) : span;
        const r = decodeInt(t.image, negated);
        if (!r.ok) {
          this.sink.add(Diagnostics.intOutOfRange, s, [(negated ? "-" : "") + t.image, "int"], {
            help: "ints are 64-bit: from -9223372036854775808 to 9223372036854775807",
          });
          return [null, negated];
        }
        return [this.lit({ type: "int", value: r.value }, s), negated];
      }
      case "UInt": {
        const r = decodeUint(t.image);
        if (!r.ok) {
          this.sink.add(Diagnostics.intOutOfRange, span, [t.image, "uint"], {
            help: "uints are 64-bit: from 0u to 18446744073709551615u",
          });
          return [null, false];
        }
        return [this.lit({ type: "uint", value: r.value }, span), false];
      }
      case "Float": {
        const negated = minus !== undefined;
        const s = negated ? cover(tokenSpan(minus), span) : span;
        const r = decodeDouble(t.image, negated);
        if (!r.ok) {
          this.sink.add(Diagnostics.invalidNumber, s, [t.image, r.error]);
          return [null, negated];
        }
        return [this.lit({ type: "double", value: r.value }, s), negated];
      }
      case "True":
        return [this.lit({ type: "bool", value: true }, span), false];
      case "False":
        return [this.lit({ type: "bool", value: false }, span), false];
      case "Null":
        return [this.lit({ type: "null" }, span), false];
      default: {
        const d = this.decodeString(t);
        if (d === null) return [null, false];
        return [this.lit(d.type === "string" ? { type: "string", value: d.value } : { type: "bytes", value: d.value }, span), false];
      }
    }
  }

  private lit(literal: LiteralExpr["literal"], span: Span): Expr | null {
    return this.made({ kind: "literal", literal, span }, []);
  }

  /** Decodes a string token, reporting bad escapes (an unterminated string was reported by the lexer pass). */
  private decodeString(t: IToken): ReturnType<typeof decodeStringToken> | null {
    const d = decodeStringToken(t.image, t.startOffset);
    let ok = true;
    for (const p of d.problems) {
      ok = false;
      if (p.kind === "escape") {
        this.sink.add(Diagnostics.invalidEscape, p.span, [p.escape, p.why], {
          help: "valid escapes: \\n \\t \\r \\\\ \\\" \\' \\` \\? \\a \\b \\f \\v \\xHH \\uHHHH \\UHHHHHHHH \\ooo; or use a raw string r\"...\"",
        });
      }
    }
    return ok ? d : null;
  }

  // =============================================================================================================
  // Policy declarations

  /** A string literal as a plain string value (`"1.0.0"`, a reason, a key); bytes literals are not strings here. */
  stringLit(t: IToken | undefined): StringLit | null {
    if (t === undefined) return null;
    const d = this.decodeString(t);
    if (d === null) return null;
    if (d.type === "bytes") {
      this.sink.add(Diagnostics.unexpectedToken, tokenSpan(t), [`bytes literal \`${short(t.image)}\``, "a string"]);
      return null;
    }
    return { value: d.value, span: tokenSpan(t) };
  }

  name(n: CstNode | undefined): Name | null {
    if (n === undefined || n.recoveredNode === true) return null;
    return tokenName(tok(n, "AnyIdent"));
  }

  dottedName(n: CstNode | undefined): DottedName | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const parts = toks(n, "AnyIdent");
    const span = nodeSpan(n);
    if (parts.length === 0 || span === null || parts.length !== toks(n, "Dot").length + 1) return null;
    const texts = parts.map((p) => p.image);
    return { parts: texts, text: texts.join("."), span };
  }

  private intLit(t: IToken | undefined): IntLit | null {
    if (t === undefined) return null;
    const r = decodeInt(t.image, false);
    if (!r.ok || r.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.sink.add(Diagnostics.invalidNumber, tokenSpan(t), [t.image, "too large"]);
      return null;
    }
    return { value: Number(r.value), span: tokenSpan(t) };
  }

  private duration(t: IToken | undefined): DurationLit | null {
    if (t === undefined) return null;
    const r = decodeDuration(t.image);
    if (!r.ok) {
      this.sink.add(Diagnostics.invalidDuration, tokenSpan(t), [t.image, r.error]);
      return null;
    }
    return { text: t.image, millis: r.value, span: tokenSpan(t) };
  }

  policyFile(n: CstNode): { header: PolicyHeader | null; declarations: Declaration[] } {
    const h = node(n, "header");
    const header = h === undefined ? null : this.header(h);
    const declarations: Declaration[] = [];
    for (const d of nodes(n, "declaration")) {
      const decl = this.declaration(d);
      if (decl !== null) declarations.push(decl);
    }
    return { header, declarations };
  }

  private header(n: CstNode): PolicyHeader | null {
    const span = nodeSpan(n);
    const name = this.name(node(n, "name"));
    if (n.recoveredNode === true || span === null || name === null) return null;
    const v = tok(n, "StringLiteral");
    const version = v === undefined ? null : this.stringLit(v);
    if (v !== undefined && version === null) return null;
    return { kind: "header", name, version, span };
  }

  private declaration(n: CstNode): Declaration | null {
    if (n.recoveredNode === true) return null;
    const [key, list] = Object.entries(n.children)[0] ?? [];
    const c = list?.[0];
    if (key === undefined || c === undefined || isToken(c) || c.recoveredNode === true) return null;
    const span = nodeSpan(c);
    if (span === null) return null;
    switch (key) {
      case "importDecl": {
        const module = this.dottedName(node(c, "dottedName"));
        return module === null ? null : { kind: "import", module, span };
      }
      case "optionDecl": {
        const name = this.name(node(c, "name"));
        const value = this.expr(node(c, "expr"));
        return name === null || value === null ? null : { kind: "option", name, value, span };
      }
      case "actionDecl":
        return this.actionDecl(c, span);
      case "recordDecl":
        return this.recordDecl(c, span);
      case "tierDecl":
        return this.tierDecl(c, span);
      case "counterDecl":
        return this.counterDecl(c, span);
      case "groupDecl":
        return this.groupDecl(c, span);
      case "ruleDecl":
        return this.ruleDecl(c, span);
      case "toolDecl":
        return this.toolDecl(c, span);
      case "mcpServerDecl":
        return this.mcpServerDecl(c, span);
      case "testDecl":
        return this.testDecl(c, span);
      case "propertyDecl":
        return this.propertyDecl(c, span);
      default:
        return null;
    }
  }

  private actionDecl(n: CstNode, span: Span): ActionDecl | null {
    const name = this.dottedName(node(n, "dottedName"));
    const aliases = all(toks(n, "StringLiteral"), (t) => this.stringLit(t));
    const fields = this.fieldDecls(node(n, "fieldDecls"));
    if (name === null || aliases === null || fields === null) return null;
    return { kind: "action", name, aliases, fields, span };
  }

  private recordDecl(n: CstNode, span: Span): RecordDecl | null {
    const fields = this.fieldDecls(node(n, "fieldDecls"));
    if (fields === null) return null;
    return { kind: "record", record: tok(n, "KwActor") !== undefined ? "actor" : "context", fields, span };
  }

  private fieldDecls(n: CstNode | undefined): FieldDecl[] | null {
    if (n === undefined) return null;
    const out = all(nodes(n, "fieldDecl"), (f) => this.fieldDecl(f));
    return n.recoveredNode === true ? null : out;
  }

  private fieldDecl(n: CstNode): FieldDecl | null {
    const span = nodeSpan(n);
    const name = this.name(node(n, "name"));
    const type = this.typeRef(node(n, "typeRef"));
    const annotations = all(nodes(n, "annotation"), (a) => this.annotation(a));
    if (n.recoveredNode === true || span === null || name === null || type === null || annotations === null) return null;
    return { name, optional: tok(n, "Question") !== undefined, type, annotations, span };
  }

  private annotation(n: CstNode): Annotation | null {
    const span = nodeSpan(n);
    const name = this.name(node(n, "name"));
    const args = this.exprList(node(n, "exprList"));
    if (n.recoveredNode === true || span === null || name === null || args === null) return null;
    return { name, args, span };
  }

  private typeRef(n: CstNode | undefined): TypeRef | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const e = node(n, "enumType");
    if (e !== undefined) {
      const span = nodeSpan(e);
      const values = all(toks(e, "StringLiteral"), (t) => this.stringLit(t));
      if (e.recoveredNode === true || span === null || values === null) return null;
      return { kind: "enum", values, span };
    }
    const nt = node(n, "namedType");
    if (nt === undefined || nt.recoveredNode === true) return null;
    const span = nodeSpan(nt);
    const id = tok(nt, "AnyIdent");
    const args = all(nodes(nt, "typeRef"), (a) => this.typeRef(a));
    if (span === null || id === undefined || args === null) return null;
    const name = { text: id.image, span: tokenSpan(id) };
    const hasArgs = tok(nt, "Lt") !== undefined;
    if (!hasArgs) return { kind: "named", name, span };
    if (id.image === "list" && args.length === 1) return { kind: "list", element: args[0]!, span };
    if (id.image === "map" && args.length === 2) return { kind: "map", key: args[0]!, value: args[1]!, span };
    const why =
      id.image === "list"
        ? "`list` takes one type argument, as in `list<string>`"
        : id.image === "map"
          ? "`map` takes two type arguments, as in `map<string, int>`"
          : "only `list<T>` and `map<K, V>` take type arguments";
    this.sink.add(Diagnostics.invalidType, span, [id.image, why]);
    return null;
  }

  private tierDecl(n: CstNode, span: Span): TierDecl | null {
    const target = this.target(node(n, "target"));
    const tier = tokenName(tok(n, "AnyIdent"));
    const escalations = all(nodes(n, "escalation"), (e): Escalation | null => {
      const es = nodeSpan(e);
      const to = tokenName(tok(e, "AnyIdent"));
      const condition = this.expr(node(e, "expr"));
      return e.recoveredNode === true || es === null || to === null || condition === null ? null : { tier: to, condition, span: es };
    });
    if (target === null || tier === null || escalations === null) return null;
    return { kind: "tier", target, tier, escalations, span };
  }

  private counterDecl(n: CstNode, span: Span): CounterDecl | null {
    const name = this.name(node(n, "name"));
    if (name === null) return null;
    const d: Mutable<CounterDecl> = { kind: "counter", name, targets: [], keys: [], amount: null, filter: null, window: null, span };
    const targets: Target[] = [];
    const keys: Expr[] = [];
    const seen = new Set<string>();
    let failed = false;
    for (const c of nodes(n, "counterClause")) {
      const kw = c.recoveredNode === true ? undefined : COUNTER_CLAUSES.map((k) => tok(c, k)).find((t) => t !== undefined);
      if (kw === undefined) {
        failed = true;
        continue;
      }
      if (kw.image !== "on" && kw.image !== "per" && seen.has(kw.image)) {
        this.sink.add(Diagnostics.duplicateClause, nodeSpan(c) ?? tokenSpan(kw), [kw.image, `counter \`${name.text}\``]);
        failed = true;
      }
      seen.add(kw.image);
      switch (kw.image) {
        case "on": {
          const t = this.targets(node(c, "targets"));
          if (t === null) failed = true;
          else targets.push(...t);
          break;
        }
        case "per": {
          const k = this.exprList(node(c, "exprList"));
          if (k === null) failed = true;
          else keys.push(...k);
          break;
        }
        case "sum":
        case "where": {
          const e = this.expr(node(c, "expr"));
          if (e === null) failed = true;
          else if (kw.image === "sum") d.amount = e;
          else d.filter = e;
          break;
        }
        default: {
          const w = this.windowSpec(node(c, "windowSpec"));
          if (w === null) failed = true;
          else d.window = w;
        }
      }
    }
    if (failed) return null;
    d.targets = targets;
    d.keys = keys;
    return d;
  }

  private windowSpec(n: CstNode | undefined): CounterWindow | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const span = nodeSpan(n);
    if (span === null) return null;
    if (tok(n, "KwCalendar") !== undefined) {
      const unit = this.name(node(n, "name"));
      return unit === null ? null : { kind: "calendar", unit, span };
    }
    const duration = this.duration(tok(n, "Duration"));
    return duration === null ? null : { kind: "rolling", duration, span };
  }

  private groupDecl(n: CstNode, span: Span): GroupDecl | null {
    const name = this.name(node(n, "name"));
    if (name === null) return null;
    if (tok(n, "KwFrom") !== undefined) {
      const keyring = this.stringLit(tok(n, "StringLiteral"));
      return keyring === null ? null : { kind: "group", name, members: [], keyring, principal: null, span };
    }
    if (tok(n, "KwPer") !== undefined) {
      const principal = this.expr(node(n, "expr"));
      return principal === null ? null : { kind: "group", name, members: [], keyring: null, principal, span };
    }
    const members = all(nodes(n, "groupMember"), (m): GroupMember | null => {
      const ms = nodeSpan(m);
      const mname = this.name(node(m, "name"));
      const key = this.stringLit(tok(m, "StringLiteral"));
      return m.recoveredNode === true || ms === null || mname === null || key === null ? null : { name: mname, key, span: ms };
    });
    if (members === null) return null;
    return { kind: "group", name, members, keyring: null, principal: null, span };
  }

  private ruleDecl(n: CstNode, span: Span): RuleDecl | null {
    const name = this.name(node(n, "name"));
    const targets = this.targets(node(n, "targets"));
    const hasWhen = tok(n, "KwWhen") !== undefined;
    const condition = hasWhen ? this.expr(node(n, "expr")) : null;
    const [e1, e2] = nodes(n, "effect");
    const effect = this.effect(e1);
    const hasElse = tok(n, "KwElse") !== undefined;
    const otherwise = hasElse ? this.effect(e2) : null;
    if (name === null || targets === null || (hasWhen && condition === null) || effect === null || (hasElse && otherwise === null)) {
      return null;
    }
    return { kind: "rule", name, targets, condition, effect, otherwise, span };
  }

  private effect(n: CstNode | undefined): Effect | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const span = nodeSpan(n);
    if (span === null) return null;
    const reasonTok = tok(n, "StringLiteral");
    const reason = reasonTok === undefined ? null : this.stringLit(reasonTok);
    if (reasonTok !== undefined && reason === null) return null;
    if (tok(n, "KwAllow") !== undefined) return { kind: "allow", reason, span };
    if (tok(n, "KwDeny") !== undefined) return { kind: "deny", reason, span };
    const quorum = this.intLit(tok(n, "Int"));
    const group = this.name(node(n, "name"));
    const withinTok = tok(n, "Duration");
    const within = withinTok === undefined ? null : this.duration(withinTok);
    if (quorum === null || group === null || (withinTok !== undefined && within === null)) return null;
    return { kind: "require_approval", quorum, group, within, reason, span };
  }

  private toolName(n: CstNode | undefined): StringLit | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const id = tok(n, "AnyIdent");
    if (id !== undefined) return { value: id.image, span: tokenSpan(id) };
    return this.stringLit(tok(n, "StringLiteral"));
  }

  private toolDecl(n: CstNode, span: Span): ToolDecl | null {
    const [first, ...rest] = nodes(n, "toolName");
    const tool = this.toolName(first);
    const aliases = all(rest, (a) => this.toolName(a));
    const action = this.dottedName(node(n, "dottedName"));
    const fields = this.fieldInits(node(n, "fieldInits"));
    const args = tok(n, "LParen") === undefined ? [] : all(nodes(n, "fieldDecl"), (f) => this.fieldDecl(f));
    if (tool === null || aliases === null || action === null || fields === null || args === null) return null;
    return { kind: "tool", tool, args: tok(n, "LParen") === undefined ? null : args, aliases, action, fields, span };
  }

  private mcpServerDecl(n: CstNode, span: Span): McpServerDecl | null {
    const name = this.toolName(node(n, "toolName"));
    const members = all(nodes(n, "mcpServerMember"), (m): McpServerMember | null => {
      if (m.recoveredNode === true) return null;
      const d = node(m, "dottedName");
      if (d === undefined) {
        const tool = this.stringLit(tok(m, "StringLiteral"));
        return tool === null ? null : { kind: "tool", tool };
      }
      const dotted = this.dottedName(d);
      if (dotted === null) return null;
      return dotted.parts.length === 1 ? { kind: "tool", tool: { value: dotted.text, span: dotted.span } } : { kind: "module", module: dotted };
    });
    if (n.recoveredNode === true || name === null || members === null) return null;
    return { kind: "mcp_server", name, members, span };
  }

  private fieldInits(n: CstNode | undefined): FieldInit[] | null {
    if (n === undefined) return null;
    const out = all(nodes(n, "fieldInit"), (f): FieldInit | null => {
      const span = nodeSpan(f);
      const id = tok(f, "AnyIdent");
      const name = id !== undefined ? tokenName(id) : this.stringLitAsName(tok(f, "StringLiteral"));
      const value = this.expr(node(f, "expr"));
      return f.recoveredNode === true || span === null || name === null || value === null ? null : { name, value, span };
    });
    return n.recoveredNode === true ? null : out;
  }

  private stringLitAsName(t: IToken | undefined): Name | null {
    const s = this.stringLit(t);
    return s === null ? null : { text: s.value, span: s.span };
  }

  private testDecl(n: CstNode, span: Span): TestDecl | null {
    const name = this.stringLit(tok(n, "StringLiteral"));
    const steps = all(nodes(n, "testStep"), (s) => this.testStep(s));
    if (name === null || steps === null) return null;
    return { kind: "test", name, steps, span };
  }

  private testStep(n: CstNode): TestStep | null {
    if (n.recoveredNode === true) return null;
    const [key, list] = Object.entries(n.children)[0] ?? [];
    const c = list?.[0];
    if (key === undefined || c === undefined || isToken(c)) return null;
    return this.step(key, c);
  }

  private step(key: string, c: CstNode): TestStep | null {
    const span = nodeSpan(c);
    if (c.recoveredNode === true || span === null) return null;
    switch (key) {
      case "actionStep": {
        const action = this.dottedName(node(c, "dottedName"));
        const fields = this.fieldInits(node(c, "fieldInits"));
        return action === null || fields === null ? null : { kind: "action", action, fields, span };
      }
      case "toolStep": {
        const tool = this.toolName(node(c, "toolName"));
        const fi = node(c, "fieldInits");
        const fields = this.fieldInits(fi);
        const argsSpan = fi === undefined ? null : nodeSpan(fi);
        if (tool === null || fields === null || argsSpan === null) return null;
        // The tool call's JSON arguments: a map with string keys.
        const entries: MapEntry[] = fields.map((f) => ({
          key: { kind: "literal", literal: { type: "string", value: f.name.text }, span: f.name.span },
          value: f.value,
          span: f.span,
        }));
        const args = this.made({ kind: "map", entries, span: argsSpan }, fields.map((f) => f.value));
        return args === null ? null : { kind: "tool", tool, args, span };
      }
      case "recordStep": {
        const fields = this.fieldInits(node(c, "fieldInits"));
        if (fields === null) return null;
        return { kind: "record", record: tok(c, "KwActor") !== undefined ? "actor" : "context", fields, span };
      }
      case "counterStep": {
        const name = this.name(node(c, "name"));
        const value = this.expr(node(c, "expr"));
        return name === null || value === null ? null : { kind: "counter", name, value, span };
      }
      case "approvalsStep": {
        const count = this.intLit(tok(c, "Int"));
        const hasOf = tok(c, "KwOf") !== undefined;
        const group = hasOf ? this.name(node(c, "name")) : null;
        return count === null || (hasOf && group === null) ? null : { kind: "approvals", count, group, span };
      }
      case "atStep": {
        const time = this.stringLit(tok(c, "StringLiteral"));
        return time === null ? null : { kind: "at", time, span };
      }
      case "expectStep": {
        const outcome = this.outcome(node(c, "outcome"));
        return outcome === null ? null : { kind: "expect", outcome, span };
      }
      default:
        return null;
    }
  }

  private outcome(n: CstNode | undefined): ExpectedOutcome | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const span = nodeSpan(n);
    if (span === null) return null;
    if (tok(n, "KwNot") !== undefined) return { kind: "not_allow", span };
    if (tok(n, "KwAllow") !== undefined) return { kind: "allow", span };
    if (tok(n, "KwDeny") !== undefined) {
      const r = tok(n, "StringLiteral");
      const reason = r === undefined ? null : this.stringLit(r);
      return r !== undefined && reason === null ? null : { kind: "deny", reason, span };
    }
    if (tok(n, "KwThat") !== undefined) {
      const condition = this.expr(node(n, "expr"));
      return condition === null ? null : { kind: "that", condition, span };
    }
    const q = tok(n, "Int");
    const quorum = q === undefined ? null : this.intLit(q);
    const hasOf = tok(n, "KwOf") !== undefined;
    const group = hasOf ? this.name(node(n, "name")) : null;
    if ((q !== undefined && quorum === null) || (hasOf && group === null)) return null;
    return { kind: "require_approval", quorum, group, span };
  }

  private propertyDecl(n: CstNode, span: Span): PropertyDecl | null {
    const name = this.stringLit(tok(n, "StringLiteral"));
    const targets = this.targets(node(n, "targets"));
    const ex = node(n, "expectStep");
    const expect = ex === undefined || ex.recoveredNode === true ? null : this.outcome(node(ex, "outcome"));
    const assumptions: Expr[] = [];
    const setup: TestStep[] = [];
    let failed = name === null || targets === null || expect === null;
    for (const s of nodes(n, "propertySetup")) {
      if (s.recoveredNode === true) {
        failed = true;
      } else if (tok(s, "KwWhere") !== undefined) {
        const e = this.expr(node(s, "expr"));
        if (e === null) failed = true;
        else assumptions.push(e);
      } else {
        const step = this.testStep(s);
        if (step === null) failed = true;
        else setup.push(step);
      }
    }
    if (failed || name === null || targets === null || expect === null) return null;
    return { kind: "property", name, targets, assumptions, setup, expect, span };
  }

  private targets(n: CstNode | undefined): Target[] | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const out = all(nodes(n, "target"), (t) => this.target(t));
    return out === null || out.length === 0 ? null : out;
  }

  private target(n: CstNode | undefined): Target | null {
    if (n === undefined || n.recoveredNode === true) return null;
    const span = nodeSpan(n);
    if (span === null) return null;
    if (tok(n, "KwTier") !== undefined) {
      const cmp = tok(n, "TierCmp");
      const tier = tokenName(tok(n, "AnyIdent"));
      if (tier === null) return null;
      return { kind: "tier", comparison: (cmp?.image ?? "==") as "==" | ">=" | "<=" | ">" | "<", tier, span };
    }
    const p = node(n, "pathPattern");
    if (p === undefined || p.recoveredNode === true) return null;
    const names = toks(p, "AnyIdent");
    const stars = toks(p, "Star");
    if (names.length + stars.length === 0) return null;
    if (stars.length > 0) {
      const parts = [...names, ...stars].sort((a, b) => a.startOffset - b.startOffset);
      return { kind: "glob", pattern: parts.map((t) => t.image).join("."), span };
    }
    const texts = names.map((t) => t.image);
    return { kind: "action", name: { parts: texts, text: texts.join("."), span }, span };
  }
}

/** Maps every item (so every item's problems are reported), then null if any result is null. */
function all<T, R>(items: readonly T[], f: (item: T) => R | null): R[] | null {
  const out: R[] = [];
  let failed = false;
  for (const item of items) {
    const r = f(item);
    if (r === null) failed = true;
    else out.push(r);
  }
  return failed ? null : out;
}

function short(s: string): string {
  return s.length > 24 ? s.slice(0, 20) + "…" : s;
}

/** `a.b.c` for an ident/select chain (for messages). */
function exprText(e: Expr): string {
  if (e.kind === "ident") return (e.rootScoped ? "." : "") + e.name;
  if (e.kind === "select") return exprText(e.operand) + "." + e.field;
  return "…";
}
