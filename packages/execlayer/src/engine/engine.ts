// The stateless decision engine: runs an action type's precompiled plan (src/engine/plan.ts) on one
// SovereignIR. Semantics in docs/decision-semantics.md. Nothing throws out of here: invalid input, evaluation
// errors and even bugs become deny decisions with a reason.
//
// Hot path: one Map lookup for the plan, parameter conversion only when some expression reads `action`, the
// escalations, then the precomputed rule list for the effective tier. When no condition failed, the decision is
// a shared frozen object looked up by (tier, rule outcomes): no allocation beyond the activation.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import type { ActionPlan, CounterValues, CountersResult, EvaluateOptions, RecordTypes, RulePlan } from "./plan.ts";
import type { Activation } from "../cel/planner.ts";
import type { SovereignIR } from "../ir/types.ts";
import type { DecideContext } from "./enforceable.ts";
import { toSovereignIR } from "../ir/build.ts";
import { CelError } from "../cel/errors.ts";
import { CelUint, displayValue, type CelResult } from "../cel/values.ts";
import type { CounterUse } from "./counters.ts";
import { TIERS, type Decision } from "../vocabulary/decision.ts";
import { buildActivation, InputProblem, withTier } from "./activation.ts";
import { combine, errorContribution, type Contribution } from "./combine.ts";
import type { CompiledPolicy } from "./plan.ts";


const NO_COUNTERS: ReadonlyMap<string, number> = new Map();

/** A deny forced by invalid input or a failure (tier unknown). */
export function forcedDeny(actionType: string | null, code: string, reason: string): Decision {
  return { effect: "deny", tier: null, actionType, rules: [], reasons: [reason], code };
}

function invalid(actionType: string, p: InputProblem): Decision {
  return forcedDeny(actionType, p.code, `invalid action \`${actionType}\`: ${p.message}`);
}

/** The decision for one IR. `plans` comes from the compiled policy. */
export function evaluatePlan(
  plans: ReadonlyMap<string, ActionPlan>,
  records: RecordTypes,
  ir: SovereignIR,
  counters: CounterValues = NO_COUNTERS,
  options: EvaluateOptions = {},
): Decision {
  try {
    return evaluate(plans, records, ir, counters, options);
  } catch (e: unknown) {
    // Unreachable by design (compiled expressions return errors as values); a bug still must not allow.
    const why = e instanceof Error ? e.message : String(e);
    return forcedDeny(null, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(why));
  }
}

// An agent that sends an undeclared type tends to send it again: remember the hint per name (bounded, so a stream
// of random names cannot grow it without limit).
const hintCaches = new WeakMap<ReadonlyMap<string, ActionPlan>, Map<string, string | undefined>>();
const HINT_CACHE_SIZE = 1024;

function unknownTypeHint(plans: ReadonlyMap<string, ActionPlan>, type: string): string | undefined {
  let cache = hintCaches.get(plans);
  if (cache === undefined) hintCaches.set(plans, (cache = new Map()));
  if (cache.has(type)) return cache.get(type);
  const hint = didYouMean(type, plans.keys());
  if (cache.size >= HINT_CACHE_SIZE) cache.clear();
  cache.set(type, hint);
  return hint;
}

function evaluate(
  plans: ReadonlyMap<string, ActionPlan>,
  records: RecordTypes,
  ir: SovereignIR,
  counters: CounterValues,
  options: EvaluateOptions,
): Decision {
  const action = ir?.action;
  const type = action?.type;
  if (typeof type !== "string") return forcedDeny(null, Diagnostics.irWrongType.code, "invalid action: `action.type` must be a string");
  const plan = plans.get(type);
  if (plan === undefined) {
    const hint = unknownTypeHint(plans, type);
    return forcedDeny(null, Diagnostics.irUnknownActionType.code, Diagnostics.irUnknownActionType.message(type) + (hint === undefined ? "" : ` (${hint})`));
  }
  const built = decisionActivation(plan, records, ir, counters, options);
  if (built instanceof InputProblem) return invalid(type, built);
  const act = built;

  // 1. The tier: declared, raised by every escalation that holds; an escalation that fails raises to T3.
  let tierIdx = plan.tierIndex;
  let notes: string[] | null = null;
  let escalationFailed = false;
  for (const e of plan.escalations) {
    // Nothing raises above T3, and a failing escalation would only raise to T3.
    if (tierIdx === 3) break;
    const r = e.condition(act);
    if (r === true) {
      if (e.tierIndex > tierIdx) tierIdx = e.tierIndex;
    } else if (r !== false) {
      tierIdx = 3;
      escalationFailed = true;
      notes = [`an escalation of \`${type}\` failed to evaluate, so the tier is raised to T3: ${failure(r)}`];
    }
  }
  const tier = TIERS[tierIdx]!;
  const raised = tierIdx !== plan.tierIndex;
  if (raised && notes === null) notes = [raisedNote(plan, tierIdx, act)];
  const ruleAct = raised && plan.uses.action ? withTier(act, tier) : act;

  // 2. Each applicable rule's outcome: 0 nothing, 1 its effect, 2 its else effect; errors are kept aside.
  const rules = plan.rulesByTier[tierIdx]!;
  let key = tierIdx;
  let weight = 4;
  let errors: Map<RulePlan, string> | null = null;
  const outcomes = rules.length <= 32 ? OUTCOMES : new Uint8Array(rules.length);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    let outcome = 1;
    if (rule.condition !== null) {
      const r = rule.condition(ruleAct);
      if (r === false) outcome = rule.onOtherwise === null ? 0 : 2;
      else if (r !== true) {
        outcome = 3;
        (errors ??= new Map()).set(rule, failure(r));
      }
      key += outcome * weight;
      weight *= 3;
    }
    outcomes[i] = outcome;
  }
  const cacheable = errors === null && !escalationFailed && plan.cache !== null;
  if (cacheable) {
    const hit = plan.cache!.get(key);
    if (hit !== undefined) return hit;
  }

  // 3. Combine.
  const contributions: Contribution[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    switch (outcomes[i]) {
      case 1:
        contributions.push(rule.onEffect);
        break;
      case 2:
        contributions.push(rule.onOtherwise!);
        break;
      case 3:
        contributions.push(errorContribution(rule.name, errors!.get(rule)!));
        break;
    }
  }
  const decision = combine(type, { tier, notes: notes ?? [] }, contributions);
  if (cacheable) {
    const frozen = deepFreeze(decision);
    plan.cache!.set(key, frozen);
    return frozen;
  }
  return decision;
}

const OUTCOMES = new Uint8Array(32);

function failure(r: CelResult): string {
  return r instanceof CelError ? r.message : `the condition yielded ${displayValue(r)}, not a bool`;
}

function deepFreeze(d: Decision): Decision {
  Object.freeze(d.rules);
  Object.freeze(d.reasons);
  if (d.approval !== undefined) {
    for (const r of d.approval.requirements) Object.freeze(r);
    Object.freeze(d.approval.requirements);
    Object.freeze(d.approval);
  }
  return Object.freeze(d);
}

// -----------------------------------------------------------------------------------------------------------------
// The activation (built by activation.ts, the one builder xpol test shares)

/**
 * The activation `evaluate` decides with: the variables the plan's rules and escalations read, `action.tier` the
 * declared tier.
 */
export function decisionActivation(
  plan: ActionPlan,
  records: RecordTypes,
  ir: SovereignIR,
  counters: CounterValues,
  options: EvaluateOptions,
): Activation | InputProblem {
  return buildActivation(plan, records, ir, counters, plan.countersRead, options.now, plan.uses);
}

// -----------------------------------------------------------------------------------------------------------------
// Counters for one action

/** The counters `ir` reads and increments, with keys (canonical JSON of the `per` values) and amounts. */
export function countersFor(
  plans: ReadonlyMap<string, ActionPlan>,
  records: RecordTypes,
  ir: SovereignIR,
): CountersResult {
  try {
    const type = ir?.action?.type;
    const plan = typeof type === "string" ? plans.get(type) : undefined;
    if (plan === undefined || plan.counters.length === 0) return { ok: true, uses: [] };
    const built = buildActivation(plan, records, ir, NO_COUNTERS, plan.countersRead, undefined, plan.counterUses);
    if (built instanceof InputProblem) return { ok: false, error: { code: built.code, message: `invalid action \`${type}\`: ${built.message}` } };
    const uses: CounterUse[] = [];
    for (const c of plan.counters) {
      const keyParts: string[] = [];
      for (const k of c.keys) {
        const v = k(built);
        const text = keyText(v);
        if (text === undefined) return counterError(c.name, `its key could not be computed: ${failure(v)}`);
        keyParts.push(text);
      }
      let increments = c.counts;
      if (increments && c.filter !== null) {
        const f = c.filter(built);
        if (f !== true && f !== false) return counterError(c.name, `its \`where\` failed to evaluate: ${failure(f)}`);
        increments = f;
      }
      let amount = 1;
      if (increments && c.amount !== null) {
        const a = c.amount(built);
        const n = typeof a === "bigint" ? a : a instanceof CelUint ? a.value : undefined;
        if (n === undefined) return counterError(c.name, `its \`sum\` failed to evaluate: ${failure(a)}`);
        if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) return counterError(c.name, `its \`sum\` is ${n}, outside 0..2^53`);
        amount = Number(n);
      }
      uses.push({ counter: c.name, key: keyParts.length === 0 ? "" : `[${keyParts.join(",")}]`, window: c.window, amount, increments });
    }
    return { ok: true, uses };
  } catch (e: unknown) {
    return { ok: false, error: { code: Diagnostics.runtimeInternalError.code, message: Diagnostics.runtimeInternalError.message(e instanceof Error ? e.message : String(e)) } };
  }
}

function counterError(counter: string, why: string): CountersResult {
  return { ok: false, error: { code: Diagnostics.counterAmountInvalid.code, message: Diagnostics.counterAmountInvalid.message(counter, why) } };
}

/** Canonical JSON of one key value (strings, integers, bools), or undefined for anything else. */
function keyText(v: CelResult): string | undefined {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return String(v);
  if (v instanceof CelUint) return v.value.toString();
  return undefined;
}

// -----------------------------------------------------------------------------------------------------------------
/**
 * Why the tier was raised: the first escalation to the final tier whose condition holds, by its clause. Kept out of
 * evaluate's body (it runs only when a tier was raised; a larger loop there measurably slowed every decision) and
 * re-evaluates the pure conditions rather than tracking the winner in the hot loop.
 */
function raisedNote(plan: ActionPlan, tierIdx: number, act: Activation): string {
  const by = plan.escalations.find((e) => e.tierIndex === tierIdx && e.condition(act) === true);
  return `tier raised from ${plan.tier} to ${TIERS[tierIdx]} by ${by?.description ?? "an escalation"}`;
}

// decide: the one-call stateless decision for embedders.

/**
 * Whose input a refused proposal's problem is in, by its path: the actor and context come from the caller (the
 * embedding service), not from the agent, and a message that blamed the action sent people to the wrong place.
 */
export function inputProblemLead(path: string | undefined): string {
  if (path !== undefined && /^\$\.context(\.|\[|$)/.test(path)) return "invalid context (the caller supplies it, not the agent)";
  if (path !== undefined && /^\$\.actor(\.|\[|$)/.test(path)) return "invalid actor (the caller supplies it, not the agent)";
  return "invalid action";
}

export interface DecideOptions {
  /** counter values before this action; absent counters read as 0 */
  readonly counters?: CounterValues;
  /** the request time (default: the current time); a proposal's own `requested_at` is never used */
  readonly now?: Date | string;
}

/**
 * The stateless decision for one proposed action: an IR-shaped proposal (`{ action: { type, target?, params } }`)
 * or a raw tool call in any shape src/ir accepts (OpenAI, Anthropic, MCP, AI SDK...), normalized through the
 * policy's schema and tool mappings. Identity and time come from the caller, never from the proposal: `actor` is
 * required, `context` too when the policy declares context fields (else a deny with XP4033); a proposal that
 * carries its own `actor`/`context` is denied (XP4019) unless they equal the caller's; its `requested_at` is
 * ignored (`now` is `options.now`, else the current time). No approvals are collected and no counter is
 * incremented: that is the runtime's Enforcer. Never throws; invalid input is a deny with a reason.
 */
export function decide(
  policy: Pick<CompiledPolicy, "irSchema" | "toolMapper" | "evaluate">,
  action: unknown,
  context: DecideContext = {},
  options: DecideOptions = {},
): Decision {
  try {
    const built = toSovereignIR(action, policy.irSchema, {
      mapper: policy.toolMapper,
      callerOnly: true,
      requestedAt: options.now ?? new Date(),
      ...(context.actor !== undefined ? { actor: context.actor } : {}),
      ...(context.context !== undefined ? { context: context.context } : {}),
    });
    if (!built.ok) {
      const e = built.error;
      const where = e.path !== undefined && e.path !== "$" ? ` at ${e.path}` : "";
      return forcedDeny(actionTypeOf(action), e.code, `${inputProblemLead(e.path)}: ${e.message}${where}${e.help !== undefined ? ` (${e.help})` : ""}`);
    }
    return policy.evaluate(built.ir, options.counters);
  } catch (e: unknown) {
    const why = e instanceof Error ? e.message : String(e);
    return forcedDeny(null, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(why));
  }
}

function actionTypeOf(action: unknown): string | null {
  if (action === null || typeof action !== "object") return null;
  const a = (action as Record<string, unknown>).action;
  if (a === null || typeof a !== "object") return null;
  const t = (a as Record<string, unknown>).type;
  return typeof t === "string" ? t : null;
}
