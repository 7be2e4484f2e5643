// Targets: an action type by name, a glob over type names, or a tier comparison.
// A glob's `*` matches any run of characters, dots included: `invoice.*` matches `invoice.read` and
// `invoice.line.add`; `*` alone matches every action type. Globs are matched without regexes, in time linear in
// the name (the literal parts between the `*`s found left to right), whatever the number of `*`s. Tier targets match on the action's effective tier
// (declared tier raised by escalations), so they are resolved per possible tier at compile time.
import type { Tier } from "../vocabulary/decision.ts";
import type { TierComparison } from "./policy-tiers.ts";
import { tierSatisfies } from "./policy-tiers.ts";

export type ResolvedTarget =
  | { readonly kind: "action"; readonly name: string }
  | { readonly kind: "glob"; readonly pattern: string; readonly regex: Glob }
  | { readonly kind: "tier"; readonly comparison: TierComparison; readonly tier: Tier };

/** A compiled glob: `test(name)` says whether the glob matches the whole name. */
export interface Glob {
  readonly pattern: string;
  test(name: string): boolean;
}

/** Compiles a glob whose `*` stands for any run of characters (dots included, possibly empty); nothing else is special. */
export function compileGlob(pattern: string): Glob {
  const parts = pattern.split("*");
  return { pattern, test: (name) => globMatches(parts, name) };
}

/**
 * Whether `name` is `parts` joined by runs of any characters. The first part is a prefix, the last a suffix, and each
 * middle part is taken at its leftmost occurrence after the previous one: the leftmost choice leaves the most room
 * for the rest, so it finds a match whenever there is one. Each search starts where the previous match ended.
 */
function globMatches(parts: readonly string[], name: string): boolean {
  const first = parts[0]!;
  if (parts.length === 1) return name === first;
  const last = parts[parts.length - 1]!;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  const end = name.length - last.length;
  let pos = first.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const part = parts[k]!;
    if (part.length === 0) continue;
    const at = name.indexOf(part, pos);
    if (at < 0 || at + part.length > end) return false;
    pos = at + part.length;
  }
  return true;
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
