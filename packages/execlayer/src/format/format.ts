// The `.xpol` formatter. Canonical style:
//   - 2-space indentation; declarations separated by one blank line (consecutive imports by none); inside blocks,
//     one item per line (fields, clauses, steps, members), blank lines between items kept (at most one);
//   - expressions with the fewest parentheses CEL precedence allows (expr.ts), broken at `&&` / `||`, arguments
//     and literals when a line would pass 120 columns; test steps' `{ a: 1, b: 2 }` on one line when it fits;
//   - every literal printed from its source text (escapes, raw and triple-quoted strings as written);
//   - every comment kept: a comment on the line where an item ends stays after it, any other comment goes above
//     the item it precedes (or before the closing `}`); an item with a comment inside it that has no place in
//     this scheme (`rule /* x */ name ...`, a comment inside an expression) is printed as written, re-indented.
// A file with syntax errors is not formatted. The result is checked before it is returned: it must parse to the
// same tree (modulo positions) and keep every comment, else formatting is refused (XP7022).
import type { IToken } from "chevrotain";
import type { ActionDecl, Declaration, Effect, ExpectedOutcome, Expr, FieldDecl, FieldInit, PolicyFile, PolicyHeader, PropertyDecl, Target, TestStep, TypeRef } from "../syntax/ast.ts";
import { parsePolicy, passesScreening, type Comment } from "../syntax/parse.ts";
import { tokenIndexAt, xpolLexer } from "../syntax/lexer.ts";
import { diagnostic, hasErrors, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import { concat, group, indent, join, lineOr, render, type Doc } from "./doc.ts";
import { ExprPrinter } from "./expr.ts";
import { astEqual } from "./ast-equal.ts";
import type { Span } from "../vocabulary/span.ts";

/** Lines are broken to fit this many columns where the syntax allows. */
export const WIDTH = 120;

export type FormatResult =
  | { readonly ok: true; readonly text: string; readonly changed: boolean }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Formats one `.xpol` file. Never throws. */
export function formatPolicy(text: string, file = "<input>"): FormatResult {
  try {
    const parsed = parsePolicy(text, file);
    const errors = parsed.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      return { ok: false, diagnostics: [diagnostic(D.formatSkipped, { start: 0, end: 0 }, [file], { file }), ...errors] };
    }
    const formatter = new Formatter(text, parsed.ast, parsed.comments);
    const out = formatter.format();
    const unsafe = (why: string): FormatResult => ({ ok: false, diagnostics: [diagnostic(D.formatUnsafe, { start: 0, end: 0 }, [file, why], { file })] });
    // The output must parse to the same tree. When it passes the parser's screening and lexes to the same tokens
    // (types and images; comments aside), it does: the parser and the tree builder see only the tokens, and
    // positions only go into spans. Only when the tokens differ (the formatter dropped parentheses, say) is the
    // output parsed again and the trees compared.
    const lexed = xpolLexer.tokenize(out);
    let afterComments: readonly string[];
    if (passesScreening(out) && lexed.errors.length === 0 && (lexed.groups["stray"]?.length ?? 0) === 0 && sameTokens(formatter.tokens, lexed.tokens)) {
      afterComments = ((lexed.groups["comments"] ?? []) as IToken[]).map((c) => commentText({ text: c.image, span: { start: 0, end: 0 } }));
    } else {
      const again = parsePolicy(out, file);
      if (hasErrors(again.diagnostics)) return unsafe("not parse");
      if (!astEqual(parsed.ast, again.ast)) return unsafe("change the meaning");
      afterComments = again.comments.map(commentText);
    }
    const before = parsed.comments.map(commentText).sort();
    const after = [...afterComments].sort();
    if (before.length !== after.length || before.some((c, i) => c !== after[i])) return unsafe("lose a comment");
    return { ok: true, text: out, changed: out !== text };
  } catch (e: unknown) {
    return { ok: false, diagnostics: [diagnostic(D.formatUnsafe, { start: 0, end: 0 }, [file, `fail: ${e instanceof Error ? e.message : String(e)}`], { file })] };
  }
}

/** Same token types and images, in the same order. */
function sameTokens(a: readonly IToken[], b: readonly IToken[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.tokenType !== b[i]!.tokenType || a[i]!.image !== b[i]!.image) return false;
  return true;
}

/** One line-level unit of output: a declaration, a field, a clause, a step. */
interface Item {
  readonly start: number;
  readonly end: number;
  /** one-line declarations of the same kind (imports, options, tiers) may stand together without a blank line */
  readonly compact?: string;
  /** the lines (indented), or null to print the source as written */
  readonly render: (indent: number) => string[] | null;
}

const pad = (n: number): string => " ".repeat(n);

/** `name: value` entries of a test step, as `inits` prints them. */
function initEntries(fields: readonly FieldInit[]): { name: Span; value: Expr; span: Span }[] {
  return fields.map((f) => ({ name: f.name.span, value: f.value, span: f.span }));
}

/** A comment as printed: trailing blanks of a line comment are not kept. */
function commentText(c: Comment): string {
  return c.text.replace(/[ \t]+$/, "");
}

class Formatter {
  /** the input's tokens (comments aside), which the output must match or else be parsed again */
  readonly tokens: IToken[];
  private readonly emitted = new Set<Comment>();
  private readonly ep: ExprPrinter;
  /** string tokens and comments that span lines: their inside is never re-indented */
  private readonly multiline: Span[];

  constructor(
    private readonly text: string,
    private readonly ast: PolicyFile,
    private readonly comments: readonly Comment[],
  ) {
    const lexed = xpolLexer.tokenize(text);
    this.tokens = lexed.tokens.filter((t) => Number.isFinite(t.startOffset));
    this.ep = new ExprPrinter(text);
    this.multiline = [
      ...this.tokens.filter((t) => t.image.includes("\n") || t.image.includes("\r")).map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length })),
      ...comments.filter((c) => c.text.includes("\n") || c.text.includes("\r")).map((c) => c.span),
    ];
  }

  format(): string {
    const items: Item[] = [];
    if (this.ast.header !== null) items.push(this.headerItem(this.ast.header));
    for (const d of this.ast.declarations) items.push(this.declItem(d));
    items.sort((a, b) => a.start - b.start);
    const lines = this.block(items, 0, 0, this.text.length, true);
    return lines.join("\n").replace(/\n*$/, "") + "\n";
  }

  // ------------------------------------------------------------------------------------------------------------
  // Tokens and source positions

  private src(span: Span): string {
    return this.text.slice(span.start, span.end);
  }

  private tokIndex(offset: number): number {
    return tokenIndexAt(this.tokens, offset);
  }

  /** The token that ends right before `offset` (skipping comments). */
  private prevTok(offset: number): IToken {
    return this.tokens[this.tokIndex(offset) - 1]!;
  }

  /** The first token with this image at or after `offset`. */
  private findTok(offset: number, image: string): IToken | undefined {
    for (let i = this.tokIndex(offset); i < this.tokens.length; i++) if (this.tokens[i]!.image === image) return this.tokens[i];
    return undefined;
  }

  private end(t: IToken): number {
    return t.startOffset + t.image.length;
  }

  /** An expression's extent in the source, with the parentheses around it (its span does not include them). */
  private extent(e: Expr): Span {
    let i0 = this.tokIndex(e.span.start);
    let i1 = this.tokIndex(e.span.end);
    let depth = 0;
    let min = 0;
    for (let i = i0; i < i1; i++) {
      const img = this.tokens[i]!.image;
      if (img === "(" || img === "[" || img === "{") depth++;
      else if (img === ")" || img === "]" || img === "}") depth--;
      min = Math.min(min, depth);
    }
    i0 -= -min;
    i1 += depth - min;
    while (this.tokens[i0 - 1]?.image === "(" && this.tokens[i1]?.image === ")") {
      i0--;
      i1++;
    }
    return { start: this.tokens[i0]!.startOffset, end: this.end(this.tokens[i1 - 1]!) };
  }

  private hasNewline(from: number, to: number): boolean {
    return /[\n\r]/.test(this.text.slice(from, to));
  }

  /** Whether the whitespace between two offsets holds an empty line. */
  private blankBetween(from: number, to: number): boolean {
    const between = this.text.slice(from, to);
    return (between.match(/\r\n|\r|\n/g)?.length ?? 0) >= 2;
  }

  private commentsIn(from: number, to: number): Comment[] {
    return this.comments.filter((c) => c.span.start >= from && c.span.start < to && !this.emitted.has(c));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Blocks, comments, verbatim fallback

  /** Items between `open` and `close` (offsets), with the comments among them, at `ind` columns. */
  private block(items: readonly Item[], ind: number, open: number, close: number, top: boolean): string[] {
    const lines: string[] = [];
    let prevEnd = open;
    let prev: Item | null = null;
    const commentLines = (c: Comment): string => {
      this.emitted.add(c);
      return pad(ind) + commentText(c);
    };
    /** Moves the comments on the line where the previous item ends to the end of its last line. */
    const trailing = (gap: Comment[]): Comment[] => {
      const rest = [...gap];
      while (rest.length > 0 && lines.length > 0 && !this.hasNewline(prevEnd, rest[0]!.span.start)) {
        const c = rest.shift()!;
        this.emitted.add(c);
        lines[lines.length - 1] += " " + commentText(c);
        prevEnd = c.span.end;
      }
      return rest;
    };
    for (const item of items) {
      const leading = trailing(this.commentsIn(prevEnd, item.start));
      const firstStart = leading[0]?.span.start ?? item.start;
      if (prev !== null) {
        const together = prev.compact !== undefined && prev.compact === item.compact;
        const blank = top && !together ? true : this.blankBetween(prevEnd, firstStart);
        if (blank) lines.push("");
      }
      let at = prevEnd;
      leading.forEach((c, k) => {
        if (k > 0 && this.blankBetween(at, c.span.start)) lines.push("");
        lines.push(commentLines(c));
        at = c.span.end;
      });
      if (leading.length > 0 && this.blankBetween(at, item.start)) lines.push("");
      lines.push(...this.renderItem(item, ind));
      prevEnd = item.end;
      prev = item;
    }
    const tail = trailing(this.commentsIn(prevEnd, close));
    let at = prevEnd;
    tail.forEach((c, k) => {
      if ((k > 0 || prev !== null) && this.blankBetween(at, c.span.start)) lines.push("");
      lines.push(commentLines(c));
      at = c.span.end;
    });
    return lines;
  }

  private renderItem(item: Item, ind: number): string[] {
    const inside = (): Comment[] => this.comments.filter((c) => c.span.start >= item.start && c.span.start < item.end);
    const lines = item.render(ind);
    if (lines !== null && inside().every((c) => this.emitted.has(c))) return lines;
    for (const c of inside()) this.emitted.add(c);
    return [this.verbatim(item.start, item.end, ind)];
  }

  private insideMultiline(offset: number): boolean {
    return this.multiline.some((s) => s.start < offset && offset < s.end);
  }

  /**
   * The source of an item as written: its first line at `ind` columns, its other lines shifted together so the
   * least indented one is at `ind` (when the item ends with a closing bracket, as a block does) or `ind + 2` (a
   * continued clause). Lines inside a multi-line string or comment are left alone.
   */
  private verbatim(start: number, end: number, ind: number): string {
    type Piece = { text: string; ws: number; shift: boolean };
    const pieces: Piece[] = [{ text: "", ws: 0, shift: false }];
    let i = start;
    while (i < end) {
      const ch = this.text[i]!;
      if ((ch === "\n" || ch === "\r") && !this.insideMultiline(i)) {
        i += ch === "\r" && this.text[i + 1] === "\n" ? 2 : 1;
        let ws = 0;
        while (i < end && (this.text[i] === " " || this.text[i] === "\t")) {
          ws++;
          i++;
        }
        pieces.push({ text: "", ws, shift: true });
        continue;
      }
      pieces[pieces.length - 1]!.text += ch;
      i++;
    }
    const shifted = pieces.filter((p) => p.shift && p.text.trim() !== "");
    const min = shifted.length === 0 ? 0 : Math.min(...shifted.map((p) => p.ws));
    const last = shifted[shifted.length - 1]?.text.trim() ?? "";
    const base = /^[}\])]+$/.test(last) ? ind : ind + 2;
    return pieces
      .map((p, k) => {
        const text = p.text.replace(/[ \t]+$/, "");
        if (k === 0) return pad(ind) + text;
        return text === "" ? "" : pad(base + p.ws - min) + text;
      })
      .join("\n");
  }

  /** A one-unit item printed from a document. */
  private leaf(ind: number, doc: Doc): string[] {
    return [pad(ind) + render(doc, WIDTH, ind)];
  }

  /** `HEAD {` items `}`, or `HEAD {}` when there is nothing inside. */
  private braced(ind: number, head: Doc, openTok: IToken | undefined, closeEnd: number, items: readonly Item[]): string[] | null {
    if (openTok === undefined) return null;
    const closeTok = this.prevTok(closeEnd);
    if (closeTok.image !== "}") return null;
    const first = pad(ind) + render(head, WIDTH, ind);
    const body = this.block(items, ind + 2, this.end(openTok), closeTok.startOffset, false);
    if (body.length === 0) return [`${first} {}`];
    return [`${first} {`, ...body, `${pad(ind)}}`];
  }

  // ------------------------------------------------------------------------------------------------------------
  // Declarations

  private headerItem(h: PolicyHeader): Item {
    return {
      start: h.span.start,
      end: h.span.end,
      render: (ind) => this.leaf(ind, `policy ${h.name.text}${h.version === null ? "" : ` version ${this.src(h.version.span)}`}`),
    };
  }

  private declItem(d: Declaration): Item {
    const base = { start: d.span.start, end: d.span.end };
    switch (d.kind) {
      case "import":
        return { ...base, compact: "import", render: (ind) => this.leaf(ind, `import ${d.module.text}`) };
      case "option":
        return { ...base, compact: "option", render: (ind) => this.leaf(ind, concat(`option ${d.name.text} = `, this.ep.doc(d.value))) };
      case "action":
        return { ...base, render: (ind) => this.actionDecl(d, ind) };
      case "record":
        return {
          ...base,
          render: (ind) => this.braced(ind, d.record, this.findTok(d.span.start, "{"), d.span.end, d.fields.map((f) => this.fieldDeclItem(f))),
        };
      case "tier": {
        const head = `tier ${this.target(d.target)} = ${d.tier.text}`;
        if (d.escalations.length === 0) return { ...base, compact: "tier", render: (ind) => this.leaf(ind, head) };
        const items: Item[] = d.escalations.map((e) => ({
          start: e.span.start,
          end: e.span.end,
          render: (ind) => this.leaf(ind, concat(`escalate to ${e.tier.text} when `, this.ep.doc(e.condition))),
        }));
        return { ...base, compact: "tier", render: (ind) => this.braced(ind, head, this.findTok(d.tier.span.end, "{"), d.span.end, items) };
      }
      case "counter":
        return { ...base, render: (ind) => this.braced(ind, `counter ${d.name.text}`, this.findTok(d.name.span.end, "{"), d.span.end, this.counterClauses(d)) };
      case "group": {
        if (d.keyring !== null) return { ...base, render: (ind) => this.leaf(ind, `group ${d.name.text} from ${this.src(d.keyring!.span)}`) };
        if (d.principal !== null) return { ...base, render: (ind) => this.leaf(ind, `group ${d.name.text} per ${this.src(d.principal!.span)}`) };
        const items: Item[] = d.members.map((m) => ({
          start: m.span.start,
          end: m.span.end,
          render: (ind) => this.leaf(ind, `${m.name.text}: ${this.src(m.key.span)}`),
        }));
        return { ...base, render: (ind) => this.braced(ind, `group ${d.name.text}`, this.findTok(d.name.span.end, "{"), d.span.end, items) };
      }
      case "rule": {
        const lastTarget = d.targets[d.targets.length - 1]!;
        const head = `rule ${d.name.text} on ${d.targets.map((t) => this.target(t)).join(", ")}`;
        const items: Item[] = [];
        if (d.condition !== null) {
          const c = d.condition;
          const x = this.extent(c);
          items.push({ start: this.prevTok(x.start).startOffset, end: x.end, render: (ind) => this.leaf(ind, concat("when ", this.ep.doc(c))) });
        }
        items.push({ start: d.effect.span.start, end: d.effect.span.end, render: (ind) => this.leaf(ind, this.effect(d.effect)) });
        if (d.otherwise !== null) {
          const o = d.otherwise;
          items.push({ start: this.prevTok(o.span.start).startOffset, end: o.span.end, render: (ind) => this.leaf(ind, concat("else ", this.effect(o))) });
        }
        return { ...base, render: (ind) => this.braced(ind, head, this.findTok(lastTarget.span.end, "{"), d.span.end, items) };
      }
      case "tool": {
        const aliases = d.aliases.length === 0 ? "" : ` alias ${d.aliases.map((a) => this.src(a.span)).join(", ")}`;
        const args =
          d.args === null
            ? ""
            : `(${d.args.map((f) => `${f.name.text}${f.optional ? "?" : ""}: ${this.typeRef(f.type)}${f.annotations.map((a) => ` ${this.src(a.span)}`).join("")}`).join(", ")})`;
        const head = `tool ${this.src(d.tool.span)}${args}${aliases} -> ${d.action.text}`;
        return { ...base, render: (ind) => this.braced(ind, head, this.findTok(d.action.span.end, "{"), d.span.end, d.fields.map((f) => this.fieldInitItem(f))) };
      }
      case "mcp_server": {
        // one member per line, like a group's members
        const items: Item[] = d.members.map((m) => {
          const span = m.kind === "tool" ? m.tool.span : m.module.span;
          return { start: span.start, end: span.end, render: (ind) => this.leaf(ind, m.kind === "tool" ? this.src(span) : m.module.text) };
        });
        return { ...base, render: (ind) => this.braced(ind, `mcp server ${this.src(d.name.span)}`, this.findTok(d.name.span.end, "{"), d.span.end, items) };
      }
      case "test":
        return {
          ...base,
          render: (ind) => this.braced(ind, `test ${this.src(d.name.span)}`, this.findTok(d.name.span.end, "{"), d.span.end, d.steps.map((s) => this.stepItem(s))),
        };
      case "property":
        return { ...base, render: (ind) => this.property(d, ind) };
    }
  }

  private actionDecl(d: ActionDecl, ind: number): string[] | null {
    const aliases = d.aliases.length === 0 ? "" : ` alias ${d.aliases.map((a) => this.src(a.span)).join(", ")}`;
    const after = d.aliases.length === 0 ? d.name.span.end : d.aliases[d.aliases.length - 1]!.span.end;
    return this.braced(ind, `action ${d.name.text}${aliases}`, this.findTok(after, "{"), d.span.end, d.fields.map((f) => this.fieldDeclItem(f)));
  }

  private fieldDeclItem(f: FieldDecl): Item {
    return {
      start: f.span.start,
      end: f.span.end,
      render: (ind) => {
        const anns = f.annotations.map((a) =>
          a.args.length === 0 ? `@${a.name.text}` : concat(`@${a.name.text}(`, join(", ", a.args.map((x) => this.ep.doc(x))), ")"),
        );
        return this.leaf(ind, concat(`${f.name.text}${f.optional ? "?" : ""}: `, this.typeRef(f.type), ...anns.flatMap((a) => [" ", a])));
      },
    };
  }

  private typeRef(t: TypeRef): string {
    switch (t.kind) {
      case "named":
        return t.name.text;
      case "list":
        return `list<${this.typeRef(t.element)}>`;
      case "map":
        return `map<${this.typeRef(t.key)}, ${this.typeRef(t.value)}>`;
      case "enum":
        return t.values.map((v) => this.src(v.span)).join(" | ");
    }
  }

  private target(t: Target): string {
    switch (t.kind) {
      case "action":
        return t.name.text;
      case "glob":
        return t.pattern;
      case "tier":
        return t.comparison === "==" ? `tier ${t.tier.text}` : `tier ${t.comparison} ${t.tier.text}`;
    }
  }

  private effect(e: Effect): string {
    const reason = e.reason === null ? "" : ` ${this.src(e.reason.span)}`;
    switch (e.kind) {
      case "allow":
        return `allow${reason}`;
      case "deny":
        return `deny${reason}`;
      case "require_approval":
        return `require approval ${this.src(e.quorum.span)} of ${e.group.text}${e.within === null ? "" : ` within ${e.within.text}`}${reason}`;
    }
  }

  /** The clauses of a counter in source order; a clause starts at its keyword. */
  private counterClauses(d: Extract<Declaration, { kind: "counter" }>): Item[] {
    const items: Item[] = [];
    const listClause = (keyword: string, elements: readonly { start: number; end: number; doc: () => Doc }[]): void => {
      let current: { start: number; end: number; docs: (() => Doc)[] } | null = null;
      const flush = (): void => {
        if (current === null) return;
        const c: { start: number; end: number; docs: (() => Doc)[] } = current;
        items.push({ start: c.start, end: c.end, render: (ind) => this.leaf(ind, concat(`${keyword} `, join(", ", c.docs.map((f) => f())))) });
        current = null;
      };
      for (const el of elements) {
        const before = this.prevTok(el.start);
        if (before.image === keyword || current === null) {
          flush();
          current = { start: before.image === keyword ? before.startOffset : el.start, end: el.end, docs: [el.doc] };
        } else {
          current.end = el.end;
          current.docs.push(el.doc);
        }
      }
      flush();
    };
    listClause(
      "on",
      d.targets.map((t) => ({ start: t.span.start, end: t.span.end, doc: () => this.target(t) })),
    );
    listClause(
      "per",
      d.keys.map((k) => {
        const x = this.extent(k);
        return { start: x.start, end: x.end, doc: () => this.ep.doc(k) };
      }),
    );
    for (const [keyword, e] of [
      ["sum", d.amount],
      ["where", d.filter],
    ] as const) {
      if (e === null) continue;
      const x = this.extent(e);
      items.push({ start: this.prevTok(x.start).startOffset, end: x.end, render: (ind) => this.leaf(ind, concat(`${keyword} `, this.ep.doc(e))) });
    }
    const w = d.window;
    if (w !== null) {
      const text = w.kind === "calendar" ? `window calendar ${w.unit.text}` : `window rolling ${w.duration.text}`;
      items.push({ start: this.prevTok(w.span.start).startOffset, end: w.span.end, render: (ind) => this.leaf(ind, text) });
    }
    return items.sort((a, b) => a.start - b.start);
  }

  private fieldInitItem(f: FieldInit): Item {
    return { start: f.span.start, end: f.span.end, render: (ind) => this.leaf(ind, this.initDoc(f.name.span, f.value)) };
  }

  private initDoc(name: Span, value: Expr): Doc {
    return concat(`${this.src(name)}: `, this.ep.doc(value));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Tests and properties

  /** `HEAD { a: 1, b: 2 }` on one line when it fits, else one entry per line; comments inside force the latter. */
  private inits(ind: number, head: string, from: number, end: number, entries: readonly { name: Span; value: Expr; span: Span }[]): string[] | null {
    const open = this.findTok(from, "{");
    if (open === undefined) return null;
    const close = this.prevTok(end);
    const items: Item[] = entries.map((e) => ({ start: e.span.start, end: e.span.end, render: (i) => this.leaf(i, this.initDoc(e.name, e.value)) }));
    if (this.comments.some((c) => c.span.start > open.startOffset && c.span.start < close.startOffset)) return this.braced(ind, head, open, end, items);
    if (entries.length === 0) return [`${pad(ind)}${head} {}`];
    const doc = group(
      `${head} {`,
      indent(lineOr(" "), join(lineOr(", "), entries.map((e) => this.initDoc(e.name, e.value)))),
      lineOr(" "),
      "}",
    );
    return this.leaf(ind, doc);
  }

  private stepItem(s: TestStep): Item {
    const base = { start: s.span.start, end: s.span.end };
    switch (s.kind) {
      case "action":
        return { ...base, render: (ind) => this.inits(ind, `action ${s.action.text}`, s.action.span.end, s.span.end, initEntries(s.fields)) };
      case "tool": {
        const entries = s.args.kind === "map" ? s.args.entries.map((m) => ({ name: m.key.span, value: m.value, span: m.span })) : null;
        if (entries === null) return { ...base, render: () => null };
        return { ...base, render: (ind) => this.inits(ind, `tool ${this.src(s.tool.span)}`, s.tool.span.end, s.span.end, entries) };
      }
      case "record":
        return { ...base, render: (ind) => this.inits(ind, s.record, s.span.start, s.span.end, initEntries(s.fields)) };
      case "counter":
        return { ...base, render: (ind) => this.leaf(ind, concat(`counter ${s.name.text} = `, this.ep.doc(s.value))) };
      case "approvals":
        return { ...base, render: (ind) => this.leaf(ind, `approvals ${this.src(s.count.span)}${s.group === null ? "" : ` of ${s.group.text}`}`) };
      case "at":
        return { ...base, render: (ind) => this.leaf(ind, `at ${this.src(s.time.span)}`) };
      case "expect":
        return { ...base, render: (ind) => this.leaf(ind, concat("expect ", this.outcome(s.outcome))) };
    }
  }

  private outcome(o: ExpectedOutcome): Doc {
    switch (o.kind) {
      case "allow":
        return "allow";
      case "not_allow":
        return "not allow";
      case "deny":
        return o.reason === null ? "deny" : `deny ${this.src(o.reason.span)}`;
      case "require_approval":
        return `require approval${o.quorum === null ? "" : ` ${this.src(o.quorum.span)}`}${o.group === null ? "" : ` of ${o.group.text}`}`;
      case "that":
        return concat("that ", this.ep.doc(o.condition));
    }
  }

  private property(d: PropertyDecl, ind: number): string[] | null {
    const first = d.targets[0]!;
    const last = d.targets[d.targets.length - 1]!;
    const items: Item[] = [
      {
        start: this.prevTok(first.span.start).startOffset,
        end: last.span.end,
        render: (i: number) => this.leaf(i, `forall ${d.targets.map((t) => this.target(t)).join(", ")}`),
      },
      ...d.setup.map((s) => this.stepItem(s)),
      ...d.assumptions.map((a): Item => {
        const x = this.extent(a);
        return { start: this.prevTok(x.start).startOffset, end: x.end, render: (i) => this.leaf(i, concat("where ", this.ep.doc(a))) };
      }),
      {
        start: this.prevTok(d.expect.span.start).startOffset,
        end: d.expect.span.end,
        render: (i: number) => this.leaf(i, concat("expect ", this.outcome(d.expect))),
      },
    ].sort((a, b) => a.start - b.start);
    return this.braced(ind, `property ${this.src(d.name.span)}`, this.findTok(d.name.span.end, "{"), d.span.end, items);
  }
}
