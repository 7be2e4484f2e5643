// Expressions that belong to tests rather than to the policy: `expect that EXPR` and a property's `where EXPR`.
// They are typed like rule conditions on the one action type being tested (plus `decision` for `expect that`),
// compiled once per (expression, action type), and evaluated with the variables of src/engine/activation.ts.
import type { Expr } from "../syntax/ast.ts";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { checkExpression, TypeEnv } from "../cel/checker.ts";
import { T, type CelType } from "../cel/types.ts";
import { compileExpression, type CompiledExpression } from "../cel/planner.ts";
import { CelRecord, type CelValue } from "../cel/values.ts";
import { CelError } from "../cel/errors.ts";
import type { Decision } from "../vocabulary/decision.ts";
import type { Variables } from "../engine/activation.ts";
import { DECISION_TYPE } from "../check/policy-checker.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

/**
 * What `expect that` sees as `decision`, a value of the checker's DECISION_TYPE: effect ("allow" | "deny" |
 * "require_approval"), tier ("T0".."T3", "" for invalid input), rules (names of the contributing rules, policy
 * order), reasons (texts), approvals (how many approvals were recorded for this action: see scenario.ts).
 */
export function decisionValue(d: Decision, approvals: number): CelRecord {
  return new CelRecord("decision", {
    effect: d.effect,
    tier: d.tier ?? "",
    rules: d.rules.map((r) => r.rule),
    reasons: [...d.reasons],
    approvals: BigInt(approvals),
  });
}

export type Compiled = { readonly ok: true; readonly fn: CompiledExpression } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Compiles test expressions per action type, caching by expression node. */
export class TestExpressions {
  private readonly cache = new Map<Expr, Map<string, Compiled>>();

  constructor(private readonly policy: CompiledPolicy) {}

  private env(actionType: string, withDecision: boolean): TypeEnv {
    const types = this.policy.checked.types;
    const vars = new Map<string, CelType>([
      ["action", types.action.get(actionType) ?? T.dyn],
      ["actor", types.actor],
      ["context", types.context],
      ["counter", types.counter],
      ["now", T.timestamp],
    ]);
    if (withDecision) vars.set("decision", DECISION_TYPE);
    return new TypeEnv(vars);
  }

  /** A bool expression over the variables of `actionType` (and `decision` when `withDecision`). */
  compile(expr: Expr, file: string, actionType: string, withDecision: boolean, what: string): Compiled {
    let perType = this.cache.get(expr);
    if (perType === undefined) {
      perType = new Map();
      this.cache.set(expr, perType);
    }
    let c = perType.get(actionType);
    if (c === undefined) {
      const r = checkExpression(expr, this.env(actionType, withDecision), { file, expectedType: T.bool, expectedWhat: what });
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      c = errors.length > 0 || !r.checked.ok ? { ok: false, diagnostics: errors } : { ok: true, fn: compileExpression(r.checked) };
      perType.set(actionType, c);
    }
    return c;
  }
}

/** true / false, or why the expression did not yield a bool. */
export function evalBool(fn: CompiledExpression, vars: Variables): boolean | string {
  const r = fn(vars as Readonly<Record<string, CelValue>>);
  if (r === true || r === false) return r;
  return r instanceof CelError ? r.message : "the expression did not yield a bool";
}
