// The replay case: `xpol replay --key` over a 100,000-receipt log must cost at most 10% more than `xpol verify` of the
// same log. Both run here on the same log, interleaved run by run: verifyLog alone, then verifyLog with the Replayer
// reading every body in the same pass (what `xpol replay --key` does). The log holds real decision bodies of the
// invoices example (the Enforcer's body builder over its own IRs and counter reads), a month of status updates,
// reads and deletes, so re-deciding them runs the example's rules and counters.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPolicyPipeline } from "../src/compile/pipeline.ts";
import type { CompiledPolicy } from "../src/engine/plan.ts";
import { enforceableFrom } from "../src/engine/enforceable.ts";
import { ReceiptLog } from "../src/receipts/log.ts";
import { NativeSigner } from "../src/receipts/signer.ts";
import { verifyLog } from "../src/receipts/verify-log.ts";
import { decisionBody, policyJson } from "../src/runtime/receipt-body.ts";
import { Replayer, type ReplayReport } from "../src/testing/replay.ts";
import type { StateChange } from "../src/runtime/store.ts";
import { toolCallProposal } from "../src/runtime/tool-call.ts";
import { pair, timeVerifyLog } from "./receipts.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

export function compileExample(tighten: boolean): CompiledPolicy {
  const file = path.join(here, "../examples/invoices/invoices.xpol");
  let text = readFileSync(file, "utf8");
  if (tighten) text = text.replace("counter.status_updates < 1000", "counter.status_updates < 500");
  const r = runPolicyPipeline({ sources: [{ path: "invoices.xpol", text }] });
  if (r.policy === null) throw new Error("the invoices example does not compile");
  return r.policy;
}

/** Writes `receipts` decision receipts of the invoices example into a new temporary directory. */
export async function writeReplayLog(receipts: number): Promise<string> {
  const compiled = compileExample(false);
  const policy = enforceableFrom(compiled);
  const identity = policyJson(policy);
  const dir = mkdtempSync(path.join(tmpdir(), "xp-bench-replay-"));
  const log = await ReceiptLog.open(dir, { signer: new NativeSigner(pair), origin: "bench.example/replay", durability: "none" });
  const start = Date.parse("2026-03-01T00:00:00Z");
  const monthly = new Map<string, number>();
  for (let i = 0; i < receipts; i++) {
    const now = start + i * 20_000;
    const agent = `agent-${i % 5}`;
    const tool = i % 10 === 9 ? "get_invoice" : i % 100 === 50 ? "delete_invoice" : "set_invoice_status";
    const args = tool === "set_invoice_status" ? { invoice_id: `inv-${i}`, customer_id: `c-${i % 7}`, status: "paid" } : { invoice_id: `inv-${i}`, customer_id: `c-${i % 7}` };
    const built = policy.toIR(toolCallProposal(tool, args), { actor: { agent, on_behalf_of: "ops@example.com" }, context: { assigned_customers: ["c-1"] }, requestedAt: now });
    if (!built.ok) throw new Error(built.error.message);
    const counted = policy.countersFor(built.ir);
    if (!counted.ok) throw new Error(counted.error.message);
    // many agents' months overlap: each agent's count grows past the threshold during the log
    const reads = counted.uses.map((use) => ({ use, value: monthly.get(agent) ?? 0 }));
    const values = new Map(reads.map((r) => [r.use.counter, r.value]));
    const decision = policy.evaluate(built.ir, values);
    const changes: StateChange[] = [];
    if (decision.effect === "allow") {
      for (const { use } of reads) if (use.increments) changes.push({ op: "count", counter: use.counter, window: use.window, key: use.key, at: now, amount: use.amount });
      if (changes.length > 0) monthly.set(agent, (monthly.get(agent) ?? 0) + 1);
    }
    const body = decisionBody({ policy: identity, action: { actionDigest: built.actionDigest, irDigest: built.irDigest, ir: built.ir as never }, decision, counters: reads, changes });
    const r = log.append("decision", body, new Date(now).toISOString());
    if (!r.ok) throw r.error;
    if (i % 1000 === 999) await log.flush();
  }
  await log.close();
  return dir;
}

export async function timeVerify(dir: string, receipts: number): Promise<number> {
  return (await timeVerifyLog(dir, receipts)).ms;
}

/** `xpol replay --key`'s work: the verifier's pass with every body re-decided under `policy`. */
export async function timeReplay(dir: string, receipts: number, policy: CompiledPolicy): Promise<{ ms: number; report: ReplayReport }> {
  const t = performance.now();
  const replayer = new Replayer(policy);
  const v = await verifyLog(dir, pair.publicKey, { onLine: (seq, text, skimmed) => replayer.line(seq, text, skimmed) });
  const report = replayer.report();
  const ms = performance.now() - t;
  if (!v.ok || v.count !== receipts) throw new Error(`verification failed: ${JSON.stringify(v.firstBad)}`);
  if (report.changes.compared !== receipts) throw new Error(`replay compared ${report.changes.compared} of ${receipts} decisions`);
  return { ms, report };
}
