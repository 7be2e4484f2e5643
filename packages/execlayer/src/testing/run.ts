// Running a compiled policy's test and property blocks: `runPolicyTests`, the embedding API behind `xpol test`.
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { ScenarioRunner } from "./scenario.ts";
import { TestExpressions } from "./expressions.ts";
import { prepareTests, runTest } from "./test-blocks.ts";
import { PropertyChecker, type PropertyOptions } from "./properties.ts";
import { CoverageCollector, type CoverageReport } from "./coverage.ts";
import type { CaseResult } from "./results.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export interface RunOptions extends PropertyOptions {
  /** collect coverage of rules, conditions, operands and escalations by the test blocks */
  readonly coverage?: boolean;
  /** run only blocks whose name contains this text; the others are skipped */
  readonly filter?: string;
  /** false: skip property blocks (default true) */
  readonly properties?: boolean;
}

export interface PolicyTestRun {
  /** test blocks first (in file and declaration order), then property blocks */
  readonly results: readonly CaseResult[];
  /** problems found before running (a test without `expect`, a value that cannot be computed, a type error in
   * `expect that`); the affected blocks do not run */
  readonly diagnostics: readonly Diagnostic[];
  readonly coverage?: CoverageReport;
}

/** Runs every test block, then every property block, of a compiled policy. Never throws for policy content. */
export async function runPolicyTests(policy: CompiledPolicy, options: RunOptions = {}): Promise<PolicyTestRun> {
  const runner = new ScenarioRunner(policy);
  const exprs = new TestExpressions(policy);
  const { cases, diagnostics } = prepareTests(policy, runner, exprs);
  const coverage = options.coverage === true ? new CoverageCollector(policy) : null;
  const wanted = (name: string): boolean => options.filter === undefined || name.includes(options.filter);
  const results: CaseResult[] = [];
  const sources = new Map(policy.checked.sources.map((s) => [s.path, s.text]));
  for (const c of cases) {
    if (!wanted(c.name)) {
      results.push({ kind: "test", name: c.name, file: c.file, span: c.span, status: "skipped", details: [] });
      continue;
    }
    const { result, outcome } = await runTest(policy, runner, exprs, c, sources.get(c.file));
    results.push(result);
    if (coverage !== null && outcome.ir !== null) coverage.record(outcome.ir, outcome.decision, c.scenario.counters, c.scenario.now);
  }
  const checker = new PropertyChecker(policy, runner, exprs);
  for (const p of policy.checked.properties) {
    const base = { kind: "property" as const, name: p.decl.name.value, file: p.file, span: p.decl.name.span, details: [] };
    if (!wanted(p.decl.name.value) || options.properties === false) {
      results.push({ ...base, status: "skipped" });
      continue;
    }
    results.push(await checker.check(p, options));
  }
  return { results, diagnostics, ...(coverage !== null ? { coverage: coverage.report() } : {}) };
}
