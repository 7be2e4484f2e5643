// How `xpol replay` and `xpol diff` print decision changes (a ChangeTally's summary), in the report formats of
// `xpol test`: text, json, junit (one test case per old -> new effect; a failure when --fail-on names its
// direction), github (one annotation per change, an error when --fail-on names its direction).
import { sameChange, type ApprovalChange, type ChangeDirection, type ChangeSummary, type GroupedTransition } from "../testing/changes.ts";
import type { Effect } from "../vocabulary/decision.ts";
import { githubCommand, junitDocument, parseReportFormat, xmlEscape, xmlText, type ReportFormat } from "./report-formats.ts";

export interface ChangeReport {
  /** `xpol replay`, `xpol diff` */
  readonly tool: string;
  /** lines said before the counts (what was compared) */
  readonly header: readonly string[];
  /** lines said after the counts (what could not be compared, declaration changes) */
  readonly notes: readonly string[];
  readonly changes: ChangeSummary;
  /** the document for --format json */
  readonly json: unknown;
}

/** The report options replay and diff share. */
export interface ChangeReportOptions {
  format: ReportFormat;
  failOn: ChangeDirection[];
}

/**
 * Reads `--format F` or `--fail-on WHICH` into `into` when `flag` is one of them: true when read, a message when
 * its value is wrong, false when `flag` is another option.
 */
export function readChangeReportOption(flag: string, value: () => string | undefined, into: ChangeReportOptions): boolean | string {
  if (flag === "--format") {
    const f = parseReportFormat(value() ?? "");
    if (f === undefined) return "--format is text, json, junit or github";
    into.format = f;
    return true;
  }
  if (flag === "--fail-on") {
    const v = value();
    if (v !== "widened" && v !== "narrowed") return "--fail-on is widened or narrowed";
    if (!into.failOn.includes(v)) into.failOn.push(v);
    return true;
  }
  return false;
}

export function effectName(e: Effect): string {
  return e === "require_approval" ? "require approval" : e;
}

function arrow(t: { readonly from: Effect; readonly to: Effect; readonly approvals?: ApprovalChange }): string {
  if (t.approvals !== undefined) return `${effectName(t.from)} (${t.approvals.from}) -> ${effectName(t.to)} (${t.approvals.to})`;
  return `${effectName(t.from)} -> ${effectName(t.to)}`;
}

function grouped(title: string, rows: readonly GroupedTransition[]): string[] {
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((r) => r.key.length));
  return [title, ...rows.map((r) => `  ${r.key.padEnd(width)}  ${arrow(r).padEnd(34)} ${r.count}`)];
}

/** Whether --fail-on's directions are met by the changes (exit 1). */
export function failsOn(changes: ChangeSummary, failOn: readonly ChangeDirection[]): boolean {
  return (failOn.includes("widened") && changes.widened > 0) || (failOn.includes("narrowed") && changes.narrowed > 0);
}

export function renderChangeReport(format: ReportFormat, r: ChangeReport, failOn: readonly ChangeDirection[]): string {
  const c = r.changes;
  switch (format) {
    case "json":
      return JSON.stringify(r.json, null, 2);
    case "human": {
      const out = [...r.header];
      out.push(
        `${c.compared} decision(s) compared: ${c.unchanged} unchanged, ${c.changed} changed (${c.widened} widened, ${c.narrowed} narrowed)`,
        "",
        "old -> new effect:",
      );
      for (const t of c.transitions) out.push(`  ${arrow(t).padEnd(36)} ${String(t.count).padStart(8)}${t.direction === null ? "" : `  ${t.direction}`}`);
      if (c.changed > 0) {
        out.push("", ...grouped("changes by action type:", c.byActionType), "", ...grouped("changes by rule:", c.byRule), "", "examples:");
        for (const e of c.examples) {
          const where = e.seq !== undefined ? `seq ${e.seq}${e.time !== undefined ? ` (${e.time})` : ""}` : "generated";
          out.push(`  ${arrow(e)}: ${where} ${e.actionType ?? "?"}${e.target !== null ? ` ${e.target}` : ""}`);
          out.push(`    rules before: ${e.oldRules.join(", ") || "none"}; after: ${e.newRules.join(", ") || "none"}`);
          if (e.reason !== "") out.push(`    ${e.reason}`);
          if (e.test !== undefined) out.push(...e.test.split("\n").map((l) => `    ${l}`));
        }
      } else {
        out.push("", "no decision changes");
      }
      if (r.notes.length > 0) out.push("", ...r.notes);
      return out.join("\n");
    }
    case "junit": {
      const cases: string[] = [];
      let failures = 0;
      const changed = c.transitions.filter((t) => t.direction !== null);
      for (const t of changed) {
        const head = `    <testcase name="${xmlEscape(`${arrow(t)} (${t.direction})`)}" classname="${xmlEscape(r.tool)}"`;
        const examples = c.examples.filter((e) => sameChange(e, t));
        const text = [`${t.count} decision(s) changed`, ...examples.map((e) => (e.test !== undefined ? e.test : `seq ${e.seq}: ${e.actionType ?? "?"} ${e.reason}`))].join("\n");
        if (failOn.includes(t.direction!)) {
          failures++;
          cases.push(`${head}>`, `      <failure message="${xmlEscape(`${t.count} decision(s) ${t.direction}: ${arrow(t)}`)}" type="${t.direction}">${xmlText(text)}</failure>`, "    </testcase>");
        } else {
          cases.push(`${head}>`, `      <system-out>${xmlText(text)}</system-out>`, "    </testcase>");
        }
      }
      cases.push(`    <testcase name="${xmlEscape(`${c.unchanged} decision(s) unchanged`)}" classname="${xmlEscape(r.tool)}"/>`);
      const n = cases.filter((l) => l.startsWith("    <testcase")).length;
      return junitDocument(r.tool, [`  <testsuite name="${xmlEscape(r.tool)}" tests="${n}" failures="${failures}" errors="0" skipped="0">`, ...cases, "  </testsuite>"], n, failures, 0);
    }
    case "github": {
      const out: string[] = [];
      for (const t of c.transitions) {
        if (t.direction === null) continue;
        const level = failOn.includes(t.direction) ? "error" : "warning";
        const rules = c.byRule.filter((g) => sameChange(g, t)).map((g) => `${g.key} (${g.count})`);
        const ex = c.examples.find((e) => sameChange(e, t));
        const where = ex === undefined ? "" : ex.seq !== undefined ? `; e.g. receipt seq ${ex.seq}` : ex.test !== undefined ? `\n${ex.test}` : "";
        out.push(githubCommand({ level, title: `${r.tool}: ${t.direction}`, message: `${t.count} decision(s) ${arrow(t)}; rules: ${rules.join(", ")}${where}` }));
      }
      out.push(githubCommand({ level: "notice", title: r.tool, message: `${c.compared} compared, ${c.changed} changed (${c.widened} widened, ${c.narrowed} narrowed)` }));
      for (const n of r.notes) out.push(githubCommand({ level: "notice", title: r.tool, message: n }));
      return out.join("\n");
    }
  }
}
