// The .xpol lexer: one Chevrotain lexer for the whole language (policy declarations and CEL expressions).
//
// Policy keywords are contextual: every keyword token is also in the `AnyIdent` category, so wherever the grammar
// accepts a name (fields, rule names, `counter.status_updates`, `context.window`) a keyword is accepted too. CEL's
// own keywords (`true false null in`) are not names. CEL's reserved words (`as break const ...`) lex as names and are
// rejected by the AST builder where CEL forbids them (as a plain identifier or global function name), since CEL allows
// them as field selectors (`a.as`) and method names (`a.if()`).
import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";

/** Category: anything usable as a name. */
export const AnyIdent = createToken({ name: "AnyIdent", pattern: Lexer.NA, label: "a name" });
/** Category: string literals, closed or unterminated (the latter is reported by the lexer pass). */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: Lexer.NA, label: "a string" });
/** Category: every binary operator of CEL; the parser reads `a op b op c ...` flat and build.ts applies precedence. */
export const BinaryOp = createToken({ name: "BinaryOp", pattern: Lexer.NA, label: "an operator" });
/** Category: relational operators of CEL. */
export const RelOp = createToken({ name: "RelOp", pattern: Lexer.NA, categories: [BinaryOp], label: "a comparison operator" });
export const AddOp = createToken({ name: "AddOp", pattern: Lexer.NA, categories: [BinaryOp], label: "`+` or `-`" });
export const MulOp = createToken({ name: "MulOp", pattern: Lexer.NA, categories: [BinaryOp], label: "`*`, `/` or `%`" });
/** Category: the comparisons allowed in a tier target (`tier >= T2`). */
export const TierCmp = createToken({ name: "TierCmp", pattern: Lexer.NA, label: "a comparison" });
export const Literal = createToken({ name: "Literal", pattern: Lexer.NA, label: "a literal" });

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[_a-zA-Z][_a-zA-Z0-9]*/,
  categories: [AnyIdent],
  label: "a name",
});

/** `` `content-type` ``: a quoted field name, only after `.` (CEL's escaped identifiers). */
export const QuotedIdent = createToken({
  name: "QuotedIdent",
  pattern: /`[a-zA-Z0-9_.\-\/ ]+`/,
  label: "a quoted field name",
});

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  // CEL whitespace plus a byte order mark, which editors may leave at the start of a file.
  pattern: /[ \t\n\r\f\ufeff]+/,
  group: Lexer.SKIPPED,
});
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
// Regexes here are written as unrolled loops (`[^*]*(?:...[^*]*)*`) rather than `(?:a|b)*` or lazy `*?`, so a
// multi-megabyte comment or string does not exhaust the regex engine's backtracking stack.
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//,
  group: "comments",
});
/** `/*` without its `*\/`: taken to the end of the file and reported. */
export const UnterminatedComment = createToken({ name: "UnterminatedComment", pattern: /\/\*[\s\S]*/, group: "comments" });

// Strings: [bB]? [rR]? then one of the four quote forms. Raw strings do not interpret escapes, so `\"` ends them.
// A single-quoted form never starts with three quotes, so `"""abc` is an unterminated triple-quoted string, not `""`.
export const ClosedString = createToken({
  name: "ClosedString",
  pattern:
    /[bB]?(?:[rR](?:"""[^"]*(?:"(?!"")[^"]*)*"""|'''[^']*(?:'(?!'')[^']*)*'''|"(?!"")[^"\n\r]*"|'(?!'')[^'\n\r]*')|"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""|'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''|"(?!"")[^"\\\n\r]*(?:\\[^\n\r][^"\\\n\r]*)*"|'(?!'')[^'\\\n\r]*(?:\\[^\n\r][^'\\\n\r]*)*')/,
  start_chars_hint: ["b", "B", "r", "R", '"', "'"],
  categories: [StringLiteral, Literal],
  label: "a string",
});
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /[bB]?[rR]?(?:"""[\s\S]*|'''[\s\S]*|"[^\n\r]*|'[^\n\r]*)/,
  start_chars_hint: ["b", "B", "r", "R", '"', "'"],
  categories: [StringLiteral, Literal],
  label: "a string",
});

// Numbers. A duration (`24h`, `1h30m`, `500ms`) is one token, tried first; CEL has no duration literals so it is only
// valid where the policy grammar asks for one.
export const Duration = createToken({
  name: "Duration",
  pattern: /\d+(?:ms|[dhms])(?:\d+(?:ms|[dhms]))*(?![_a-zA-Z0-9])/,
  start_chars_hint: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  label: "a duration",
});
export const Float = createToken({
  name: "Float",
  pattern: /(?:\d+\.\d+|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+/,
  start_chars_hint: [".", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  categories: [Literal],
  label: "a number",
});
export const UInt = createToken({
  name: "UInt",
  pattern: /(?:0[xX][0-9a-fA-F]+|\d+)[uU]/,
  categories: [Literal],
  label: "an unsigned integer",
});
export const Int = createToken({ name: "Int", pattern: /0[xX][0-9a-fA-F]+|\d+/, categories: [Literal], label: "an integer" });

// Punctuation; longer operators before their prefixes.
const punct = (name: string, pattern: RegExp, text: string, categories: TokenType[] = []): TokenType =>
  createToken({ name, pattern, categories, label: `\`${text}\`` });
export const Arrow = punct("Arrow", /->/, "->");
export const EqEq = punct("EqEq", /==/, "==", [RelOp, TierCmp]);
export const NotEq = punct("NotEq", /!=/, "!=", [RelOp]);
export const LtEq = punct("LtEq", /<=/, "<=", [RelOp, TierCmp]);
export const GtEq = punct("GtEq", />=/, ">=", [RelOp, TierCmp]);
export const AndAnd = punct("AndAnd", /&&/, "&&", [BinaryOp]);
export const OrOr = punct("OrOr", /\|\|/, "||", [BinaryOp]);
export const Lt = punct("Lt", /</, "<", [RelOp, TierCmp]);
export const Gt = punct("Gt", />/, ">", [RelOp, TierCmp]);
export const Assign = punct("Assign", /=/, "=");
export const Bang = punct("Bang", /!/, "!");
export const Plus = punct("Plus", /\+/, "+", [AddOp]);
export const Minus = punct("Minus", /-/, "-", [AddOp]);
export const Star = punct("Star", /\*/, "*", [MulOp]);
export const Slash = punct("Slash", /\//, "/", [MulOp]);
export const Percent = punct("Percent", /%/, "%", [MulOp]);
export const Question = punct("Question", /\?/, "?");
export const Colon = punct("Colon", /:/, ":");
export const Comma = punct("Comma", /,/, ",");
export const Dot = punct("Dot", /\./, ".");
export const LParen = punct("LParen", /\(/, "(");
export const RParen = punct("RParen", /\)/, ")");
export const LBracket = punct("LBracket", /\[/, "[");
export const RBracket = punct("RBracket", /\]/, "]");
export const LCurly = punct("LCurly", /\{/, "{");
export const RCurly = punct("RCurly", /\}/, "}");
export const AtSign = punct("AtSign", /@/, "@");
export const Pipe = punct("Pipe", /\|/, "|");

// CEL keywords: literals and `in`; not usable as names.
const celKeyword = (word: string, categories: TokenType[]): TokenType =>
  createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, categories, label: `\`${word}\`` });
export const True = celKeyword("true", [Literal]);
export const False = celKeyword("false", [Literal]);
export const Null = celKeyword("null", [Literal]);
export const In = celKeyword("in", [RelOp]);

/** The policy keywords, contextual (usable as names). */
export const POLICY_KEYWORDS = [
  "policy", "version", "import", "option", "action", "alias", "actor", "context", "tier", "escalate", "to", "when",
  "counter", "on", "per", "sum", "where", "window", "calendar", "rolling", "group", "from", "rule", "allow", "deny",
  "require", "approval", "approvals", "of", "within", "else", "tool", "test", "property", "forall", "expect", "not",
  "that", "at", "mcp", "server",
] as const;
export type PolicyKeyword = (typeof POLICY_KEYWORDS)[number];

function keywordTokenName(word: string): string {
  return "Kw" + word[0]!.toUpperCase() + word.slice(1);
}

export const Kw = Object.fromEntries(
  POLICY_KEYWORDS.map((word) => [
    word,
    createToken({
      name: keywordTokenName(word),
      pattern: new RegExp(word),
      longer_alt: Identifier,
      categories: [AnyIdent],
      label: `\`${word}\``,
    }),
  ]),
) as Record<PolicyKeyword, TokenType>;

// Longer keywords first, so `tool` is not lexed as `to` + longer_alt.
const keywordTokens = [...POLICY_KEYWORDS].sort((a, b) => b.length - a.length).map((w) => Kw[w]);

/**
 * Anything no other token matches: a run of characters that cannot start a token, or else one character. Lexing
 * it as a token (group "stray", reported by parse.ts) keeps garbage input linear; Chevrotain's own error path
 * retries every pattern at every character.
 */
export const Stray = createToken({
  name: "Stray",
  pattern: /(?:[^a-zA-Z0-9_"'`\s(){}[\],:?.!=<>+\-*/%|@&]|&(?!&))+|[\s\S]/,
  // It can start with any UTF-16 code unit; Chevrotain cannot derive that from a complement set.
  start_chars_hint: Array.from({ length: 65536 }, (_, i) => i),
  group: "stray",
});

/** Every token type, in lexing priority order (categories last; they match nothing themselves). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  ClosedString,
  UnterminatedString,
  Duration,
  Float,
  UInt,
  Int,
  Arrow,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  AndAnd,
  OrOr,
  Lt,
  Gt,
  Assign,
  Bang,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Question,
  Colon,
  Comma,
  Dot,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  AtSign,
  Pipe,
  QuotedIdent,
  True,
  False,
  Null,
  In,
  ...keywordTokens,
  Identifier,
  Stray,
  AnyIdent,
  StringLiteral,
  BinaryOp,
  RelOp,
  AddOp,
  MulOp,
  TierCmp,
  Literal,
];

/** The single lexer instance; `ensureOptimizations` makes any pattern without a first-character hint an error. */
export const xpolLexer = new Lexer(allTokens, {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
  skipValidations: false,
});

/** Index of the first token starting at or after `offset` (tokens in source order); `tokens.length` when none. */
export function tokenIndexAt(tokens: readonly IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type { IToken };
