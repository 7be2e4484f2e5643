// The compiled form of a policy, per action type: everything a decision for that type needs, resolved ahead of
// time, so a decision never looks at another type's rules. Built by policy-compiler.ts, run by engine/engine.ts.
import type { CompiledExpression } from "../cel/planner.ts";
import type { Contribution } from "./combine.ts";
import type { Decision, Tier } from "../vocabulary/decision.ts";
import type { WindowSpec } from "../vocabulary/windows.ts";
import type { CelError } from "../cel/errors.ts";
import type { CelValue } from "../cel/values.ts";
import type { RecordType } from "../cel/types.ts";

export interface RulePlan {
  readonly name: string;
  /** position in the policy; plans list rules in this order */
  readonly index: number;
  readonly condition: CompiledExpression | null;
  /** precomputed contributions, shared by every decision */
  readonly onEffect: Contribution;
  readonly onOtherwise: Contribution | null;
}

export interface EscalationPlan {
  readonly tierIndex: number;
  readonly condition: CompiledExpression;
}

/** Converts one parameter's IR JSON value to its CEL value (validating it); errors name the field. */
export type ParamConverter = (json: unknown) => CelValue | CelError;

export interface ParamPlan {
  readonly name: string;
  readonly optional: boolean;
  readonly convert: ParamConverter;
}

export interface CounterPlan {
  readonly name: string;
  readonly window: WindowSpec;
  /** whether actions of this type are counted (subject to `filter`) */
  readonly counts: boolean;
  readonly keys: readonly CompiledExpression[];
  readonly amount: CompiledExpression | null;
  readonly filter: CompiledExpression | null;
}

/** Which variables the expressions of a plan read: only those are built per decision. */
export interface VariableUse {
  readonly action: boolean;
  readonly actor: boolean;
  readonly context: boolean;
  readonly counter: boolean;
  readonly now: boolean;
}

export interface ActionPlan {
  readonly type: string;
  readonly tier: Tier;
  readonly tierIndex: number;
  readonly escalations: readonly EscalationPlan[];
  /** applicable rules per effective tier (index 0..3); tiers the type cannot reach hold an empty list */
  readonly rulesByTier: readonly (readonly RulePlan[])[];
  readonly params: readonly ParamPlan[];
  readonly paramNames: ReadonlySet<string>;
  /** keep undeclared parameters (as dyn) instead of rejecting the action */
  readonly allowExtra: boolean;
  /** the CEL record type name of `action` for this type */
  readonly recordName: string;
  /** what escalations and rule conditions read: built for every decision */
  readonly uses: VariableUse;
  /** what those and the counters' keys, amounts and filters read: built by `countersFor` */
  readonly counterUses: VariableUse;
  /** counters read by a rule or escalation of this type */
  readonly countersRead: readonly string[];
  /** counters this type reads or increments */
  readonly counters: readonly CounterPlan[];
  /** decisions without errors, keyed by tier and rule outcomes; null when there are too many rules to key */
  readonly cache: Map<number, Decision> | null;
}

export interface RecordTypes {
  readonly actor: RecordType;
  readonly context: RecordType;
}
