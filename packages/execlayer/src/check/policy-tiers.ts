// Tier names and tier comparisons. Tiers are T0..T3 exactly; anything else is an error with a suggestion.
import { TIERS, type Tier } from "../vocabulary/decision.ts";

export function parseTier(text: string): Tier | undefined {
  return (TIERS as readonly string[]).includes(text) ? (text as Tier) : undefined;
}

export function tierIndex(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** A help text for a misspelled tier: `t2` -> `T2`, `T4` -> the range. */
export function tierHelp(text: string): string {
  const upper = text.toUpperCase();
  if (parseTier(upper) !== undefined) return `did you mean \`${upper}\`?`;
  if (/^T\d+$/.test(upper)) return "the tiers are T0 (routine), T1 (elevated), T2 (high) and T3 (critical); T3 is the highest";
  if (/^\d$/.test(text) && parseTier(`T${text}`) !== undefined) return `did you mean \`T${text}\`?`;
  return "the tiers are T0, T1, T2 and T3";
}

export type TierComparison = "==" | ">=" | "<=" | ">" | "<";

export function tierSatisfies(tier: Tier, comparison: TierComparison, bound: Tier): boolean {
  const a = tierIndex(tier);
  const b = tierIndex(bound);
  switch (comparison) {
    case "==":
      return a === b;
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case "<":
      return a < b;
  }
}
