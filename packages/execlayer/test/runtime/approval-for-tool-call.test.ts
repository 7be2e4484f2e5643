// `Enforcer.approvalForToolCall`: the lookup framework adapters make before resuming a paused run. It finds the open
// request of exactly this action, reports its status, and changes nothing: deciding afterwards still consumes the
// approval once, and a lookup never consumes it.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compilePolicy, Enforcer, MemoryJournal, MemoryStore, NobleSigner, signApproval } from "../../src/index.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const policyFile = path.join(here, "../../examples/invoices/invoices.xpol");
// RFC 8032 test keys 1 and 2: the policy's alice and bob
const alice = NobleSigner.fromSeed(Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"));
const bob = NobleSigner.fromSeed(Buffer.from("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "hex"));
const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };

async function setup(): Promise<{ enforcer: Enforcer; journal: MemoryJournal; tick: (ms: number) => void }> {
  const compiled = compilePolicy({ files: [policyFile] });
  if (compiled.policy === null) throw new Error("the invoices policy does not compile");
  let now = Date.UTC(2026, 5, 1, 9);
  const journal = new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(3)));
  const enforcer = await Enforcer.create({ policy: compiled.policy, store: new MemoryStore({ journal }), clock: () => now });
  return { enforcer, journal, tick: (ms) => void (now += ms) };
}

describe("approvalForToolCall", () => {
  it("finds the open request of this exact action, follows its status, and never decides", async () => {
    const { enforcer, journal } = await setup();
    const args = { customer_id: "c-1" };
    expect(await enforcer.approvalForToolCall("delete_customer_invoices", args, who)).toBeUndefined();
    const first = await enforcer.decideToolCall("delete_customer_invoices", args, who);
    expect(first.decision.effect).toBe("require_approval");
    const request = first.decision.request!.request;
    const receipts = journal.head.seq;

    expect((await enforcer.approvalForToolCall("delete_customer_invoices", { customer_id: "c-1" }, who))?.status).toBe("pending");
    // another action, another actor, an unmapped tool: not this request
    expect(await enforcer.approvalForToolCall("delete_customer_invoices", { customer_id: "c-2" }, who)).toBeUndefined();
    expect(await enforcer.approvalForToolCall("delete_customer_invoices", args, { ...who, actor: { agent: "other", on_behalf_of: "acme" } })).toBeUndefined();
    expect(await enforcer.approvalForToolCall("no_such_tool", args, who)).toBeUndefined();

    for (const signer of [alice, bob]) expect((await enforcer.submitApproval(signApproval(signer, request, "approve", Date.UTC(2026, 5, 1, 9)))).accepted).toBe(true);
    const approved = await enforcer.approvalForToolCall("delete_customer_invoices", args, who);
    expect(approved?.status).toBe("approved");
    expect(approved?.request.id).toBe(request.id);
    // looking changed nothing and recorded nothing beyond the two approvals
    expect(journal.head.seq).toBe(receipts + 2);
    const run = await enforcer.decideToolCall("delete_customer_invoices", args, who);
    expect(run.decision.effect).toBe("allow");
    // used: no longer open
    expect(await enforcer.approvalForToolCall("delete_customer_invoices", args, who)).toBeUndefined();
  });

  it("an expired request is not open", async () => {
    const { enforcer, tick } = await setup();
    await enforcer.decideToolCall("delete_invoice", { invoice_id: "inv-1", customer_id: "c-1" }, who);
    expect((await enforcer.approvalForToolCall("delete_invoice", { invoice_id: "inv-1", customer_id: "c-1" }, who))?.status).toBe("pending");
    tick(25 * 3600_000);
    expect(await enforcer.approvalForToolCall("delete_invoice", { invoice_id: "inv-1", customer_id: "c-1" }, who)).toBeUndefined();
  });
});
