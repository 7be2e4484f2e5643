// CEL evaluation benchmark: our compiled closures against @bufbuild/cel's planned evaluation of the same
// expressions with the same inputs, in the same process. The benchmark harness imports `celBenchCases` and
// `runCelBench`; `npx tsx bench/cel.ts` runs it standalone and prints a table.
//
// Method: every case is checked once for equal results in both engines; then, per engine, a warm-up that also
// calibrates the iteration count to a run length, and `runs` (>= 5) timed runs, interleaving the engines; each
// figure is the median (with min and max) of the runs, the speedup the median of the paired run ratios.
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  CelScalar,
  celEnv,
  mapType as bufMapType,
  parse as bufParse,
  plan as bufPlan,
  type CelType as BufCelType,
} from "@bufbuild/cel";
import { strings as bufStrings } from "@bufbuild/cel/ext";
import { parseExpression } from "../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../src/cel/checker.ts";
import { T, listType, recordType, type CelType } from "../src/cel/types.ts";
import { compileExpression, type Activation, type CompiledExpression } from "../src/cel/planner.ts";
import { fromJson } from "../src/cel/json.ts";
import { CelError } from "../src/cel/errors.ts";
import { celEquals, type CelValue } from "../src/cel/values.ts";
import { pairedRatios, summarize, type Summary } from "./stats.ts";

export interface CelBenchCase {
  readonly name: string;
  readonly expr: string;
  /** variables for our engine: declared type and JSON value (converted with fromJson) */
  readonly vars: Readonly<Record<string, { readonly type: CelType; readonly json: unknown }>>;
  /** the same variables for @bufbuild/cel: its type and its input value */
  readonly buf: Readonly<Record<string, { readonly type: BufCelType; readonly value: unknown }>>;
  /** uses the strings extension: @bufbuild/cel gets its `strings` functions (ours has them built in) */
  readonly stringsExt?: boolean;
}

const action = recordType("action.invoice.refund", [
  { name: "type", type: T.string },
  { name: "target", type: T.string },
  { name: "tier", type: T.string },
  { name: "amount", type: T.int },
  { name: "customer", type: T.string },
  { name: "note", type: T.string, optional: true },
  { name: "rows", type: T.int },
  { name: "table", type: T.string },
  { name: "email", type: T.string },
]);
const actor = recordType("actor", [
  { name: "agent", type: T.string },
  { name: "on_behalf_of", type: T.string },
]);
const context = recordType("context", [{ name: "assigned_customers", type: listType(T.string) }]);
const counter = recordType("counter", [{ name: "status_updates", type: T.int }]);

const actionJson = {
  type: "invoice.refund",
  target: "invoice/i-42",
  tier: "T2",
  amount: 1500,
  customer: "c-7",
  note: "refund requested by customer",
  rows: 250,
  table: "orders",
  email: "jane.doe@example.com",
};
const assigned = ["c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8"];
const actorJson = { agent: "billing-bot", on_behalf_of: "jane" };

// @bufbuild/cel has no records: the same data as maps of string -> dyn, ints as bigint.
const bufAction = new Map<string, unknown>(
  Object.entries(actionJson).map(([k, v]) => [k, typeof v === "number" ? BigInt(v) : v]),
);
const bufContext = new Map<string, unknown>([["assigned_customers", assigned]]);
const bufActor = new Map<string, unknown>(Object.entries(actorJson));
const bufCounter = new Map<string, unknown>([["status_updates", 999n]]);
const dynMap = bufMapType(CelScalar.STRING, CelScalar.DYN);

const common = {
  vars: {
    action: { type: action, json: actionJson },
    actor: { type: actor, json: actorJson },
    context: { type: context, json: { assigned_customers: assigned } },
    counter: { type: counter, json: { status_updates: 999 } },
  },
  buf: {
    action: { type: dynMap, value: bufAction },
    actor: { type: dynMap, value: bufActor },
    context: { type: dynMap, value: bufContext },
    counter: { type: dynMap, value: bufCounter },
  },
} as const;

export const celBenchCases: readonly CelBenchCase[] = [
  {
    name: "refund condition (brief)",
    expr: 'action.amount > 1000 && action.customer in context.assigned_customers && action.note.startsWith("refund")',
    ...common,
  },
  { name: "counter threshold", expr: "counter.status_updates < 1000", ...common },
  {
    name: "actor and tier",
    expr: 'actor.agent == "billing-bot" && action.tier in ["T2", "T3"]',
    ...common,
  },
  {
    name: "exists over a list",
    expr: "context.assigned_customers.exists(c, c == action.customer)",
    ...common,
  },
  {
    name: "bulk read guard",
    expr: 'action.rows > 10000 || !(action.table in ["customers", "orders"])',
    ...common,
  },
  {
    name: "regex on a field",
    expr: 'action.email.matches("^[a-z.]+@example\\\\.com$")',
    ...common,
  },
  {
    name: "arithmetic and ternary",
    expr: "(action.amount * 2 + 100) / 3 > 1000 ? action.rows - 1 < 500 : false",
    ...common,
  },
  {
    name: "string concatenation",
    expr: 'action.target == "invoice/" + "i-42" && size(action.customer) == 3',
    ...common,
  },
];

/** The strings extension (the functions @bufbuild/cel has of our extension libraries), on the same inputs. */
export const celExtensionBenchCases: readonly CelBenchCase[] = [
  {
    name: "ext: recipient domain",
    expr: 'action.email.split("@")[1].lowerAscii() == "example.com"',
    ...common,
    stringsExt: true,
  },
  { name: "ext: upperAscii", expr: 'action.customer.upperAscii() == "C-7"', ...common, stringsExt: true },
  {
    name: "ext: indexOf and substring",
    expr: 'action.target.substring(action.target.indexOf("/") + 1) == "i-42"',
    ...common,
    stringsExt: true,
  },
  {
    name: "ext: replace and trim",
    expr: 'action.note.replace("refund", "return").trim().size() > 10',
    ...common,
    stringsExt: true,
  },
  { name: "ext: join", expr: 'context.assigned_customers.join(",").contains("c-7")', ...common, stringsExt: true },
  { name: "ext: format", expr: '"%s/%d".format([action.customer, action.rows]) == "c-7/250"', ...common, stringsExt: true },
  { name: "ext: strings.quote", expr: 'strings.quote(action.customer) == "\\"c-7\\""', ...common, stringsExt: true },
];

export interface PreparedCase {
  readonly name: string;
  readonly ours: () => unknown;
  readonly bufbuild: () => unknown;
}

/** Parses, checks and compiles a case for both engines; throws when they disagree (a benchmark bug). */
export function prepareCase(c: CelBenchCase): PreparedCase {
  const parsed = parseExpression(c.expr);
  if (parsed.expr === null) throw new Error(`${c.name}: parse failed: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  let env = new TypeEnv();
  const activation: Record<string, CelValue> = {};
  for (const [name, v] of Object.entries(c.vars)) {
    env = env.withVariable(name, v.type);
    const value = fromJson(v.json, v.type);
    if (value instanceof CelError) throw new Error(`${c.name}: ${name}: ${value.message}`);
    activation[name] = value;
  }
  const checked = checkExpression(parsed.expr, env);
  if (!checked.checked.ok) throw new Error(`${c.name}: ${checked.diagnostics.map((d) => d.message).join("; ")}`);
  const compiled: CompiledExpression = compileExpression(checked.checked);
  const act: Activation = activation;

  const bufVars: Record<string, BufCelType> = {};
  const bufBindings: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(c.buf)) {
    bufVars[name] = v.type;
    bufBindings[name] = v.value;
  }
  const bufEnv = celEnv(c.stringsExt === true ? { variables: bufVars, funcs: bufStrings } : { variables: bufVars });
  const bufEval = bufPlan(bufEnv, bufParse(c.expr)) as (ctx: Record<string, unknown>) => unknown;

  const ours = compiled(act);
  const theirs = bufEval(bufBindings);
  const same =
    !(ours instanceof CelError) &&
    (typeof theirs === "boolean" || typeof theirs === "bigint" || typeof theirs === "string"
      ? celEquals(ours, theirs as CelValue)
      : false);
  if (!same) throw new Error(`${c.name}: engines disagree: ours=${String(ours)} bufbuild=${String(theirs)}`);
  return { name: c.name, ours: () => compiled(act), bufbuild: () => bufEval(bufBindings) };
}

export interface BenchRow {
  readonly name: string;
  /** nanoseconds per evaluation over the timed runs (median, min, max) */
  readonly ours: Summary;
  readonly bufbuild: Summary;
  /** per run pair, bufbuild ns / ours ns: how many times faster we are (median, min, max) */
  readonly speedups: Summary;
}

export interface BenchOptions {
  /** timed runs per engine and case (median taken); at least 5 */
  readonly runs?: number;
  /** target duration of one timed run, per engine, in milliseconds: the iteration count is calibrated to it */
  readonly runMs?: number;
  /** duration of the warm-up, per engine, in milliseconds */
  readonly warmupMs?: number;
}

let sink: unknown;

function timeRun(fn: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let k = 0; k < iterations; k++) sink = fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Runs `fn` for about `ms` milliseconds (warming it up); returns how many calls take about `ms`. */
function calibrate(fn: () => unknown, ms: number): number {
  let n = 64;
  let spent = 0;
  let calls = 0;
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    spent += (timeRun(fn, n) * n) / 1e6;
    calls += n;
    n = Math.min(n * 2, 1 << 20);
  }
  return Math.max(1000, Math.round((calls / Math.max(spent, 1e-3)) * ms));
}

export function runCelBench(options: BenchOptions = {}): BenchRow[] {
  const runs = Math.max(5, options.runs ?? 7);
  const runMs = options.runMs ?? 150;
  const warmupMs = options.warmupMs ?? 200;
  const rows: BenchRow[] = [];
  for (const c of [...celBenchCases, ...celExtensionBenchCases]) {
    const p = prepareCase(c);
    // The warm-up doubles as calibration: each engine gets iterations worth about runMs per run.
    const oursIterations = calibrate(p.ours, warmupMs) * (runMs / warmupMs);
    const bufIterations = calibrate(p.bufbuild, warmupMs) * (runMs / warmupMs);
    const ours: number[] = [];
    const theirs: number[] = [];
    // Interleave the engines so drift (GC, other processes) affects both alike.
    for (let r = 0; r < runs; r++) {
      ours.push(timeRun(p.ours, Math.ceil(oursIterations)));
      theirs.push(timeRun(p.bufbuild, Math.ceil(bufIterations)));
    }
    rows.push({ name: c.name, ours: summarize(ours), bufbuild: summarize(theirs), speedups: summarize(pairedRatios(theirs, ours)) });
  }
  void sink;
  return rows;
}

export function formatBench(rows: readonly BenchRow[]): string {
  const lines = [`${"case".padEnd(28)} ${"ours ns/op".padStart(11)} ${"bufbuild ns/op".padStart(15)} ${"speedup".padStart(8)}`];
  for (const r of rows)
    lines.push(
      `${r.name.padEnd(28)} ${r.ours.median.toFixed(1).padStart(11)} ${r.bufbuild.median.toFixed(1).padStart(15)} ${(r.speedups.median.toFixed(1) + "x").padStart(8)}`,
    );
  return lines.join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.stdout.write(formatBench(runCelBench()) + "\n");
}
