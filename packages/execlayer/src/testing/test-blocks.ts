// Test blocks: from the checked AST to scenarios with expectations (problems the checker does not see are
// diagnostics here, before anything runs), and running them.
import type { ExpectedOutcome, TestDecl, TestStep } from "../syntax/ast.ts";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import type { Decision } from "../vocabulary/decision.ts";
import { parseTimestamp } from "../cel/time.ts";
import { CelError } from "../cel/errors.ts";
import { constantJson, put } from "./values.ts";
import { DEFAULT_TEST_TIME, ScenarioRunner, withDefaults, type ApprovalsGiven, type Scenario, type ScenarioCall, type ScenarioOutcome } from "./scenario.ts";
import { TestExpressions, decisionValue, evalBool } from "./expressions.ts";
import { variablesFor, type Variables } from "../engine/activation.ts";
import { describeDecision, describeExpected, describeRules, outcomeHolds } from "./outcomes.ts";
import type { CaseResult } from "./results.ts";
import type { Span } from "../vocabulary/span.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export interface Expectation {
  readonly outcome: ExpectedOutcome;
  readonly span: Span;
}

export interface TestCase {
  readonly name: string;
  readonly file: string;
  readonly span: Span;
  readonly scenario: Scenario;
  /** the action type the call becomes (null when it does not become a valid action) */
  readonly actionType: string | null;
  readonly expects: readonly Expectation[];
}

/** Milliseconds of an RFC 3339 time, or undefined. */
export function timeMillis(text: string): number | undefined {
  const t = parseTimestamp(text);
  if (t instanceof CelError || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  return Number(t.nanos / 1_000_000n);
}

export const DEFAULT_TEST_MILLIS = timeMillis(DEFAULT_TEST_TIME)!;

/** The fixed setup steps shared by tests and properties: records, counters, approvals, time. */
export interface Setup {
  actor: Record<string, JsonValue>;
  context: Record<string, JsonValue>;
  counters: Map<string, number>;
  approvals: ApprovalsGiven[];
  now: number | null;
}

export function emptySetup(): Setup {
  return { actor: {}, context: {}, counters: new Map(), approvals: [], now: null };
}

/** Applies one setup step; returns problems as diagnostics. */
export function applySetupStep(setup: Setup, s: TestStep, file: string, owner: string, sink: Diagnostic[]): void {
  const bad = (span: Span, why: string): void => void sink.push(diagnostic(D.invalidTestStep, span, [why], { file }));
  switch (s.kind) {
    case "record": {
      const into = s.record === "actor" ? setup.actor : setup.context;
      for (const f of s.fields) {
        const v = constantJson(f.value);
        if (!v.ok) bad(f.value.span, `\`${s.record}.${f.name.text}\` cannot be computed: ${v.error}`);
        else put(into, f.name.text, v.value);
      }
      return;
    }
    case "counter": {
      const v = constantJson(s.value);
      if (!v.ok) return bad(s.value.span, `counter \`${s.name.text}\` cannot be computed: ${v.error}`);
      if (typeof v.value !== "number" || !Number.isSafeInteger(v.value) || v.value < 0)
        return bad(s.value.span, `counter \`${s.name.text}\` must be a non-negative integer below 2^53, found ${JSON.stringify(v.value)}`);
      if (setup.counters.has(s.name.text)) {
        sink.push(diagnostic(D.duplicateTestStep, s.span, [`counter ${s.name.text}`, owner], { file }));
        return;
      }
      setup.counters.set(s.name.text, v.value);
      return;
    }
    case "approvals":
      setup.approvals.push({ count: s.count.value, group: s.group?.text ?? null });
      return;
    case "at": {
      if (setup.now !== null) {
        sink.push(diagnostic(D.duplicateTestStep, s.span, ["at", owner], { file }));
        return;
      }
      const t = timeMillis(s.time.value);
      if (t === undefined) return bad(s.time.span, `\`${s.time.value}\` is not an RFC 3339 time`);
      setup.now = t;
      return;
    }
    default:
      return;
  }
}

/** Builds every test block of the policy into a case; a block with problems yields diagnostics instead. */
export function prepareTests(policy: CompiledPolicy, runner: ScenarioRunner, exprs: TestExpressions): { cases: TestCase[]; diagnostics: Diagnostic[] } {
  const cases: TestCase[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { file, decl } of policy.checked.tests) {
    const sink: Diagnostic[] = [];
    const c = prepareTest(policy, runner, exprs, file, decl, sink);
    diagnostics.push(...sink);
    if (c !== null && !sink.some((d) => d.severity === "error")) cases.push(c);
  }
  return { cases, diagnostics };
}

function prepareTest(
  policy: CompiledPolicy,
  runner: ScenarioRunner,
  exprs: TestExpressions,
  file: string,
  decl: TestDecl,
  sink: Diagnostic[],
): TestCase | null {
  const name = decl.name.value;
  const setup = emptySetup();
  let call: ScenarioCall | null = null;
  let callCount = 0;
  const expects: Expectation[] = [];
  for (const s of decl.steps) {
    switch (s.kind) {
      case "action":
      case "tool": {
        callCount++;
        if (callCount === 2) sink.push(diagnostic(D.testManyActions, s.span, [name], { file, help: "write one test per action" }));
        if (s.kind === "action") {
          const params: Record<string, JsonValue> = {};
          for (const f of s.fields) {
            const v = constantJson(f.value);
            if (!v.ok) sink.push(diagnostic(D.invalidTestStep, f.value.span, [`\`${f.name.text}\` cannot be computed: ${v.error}`], { file }));
            else put(params, f.name.text, v.value);
          }
          call = { kind: "action", type: s.action.text, params };
        } else {
          const v = constantJson(s.args);
          if (!v.ok) sink.push(diagnostic(D.invalidTestStep, s.args.span, [`the arguments of \`${s.tool.value}\` cannot be computed: ${v.error}`], { file }));
          else call = { kind: "tool", tool: s.tool.value, args: v.value as JsonObject };
        }
        break;
      }
      case "expect":
        expects.push({ outcome: s.outcome, span: s.span });
        break;
      default:
        applySetupStep(setup, s, file, name, sink);
    }
  }
  if (callCount === 0) sink.push(diagnostic(D.testWithoutAction, decl.name.span, [name], { file, help: "add `action TYPE { ... }` or `tool NAME { ... }`" }));
  if (expects.length === 0) sink.push(diagnostic(D.testWithoutExpect, decl.name.span, [name], { file, help: "add `expect allow`, `expect deny`, `expect require approval ...`, `expect not allow` or `expect that ...`" }));
  if (call === null) return null;
  const scenario: Scenario = {
    call,
    actor: withDefaults(policy.checked.actor, setup.actor, "actor"),
    context: withDefaults(policy.checked.context, setup.context, "context"),
    counters: setup.counters,
    approvals: setup.approvals,
    now: setup.now ?? DEFAULT_TEST_MILLIS,
  };
  const built = runner.enforceable.toIR(ScenarioRunner.proposal(call), { actor: scenario.actor, context: scenario.context, requestedAt: scenario.now });
  const actionType = built.ok ? built.ir.action.type : null;
  for (const e of expects) {
    if (e.outcome.kind !== "that") continue;
    const c = exprs.compile(e.outcome.condition, file, actionType ?? "", true, "an `expect that` condition");
    if (!c.ok) sink.push(...c.diagnostics);
  }
  return { name, file, span: decl.name.span, scenario, actionType, expects };
}

/** Runs one prepared test. */
export async function runTest(policy: CompiledPolicy, runner: ScenarioRunner, exprs: TestExpressions, c: TestCase, source: string | undefined): Promise<{ result: CaseResult; outcome: ScenarioOutcome }> {
  const outcome = await runner.run(c.scenario);
  const d = outcome.decision;
  const base = { kind: "test" as const, name: c.name, file: c.file, span: c.span };
  if (outcome.unusedCounters.length > 0 && outcome.ir !== null) {
    const names = outcome.unusedCounters.map((n) => `\`${n}\``).join(", ");
    const why = `counter ${names} is neither read nor counted by \`${outcome.ir.action.type}\`, so setting it has no effect`;
    return { result: { ...base, status: "failed", message: D.testError.message(c.name, why), code: D.testError.code, decision: d, details: [] }, outcome };
  }
  for (const e of c.expects) {
    const verdict = judgeOutcome(policy, exprs, c.file, e.outcome, c.scenario, outcome);
    if (verdict.kind === "untyped") {
      const why = verdict.diagnostics[0]?.message ?? "the condition does not type-check";
      return { result: { ...base, status: "failed", message: D.testError.message(c.name, why), code: D.testError.code, decision: d, details: [] }, outcome };
    }
    if (verdict.kind === "fails") {
      const { actual } = verdict;
      const expected = describeExpected(e.outcome, source);
      return {
        result: {
          ...base,
          status: "failed",
          message: D.testFailed.message(c.name, expected, actual),
          code: D.testFailed.code,
          failSpan: e.span,
          expected,
          actual,
          decision: d,
          details: failureDetails(d),
        },
        outcome,
      };
    }
  }
  return { result: { ...base, status: "passed", decision: d, details: [] }, outcome };
}

export type OutcomeVerdict =
  | { readonly kind: "holds" }
  | { readonly kind: "fails"; /** the decision as a failure shows it */ readonly actual: string }
  | { readonly kind: "untyped"; /** an `expect that` condition that does not type-check */ readonly diagnostics: readonly Diagnostic[] };

/**
 * One expected outcome against a scenario's decision, for test and property blocks alike. `vars`: the scenario's
 * variables when the caller built them already (`decision` is added to them).
 */
export function judgeOutcome(
  policy: CompiledPolicy,
  exprs: TestExpressions,
  file: string,
  expected: ExpectedOutcome,
  scenario: Scenario,
  outcome: ScenarioOutcome,
  vars?: Variables,
): OutcomeVerdict {
  const d = outcome.decision;
  const actual = describeDecision(d);
  if (expected.kind !== "that") return outcomeHolds(expected, d) ? { kind: "holds" } : { kind: "fails", actual };
  const c = exprs.compile(expected.condition, file, outcome.ir?.action.type ?? "", true, "an `expect that` condition");
  if (!c.ok) return { kind: "untyped", diagnostics: c.diagnostics };
  const v = vars ?? (outcome.ir === null ? {} : variablesFor(policy, outcome.ir, d.tier, scenario.counters, scenario.now));
  v["decision"] = decisionValue(d, outcome.approvals);
  const r = evalBool(c.fn, v);
  if (r === true) return { kind: "holds" };
  return { kind: "fails", actual: typeof r === "string" ? `${actual}, and the condition failed to evaluate: ${r}` : actual };
}

export function failureDetails(d: Decision): string[] {
  const out: string[] = [];
  const rules = describeRules(d);
  out.push(rules.length === 0 ? "rules:    none contributed" : `rules:    ${rules.join("; ")}`);
  for (const r of d.reasons) out.push(`reason:   ${r}`);
  return out;
}

