// The activation: the variables a policy expression reads (`action`, `actor`, `context`, `counter`, `now`) for one
// action, built from its SovereignIR. This is the one builder: the engine decides with `buildActivation`
// (engine.ts, building only what the plan's expressions read), and xpol test evaluates `where` assumptions,
// `expect that` and coverage's sub-conditions with `variablesFor` (src/testing), so a test sees exactly the values
// the decision saw, undeclared parameters included. test/engine/activation.test.ts holds the two equal.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import type { Activation } from "../cel/planner.ts";
import type { SovereignIR } from "../ir/types.ts";
import { fromJson } from "../cel/json.ts";
import { CelError } from "../cel/errors.ts";
import { parseTimestamp } from "../cel/time.ts";
import { CelRecord, CelTimestamp, type CelValue } from "../cel/values.ts";
import type { Tier } from "../vocabulary/decision.ts";
import { schemaRecordType } from "../check/policy-env.ts";
import type { ActionPlan, CompiledPolicy, CounterValues, RecordTypes, VariableUse } from "./plan.ts";

/** Why an action's input is invalid: a code (XP4xxx) and a message naming the field. */
export class InputProblem {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

/** Always the same five keys, so every activation has one hidden class; variables not built stay undefined. */
interface VariablesObject {
  action: CelRecord | undefined;
  actor: CelValue | undefined;
  context: CelValue | undefined;
  counter: CelRecord | undefined;
  now: CelValue | undefined;
}

/** Every variable: what xpol test builds, since a test expression may read any of them. */
export const ALL_VARIABLES: VariableUse = Object.freeze({ action: true, actor: true, context: true, counter: true, now: true });

/**
 * The variables of `plan`'s action for `ir` (those `uses` marks; the others stay undefined), or the problem with
 * the input, which the engine turns into a deny. `action.tier` is the declared tier (see `withTier`); `counter`
 * holds `counterNames`, absent values reading as 0; `now` is `now` (ms) when given, else the IR's `requested_at`.
 * Parameters are validated even when `action` is not built: a malformed action is denied either way. A malformed
 * actor, context or time is left out instead, so only a condition that reads it fails.
 */
export function buildActivation(
  plan: ActionPlan,
  records: RecordTypes,
  ir: SovereignIR,
  counters: CounterValues,
  counterNames: readonly string[],
  now: number | undefined,
  uses: VariableUse,
): Activation | InputProblem {
  const action = actionRecord(plan, ir, uses.action);
  if (action instanceof InputProblem) return action;
  return otherVariables(action ?? undefined, records, ir, counters, counterNames, now, uses);
}

/**
 * `action` (null when `build` is false and the parameters are valid), or the problem with the parameters: a
 * missing required one, one its converter rejects, or an undeclared one (rejected, or with extra_params = "allow"
 * kept as a dyn value).
 */
function actionRecord(plan: ActionPlan, ir: SovereignIR, build: boolean): CelRecord | null | InputProblem {
  const params = ir.action.params as Record<string, unknown> | null;
  if (params === null || typeof params !== "object" || Array.isArray(params))
    return new InputProblem(Diagnostics.irWrongType.code, "`params` must be an object");
  const fields: Record<string, CelValue> | null = build ? {} : null;
  const ps = plan.params;
  let declaredKeys = 0;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const v = params[p.name];
    if (v !== undefined) declaredKeys++;
    if (v === undefined || v === null) {
      if (!p.optional) return new InputProblem(Diagnostics.irMissingField.code, `missing required parameter \`${p.name}\``);
      continue;
    }
    const c = p.convert(v);
    if (c instanceof CelError) return new InputProblem(Diagnostics.irWrongType.code, c.message);
    if (fields !== null) fields[p.name] = c;
  }
  let keys = 0;
  for (const _ in params) keys++;
  if (keys !== declaredKeys) {
    const extra = undeclaredParams(plan, params, fields);
    if (extra !== null) return extra;
  }
  if (fields === null) return null;
  fields.type = plan.type;
  fields.target = typeof ir.action.target === "string" ? ir.action.target : "";
  fields.tier = plan.tier;
  return new CelRecord(plan.recordName, fields);
}

function undeclaredParams(plan: ActionPlan, params: Record<string, unknown>, fields: Record<string, CelValue> | null): InputProblem | null {
  for (const k in params) {
    if (plan.paramNames.has(k)) continue;
    if (!plan.allowExtra) {
      const hint = didYouMean(k, plan.paramNames);
      return new InputProblem(Diagnostics.irUndeclaredField.code, `\`${k}\` is not a declared parameter${hint === undefined ? "" : ` (${hint})`}`);
    }
    if (fields !== null) {
      const v = fromJson(params[k], DYN);
      if (v instanceof CelError) return new InputProblem(Diagnostics.irWrongType.code, `\`${k}\`: ${v.message}`);
      // `fields.__proto__ = v` would set the prototype instead of a field CelRecord.get can read
      if (k === "__proto__") Object.defineProperty(fields, k, { value: v, enumerable: true, writable: true, configurable: true });
      else fields[k] = v;
    }
  }
  return null;
}

const DYN = { kind: "dyn" } as const;

function otherVariables(
  action: CelRecord | undefined,
  records: RecordTypes,
  ir: SovereignIR,
  counters: CounterValues,
  counterNames: readonly string[],
  now: number | undefined,
  uses: VariableUse,
): Activation {
  const act: VariablesObject = { action, actor: undefined, context: undefined, counter: undefined, now: undefined };
  if (uses.actor) {
    const v = fromJson(ir.actor, records.actor, { extraFields: "ignore" });
    if (!(v instanceof CelError)) act.actor = v;
  }
  if (uses.context) {
    const v = fromJson(ir.context ?? {}, records.context, { extraFields: "ignore" });
    if (!(v instanceof CelError)) act.context = v;
  }
  if (uses.counter) act.counter = counterRecord(counterNames, counters);
  if (uses.now) act.now = nowValue(ir, now);
  return act as unknown as Activation;
}

/** `now`: the given time (ms since the epoch), else the IR's `requested_at`; undefined when that is malformed. */
function nowValue(ir: SovereignIR, now: number | undefined): CelValue | undefined {
  const t = now !== undefined ? CelTimestamp.fromMillis(now) : parseTimestamp(String(ir.requested_at));
  return t instanceof CelError ? undefined : t;
}

/** `counter.NAME` values; absent ones read 0, one that is not an integer is left out, so reading it fails (deny). */
function counterRecord(names: readonly string[], counters: CounterValues): CelRecord {
  const fields: Record<string, CelValue> = {};
  const isMap = counters instanceof Map;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    const v = isMap ? (counters as ReadonlyMap<string, number | bigint>).get(n) : (counters as Readonly<Record<string, number | bigint>>)[n];
    if (v === undefined) fields[n] = 0n;
    else if (typeof v === "bigint") fields[n] = v;
    else if (Number.isSafeInteger(v)) fields[n] = BigInt(v);
  }
  return new CelRecord("counter", fields);
}

/** The activation with `action.tier` set to `tier` (the effective tier rule conditions see); a new object. */
export function withTier(act: Activation, tier: Tier): Activation {
  const a = act.action as CelRecord | undefined;
  if (a === undefined) return act;
  return { ...act, action: new CelRecord(a.typeName, { ...a.fields, tier }) };
}

/** What xpol test evaluates its expressions with; `action` is absent (undefined) when the engine rejects the input. */
export type Variables = Record<string, CelValue | undefined>;

/**
 * Every variable of `ir` for xpol test: `buildActivation` with all variables, `counter` holding all the policy's
 * counters (a test expression may read a counter this type's rules do not), and `action.tier` = `tier` (rules see the
 * effective tier, escalations the declared one; null: the declared tier).
 *
 * Lenient where the engine denies: when the parameters are invalid (the engine's XP4xxx deny), `action` is left out
 * but the other variables are still built. A test that expects such a deny may say so in terms of the actor, the
 * context or a counter (`expect that decision.effect == "deny" && actor.agent == "..."`), and a property's `where`
 * over them must not discard the case; reading `action` fails, as the engine never read it. An unknown action type
 * gets no `action` either.
 */
export function variablesFor(policy: CompiledPolicy, ir: SovereignIR, tier: Tier | null, counters: CounterValues, now: number): Variables {
  const plan = policy.plans.get(ir.action.type);
  const a = plan === undefined ? null : actionRecord(plan, ir, true);
  const action = a instanceof CelRecord ? a : undefined;
  const act = otherVariables(action, recordTypesOf(policy), ir, counters, [...policy.counters.keys()], now, ALL_VARIABLES);
  const vars = plan !== undefined && tier !== null && tier !== plan.tier ? withTier(act, tier) : act;
  // a copy: callers add `decision`, and the shared hidden class is the engine's concern, not theirs
  return { ...vars };
}

// The actor and context record types, computed as the policy compiler computes the ones it hands the engine
// (src/compile/policy-compiler.ts); CompiledPolicy does not expose those.
const recordTypes = new WeakMap<CompiledPolicy, RecordTypes>();

function recordTypesOf(policy: CompiledPolicy): RecordTypes {
  let r = recordTypes.get(policy);
  if (r === undefined) {
    r = { actor: schemaRecordType("actor", policy.checked.actor), context: schemaRecordType("context", policy.checked.context) };
    recordTypes.set(policy, r);
  }
  return r;
}
