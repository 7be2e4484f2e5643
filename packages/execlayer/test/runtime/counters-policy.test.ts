// Counters declared in real policies, through the compiler and the Enforcer: rolling windows, `sum`, `where`,
// per-key budgets, global counters, and @sensitive fields redacted in receipts.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/index.ts";
import { NobleSigner } from "../../src/index.ts";
import type { Receipt } from "../../src/index.ts";
import { commitSensitive, digest } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import { manualClock } from "./helpers/fake-policy.ts";

const POLICY = `
policy payments version "1"

actor {
  agent: string
}

action payment.send {
  to: string
  amount: int
  memo?: string
  card: string @sensitive
}

action payment.refund {
  to: string
  amount: int
}

tier payment.send = T1
tier payment.refund = T1

// at most 1000 (currency units) per agent in any rolling hour, refunds and small payments not counted
counter hourly_spend {
  on payment.send
  per actor.agent
  sum action.amount
  where action.amount >= 10
  window rolling 1h
}

// every payment action, all agents together, per UTC day
counter daily_ops {
  on payment.*
  window calendar day
}

rule spend_limit on payment.send {
  when counter.hourly_spend + action.amount <= 1000 && counter.daily_ops < 5
  allow
}

rule refunds on payment.refund {
  when counter.daily_ops < 5
  allow
}
`;

const T = Date.parse("2026-03-10T12:00:00Z");
const M = 60_000;
const send = (amount: number, to = "bob") => ({ action: { type: "payment.send", params: { to, amount, card: "4111-1111-1111-1111" } } });
const refund = (amount: number) => ({ action: { type: "payment.refund", params: { to: "bob", amount } } });

async function setup() {
  const { policy, diagnostics } = compilePolicy({ sources: [{ path: "payments.xpol", text: POLICY }] });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const clock = manualClock(T);
  const journal = new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(8)), { retain: true });
  const store = new MemoryStore<Receipt>({ journal });
  const enforcer = await Enforcer.create({ policy: policy!, store, clock: clock.now });
  return { enforcer, clock, store, journal };
}

describe("counters from a compiled policy", () => {
  it("sum, where and a rolling hour: exact at the boundary", async () => {
    const { enforcer, clock, store } = await setup();
    const a = { actor: { agent: "a" } };
    expect((await enforcer.decide(send(600), a)).effect).toBe("allow"); // 600 at T
    clock.advance(30 * M);
    expect((await enforcer.decide(send(5), a)).effect).toBe("allow"); // below `where`: not counted
    expect((await enforcer.decide(send(400), a)).effect).toBe("allow"); // 1000 in the hour
    expect((await enforcer.decide(send(10), a)).effect).toBe("deny"); // would be 1010
    expect((await enforcer.decide(send(10), { actor: { agent: "b" } })).effect).toBe("allow"); // b has its own budget
    const hour = { kind: "rolling", ms: 3_600_000 } as const;
    expect(store.state.counter("hourly_spend", hour, '["a"]', clock.now())).toBe(1000);
    expect(store.state.counter("hourly_spend", hour, '["b"]', clock.now())).toBe(10);
    expect(store.state.counter("daily_ops", { kind: "calendar", unit: "day" }, "", clock.now())).toBe(4); // the deny did not count
  });

  it("the rolling window frees the budget exactly one hour after each payment", async () => {
    const { enforcer, clock, store } = await setup();
    const a = { actor: { agent: "a" } };
    expect((await enforcer.decide(send(900), a)).effect).toBe("allow");
    clock.set(T + 60 * M - 1);
    expect(store.state.counter("hourly_spend", { kind: "rolling", ms: 3_600_000 }, '["a"]', clock.now())).toBe(900);
    expect((await enforcer.decide(send(200), a)).effect).toBe("deny");
    clock.set(T + 60 * M);
    expect(store.state.counter("hourly_spend", { kind: "rolling", ms: 3_600_000 }, '["a"]', clock.now())).toBe(0);
    expect((await enforcer.decide(send(200), a)).effect).toBe("allow");
  });

  it("a glob target counts every matching type into one global counter, reset at UTC midnight", async () => {
    const { enforcer, clock, store } = await setup();
    for (let i = 0; i < 3; i++) expect((await enforcer.decide(refund(1), { actor: { agent: `x${i}` } })).effect).toBe("allow");
    expect((await enforcer.decide(send(20), { actor: { agent: "y" } })).effect).toBe("allow");
    expect((await enforcer.decide(refund(1), { actor: { agent: "z" } })).effect).toBe("allow");
    expect(store.state.counter("daily_ops", { kind: "calendar", unit: "day" }, "", clock.now())).toBe(5);
    expect((await enforcer.decide(refund(1), { actor: { agent: "z" } })).effect).toBe("deny");
    clock.set(Date.parse("2026-03-11T00:00:00Z"));
    expect((await enforcer.decide(refund(1), { actor: { agent: "z" } })).effect).toBe("allow");
  });

  it("receipts record counter reads and increments, and never a @sensitive value", async () => {
    const { enforcer, journal, store } = await setup();
    const d = await enforcer.decide(send(50), { actor: { agent: "a" } });
    expect(d.effect).toBe("allow");
    const body = d.receipt!.body as { ir: { action: { params: Record<string, unknown> } }; counters: unknown[]; state: unknown[] };
    expect(body.ir.action.params["card"]).toBe(commitSensitive(store.redactionKey, "action.params.card", "4111-1111-1111-1111"));
    expect(journal.lines.join("\n")).not.toContain(digest("4111-1111-1111-1111"));
    expect(body.ir.action.params["amount"]).toBe(50);
    expect(journal.lines.join("\n")).not.toContain("4111-1111");
    expect(body.counters).toEqual([
      { counter: "hourly_spend", key: '["a"]', window: "rolling:3600000ms", value: 0, added: 50 },
      { counter: "daily_ops", key: "", window: "calendar:day", value: 0, added: 1 },
    ]);
    expect(body.state).toHaveLength(2);
  });
});
