// scratch: per-thread CPU of a per-batch durable run (not committed)
import { compilePolicy, Enforcer, DurableStore, NativeSigner, keyPairFromSeed, MemoryStore } from "../dist/index.js";
import { mkdtempSync, rmSync, readdirSync, readFileSync } from "node:fs"; import { tmpdir } from "node:os"; import path from "node:path";
const mode = process.argv[2] ?? "per-batch"; const conc = Number(process.argv[3] ?? 64); const N = Number(process.argv[4] ?? 60000);
const r = compilePolicy({ files: ["examples/invoices/invoices.xpol"], cwd: process.cwd() });
const mix = []; for (let i = 0; i < 8; i++) mix.push({ type: "tool_use", id: `t${i}`, name: "get_invoice", input: { invoice_id: `inv-${i}`, customer_id: "c-1" } });
for (let i = 0; i < 6; i++) mix.push({ action: { type: "invoice.update_status", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" } } });
for (let i = 0; i < 2; i++) mix.push({ action: { type: "invoice.delete", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1" } } });
const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };
let t = Date.parse("2026-01-31T10:00:00Z"); const clock = () => (t += 1);
const HZ = 100;
function threads() { const m = new Map(); for (const id of readdirSync("/proc/self/task")) { try { const s = readFileSync(`/proc/self/task/${id}/stat`, "utf8"); const name = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")); const f = s.slice(s.lastIndexOf(")") + 2).split(" "); m.set(id, { name, cpu: (Number(f[11]) + Number(f[12])) * 1e6 / HZ, sys: Number(f[12]) * 1e6 / HZ }); } catch {} } return m; }
async function run(ops, measure) {
  const dir = mkdtempSync(path.join(tmpdir(), "xp-prof-"));
  const store = mode === "memory" ? new MemoryStore() : await DurableStore.open(dir, { signer: new NativeSigner(keyPairFromSeed(new Uint8Array(32).fill(3))), signatures: mode, ...(process.env.DUR ? { durability: process.env.DUR } : {}) });
  const e = await Enforcer.create({ policy: r.policy, store, clock });
  let next = 0; const t0 = performance.now(); const c0 = process.cpuUsage(); const th0 = threads(); const elu0 = performance.eventLoopUtilization();
  await Promise.all(Array.from({ length: conc }, async () => { while (next < ops) { const i = next++; const d = await e.decide(mix[i % mix.length], who); if (mode !== "memory" && !d.receipt) throw new Error(d.reasons[0]); } }));
  const ms = performance.now() - t0; const c = process.cpuUsage(c0); const th1 = threads(); if (measure) console.log("elu", performance.eventLoopUtilization(elu0).utilization.toFixed(2));
  if (measure) { const agg = new Map(); for (const [id, v] of th1) { const b = th0.get(id)?.cpu ?? 0; const k = id === String(process.pid) ? "main" : v.name + ":" + id; agg.set(k, (agg.get(k) ?? 0) + (v.cpu - b));  }
    console.log([...agg].filter(([, v]) => v > 0).map(([k, v]) => `${k} ${(v / ops).toFixed(1)}`).join(" | ")); }
  await store.close?.(); if (measure && mode !== "memory") { const txt = readFileSync(path.join(dir, "receipts.jsonl"), "latin1"); const seals = txt.split("\"kind\":\"seal\"").length - 1; console.log("batches", seals, "per batch", (ops / seals).toFixed(1)); } rmSync(dir, { recursive: true, force: true });
  return { rate: ops / ms * 1000, cpu: (c.user + c.system) / ops };
}
await run(5000, false);
for (let i = 0; i < Number(process.env.REPS ?? 3); i++) { const x = await run(N, true); console.log(mode, conc, "rate", x.rate.toFixed(0), "cpu µs/decision", x.cpu.toFixed(1)); }
