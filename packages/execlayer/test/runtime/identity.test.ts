// Issue 15, item 2: identity and time never come from the model, on every path of the Enforcer (decide, guard,
// decideToolCall). A missing actor (or context the policy declares) is a deny with XP4033 and a receipt; a
// proposal's differing actor/context is XP4019; its own `requested_at` is never the decision time.
import { describe, expect, it } from "vitest";
import { compilePolicy, Enforcer, MemoryJournal, MemoryStore, NobleSigner, PolicyDenied } from "../../src/index.ts";
import type { CompiledPolicy, DecideContext, JsonObject } from "../../src/index.ts";

const POLICY = `policy support version "1"
actor { agent: string }
context { assigned_customers: list<string> }
action customer.read { customer_id: string }
tier customer.read = T0
rule own_customers on customer.read {
  when actor.agent == "support-bot" && action.customer_id in context.assigned_customers
  allow
}
action service.deploy { service: string }
tier service.deploy = T0
rule office_hours on service.deploy {
  when now.getHours() >= 9 && now.getHours() < 17
  allow
}
tool read_customer -> customer.read {
  target: "customer/" + args.customer_id
  customer_id: args.customer_id
}
`;

function compiled(): CompiledPolicy {
  const r = compilePolicy({ sources: [{ path: "support.xpol", text: POLICY }] });
  if (r.policy === null) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.policy;
}

const WHO: DecideContext = { actor: { agent: "support-bot" }, context: { assigned_customers: ["c-100"] } };
const NIGHT = Date.UTC(2026, 0, 5, 2);
const DAY = "2026-01-05T10:00:00Z";

async function enforcer(at = Date.UTC(2026, 0, 5, 10)): Promise<Enforcer> {
  const store = new MemoryStore({ journal: new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(8))) });
  return Enforcer.create({ policy: compiled(), store, clock: () => at });
}

const modelNamed = {
  action: { type: "customer.read", params: { customer_id: "c-999" } },
  actor: { agent: "support-bot" },
  context: { assigned_customers: ["c-999"] },
};

describe("Enforcer.decide", () => {
  it("denies a model-named actor with model-chosen assigned_customers (XP4033 without the caller's, with a receipt)", async () => {
    const e = await enforcer();
    for (const p of [modelNamed, JSON.stringify(modelNamed)]) {
      const d = await e.decide(p);
      expect(d).toMatchObject({ effect: "deny", code: "XP4033" });
      expect(d.receipt).toBeDefined();
    }
  });

  it("refuses a proposal whose actor/context differ from the caller's (XP4019, with a receipt)", async () => {
    const e = await enforcer();
    const d = await e.decide(modelNamed, WHO);
    expect(d).toMatchObject({ effect: "deny", code: "XP4019" });
    expect(d.receipt).toBeDefined();
    // the same records as the caller's are accepted
    const same = await e.decide({ action: { type: "customer.read", params: { customer_id: "c-100" } }, ...WHO }, WHO);
    expect(same.effect).toBe("allow");
  });

  it("a missing actor, or a missing context the policy declares, is XP4033 with a receipt", async () => {
    const e = await enforcer();
    const action = { action: { type: "customer.read", params: { customer_id: "c-100" } } };
    for (const ctx of [{}, { context: WHO.context! }, { actor: WHO.actor! }] as DecideContext[]) {
      const d = await e.decide(action, ctx);
      expect(d).toMatchObject({ effect: "deny", code: "XP4033" });
      expect(d.receipt).toBeDefined();
    }
    expect((await e.decide(action, WHO)).effect).toBe("allow");
  });

  it("decides at its clock: a model-chosen requested_at is not `now` for a time-of-day rule", async () => {
    const e = await enforcer(NIGHT);
    const d = await e.decide({ action: { type: "service.deploy", params: { service: "checkout" } }, requested_at: DAY }, WHO);
    expect(d.effect).toBe("deny");
    expect(d.code).toBeUndefined(); // the rule decided, not an input error
  });
});

describe("decideToolCall and guard", () => {
  it("decideToolCall without the caller's actor is XP4033", async () => {
    const e = await enforcer();
    const r = await e.decideToolCall("read_customer", { customer_id: "c-100" });
    expect(r.decision).toMatchObject({ effect: "deny", code: "XP4033" });
    expect(r.decision.receipt).toBeDefined();
    expect((await e.decideToolCall("read_customer", { customer_id: "c-100" }, WHO)).decision.effect).toBe("allow");
  });

  it("a guarded tool without a context option never runs", async () => {
    const e = await enforcer();
    let calls = 0;
    const tool = e.guard((_: JsonObject) => calls++, { toolName: "read_customer" });
    const err = await tool({ customer_id: "c-100" }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PolicyDenied);
    expect((err as PolicyDenied).decision.code).toBe("XP4033");
    const ok = e.guard((_: JsonObject) => calls++, { toolName: "read_customer", context: () => WHO });
    await ok({ customer_id: "c-100" });
    expect(calls).toBe(1);
  });
});
