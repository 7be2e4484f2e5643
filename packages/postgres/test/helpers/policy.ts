// The invoice example policy (packages/execlayer/examples/invoices) with generated approver keys, as the core's
// invoice scenario test builds it.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy, formatPublicKey, NobleSigner, redactionKeyFromBytes, type CompiledPolicy, type StateStore, type Receipt, type WindowSpec } from "execlayer";

const here = path.dirname(fileURLToPath(import.meta.url));
export const examples = path.resolve(here, "../../../execlayer/examples");
const seed = (n: number) => new Uint8Array(32).fill(n);
export const alice = NobleSigner.fromSeed(seed(1));
export const bob = NobleSigner.fromSeed(seed(2));
export const carol = NobleSigner.fromSeed(seed(3));
/** the test fleet's redaction key: every replica that decides is given it (src/fleet-key.ts) */
export const fleetKey = redactionKeyFromBytes(seed(11));

/** The invoice policy; `limit` replaces the monthly 1,000, `window` the counter's window (e.g. "rolling 1h"). */
export function invoicePolicy(limit?: number, window?: string): CompiledPolicy {
  let text = fs.readFileSync(path.join(examples, "invoices/invoices.xpol"), "utf8");
  const keys = [...text.matchAll(/"(ed25519:[0-9a-f]{64})"/g)].map((m) => m[1]!);
  [alice, bob, carol].forEach((s, i) => (text = text.replace(keys[i]!, formatPublicKey(s.publicKey))));
  if (limit !== undefined) text = text.replace(/< 1000/g, `< ${limit}`);
  if (window !== undefined) text = text.replace("window calendar month", `window ${window}`);
  const { policy, diagnostics } = compilePolicy({ sources: [{ path: "invoices.xpol", text }] });
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (policy === null || policy === undefined || errors.length > 0) throw new Error(`invoice policy: ${errors.map((d) => d.message).join("; ")}`);
  return policy;
}

export const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };
export const setStatus = (id: string) => ({ type: "tool_use", id: "t", name: "set_invoice_status", input: { invoice_id: id, customer_id: "c-1", status: "paid" } });
export const deleteInvoice = (id: string) => ({ type: "tool_use", id: "t", name: "delete_invoice", input: { invoice_id: id, customer_id: "c-1" } });
export const month: WindowSpec = { kind: "calendar", unit: "month" };

/** A counter's value as the store holds it, read in a transaction. */
export async function counterValue(store: StateStore<Receipt>, counter: string, window: WindowSpec, key: string, at: number): Promise<number> {
  const out = await store.transact({ now: at, counters: [{ counter, window, key }] }, (view) => ({ result: view.counter(counter, window, key, at), changes: [] }));
  if (!out.ok) throw new Error(out.error.message);
  return out.result;
}

/** A policy whose action has a @sensitive field and needs 2 of 3 approvers (the fleet's redaction key tests). */
export const PAYOUTS = `policy payouts version "1"
actor {
  agent: string
}
action payout.send {
  iban: string @sensitive
  amount: int
}
tier payout.send = T2
group finance {
  alice: "${formatPublicKey(alice.publicKey)}"
  bob: "${formatPublicKey(bob.publicKey)}"
  carol: "${formatPublicKey(carol.publicKey)}"
}
rule two_of_finance on payout.send { require approval 2 of finance within 1h }
`;
export const IBAN = "DE89370400440532013000";
export const payout = { action: { type: "payout.send", params: { iban: IBAN, amount: 5000 } } };
