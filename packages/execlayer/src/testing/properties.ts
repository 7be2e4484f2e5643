// Property blocks: `property "name" { forall TARGETS  [where EXPR]...  [setup steps]  expect OUTCOME }`, checked
// with fast-check. Each generated input (an action of a targeted type, actor, context, counter values and a time,
// the setup steps fixing what they name) runs through the same scenario runner as a test block. An input counts
// only if its decision's tier matches the targets (`forall tier T3` ranges over actions whose effective tier is
// T3) and every `where` holds (fc.pre); a property whose assumptions reject too many inputs is reported as
// unsatisfiable instead of being retried forever. A failure is shrunk and printed as a test block.
import fc from "fast-check";
import type { PropertyDecl, Target } from "../syntax/ast.ts";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import type { CheckedPropertyBlock } from "../check/policy-symbols.ts";
import { compileGlob } from "../check/policy-targets.ts";
import { parseTier, tierSatisfies } from "../check/policy-tiers.ts";
import type { JsonObject } from "../ir/types.ts";
import { isoMillis } from "../ir/values.ts";
import type { Tier } from "../vocabulary/decision.ts";
import { arbitraryActor, arbitraryContext, counterValuesArb, generatedActionArb, timeArb, type GeneratedAction } from "./arbitraries.ts";
import { ScenarioRunner, type Scenario, type ScenarioOutcome } from "./scenario.ts";
import { TestExpressions, evalBool } from "./expressions.ts";
import { variablesFor } from "../engine/activation.ts";
import { describeExpected } from "./outcomes.ts";
import { applySetupStep, DEFAULT_TEST_MILLIS, emptySetup, failureDetails, judgeOutcome, type Setup } from "./test-blocks.ts";
import type { CaseResult } from "./results.ts";
import { celLiteral, celString, fieldName } from "./values.ts";
import type { FieldSchema } from "../check/policy-schema.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export const DEFAULT_RUNS = 100;
/** Generated inputs a property may reject per accepted one before it is reported as unsatisfiable. */
export const MAX_SKIPS_PER_RUN = 50;

export interface PropertyOptions {
  /** fast-check seed; random (and printed) when absent */
  readonly seed?: number;
  /** accepted inputs to check (default 100) */
  readonly runs?: number;
}

export interface PropertyInput {
  readonly action: GeneratedAction;
  readonly actor: JsonObject;
  readonly context: JsonObject;
  readonly counters: ReadonlyMap<string, number>;
  readonly now: number;
}

type Verdict =
  | { readonly status: "discard" }
  | { readonly status: "pass" }
  | { readonly status: "fail"; readonly outcome: ScenarioOutcome; readonly actual: string };

/** Setup problems of a property (bad values, duplicate `at`), as diagnostics. */
export function propertySetup(file: string, decl: PropertyDecl, sink: Diagnostic[]): Setup {
  const setup = emptySetup();
  for (const s of decl.setup) applySetupStep(setup, s, file, decl.name.value, sink);
  return setup;
}

function targetMatches(t: Target, type: string, tier: Tier | null): boolean {
  switch (t.kind) {
    case "action":
      return t.name.text === type;
    case "glob":
      return compileGlob(t.pattern).test(type);
    case "tier": {
      const bound = parseTier(t.tier.text);
      return tier !== null && bound !== undefined && tierSatisfies(tier, t.comparison, bound);
    }
  }
}

export class PropertyChecker {
  constructor(
    private readonly policy: CompiledPolicy,
    private readonly runner: ScenarioRunner,
    private readonly exprs: TestExpressions,
  ) {}

  scenarioOf(input: PropertyInput, setup: Setup): Scenario {
    return {
      call: { kind: "action", type: input.action.type, params: input.action.params },
      actor: input.actor,
      context: input.context,
      counters: input.counters,
      approvals: setup.approvals,
      now: input.now,
    };
  }

  async judge(p: CheckedPropertyBlock, setup: Setup, input: PropertyInput): Promise<Verdict> {
    const decl = p.decl;
    const scenario = this.scenarioOf(input, setup);
    const outcome = await this.runner.run(scenario);
    const d = outcome.decision;
    if (!decl.targets.some((t) => targetMatches(t, input.action.type, d.tier))) return { status: "discard" };
    const needsVars = decl.assumptions.length > 0 || decl.expect.kind === "that";
    const vars = needsVars && outcome.ir !== null ? variablesFor(this.policy, outcome.ir, d.tier, scenario.counters, scenario.now) : {};
    for (const a of decl.assumptions) {
      if (outcome.ir === null) return { status: "discard" };
      const c = this.exprs.compile(a, p.file, outcome.ir.action.type, false, "a property's `where`");
      if (!c.ok || evalBool(c.fn, vars) !== true) return { status: "discard" };
    }
    const verdict = judgeOutcome(this.policy, this.exprs, p.file, decl.expect, scenario, outcome, vars);
    if (verdict.kind === "untyped") return { status: "fail", outcome, actual: `a condition that does not type-check: ${verdict.diagnostics[0]?.message ?? ""}` };
    return verdict.kind === "holds" ? { status: "pass" } : { status: "fail", outcome, actual: verdict.actual };
  }

  async check(p: CheckedPropertyBlock, options: PropertyOptions = {}): Promise<CaseResult> {
    const decl = p.decl;
    const sink: Diagnostic[] = [];
    const setup = propertySetup(p.file, decl, sink);
    const base = { kind: "property" as const, name: decl.name.value, file: p.file, span: decl.name.span };
    if (sink.length > 0) return { ...base, status: "failed", code: D.propertyVacuous.code, message: sink.map((d) => d.message).join("; "), details: [] };
    if (p.actionTypes.length === 0) {
      return { ...base, status: "failed", code: D.propertyVacuous.code, message: D.propertyVacuous.message(decl.name.value, "its targets match no action type"), details: [] };
    }
    const input = fc.record({
      action: generatedActionArb(this.policy, p.actionTypes),
      actor: arbitraryActor(this.policy, setup.actor),
      context: arbitraryContext(this.policy, setup.context),
      counters: counterValuesArb(this.policy, setup.counters),
      now: setup.now !== null ? fc.constant(setup.now) : fc.oneof(fc.constant(DEFAULT_TEST_MILLIS), timeArb()),
    });
    const property = fc.asyncProperty(input, async (i) => {
      const v = await this.judge(p, setup, i);
      fc.pre(v.status !== "discard");
      return v.status === "pass";
    });
    const runs = options.runs ?? DEFAULT_RUNS;
    const details = await fc.check(property, { numRuns: runs, maxSkipsPerRun: MAX_SKIPS_PER_RUN, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    if (!details.failed) return { ...base, status: "passed", runs: details.numRuns, seed: details.seed, details: [] };
    if (details.counterexample === null) {
      const error: unknown = details.errorInstance;
      const why = error instanceof Error && !/pre-condition/i.test(error.message)
        ? `an internal error: ${error.message}`
        : `its targets and \`where\` assumptions rejected ${details.numSkips} of ${details.numSkips + details.numRuns} generated inputs`;
      return {
        ...base,
        status: "failed",
        code: D.propertyVacuous.code,
        message: D.propertyVacuous.message(decl.name.value, why),
        seed: details.seed,
        runs: details.numRuns,
        details: ["loosen the `where` assumptions or the targets, or fix values with setup steps (actor, context, counter, at)"],
      };
    }
    const [shrunk] = details.counterexample;
    const verdict = await this.judge(p, setup, shrunk);
    const source = this.policy.checked.sources.find((s) => s.path === p.file)?.text;
    const expected = describeExpected(decl.expect, source);
    const outcome = verdict.status === "fail" ? verdict.outcome : null;
    const actual = verdict.status === "fail" ? verdict.actual : "a decision that passes when run again (the property depends on something not generated)";
    return {
      ...base,
      status: "failed",
      code: D.propertyFailed.code,
      message: D.propertyFailed.message(decl.name.value, details.numRuns, details.seed),
      expected,
      actual,
      seed: details.seed,
      runs: details.numRuns,
      ...(outcome !== null ? { decision: outcome.decision } : {}),
      details: outcome !== null ? failureDetails(outcome.decision) : [],
      counterexample: this.testBlock(decl, setup, this.scenarioOf(shrunk, setup), outcome, source),
    };
  }

  /** The counterexample as a test block that reproduces the failure. */
  testBlock(decl: PropertyDecl, setup: Setup, s: Scenario, outcome: ScenarioOutcome | null, source: string | undefined): string {
    const expect = source === undefined ? describeExpected(decl.expect) : source.slice(decl.expect.span.start, decl.expect.span.end);
    const used = new Set((outcome?.uses ?? []).map((u) => u.counter));
    return scenarioTestBlock(this.policy, celString(`counterexample: ${decl.name.value}`), s, used, expect, setup.approvals);
  }
}

/**
 * A scenario as a ready-to-paste `test` block: `name` is the block's name literal, `counters` the counters the
 * action reads or counts (only those, when not 0, are set), `expect` the outcome as written after `expect`.
 */
export function scenarioTestBlock(
  policy: CompiledPolicy,
  name: string,
  s: Scenario,
  counters: ReadonlySet<string>,
  expect: string,
  approvals: Setup["approvals"] = [],
): string {
  const c = policy.checked;
  const lines: string[] = [`test ${name} {`];
  const call = s.call;
  if (call.kind === "action") {
    const fields = c.actions.get(call.type)?.fields ?? new Map<string, FieldSchema>();
    lines.push(`  action ${call.type} ${inits(call.params, fields)}`);
  }
  lines.push(`  actor ${inits(s.actor, c.actor.fields)}`);
  lines.push(`  context ${inits(s.context, c.context.fields)}`);
  for (const [n, v] of [...s.counters].sort(([a], [b]) => (a < b ? -1 : 1))) if (counters.has(n) && v !== 0) lines.push(`  counter ${n} = ${v}`);
  for (const a of approvals) lines.push(`  approvals ${a.count}${a.group === null ? "" : ` of ${a.group}`}`);
  lines.push(`  at ${celString(isoMillis(s.now))}`);
  lines.push(`  expect ${expect}`);
  lines.push("}");
  return lines.join("\n");
}

function inits(values: JsonObject, fields: ReadonlyMap<string, FieldSchema>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const f = fields.get(k);
    parts.push(`${fieldName(k)}: ${f === undefined ? celLiteral(v, { kind: "dyn" }) : celLiteral(v, f.type)}`);
  }
  return parts.length === 0 ? "{}" : `{ ${parts.join(", ")} }`;
}

