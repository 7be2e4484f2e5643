// One activation: the variables xpol test evaluates `where`, `expect that` and coverage with (variablesFor) are the
// ones the engine decides with, for every generated action of the example policies, undeclared parameters
// included (rejected, and kept as dyn with extra_params = "allow"). The engine's activation is captured where it is
// used: every escalation and rule condition of the policy's plans is wrapped to record what it was called with.
import { describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { compilePolicy } from "../../src/index.ts";
import { arbitraryProposal, counterValuesArb } from "../../src/testing/arbitraries.ts";
import { variablesFor } from "../../src/engine/activation.ts";
import { canonicalize } from "../../src/index.ts";
import type { Activation } from "../../src/cel/planner.ts";
import type { CelRecord } from "../../src/cel/values.ts";
import type { ActionPlan, CompiledPolicy } from "../../src/engine/plan.ts";
import type { JsonValue, SovereignIR } from "../../src/index.ts";
import type { Tier } from "../../src/index.ts";

const EXAMPLES = ["invoices", "customer-data", "devops", "coding-agent"];
const VARIABLES = ["action", "actor", "context", "counter", "now"] as const;

interface Seen {
  readonly act: Activation;
  /** the tier the variables should carry as `action.tier`: declared for escalations, effective for rules (null) */
  readonly declared: boolean;
}

/** The example compiled, its plans wrapped to record every activation; `allowExtra` set on every plan. */
function spied(example: string, allowExtra: boolean): { policy: CompiledPolicy; seen: Seen[] } {
  const r = compilePolicy({ files: [`examples/${example}/${example}.xpol`], cwd: `${import.meta.dirname}/../..` });
  if (r.policy === null) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  const policy = r.policy;
  const seen: Seen[] = [];
  // the compiled policy's evaluate and countersFor read this very Map
  const plans = policy.plans as Map<string, ActionPlan>;
  for (const [type, plan] of plans) {
    const spy: ActionPlan = {
      ...plan,
      allowExtra,
      escalations: plan.escalations.map((e) => ({ ...e, condition: (act) => (seen.push({ act, declared: true }), e.condition(act)) })),
      rulesByTier: plan.rulesByTier.map((rules) =>
        rules.map((rule) => (rule.condition === null ? rule : { ...rule, condition: (act: Activation) => (seen.push({ act, declared: false }), rule.condition!(act)) })),
      ),
      // outcomes cached for the real plan must not hide a call
      cache: null,
    };
    plans.set(type, spy);
  }
  return { policy, seen };
}

/** Generated proposals as IRs, some with undeclared parameters (prototype-ish names too), some missing one. */
function inputArb(policy: CompiledPolicy) {
  const extraKey = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString", "type", "tier", "target"));
  const extras = fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, { weight: 3, arbitrary: fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, { maxKeys: 3 }) });
  return fc.record({
    proposal: arbitraryProposal(policy),
    extras,
    drop: fc.option(fc.nat(), { freq: 8 }),
    counters: counterValuesArb(policy, new Map()),
  }).map(({ proposal, extras, drop, counters }) => {
    const params: Record<string, JsonValue> = { ...proposal.action.params };
    for (const [k, v] of Object.entries(extras)) {
      if (!policy.checked.actions.get(proposal.action.type)!.fields.has(k)) Object.defineProperty(params, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    const names = Object.keys(params);
    if (drop !== null && names.length > 0) delete params[names[drop % names.length]!];
    const target = typeof params.path === "string" ? params.path : null;
    const ir: SovereignIR = { version: "1", action: { type: proposal.action.type, target, params }, actor: proposal.actor as SovereignIR["actor"], context: proposal.context, requested_at: proposal.requested_at };
    return { ir, counters, now: Date.parse(proposal.requested_at) };
  });
}

/** Every variable the engine built equals xpol test's; `counter` holds (at least) the counters the engine built. */
function expectSameVariables(policy: CompiledPolicy, seen: readonly Seen[], ir: SovereignIR, tier: Tier | null, counters: ReadonlyMap<string, number>, now: number): void {
  const plan = policy.plans.get(ir.action.type)!;
  for (const s of seen) {
    const test = variablesFor(policy, ir, s.declared ? plan.tier : tier, counters, now);
    for (const v of VARIABLES) {
      const engine = s.act[v];
      if (engine === undefined) {
        // not built, or malformed: xpol test may have built it (it builds all), but not from a malformed input
        if (plan.uses[v] && v !== "counter") expect(test[v], v).toBeUndefined();
        continue;
      }
      if (v === "counter") {
        const fields = (engine as CelRecord).fields;
        for (const name of Object.keys(fields)) expect((test.counter as CelRecord).get(name), `counter.${name}`).toEqual(fields[name]);
      } else {
        expect(test[v], v).toEqual(engine);
      }
    }
  }
}

describe("xpol test evaluates with the activation the engine decides with", () => {
  for (const example of EXAMPLES) {
    for (const allowExtra of [false, true]) {
      const { policy, seen } = spied(example, allowExtra);
      test.prop([inputArb(policy)], { numRuns: 150 })(`${example}${allowExtra ? ", extra_params = allow" : ""}`, ({ ir, counters, now }) => {
        seen.length = 0;
        const decision = policy.evaluate(ir, counters);
        const plan = policy.plans.get(ir.action.type)!;
        const test = variablesFor(policy, ir, decision.tier, counters, now);
        // the engine rejects the input exactly when xpol test has no `action`
        const rejected = decision.code !== undefined && decision.code.startsWith("XP4");
        expect(test.action === undefined, `${decision.code ?? ""} ${decision.reasons.join("; ")}`).toBe(rejected);
        if (rejected) {
          expect(seen).toEqual([]);
          return;
        }
        expectSameVariables(policy, seen, ir, decision.tier, counters, now);
        if (!plan.uses.action) return;
        // undeclared parameters: kept (as dyn) exactly when the plan allows them, on both sides
        const fields = (test.action as CelRecord).fields;
        for (const k of Object.keys(ir.action.params)) {
          if (plan.paramNames.has(k)) continue;
          expect(allowExtra).toBe(true);
          expect(Object.prototype.hasOwnProperty.call(fields, k), k).toBe(true);
        }

        // Enforcer.decide's order: countersFor, then evaluate: the same decision and variables.
        seen.length = 0;
        const counted = policy.countersFor(ir);
        if (!counted.ok) return;
        seen.length = 0;
        const again = policy.evaluate(ir, counters);
        expect(canonicalize(again as unknown as JsonValue)).toBe(canonicalize(decision as unknown as JsonValue));
        expectSameVariables(policy, seen, ir, again.tier, counters, now);
      });
    }
  }
});
