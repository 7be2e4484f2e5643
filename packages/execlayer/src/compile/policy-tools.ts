// Tool mappings (`tool get_invoice -> invoice.read { target: "invoice/" + args.id  invoice_id: args.id }`) as the
// ToolMapper src/ir calls: compiled CEL over `args` (the call's JSON arguments, dyn). A mapping that fails to
// evaluate fails the call (deny, fail closed), except that an optional parameter whose value reads a missing key
// is simply left out.
import type { CheckedPolicy } from "../check/policy-symbols.ts";
import type { TypedExpr } from "../check/policy-exprs.ts";
import type { MappedAction, ToolMapper } from "../ir/adapters.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { T } from "../cel/types.ts";
import { fromJson, toJson } from "../cel/json.ts";
import { CelError } from "../cel/errors.ts";
import type { CompiledExpression } from "../cel/planner.ts";

interface ToolPlan {
  readonly action: string;
  readonly target: CompiledExpression | null;
  readonly params: readonly { readonly name: string; readonly optional: boolean; readonly value: CompiledExpression }[];
}

export function compileToolMapper(policy: CheckedPolicy, compile: (t: TypedExpr) => CompiledExpression): ToolMapper {
  const plans = new Map<string, ToolPlan>();
  for (const t of policy.tools.values()) {
    const fields = policy.actions.get(t.action)?.fields;
    plans.set(t.tool, {
      action: t.action,
      target: t.target === null ? null : compile(t.target),
      params: t.params.map((p) => ({ name: p.name, optional: fields?.get(p.name)?.optional ?? false, value: compile(p.value) })),
    });
  }
  const aliases = new Map<string, string>();
  for (const t of policy.tools.values()) for (const n of t.names) aliases.set(n, t.tool);
  return {
    tools: [...plans.keys()].sort(),
    aliases,
    map(tool, args) {
      const plan = plans.get(tool);
      if (plan === undefined) return { ok: false, error: `no mapping for tool \`${tool}\`` };
      const celArgs = fromJson(args, T.dyn);
      if (celArgs instanceof CelError) return { ok: false, error: `arguments: ${celArgs.message}` };
      const act = { args: celArgs };
      let target: string | null = null;
      if (plan.target !== null) {
        const v = plan.target(act);
        if (v instanceof CelError) return { ok: false, error: `\`target\`: ${v.message}` };
        if (typeof v !== "string") return { ok: false, error: "`target` must be a string" };
        target = v;
      }
      const params: Record<string, JsonValue> = {};
      for (const p of plan.params) {
        const v = p.value(act);
        if (v instanceof CelError) {
          if (p.optional && (v.kind === "no_such_key" || v.kind === "no_such_field")) continue;
          return { ok: false, error: `\`${p.name}\`: ${v.message}` };
        }
        if (v === null && p.optional) continue;
        params[p.name] = toJson(v);
      }
      const value: MappedAction = { type: plan.action, target, params: params as JsonObject };
      return { ok: true, value };
    },
  };
}
