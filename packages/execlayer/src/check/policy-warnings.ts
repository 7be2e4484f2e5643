// Warnings about rules that cannot change any decision: a literal `false` condition, or a rule every one of whose
// applications is also covered by an unconditional deny (deny beats everything, so the rule's effect never shows).
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import type { CheckedAction, CheckedRule } from "./policy-symbols.ts";
import { targetMatches } from "./policy-targets.ts";
import { isLiteralFalse } from "./policy-exprs.ts";

export function ruleWarnings(rules: readonly CheckedRule[], actions: ReadonlyMap<string, CheckedAction>): Diagnostic[] {
  const out: Diagnostic[] = [];
  // type -> the unconditional denies that can apply to it
  const deniesByType = new Map<string, CheckedRule[]>();
  for (const d of rules)
    if (d.condition === null && d.effect.kind === "deny")
      for (const t of d.actionTypes) {
        const list = deniesByType.get(t);
        if (list === undefined) deniesByType.set(t, [d]);
        else list.push(d);
      }
  const applies = (r: CheckedRule, type: string, tier: CheckedAction["tier"]): boolean =>
    r.targets.some((t) => targetMatches(t, type, tier));
  for (const r of rules) {
    if (r.condition !== null && isLiteralFalse(r.condition.expr)) {
      out.push(
        diagnostic(D.conditionAlwaysFalse, r.condition.expr.span, [r.name], {
          file: r.origin.file,
          help: r.otherwise === null ? "the rule never applies; remove it or fix the condition" : "only its `else` branch ever applies",
        }),
      );
      continue;
    }
    if (r.condition === null && r.effect.kind === "deny") continue;
    // Every (action type, tier) the rule applies to must be covered by one and the same unconditional deny.
    const cases: [string, CheckedAction["tier"]][] = [];
    for (const type of r.actionTypes) {
      const a = actions.get(type);
      if (a === undefined) continue;
      for (const tier of a.possibleTiers) if (applies(r, type, tier)) cases.push([type, tier]);
    }
    if (cases.length === 0) continue;
    const candidates = deniesByType.get(cases[0]![0]) ?? [];
    const shadow = candidates.find((d) => d !== r && cases.every(([type, tier]) => applies(d, type, tier)));
    if (shadow !== undefined) {
      out.push(
        diagnostic(D.ruleNeverApplies, r.nameSpan, [r.name, `rule \`${shadow.name}\` denies every action it applies to`], {
          file: r.origin.file,
          related: [{ message: `\`${shadow.name}\` is declared here`, span: shadow.origin.span, file: shadow.origin.file }],
          help: "deny beats require approval and allow; narrow the deny rule's target or give it a condition",
        }),
      );
    }
  }
  return out;
}
