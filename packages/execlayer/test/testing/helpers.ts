// A small payments policy shared by the src/testing tests, and helpers to run test blocks against it.
import { compilePolicy } from "../../src/index.ts";
import type { Diagnostic } from "../../src/index.ts";
import { runPolicyTests, type RunOptions, type PolicyTestRun } from "../../src/testing/index.ts";
import type { CompiledPolicy } from "../../src/index.ts";

export const PAYMENTS = `policy payments version "1.0.0"

actor {
  agent: string
}

context {
  region: "eu" | "us"
}

action payment.send alias "send_payment" {
  amount: int
  currency: string
  memo?: string
}

action payment.refund {
  amount: int
}

tier payment.send = T1 {
  escalate to T3 when action.amount > 100000
}
tier payment.refund = T1

counter sends {
  on payment.send
  per actor.agent
  window calendar day
}

group treasury {
  alice: "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
  bob: "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
}

group audit {
  carol: "ed25519:fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"
}

rule small_payments on payment.send {
  when action.amount <= 1000 && counter.sends < 10
  allow
  else require approval 1 of treasury within 4h
}

rule eu_only on payment.send {
  when context.region != "eu"
  deny "payments leave from the EU entity only"
}

rule critical_payments on tier T3 {
  require approval 2 of treasury
}

rule refunds_in_office_hours on payment.refund {
  when action.amount < 500 && now.getHours() >= 9 && now.getHours() < 17
  allow
}

tool pay -> payment.send {
  amount: args.amount
  currency: args.currency
}
`;

export function compileWith(tests: string, policy = PAYMENTS): { policy: CompiledPolicy | null; diagnostics: readonly Diagnostic[] } {
  const r = compilePolicy({ sources: [{ path: "p.xpol", text: policy }, { path: "p.test.xpol", text: tests }] });
  return { policy: r.policy, diagnostics: r.diagnostics };
}

/** Compiles the payments policy with `tests` and runs them; throws on compile errors. */
export async function runWith(tests: string, options: RunOptions = {}, policy = PAYMENTS): Promise<PolicyTestRun> {
  const c = compileWith(tests, policy);
  if (c.policy === null) throw new Error(c.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return runPolicyTests(c.policy, { seed: 1, runs: 50, ...options });
}

/** One test block around `steps`. */
export function block(name: string, steps: string): string {
  return `test ${JSON.stringify(name)} {\n${steps}\n}\n`;
}
