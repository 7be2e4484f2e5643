// This file is the example of docs/testing.md ("Property-testing the service you embed the runtime in"); a test in
// arbitraries.test.ts checks that the document shows it verbatim.
// --- example start ---
import { test, fc } from "@fast-check/vitest";
import { expect } from "vitest";
import { compilePolicy, decide, type CompiledPolicy } from "execlayer";
import { arbitraryProposal } from "execlayer/testing";

const compiled = compilePolicy({ files: ["examples/invoices/invoices.xpol"] });
if (compiled.policy === null) throw new Error("the policy does not compile");
const policy: CompiledPolicy = compiled.policy;

// The service under test: it runs an agent's proposal only when the policy allows it.
function handle(proposal: unknown): "executed" | "refused" | "waiting for approval" {
  const decision = decide(policy, proposal);
  if (decision.effect === "allow") return "executed";
  return decision.effect === "deny" ? "refused" : "waiting for approval";
}

test.prop([arbitraryProposal(policy, "invoice.delete_all")])("deleting all of a customer's invoices never runs unapproved", (proposal) => {
  expect(handle(proposal)).toBe("waiting for approval");
});

test.prop([arbitraryProposal(policy), fc.string()])("a proposal the schema rejects is refused, with a reason", (proposal, junk) => {
  const broken = { ...proposal, action: { ...proposal.action, params: { ...proposal.action.params, [`x_${junk}`]: 1 } } };
  expect(handle(broken)).toBe("refused");
  expect(decide(policy, broken).reasons.length).toBeGreaterThan(0);
});
// --- example end ---
