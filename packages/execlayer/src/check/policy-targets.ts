// Targets: an action type by name, a glob over type names, or a tier comparison.
// A glob's `*` matches any run of characters, dots included: `invoice.*` matches `invoice.read` and
// `invoice.line.add`; `*` alone matches every action type. Tier targets match on the action's effective tier
// (declared tier raised by escalations), so they are resolved per possible tier at compile time.
import type { Tier } from "../vocabulary/decision.ts";
import type { TierComparison } from "./policy-tiers.ts";
import { tierSatisfies } from "./policy-tiers.ts";

export type ResolvedTarget =
  | { readonly kind: "action"; readonly name: string }
  | { readonly kind: "glob"; readonly pattern: string; readonly regex: RegExp }
  | { readonly kind: "tier"; readonly comparison: TierComparison; readonly tier: Tier };

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

/** Whether a target matches an action type with the given effective tier. */
export function targetMatches(target: ResolvedTarget, actionType: string, tier: Tier): boolean {
  switch (target.kind) {
    case "action":
      return target.name === actionType;
    case "glob":
      return target.regex.test(actionType);
    case "tier":
      return tierSatisfies(tier, target.comparison, target.tier);
  }
}

/** Whether a target can match an action type at all, given the tiers the type can have. */
export function targetCanMatch(target: ResolvedTarget, actionType: string, possibleTiers: readonly Tier[]): boolean {
  if (target.kind !== "tier") return targetMatches(target, actionType, "T0");
  return possibleTiers.some((t) => tierSatisfies(t, target.comparison, target.tier));
}

export function targetText(target: ResolvedTarget): string {
  switch (target.kind) {
    case "action":
      return target.name;
    case "glob":
      return target.pattern;
    case "tier":
      return target.comparison === "==" ? `tier ${target.tier}` : `tier ${target.comparison} ${target.tier}`;
  }
}
