// A tally of decisions that change between two policies: the one report `xpol replay` (recorded decisions re-decided,
// or a period of shadow decisions) and `xpol diff` (generated inputs) print. Effects are compared by strictness,
// allow < require approval < deny: a change to a less strict effect widens what agents may do, to a stricter one
// narrows it. A decision that requires approval before and after changes when the approvals it requires change (the
// groups, a quorum, a window): asking more of the approvers narrows, less widens. A decision reached by differently
// named rules is the same decision.
import type { ApprovalRequirement, Decision, Effect } from "../vocabulary/decision.ts";
import { formatMillis } from "../engine/combine.ts";

const STRICTNESS: Readonly<Record<Effect, number>> = { allow: 0, require_approval: 1, deny: 2 };

export type ChangeDirection = "widened" | "narrowed";

/** `widened`: the new effect is less strict (deny or require approval -> allow, deny -> require approval). */
export function changeDirection(from: Effect, to: Effect): ChangeDirection | null {
  const d = STRICTNESS[to] - STRICTNESS[from];
  return d === 0 ? null : d < 0 ? "widened" : "narrowed";
}

/** `1 of finance within 24h and 2 of security within 1h`: a require-approval decision's requirements, as compared. */
export function requirementsText(rs: readonly ApprovalRequirement[]): string {
  return [...rs]
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
    .map((q) => `${q.quorum} of ${q.group} within ${formatMillis(q.withinMs)}`)
    .join(" and ");
}

/** Whether `strict` asks at least what `loose` does: each of loose's groups, with at least its quorum, within its window. */
function asksAtLeast(strict: readonly ApprovalRequirement[], loose: readonly ApprovalRequirement[]): boolean {
  return loose.every((l) => strict.some((s) => s.group === l.group && s.quorum >= l.quorum && s.withinMs <= l.withinMs));
}

/**
 * How a change of required approvals moves: narrowed when the new ones ask at least what the old did, widened when
 * less; another group in place of one (neither asks at least what the other does) counts as widened, for it may let
 * through what the old approvers would not (so `--fail-on widened` stops it). null when they ask the same.
 */
export function requirementsDirection(from: readonly ApprovalRequirement[], to: readonly ApprovalRequirement[]): ChangeDirection | null {
  const narrower = asksAtLeast(to, from);
  const wider = asksAtLeast(from, to);
  if (narrower && wider) return null;
  return narrower ? "narrowed" : "widened";
}

/** A require-approval decision on both sides whose required approvals changed: each side's, as requirementsText. */
export interface ApprovalChange {
  readonly from: string;
  readonly to: string;
}

export interface Transition {
  readonly from: Effect;
  readonly to: Effect;
  /** require approval -> require approval: the approvals required changed */
  readonly approvals?: ApprovalChange;
  readonly count: number;
  readonly direction: ChangeDirection | null;
}

export interface GroupedTransition extends Transition {
  /** the action type, or the rule, the changes are counted under */
  readonly key: string;
}

/** One changed decision, as an example: where it was found (a receipt's seq) or how to reproduce it (a test block). */
export interface ChangeExample {
  readonly from: Effect;
  readonly to: Effect;
  readonly approvals?: ApprovalChange;
  readonly actionType: string | null;
  readonly target: string | null;
  /** the receipt's sequence number (replay, shadow) */
  readonly seq?: number;
  /** the receipt's time (replay, shadow) */
  readonly time?: string;
  readonly oldRules: readonly string[];
  readonly newRules: readonly string[];
  /** the new decision's first reason */
  readonly reason: string;
  /** a ready-to-paste `test` block (diff) */
  readonly test?: string;
}

export interface ChangeSummary {
  /** decisions compared */
  readonly compared: number;
  readonly unchanged: number;
  readonly changed: number;
  readonly widened: number;
  readonly narrowed: number;
  /** every old -> new pair seen, unchanged pairs included, most frequent first */
  readonly transitions: readonly Transition[];
  /** changed decisions only */
  readonly byActionType: readonly GroupedTransition[];
  /** changed decisions only, under the rules that reached each side's effect */
  readonly byRule: readonly GroupedTransition[];
  readonly examples: readonly ChangeExample[];
}

/** The rules that reached the decision's effect (for a change: why it is what it is). */
export function decidingRules(d: Pick<Decision, "effect" | "rules">): string[] {
  return d.rules.filter((r) => r.effect === d.effect).map((r) => r.rule);
}

const EFFECT_NAMES: readonly Effect[] = ["allow", "require_approval", "deny"];
/** `from>to` for every pair, made once (replay keys a transition per receipt) */
const PAIR_KEYS = new Map(EFFECT_NAMES.map((from) => [from, new Map(EFFECT_NAMES.map((to) => [to, `${from}>${to}`]))]));

function pairKey(from: Effect, to: Effect, approvals?: ApprovalChange): string {
  return approvals === undefined ? (PAIR_KEYS.get(from)?.get(to) ?? `${from}>${to}`) : `${from}(${approvals.from})>${to}(${approvals.to})`;
}

/** Whether an example, a grouped count or a transition are of the same change (old -> new, and the approvals). */
export function sameChange(a: Pick<Transition, "from" | "to" | "approvals">, b: Pick<Transition, "from" | "to" | "approvals">): boolean {
  return a.from === b.from && a.to === b.to && a.approvals?.from === b.approvals?.from && a.approvals?.to === b.approvals?.to;
}

interface Counted {
  readonly from: Effect;
  readonly to: Effect;
  readonly approvals?: ApprovalChange;
  readonly direction: ChangeDirection | null;
  count: number;
  readonly key?: string;
}

function sorted(m: Map<string, Counted>): Counted[] {
  return [...m.values()].sort(
    (a, b) => b.count - a.count || ((a.key ?? "") < (b.key ?? "") ? -1 : (a.key ?? "") > (b.key ?? "") ? 1 : 0) || pairKey(a.from, a.to, a.approvals).localeCompare(pairKey(b.from, b.to, b.approvals)),
  );
}

function counted(c: Counted): Transition {
  return { from: c.from, to: c.to, ...(c.approvals !== undefined ? { approvals: c.approvals } : {}), count: c.count, direction: c.direction };
}

export class ChangeTally {
  #compared = 0;
  readonly #transitions = new Map<string, Counted>();
  readonly #byType = new Map<string, Counted>();
  readonly #byRule = new Map<string, Counted>();
  readonly #examples = new Map<string, ChangeExample[]>();
  /** the last requirements compared and what they gave (replay compares the same shared lists again and again) */
  #lastRequirements: { readonly from: readonly ApprovalRequirement[]; readonly to: readonly ApprovalRequirement[]; readonly direction: ChangeDirection | null; readonly approvals: ApprovalChange | undefined } | null = null;

  /** examples kept per old -> new pair */
  constructor(readonly examplesPerChange = 5) {}

  /**
   * One decision compared. `changedRules` and `example` are asked for only for a change (and `example` only while
   * that change still needs examples: it may be costly, a shrunk test block). `requirements`: the approvals each side
   * requires, when both require approval and the old side's are known.
   */
  add(
    actionType: string | null,
    from: Effect,
    to: Effect,
    changedRules: () => { readonly old: readonly string[]; readonly new: readonly string[] },
    example?: () => ChangeExample,
    requirements?: { readonly from: readonly ApprovalRequirement[]; readonly to: readonly ApprovalRequirement[] },
  ): void {
    this.#compared++;
    let direction = changeDirection(from, to);
    let approvals: ApprovalChange | undefined;
    if (direction === null && requirements !== undefined) ({ direction, approvals } = this.#requirementsChange(requirements));
    const k = pairKey(from, to, approvals);
    const t = this.#transitions.get(k);
    if (t !== undefined) t.count++;
    else this.#transitions.set(k, { from, to, ...(approvals !== undefined ? { approvals } : {}), direction, count: 1 });
    if (direction === null) return;
    const rules = changedRules();
    const type = actionType ?? "(unknown action type)";
    const change = { from, to, ...(approvals !== undefined ? { approvals } : {}), direction };
    bump(this.#byType, `${type}\u0000${k}`, type, change);
    // The change is counted under the rules that reach the new effect, else (a rule that stopped applying) the old.
    const named = rules.new.length > 0 ? rules.new : rules.old.length > 0 ? rules.old : ["(no rule: the default)"];
    for (const r of new Set(named)) bump(this.#byRule, `${r}\u0000${k}`, r, change);
    if (example === undefined) return;
    let list = this.#examples.get(k);
    if (list === undefined) this.#examples.set(k, (list = []));
    if (list.length < this.examplesPerChange) list.push(approvals !== undefined ? { ...example(), approvals } : example());
  }

  /** Whether the approvals required changed (both sides require approval): `add` counts such a decision as a change. */
  approvalsChanged(requirements: { readonly from: readonly ApprovalRequirement[]; readonly to: readonly ApprovalRequirement[] }): boolean {
    return this.#requirementsChange(requirements).direction !== null;
  }

  #requirementsChange(requirements: { readonly from: readonly ApprovalRequirement[]; readonly to: readonly ApprovalRequirement[] }): { readonly direction: ChangeDirection | null; readonly approvals: ApprovalChange | undefined } {
    const last = this.#lastRequirements;
    if (last !== null && last.from === requirements.from && last.to === requirements.to) return last;
    const direction = requirementsDirection(requirements.from, requirements.to);
    const approvals = direction !== null ? { from: requirementsText(requirements.from), to: requirementsText(requirements.to) } : undefined;
    this.#lastRequirements = { from: requirements.from, to: requirements.to, direction, approvals };
    return this.#lastRequirements;
  }

  summary(): ChangeSummary {
    const transitions = sorted(this.#transitions).map(counted);
    let changed = 0;
    let widened = 0;
    let narrowed = 0;
    for (const t of transitions) {
      if (t.direction === null) continue;
      changed += t.count;
      if (t.direction === "widened") widened += t.count;
      else narrowed += t.count;
    }
    const group = (m: Map<string, Counted>): GroupedTransition[] => sorted(m).map((c) => ({ key: c.key!, ...counted(c) }));
    const examples = [...this.#examples.values()].flat();
    return { compared: this.#compared, unchanged: this.#compared - changed, changed, widened, narrowed, transitions, byActionType: group(this.#byType), byRule: group(this.#byRule), examples };
  }
}

function bump(m: Map<string, Counted>, id: string, key: string, change: Omit<Counted, "count" | "key">): void {
  const g = m.get(id);
  if (g !== undefined) g.count++;
  else m.set(id, { ...change, count: 1, key });
}
