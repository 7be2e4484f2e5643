import { compilePolicy, Enforcer, DurableStore, NativeSigner, keyPairFromSeed } from "../dist/index.js";
import { mkdtempSync, rmSync } from "node:fs"; import { tmpdir } from "node:os"; import path from "node:path";
const mode = process.argv[2] ?? "per-batch"; const conc = Number(process.argv[3] ?? 64);
const r = compilePolicy({ files: ["examples/invoices/invoices.xpol"], cwd: process.cwd() });
const mix = []; for (let i = 0; i < 8; i++) mix.push({ type: "tool_use", id: `t${i}`, name: "get_invoice", input: { invoice_id: `inv-${i}`, customer_id: "c-1" } });
for (let i = 0; i < 6; i++) mix.push({ action: { type: "invoice.update_status", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" } } });
for (let i = 0; i < 2; i++) mix.push({ action: { type: "invoice.delete", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1" } } });
const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };
let t = Date.parse("2026-01-31T10:00:00Z"); const clock = () => (t += 1);
async function run(ops) {
  const dir = mkdtempSync(path.join(tmpdir(), "xp-prof-"));
  const store = await DurableStore.open(dir, { signer: new NativeSigner(keyPairFromSeed(new Uint8Array(32).fill(3))), signatures: mode, ...(process.env.DUR ? { durability: process.env.DUR } : {}) });
  const e = await Enforcer.create({ policy: r.policy, store, clock });
  let next = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: conc }, async () => { while (next < ops) { const i = next++; const d = await e.decide(mix[i % mix.length], who); if (!d.receipt) throw new Error(d.reasons[0]); } }));
  const ms = performance.now() - t0; const c = process.cpuUsage(c0);
  await store.close(); rmSync(dir, { recursive: true, force: true });
  return { rate: ops / ms * 1000, cpu: (c.user + c.system) / ops };
}
await run(5000);
const x = await run(Number(process.argv[4] ?? 40000));
console.log(mode, conc, "rate", x.rate.toFixed(0), "cpu µs/decision", x.cpu.toFixed(1));
