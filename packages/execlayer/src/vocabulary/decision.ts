// The Decision: what the engine answers for one proposed action. Shared by the stateless engine, the Enforcer,
// receipts and `xpol eval`; plain data so it serializes as-is.

export type Tier = "T0" | "T1" | "T2" | "T3";
export const TIERS: readonly Tier[] = ["T0", "T1", "T2", "T3"];

export type Effect = "allow" | "deny" | "require_approval";

/** M of GROUP within a window. */
export interface ApprovalRequirement {
  readonly group: string;
  readonly quorum: number;
  /** milliseconds */
  readonly withinMs: number;
}

/** One rule that matched and what it contributed. */
export interface ContributingRule {
  readonly rule: string;
  readonly effect: Effect;
  /** the rule's own reason text, or the evaluation error that made it deny */
  readonly reason?: string;
  /** true when the rule's `else` branch contributed */
  readonly otherwise?: boolean;
  /** true when the rule contributed deny because its condition failed to evaluate */
  readonly error?: boolean;
}

export interface Decision {
  readonly effect: Effect;
  /** null only when the action could not be classified (unknown type, invalid input) */
  readonly tier: Tier | null;
  readonly actionType: string | null;
  readonly rules: readonly ContributingRule[];
  /** human-readable, in order of importance */
  readonly reasons: readonly string[];
  /** combined requirements, present iff effect is require_approval */
  readonly approval?: { readonly requirements: readonly ApprovalRequirement[] };
  /** a stable code when the decision was forced by invalid input or a failure (XP4xxx, XP5xxx) */
  readonly code?: string;
}

/** `2 of finance and 1 of security`: the requirements as reasons and errors name them. */
export function describeRequirements(rs: readonly ApprovalRequirement[]): string {
  return rs.map((q) => `${q.quorum} of ${q.group}`).join(" and ");
}
