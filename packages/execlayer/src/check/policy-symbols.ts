// The checked policy: every name resolved, every expression typed, every target expanded to the action types it
// can match. The compiler (src/compile/policy-compiler.ts) and src/testing read it; nothing here is re-checked.
import type { PolicyFile, TestDecl, PropertyDecl } from "../syntax/ast.ts";
import type { Tier } from "../vocabulary/decision.ts";
import type { WindowSpec } from "../vocabulary/windows.ts";
import type { CelType, RecordType } from "../cel/types.ts";
import type { FieldSchema, RecordSchema } from "./policy-schema.ts";
import type { ResolvedTarget } from "./policy-targets.ts";
import type { DecodedKey } from "./policy-keys.ts";
import type { TypedExpr } from "./policy-exprs.ts";
import type { Span } from "../vocabulary/span.ts";

/** One parsed source file: the input of `checkPolicy`. */
export interface ParsedFile {
  readonly path: string;
  readonly text: string;
  readonly ast: PolicyFile;
}

/** A source that contributes to the policy digest. */
export interface PolicySource {
  readonly path: string;
  readonly text: string;
  /** policy files given by the user, stdlib modules they import, keyring files their groups read */
  readonly kind: "policy" | "module" | "keyring";
}

/** Where a declaration came from, for diagnostics at run time (tests) and for the reference interpreter. */
export interface Origin {
  readonly file: string;
  readonly span: Span;
}

export interface CheckedEscalation {
  readonly tier: Tier;
  readonly condition: TypedExpr;
  readonly origin: Origin;
  /** the clause as written, `escalate to T2 when action.amount > 10000`, for the reason of a raised tier */
  readonly clause: string;
}

export interface CheckedAction {
  readonly name: string;
  readonly aliases: readonly string[];
  /** in declaration order */
  readonly fields: ReadonlyMap<string, FieldSchema>;
  readonly tier: Tier;
  /** in declaration order; each raises the tier when its condition holds */
  readonly escalations: readonly CheckedEscalation[];
  /** the declared tier and every escalation target, ascending */
  readonly possibleTiers: readonly Tier[];
  readonly origin: Origin;
}

export type CheckedEffect =
  | { readonly kind: "allow"; readonly reason: string | null }
  | { readonly kind: "deny"; readonly reason: string | null }
  | {
      readonly kind: "require_approval";
      readonly group: string;
      readonly quorum: number;
      readonly withinMs: number;
      readonly reason: string | null;
    };

export interface CheckedRule {
  readonly name: string;
  /** position in the policy (files sorted by path, then declaration order); decisions list rules in this order */
  readonly index: number;
  readonly targets: readonly ResolvedTarget[];
  /** the action types this rule can apply to (for some tier they can have) */
  readonly actionTypes: readonly string[];
  readonly condition: TypedExpr | null;
  readonly effect: CheckedEffect;
  readonly otherwise: CheckedEffect | null;
  /** counters named in the condition (`counter.NAME`) */
  readonly countersRead: readonly string[];
  readonly origin: Origin;
  /** span of the rule's name */
  readonly nameSpan: Span;
}

export interface CheckedCounter {
  readonly name: string;
  readonly targets: readonly ResolvedTarget[];
  /** the action types this counter counts */
  readonly actionTypes: readonly string[];
  readonly keys: readonly TypedExpr[];
  readonly amount: TypedExpr | null;
  readonly filter: TypedExpr | null;
  readonly window: WindowSpec;
  readonly origin: Origin;
}

export interface CheckedMember {
  readonly name: string;
  readonly key: DecodedKey;
}

export interface CheckedGroup {
  readonly name: string;
  /** empty for a group resolved per principal */
  readonly members: readonly CheckedMember[];
  /** `group NAME per actor.FIELD`: members are the runtime's principal keyring's keys for that field's value */
  readonly principal: { readonly field: string } | null;
  readonly origin: Origin;
}

export interface CheckedTool {
  readonly tool: string;
  /** the other exact names a tool call may use for it: its aliases, then `mcp__SERVER__NAME` for declared servers */
  readonly names: readonly string[];
  readonly action: string;
  /** the `target` entry, if any: a string expression over `args` */
  readonly target: TypedExpr | null;
  readonly params: readonly { readonly name: string; readonly value: TypedExpr }[];
  /** the declared arguments (`tool t(id: string)`), the type of `args`; null when undeclared (`args` is dyn) */
  readonly argsType: RecordType | null;
  readonly origin: Origin;
}

/** What to do with action parameters the schema does not declare. */
export type ExtraParams = "reject" | "allow";

/** What to do with tool-call arguments that no expression of the tool's mapping reads (`option tool_args`). */
export type ToolArgs = "reject" | "allow";

export interface PolicyOptions {
  readonly extraParams: ExtraParams;
  readonly toolArgs: ToolArgs;
}

export interface CheckedTestBlock {
  readonly file: string;
  readonly decl: TestDecl;
}

export interface CheckedPropertyBlock {
  readonly file: string;
  readonly decl: PropertyDecl;
  /** the action types the property ranges over */
  readonly actionTypes: readonly string[];
}

export interface CheckedPolicy {
  readonly name: string;
  readonly version: string | null;
  /** policy files, imported modules and keyrings, sorted by path: what the digest covers */
  readonly sources: readonly PolicySource[];
  readonly options: PolicyOptions;
  readonly actions: ReadonlyMap<string, CheckedAction>;
  readonly actor: RecordSchema;
  readonly context: RecordSchema;
  readonly rules: readonly CheckedRule[];
  readonly counters: ReadonlyMap<string, CheckedCounter>;
  readonly groups: ReadonlyMap<string, CheckedGroup>;
  readonly tools: ReadonlyMap<string, CheckedTool>;
  readonly tests: readonly CheckedTestBlock[];
  readonly properties: readonly CheckedPropertyBlock[];
  /** CEL types of the variables, for src/testing to type its own expressions the same way */
  readonly types: PolicyTypes;
}

export interface PolicyTypes {
  /** the `action` record as seen by a condition on exactly this type */
  readonly action: ReadonlyMap<string, CelType>;
  readonly actor: CelType;
  readonly context: CelType;
  readonly counter: CelType;
}
