// Bounded cost for every input (issue 15): parse, check and format of 1 MB and 4 MB policies (valid and broken),
// and the worst-case decision: the costliest conditions within the limits against the largest admitted input
// (DEFAULT_MAX_BYTES), each either finishing or denied by the CEL cost limit.
import { generatePolicy } from "./gen-policy.ts";
import { compilePolicy } from "../src/compile/load.ts";
import { parsePolicy } from "../src/syntax/parse.ts";
import { formatPolicy, type FormatResult } from "../src/format/format.ts";
import { parseExpression } from "../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../src/cel/checker.ts";
import { T, listType } from "../src/cel/types.ts";
import { compileExpression } from "../src/cel/planner.ts";
import { CelError } from "../src/cel/errors.ts";
import { DEFAULT_MAX_BYTES } from "../src/ir/json.ts";

export interface ScaleRow {
  readonly label: string;
  readonly ms: number;
  readonly cpuMs: number;
  readonly note: string;
}

function timed(f: () => string): { ms: number; cpuMs: number; note: string } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const note = f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, note };
}

/** A generated policy of about `bytes` characters. */
function policyOfSize(bytes: number): string {
  // about 125 bytes per rule in the generated shape
  let rules = Math.max(10, Math.round(bytes / 125));
  let text = generatePolicy(rules).text;
  rules = Math.max(10, Math.round((rules * bytes) / text.length));
  text = generatePolicy(rules).text;
  return text;
}

const formatNote = (r: FormatResult): string => (r.ok ? "formatted" : `refused: ${r.diagnostics.length} diagnostics`);

const broken = (text: string): string => text.replace(/\n/g, (m, off: number) => (off % 11 === 0 ? "\n ) ] = , " : m));

export function runScaleBench(quick: boolean): ScaleRow[] {
  const rows: ScaleRow[] = [];
  const sizes = quick ? [1 << 20] : [1 << 20, 4 << 20];
  for (const size of sizes) {
    const mb = `${size >> 20} MB`;
    const valid = policyOfSize(size);
    const bad = broken(valid);
    rows.push({ label: `parse, valid, ${mb}`, ...timed(() => `${parsePolicy(valid, "p.xpol").diagnostics.length} diagnostics`) });
    rows.push({ label: `parse, broken, ${mb}`, ...timed(() => `${parsePolicy(bad, "p.xpol").diagnostics.length} diagnostics`) });
    rows.push({
      label: `parse + check + compile, ${mb}`,
      ...timed(() => `${compilePolicy({ sources: [{ path: "p.xpol", text: valid }] }).diagnostics.length} diagnostics`),
    });
    rows.push({ label: `format, valid, ${mb}`, ...timed(() => formatNote(formatPolicy(valid, "p.xpol"))) });
    rows.push({ label: `format, broken, ${mb}`, ...timed(() => formatNote(formatPolicy(bad, "p.xpol"))) });
  }
  rows.push(...worstCaseDecisions());
  return rows;
}

/** The costliest conditions we could write, against inputs that fill DEFAULT_MAX_BYTES (one evaluation each). */
function worstCaseDecisions(): ScaleRow[] {
  const env = new TypeEnv()
    .withVariable("xs", listType(T.string))
    .withVariable("ys", listType(T.string))
    .withVariable("s", T.string)
    .withVariable("p", T.string);
  const half = DEFAULT_MAX_BYTES >> 1;
  const items = (n: number, prefix: string) => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  // ~1 MB of JSON in all: 20,000 + 60,000 short strings, or one string of ~1 MB
  const lists = { xs: items(20_000, "c-"), ys: items(60_000, "item-"), s: "", p: "" };
  const text = { xs: [], ys: [], s: "ab1".repeat(Math.floor(half / 3) * 2 - 10), p: "" };
  const cases: [string, string, Record<string, unknown>][] = [
    ["x in list, per context entry", "xs.exists(x, x in ys)", lists],
    ["nested comprehensions", "xs.all(x, ys.all(y, x != y))", lists],
    ["list equality, repeated", "xs.all(x, ys == ys + [])", lists],
    ["regex over 1 MB, repeated", "xs.all(x, s.matches('(foo|bar|baz|qux)[0-9]+x') == false) || s.matches('q')", { ...text, xs: items(1_000, "c-") }],
    ["contains over 1 MB, repeated", "ys.all(y, !s.contains(y))", { ...text, ys: items(10_000, "zz") }],
    ["dynamic regex, 500 KB pattern", "s.matches(p)", { ...text, s: "a", p: "[a-c]".repeat(100_000) }],
  ];
  const rows: ScaleRow[] = [];
  for (const [label, expr, act] of cases) {
    const parsed = parseExpression(expr);
    const checked = checkExpression(parsed.expr!, env);
    const f = compileExpression(checked.checked);
    f(act as never); // warm-up (and regex cache)
    rows.push({
      label: `worst-case decision: ${label}`,
      ...timed(() => {
        const r = f(act as never);
        return r instanceof CelError ? `${r.kind}` : `${String(r)}`;
      }),
    });
  }
  return rows;
}
