// The compiled form of a policy, per action type: everything a decision for that type needs, resolved ahead of
// time, so a decision never looks at another type's rules. Built by policy-compiler.ts, run by engine/engine.ts.
import type { CompiledExpression } from "../cel/planner.ts";
import type { Contribution } from "./combine.ts";
import type { Decision, Tier } from "../vocabulary/decision.ts";
import type { WindowSpec } from "../vocabulary/windows.ts";
import type { CelError } from "../cel/errors.ts";
import type { CelValue } from "../cel/values.ts";
import type { RecordType } from "../cel/types.ts";
import type { CheckedPolicy } from "../check/policy-symbols.ts";
import type { ToolMapper } from "../ir/adapters.ts";
import type { IrSchema } from "../ir/schema.ts";
import type { SovereignIR } from "../ir/types.ts";
import type { ApproverGroups } from "../vocabulary/approvers.ts";
import type { CounterUse } from "./counters.ts";

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
  /** how a raised tier is explained: the clause as written and where (`escalate to T2 when ...` in `p.xpol`) */
  readonly description: string;
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

/** Counter values by counter name (the count before this action); absent counters read as 0. */
export type CounterValues = ReadonlyMap<string, number | bigint> | Readonly<Record<string, number | bigint>>;

export interface EvaluateOptions {
  /** the request time for `now`, in ms since the epoch; default: the IR's `requested_at` */
  readonly now?: number;
}

export type CountersResult =
  | { readonly ok: true; readonly uses: readonly CounterUse[] }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** A counter as the runtime stores it. */
export interface CounterSpec {
  readonly name: string;
  readonly window: WindowSpec;
  /** the action types it counts */
  readonly actionTypes: readonly string[];
}

export interface CompiledPolicy {
  readonly name: string;
  readonly version: string | null;
  /**
   * The policy digest, `sha256:<hex>` over the canonical form of what decides (`execlayer/policy/v2`: schema, tiers,
   * counters, groups, rules, tool mappings; not tests, comments, formatting, name, version or the order of
   * declarations): approval requests and receipts bind to it, so an edit that changes no decision keeps pending
   * approvals. See compile/policy-digest.ts for the exact document.
   */
  readonly digest: string;
  /** `sha256:<hex>` over the exact source texts (`execlayer/policy/v1`): what bundles check their sources against */
  readonly sourcesDigest: string;
  /** the sources the policy was compiled from, with canonical paths */
  readonly sources: readonly SourceText[];
  readonly checked: CheckedPolicy;
  /** for src/ir normalization (`toSovereignIR(proposal, policy.irSchema, { mapper: policy.toolMapper, ... })`) */
  readonly irSchema: IrSchema;
  readonly toolMapper: ToolMapper;
  readonly counters: ReadonlyMap<string, CounterSpec>;
  /** approver groups with decoded public keys (a group resolved per principal has none here) */
  readonly groups: ApproverGroups;
  /** groups resolved per principal (`group NAME per actor.FIELD`): group name -> the actor field naming the principal */
  readonly principalGroups: ReadonlyMap<string, string>;
  /** one plan per declared action type */
  readonly plans: ReadonlyMap<string, ActionPlan>;
  /** the counters this action reads and would increment, with their keys and amounts; never throws */
  countersFor(ir: SovereignIR): CountersResult;
  /** the stateless decision; counters absent from `counters` read as 0; never throws */
  evaluate(ir: SovereignIR, counters?: CounterValues, options?: EvaluateOptions): Decision;
}

export interface SourceText {
  readonly path: string;
  readonly text: string;
}
