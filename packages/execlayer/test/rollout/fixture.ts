// The rollout tests' shared workload: the invoices example, a tightened copy (the monthly threshold 1,000 -> 500)
// and a copy that only renames a rule, and a receipt log of one month of an agent's calls decided by the example.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compilePolicy, DurableStore, Enforcer, NativeSigner, keyPairFromSeed, formatPublicKey, type CompiledPolicy, type EnforcerOptions } from "../../src/index.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
const INVOICES = join(ROOT, "examples/invoices/invoices.xpol");
export const RULE = "status_updates_within_threshold";

export const runtimeSeed = new Uint8Array(32).fill(9);
export const runtimePub = formatPublicKey(keyPairFromSeed(runtimeSeed).publicKey);

export interface Policies {
  readonly dir: string;
  /** the example as it is */
  readonly original: string;
  /** `counter.status_updates < 500` */
  readonly tightened: string;
  /** the threshold rule renamed, nothing else */
  readonly renamed: string;
}

export function writePolicies(): Policies {
  const dir = mkdtempSync(join(tmpdir(), "xpol-rollout-"));
  const text = readFileSync(INVOICES, "utf8");
  const at = (name: string): string => {
    const d = join(dir, name);
    cpSync(join(ROOT, "examples/invoices"), d, { recursive: true, filter: (p) => !p.endsWith(".test.xpol") });
    return join(d, "invoices.xpol");
  };
  const original = at("original");
  const tightened = at("tightened");
  const tightenedText = text.replace("counter.status_updates < 1000", "counter.status_updates < 500");
  if (tightenedText === text) throw new Error("the example's threshold moved: update the rollout fixture");
  writeFileSync(tightened, tightenedText);
  const renamed = at("renamed");
  writeFileSync(renamed, text.replace(`rule ${RULE} `, "rule status_updates_under_threshold "));
  return { dir, original, tightened, renamed };
}

export function compiled(file: string): CompiledPolicy {
  const r = compilePolicy({ files: [file] });
  if (r.policy === null) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.policy;
}

export const START = Date.parse("2026-03-02T08:00:00Z");
const context = { assigned_customers: ["c-1", "c-2"] };

/** The calls: 1,200 status updates by one agent (its 1,001st and later need approval), 100 by another, reads, deletes. */
export function* workload(): Generator<{ tool: string; args: Record<string, string>; agent: string }> {
  for (let i = 0; i < 1400; i++) {
    if (i % 14 === 13) yield { tool: "get_invoice", args: { invoice_id: `inv-${i}`, customer_id: "c-1" }, agent: "billing-agent" };
    else if (i % 140 === 70) yield { tool: "delete_invoice", args: { invoice_id: `inv-${i}`, customer_id: "c-2" }, agent: "billing-agent" };
    else if (i % 12 === 5 && i < 1200) yield { tool: "set_invoice_status", args: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" }, agent: "other-agent" };
    else yield { tool: "set_invoice_status", args: { invoice_id: `inv-${i}`, customer_id: "c-1", status: "paid" }, agent: "billing-agent" };
  }
}

/** Runs the workload through an Enforcer on a durable store in `dir`; `extra` adds options (a shadow policy). */
export async function recordLog(dir: string, policy: CompiledPolicy, extra: Partial<EnforcerOptions> = {}): Promise<Map<string, number>> {
  const store = await DurableStore.open(dir, { signer: NativeSigner.fromSeed(runtimeSeed), durability: "none" });
  let now = START;
  const enforcer = await Enforcer.create({ policy, store, clock: () => now, ...extra });
  const effects = new Map<string, number>();
  try {
    for (const call of workload()) {
      now += 1000;
      const r = await enforcer.decideToolCall(call.tool, call.args, { actor: { agent: call.agent, on_behalf_of: "ops@example.com" }, context });
      effects.set(r.decision.effect, (effects.get(r.decision.effect) ?? 0) + 1);
    }
  } finally {
    await enforcer.close();
  }
  return effects;
}
