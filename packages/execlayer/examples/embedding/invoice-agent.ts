// An invoice agent's tools, wrapped by the ExecLayer Enforcer.
//
//   npx tsx examples/embedding/invoice-agent.ts [STATE_DIR]
//
// The policy is examples/invoices/invoices.xpol. Its `finance` group holds the RFC 8032 test keys, so this script
// can play the humans too (alice and bob sign with the published RFC 8032 test private keys; never use those keys
// for anything real). State and signed receipts go to STATE_DIR (default: a fresh temporary directory).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  ApprovalRequired,
  compilePolicy,
  DurableStore,
  Enforcer,
  formatDiagnostics,
  NobleSigner,
  PolicyDenied,
  signApproval,
} from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

// RFC 8032 §7.1 TEST 1 and TEST 2 private keys: the policy's `alice` and `bob`.
const alice = NobleSigner.fromSeed(Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"));
const bob = NobleSigner.fromSeed(Buffer.from("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "hex"));

// The tools the agent may call. In a real service these would talk to the invoice database.
const invoices = new Map([
  ["inv-1", { customer_id: "c-1", status: "unpaid" }],
  ["inv-2", { customer_id: "c-1", status: "unpaid" }],
]);
const tools = {
  get_invoice: (args: { invoice_id: string; customer_id: string }) => invoices.get(args.invoice_id) ?? null,
  set_invoice_status: (args: { invoice_id: string; customer_id: string; status: string }) => {
    const inv = invoices.get(args.invoice_id);
    if (inv !== undefined) inv.status = args.status;
    return inv ?? null;
  },
  delete_invoice: (args: { invoice_id: string; customer_id: string }) => invoices.delete(args.invoice_id),
  delete_customer_invoices: (args: { customer_id: string }) => {
    let n = 0;
    for (const [id, inv] of invoices) if (inv.customer_id === args.customer_id && invoices.delete(id)) n++;
    return n;
  },
};

export async function main(stateDir: string, log: (line: string) => void = console.log): Promise<void> {
  // 1. Compile the policy (fails with rendered diagnostics if it does not check).
  const compiled = compilePolicy({ files: [path.join(here, "../invoices/invoices.xpol")] });
  if (compiled.policy === null) throw new Error(formatDiagnostics(compiled.diagnostics, compiled.sources));

  // 2. An Enforcer over a durable store: counters and approvals survive restarts; every decision is a receipt.
  const store = await DurableStore.open(stateDir);
  const enforcer = await Enforcer.create({ policy: compiled.policy, store });

  // 3. Wrap each tool. Actor and context come from the service (who the agent is, whom it serves), not the model.
  const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme-finance" }, context: { assigned_customers: ["c-1"] } };
  const getInvoice = enforcer.guard(tools.get_invoice, { toolName: "get_invoice", context: who });
  const setStatus = enforcer.guard(tools.set_invoice_status, { toolName: "set_invoice_status", context: who });
  const deleteInvoice = enforcer.guard(tools.delete_invoice, { toolName: "delete_invoice", context: who });
  const deleteAll = enforcer.guard(tools.delete_customer_invoices, { toolName: "delete_customer_invoices", context: who });

  // T0: reads run at once.
  log(`read inv-1: ${JSON.stringify(await getInvoice({ invoice_id: "inv-1", customer_id: "c-1" }))}`);
  // T1: status updates run while under the monthly threshold.
  log(`set inv-1 paid: ${JSON.stringify(await setStatus({ invoice_id: "inv-1", customer_id: "c-1", status: "paid" }))}`);

  // T2: deleting needs one approver. The first call throws ApprovalRequired with the request to sign.
  const del = { invoice_id: "inv-2", customer_id: "c-1" };
  const pending = await deleteInvoice(del).then(
    () => null,
    (e: unknown) => (e instanceof ApprovalRequired ? e : Promise.reject(e)),
  );
  if (pending?.request === undefined) throw new Error("expected an approval request");
  log(`delete inv-2: ${pending.message}`);
  // A human (alice) signs the request: action digest + policy digest + request id, domain-separated, Ed25519.
  const approval = signApproval(alice, pending.request.request, "approve", Date.now());
  const submitted = await enforcer.submitApproval(approval);
  log(`alice approves: ${submitted.accepted ? submitted.request.status : submitted.error.message}`);
  // The agent retries: now it runs, exactly once.
  log(`delete inv-2 again: ${JSON.stringify(await deleteInvoice(del))}`);
  const replay = await deleteInvoice(del).catch((e: unknown) => e);
  log(`delete inv-2 a third time: ${replay instanceof PolicyDenied ? `denied (${replay.decision.code}): ${replay.decision.reasons[0]}` : "ran?!"}`);

  // T3: deleting every invoice of a customer needs two approvers within 24 hours.
  const all = { customer_id: "c-1" };
  const t3 = await deleteAll(all).catch((e: unknown) => e);
  if (!(t3 instanceof ApprovalRequired) || t3.request === undefined) throw new Error("expected an approval request");
  log(`delete all of c-1: ${t3.message}`);
  for (const human of [alice, bob]) {
    const r = await enforcer.submitApproval(signApproval(human, t3.request.request, "approve", Date.now()));
    log(`${human === alice ? "alice" : "bob"} approves: ${r.accepted ? r.request.status : r.error.message}`);
  }
  log(`delete all of c-1 again: deleted ${JSON.stringify(await deleteAll(all))}`);

  // 4. Close (final checkpoint) and verify the receipt log offline, as an auditor would, with the store's public key.
  await enforcer.close();
  const verified = await verifyLog(stateDir, store.signer.publicKey);
  log(`receipt log: ${verified.ok ? `${verified.count} receipts verified` : `BROKEN at ${verified.firstBad?.seq}`}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), "execlayer-embedding-"));
  await main(dir);
  console.log(`state and receipts: ${dir}`);
}
