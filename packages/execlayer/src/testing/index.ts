// src/testing: test and property blocks, schema-derived fast-check arbitraries, coverage (`xpol test`).
export { runPolicyTests, type RunOptions, type PolicyTestRun } from "./run.ts";
export { findPolicySets, testPolicySet, type PolicySet } from "./load.ts";
export { arbitraryAction, arbitraryActor, arbitraryContext, arbitraryProposal, type GeneratedAction } from "./arbitraries.ts";
export { ScenarioRunner, DEFAULT_TEST_TIME, DEFAULT_AGENT, type Scenario, type ScenarioCall, type ScenarioOutcome } from "./scenario.ts";
export { CoverageCollector, formatPercent, type CoverageReport, type CoverageItem, type FileCoverage } from "./coverage.ts";
export { totals, summaryLine, type CaseResult, type CaseStatus, type PolicyTestReport, type TestTotals } from "./results.ts";
export { DEFAULT_RUNS } from "./properties.ts";
