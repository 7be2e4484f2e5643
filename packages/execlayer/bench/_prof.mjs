// A driver for profiling and paired A/B rounds of the durable path, outside the harness (run from packages/execlayer
// after `npm run build`): `node bench/_prof.mjs [per-batch|per-receipt|memory] [callers] [decisions]`.
// Each round reports decisions/s, CPU per decision on all threads (getrusage), the deciding thread's event-loop
// utilization, CPU per decision of each thread (from /proc, Linux; 10 ms ticks, so use >= 30,000 decisions) and, with
// per-batch signatures, how many decisions a seal covered. Env: REPS (rounds, default 3), DUR=none (no fdatasync).
// Under `node --cpu-prof` it profiles the deciding thread as the bench's path case drives it.
import { compilePolicy, Enforcer, DurableStore, MemoryStore, NativeSigner, keyPairFromSeed } from "../dist/index.js";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const mode = process.argv[2] ?? "per-batch";
const callers = Number(process.argv[3] ?? 64);
const decisions = Number(process.argv[4] ?? 40000);
const compiled = compilePolicy({ files: ["examples/invoices/invoices.xpol"], cwd: process.cwd() });
if (compiled.policy === null) throw new Error("run from packages/execlayer: examples/invoices/invoices.xpol did not compile");

const mix = [];
for (let i = 0; i < 8; i++) mix.push({ type: "tool_use", id: `t${i}`, name: "get_invoice", input: { invoice_id: `inv-${i}`, customer_id: "c-1" } });
for (let i = 0; i < 6; i++) mix.push({ action: { type: "invoice.update_status", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" } } });
for (let i = 0; i < 2; i++) mix.push({ action: { type: "invoice.delete", target: `invoice/inv-${i}`, params: { invoice_id: `inv-${i}`, customer_id: "c-1" } } });
const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };
let now = Date.parse("2026-01-31T10:00:00Z");
const clock = () => (now += 1);

const TICK_US = 1e6 / 100; // USER_HZ
/** CPU so far of each thread of this process, in µs, by thread id */
function threadCpu() {
  const out = new Map();
  for (const id of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${id}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(id, { name: id === String(process.pid) ? "deciding" : `${name}:${id}`, us: (Number(f[11]) + Number(f[12])) * TICK_US });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

async function round(ops, report) {
  const dir = mkdtempSync(path.join(tmpdir(), "xp-prof-"));
  const store =
    mode === "memory"
      ? new MemoryStore()
      : await DurableStore.open(dir, { signer: new NativeSigner(keyPairFromSeed(new Uint8Array(32).fill(3))), signatures: mode, ...(process.env.DUR ? { durability: process.env.DUR } : {}) });
  const enforcer = await Enforcer.create({ policy: compiled.policy, store, clock });
  let next = 0;
  const before = threadCpu();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < ops) {
        const i = next++;
        const d = await enforcer.decide(mix[i % mix.length], who);
        if (mode !== "memory" && d.receipt === undefined) throw new Error(d.reasons[0]);
      }
    }),
  );
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const loop = performance.eventLoopUtilization(elu).utilization;
  const after = threadCpu();
  await store.close?.();
  if (report) {
    const rate = (ops / ms) * 1000;
    const perThread = [...after].map(([id, t]) => [t.name, (t.us - (before.get(id)?.us ?? 0)) / ops]).filter(([, us]) => us > 0);
    console.log(`${mode} ${callers} callers: ${rate.toFixed(0)} decisions/s, ${((used.user + used.system) / ops).toFixed(1)} µs CPU per decision, event loop ${(loop * 100).toFixed(0)}% busy`);
    console.log(`  µs per decision by thread: ${perThread.map(([n, us]) => `${n} ${us.toFixed(1)}`).join(", ")}`);
    if (mode === "per-batch") {
      const seals = readFileSync(path.join(dir, "receipts.jsonl"), "latin1").split('"kind":"seal"').length - 1;
      console.log(`  ${seals} seals, ${(ops / seals).toFixed(1)} decisions each`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

await round(5000, false);
for (let i = 0; i < Number(process.env.REPS ?? 3); i++) await round(decisions, true);
