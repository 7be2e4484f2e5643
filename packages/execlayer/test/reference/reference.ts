// The reference interpreter: a direct, slow reading of docs/decision-semantics.md over the parsed AST, with no
// precomputation. It loops over every rule of the policy for every action, matches targets by name, by a naive
// glob matcher and by tier numbers, evaluates conditions with the CEL engine (checked with every variable `dyn`,
// so it shares no typing with the policy checker), and combines. It assumes a valid policy and a valid action.
import { checkExpression, TypeEnv } from "../../src/cel/checker.ts";
import { T, listType, mapType, type CelType } from "../../src/cel/types.ts";
import { compileExpression, type CompiledExpression } from "../../src/cel/planner.ts";
import { defaultModuleResolver } from "../../src/check/policy-modules.ts";
import type { ParsedFile } from "../../src/check/policy-symbols.ts";
import { fromJson } from "../../src/cel/json.ts";
import { CelError } from "../../src/cel/errors.ts";
import { parseTimestamp } from "../../src/cel/time.ts";
import { CelRecord, type CelValue } from "../../src/cel/values.ts";
import type { ApprovalRequirement, ContributingRule, Effect as DecisionEffect, Tier } from "../../src/index.ts";
import type { SovereignIR } from "../../src/index.ts";
import type { ActionDecl, Declaration, Effect, Expr, FieldDecl, RuleDecl, Target, TierDecl, TypeRef } from "../../src/syntax/ast.ts";

/** The parts of a Decision the differential test compares. */
export interface ReferenceDecision {
  readonly effect: DecisionEffect;
  readonly tier: Tier;
  readonly rules: readonly ContributingRule[];
  readonly requirements: readonly ApprovalRequirement[];
}

const TIER_NUMBER: Record<string, number> = { T0: 0, T1: 1, T2: 2, T3: 3 };
const TIER_NAME: Tier[] = ["T0", "T1", "T2", "T3"];
const DAY = 24 * 3_600_000;

/** `*` matches any run of characters; everything else matches itself. */
export function globMatch(pattern: string, name: string): boolean {
  if (pattern === "") return name === "";
  if (pattern[0] === "*") {
    for (let i = 0; i <= name.length; i++) if (globMatch(pattern.slice(1), name.slice(i))) return true;
    return false;
  }
  return name !== "" && pattern[0] === name[0] && globMatch(pattern.slice(1), name.slice(1));
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case "==":
      return a === b;
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a < b;
  }
}

function targetMatches(t: Target, type: string, tier: Tier): boolean {
  if (t.kind === "action") return t.name.text === type;
  if (t.kind === "glob") return globMatch(t.pattern, type);
  return compare(TIER_NUMBER[tier]!, t.comparison, TIER_NUMBER[t.tier.text]!);
}

function celType(t: TypeRef): CelType {
  switch (t.kind) {
    case "enum":
      return T.string;
    case "list":
      return listType(celType(t.element));
    case "map":
      return mapType(celType(t.key), celType(t.value));
    case "named":
      return (T as Record<string, CelType>)[t.name.text] ?? T.dyn;
  }
}

const DYN_ENV = new TypeEnv(
  new Map<string, CelType>([
    ["action", T.dyn],
    ["actor", T.dyn],
    ["context", T.dyn],
    ["counter", T.dyn],
    ["now", T.dyn],
  ]),
);

/** All declarations: imported modules first (each module after the modules it imports), then files by path. */
function declarations(files: readonly ParsedFile[]): Declaration[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const seen = new Set<string>();
  const modules: Declaration[] = [];
  const visit = (decls: readonly Declaration[]): void => {
    for (const d of decls) {
      if (d.kind !== "import" || seen.has(d.module.text)) continue;
      seen.add(d.module.text);
      const m = defaultModuleResolver.load(d.module.text.slice("std.".length));
      if (m === undefined || !("file" in m)) throw new Error(`reference: cannot load ${d.module.text}`);
      visit(m.file.ast.declarations);
      modules.push(...m.file.ast.declarations);
    }
  };
  for (const f of sorted) visit(f.ast.declarations);
  return [...modules, ...sorted.flatMap((f) => f.ast.declarations)];
}

export class ReferenceInterpreter {
  private readonly decls: Declaration[];
  private readonly actions = new Map<string, ActionDecl>();
  private readonly rules: RuleDecl[];
  private readonly actorFields: FieldDecl[];
  private readonly contextFields: FieldDecl[];
  private readonly counterNames: string[];
  private readonly compiled = new Map<Expr, CompiledExpression>();

  constructor(files: readonly ParsedFile[]) {
    this.decls = declarations(files);
    for (const d of this.decls) if (d.kind === "action") this.actions.set(d.name.text, d);
    this.rules = this.decls.filter((d): d is RuleDecl => d.kind === "rule");
    this.actorFields = this.decls.flatMap((d) => (d.kind === "record" && d.record === "actor" ? d.fields : []));
    this.contextFields = this.decls.flatMap((d) => (d.kind === "record" && d.record === "context" ? d.fields : []));
    this.counterNames = this.decls.flatMap((d) => (d.kind === "counter" ? [d.name.text] : []));
  }

  private run(e: Expr, act: Record<string, CelValue>): CelValue | CelError {
    let c = this.compiled.get(e);
    if (c === undefined) {
      c = compileExpression(checkExpression(e, DYN_ENV).checked);
      this.compiled.set(e, c);
    }
    return c(act);
  }

  /** The tier declaration of a type: an exact name wins, else the glob with the most literal characters. */
  private tierDecl(type: string): TierDecl {
    const tiers = this.decls.filter((d): d is TierDecl => d.kind === "tier");
    const exact = tiers.find((t) => t.target.kind === "action" && t.target.name.text === type);
    if (exact !== undefined) return exact;
    const globs = tiers.filter((t) => t.target.kind === "glob" && globMatch(t.target.pattern, type));
    globs.sort((a, b) => literalLength(b.target) - literalLength(a.target));
    return globs[0]!;
  }

  private record(fields: readonly FieldDecl[], json: Record<string, unknown>, name: string): CelRecord {
    const out: Record<string, CelValue> = {};
    for (const f of fields) {
      const v = json[f.name.text];
      if (v === undefined || v === null) continue;
      const c = fromJson(v, celType(f.type));
      if (c instanceof CelError) throw new Error(`reference: ${name}.${f.name.text}: ${c.message}`);
      out[f.name.text] = c;
    }
    return new CelRecord(name, out);
  }

  decide(ir: SovereignIR, counters: ReadonlyMap<string, number>): ReferenceDecision {
    const type = ir.action.type;
    const decl = this.actions.get(type)!;
    const params = ir.action.params as Record<string, unknown>;
    const base: Record<string, CelValue> = {};
    for (const f of decl.fields) {
      const v = params[f.name.text];
      if (v === undefined || v === null) continue;
      const c = fromJson(v, celType(f.type));
      if (c instanceof CelError) throw new Error(`reference: invalid test action: ${c.message}`);
      base[f.name.text] = c;
    }
    const actorBuiltins: FieldDecl[] = ["agent", "on_behalf_of", "session"]
      .filter((n) => !this.actorFields.some((f) => f.name.text === n))
      .map((n) => ({ name: { text: n, span: ZERO }, optional: true, type: { kind: "named", name: { text: "string", span: ZERO }, span: ZERO }, annotations: [], span: ZERO }));
    const counterFields: Record<string, CelValue> = {};
    for (const n of this.counterNames) counterFields[n] = BigInt(counters.get(n) ?? 0);
    const now = parseTimestamp(ir.requested_at);
    const act = (tier: Tier): Record<string, CelValue> => ({
      action: new CelRecord(`action.${type}`, { ...base, type, target: ir.action.target ?? "", tier }),
      actor: this.record([...this.actorFields, ...actorBuiltins], ir.actor as Record<string, unknown>, "actor"),
      context: this.record(this.contextFields, ir.context as Record<string, unknown>, "context"),
      counter: new CelRecord("counter", counterFields),
      ...(now instanceof CelError ? {} : { now }),
    });

    // 1. Tier: the declared tier, raised by each escalation that holds; one that fails raises to T3.
    const td = this.tierDecl(type);
    const declared = td.tier.text as Tier;
    let tier = TIER_NUMBER[declared]!;
    for (const e of td.escalations) {
      const r = this.run(e.condition, act(declared));
      if (r === true) tier = Math.max(tier, TIER_NUMBER[e.tier.text]!);
      else if (r !== false) tier = 3;
    }
    const effective = TIER_NAME[tier]!;

    // 2. Every rule whose target matches contributes.
    const contributed: { rule: ContributingRule; effect: Effect | null }[] = [];
    const ruleAct = act(effective);
    for (const rule of this.rules) {
      if (!rule.targets.some((t) => targetMatches(t, type, effective))) continue;
      let chosen: { effect: Effect; otherwise: boolean } | "error" | null;
      if (rule.condition === null) chosen = { effect: rule.effect, otherwise: false };
      else {
        const r = this.run(rule.condition, ruleAct);
        if (r === true) chosen = { effect: rule.effect, otherwise: false };
        else if (r === false) chosen = rule.otherwise === null ? null : { effect: rule.otherwise, otherwise: true };
        else chosen = "error";
      }
      if (chosen === null) continue;
      if (chosen === "error") {
        contributed.push({ rule: { rule: rule.name.text, effect: "deny", error: true }, effect: null });
        continue;
      }
      const c: { -readonly [K in keyof ContributingRule]: ContributingRule[K] } = { rule: rule.name.text, effect: chosen.effect.kind };
      if (chosen.effect.reason !== null) c.reason = chosen.effect.reason.value;
      if (chosen.otherwise) c.otherwise = true;
      contributed.push({ rule: c, effect: chosen.effect });
    }

    // 3. Combine.
    const has = (e: DecisionEffect) => contributed.some((c) => c.rule.effect === e);
    const effect: DecisionEffect = contributed.length === 0 || has("deny") ? "deny" : has("require_approval") ? "require_approval" : "allow";
    const byGroup = new Map<string, ApprovalRequirement>();
    if (effect === "require_approval") {
      for (const c of contributed) {
        const e = c.effect;
        if (e === null || e.kind !== "require_approval") continue;
        const within = e.within === null ? DAY : e.within.millis;
        const prev = byGroup.get(e.group.text);
        byGroup.set(e.group.text, {
          group: e.group.text,
          quorum: Math.max(prev?.quorum ?? 0, e.quorum.value),
          withinMs: Math.min(prev?.withinMs ?? Infinity, within),
        });
      }
    }
    return {
      effect,
      tier: effective,
      rules: contributed.map((c) => c.rule),
      requirements: [...byGroup.values()].sort((a, b) => (a.group < b.group ? -1 : 1)),
    };
  }
}

const ZERO = { start: 0, end: 0 };

function literalLength(t: Target): number {
  return t.kind === "glob" ? t.pattern.replace(/\*/g, "").length : Infinity;
}
