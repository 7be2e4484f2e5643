// How `xpol check` and `xpol test` print what they found, in one of four formats:
//   human   rendered diagnostics with source snippets; test failures with expected / actual / rules
//   json    one JSON document
//   junit   JUnit XML (one <testsuite> per policy or file), for CI test reporters
//   github  GitHub Actions workflow commands (`::error file=...,line=...,col=...::message`), which annotate the diff
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
// renderDiagnostics (not renderDiagnostic one by one): it also locates related notes that point into other files
import { diagnosticToJson, renderDiagnostic, renderDiagnostics } from "../diagnostics/render.ts";
import { SourceFile } from "../diagnostics/source.ts";
import type { CaseResult, PolicyTestReport, TestTotals } from "../testing/results.ts";
import { summaryLine } from "../testing/results.ts";
import { formatPercent, type CoverageItem, type CoverageReport } from "../testing/coverage.ts";
import { decisionToJson } from "../runtime/receipt-body.ts";

export const REPORT_FORMATS = ["human", "json", "junit", "github"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function parseReportFormat(text: string): ReportFormat | undefined {
  if (text === "text") return "human"; // `xpol check`'s name for it
  return (REPORT_FORMATS as readonly string[]).includes(text) ? (text as ReportFormat) : undefined;
}

type Sources = ReadonlyMap<string, SourceFile>;

function position(sources: Sources, file: string | undefined, offset: number): { line: number; column: number } {
  const s = file === undefined ? undefined : sources.get(file);
  return s === undefined ? { line: 1, column: 1 } : s.position(offset);
}

// ---------------------------------------------------------------------------------------------------------------
// Escaping

/** Text safe inside XML 1.0 attributes and elements: escaped, and characters XML cannot hold replaced. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;")
    .replace(/\t/g, "&#9;");
}

/** Element content: as xmlEscape, but line breaks and tabs stay readable. */
export function xmlText(text: string): string {
  return xmlEscape(text).replace(/&#10;/g, "\n").replace(/&#9;/g, "\t").replace(/&#13;/g, "");
}

/** The data of a workflow command (after `::`). */
export function githubData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A property value of a workflow command (`file=...`, `title=...`). */
export function githubProperty(text: string): string {
  return githubData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export interface Annotation {
  readonly level: "error" | "warning" | "notice";
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  readonly title?: string;
  readonly message: string;
}

export function githubCommand(a: Annotation): string {
  const props: string[] = [];
  if (a.file !== undefined) props.push(`file=${githubProperty(a.file)}`);
  if (a.line !== undefined) props.push(`line=${a.line}`);
  if (a.column !== undefined) props.push(`col=${a.column}`);
  if (a.endLine !== undefined) props.push(`endLine=${a.endLine}`);
  if (a.endColumn !== undefined) props.push(`endColumn=${a.endColumn}`);
  if (a.title !== undefined) props.push(`title=${githubProperty(a.title)}`);
  return `::${a.level}${props.length > 0 ? " " + props.join(",") : ""}::${githubData(a.message)}`;
}

function diagnosticAnnotation(d: Diagnostic, sources: Sources): Annotation {
  const level = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "notice";
  const start = position(sources, d.file, d.span.start);
  const end = position(sources, d.file, d.span.end);
  const message = d.help === undefined ? d.message : `${d.message}\nhelp: ${d.help}`;
  return {
    level,
    ...(d.file !== undefined ? { file: d.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column } : {}),
    title: d.code,
    message,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Diagnostics alone (`xpol check`, `xpol fmt`)

export interface DiagnosticsReport {
  /** the files looked at, for junit's test cases */
  readonly files: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: Sources;
  /** the tool, for junit's suite name */
  readonly tool: string;
}

export function renderDiagnosticsReport(format: ReportFormat, r: DiagnosticsReport): string {
  switch (format) {
    case "human":
      return renderDiagnostics(r.diagnostics, r.sources);
    case "json":
      return JSON.stringify(
        {
          diagnostics: r.diagnostics.map((d) => diagnosticToJson(d, d.file === undefined ? undefined : r.sources.get(d.file))),
          errors: r.diagnostics.filter((d) => d.severity === "error").length,
          warnings: r.diagnostics.filter((d) => d.severity === "warning").length,
        },
        null,
        2,
      );
    case "github":
      return r.diagnostics.map((d) => githubCommand(diagnosticAnnotation(d, r.sources))).join("\n");
    case "junit": {
      const files = [...new Set([...r.files, ...r.diagnostics.map((d) => d.file ?? "<input>")])];
      const cases = files.map((f) => {
        const mine = r.diagnostics.filter((d) => (d.file ?? "<input>") === f && d.severity === "error");
        if (mine.length === 0) return `    <testcase name="${xmlEscape(f)}" classname="${xmlEscape(r.tool)}"/>`;
        const text = renderDiagnostics(mine, r.sources);
        return [
          `    <testcase name="${xmlEscape(f)}" classname="${xmlEscape(r.tool)}" file="${xmlEscape(f)}">`,
          `      <failure message="${xmlEscape(mine.map((d) => `${d.code}: ${d.message}`).join("; "))}" type="${xmlEscape(mine[0]!.code)}">${xmlText(text)}</failure>`,
          "    </testcase>",
        ].join("\n");
      });
      const failures = files.filter((f) => r.diagnostics.some((d) => (d.file ?? "<input>") === f && d.severity === "error")).length;
      return junitDocument(r.tool, [
        `  <testsuite name="${xmlEscape(r.tool)}" tests="${files.length}" failures="${failures}" errors="0" skipped="0">`,
        ...cases,
        "  </testsuite>",
      ], files.length, failures, 0);
    }
  }
}

export function junitDocument(name: string, suites: readonly string[], tests: number, failures: number, skipped: number): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(name)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...suites,
    "</testsuites>",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// Test reports (`xpol test`)

export interface TestReportOptions {
  /** problems found while looking for files (unreadable paths, folders without tests) */
  readonly discovery: readonly Diagnostic[];
  readonly totals: TestTotals;
  /** the seed the properties used (replay with --seed) */
  readonly seed?: number;
  readonly coverage: boolean;
  readonly minCoverage?: number;
  /** the combined coverage and whether it is below the minimum */
  readonly coverageBelow?: Diagnostic;
}

function location(sources: Sources, file: string, offset: number): string {
  const p = position(sources, file, offset);
  return `${file}:${p.line}:${p.column}`;
}

function caseTitle(c: CaseResult): string {
  return `${c.kind} ${JSON.stringify(c.name)}`;
}

function failureLines(c: CaseResult): string[] {
  const out: string[] = [];
  if (c.kind === "property" && c.seed !== undefined && c.counterexample !== undefined) out.push(`falsified after ${c.runs ?? 0} runs; replay with --seed ${c.seed}`);
  if (c.expected !== undefined) out.push(`expected: ${c.expected}`);
  if (c.actual !== undefined) out.push(`actual:   ${c.actual}`);
  if (c.expected === undefined && c.message !== undefined) out.push(c.message);
  out.push(...c.details);
  if (c.counterexample !== undefined) {
    out.push("counterexample, as a test block:");
    out.push(...c.counterexample.split("\n").map((l) => "  " + l));
  }
  return out;
}

function coverageItemText(i: CoverageItem): string {
  switch (i.kind) {
    case "rule":
      return `rule \`${i.owner}\` never applied`;
    case "condition":
      return `rule \`${i.owner}\`: condition never ${i.branch === "else" ? "false (its `else` never taken)" : i.branch}`;
    case "operand":
      return `rule \`${i.owner}\`: \`${i.text}\` never ${i.branch}`;
    case "escalation":
      return `\`${i.owner} when ${i.text}\` never ${i.branch === "true" ? "held" : "failed to hold"}`;
  }
}

function coverageHuman(reports: readonly PolicyTestReport[], combined: CoverageReport): string[] {
  const out: string[] = [`coverage: ${formatPercent(combined.percent)}% (${combined.covered} of ${combined.total} rules and branches)`];
  for (const r of reports) {
    const cov = r.coverage;
    if (cov === undefined) continue;
    for (const f of cov.files) {
      if (f.total === 0) continue;
      out.push(`  ${f.file}  ${formatPercent((100 * f.covered) / f.total)}% (${f.covered}/${f.total})`);
      for (const i of cov.items) {
        if (i.file !== f.file || i.covered) continue;
        const p = position(r.sources, i.file, i.span.start);
        out.push(`    ${p.line}:${p.column}  ${coverageItemText(i)}`);
      }
    }
  }
  return out;
}

/** Combined coverage over several reports. */
export function combinedCoverage(reports: readonly PolicyTestReport[]): CoverageReport {
  const items = reports.flatMap((r) => r.coverage?.items ?? []);
  const files = reports.flatMap((r) => r.coverage?.files ?? []);
  const covered = items.filter((i) => i.covered).length;
  return { items, files, covered, total: items.length, percent: items.length === 0 ? 100 : (100 * covered) / items.length };
}

export function renderTestReport(format: ReportFormat, reports: readonly PolicyTestReport[], o: TestReportOptions): string {
  const combined = combinedCoverage(reports);
  switch (format) {
    case "human":
      return humanTests(reports, o, combined);
    case "json":
      return JSON.stringify(jsonTests(reports, o, combined), null, 2);
    case "junit":
      return junitTests(reports, o);
    case "github":
      return githubTests(reports, o, combined);
  }
}

function humanTests(reports: readonly PolicyTestReport[], o: TestReportOptions, combined: CoverageReport): string {
  const out: string[] = [];
  const noSources: Sources = new Map();
  for (const d of o.discovery) out.push(renderDiagnostic(d, undefined).split("\n")[0]!);
  for (const r of reports) {
    const passed = r.results.filter((c) => c.status === "passed").length;
    const failed = r.results.filter((c) => c.status === "failed").length;
    const skipped = r.results.filter((c) => c.status === "skipped").length;
    const errors = r.diagnostics.filter((d) => d.severity === "error").length;
    const bad = failed + errors > 0;
    const what = r.policy === null ? "does not compile" : `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    out.push(`${bad ? "FAIL" : "ok  "} ${r.label}${r.policy !== null ? ` (policy ${r.policy})` : ""}: ${what}`);
  }
  for (const r of reports) {
    if (r.diagnostics.length > 0) {
      out.push("");
      out.push(renderDiagnostics(r.diagnostics, r.sources));
    }
    for (const c of r.results) {
      if (c.status !== "failed") continue;
      out.push("");
      out.push(`FAIL ${location(r.sources ?? noSources, c.file, (c.failSpan ?? c.span).start)} ${caseTitle(c)}`);
      for (const l of failureLines(c)) out.push(`  ${l}`);
    }
  }
  if (o.seed !== undefined && reports.some((r) => r.results.some((c) => c.kind === "property" && c.status !== "skipped"))) {
    out.push("");
    out.push(`properties ran with seed ${o.seed} (replay with --seed ${o.seed})`);
  }
  if (o.coverage) {
    out.push("");
    out.push(...coverageHuman(reports, combined));
    if (o.coverageBelow !== undefined) out.push(`error[${o.coverageBelow.code}]: ${o.coverageBelow.message}`);
  }
  out.push("");
  const notCompiled = reports.filter((r) => r.policy === null).length;
  if (notCompiled > 0 && notCompiled === reports.length)
    out.push(`no test ran: ${notCompiled === 1 ? "the policy does" : `${notCompiled} policies do`} not compile (the errors are above)`);
  else if (notCompiled > 0)
    out.push(`${summaryLine(o.totals)}; ${notCompiled} ${notCompiled === 1 ? "policy does" : "policies do"} not compile, and no test of ${notCompiled === 1 ? "it" : "them"} ran`);
  else out.push(summaryLine(o.totals));
  return out.join("\n").replace(/^\n+/, "");
}

function jsonTests(reports: readonly PolicyTestReport[], o: TestReportOptions, combined: CoverageReport): unknown {
  const diag = (d: Diagnostic, sources: Sources): unknown => diagnosticToJson(d, d.file === undefined ? undefined : sources.get(d.file));
  return {
    summary: { passed: o.totals.passed, failed: o.totals.failed, skipped: o.totals.skipped },
    seed: o.seed ?? null,
    discovery: o.discovery.map((d) => diag(d, new Map())),
    policies: reports.map((r) => ({
      label: r.label,
      policy: r.policy,
      files: r.files,
      diagnostics: r.diagnostics.map((d) => diag(d, r.sources)),
      results: r.results.map((c) => {
        const p = position(r.sources, c.file, (c.failSpan ?? c.span).start);
        return {
          kind: c.kind,
          name: c.name,
          status: c.status,
          file: c.file,
          line: p.line,
          column: p.column,
          code: c.code ?? null,
          message: c.message ?? null,
          expected: c.expected ?? null,
          actual: c.actual ?? null,
          decision: c.decision === undefined ? null : decisionToJson(c.decision),
          details: c.details,
          ...(c.kind === "property" ? { runs: c.runs ?? null, seed: c.seed ?? null, counterexample: c.counterexample ?? null } : {}),
        };
      }),
      ...(r.coverage !== undefined
        ? {
            coverage: {
              covered: r.coverage.covered,
              total: r.coverage.total,
              percent: r.coverage.percent,
              files: r.coverage.files,
              items: r.coverage.items.map((i) => {
                const p = position(r.sources, i.file, i.span.start);
                return { file: i.file, line: p.line, column: p.column, kind: i.kind, owner: i.owner, branch: i.branch, text: i.text, covered: i.covered };
              }),
            },
          }
        : {}),
    })),
    ...(o.coverage ? { coverage: { covered: combined.covered, total: combined.total, percent: combined.percent, minimum: o.minCoverage ?? null } } : {}),
  };
}

function junitTests(reports: readonly PolicyTestReport[], o: TestReportOptions): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const r of reports) {
    const cases: string[] = [];
    let f = 0;
    let s = 0;
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      f++;
      const text = renderDiagnostics(errors, r.sources);
      cases.push(
        `    <testcase name="compile" classname="${xmlEscape(r.label)}">`,
        `      <failure message="${xmlEscape(errors.map((d) => `${d.code}: ${d.message}`).join("; "))}" type="${xmlEscape(errors[0]!.code)}">${xmlText(text)}</failure>`,
        "    </testcase>",
      );
    }
    for (const c of r.results) {
      const p = position(r.sources, c.file, c.span.start);
      const head = `    <testcase name="${xmlEscape(caseTitle(c))}" classname="${xmlEscape(c.file)}" file="${xmlEscape(c.file)}" line="${p.line}"`;
      if (c.status === "passed") cases.push(`${head}/>`);
      else if (c.status === "skipped") {
        s++;
        cases.push(`${head}>`, "      <skipped/>", "    </testcase>");
      } else {
        f++;
        cases.push(
          `${head}>`,
          `      <failure message="${xmlEscape(c.message ?? "failed")}" type="${xmlEscape(c.code ?? "failure")}">${xmlText(failureLines(c).join("\n"))}</failure>`,
          "    </testcase>",
        );
      }
    }
    const n = r.results.length + (errors.length > 0 ? 1 : 0);
    tests += n;
    failures += f;
    skipped += s;
    suites.push(`  <testsuite name="${xmlEscape(r.label)}" tests="${n}" failures="${f}" errors="0" skipped="${s}">`, ...cases, "  </testsuite>");
  }
  if (o.coverageBelow !== undefined) {
    tests++;
    failures++;
    suites.push(
      `  <testsuite name="coverage" tests="1" failures="1" errors="0" skipped="0">`,
      `    <testcase name="minimum coverage" classname="coverage">`,
      `      <failure message="${xmlEscape(o.coverageBelow.message)}" type="${o.coverageBelow.code}"/>`,
      "    </testcase>",
      "  </testsuite>",
    );
  }
  return junitDocument("xpol test", suites, tests, failures, skipped);
}

function githubTests(reports: readonly PolicyTestReport[], o: TestReportOptions, combined: CoverageReport): string {
  const out: string[] = [];
  for (const d of o.discovery) out.push(githubCommand(diagnosticAnnotation(d, new Map())));
  for (const r of reports) {
    for (const d of r.diagnostics) out.push(githubCommand(diagnosticAnnotation(d, r.sources)));
    for (const c of r.results) {
      if (c.status !== "failed") continue;
      const span = c.failSpan ?? c.span;
      const start = position(r.sources, c.file, span.start);
      const end = position(r.sources, c.file, span.end);
      out.push(
        githubCommand({
          level: "error",
          file: c.file,
          line: start.line,
          column: start.column,
          endLine: end.line,
          endColumn: end.column,
          title: `${c.code ?? "XP7001"} ${caseTitle(c)}`,
          message: [c.message ?? "failed", ...failureLines(c)].join("\n"),
        }),
      );
    }
    if (o.coverage && r.coverage !== undefined) {
      for (const i of r.coverage.items) {
        if (i.covered) continue;
        const p = position(r.sources, i.file, i.span.start);
        out.push(githubCommand({ level: "notice", file: i.file, line: p.line, column: p.column, title: "not covered by tests", message: coverageItemText(i) }));
      }
    }
  }
  if (o.coverageBelow !== undefined) out.push(githubCommand({ level: "error", title: o.coverageBelow.code, message: o.coverageBelow.message }));
  if (o.coverage) out.push(`coverage: ${formatPercent(combined.percent)}% (${combined.covered} of ${combined.total})`);
  out.push(summaryLine(o.totals));
  return out.join("\n");
}
