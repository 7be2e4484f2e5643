// `xpol diff OLD -- NEW`: what changed between two compiled policies. First the declarations (action types and
// their parameters, tiers and escalations, counters, approver groups, rules, tool mappings), compared by meaning
// where it is cheap (whitespace and comments do not count; a rule whose body is unchanged under another name is a
// rename). Then a search for inputs the two decide differently: fast-check over both schemas with the arbitraries
// `xpol test` uses for properties (each policy's literals give the edge values, so a moved threshold is probed on
// both sides), each input run through both policies' scenario runners. Every kind of difference (old -> new
// effect, action type, deciding rule) is shrunk to a minimal input and printed as a `test` block that the new policy
// passes; the counts come from one plain sample of generated inputs.
import fc from "fast-check";
import type { CompiledPolicy } from "../engine/plan.ts";
import type { JsonObject } from "../ir/types.ts";
import type { Span } from "../vocabulary/span.ts";
import type { ApprovalRequirement, Decision } from "../vocabulary/decision.ts";
import type { FieldSchema } from "../check/policy-schema.ts";
import { windowLabel } from "../vocabulary/windows.ts";
import { arbitraryActor, arbitraryContext, counterValuesArb, generatedActionArb, timeArb, type GeneratedAction } from "./arbitraries.ts";
import { ScenarioRunner, type Scenario } from "./scenario.ts";
import { ChangeTally, decidingRules, requirementsDirection, requirementsText, type ChangeSummary } from "./changes.ts";
import { DEFAULT_TEST_MILLIS } from "./test-blocks.ts";
import { scenarioTestBlock } from "./properties.ts";
import { celString } from "./values.ts";

export interface DeclarationChange {
  /** `action`, `parameter`, `tier`, `escalation`, `counter`, `group`, `member`, `rule`, `tool`, `option` */
  readonly what: string;
  readonly change: "added" | "removed" | "changed" | "renamed";
  /** `invoice.delete`, `invoice.update_status.note`, `finance.alice`, ... */
  readonly name: string;
  readonly detail: string;
}

export interface PolicyDiff {
  readonly old: { readonly name: string; readonly version: string | null; readonly digest: string };
  readonly new: { readonly name: string; readonly version: string | null; readonly digest: string };
  readonly declarations: readonly DeclarationChange[];
  readonly changes: ChangeSummary;
  readonly seed: number;
  /** generated inputs in the counting sample */
  readonly runs: number;
}

export interface DiffOptions {
  readonly seed?: number;
  /** generated inputs counted (default 1000) */
  readonly runs?: number;
  /** distinct differences looked for, each shrunk (default 20) */
  readonly maxDifferences?: number;
}

// --- declarations ---------------------------------------------------------------------------------------------

function sourceText(p: CompiledPolicy, file: string, span: Span): string {
  return p.checked.sources.find((s) => s.path === file)?.text.slice(span.start, span.end) ?? "";
}

/** Text compared for meaning: comments dropped, whitespace collapsed. */
function normalized(text: string): string {
  return text.replace(/(^|\s)\/\/[^\n]*/g, "$1").replace(/\s+/g, " ").trim();
}

function exprText(p: CompiledPolicy, e: { readonly file: string; readonly expr: { readonly span: Span } } | null): string {
  return e === null ? "" : normalized(sourceText(p, e.file, e.expr.span));
}

function fieldText(f: FieldSchema): string {
  const t = JSON.stringify(f.type);
  return `${t}${f.optional ? "?" : ""}${f.sensitive ? " @sensitive" : ""}${f.decimal ? " @decimal" : ""}`;
}

function typeName(f: FieldSchema): string {
  const t = f.type;
  const base = t.kind === "enum" ? t.values.map((v) => JSON.stringify(v)).join(" | ") : t.kind === "list" ? `list<${t.element.kind}>` : t.kind;
  return `${base}${f.optional ? " (optional)" : ""}${f.sensitive ? " @sensitive" : ""}${f.decimal ? " @decimal" : ""}`;
}

function compareMaps<V>(
  out: DeclarationChange[],
  what: string,
  a: ReadonlyMap<string, V>,
  b: ReadonlyMap<string, V>,
  describe: (v: V) => string,
  prefix = "",
): void {
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) out.push({ what, change: "removed", name: prefix + k, detail: describe(v) });
    else if (describe(v) !== describe(w)) out.push({ what, change: "changed", name: prefix + k, detail: `${describe(v)} -> ${describe(w)}` });
  }
  for (const [k, w] of b) if (!a.has(k)) out.push({ what, change: "added", name: prefix + k, detail: describe(w) });
}

export function declarationChanges(a: CompiledPolicy, b: CompiledPolicy): DeclarationChange[] {
  const out: DeclarationChange[] = [];
  const ca = a.checked;
  const cb = b.checked;
  if (JSON.stringify(ca.options) !== JSON.stringify(cb.options)) out.push({ what: "option", change: "changed", name: "options", detail: `${JSON.stringify(ca.options)} -> ${JSON.stringify(cb.options)}` });
  compareMaps(out, "action", ca.actions, cb.actions, (x) => `tier ${x.tier}`);
  for (const [name, x] of ca.actions) {
    const y = cb.actions.get(name);
    if (y === undefined) continue;
    if (x.tier !== y.tier) out.push({ what: "tier", change: "changed", name, detail: `${x.tier} -> ${y.tier}` });
    compareMaps(out, "parameter", x.fields, y.fields, (f) => fieldText(f), `${name}.`);
    for (const c of out) if (c.what === "parameter" && c.name.startsWith(`${name}.`)) (c as { detail: string }).detail = describeField(c, x.fields, y.fields, name);
    const ex = new Set(x.escalations.map((e) => normalized(e.clause)));
    const ey = new Set(y.escalations.map((e) => normalized(e.clause)));
    for (const e of ex) if (!ey.has(e)) out.push({ what: "escalation", change: "removed", name, detail: e });
    for (const e of ey) if (!ex.has(e)) out.push({ what: "escalation", change: "added", name, detail: e });
    if (x.aliases.join(",") !== y.aliases.join(",")) out.push({ what: "action", change: "changed", name, detail: `aliases ${x.aliases.join(", ") || "none"} -> ${y.aliases.join(", ") || "none"}` });
  }
  compareMaps(out, "parameter", ca.actor.fields, cb.actor.fields, (f) => typeName(f), "actor.");
  compareMaps(out, "parameter", ca.context.fields, cb.context.fields, (f) => typeName(f), "context.");
  const counter = (p: CompiledPolicy) => (k: (typeof ca.counters extends ReadonlyMap<string, infer V> ? V : never)): string =>
    [`on ${k.actionTypes.join(", ")}`, k.keys.length > 0 ? `per ${k.keys.map((e) => exprText(p, e)).join(", ")}` : "", k.amount !== null ? `sum ${exprText(p, k.amount)}` : "", k.filter !== null ? `where ${exprText(p, k.filter)}` : "", `window ${windowLabel(k.window)}`].filter((s) => s !== "").join(" ");
  const counterA = counter(a);
  const counterB = counter(b);
  for (const [n, k] of ca.counters) {
    const l = cb.counters.get(n);
    if (l === undefined) out.push({ what: "counter", change: "removed", name: n, detail: counterA(k) });
    else if (counterA(k) !== counterB(l)) out.push({ what: "counter", change: "changed", name: n, detail: `${counterA(k)} -> ${counterB(l)}` });
  }
  for (const [n, l] of cb.counters) if (!ca.counters.has(n)) out.push({ what: "counter", change: "added", name: n, detail: counterB(l) });
  compareMaps(out, "group", ca.groups, cb.groups, (g) => `${g.members.length} member(s)`);
  for (const [g, x] of ca.groups) {
    const y = cb.groups.get(g);
    if (y === undefined) continue;
    compareMaps(out, "member", new Map(x.members.map((m) => [m.name, m.key.text])), new Map(y.members.map((m) => [m.name, m.key.text])), (k) => k, `${g}.`);
  }
  // rules: by body (the declaration without its name), so a rename is one
  const body = (p: CompiledPolicy, r: (typeof ca.rules)[number]): string => {
    const text = sourceText(p, r.origin.file, r.origin.span);
    const at = r.nameSpan.start - r.origin.span.start;
    return normalized(text.slice(0, at) + "_" + text.slice(at + (r.nameSpan.end - r.nameSpan.start)));
  };
  const rulesA = new Map(ca.rules.map((r) => [r.name, body(a, r)]));
  const rulesB = new Map(cb.rules.map((r) => [r.name, body(b, r)]));
  const renamedTo = new Set<string>();
  for (const [n, t] of rulesA) {
    const u = rulesB.get(n);
    if (u === t) continue;
    if (u !== undefined) {
      out.push({ what: "rule", change: "changed", name: n, detail: `${t} -> ${u}` });
      continue;
    }
    const other = [...rulesB].find(([m, v]) => v === t && !rulesA.has(m) && !renamedTo.has(m));
    if (other !== undefined) {
      renamedTo.add(other[0]);
      out.push({ what: "rule", change: "renamed", name: n, detail: `${n} -> ${other[0]}` });
    } else out.push({ what: "rule", change: "removed", name: n, detail: t });
  }
  for (const [n, u] of rulesB) if (!rulesA.has(n) && !renamedTo.has(n)) out.push({ what: "rule", change: "added", name: n, detail: u });
  compareMaps(out, "tool", ca.tools, cb.tools, (t) => normalized(sourceText(t === ca.tools.get(t.tool) ? a : b, t.origin.file, t.origin.span)));
  return out;
}

function describeField(c: DeclarationChange, x: ReadonlyMap<string, FieldSchema>, y: ReadonlyMap<string, FieldSchema>, type: string): string {
  const field = c.name.slice(type.length + 1);
  const f = x.get(field);
  const g = y.get(field);
  if (f !== undefined && g !== undefined) return `${typeName(f)} -> ${typeName(g)}`;
  return typeName((f ?? g)!);
}

// --- the search -------------------------------------------------------------------------------------------------

interface DiffInput {
  readonly action: GeneratedAction;
  readonly actor: JsonObject;
  readonly context: JsonObject;
  readonly counters: ReadonlyMap<string, number>;
  readonly now: number;
}

/** The input as one policy's scenario: only what that policy declares (the other's extra fields would be refused). */
function scenarioFor(p: CompiledPolicy, i: DiffInput): Scenario {
  const c = p.checked;
  const only = (values: JsonObject, fields: ReadonlyMap<string, FieldSchema> | undefined): JsonObject =>
    fields === undefined ? values : Object.fromEntries(Object.entries(values).filter(([k]) => fields.has(k)));
  return {
    call: { kind: "action", type: i.action.type, params: only(i.action.params, c.actions.get(i.action.type)?.fields) },
    actor: only(i.actor, c.actor.fields),
    context: only(i.context, c.context.fields),
    counters: i.counters,
    approvals: [],
    now: i.now,
  };
}

/** Both sides' required approvals when both require approval (a change of them is a difference too). */
function bothRequirements(old: Decision, now: Decision): { from: readonly ApprovalRequirement[]; to: readonly ApprovalRequirement[] } | undefined {
  if (old.effect !== "require_approval" || now.effect !== "require_approval") return undefined;
  return { from: old.approval?.requirements ?? [], to: now.approval?.requirements ?? [] };
}

function decidedAlike(old: Decision, now: Decision): boolean {
  const r = bothRequirements(old, now);
  return old.effect === now.effect && (r === undefined || requirementsDirection(r.from, r.to) === null);
}

function differenceKey(old: Decision, now: Decision): string {
  const r = bothRequirements(old, now);
  const approvals = r === undefined ? "" : ` (${requirementsText(r.from)}>${requirementsText(r.to)})`;
  return `${old.effect}>${now.effect}${approvals} ${now.actionType ?? old.actionType ?? ""} ${decidingRules(now).join(",")}|${decidingRules(old).join(",")}`;
}

function expectOf(d: Decision): string {
  if (d.effect !== "require_approval") return d.effect;
  const q = d.approval?.requirements[0];
  return q === undefined ? "require approval" : `require approval ${q.quorum} of ${q.group}`;
}

export async function diffPolicies(a: CompiledPolicy, b: CompiledPolicy, options: DiffOptions = {}): Promise<PolicyDiff> {
  const runA = new ScenarioRunner(a);
  const runB = new ScenarioRunner(b);
  const typesA = [...a.checked.actions.keys()];
  const typesB = [...b.checked.actions.keys()];
  const actions: fc.Arbitrary<GeneratedAction>[] = [];
  if (typesA.length > 0) actions.push(generatedActionArb(a, typesA));
  if (typesB.length > 0) actions.push(generatedActionArb(b, typesB));
  const merge = (x: JsonObject, y: JsonObject): JsonObject => ({ ...x, ...y });
  const input: fc.Arbitrary<DiffInput> = fc.record({
    action: fc.oneof(...actions),
    actor: fc.tuple(arbitraryActor(a), arbitraryActor(b), fc.boolean()).map(([x, y, first]) => (first ? merge(y, x) : merge(x, y))),
    context: fc.tuple(arbitraryContext(a), arbitraryContext(b), fc.boolean()).map(([x, y, first]) => (first ? merge(y, x) : merge(x, y))),
    counters: fc.oneof(counterValuesArb(a, new Map()), counterValuesArb(b, new Map())),
    now: fc.oneof(fc.constant(DEFAULT_TEST_MILLIS), timeArb()),
  });
  const decideBoth = async (i: DiffInput): Promise<{ old: Decision; now: Decision; scenario: Scenario; uses: readonly string[] }> => {
    const sb = scenarioFor(b, i);
    const [oa, ob] = await Promise.all([runA.run(scenarioFor(a, i)), runB.run(sb)]);
    return { old: oa.decision, now: ob.decision, scenario: sb, uses: [...oa.uses, ...ob.uses].map((u) => u.counter) };
  };
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const runs = options.runs ?? 1000;
  const tally = new ChangeTally(1);
  const found = new Map<string, DiffInput>();
  const maxDifferences = options.maxDifferences ?? 20;
  // each round finds one new kind of difference, shrunk; known kinds pass
  for (let round = 0; round < maxDifferences; round++) {
    const property = fc.asyncProperty(input, async (i) => {
      const { old, now } = await decideBoth(i);
      return decidedAlike(old, now) || found.has(differenceKey(old, now));
    });
    const details = await fc.check(property, { numRuns: Math.max(100, Math.floor(runs / 4)), seed: seed + round });
    if (!details.failed || details.counterexample === null) break;
    const [shrunk] = details.counterexample;
    const { old, now } = await decideBoth(shrunk);
    const key = differenceKey(old, now);
    if (found.has(key)) break; // the shrunk input landed in a known kind: stop rather than loop
    found.set(key, shrunk);
  }
  // the counts: one plain sample
  for (const i of fc.sample(input, { numRuns: runs, seed })) {
    const { old, now } = await decideBoth(i);
    tally.add(now.actionType ?? old.actionType, old.effect, now.effect, () => ({ old: decidingRules(old), new: decidingRules(now) }), undefined, bothRequirements(old, now));
  }
  // the shrunk inputs: counted too (a kind the sample missed still shows), and the examples
  const examples = [];
  for (const [, i] of found) {
    const { old, now, scenario, uses } = await decideBoth(i);
    const requirements = bothRequirements(old, now);
    tally.add(now.actionType ?? old.actionType, old.effect, now.effect, () => ({ old: decidingRules(old), new: decidingRules(now) }), undefined, requirements);
    const type = scenario.call.kind === "action" ? scenario.call.type : null;
    const name = `diff: ${effectWords(old.effect)} -> ${effectWords(now.effect)}${type !== null ? ` (${type})` : ""}`;
    examples.push({
      from: old.effect,
      to: now.effect,
      ...(requirements !== undefined && requirementsDirection(requirements.from, requirements.to) !== null ? { approvals: { from: requirementsText(requirements.from), to: requirementsText(requirements.to) } } : {}),
      actionType: type,
      target: null,
      oldRules: decidingRules(old),
      newRules: decidingRules(now),
      reason: now.reasons[0] ?? "",
      test: scenarioTestBlock(b, celString(name), scenario, new Set(uses), expectOf(now)),
    });
  }
  const summary = tally.summary();
  return {
    old: { name: a.name, version: a.version, digest: a.digest },
    new: { name: b.name, version: b.version, digest: b.digest },
    declarations: declarationChanges(a, b),
    changes: { ...summary, examples },
    seed,
    runs,
  };
}

function effectWords(e: Decision["effect"]): string {
  return e === "require_approval" ? "require approval" : e;
}
