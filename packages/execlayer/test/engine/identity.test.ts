// Identity and time never come from the model (issue 15, item 2): the stateless `decide` takes the actor and
// context from its caller only, refuses a proposal whose own actor/context differ (XP4019), denies without a
// caller's actor (or context, when the policy declares one) with XP4033, and never uses a proposal's
// `requested_at` as `now`. Semantics in docs/decision-semantics.md ("Identity and time").
import { afterEach, describe, expect, test, vi } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { decide } from "../../src/index.ts";
import { toSovereignIR } from "../../src/index.ts";
import type { JsonObject } from "../../src/index.ts";
import { compile } from "./engine-helpers.ts";

const policy = compile(`policy identity version "1"
actor { agent: string }
context { assigned_customers: list<string> }
action customer.read { customer_id: string }
tier customer.read = T0
rule assigned_only on customer.read {
  when actor.agent == "support-bot" && action.customer_id in context.assigned_customers
  allow
}
action service.deploy { service: string }
tier service.deploy = T0
rule office_hours on service.deploy {
  when now.getHours() >= 9 && now.getHours() < 17
  allow
}
`);

// no context declared: context is optional for the caller
const noContext = compile(`policy nocontext version "1"
action note.write { text: string }
tier note.write = T0
rule anyone on note.write { allow }
`);

const caller = { actor: { agent: "support-bot" }, context: { assigned_customers: ["c-1"] } };
const read = (customer: string) => ({ type: "customer.read", params: { customer_id: customer } });
const NIGHT = "2026-03-02T02:00:00Z";
const DAY = "2026-03-02T10:00:00Z";

describe("the actor and context come from the caller", () => {
  test("a model-named actor with model-chosen assigned_customers is denied", () => {
    const proposal = { action: read("c-999"), actor: { agent: "support-bot" }, context: { assigned_customers: ["c-999"] } };
    // no caller's records: the proposal's own are not used
    expect(decide(policy, proposal)).toMatchObject({ effect: "deny", code: "XP4033" });
    expect(decide(policy, JSON.stringify(proposal))).toMatchObject({ effect: "deny", code: "XP4033" });
    // the caller's records differ from the proposal's: refused
    expect(decide(policy, proposal, caller)).toMatchObject({ effect: "deny", code: "XP4019" });
    // and the caller's own view denies the action anyway
    expect(decide(policy, { action: read("c-999") }, caller).effect).toBe("deny");
  });

  test("a proposal's copy equal to the caller's (after normalization) is accepted", () => {
    const proposal = { action: read("c-1"), ...caller };
    expect(decide(policy, proposal, caller).effect).toBe("allow");
    expect(decide(policy, { action: read("c-1") }, caller).effect).toBe("allow");
  });

  test("a missing actor is XP4033; a missing context is XP4033 when the policy declares context fields", () => {
    expect(decide(policy, { action: read("c-1") }, { context: caller.context })).toMatchObject({ effect: "deny", code: "XP4033", actionType: "customer.read" });
    expect(decide(policy, { action: read("c-1") }, { actor: caller.actor })).toMatchObject({ effect: "deny", code: "XP4033" });
    expect(decide(noContext, { action: { type: "note.write", params: { text: "hi" } } }, { actor: { agent: "a" } }).effect).toBe("allow");
    expect(decide(noContext, { action: { type: "note.write", params: { text: "hi" } } }).code).toBe("XP4033");
    // raw tool calls too
    expect(decide(noContext, { type: "tool_use", id: "t", name: "note.write", input: { text: "hi" } }).effect).toBe("deny");
  });

  test("an actor without `agent` is refused like any invalid record", () => {
    expect(decide(policy, { action: read("c-1") }, { actor: {}, context: caller.context })).toMatchObject({ effect: "deny", code: "XP4022" });
  });
});

describe("the time comes from the caller", () => {
  test("a model-chosen requested_at is not `now` for a time-of-day rule", () => {
    const deploy = { action: { type: "service.deploy", params: { service: "checkout" } } };
    expect(decide(policy, deploy, caller, { now: NIGHT }).effect).toBe("deny");
    expect(decide(policy, { ...deploy, requested_at: DAY }, caller, { now: NIGHT }).effect).toBe("deny");
    expect(decide(policy, JSON.stringify({ ...deploy, requested_at: DAY }), caller, { now: NIGHT }).effect).toBe("deny");
    expect(decide(policy, { ...deploy, requested_at: NIGHT }, caller, { now: DAY }).effect).toBe("allow");
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  test("without options.now, the clock: never the proposal's time", () => {
    vi.useFakeTimers({ now: Date.parse(NIGHT), toFake: ["Date"] });
    const deploy = { action: { type: "service.deploy", params: { service: "checkout" } } };
    expect(decide(policy, { ...deploy, requested_at: DAY }, caller).effect).toBe("deny");
    expect(decide(policy, JSON.stringify({ ...deploy, requested_at: DAY }), caller).effect).toBe("deny");
    vi.setSystemTime(Date.parse(DAY));
    expect(decide(policy, { ...deploy, requested_at: NIGHT }, caller).effect).toBe("allow");
    const built = toSovereignIR({ action: read("c-1"), requested_at: "2001-01-01T00:00:00Z" }, policy.irSchema, { ...caller, callerOnly: true, requestedAt: new Date() });
    expect(built.ok && built.ir.requested_at.startsWith("2001")).toBe(false);
    // and in callerOnly mode there is no fallback to a default time
    const none = toSovereignIR({ action: read("c-1") }, policy.irSchema, { ...caller, callerOnly: true, defaultRequestedAt: DAY });
    expect(none.ok ? "ok" : none.error.code).toBe("XP4031");
  });
});

const json = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<unknown>;
const record = fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 3 }), json);
const timestamp = fc.oneof(fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), json);

fcTest.prop(
  [
    fc.constantFrom("c-1", "c-2", "c-999"),
    fc.boolean(),
    fc.record({ actor: record, context: record, requested_at: timestamp }, { requiredKeys: [] }),
    fc.constantFrom(NIGHT, DAY),
    fc.boolean(),
  ],
  { numRuns: 300 },
)("whatever actor/context/requested_at a proposal carries: the decision without them, or XP4019", (customer, deploy, carried, now, asText) => {
  const action = deploy ? { type: "service.deploy", params: { service: customer } } : read(customer);
  const bare = decide(policy, { action }, caller, { now });
  const proposal = { action, ...carried };
  const d = decide(policy, asText ? JSON.stringify(proposal) : proposal, caller, { now });
  if (d.code === "XP4019") return;
  expect(d).toEqual(bare);
});

fcTest.prop([fc.record({ actor: record, context: record }, { requiredKeys: [] }), fc.constantFrom(...["c-1", "c-999"])], { numRuns: 200 })(
  "a proposal can carry the caller's records, but never reach a decision with its own",
  (carried, customer) => {
    const proposal = { action: read(customer), ...carried };
    const d = decide(policy, proposal, caller, { now: DAY });
    const same = (k: "actor" | "context") => carried[k] === undefined || JSON.stringify(carried[k]) === JSON.stringify((caller as Record<string, JsonObject>)[k]);
    if (same("actor") && same("context")) expect(d).toEqual(decide(policy, { action: read(customer) }, caller, { now: DAY }));
    else expect(d.code).toBe("XP4019");
  },
);
