// Stateless decision and policy compile benchmarks. The harness (bench/run.ts) imports `decideBenchCase`,
// `timeDecisions` and `runCompileBench`; `npx tsx bench/decide.ts` runs them standalone and prints the results.
//
// Decisions: `policy.evaluate(ir, counters)` on SovereignIR values for the invoice example, cycling through a
// workload of its four action types whose counter values and inputs reach every outcome: allow, require approval
// and deny (an undeclared action type, a status outside the enum, a missing, a mistyped and an undeclared
// parameter: the example has no deny rule, so its denials are the fail-closed ones). The IRs are built up front:
// normalization and digests are not part of a stateless decision and are not timed. bench/cedar.ts translates the
// same workload into Cedar requests.
// Compile: parse + check + compile of a generated policy (bench/gen-policy.ts) of 100 / 1,000 / 10,000 rules.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy } from "../src/compile/load.ts";
import type { JsonObject, SovereignIR } from "../src/ir/types.ts";
import { generatePolicy } from "./gen-policy.ts";
import { summarize, type Summary } from "./stats.ts";
import type { CompiledPolicy } from "../src/engine/plan.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface DecideWorkItem {
  /** what the item exercises, for reports */
  readonly label: string;
  readonly ir: SovereignIR;
  /** the counter values this decision reads (the count before this action) */
  readonly counters: ReadonlyMap<string, number>;
}

export interface DecideBenchCase {
  readonly policy: CompiledPolicy;
  /** the workload, cycled through in order */
  readonly items: readonly DecideWorkItem[];
}

const SERVING_ONE = { assigned_customers: ["c-1"] };
const SERVING_TWO = { assigned_customers: ["c-1", "c-2", "c-7"] };

function item(label: string, type: string, params: JsonObject, statusUpdates: number | null, context: JsonObject = SERVING_ONE): DecideWorkItem {
  const target = typeof params.invoice_id === "string" ? `invoice/${params.invoice_id}` : `customer/${String(params.customer_id)}`;
  const ir: SovereignIR = {
    version: "1",
    action: { type, target, params },
    actor: { agent: "invoice-bot", on_behalf_of: "alice@example.com" },
    context,
    requested_at: "2026-01-31T12:00:00Z",
  };
  return { label, ir, counters: statusUpdates === null ? new Map() : new Map([["status_updates", statusUpdates]]) };
}

/** The invoice workload: 5 allowed, 5 needing approval, 5 denied. */
export function invoiceWorkload(): DecideWorkItem[] {
  return [
    item("read", "invoice.read", { invoice_id: "inv-1", customer_id: "c-1" }, null),
    item("status update, first of the month", "invoice.update_status", { invoice_id: "inv-1", customer_id: "c-1", status: "paid" }, 0),
    item("approval: delete", "invoice.delete", { invoice_id: "inv-3", customer_id: "c-1" }, null),
    item("read, other customer", "invoice.read", { invoice_id: "inv-2", customer_id: "c-2" }, null, SERVING_TWO),
    item("deny: undeclared action type", "invoice.refund", { invoice_id: "inv-2", customer_id: "c-2" }, null),
    item("approval: 1001st status update", "invoice.update_status", { invoice_id: "inv-4", customer_id: "c-2", status: "paid" }, 1000, SERVING_TWO),
    item("status update with a note, 1000th", "invoice.update_status", { invoice_id: "inv-5", customer_id: "c-1", status: "void", note: "duplicate" }, 999),
    item("deny: status outside the enum", "invoice.update_status", { invoice_id: "inv-6", customer_id: "c-1", status: "refunded" }, 10),
    item("approval: delete with a reason", "invoice.delete", { invoice_id: "inv-7", customer_id: "c-2", reason: "test data" }, null, SERVING_TWO),
    item("deny: missing customer_id", "invoice.read", { invoice_id: "inv-8" }, null),
    item("read, third", "invoice.read", { invoice_id: "inv-9", customer_id: "c-7" }, null, SERVING_TWO),
    item("approval: delete all", "invoice.delete_all", { customer_id: "c-2" }, null),
    item("deny: undeclared parameter", "invoice.delete_all", { customer_id: "c-1", force: true }, null),
    item("approval: status update far over the threshold", "invoice.update_status", { invoice_id: "inv-10", customer_id: "c-7", status: "disputed" }, 4200, SERVING_TWO),
    item("deny: mistyped invoice_id", "invoice.update_status", { invoice_id: 42, customer_id: "c-1", status: "paid" }, 3),
  ];
}

export function invoicePolicyCompiled(): CompiledPolicy {
  const r = compilePolicy({ files: ["examples/invoices/invoices.xpol"], cwd: repo });
  if (r.policy === null) throw new Error("the invoice example does not compile");
  return r.policy;
}

export function decideBenchCase(): DecideBenchCase {
  return { policy: invoicePolicyCompiled(), items: invoiceWorkload() };
}

let sink: unknown;

/** Milliseconds for `iterations` decisions cycling through the workload in order. */
export function timeDecisions(c: DecideBenchCase, iterations: number): number {
  const { policy, items } = c;
  const n = items.length;
  const irs = items.map((x) => x.ir);
  const counters = items.map((x) => x.counters);
  const t0 = performance.now();
  for (let i = 0, k = 0; i < iterations; i++) {
    sink = policy.evaluate(irs[k]!, counters[k]!);
    if (++k === n) k = 0;
  }
  return performance.now() - t0;
}

export interface DecideBenchResult {
  /** decisions per second, over the timed runs */
  readonly rate: Summary;
  /** how many decisions of each effect one pass over the workload makes */
  readonly effects: Readonly<Record<string, number>>;
}

/** `runs` (>= 5) timed runs of `iterations` decisions each, after a warm-up. */
export function runDecideBench(options: { iterations?: number; runs?: number } = {}): DecideBenchResult {
  const iterations = options.iterations ?? 1_000_000;
  const runs = Math.max(5, options.runs ?? 5);
  const c = decideBenchCase();
  const effects: Record<string, number> = {};
  for (const x of c.items) {
    const e = c.policy.evaluate(x.ir, x.counters).effect;
    effects[e] = (effects[e] ?? 0) + 1;
  }
  timeDecisions(c, 200_000);
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) rates.push((iterations / timeDecisions(c, iterations)) * 1000);
  void sink;
  return { rate: summarize(rates), effects };
}

export interface CompileBenchRow {
  readonly rules: number;
  /** wall-clock milliseconds for parse + check + compile */
  readonly ms: Summary;
  /** CPU milliseconds of the process over the same runs (less sensitive to other processes on a shared machine) */
  readonly cpuMs: Summary;
  /** median ms / rules */
  readonly msPerRule: number;
}

/** Per size: `runs` (>= 5) timed compilations after one warm-up compilation of a 1,000-rule policy. */
export function runCompileBench(sizes: readonly number[] = [100, 1000, 10000], runs = 5): CompileBenchRow[] {
  const n = Math.max(5, runs);
  const warm = generatePolicy(1000);
  if (compilePolicy({ sources: [{ path: warm.path, text: warm.text }] }).policy === null) throw new Error("the warm-up policy does not compile");
  return sizes.map((rules) => {
    const g = generatePolicy(rules);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < n; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = compilePolicy({ sources: [{ path: g.path, text: g.text }] });
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      if (r.policy === null) throw new Error(`generated policy of ${rules} rules does not compile`);
    }
    const ms = summarize(wall);
    return { rules, ms, cpuMs: summarize(cpu), msPerRule: ms.median / rules };
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const d = runDecideBench();
  console.log(
    `stateless decisions (invoice workload): ${(d.rate.median / 1e6).toFixed(2)}M/s (min ${(d.rate.min / 1e6).toFixed(2)}M, max ${(d.rate.max / 1e6).toFixed(2)}M), effects per pass: ${JSON.stringify(d.effects)}`,
  );
  for (const row of runCompileBench())
    console.log(`compile ${String(row.rules).padStart(6)} rules: ${row.ms.median.toFixed(1)} ms (cpu ${row.cpuMs.median.toFixed(1)} ms, ${(row.msPerRule * 1000).toFixed(0)} us/rule)`);
}
