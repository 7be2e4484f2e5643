// The .xpol grammar as a Chevrotain CST parser: CEL expressions and policy declarations in one class, one instance.
// Rules are class fields, so TypeScript sees each rule; the CST is turned into the AST by build.ts.
//
// Recursion: only bracket nesting (`(`, `[`, `{`) and runs of unary operators make the parser recurse; operator
// chains, member chains and `?:` chains are loops (MANY), so their depth is bounded by the token scan in parse.ts.
import { CstParser, EOF, tokenMatcher, type CstNode, type IRecognitionException, type IOrAlt, type OrMethodOpts, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import {
  allTokens,
  BinaryOp,
  AnyIdent,
  Arrow,
  Assign,
  AtSign,
  Bang,
  Colon,
  Comma,
  Dot,
  Duration,
  Gt,
  Int,
  Kw,
  LBracket,
  LCurly,
  Literal,
  LParen,
  Lt,
  Minus,
  Pipe,
  Question,
  QuotedIdent,
  RBracket,
  RCurly,
  RParen,
  Star,
  StringLiteral,
  TierCmp,
} from "./lexer.ts";

const EFFECT_KEYWORDS: ReadonlySet<TokenType> = new Set([Kw.allow, Kw.deny, Kw.require]);

/** What a rule is, in words, for "expected ..." messages. */
export const RULE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  expr: "an expression",
  binary: "an expression",
  unary: "an expression",
  postfix: "`.`, `[` or `(`",
  primary: "an expression",
  parenExpr: "`(`",
  listLiteral: "`[`",
  mapLiteral: "`{`",
  mapEntry: "a map entry `key: value`",
  exprList: "an expression",
  messageFields: "a field `name: value`",
  policyFile: "a declaration",
  header: "`policy`",
  declaration: "a declaration (`action`, `rule`, `tier`, `counter`, `group`, `tool`, `mcp server`, `test`, ...)",
  importDecl: "`import`",
  optionDecl: "`option`",
  actionDecl: "`action`",
  recordDecl: "`actor` or `context`",
  fieldDecls: "a field `name: type`",
  fieldDecl: "a field `name: type`",
  typeRef: "a type",
  namedType: "a type",
  enumType: "a string",
  annotation: "`@`",
  tierDecl: "`tier`",
  escalation: "`escalate to TIER when ...`",
  counterDecl: "`counter`",
  counterClause: "a counter clause (`on`, `per`, `sum`, `where` or `window`)",
  windowSpec: "a window (`calendar day`, `calendar week`, `calendar month`, `rolling 24h` or `24h`)",
  groupDecl: "`group`",
  groupMember: "a member `name: \"ed25519:...\"`",
  ruleDecl: "`rule`",
  effect: "an effect (`allow`, `deny` or `require approval`)",
  toolDecl: "`tool`",
  toolName: "a tool name",
  mcpServerDecl: "`mcp server`",
  mcpServerMember: "a tool name or a module",
  fieldInits: "a field `name: value`",
  fieldInit: "a field `name: value`",
  testDecl: "`test`",
  testStep: "a test step (`action`, `tool`, `actor`, `context`, `counter`, `approvals`, `at` or `expect`)",
  actionStep: "`action`",
  toolStep: "`tool`",
  recordStep: "`actor` or `context`",
  counterStep: "`counter`",
  approvalsStep: "`approvals`",
  atStep: "`at`",
  expectStep: "`expect`",
  outcome: "an outcome (`allow`, `deny`, `require approval`, `not allow` or `that ...`)",
  propertyDecl: "`property`",
  propertySetup: "`where`, `actor`, `context`, `counter`, `approvals`, `at` or `expect`",
  targets: "a target (an action type, a glob such as `invoice.*`, or `tier T2`)",
  target: "a target (an action type, a glob such as `invoice.*`, or `tier T2`)",
  pathPattern: "an action type or glob",
  dottedName: "a dotted name",
  name: "a name",
};

function describeTokenType(t: TokenType): string {
  if (t === EOF) return "end of file";
  return t.LABEL ?? t.name;
}

/** How a found token reads in a message: `` `}` ``, `end of file`, or the first characters of a long token. */
export function describeToken(t: IToken | undefined): string {
  if (t === undefined || t.tokenType === EOF) return "end of file";
  const image = t.image.length > 24 ? t.image.slice(0, 20) + "…" : t.image;
  return `\`${image.replace(/[\r\n]+/g, " ")}\``;
}

function describeAlternatives(paths: TokenType[][], ruleName: string): string {
  const byRule = RULE_DESCRIPTIONS[ruleName];
  const firsts = [...new Set(paths.map((p) => p[0]).filter((t): t is TokenType => t !== undefined))];
  // A rule described in words ("an expression", "an effect (...)") reads better than a list of its first tokens.
  if (byRule !== undefined && (firsts.length > 3 || !byRule.startsWith("`"))) return byRule;
  if (firsts.length === 0) return byRule ?? "something else";
  return orList(firsts.map(describeTokenType));
}

/** `a`, `a or b`, `a, b or c`; "something else" for none. */
function orList(words: readonly string[]): string {
  if (words.length === 0) return "something else";
  if (words.length === 1) return words[0]!;
  return words.slice(0, -1).join(", ") + " or " + words[words.length - 1];
}

/**
 * When a message names a later token than the one Chevrotain reports the error at, the real one, by the reported
 * token (read by parse.ts for the diagnostic's position).
 */
export const OFFENDING = new WeakMap<IToken, IToken>();

function describeNext(paths: TokenType[][], i: number): string {
  return orList([...new Set(paths.map((p) => p[i]).filter((t): t is TokenType => t !== undefined).map(describeTokenType))]);
}

/** Readable parser messages: "unexpected `}`, expected an expression". */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `unexpected ${describeToken(actual)}, expected ${describeTokenType(expected)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }) {
    const what = ruleName === "expr" ? "the end of the expression" : "a declaration";
    return `unexpected ${describeToken(firstRedundant)}, expected ${what}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    // With lookahead > 1 the first token may fit (`1.` then end of file): report the first token that fits no path.
    let paths = expectedPathsPerAlt.flat();
    let i = 0;
    while (i < actual.length - 1) {
      const t = actual[i]!;
      const next = paths.filter((p) => p[i] !== undefined && tokenMatcher(t, p[i]!));
      // Stop where no path fits, or where one ends (then a gate, not the lookahead, rejected the token).
      if (next.length === 0 || next.some((p) => p.length <= i + 1)) break;
      paths = next;
      i++;
    }
    const offending = actual[i];
    if (i > 0 && offending !== undefined && actual[0] !== undefined) OFFENDING.set(actual[0], offending);
    const expected = i === 0 ? describeAlternatives(paths, ruleName) : describeNext(paths, i);
    return `unexpected ${describeToken(offending)}, expected ${expected}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    return `unexpected ${describeToken(actual[0])}, expected ${describeAlternatives(expectedIterationPaths, ruleName)}`;
  },
};

/** Thrown out of a parse when it has met so many errors that going on would only cost time (see SAVE_ERROR). */
export class TooManySyntaxErrors extends Error {}

/** Raw Chevrotain errors (several can share a position) after which a parse stops. */
export const MAX_PARSE_ERRORS = 1000;
/** Tokens error recovery may scan ahead, in all, per token of the input, before a parse stops. */
export const RESYNC_TOKENS_PER_TOKEN = 16;

interface ErrorSaver {
  SAVE_ERROR(error: IRecognitionException): IRecognitionException;
}

export class XpolParser extends CstParser {
  /**
   * OR alternatives, built once per call site: building closures on every invocation is a large share of parse
   * time (the Chevrotain performance guide's "cache the alternatives" advice).
   */
  private readonly alts: (IOrAlt<unknown>[] | OrMethodOpts<unknown>)[] = [];

  /**
   * Chevrotain's (untyped) hook that records each syntax error. Error recovery costs grow with the number of errors,
   * and only the first hundred are shown, so a parse stops at MAX_PARSE_ERRORS instead of grinding through garbage.
   */
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    const saved = (CstParser.prototype as unknown as ErrorSaver).SAVE_ERROR.call(this, error);
    if (this.errors.length >= MAX_PARSE_ERRORS) throw new TooManySyntaxErrors();
    return saved;
  }

  private resyncInput: IToken[] | undefined;
  private resyncBudget = 0;

  /**
   * Chevrotain's (untyped) recovery hook that scans ahead for a token to re-synchronize on. Each recovery scans from
   * the error, and nested rules can scan the same stretch again, so over many errors the scanning grew with the
   * errors times the input (112 KB of broken input took 3 s). The same search, without lodash, against a budget of
   * RESYNC_TOKENS_PER_TOKEN scanned tokens per input token: past it the parse stops as with too many errors, so error
   * recovery is linear in the input.
   */
  findReSyncTokenType(): TokenType {
    const input = this.input;
    if (input !== this.resyncInput) {
      this.resyncInput = input;
      this.resyncBudget = RESYNC_TOKENS_PER_TOKEN * input.length + 10_000;
    }
    const follow = (this as unknown as { flattenFollowSet(): TokenType[] }).flattenFollowSet();
    // Terminates: EOF is always in the follow set and (virtually) at the end of the input.
    for (let k = 1; ; k++) {
      const t = this.LA(k);
      for (let j = 0; j < follow.length; j++) if (tokenMatcher(t, follow[j]!)) return follow[j]!;
      if (--this.resyncBudget < 0) throw new TooManySyntaxErrors();
    }
  }

  constructor() {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: errorMessages, nodeLocationTracking: "onlyOffset" });
    this.performSelfAnalysis();
  }

  // ===========================================================================================================
  // CEL expressions. Precedence, lowest first: `?:`, `||`, `&&`, relations, `+ -`, `* / %`, unary, member.

  /** `a ? b : c ? d : e` is a loop here; build.ts makes it right-associative. */
  expr = this.RULE("expr", () => {
    this.SUBRULE(this.binary);
    this.MANY(() => {
      this.CONSUME(Question);
      this.SUBRULE2(this.binary);
      this.CONSUME(Colon);
      this.SUBRULE3(this.binary);
    });
  });

  /**
   * `a || b && c < d + e * f`: operands and binary operators read flat; build.ts applies CEL's precedence
   * (`||` < `&&` < relations < `+ -` < `* / %`, all left-associative). One rule instead of five levels keeps the
   * CST small and the parser fast.
   */
  binary = this.RULE("binary", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(BinaryOp);
      this.SUBRULE2(this.unary);
    });
  });

  /**
   * An operand: `[!...|-...] primary postfix*`. CEL allows a run of `!` or of `-`, not a mix (`!-x` is an error, as
   * in the spec). Operand pieces are inlined into two rules to keep the CST small (it dominates parse memory).
   */
  unary = this.RULE("unary", () => {
    this.OPTION(() =>
      this.OR((this.alts[0] ??= [
        { ALT: () => this.AT_LEAST_ONE(() => this.CONSUME(Bang)) },
        { ALT: () => this.AT_LEAST_ONE2(() => this.CONSUME(Minus)) },
      ])),
    );
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.postfix));
  });

  /**
   * `.field`, `` .`quoted-field` ``, `.method(args)`, `[index]`, or `{fields}` (message construction, parsed only to
   * report it clearly).
   */
  postfix = this.RULE("postfix", () => {
    this.OR((this.alts[1] ??= [
      {
        ALT: () => {
          this.CONSUME(Dot);
          // `.?field`: optional selection
          this.OPTION4(() => this.CONSUME(Question));
          this.CONSUME(AnyIdent);
          this.OPTION(() => {
            this.CONSUME(LParen);
            this.OPTION2(() => this.SUBRULE(this.exprList));
            this.CONSUME(RParen);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(Dot);
          this.CONSUME(QuotedIdent);
        },
      },
      {
        ALT: () => {
          this.CONSUME(LBracket);
          // `[?index]`: optional index
          this.OPTION5(() => this.CONSUME2(Question));
          this.SUBRULE(this.expr);
          this.CONSUME(RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(LCurly);
          this.OPTION3(() => this.SUBRULE(this.messageFields));
          this.CONSUME(RCurly);
        },
      },
    ]));
  });

  /** `name`, `.name`, `f(args)`, `.f(args)`, `(expr)`, a list, a map, or a literal. */
  primary = this.RULE("primary", () => {
    this.OR((this.alts[2] ??= [
      {
        // `allow`, `deny` and `require` start effects; not taking them as variables lets `when x >` followed by
        // `allow` report the missing operand (they remain valid as fields and methods: `a.allow`).
        GATE: () => !EFFECT_KEYWORDS.has(this.LA(1).tokenType),
        ALT: () => {
          this.OPTION(() => this.CONSUME(Dot));
          this.CONSUME(AnyIdent);
          this.OPTION2(() => {
            this.CONSUME(LParen);
            this.OPTION3(() => this.SUBRULE(this.exprList));
            this.CONSUME(RParen);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.listLiteral) },
      { ALT: () => this.SUBRULE(this.mapLiteral) },
      { ALT: () => this.CONSUME(Literal) },
    ]));
  });

  parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expr);
    this.CONSUME(RParen);
  });

  /** `[a, b]`, `[a, b,]`, `[?optional, b]` */
  listLiteral = this.RULE("listLiteral", () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.OPTION3(() => this.CONSUME(Question));
      this.SUBRULE(this.expr);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.OPTION4(() => this.CONSUME2(Question));
        this.SUBRULE2(this.expr);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBracket);
  });

  /** `{k: v, k2: v2,}` */
  mapLiteral = this.RULE("mapLiteral", () => {
    this.CONSUME(LCurly);
    this.OPTION(() => {
      this.SUBRULE(this.mapEntry);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.mapEntry);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RCurly);
  });

  /** `k: v`, or `?k: optional` (an entry only when the optional has a value) */
  mapEntry = this.RULE("mapEntry", () => {
    this.OPTION(() => this.CONSUME(Question));
    this.SUBRULE(this.expr);
    this.CONSUME(Colon);
    this.SUBRULE2(this.expr);
  });

  exprList = this.RULE("exprList", () => {
    this.SUBRULE(this.expr);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.expr);
    });
  });

  /** The `{f: v, ...}` of a message construction, only parsed so it can be reported as unsupported. */
  messageFields = this.RULE("messageFields", () => {
    this.CONSUME(AnyIdent);
    this.CONSUME(Colon);
    this.SUBRULE(this.expr);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.CONSUME2(AnyIdent);
      this.CONSUME2(Colon);
      this.SUBRULE2(this.expr);
    });
    this.OPTION(() => this.CONSUME3(Comma));
  });

  // ===========================================================================================================
  // Policy files.

  policyFile = this.RULE("policyFile", () => {
    this.OPTION(() => this.SUBRULE(this.header));
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  /** `policy invoices version "1.0.0"` */
  header = this.RULE("header", () => {
    this.CONSUME(Kw.policy);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(Kw.version);
      this.CONSUME(StringLiteral);
    });
  });

  declaration = this.RULE("declaration", () => {
    this.OR((this.alts[3] ??= [
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.optionDecl) },
      { ALT: () => this.SUBRULE(this.actionDecl) },
      { ALT: () => this.SUBRULE(this.recordDecl) },
      { ALT: () => this.SUBRULE(this.tierDecl) },
      { ALT: () => this.SUBRULE(this.counterDecl) },
      { ALT: () => this.SUBRULE(this.groupDecl) },
      { ALT: () => this.SUBRULE(this.ruleDecl) },
      { ALT: () => this.SUBRULE(this.toolDecl) },
      { ALT: () => this.SUBRULE(this.mcpServerDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
      { ALT: () => this.SUBRULE(this.propertyDecl) },
    ]));
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(Kw.import);
    this.SUBRULE(this.dottedName);
  });

  optionDecl = this.RULE("optionDecl", () => {
    this.CONSUME(Kw.option);
    this.SUBRULE(this.name);
    this.CONSUME(Assign);
    this.SUBRULE(this.expr);
  });

  /** `action invoice.delete alias "deleteInvoice", "invoices_delete" { invoice_id: string }` */
  actionDecl = this.RULE("actionDecl", () => {
    this.CONSUME(Kw.action);
    this.SUBRULE(this.dottedName);
    this.OPTION(() => {
      this.CONSUME(Kw.alias);
      this.CONSUME(StringLiteral);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.CONSUME2(StringLiteral);
      });
    });
    this.SUBRULE(this.fieldDecls);
  });

  recordDecl = this.RULE("recordDecl", () => {
    this.OR((this.alts[4] ??= [{ ALT: () => this.CONSUME(Kw.actor) }, { ALT: () => this.CONSUME(Kw.context) }]));
    this.SUBRULE(this.fieldDecls);
  });

  /** `{ a: string, b?: int }`, entries separated by commas or newlines. */
  fieldDecls = this.RULE("fieldDecls", () => {
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.SUBRULE(this.fieldDecl);
      this.OPTION(() => this.CONSUME(Comma));
    });
    this.CONSUME(RCurly);
  });

  fieldDecl = this.RULE("fieldDecl", () => {
    this.SUBRULE(this.name);
    this.OPTION(() => this.CONSUME(Question));
    this.CONSUME(Colon);
    this.SUBRULE(this.typeRef);
    this.MANY(() => this.SUBRULE(this.annotation));
  });

  typeRef = this.RULE("typeRef", () => {
    this.OR((this.alts[5] ??= [{ ALT: () => this.SUBRULE(this.enumType) }, { ALT: () => this.SUBRULE(this.namedType) }]));
  });

  /** `string`, `list<string>`, `map<string, int>` */
  namedType = this.RULE("namedType", () => {
    this.CONSUME(AnyIdent);
    this.OPTION(() => {
      this.CONSUME(Lt);
      this.SUBRULE(this.typeRef);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.typeRef);
      });
      this.CONSUME(Gt);
    });
  });

  /** `"paid" | "void"` */
  enumType = this.RULE("enumType", () => {
    this.CONSUME(StringLiteral);
    this.MANY(() => {
      this.CONSUME(Pipe);
      this.CONSUME2(StringLiteral);
    });
  });

  /** `@sensitive`, `@name(expr, ...)` */
  annotation = this.RULE("annotation", () => {
    this.CONSUME(AtSign);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.exprList));
      this.CONSUME(RParen);
    });
  });

  /** `tier invoice.read = T0`, `tier payment.transfer = T1 { escalate to T3 when ... }` */
  tierDecl = this.RULE("tierDecl", () => {
    this.CONSUME(Kw.tier);
    this.SUBRULE(this.target);
    this.CONSUME(Assign);
    this.CONSUME(AnyIdent);
    this.OPTION(() => {
      this.CONSUME(LCurly);
      this.MANY(() => this.SUBRULE(this.escalation));
      this.CONSUME(RCurly);
    });
  });

  escalation = this.RULE("escalation", () => {
    this.CONSUME(Kw.escalate);
    this.CONSUME(Kw.to);
    this.CONSUME(AnyIdent);
    this.CONSUME(Kw.when);
    this.SUBRULE(this.expr);
  });

  counterDecl = this.RULE("counterDecl", () => {
    this.CONSUME(Kw.counter);
    this.SUBRULE(this.name);
    this.CONSUME(LCurly);
    this.MANY(() => this.SUBRULE(this.counterClause));
    this.CONSUME(RCurly);
  });

  counterClause = this.RULE("counterClause", () => {
    this.OR((this.alts[6] ??= [
      {
        ALT: () => {
          this.CONSUME(Kw.on);
          this.SUBRULE(this.targets);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.per);
          this.SUBRULE(this.exprList);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.sum);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.where);
          this.SUBRULE2(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.window);
          this.SUBRULE(this.windowSpec);
        },
      },
    ]));
  });

  /** `calendar day|week|month`, `rolling 24h`, `24h` */
  windowSpec = this.RULE("windowSpec", () => {
    this.OR((this.alts[7] ??= [
      {
        ALT: () => {
          this.CONSUME(Kw.calendar);
          this.SUBRULE(this.name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.rolling);
          this.CONSUME(Duration);
        },
      },
      { ALT: () => this.CONSUME2(Duration) },
    ]));
  });

  groupDecl = this.RULE("groupDecl", () => {
    this.CONSUME(Kw.group);
    this.SUBRULE(this.name);
    this.OR((this.alts[8] ??= [
      {
        ALT: () => {
          this.CONSUME(LCurly);
          this.MANY(() => {
            this.SUBRULE(this.groupMember);
            this.OPTION(() => this.CONSUME(Comma));
          });
          this.CONSUME(RCurly);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.from);
          this.CONSUME(StringLiteral);
        },
      },
      {
        // `group owner per actor.on_behalf_of`: members resolved per decision from the runtime's principal keyring
        ALT: () => {
          this.CONSUME(Kw.per);
          this.SUBRULE(this.expr);
        },
      },
    ]));
  });

  groupMember = this.RULE("groupMember", () => {
    this.SUBRULE(this.name);
    this.CONSUME(Colon);
    this.CONSUME(StringLiteral);
  });

  ruleDecl = this.RULE("ruleDecl", () => {
    this.CONSUME(Kw.rule);
    this.SUBRULE(this.name);
    this.CONSUME(Kw.on);
    this.SUBRULE(this.targets);
    this.CONSUME(LCurly);
    this.OPTION(() => {
      this.CONSUME(Kw.when);
      this.SUBRULE(this.expr);
    });
    this.SUBRULE(this.effect);
    this.OPTION2(() => {
      this.CONSUME(Kw.else);
      this.SUBRULE2(this.effect);
    });
    this.CONSUME(RCurly);
  });

  /** `allow ["reason"]`, `deny ["reason"]`, `require approval N of GROUP [within DURATION] ["reason"]` */
  effect = this.RULE("effect", () => {
    this.OR((this.alts[9] ??= [
      {
        ALT: () => {
          this.CONSUME(Kw.allow);
          this.OPTION(() => this.CONSUME(StringLiteral));
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.deny);
          this.OPTION2(() => this.CONSUME2(StringLiteral));
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.require);
          this.CONSUME(Kw.approval);
          this.CONSUME(Int);
          this.CONSUME(Kw.of);
          this.SUBRULE(this.name);
          this.OPTION3(() => {
            this.CONSUME(Kw.within);
            this.CONSUME(Duration);
          });
          this.OPTION4(() => this.CONSUME3(StringLiteral));
        },
      },
    ]));
  });

  /**
   * `tool get_invoice[(id: string, page?: int)] [alias getInvoice, ...] -> invoice.read { target: ..., invoice_id: args.id }`:
   * the optional list declares the tool's arguments, so the mapping's `args.X` are checked against them.
   */
  toolDecl = this.RULE("toolDecl", () => {
    this.CONSUME(Kw.tool);
    this.SUBRULE(this.toolName);
    this.OPTION2(() => {
      this.CONSUME(LParen);
      this.OPTION3(() => {
        this.SUBRULE(this.fieldDecl);
        this.MANY2(() => {
          this.CONSUME2(Comma);
          this.SUBRULE2(this.fieldDecl);
        });
        this.OPTION4(() => this.CONSUME3(Comma));
      });
      this.CONSUME(RParen);
    });
    this.OPTION(() => {
      this.CONSUME(Kw.alias);
      this.SUBRULE2(this.toolName);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE3(this.toolName);
      });
    });
    this.CONSUME(Arrow);
    this.SUBRULE(this.dottedName);
    this.SUBRULE(this.fieldInits);
  });

  /** `mcp server github { std.mcp.github, get_invoice }`: the tools an MCP client may call as `mcp__github__NAME` */
  mcpServerDecl = this.RULE("mcpServerDecl", () => {
    this.CONSUME(Kw.mcp);
    this.CONSUME(Kw.server);
    this.SUBRULE(this.toolName);
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.SUBRULE(this.mcpServerMember);
      this.OPTION(() => this.CONSUME(Comma));
    });
    this.CONSUME(RCurly);
  });

  /** a tool name, or a module (`std.mcp.github`) standing for every tool it maps */
  mcpServerMember = this.RULE("mcpServerMember", () => {
    this.OR((this.alts[18] ??= [{ ALT: () => this.SUBRULE(this.dottedName) }, { ALT: () => this.CONSUME(StringLiteral) }]));
  });

  toolName = this.RULE("toolName", () => {
    this.OR((this.alts[10] ??= [{ ALT: () => this.CONSUME(AnyIdent) }, { ALT: () => this.CONSUME(StringLiteral) }]));
  });

  /** `{ a: expr, b: expr }`, entries separated by commas or newlines. */
  fieldInits = this.RULE("fieldInits", () => {
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.SUBRULE(this.fieldInit);
      this.OPTION(() => this.CONSUME(Comma));
    });
    this.CONSUME(RCurly);
  });

  /** `name: expr`; a quoted name is allowed for keys that are not identifiers (tool arguments). */
  fieldInit = this.RULE("fieldInit", () => {
    this.OR((this.alts[11] ??= [{ ALT: () => this.CONSUME(AnyIdent) }, { ALT: () => this.CONSUME(StringLiteral) }]));
    this.CONSUME(Colon);
    this.SUBRULE(this.expr);
  });

  testDecl = this.RULE("testDecl", () => {
    this.CONSUME(Kw.test);
    this.CONSUME(StringLiteral);
    this.CONSUME(LCurly);
    this.MANY(() => this.SUBRULE(this.testStep));
    this.CONSUME(RCurly);
  });

  testStep = this.RULE("testStep", () => {
    this.OR((this.alts[12] ??= [
      { ALT: () => this.SUBRULE(this.actionStep) },
      { ALT: () => this.SUBRULE(this.toolStep) },
      { ALT: () => this.SUBRULE(this.recordStep) },
      { ALT: () => this.SUBRULE(this.counterStep) },
      { ALT: () => this.SUBRULE(this.approvalsStep) },
      { ALT: () => this.SUBRULE(this.atStep) },
      { ALT: () => this.SUBRULE(this.expectStep) },
    ]));
  });

  actionStep = this.RULE("actionStep", () => {
    this.CONSUME(Kw.action);
    this.SUBRULE(this.dottedName);
    this.SUBRULE(this.fieldInits);
  });

  toolStep = this.RULE("toolStep", () => {
    this.CONSUME(Kw.tool);
    this.SUBRULE(this.toolName);
    this.SUBRULE(this.fieldInits);
  });

  recordStep = this.RULE("recordStep", () => {
    this.OR((this.alts[13] ??= [{ ALT: () => this.CONSUME(Kw.actor) }, { ALT: () => this.CONSUME(Kw.context) }]));
    this.SUBRULE(this.fieldInits);
  });

  counterStep = this.RULE("counterStep", () => {
    this.CONSUME(Kw.counter);
    this.SUBRULE(this.name);
    this.CONSUME(Assign);
    this.SUBRULE(this.expr);
  });

  approvalsStep = this.RULE("approvalsStep", () => {
    this.CONSUME(Kw.approvals);
    this.CONSUME(Int);
    this.OPTION(() => {
      this.CONSUME(Kw.of);
      this.SUBRULE(this.name);
    });
  });

  atStep = this.RULE("atStep", () => {
    this.CONSUME(Kw.at);
    this.CONSUME(StringLiteral);
  });

  expectStep = this.RULE("expectStep", () => {
    this.CONSUME(Kw.expect);
    this.SUBRULE(this.outcome);
  });

  outcome = this.RULE("outcome", () => {
    this.OR((this.alts[14] ??= [
      { ALT: () => this.CONSUME(Kw.allow) },
      {
        ALT: () => {
          this.CONSUME(Kw.deny);
          this.OPTION(() => this.CONSUME(StringLiteral));
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.require);
          this.CONSUME(Kw.approval);
          this.OPTION2(() => {
            this.CONSUME(Int);
            this.OPTION3(() => {
              this.CONSUME(Kw.of);
              this.SUBRULE(this.name);
            });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.not);
          this.CONSUME2(Kw.allow);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Kw.that);
          this.SUBRULE(this.expr);
        },
      },
    ]));
  });

  /** `property "..." { forall TARGETS  [where EXPR | setup step]...  expect OUTCOME }` */
  propertyDecl = this.RULE("propertyDecl", () => {
    this.CONSUME(Kw.property);
    this.CONSUME(StringLiteral);
    this.CONSUME(LCurly);
    this.CONSUME(Kw.forall);
    this.SUBRULE(this.targets);
    this.MANY(() => this.SUBRULE(this.propertySetup));
    this.SUBRULE(this.expectStep);
    this.CONSUME(RCurly);
  });

  propertySetup = this.RULE("propertySetup", () => {
    this.OR((this.alts[15] ??= [
      {
        ALT: () => {
          this.CONSUME(Kw.where);
          this.SUBRULE(this.expr);
        },
      },
      { ALT: () => this.SUBRULE(this.recordStep) },
      { ALT: () => this.SUBRULE(this.counterStep) },
      { ALT: () => this.SUBRULE(this.approvalsStep) },
      { ALT: () => this.SUBRULE(this.atStep) },
    ]));
  });

  targets = this.RULE("targets", () => {
    this.SUBRULE(this.target);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.target);
    });
  });

  /** `tier T3`, `tier >= T2`, or an action type / glob. `tier NAME` always means a tier target. */
  target = this.RULE("target", () => {
    this.OR((this.alts[16] ??= {
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => {
            const next = this.LA(2).tokenType;
            return this.LA(1).tokenType === Kw.tier && next !== Dot && next !== Comma && next !== LCurly && next !== Assign;
          },
          ALT: () => {
            this.CONSUME(Kw.tier);
            this.OPTION(() => this.CONSUME(TierCmp));
            this.CONSUME(AnyIdent);
          },
        },
        { ALT: () => this.SUBRULE(this.pathPattern) },
      ],
    }));
  });

  /** `invoice.delete`, `invoice.*`, `*` */
  pathPattern = this.RULE("pathPattern", () => {
    this.OR((this.alts[17] ??= [{ ALT: () => this.CONSUME(Star) }, { ALT: () => this.CONSUME(AnyIdent) }]));
    this.MANY(() => {
      this.CONSUME(Dot);
      this.OR2([{ ALT: () => this.CONSUME2(Star) }, { ALT: () => this.CONSUME2(AnyIdent) }]);
    });
  });

  dottedName = this.RULE("dottedName", () => {
    this.CONSUME(AnyIdent);
    this.MANY(() => {
      this.CONSUME(Dot);
      this.CONSUME2(AnyIdent);
    });
  });

  name = this.RULE("name", () => {
    this.CONSUME(AnyIdent);
  });
}

/** The one parser instance; reset with `parser.input = tokens` before each parse. */
export const xpolParser = new XpolParser();

export type { CstNode, IToken };
