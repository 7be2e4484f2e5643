// The variables a policy expression sees for one action (`action`, `actor`, `context`, `counter`, `now`), built
// from the normalized IR the same way the engine builds them (src/engine/engine.ts). src/testing needs them to
// evaluate what the engine does not: `where` assumptions, `expect that`, and the sub-conditions coverage reports.
import type { SovereignIR } from "../ir/types.ts";
import { fromJson } from "../cel/json.ts";
import { CelError } from "../cel/errors.ts";
import { CelRecord, CelTimestamp, type CelValue } from "../cel/values.ts";
import type { Tier } from "../vocabulary/decision.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export type Variables = Record<string, CelValue>;

/**
 * The variables for `ir` at tier `tier` (rules see the effective tier, escalations the declared one), with the
 * counters' values before the action (absent ones read as 0). A variable that cannot be built (a malformed record)
 * is left out, so reading it fails, as in the engine.
 */
export function variablesFor(
  policy: CompiledPolicy,
  ir: SovereignIR,
  tier: Tier | null,
  counters: ReadonlyMap<string, number>,
  now: number,
): Variables {
  const vars: Variables = {};
  const plan = policy.plans.get(ir.action.type);
  if (plan !== undefined) {
    const params = ir.action.params as Record<string, unknown>;
    const fields: Record<string, CelValue> = Object.create(null) as Record<string, CelValue>;
    let ok = true;
    for (const p of plan.params) {
      const v = params[p.name];
      if (v === undefined || v === null) {
        if (!p.optional) ok = false;
        continue;
      }
      const c = p.convert(v);
      if (c instanceof CelError) ok = false;
      else fields[p.name] = c;
    }
    for (const k of Object.keys(params)) {
      if (plan.paramNames.has(k)) continue;
      const v = fromJson(params[k], { kind: "dyn" });
      if (!(v instanceof CelError)) fields[k] = v;
    }
    if (ok) {
      fields["type"] = plan.type;
      fields["target"] = typeof ir.action.target === "string" ? ir.action.target : "";
      fields["tier"] = tier ?? plan.tier;
      vars["action"] = new CelRecord(plan.recordName, fields);
    }
  }
  // the checker's actor and context record types, the ones the policy's expressions were typed against
  const types = policy.checked.types;
  const actor = fromJson(ir.actor, types.actor, { extraFields: "ignore" });
  if (!(actor instanceof CelError)) vars["actor"] = actor;
  const context = fromJson(ir.context ?? {}, types.context, { extraFields: "ignore" });
  if (!(context instanceof CelError)) vars["context"] = context;
  const counterFields: Record<string, CelValue> = Object.create(null) as Record<string, CelValue>;
  for (const name of policy.counters.keys()) counterFields[name] = BigInt(counters.get(name) ?? 0);
  vars["counter"] = new CelRecord("counter", counterFields);
  vars["now"] = CelTimestamp.fromMillis(now);
  return vars;
}
