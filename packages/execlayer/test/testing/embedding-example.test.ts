// This file is the example of docs/testing.md ("Property-testing the service you embed the runtime in"); a test in
// arbitraries.test.ts checks that the document shows it verbatim.
// --- example start ---
import { test, fc } from "@fast-check/vitest";
import { expect } from "vitest";
import { compilePolicy, decide, type CompiledPolicy, type JsonObject } from "execlayer";
import { arbitraryProposal } from "execlayer/testing";

const compiled = compilePolicy({ files: ["examples/invoices/invoices.xpol"] });
if (compiled.policy === null) throw new Error("the policy does not compile");
const policy: CompiledPolicy = compiled.policy;

// What the service knows about the request: who asks, the situation, the time. Never taken from the model.
interface Caller {
  readonly actor: JsonObject;
  readonly context: JsonObject;
  readonly now: string;
}

// The service under test: it runs an agent's proposal only when the policy allows it.
function handle(proposal: unknown, caller: Caller): "executed" | "refused" | "waiting for approval" {
  const decision = decide(policy, proposal, { actor: caller.actor, context: caller.context }, { now: caller.now });
  if (decision.effect === "allow") return "executed";
  return decision.effect === "deny" ? "refused" : "waiting for approval";
}

// arbitraryProposal gives the whole request: the model's part is the action, the rest is the caller's.
test.prop([arbitraryProposal(policy, "invoice.delete_all")])("deleting all of a customer's invoices never runs unapproved", (r) => {
  expect(handle({ action: r.action }, { actor: r.actor, context: r.context, now: r.requested_at })).toBe("waiting for approval");
});

test.prop([arbitraryProposal(policy), fc.string()])("a proposal the schema rejects is refused, with a reason", (r, junk) => {
  const broken = { action: { ...r.action, params: { ...r.action.params, [`x_${junk}`]: 1 } } };
  const caller = { actor: r.actor, context: r.context, now: r.requested_at };
  expect(handle(broken, caller)).toBe("refused");
  expect(decide(policy, broken, caller).reasons.length).toBeGreaterThan(0);
});
// --- example end ---
