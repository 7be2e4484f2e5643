// What `xpol test` reports: one result per test or property block, per policy (a directory's files), with the
// diagnostics found before anything ran and, on request, coverage.
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import type { SourceFile } from "../diagnostics/source.ts";
import type { Decision } from "../vocabulary/decision.ts";
import type { CoverageReport } from "./coverage.ts";
import type { Span } from "../vocabulary/span.ts";

export type CaseStatus = "passed" | "failed" | "skipped";

export interface CaseResult {
  readonly kind: "test" | "property";
  readonly name: string;
  readonly file: string;
  /** the block's name */
  readonly span: Span;
  readonly status: CaseStatus;
  /** for a failure: one line, as in the diagnostic */
  readonly message?: string;
  /** XP7xxx code of the failure */
  readonly code?: string;
  /** the failing `expect` */
  readonly failSpan?: Span;
  readonly expected?: string;
  readonly actual?: string;
  /** the decision of a test, or of a property's shrunk counterexample */
  readonly decision?: Decision;
  /** further lines: contributing rules, reasons */
  readonly details: readonly string[];
  /** properties: runs made, the seed for replay, and the counterexample as a ready-to-paste test block */
  readonly runs?: number;
  readonly seed?: number;
  readonly counterexample?: string;
}

export interface PolicyTestReport {
  /** the directory or file set, as given */
  readonly label: string;
  /** the policy's name, null when it did not compile */
  readonly policy: string | null;
  readonly files: readonly string[];
  readonly results: readonly CaseResult[];
  /** compile diagnostics (errors stop the policy's tests from running) and test-setup problems */
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
  readonly coverage?: CoverageReport;
}

export interface TestTotals {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Counts; a policy whose compile or setup produced errors counts one failure per error. */
export function totals(reports: readonly PolicyTestReport[]): TestTotals {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of reports) {
    for (const c of r.results) {
      if (c.status === "passed") passed++;
      else if (c.status === "failed") failed++;
      else skipped++;
    }
    failed += r.diagnostics.filter((d) => d.severity === "error").length;
  }
  return { passed, failed, skipped };
}

/** `3 passed, 1 failed` (`, 2 skipped` only when some were). */
export function summaryLine(t: TestTotals): string {
  return `${t.passed} passed, ${t.failed} failed${t.skipped > 0 ? `, ${t.skipped} skipped` : ""}`;
}
