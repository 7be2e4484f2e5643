// Checked policy -> CompiledPolicy: one precompiled plan per action type (engine/plan.ts), the IR schema and tool
// mapper src/ir normalizes with, the counter specs and approver groups the runtime needs, and a content digest.
//
// Tier targets with escalation: a type's plan holds, for each tier the type can reach (declared tier and escalation
// tiers), the list of rules that apply at that tier, in policy order. A decision computes the effective tier, then
// runs exactly that list; names and globs were resolved here, once.
import type { CheckedAction, CheckedEffect, CheckedPolicy, CheckedRule } from "../check/policy-symbols.ts";
import type { CelType } from "../cel/types.ts";
import { celTypeOf, schemaRecordType } from "../check/policy-env.ts";
import type { FieldSchema as PolicyFieldSchema } from "../check/policy-schema.ts";
import { targetMatches } from "../check/policy-targets.ts";
import { tierIndex } from "../check/policy-tiers.ts";
import { countersReadBy, walkExpr, type TypedExpr } from "../check/policy-exprs.ts";
import { formatFieldType, type IrSchema, type ActionTypeSchema } from "../ir/schema.ts";
import { keyIdOf } from "../receipts/keys.ts";
import { TIERS } from "../vocabulary/decision.ts";
import { contributingRule, contributionReason, type Contribution } from "../engine/combine.ts";
import { fromJson } from "../cel/json.ts";
import { CelError, celErrors } from "../cel/errors.ts";
import { CelUint, INT64_MAX, INT64_MIN } from "../cel/values.ts";
import { compileExpression, type CompiledExpression } from "../cel/planner.ts";
import { canonicalSources, policyDigest, sourcesDigest } from "./policy-digest.ts";
import type { ActionPlan, CompiledPolicy, CounterPlan, CounterSpec, ParamConverter, ParamPlan, RecordTypes, RulePlan, VariableUse } from "../engine/plan.ts";
import { compileToolMapper } from "./policy-tools.ts";
import { countersFor, evaluatePlan } from "../engine/engine.ts";
import type { ApproverKey } from "../vocabulary/approvers.ts";

/** More rules than this on one (type, tier) and decisions are not cached (their key would not fit a double). */
const MAX_CACHED_RULES = 30;
const CACHE_LIMIT = 4096;

export function compileCheckedPolicy(checked: CheckedPolicy): CompiledPolicy {
  return new PolicyCompiler(checked).compile();
}

class PolicyCompiler {
  private readonly compiled = new Map<TypedExpr, CompiledExpression>();
  private readonly records: RecordTypes;

  constructor(private readonly policy: CheckedPolicy) {
    this.records = {
      actor: schemaRecordType("actor", policy.actor),
      context: schemaRecordType("context", policy.context),
    };
  }

  private expr(t: TypedExpr): CompiledExpression {
    let c = this.compiled.get(t);
    if (c === undefined) {
      c = compileExpression(t.checked);
      this.compiled.set(t, c);
    }
    return c;
  }

  compile(): CompiledPolicy {
    const p = this.policy;
    const rulePlans = new Map<CheckedRule, RulePlan>(p.rules.map((r) => [r, this.rulePlan(r)]));
    // type -> the rules that can apply to it, in policy order (rules are visited in order)
    const byType = new Map<string, CheckedRule[]>();
    for (const r of p.rules)
      for (const t of r.actionTypes) {
        const list = byType.get(t);
        if (list === undefined) byType.set(t, [r]);
        else list.push(r);
      }
    const plans = new Map<string, ActionPlan>();
    for (const a of p.actions.values()) plans.set(a.name, this.actionPlan(a, byType.get(a.name) ?? [], rulePlans));
    const counters = new Map<string, CounterSpec>(
      [...p.counters.values()].map((c) => [c.name, { name: c.name, window: c.window, actionTypes: c.actionTypes }]),
    );
    const groups = new Map<string, ApproverKey[]>(
      [...p.groups.values()].map((g) => [
        g.name,
        g.members.map((m) => ({ name: m.name, publicKey: m.key.bytes, keyId: keyIdOf(m.key.bytes) })),
      ]),
    );
    const sources = canonicalSources(p.sources);
    let digest: string | undefined;
    let textDigest: string | undefined;
    const records = this.records;
    return {
      name: p.name,
      version: p.version,
      // Computed on first use: decisions never need them.
      get digest(): string {
        return (digest ??= policyDigest(p));
      },
      get sourcesDigest(): string {
        return (textDigest ??= sourcesDigest(sources));
      },
      sources,
      checked: p,
      irSchema: irSchemaOf(p),
      toolMapper: compileToolMapper(p, (t) => this.expr(t)),
      counters,
      groups,
      principalGroups: new Map([...p.groups.values()].flatMap((g) => (g.principal === null ? [] : [[g.name, g.principal.field] as const]))),
      plans,
      countersFor: (ir) => countersFor(plans, records, ir),
      evaluate: (ir, counterValues, options) => evaluatePlan(plans, records, ir, counterValues, options),
    };
  }

  private rulePlan(r: CheckedRule): RulePlan {
    return {
      name: r.name,
      index: r.index,
      condition: r.condition === null ? null : this.expr(r.condition),
      onEffect: contribution(r.name, r.effect, false),
      onOtherwise: r.otherwise === null ? null : contribution(r.name, r.otherwise, true),
    };
  }

  private actionPlan(a: CheckedAction, applicable: readonly CheckedRule[], rulePlans: ReadonlyMap<CheckedRule, RulePlan>): ActionPlan {
    const p = this.policy;
    const rulesByTier = TIERS.map((tier) =>
      a.possibleTiers.includes(tier)
        ? applicable.filter((r) => r.targets.some((t) => targetMatches(t, a.name, tier))).map((r) => rulePlans.get(r)!)
        : [],
    );
    const exprs: TypedExpr[] = [
      ...a.escalations.map((e) => e.condition),
      ...applicable.flatMap((r) => (r.condition === null ? [] : [r.condition])),
    ];
    const countersRead = [...new Set(exprs.flatMap((e) => countersReadBy(e.expr)))];
    const uses = variablesUsed(exprs);
    const counterPlans: CounterPlan[] = [];
    for (const c of p.counters.values()) {
      const counts = c.actionTypes.includes(a.name);
      if (!counts && !countersRead.includes(c.name)) continue;
      counterPlans.push({
        name: c.name,
        window: c.window,
        counts,
        keys: c.keys.map((k) => this.expr(k)),
        amount: counts && c.amount !== null ? this.expr(c.amount) : null,
        filter: counts && c.filter !== null ? this.expr(c.filter) : null,
      });
      exprs.push(...c.keys, ...(counts && c.amount !== null ? [c.amount] : []), ...(counts && c.filter !== null ? [c.filter] : []));
    }
    const counterUses = variablesUsed(exprs);
    const maxRules = Math.max(...rulesByTier.map((l) => l.filter((r) => r.condition !== null).length));
    const params: ParamPlan[] = [...a.fields.values()].map((f) => ({ name: f.name, optional: f.optional, convert: converterFor(f) }));
    return {
      type: a.name,
      tier: a.tier,
      tierIndex: tierIndex(a.tier),
      escalations: a.escalations.map((e) => ({
        tierIndex: tierIndex(e.tier),
        condition: this.expr(e.condition),
        description: `\`${e.clause}\` (tier of \`${a.name}\` in ${e.origin.file})`,
      })),
      rulesByTier,
      params,
      paramNames: new Set(a.fields.keys()),
      allowExtra: p.options.extraParams === "allow",
      recordName: `action.${a.name}`,
      uses,
      counterUses,
      countersRead,
      counters: counterPlans,
      cache: maxRules <= MAX_CACHED_RULES ? new BoundedMap(CACHE_LIMIT) : null,
    };
  }
}

/** A Map that stops accepting new keys once full (the cache only ever holds outcome combinations). */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (this.size < this.limit || this.has(key)) super.set(key, value);
    return this;
  }
}

function contribution(rule: string, effect: CheckedEffect, otherwise: boolean): Contribution {
  return Object.freeze({
    rule: Object.freeze(contributingRule(rule, effect, otherwise)),
    effect,
    reason: contributionReason(rule, effect, otherwise),
  });
}

function variablesUsed(exprs: readonly TypedExpr[]): VariableUse {
  const used = new Set<string>();
  for (const t of exprs)
    walkExpr(t.expr, (e) => {
      if (e.kind === "ident") used.add(e.name);
    });
  return {
    action: used.has("action"),
    actor: used.has("actor"),
    context: used.has("context"),
    counter: used.has("counter"),
    now: used.has("now"),
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Parameter conversion: IR JSON -> CEL values, validating as it goes (the IR should already be normalized, but a
// hand-built one may not be; a mismatch is a deny naming the field, never a wrong value).

function converterFor(f: PolicyFieldSchema): ParamConverter {
  const t = f.type;
  switch (t.kind) {
    case "string":
      return (v) => (typeof v === "string" ? v : mismatch(f.name, "string", v));
    case "bool":
      return (v) => (typeof v === "boolean" ? v : mismatch(f.name, "bool", v));
    case "enum": {
      const values = new Set(t.values);
      const shown = formatFieldType(t);
      return (v) =>
        typeof v === "string" && values.has(v)
          ? v
          : typeof v === "string"
            ? celErrors.invalidArgument(`\`${f.name}\`: ${JSON.stringify(v)} is not one of ${shown}`)
            : mismatch(f.name, shown, v);
    }
    case "int":
      return (v) => {
        if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
        if (typeof v === "string" && /^-?\d{1,20}$/.test(v)) {
          const b = BigInt(v);
          return b >= INT64_MIN && b <= INT64_MAX ? b : celErrors.range(`\`${f.name}\`: int`);
        }
        return mismatch(f.name, "int", v);
      };
    case "uint":
      return (v) => {
        if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return new CelUint(BigInt(v));
        if (typeof v === "string" && /^\d{1,20}$/.test(v)) {
          const b = BigInt(v);
          return b < 1n << 64n ? new CelUint(b) : celErrors.range(`\`${f.name}\`: uint`);
        }
        return mismatch(f.name, "uint", v);
      };
    case "double":
      return (v) => (typeof v === "number" ? v : mismatch(f.name, "double", v));
    default: {
      const celType: CelType = celTypeOf(t);
      return (v) => {
        const r = fromJson(v, celType);
        return r instanceof CelError ? celErrors.invalidArgument(`\`${f.name}\`: ${r.message.replace(/^\$:?\s*/, "")}`) : r;
      };
    }
  }
}

function mismatch(field: string, expected: string, v: unknown): CelError {
  const got = v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
  return celErrors.invalidArgument(`\`${field}\`: expected ${expected}, found ${got}`);
}

// -----------------------------------------------------------------------------------------------------------------
// The IR schema: the checked field schemas are IR field schemas (plus their name), so they are shared as they are.

export function irSchemaOf(p: CheckedPolicy): IrSchema {
  const actionTypes = new Map<string, ActionTypeSchema>();
  for (const a of p.actions.values()) actionTypes.set(a.name, { name: a.name, aliases: a.aliases, fields: a.fields });
  return {
    actionTypes,
    actor: { fields: p.actor.fields },
    context: { fields: p.context.fields },
    options: { extraParams: p.options.extraParams },
  };
}
