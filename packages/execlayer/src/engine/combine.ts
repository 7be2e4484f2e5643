// Combining what the applicable rules contributed into one Decision (docs/decision-semantics.md):
// deny beats require-approval beats allow; nothing contributed means deny; approval requirements combine per group
// to the largest quorum and the shortest window, and requirements of different groups all apply.
import type { CheckedEffect } from "../check/policy-symbols.ts";
import type { ApprovalRequirement, ContributingRule, Decision, Effect, Tier } from "../vocabulary/decision.ts";

/** One rule's contribution, with the text the decision's reasons show for it. */
export interface Contribution {
  readonly rule: ContributingRule;
  /** the effect as declared, for approval requirements */
  readonly effect: CheckedEffect;
  readonly reason: string;
}

export interface TierOutcome {
  readonly tier: Tier;
  /** reasons about the tier (escalations), listed after the rules' reasons */
  readonly notes: readonly string[];
}

const RANK: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };

export function combine(actionType: string, tier: TierOutcome, contributions: readonly Contribution[]): Decision {
  if (contributions.length === 0) {
    return {
      effect: "deny",
      tier: tier.tier,
      actionType,
      rules: [],
      reasons: [`no rule allows \`${actionType}\` at tier ${tier.tier}: denied by default`, ...tier.notes],
    };
  }
  let effect: Effect = "allow";
  for (const c of contributions) if (RANK[c.rule.effect] > RANK[effect]) effect = c.rule.effect;
  const reasons = contributions.filter((c) => c.rule.effect === effect).map((c) => c.reason);
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = {
    effect,
    tier: tier.tier,
    actionType,
    rules: contributions.map((c) => c.rule),
    reasons: [...reasons, ...tier.notes],
  };
  if (effect === "require_approval") decision.approval = { requirements: combineRequirements(contributions) };
  return decision;
}

/** Per group the largest quorum and the shortest window; groups in name order. */
export function combineRequirements(contributions: readonly Contribution[]): ApprovalRequirement[] {
  const byGroup = new Map<string, { quorum: number; withinMs: number }>();
  for (const c of contributions) {
    const e = c.effect;
    if (e.kind !== "require_approval" || c.rule.effect !== "require_approval") continue;
    const prev = byGroup.get(e.group);
    if (prev === undefined) byGroup.set(e.group, { quorum: e.quorum, withinMs: e.withinMs });
    else byGroup.set(e.group, { quorum: Math.max(prev.quorum, e.quorum), withinMs: Math.min(prev.withinMs, e.withinMs) });
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, r]) => ({ group, quorum: r.quorum, withinMs: r.withinMs }));
}

/** `24h`, `90m` -> `1h30m`, `1h0m30s` -> `1h30s`; days are shown as hours, as policies usually write them. */
export function formatMillis(ms: number): string {
  const units: [string, number][] = [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ];
  if (ms <= 0 || !Number.isFinite(ms)) return `${ms}ms`;
  let rest = ms;
  let out = "";
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}

/** The human-readable reason for one rule's contribution. */
export function contributionReason(rule: string, effect: CheckedEffect, otherwise: boolean): string {
  const who = otherwise ? `rule \`${rule}\` (else)` : `rule \`${rule}\``;
  const own = effect.reason === null ? "" : `: ${effect.reason}`;
  switch (effect.kind) {
    case "allow":
      return `${who} allows${own}`;
    case "deny":
      return `${who} denies${own}`;
    case "require_approval":
      return `${who} requires approval by ${effect.quorum} of \`${effect.group}\` within ${formatMillis(effect.withinMs)}${own}`;
  }
}

export function errorReason(rule: string, message: string): string {
  return `rule \`${rule}\` denies: its condition failed to evaluate: ${message}`;
}

/** The ContributingRule record for a rule's effect (or else-effect). */
export function contributingRule(rule: string, effect: CheckedEffect, otherwise: boolean): ContributingRule {
  const r: { -readonly [K in keyof ContributingRule]: ContributingRule[K] } = { rule, effect: effect.kind };
  if (effect.reason !== null) r.reason = effect.reason;
  if (otherwise) r.otherwise = true;
  return r;
}

export function errorContribution(rule: string, message: string): Contribution {
  return {
    rule: { rule, effect: "deny", reason: message, error: true },
    effect: { kind: "deny", reason: message },
    reason: errorReason(rule, message),
  };
}
