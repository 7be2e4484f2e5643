// Entry points of the front end: `parseExpression` (one CEL expression) and `parsePolicy` (a .xpol file).
//
// Bad input limits (also in grammar/README.md). Whatever the input, these functions return diagnostics with
// positions; they never throw, overflow the stack or hang:
//   - binary data (a NUL character): one XP1009 diagnostic, nothing else is parsed;
//   - unpaired UTF-16 surrogates: XP1008 at each (the text cannot come from valid UTF-8);
//   - brackets `( [ {` and type arguments `< >` nested deeper than MAX_NESTING (100): XP1010, found by a token scan
//     before the recursive-descent parser runs, so the parser's own recursion stays bounded;
//   - expression trees deeper than MAX_EXPR_DEPTH (250), e.g. 10,000 `!` in a row or a 10,000-long `a.b.c...` or
//     `x || x || ...` chain (loops in the parser, but recursion in every later stage): XP1011, and the expression
//     is left out of the AST;
//   - at most MAX_DIAGNOSTICS (100) diagnostics per file, then XP1019; the parser stops after MAX_PARSE_ERRORS
//     (1,000) raw errors, since recovering from each costs time and only the first are shown;
//   - any internal failure becomes XP1020 instead of an exception.
//   - more than MAX_TOKENS (500,000) tokens: XP1022, estimated in one pass before lexing (a 10 MB file is refused
//     in milliseconds; its tokens and syntax tree would take gigabytes).
// Lexing, parsing and error reporting are linear in the input size.
import { EOF, type IToken } from "chevrotain";
import type { Expr, PolicyFile } from "./ast.ts";
import { diagnostic, hasErrors, type Diagnostic, type DiagnosticDef, type DiagnosticExtras, type RelatedInformation } from "../diagnostics/diagnostic.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { AstBuilder, type DiagnosticSink } from "./build.ts";
import { AnyIdent, Assign, Colon, Comma, Gt, Int, Kw, LBracket, LCurly, LParen, Lt, Pipe, RBracket, RCurly, RParen, StringLiteral, tokenIndexAt, xpolLexer } from "./lexer.ts";
import { OFFENDING, TooManySyntaxErrors, xpolParser } from "./parser.ts";
import type { Span } from "../vocabulary/span.ts";

export { MAX_EXPR_DEPTH } from "./build.ts";

/** Deepest bracket nesting accepted; the CEL spec asks for at least 32. */
export const MAX_NESTING = 100;
/**
 * Most tokens parsed from one input (about 3.5 MB of typical policy text, some 12,000 rules). The parser's memory
 * grows with the token count, so a larger input gets XP1022 instead of exhausting the heap.
 */
export const MAX_TOKENS = 500_000;
/** Diagnostics reported per parse before giving up with "too many errors". */
export const MAX_DIAGNOSTICS = 100;

export interface Comment {
  readonly text: string;
  readonly span: Span;
}

export interface ParsedExpression {
  /** null exactly when `diagnostics` holds an error */
  readonly expr: Expr | null;
  readonly diagnostics: Diagnostic[];
}

export interface ParsedPolicy {
  /** the declarations that parsed; with errors, the broken ones are left out */
  readonly ast: PolicyFile;
  readonly diagnostics: Diagnostic[];
  /** `//` and `/* *\/` comments in source order, for the formatter */
  readonly comments: Comment[];
}

class Reporter implements DiagnosticSink {
  readonly list: Diagnostic[] = [];
  constructor(readonly file: string | undefined) {}
  add<A extends readonly unknown[]>(def: DiagnosticDef<A>, span: Span, args: A, extras: DiagnosticExtras = {}): void {
    this.list.push(diagnostic(def, span, args, this.file === undefined ? extras : { ...extras, file: this.file }));
  }
}

/**
 * In a file, NUL means binary (a CEL string may hold a NUL, so a lone expression is not checked for it); unpaired
 * surrogates mean the text did not come from valid UTF-8.
 */
function prescan(text: string, r: Reporter, rejectNul: boolean): { binary: boolean; surrogates: Set<number> } {
  const surrogates = new Set<number>();
  const nul = rejectNul ? text.indexOf("\u0000") : -1;
  if (nul >= 0) {
    r.add(Diagnostics.binaryInput, { start: nul, end: nul + 1 }, [], { help: "policy files are UTF-8 text" });
    return { binary: true, surrogates };
  }
  // A regex finds the rare bad surrogate without a per-character loop over large files.
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  for (const m of text.matchAll(lone)) {
    if (surrogates.size >= MAX_DIAGNOSTICS) break;
    surrogates.add(m.index);
    r.add(Diagnostics.invalidUtf16, { start: m.index, end: m.index + 1 }, []);
  }
  return { binary: false, surrogates };
}

const enum Ch {
  Tab = 9,
  Space = 32,
  Quote = 34,
  Apostrophe = 39,
  Slash = 47,
  Star = 42,
  Backslash = 92,
  Newline = 10,
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Where the input passes MAX_TOKENS, estimated in one pass without allocating (words, punctuation characters, quoted
 * strings and line comments count as one each); undefined when it stays below. Run before lexing, so a huge input
 * is refused before it costs gigabytes of token objects.
 */
function tokenLimitOffset(text: string): number | undefined {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isWordChar(c)) {
      if (!inWord) count++;
      inWord = true;
    } else {
      inWord = false;
      if (c === Ch.Quote || c === Ch.Apostrophe) {
        count++;
        let j = i + 1;
        while (j < text.length && text.charCodeAt(j) !== c && text.charCodeAt(j) !== Ch.Newline) {
          j += text.charCodeAt(j) === Ch.Backslash ? 2 : 1;
        }
        i = j;
      } else if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Slash) {
        const nl = text.indexOf("\n", i);
        i = nl < 0 ? text.length : nl;
      } else if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
        const end = text.indexOf("*/", i + 2);
        i = end < 0 ? text.length : end + 1;
      } else if (c > Ch.Space) count++;
    }
    if (count > MAX_TOKENS) return i;
  }
  return undefined;
}

interface Lexed {
  readonly tokens: IToken[];
  readonly comments: Comment[];
}

function lex(text: string, r: Reporter, surrogates: ReadonlySet<number>): Lexed {
  const result = xpolLexer.tokenize(text);
  // The lexer tracks start offsets only (cheapest); CST node locations need the end too.
  for (const t of result.tokens) t.endOffset = t.startOffset + t.image.length - 1;
  // Stray characters come as tokens of the "stray" group (see lexer.ts); lexer errors should not happen, but are
  // reported the same way if they do.
  const stray = ((result.groups["stray"] ?? []) as IToken[]).map((t) => ({ offset: t.startOffset, length: t.image.length }));
  for (const e of [...stray.slice(0, MAX_DIAGNOSTICS + 1), ...result.errors.slice(0, MAX_DIAGNOSTICS + 1)]) {
    if (surrogates.has(e.offset)) continue;
    const cp = text.codePointAt(e.offset) ?? 0;
    const ch = String.fromCodePoint(cp);
    const shown = cp < 0x20 || cp === 0x7f ? `\\u{${cp.toString(16)}}` : ch;
    r.add(Diagnostics.unexpectedCharacter, { start: e.offset, end: e.offset + e.length }, [shown], e.length > 1 ? { help: `${e.length} characters skipped` } : {});
  }
  for (const t of result.tokens) {
    if (t.tokenType.name === "UnterminatedString") {
      r.add(Diagnostics.unterminatedString, { start: t.startOffset, end: t.startOffset + Math.min(t.image.length, 1) }, [], {
        help: t.image.includes('"""') || t.image.includes("'''")
          ? "a triple-quoted string ends with the same three quotes"
          : "close the string on the same line; use a triple-quoted string for several lines",
      });
    }
  }
  const comments: Comment[] = [];
  for (const c of (result.groups["comments"] ?? []) as IToken[]) {
    if (c.tokenType.name === "UnterminatedComment") {
      r.add(Diagnostics.unterminatedComment, { start: c.startOffset, end: c.startOffset + 2 }, [], { help: "close it with `*/`" });
    }
    comments.push({ text: c.image, span: { start: c.startOffset, end: c.startOffset + c.image.length } });
  }
  return { tokens: result.tokens, comments };
}

// Tokens that can appear inside a type (`map<string, list<"a" | "b">>`); anything else ends a run of `<`.
const TYPE_TOKENS = new Set([AnyIdent, Lt, Gt, Comma, StringLiteral, Pipe]);

/**
 * Finds nesting deeper than MAX_NESTING before the recursive parser sees it: brackets, and `<` that opens type
 * arguments (`name <` after `:`, after a type-argument `<`, or after `,` inside type arguments). Returns the
 * offending token, or undefined.
 */
function tooDeep(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  let angles = 0;
  let lastTypeLt = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const type = t.tokenType;
    if (type === LParen || type === LBracket || type === LCurly) depth++;
    else if (type === RParen || type === RBracket || type === RCurly) depth = Math.max(0, depth - 1);
    if (type === Lt) {
      const prev = tokens[i - 1];
      const before = tokens[i - 2]?.tokenType;
      const isTypeArg =
        prev !== undefined &&
        prev.tokenType.CATEGORIES?.includes(AnyIdent) === true &&
        (before === Colon || (before === Lt && lastTypeLt === i - 2) || (before === Comma && angles > 0));
      if (isTypeArg) {
        angles++;
        lastTypeLt = i;
      }
    } else if (type === Gt) angles = Math.max(0, angles - 1);
    else if (!TYPE_TOKENS.has(type) && !(type.CATEGORIES?.includes(AnyIdent) ?? false) && !(type.CATEGORIES?.includes(StringLiteral) ?? false)) {
      angles = 0;
    }
    if (depth + angles > MAX_NESTING) return t;
  }
  return undefined;
}

const CLOSERS: ReadonlyMap<string, [open: string, close: string]> = new Map([
  ["`}`", ["{", "}"]],
  ["`)`", ["(", ")"]],
  ["`]`", ["[", "]"]],
]);

const BLOCK_KEYWORDS = new Set([
  Kw.rule, Kw.action, Kw.actor, Kw.context, Kw.tier, Kw.counter, Kw.group, Kw.tool, Kw.test, Kw.property,
]);

/** The innermost bracket `open` still unclosed before token index `upto`. */
function unclosedOpener(tokens: readonly IToken[], upto: number, open: string, close: string): number | undefined {
  const stack: number[] = [];
  for (let i = 0; i < upto && i < tokens.length; i++) {
    const img = tokens[i]!.image;
    if (img === open) stack.push(i);
    else if (img === close) stack.pop();
  }
  return stack[stack.length - 1];
}

/** `rule`, `action`, ... : the keyword that starts the construct whose `{` is at `index`. */
function blockKeyword(tokens: readonly IToken[], index: number): string | undefined {
  let found: string | undefined;
  for (let i = index - 1; i >= 0 && i >= index - 64; i--) {
    const t = tokens[i]!;
    if (t.tokenType === LCurly || t.tokenType === RCurly) break;
    if (BLOCK_KEYWORDS.has(t.tokenType)) found = t.image;
  }
  return found;
}

function parserDiagnostics(text: string, tokens: readonly IToken[], r: Reporter, expression: boolean): void {
  const seen = new Set<number>();
  const lastEnd = tokens.length > 0 ? tokens[tokens.length - 1]!.startOffset + tokens[tokens.length - 1]!.image.length : text.length;
  for (const e of xpolParser.errors) {
    // Only the first ones are shown; stopping here also bounds the bracket matching below to a few passes.
    if (seen.size > MAX_DIAGNOSTICS) break;
    const t = OFFENDING.get(e.token) ?? e.token;
    const atEof = t.tokenType === EOF || !Number.isFinite(t.startOffset);
    const start = atEof ? lastEnd : t.startOffset;
    if (seen.has(start)) continue; // one report per position: recovery can fail several times at one token
    seen.add(start);
    const span: Span = atEof ? { start, end: start } : { start, end: start + t.image.length };
    const m = /^unexpected (.*), expected (.*)$/s.exec(e.message);
    let found = m?.[1] ?? "input";
    let expected = m?.[2] ?? "something else";
    const related: RelatedInformation[] = [];
    const closer = CLOSERS.get(expected);
    if (closer !== undefined) {
      const idx = atEof ? tokens.length : tokenIndexAt(tokens, start);
      const opener = unclosedOpener(tokens, idx, closer[0], closer[1]);
      if (opener !== undefined) {
        const o = tokens[opener]!;
        const kw = closer[0] === "{" ? blockKeyword(tokens, opener) : undefined;
        const what = kw !== undefined ? `the \`${kw}\` block` : `this \`${closer[0]}\``;
        expected = `${expected} to close ${what}`;
        related.push({ message: `${what.replace(/^this/, "the")} opens here`, span: { start: o.startOffset, end: o.startOffset + 1 } });
      }
    }
    if (atEof) found = "end of file";
    if (expected === "end of file") expected = expression ? "the end of the expression" : "a declaration";
    const help = atEof ? undefined : syntaxHint(t, tokens, expected);
    const extras: DiagnosticExtras = { ...(related.length > 0 ? { related } : {}), ...(help !== undefined ? { help } : {}) };
    r.add(Diagnostics.unexpectedToken, span, [found, expected], extras);
  }
}

const DURATION_UNITS: Readonly<Record<string, string>> = {
  ms: "ms", millisecond: "ms", milliseconds: "ms",
  s: "s", sec: "s", secs: "s", second: "s", seconds: "s",
  m: "m", min: "m", mins: "m", minute: "m", minutes: "m",
  h: "h", hr: "h", hrs: "h", hour: "h", hours: "h",
  d: "d", day: "d", days: "d",
};

export const DURATION_SYNTAX_HELP =
  "a duration is a number and a unit with no space between them: `500ms`, `30s`, `15m`, `1h`, `7d`, or combined, `1h30m`";

/** What the commonest slips mean: `=` for `==`, a duration written in words (`1 hour`). */
function syntaxHint(t: IToken, tokens: readonly IToken[], expected: string): string | undefined {
  if (t.tokenType === Assign) return "did you mean `==`? conditions compare with `==`; a single `=` is not a CEL operator";
  if (expected === "a duration") {
    const next = tokens[tokenIndexAt(tokens, t.startOffset) + 1];
    const unit = next !== undefined ? DURATION_UNITS[next.image.toLowerCase()] : undefined;
    if (t.tokenType === Int && unit !== undefined) return `write \`${t.image}${unit}\`: ${DURATION_SYNTAX_HELP}`;
    return DURATION_SYNTAX_HELP;
  }
  return undefined;
}

function refuseLarge(text: string, r: Reporter): boolean {
  const at = tokenLimitOffset(text);
  if (at === undefined) return false;
  r.add(Diagnostics.inputTooLarge, { start: at, end: at + 1 }, [MAX_TOKENS], {
    help: "split the policy into several files",
  });
  return true;
}

/**
 * Chevrotain signals each syntax error with an exception, and capturing a stack trace for each was most of the
 * time spent on inputs with thousands of errors; nothing reads those traces.
 */
function withoutStackTraces<T>(f: () => T): T | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } catch (e: unknown) {
    // Too many errors: they are in xpolParser.errors; there is no syntax tree.
    if (e instanceof TooManySyntaxErrors) return undefined;
    throw e;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The bad-input checks both entry points run before parsing (binary text, bad surrogates, too many tokens, too deep
 * nesting) and the lexing between them. `tokens` is null when the input is refused; its diagnostic is reported.
 */
function screenAndLex(text: string, r: Reporter, rejectNul: boolean): { tokens: IToken[] | null; comments: Comment[] } {
  const { binary, surrogates } = prescan(text, r, rejectNul);
  if (binary || refuseLarge(text, r)) return { tokens: null, comments: [] };
  const { tokens, comments } = lex(text, r, surrogates);
  const deep = tooDeep(tokens);
  if (deep === undefined) return { tokens, comments };
  r.add(Diagnostics.nestingTooDeep, { start: deep.startOffset, end: deep.startOffset + deep.image.length }, [MAX_NESTING]);
  return { tokens: null, comments };
}

/**
 * Whether `text` passes the screening `parsePolicy` runs before lexing (no NUL, no unpaired surrogate, at most
 * MAX_TOKENS): with it, `parsePolicy`'s result is a function of the token sequence (types and images; positions
 * only in spans). The formatter's safety check uses this to compare token streams instead of parsing again.
 */
export function passesScreening(text: string): boolean {
  const r = new Reporter(undefined);
  return !prescan(text, r, true).binary && r.list.length === 0 && tokenLimitOffset(text) === undefined;
}

/** Sorts by position and caps the count. */
function finish(r: Reporter): Diagnostic[] {
  const all = [...r.list].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  if (all.length <= MAX_DIAGNOSTICS) return all;
  const kept = all.slice(0, MAX_DIAGNOSTICS);
  const last = kept[kept.length - 1]!;
  kept.push(diagnostic(Diagnostics.tooManyErrors, last.span, [MAX_DIAGNOSTICS], r.file === undefined ? {} : { file: r.file }));
  return kept;
}

function internalError(e: unknown, file: string | undefined, text: string): Diagnostic {
  const why = e instanceof RangeError ? "input nested too deeply" : e instanceof Error ? e.message : String(e);
  return diagnostic(Diagnostics.internalParserError, { start: 0, end: Math.min(1, text.length) }, [why], file === undefined ? {} : { file });
}

/** Parses one CEL expression. `expr` is null exactly when there are errors. */
export function parseExpression(text: string, file?: string): ParsedExpression {
  try {
    const r = new Reporter(file);
    const { tokens } = screenAndLex(text, r, false);
    if (tokens === null) return { expr: null, diagnostics: finish(r) };
    xpolParser.input = tokens;
    const cst = withoutStackTraces(() => xpolParser.expr());
    parserDiagnostics(text, tokens, r, true);
    const expr = new AstBuilder(r).expr(cst);
    const diagnostics = finish(r);
    return { expr: hasErrors(diagnostics) ? null : expr, diagnostics };
  } catch (e: unknown) {
    return { expr: null, diagnostics: [internalError(e, file, text)] };
  } finally {
    // Do not keep the last input's tokens alive in the shared parser.
    xpolParser.input = [];
  }
}

/** Parses a .xpol file. Always returns an AST (possibly partial) and the diagnostics, never throws. */
export function parsePolicy(text: string, file?: string): ParsedPolicy {
  const empty = (diagnostics: Diagnostic[], comments: Comment[] = []): ParsedPolicy => ({
    ast: { kind: "policy", header: null, declarations: [], span: { start: 0, end: text.length } },
    diagnostics,
    comments,
  });
  try {
    const r = new Reporter(file);
    const { tokens, comments } = screenAndLex(text, r, true);
    if (tokens === null) return empty(finish(r), comments);
    xpolParser.input = tokens;
    const cst = withoutStackTraces(() => xpolParser.policyFile());
    parserDiagnostics(text, tokens, r, false);
    const { header, declarations } = cst === undefined ? { header: null, declarations: [] } : new AstBuilder(r).policyFile(cst);
    return {
      ast: { kind: "policy", header, declarations, span: { start: 0, end: text.length } },
      diagnostics: finish(r),
      comments,
    };
  } catch (e: unknown) {
    return empty([internalError(e, file, text)]);
  } finally {
    xpolParser.input = [];
  }
}
