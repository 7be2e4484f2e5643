// The .xpol abstract syntax tree. Every node carries the span of source text it came from, as UTF-16 offsets;
// line and column are computed only when a diagnostic is rendered.

import type { Span } from "../vocabulary/span.ts";

// ---------------------------------------------------------------------------------------------------------------
// Expressions (CEL syntax). Operators are their own node kinds, not calls, so the checker and compiler can switch on
// them directly; macros are expanded by the parser into `has` and `comprehension` nodes.

export type Expr =
  | LiteralExpr
  | IdentExpr
  | SelectExpr
  | HasExpr
  | IndexExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | ConditionalExpr
  | ListExpr
  | MapExpr
  | ComprehensionExpr;

export type LiteralValue =
  | { readonly type: "int"; readonly value: bigint }
  | { readonly type: "uint"; readonly value: bigint }
  | { readonly type: "double"; readonly value: number }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "bytes"; readonly value: Uint8Array }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "null" };

export interface LiteralExpr {
  readonly kind: "literal";
  readonly literal: LiteralValue;
  readonly span: Span;
}

/** `name`, or `.name` (leading dot: resolve from the root scope only). */
export interface IdentExpr {
  readonly kind: "ident";
  readonly name: string;
  readonly rootScoped: boolean;
  readonly span: Span;
}

/** `operand.field`, or `operand.?field` (optional selection: an optional, empty when the field is absent) */
export interface SelectExpr {
  readonly kind: "select";
  readonly operand: Expr;
  readonly field: string;
  readonly optional?: boolean;
  readonly fieldSpan: Span;
  readonly span: Span;
}

/** `has(operand.field)` */
export interface HasExpr {
  readonly kind: "has";
  readonly operand: Expr;
  readonly field: string;
  readonly span: Span;
}

/** `operand[index]`, or `operand[?index]` (optional index: an optional, empty when the index is absent) */
export interface IndexExpr {
  readonly kind: "index";
  readonly operand: Expr;
  readonly index: Expr;
  readonly optional?: boolean;
  readonly span: Span;
}

/** `fn(args)` or `target.fn(args)`; `fn` may be dotted for a qualified global name (`math.greatest`). */
export interface CallExpr {
  readonly kind: "call";
  readonly fn: string;
  readonly target: Expr | null;
  readonly args: readonly Expr[];
  readonly fnSpan: Span;
  readonly span: Span;
}

export type UnaryOp = "!" | "-";

export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly span: Span;
}

export type BinaryOp =
  | "||"
  | "&&"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "in"
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly opSpan: Span;
  readonly span: Span;
}

export interface ConditionalExpr {
  readonly kind: "conditional";
  readonly test: Expr;
  readonly then: Expr;
  readonly otherwise: Expr;
  readonly span: Span;
}

export interface ListExpr {
  readonly kind: "list";
  readonly elements: readonly Expr[];
  /** positions of the `?x` elements: optionals, included only when they have a value */
  readonly optionalIndices?: readonly number[];
  readonly span: Span;
}

export interface MapEntry {
  readonly key: Expr;
  readonly value: Expr;
  /** `{?key: opt}`: the entry exists only when the optional `value` has a value */
  readonly optional?: boolean;
  readonly span: Span;
}

export interface MapExpr {
  readonly kind: "map";
  readonly entries: readonly MapEntry[];
  readonly span: Span;
}

export type MacroName = "all" | "exists" | "exists_one" | "map" | "filter";

/**
 * `range.all(v, p)`, `range.exists(v, p)`, `range.exists_one(v, p)`, `range.map(v, t)`, `range.map(v, p, t)`,
 * `range.filter(v, p)`. For `map`, `predicate` is the optional filter (null when absent) and `transform` the
 * mapped value; for the others `transform` is null.
 */
export interface ComprehensionExpr {
  readonly kind: "comprehension";
  readonly macro: MacroName;
  readonly range: Expr;
  readonly variable: string;
  readonly variableSpan: Span;
  readonly predicate: Expr | null;
  readonly transform: Expr | null;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------------------------
// Policy-level declarations.

export interface Name {
  readonly text: string;
  readonly span: Span;
}

/** A dotted name such as `invoice.delete` or `std.database`. */
export interface DottedName {
  readonly parts: readonly string[];
  /** parts joined with "." */
  readonly text: string;
  readonly span: Span;
}

export interface PolicyFile {
  readonly kind: "policy";
  readonly header: PolicyHeader | null;
  readonly declarations: readonly Declaration[];
  readonly span: Span;
}

/** `policy invoices version "1.0.0"` */
export interface PolicyHeader {
  readonly kind: "header";
  readonly name: Name;
  readonly version: StringLit | null;
  readonly span: Span;
}

export interface StringLit {
  readonly value: string;
  readonly span: Span;
}

export interface IntLit {
  readonly value: number;
  readonly span: Span;
}

/** A duration literal such as `24h`, `90m`, `1h30m`, `7d`, kept as milliseconds and as written. */
export interface DurationLit {
  readonly text: string;
  readonly millis: number;
  readonly span: Span;
}

export type Declaration =
  | ImportDecl
  | OptionDecl
  | ActionDecl
  | RecordDecl
  | TierDecl
  | CounterDecl
  | GroupDecl
  | RuleDecl
  | ToolDecl
  | McpServerDecl
  | TestDecl
  | PropertyDecl;

/** `import std.database` */
export interface ImportDecl {
  readonly kind: "import";
  readonly module: DottedName;
  readonly span: Span;
}

/** `option extra_params = "allow"`: policy-level settings; the checker knows the valid names and values. */
export interface OptionDecl {
  readonly kind: "option";
  readonly name: Name;
  readonly value: Expr;
  readonly span: Span;
}

// Types written in schemas.
export type TypeRef =
  | { readonly kind: "named"; readonly name: Name; readonly span: Span } // string, int, uint, double, bool, bytes, timestamp, duration, dyn
  | { readonly kind: "list"; readonly element: TypeRef; readonly span: Span }
  | { readonly kind: "map"; readonly key: TypeRef; readonly value: TypeRef; readonly span: Span }
  | { readonly kind: "enum"; readonly values: readonly StringLit[]; readonly span: Span }; // "paid" | "void"

/** `@sensitive` or `@name(expr, ...)` after a field's type. */
export interface Annotation {
  readonly name: Name;
  readonly args: readonly Expr[];
  readonly span: Span;
}

/** `name?: type @annotation` */
export interface FieldDecl {
  readonly name: Name;
  readonly optional: boolean;
  readonly type: TypeRef;
  readonly annotations: readonly Annotation[];
  readonly span: Span;
}

/** `action invoice.delete alias "deleteInvoice", "invoices_delete" { invoice_id: string, reason?: string }` */
export interface ActionDecl {
  readonly kind: "action";
  readonly name: DottedName;
  readonly aliases: readonly StringLit[];
  readonly fields: readonly FieldDecl[];
  readonly span: Span;
}

/** `actor { ... }` or `context { ... }`: the records the embedding service supplies. */
export interface RecordDecl {
  readonly kind: "record";
  readonly record: "actor" | "context";
  readonly fields: readonly FieldDecl[];
  readonly span: Span;
}

/** A tier name as written; the checker validates it is one of T0..T3. */
export interface TierName {
  readonly text: string;
  readonly span: Span;
}

/**
 * What a rule, counter, tier assignment or property applies to:
 * an action type (`invoice.delete`), a glob (`invoice.*`, `*`), or a tier (`tier T3`, `tier >= T2`).
 */
export type Target =
  | { readonly kind: "action"; readonly name: DottedName; readonly span: Span }
  | { readonly kind: "glob"; readonly pattern: string; readonly span: Span }
  | {
      readonly kind: "tier";
      readonly comparison: "==" | ">=" | "<=" | ">" | "<";
      readonly tier: TierName;
      readonly span: Span;
    };

/** `escalate to T2 when action.amount > 10000` */
export interface Escalation {
  readonly tier: TierName;
  readonly condition: Expr;
  readonly span: Span;
}

/** `tier invoice.read = T0` or `tier payment.transfer = T1 { escalate to T3 when action.amount > 1000000 }` */
export interface TierDecl {
  readonly kind: "tier";
  readonly target: Target;
  readonly tier: TierName;
  readonly escalations: readonly Escalation[];
  readonly span: Span;
}

export type CounterWindow =
  | { readonly kind: "calendar"; readonly unit: Name; readonly span: Span } // day | week | month (UTC)
  | { readonly kind: "rolling"; readonly duration: DurationLit; readonly span: Span };

/** `counter status_updates { on invoice.update_status  per actor.agent  window calendar month }` */
export interface CounterDecl {
  readonly kind: "counter";
  readonly name: Name;
  readonly targets: readonly Target[];
  /** key expressions; empty means one global count */
  readonly keys: readonly Expr[];
  /** `sum EXPR`: add this amount instead of 1 */
  readonly amount: Expr | null;
  /** `where EXPR`: count only actions for which this holds */
  readonly filter: Expr | null;
  readonly window: CounterWindow | null;
  readonly span: Span;
}

export interface GroupMember {
  readonly name: Name;
  /** `"ed25519:<64 hex>"` as written */
  readonly key: StringLit;
  readonly span: Span;
}

/**
 * `group finance { alice: "ed25519:..." }`, `group ops from "keys/ops.keyring"`, or `group owner per
 * actor.on_behalf_of` (the members resolved per decision: the keys the runtime's principal keyring holds for that
 * actor field's value)
 */
export interface GroupDecl {
  readonly kind: "group";
  readonly name: Name;
  readonly members: readonly GroupMember[];
  readonly keyring: StringLit | null;
  /** `per EXPR`: the actor field whose value names the principal (the checker accepts only `actor.FIELD`) */
  readonly principal: Expr | null;
  readonly span: Span;
}

export type Effect =
  | { readonly kind: "allow"; readonly reason: StringLit | null; readonly span: Span }
  | { readonly kind: "deny"; readonly reason: StringLit | null; readonly span: Span }
  | {
      readonly kind: "require_approval";
      readonly quorum: IntLit;
      readonly group: Name;
      readonly within: DurationLit | null;
      readonly reason: StringLit | null;
      readonly span: Span;
    };

/**
 * rule status_updates on invoice.update_status {
 *   when counter.status_updates < 1000
 *   allow
 *   else require approval 1 of finance within 24h
 * }
 */
export interface RuleDecl {
  readonly kind: "rule";
  readonly name: Name;
  readonly targets: readonly Target[];
  readonly condition: Expr | null;
  readonly effect: Effect;
  readonly otherwise: Effect | null;
  readonly span: Span;
}

export interface FieldInit {
  readonly name: Name;
  readonly value: Expr;
  readonly span: Span;
}

/**
 * tool get_invoice -> invoice.read { target: "invoice/" + args.id  invoice_id: args.id }
 * tool read_text_file alias read_file -> fs.read { ... }
 * Inside the body `args` is the tool call's JSON arguments; an entry named `target` sets the IR's target.
 * A tool call resolves by its exact name or an exact alias, nothing else.
 */
export interface ToolDecl {
  readonly kind: "tool";
  readonly tool: StringLit; // identifiers are accepted and stored as their text
  /** `tool get_invoice(id: string, page?: int)`: the arguments' declared types; null when not declared (dyn) */
  readonly args: readonly FieldDecl[] | null;
  /** other exact names of the same tool (`alias read_file`) */
  readonly aliases: readonly StringLit[];
  readonly action: DottedName;
  readonly fields: readonly FieldInit[];
  readonly span: Span;
}

/**
 * mcp server github { std.mcp.github, get_invoice }
 * An MCP client (Claude Code) calls the server's tools `mcp__github__NAME`: those names resolve to the listed tools
 * (a module stands for every tool it maps), and only for servers declared so.
 */
export interface McpServerDecl {
  readonly kind: "mcp_server";
  readonly name: StringLit; // identifiers are accepted and stored as their text
  readonly members: readonly McpServerMember[];
  readonly span: Span;
}

export type McpServerMember =
  | { readonly kind: "tool"; readonly tool: StringLit }
  | { readonly kind: "module"; readonly module: DottedName };

// Test and property blocks: syntax here, semantics in src/testing.

export type ExpectedOutcome =
  | { readonly kind: "allow"; readonly span: Span }
  | { readonly kind: "deny"; readonly reason: StringLit | null; readonly span: Span }
  | {
      readonly kind: "require_approval";
      readonly quorum: IntLit | null;
      readonly group: Name | null;
      readonly span: Span;
    }
  | { readonly kind: "not_allow"; readonly span: Span }
  /** `expect that EXPR`: EXPR sees `decision` ({effect, tier, rules, reasons, approvals}) besides the inputs */
  | { readonly kind: "that"; readonly condition: Expr; readonly span: Span };

export type TestStep =
  /** `action invoice.read { invoice_id: "i-1" }` */
  | { readonly kind: "action"; readonly action: DottedName; readonly fields: readonly FieldInit[]; readonly span: Span }
  /** `tool get_invoice { id: "i-1" }`: a raw tool call through the policy's tool mappings */
  | { readonly kind: "tool"; readonly tool: StringLit; readonly args: Expr; readonly span: Span }
  /** `actor { agent: "bot" }` / `context { ... }` */
  | { readonly kind: "record"; readonly record: "actor" | "context"; readonly fields: readonly FieldInit[]; readonly span: Span }
  /** `counter status_updates = 999` */
  | { readonly kind: "counter"; readonly name: Name; readonly value: Expr; readonly span: Span }
  /** `approvals 2 of finance`: that many valid approvals are already collected for this action */
  | { readonly kind: "approvals"; readonly count: IntLit; readonly group: Name | null; readonly span: Span }
  /** `at "2026-01-31T12:00:00Z"` */
  | { readonly kind: "at"; readonly time: StringLit; readonly span: Span }
  | { readonly kind: "expect"; readonly outcome: ExpectedOutcome; readonly span: Span };

export interface TestDecl {
  readonly kind: "test";
  readonly name: StringLit;
  readonly steps: readonly TestStep[];
  readonly span: Span;
}

/**
 * property "no T3 action is allowed without two approvals" {
 *   forall tier T3
 *   where ...          (assumptions over the generated inputs, optional, repeatable)
 *   expect that decision.effect != "allow" || decision.approvals >= 2
 * }
 */
export interface PropertyDecl {
  readonly kind: "property";
  readonly name: StringLit;
  readonly targets: readonly Target[];
  readonly assumptions: readonly Expr[];
  readonly setup: readonly TestStep[]; // fixed actor/context/counter/at steps
  readonly expect: ExpectedOutcome;
  readonly span: Span;
}
