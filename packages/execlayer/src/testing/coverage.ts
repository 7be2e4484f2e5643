// Coverage: which parts of the policy the tests exercised. Items, each at a source position:
//   - each rule: applied (it was among the rules evaluated for some test's action at its tier);
//   - each rule condition: true, and false (the `else` branch when the rule has one);
//   - each operand of `&&` / `||` (chains flattened, outside comprehension bodies): true and false, evaluated left
//     to right as far as the chain is undecided (`a && b` with `a` false never evaluates `b`);
//   - each escalation: holds, and does not hold.
// An evaluation error covers neither side. Only the policy's own files count (imported stdlib modules are not
// reported). Property runs do not count: coverage says what the tests, which pin decisions, exercise.
import type { Expr } from "../syntax/ast.ts";
import { compileExpression, type CompiledExpression } from "../cel/planner.ts";
import type { TypedExpr } from "../check/policy-exprs.ts";
import { T } from "../cel/types.ts";
import type { SovereignIR } from "../ir/types.ts";
import type { Decision } from "../vocabulary/decision.ts";
import { TIERS } from "../vocabulary/decision.ts";
import type { CelValue } from "../cel/values.ts";
import { variablesFor, type Variables } from "../engine/activation.ts";
import type { Span } from "../vocabulary/span.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export type CoverageKind = "rule" | "condition" | "operand" | "escalation";

export interface CoverageItem {
  readonly file: string;
  readonly span: Span;
  readonly kind: CoverageKind;
  /** the rule (or `tier TARGET` for an escalation) the item belongs to */
  readonly owner: string;
  /** `applied`, `true`, `false`, `else` */
  readonly branch: string;
  /** the source text of a condition or operand, shortened */
  readonly text: string;
  readonly covered: boolean;
}

export interface FileCoverage {
  readonly file: string;
  readonly covered: number;
  readonly total: number;
}

export interface CoverageReport {
  readonly items: readonly CoverageItem[];
  readonly files: readonly FileCoverage[];
  readonly covered: number;
  readonly total: number;
  /** 100 when there is nothing to cover */
  readonly percent: number;
}

/** A CoverageItem while the tests run: only `covered` changes. */
type MutableItem = Omit<CoverageItem, "covered"> & { covered: boolean };

/** A boolean node and its two items. */
interface BranchPoint {
  readonly fn: CompiledExpression;
  readonly onTrue: MutableItem;
  readonly onFalse: MutableItem;
}

/** An `&&`/`||` chain: its operands in order, each either a leaf branch point or a nested chain. */
interface Chain {
  readonly op: "&&" | "||";
  readonly operands: readonly Operand[];
}

interface Operand {
  readonly point: BranchPoint;
  readonly chain: Chain | null;
}

interface RuleCoverage {
  readonly applied: MutableItem;
  readonly condition: BranchPoint | null;
  readonly chain: Chain | null;
}

function shorten(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 60 ? one.slice(0, 57) + "..." : one;
}

export class CoverageCollector {
  private readonly items: MutableItem[] = [];
  private readonly rules = new Map<number, RuleCoverage>();
  private readonly escalations = new Map<string, BranchPoint>();
  private readonly files: ReadonlySet<string>;

  constructor(private readonly policy: CompiledPolicy) {
    this.files = new Set(policy.checked.sources.filter((s) => s.kind === "policy").map((s) => s.path));
    const text = (file: string, span: Span): string =>
      shorten(policy.checked.sources.find((s) => s.path === file)?.text.slice(span.start, span.end) ?? "");
    for (const r of policy.checked.rules) {
      if (!this.files.has(r.origin.file)) continue;
      const file = r.origin.file;
      const applied = this.item({ file, span: r.nameSpan, kind: "rule", owner: r.name, branch: "applied", text: r.name });
      let condition: BranchPoint | null = null;
      let chain: Chain | null = null;
      if (r.condition !== null) {
        const c = r.condition;
        condition = this.point(c, c.expr, "condition", r.name, text(file, c.expr.span), r.otherwise !== null ? "else" : "false");
        chain = this.chain(c, c.expr, r.name, (s) => text(file, s));
      }
      this.rules.set(r.index, { applied, condition, chain });
    }
    for (const a of policy.checked.actions.values()) {
      for (const e of a.escalations) {
        const key = `${e.origin.file}@${e.origin.span.start}`;
        if (!this.files.has(e.origin.file) || this.escalations.has(key)) continue;
        this.escalations.set(key, this.point(e.condition, e.condition.expr, "escalation", `escalate to ${e.tier}`, text(e.origin.file, e.condition.expr.span), "false", e.origin.span));
      }
    }
  }

  private item(i: Omit<MutableItem, "covered">): MutableItem {
    const m: MutableItem = { ...i, covered: false };
    this.items.push(m);
    return m;
  }

  private point(t: TypedExpr, e: Expr, kind: CoverageKind, owner: string, text: string, falseBranch: string, span: Span = e.span): BranchPoint {
    const fn = e === t.expr ? compileExpression(t.checked) : compileExpression({ ...t.checked, expr: e, type: t.checked.types.get(e) ?? T.dyn });
    return {
      fn,
      onTrue: this.item({ file: t.file, span, kind, owner, branch: "true", text }),
      onFalse: this.item({ file: t.file, span, kind, owner, branch: falseBranch, text }),
    };
  }

  /** The `&&`/`||` chain at the root of `e` (null when `e` is not one). */
  private chain(t: TypedExpr, e: Expr, owner: string, text: (s: Span) => string): Chain | null {
    if (e.kind !== "binary" || (e.op !== "&&" && e.op !== "||")) return null;
    const op = e.op;
    const flat: Expr[] = [];
    const flatten = (x: Expr): void => {
      if (x.kind === "binary" && x.op === op) {
        flatten(x.left);
        flatten(x.right);
      } else flat.push(x);
    };
    flatten(e);
    return {
      op,
      operands: flat.map((x) => ({
        point: this.point(t, x, "operand", owner, text(x.span), "false"),
        chain: this.chain(t, x, owner, text),
      })),
    };
  }

  /** Records what one decided action exercised. `counters` and `now` as the scenario had them. */
  record(ir: SovereignIR, decision: Decision, counters: ReadonlyMap<string, number>, now: number): void {
    const action = this.policy.checked.actions.get(ir.action.type);
    const plan = this.policy.plans.get(ir.action.type);
    if (action === undefined || plan === undefined || decision.tier === null) return;
    const declaredVars = variablesFor(this.policy, ir, action.tier, counters, now);
    for (const e of action.escalations) {
      const p = this.escalations.get(`${e.origin.file}@${e.origin.span.start}`);
      if (p !== undefined) evalPoint(p, declaredVars);
    }
    // the variables differ only in `action.tier`: built again only when the action was escalated
    const ruleVars = decision.tier === action.tier ? declaredVars : variablesFor(this.policy, ir, decision.tier, counters, now);
    for (const rp of plan.rulesByTier[TIERS.indexOf(decision.tier)] ?? []) {
      const rc = this.rules.get(rp.index);
      if (rc === undefined) continue;
      rc.applied.covered = true;
      if (rc.condition !== null) evalPoint(rc.condition, ruleVars);
      if (rc.chain !== null) evalChain(rc.chain, ruleVars);
    }
  }

  report(): CoverageReport {
    const items: CoverageItem[] = [...this.items].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.span.start - b.span.start));
    const byFile = new Map<string, { covered: number; total: number }>();
    for (const f of this.files) byFile.set(f, { covered: 0, total: 0 });
    for (const i of items) {
      const f = byFile.get(i.file)!;
      f.total++;
      if (i.covered) f.covered++;
    }
    const covered = items.filter((i) => i.covered).length;
    const total = items.length;
    return {
      items: items.map((i) => ({ ...i })),
      files: [...byFile.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, c]) => ({ file, ...c })),
      covered,
      total,
      percent: total === 0 ? 100 : (100 * covered) / total,
    };
  }
}

function evalPoint(p: BranchPoint, vars: Variables): boolean | null {
  const r = p.fn(vars as Readonly<Record<string, CelValue>>);
  if (r === true) p.onTrue.covered = true;
  else if (r === false) p.onFalse.covered = true;
  else return null;
  return r;
}

/** Left to right while the chain is undecided; nested chains are walked where their operand was evaluated. */
function evalChain(c: Chain, vars: Variables): void {
  const decisive = c.op === "||";
  for (const o of c.operands) {
    const r = evalPoint(o.point, vars);
    if (o.chain !== null) evalChain(o.chain, vars);
    if (r === decisive) return;
  }
}

/** `85.0` for display: one decimal, never rounded up to 100 unless complete. */
export function formatPercent(p: number): string {
  const floored = Math.floor(p * 10) / 10;
  return floored.toFixed(1);
}
