// Stateless decision and policy compile benchmarks. The harness imports `decideBenchCase`, `runDecideBench` and
// `runCompileBench`; `npx tsx bench/decide.ts` runs them standalone and prints the results.
//
// Decisions: `policy.evaluate(ir, counters)` on already-normalized SovereignIR values for the invoice example,
// cycling through a mix of its four action types (reads, status updates under and over the monthly threshold,
// deletes, bulk deletes). Normalization and digests are not part of a stateless decision and are not timed.
// Compile: parse + check + compile of a generated policy (bench/gen-policy.ts) of 100 / 1,000 / 10,000 rules.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy } from "../src/policy.ts";
import type { CompiledPolicy } from "../src/compile/policy-compiler.ts";
import type { SovereignIR } from "../src/ir/types.ts";
import { generatePolicy } from "./gen-policy.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface DecideBenchCase {
  readonly policy: CompiledPolicy;
  /** the action mix, cycled through in order */
  readonly actions: readonly SovereignIR[];
  /** counter values passed with every decision */
  readonly counters: ReadonlyMap<string, number>;
}

function ir(type: string, params: Record<string, string>): SovereignIR {
  return {
    version: "1",
    action: { type, target: `invoice/${params.invoice_id ?? params.customer_id}`, params },
    actor: { agent: "invoice-bot", on_behalf_of: "alice@example.com" },
    context: { assigned_customers: ["c-1", "c-2"] },
    requested_at: "2026-01-31T12:00:00Z",
  };
}

export function decideBenchCase(): DecideBenchCase {
  const files = ["examples/invoices/invoices.xpol"];
  const r = compilePolicy({ files, cwd: repo });
  if (r.policy === null) throw new Error("the invoice example does not compile");
  const actions = [
    ir("invoice.read", { invoice_id: "inv-1", customer_id: "c-1" }),
    ir("invoice.update_status", { invoice_id: "inv-1", customer_id: "c-1", status: "paid" }),
    ir("invoice.read", { invoice_id: "inv-2", customer_id: "c-2" }),
    ir("invoice.delete", { invoice_id: "inv-3", customer_id: "c-1" }),
    ir("invoice.update_status", { invoice_id: "inv-4", customer_id: "c-2", status: "void", note: "duplicate" }),
    ir("invoice.delete_all", { customer_id: "c-2" }),
  ];
  return { policy: r.policy, actions, counters: new Map([["status_updates", 999]]) };
}

export interface DecideBenchResult {
  readonly decisions: number;
  readonly seconds: number;
  readonly decisionsPerSecond: number;
  readonly effects: Readonly<Record<string, number>>;
}

/** Median of `runs` timed runs of `iterations` decisions each, after a warm-up. */
export function runDecideBench(options: { iterations?: number; runs?: number } = {}): DecideBenchResult {
  const iterations = options.iterations ?? 1_000_000;
  const runs = Math.max(1, options.runs ?? 5);
  const { policy, actions, counters } = decideBenchCase();
  const n = actions.length;
  const effects: Record<string, number> = {};
  for (let i = 0; i < 200_000; i++) policy.evaluate(actions[i % n]!, counters);
  for (let i = 0; i < n; i++) {
    const e = policy.evaluate(actions[i]!, counters).effect;
    effects[e] = (effects[e] ?? 0) + 1;
  }
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) policy.evaluate(actions[i % n]!, counters);
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const seconds = times[Math.floor(times.length / 2)]!;
  return { decisions: iterations, seconds, decisionsPerSecond: iterations / seconds, effects };
}

export interface CompileBenchRow {
  readonly rules: number;
  /** best of `runs`, milliseconds, parse + check + compile */
  readonly ms: number;
  readonly msPerRule: number;
}

export function runCompileBench(sizes: readonly number[] = [100, 1000, 10000], runs = 3): CompileBenchRow[] {
  // warm the parser, checker and compiler once
  const warm = generatePolicy(200);
  compilePolicy({ sources: [{ path: warm.path, text: warm.text }] });
  return sizes.map((rules) => {
    const g = generatePolicy(rules);
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = compilePolicy({ sources: [{ path: g.path, text: g.text }] });
      const dt = performance.now() - t0;
      if (r.policy === null) throw new Error(`generated policy of ${rules} rules does not compile`);
      best = Math.min(best, dt);
    }
    return { rules, ms: best, msPerRule: best / rules };
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const d = runDecideBench();
  console.log(`stateless decisions (invoice mix): ${(d.decisionsPerSecond / 1e6).toFixed(2)}M/s (${((d.seconds / d.decisions) * 1e9).toFixed(0)} ns each), effects in the mix: ${JSON.stringify(d.effects)}`);
  for (const row of runCompileBench()) console.log(`compile ${String(row.rules).padStart(6)} rules: ${row.ms.toFixed(1)} ms (${(row.msPerRule * 1000).toFixed(0)} us/rule)`);
}
