// A tally of decisions that change between two policies: the one report `xpol replay` (recorded decisions re-decided,
// or a period of shadow decisions) and `xpol diff` (generated inputs) print. Effects are compared by strictness,
// allow < require approval < deny: a change to a less strict effect widens what agents may do, to a stricter one
// narrows it. Only the effect counts as a change; a decision reached by differently named rules is the same decision.
import type { Decision, Effect } from "../vocabulary/decision.ts";

const STRICTNESS: Readonly<Record<Effect, number>> = { allow: 0, require_approval: 1, deny: 2 };

export type ChangeDirection = "widened" | "narrowed";

/** `widened`: the new effect is less strict (deny or require approval -> allow, deny -> require approval). */
export function changeDirection(from: Effect, to: Effect): ChangeDirection | null {
  const d = STRICTNESS[to] - STRICTNESS[from];
  return d === 0 ? null : d < 0 ? "widened" : "narrowed";
}

export interface Transition {
  readonly from: Effect;
  readonly to: Effect;
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

function pairKey(from: Effect, to: Effect): string {
  return `${from}>${to}`;
}

function sorted(m: Map<string, { from: Effect; to: Effect; count: number; key?: string }>): { from: Effect; to: Effect; count: number; key?: string }[] {
  return [...m.values()].sort((a, b) => b.count - a.count || ((a.key ?? "") < (b.key ?? "") ? -1 : (a.key ?? "") > (b.key ?? "") ? 1 : 0) || pairKey(a.from, a.to).localeCompare(pairKey(b.from, b.to)));
}

export class ChangeTally {
  #compared = 0;
  readonly #transitions = new Map<string, { from: Effect; to: Effect; count: number }>();
  readonly #byType = new Map<string, { from: Effect; to: Effect; count: number; key: string }>();
  readonly #byRule = new Map<string, { from: Effect; to: Effect; count: number; key: string }>();
  readonly #examples = new Map<string, ChangeExample[]>();

  /** examples kept per old -> new pair */
  constructor(readonly examplesPerChange = 5) {}

  /**
   * One decision compared. `changedRules` and `example` are asked for only for a change (and `example` only while
   * that change still needs examples: it may be costly, a shrunk test block).
   */
  add(actionType: string | null, from: Effect, to: Effect, changedRules: () => { readonly old: readonly string[]; readonly new: readonly string[] }, example?: () => ChangeExample): void {
    this.#compared++;
    const k = pairKey(from, to);
    const t = this.#transitions.get(k);
    if (t !== undefined) t.count++;
    else this.#transitions.set(k, { from, to, count: 1 });
    if (from === to) return;
    const rules = changedRules();
    const type = actionType ?? "(unknown action type)";
    bump(this.#byType, `${type}\u0000${k}`, type, from, to);
    // The change is counted under the rules that reach the new effect, else (a rule that stopped applying) the old.
    const named = rules.new.length > 0 ? rules.new : rules.old.length > 0 ? rules.old : ["(no rule: the default)"];
    for (const r of new Set(named)) bump(this.#byRule, `${r}\u0000${k}`, r, from, to);
    if (example === undefined) return;
    let list = this.#examples.get(k);
    if (list === undefined) this.#examples.set(k, (list = []));
    if (list.length < this.examplesPerChange) list.push(example());
  }

  /** Whether another example of this change would still be kept. */
  wantsExample(from: Effect, to: Effect): boolean {
    return from !== to && (this.#examples.get(pairKey(from, to))?.length ?? 0) < this.examplesPerChange;
  }

  summary(): ChangeSummary {
    const transitions = sorted(this.#transitions).map(({ from, to, count }) => ({ from, to, count, direction: changeDirection(from, to) }));
    let changed = 0;
    let widened = 0;
    let narrowed = 0;
    for (const t of transitions) {
      if (t.direction === null) continue;
      changed += t.count;
      if (t.direction === "widened") widened += t.count;
      else narrowed += t.count;
    }
    const group = (m: Map<string, { from: Effect; to: Effect; count: number; key: string }>): GroupedTransition[] =>
      sorted(m).map(({ from, to, count, key }) => ({ key: key!, from, to, count, direction: changeDirection(from, to) }));
    const examples = [...this.#examples.values()].flat();
    return { compared: this.#compared, unchanged: this.#compared - changed, changed, widened, narrowed, transitions, byActionType: group(this.#byType), byRule: group(this.#byRule), examples };
  }
}

function bump(m: Map<string, { from: Effect; to: Effect; count: number; key: string }>, id: string, key: string, from: Effect, to: Effect): void {
  const g = m.get(id);
  if (g !== undefined) g.count++;
  else m.set(id, { from, to, count: 1, key });
}
