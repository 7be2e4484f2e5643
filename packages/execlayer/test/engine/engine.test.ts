// Every clause of docs/decision-semantics.md, one test each, plus bad input to evaluate and decide.
import { describe, expect, test } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { decide } from "../../src/index.ts";
import type { Decision } from "../../src/index.ts";
import type { SovereignIR } from "../../src/index.ts";
import { compile, GROUPS, ir } from "./engine-helpers.ts";

const effectOf = (d: Decision) => d.effect;
const rulesOf = (d: Decision) => d.rules.map((r) => `${r.rule}:${r.effect}${r.otherwise === true ? ":else" : ""}${r.error === true ? ":error" : ""}`);

describe("what each applicable rule contributes", () => {
  const p = compile(`policy p version "1"
action doc.read { id: string  n: int  note?: string }
tier doc.read = T0
${GROUPS}
rule no_condition on doc.read { allow }
rule holds on doc.read { when action.n > 10  require approval 1 of finance within 1h }
rule fails_no_else on doc.read { when action.n > 100  deny "too big" }
rule fails_with_else on doc.read { when action.n > 1000  allow  else require approval 2 of legal within 2h "else branch" }
rule errors on doc.read { when action.note == "x"  allow }
`);

  test("no condition: the effect; true: the effect; false without else: nothing; false with else: the else effect", () => {
    const d = p.evaluate(ir("doc.read", { id: "a", n: 50, note: "y" }));
    expect(rulesOf(d)).toEqual(["no_condition:allow", "holds:require_approval", "fails_with_else:require_approval:else"]);
    expect(d.rules.find((r) => r.rule === "fails_with_else")?.reason).toBe("else branch");
    expect(d.effect).toBe("require_approval");
  });

  test("a condition that fails to evaluate contributes deny with the error as its reason", () => {
    const d = p.evaluate(ir("doc.read", { id: "a", n: 5000 }));
    const errored = d.rules.find((r) => r.rule === "errors");
    expect(errored).toMatchObject({ effect: "deny", error: true });
    expect(errored?.reason).toMatch(/note/);
    expect(d.effect).toBe("deny");
    expect(d.reasons).toContainEqual(expect.stringMatching(/^rule `errors` denies: its condition failed to evaluate: .*note/));
  });

  test("rules are listed in policy order", () => {
    const d = p.evaluate(ir("doc.read", { id: "a", n: 5000, note: "x" }));
    expect(rulesOf(d)).toEqual(["no_condition:allow", "holds:require_approval", "fails_no_else:deny", "fails_with_else:allow", "errors:allow"]);
  });
});

describe("combining", () => {
  const p = compile(`policy p version "1"
action a.x { n: int }
tier a.x = T1
${GROUPS}
rule allow_all on a.x { allow }
rule approve_mid on a.x { when action.n >= 10  require approval 1 of finance within 4h }
rule approve_more on a.x { when action.n >= 20  require approval 2 of finance within 8h }
rule approve_legal on a.x { when action.n >= 30  require approval 1 of legal }
rule deny_big on a.x { when action.n >= 40  deny "far too big" }
`);

  test("allow alone allows", () => expect(effectOf(p.evaluate(ir("a.x", { n: 1 })))).toBe("allow"));
  test("require approval beats allow", () => expect(effectOf(p.evaluate(ir("a.x", { n: 10 })))).toBe("require_approval"));
  test("deny beats require approval and allow", () => {
    const d = p.evaluate(ir("a.x", { n: 45 }));
    expect(d.effect).toBe("deny");
    expect(d.approval).toBeUndefined();
    expect(d.reasons).toEqual(["rule `deny_big` denies: far too big"]);
  });
  test("per group the largest quorum and the shortest window", () => {
    const d = p.evaluate(ir("a.x", { n: 25 }));
    expect(d.approval?.requirements).toEqual([{ group: "finance", quorum: 2, withinMs: 4 * 3_600_000 }]);
  });
  test("requirements of different groups all apply, in group-name order, default window 24h", () => {
    const d = p.evaluate(ir("a.x", { n: 35 }));
    expect(d.approval?.requirements).toEqual([
      { group: "finance", quorum: 2, withinMs: 4 * 3_600_000 },
      { group: "legal", quorum: 1, withinMs: 24 * 3_600_000 },
    ]);
  });
});

describe("no contributing rule means deny", () => {
  const p = compile(`policy p version "1"
action a.x { n: int }
action a.y { n: int }
tier a.* = T0
rule only_big on a.x { when action.n > 5  allow }
`);
  test("no rule applies at all", () => {
    const d = p.evaluate(ir("a.y", { n: 1 }));
    expect(d).toMatchObject({ effect: "deny", tier: "T0", rules: [] });
    expect(d.reasons[0]).toMatch(/no rule allows `a.y`/);
  });
  test("rules apply but none contributes", () => {
    expect(p.evaluate(ir("a.x", { n: 1 }))).toMatchObject({ effect: "deny", rules: [] });
    expect(p.evaluate(ir("a.x", { n: 6 })).effect).toBe("allow");
  });
});

describe("tiers and escalation", () => {
  const p = compile(`policy p version "1"
action db.query { sql: string  rows: int  note?: string }
action db.read { rows: int }
tier db.query = T1 {
  escalate to T2 when action.rows > 100
  escalate to T3 when action.sql.startsWith("DROP")
  escalate to T2 when action.note == "risky"
}
tier db.read = T0
${GROUPS}
rule reads on db.* { allow }
rule t2_needs_one on tier == T2 { require approval 1 of finance }
rule t3_denied on tier >= T3 { deny "critical" }
rule sees_effective_tier on db.query { when action.tier == "T2"  deny "saw T2" }
`);

  test("the declared tier when no escalation holds", () => {
    const d = p.evaluate(ir("db.query", { sql: "SELECT", rows: 1, note: "ok" }));
    expect(d).toMatchObject({ effect: "allow", tier: "T1" });
  });
  test("an escalation raises the tier, and rules on the raised tier apply; action.tier is the effective tier in rules", () => {
    const d = p.evaluate(ir("db.query", { sql: "SELECT", rows: 500, note: "ok" }));
    expect(d.tier).toBe("T2");
    expect(rulesOf(d)).toEqual(["reads:allow", "t2_needs_one:require_approval", "sees_effective_tier:deny"]);
    // the reason names the clause that raised it, as written, and where
    expect(d.reasons.find((r) => r.startsWith("tier raised"))).toMatch(/^tier raised from T1 to T2 by `escalate to T2 when action\.rows > 100` \(tier of `db\.query` in .+\)$/);
  });
  test("the highest escalation that holds wins, whatever the order", () => {
    // T2 listed before T3, T3 before T2, and the last escalation alone
    expect(p.evaluate(ir("db.query", { sql: "DROP TABLE x", rows: 500, note: "ok" })).tier).toBe("T3");
    expect(p.evaluate(ir("db.query", { sql: "DROP TABLE x", rows: 1, note: "risky" })).tier).toBe("T3");
    expect(p.evaluate(ir("db.query", { sql: "SELECT", rows: 1, note: "risky" })).tier).toBe("T2");
  });
  test("an escalation that fails to evaluate raises to T3 (fail closed)", () => {
    const d = p.evaluate(ir("db.query", { sql: "SELECT", rows: 1 }));
    expect(d.tier).toBe("T3");
    expect(d.effect).toBe("deny");
    expect(d.reasons.some((r) => /escalation of `db.query` failed to evaluate/.test(r))).toBe(true);
  });
  test("tier targets use the effective tier", () => {
    expect(p.evaluate(ir("db.read", { rows: 1 }))).toMatchObject({ effect: "allow", tier: "T0" });
  });
});

describe("escalation conditions see the declared tier", () => {
  const p = compile(`policy p version "1"
action a.x { n: int }
tier a.x = T1 { escalate to T2 when action.tier == "T1" }
rule r on a.x { when action.tier == "T2"  allow }
`);
  test("escalation reads T1, the rule then reads T2", () => {
    expect(p.evaluate(ir("a.x", { n: 1 }))).toMatchObject({ effect: "allow", tier: "T2" });
  });
});

describe("targets", () => {
  const p = compile(`policy p version "1"
action invoice.read { id: string }
action invoice.line.add { id: string }
action payment.send { id: string }
tier invoice.* = T0
tier payment.send = T2
rule inv on invoice.* { allow }
rule everything on * { when action.id == "blocked"  deny }
rule low on tier < T2 { when action.id == "low"  deny "low" }
rule high on tier > T1 { allow }
`);
  test("a glob matches across dots and not other prefixes", () => {
    expect(rulesOf(p.evaluate(ir("invoice.line.add", { id: "a" })))).toEqual(["inv:allow"]);
    expect(rulesOf(p.evaluate(ir("payment.send", { id: "a" })))).toEqual(["high:allow"]);
  });
  test("`*` matches every type", () => {
    expect(p.evaluate(ir("payment.send", { id: "blocked" })).effect).toBe("deny");
    expect(p.evaluate(ir("invoice.read", { id: "blocked" })).effect).toBe("deny");
  });
  test("tier comparisons", () => {
    expect(rulesOf(p.evaluate(ir("invoice.read", { id: "low" })))).toEqual(["inv:allow", "low:deny"]);
    expect(rulesOf(p.evaluate(ir("payment.send", { id: "low" })))).toEqual(["high:allow"]);
  });
  test("each type's plan holds only the rules that can apply to it", () => {
    expect(p.plans.get("payment.send")!.rulesByTier[2]!.map((r) => r.name)).toEqual(["everything", "high"]);
    expect(p.plans.get("payment.send")!.rulesByTier[0]).toEqual([]);
    expect(p.plans.get("invoice.read")!.rulesByTier[0]!.map((r) => r.name)).toEqual(["inv", "everything", "low"]);
  });
});

describe("counters, now, actor and context", () => {
  const p = compile(`policy p version "1"
actor { agent: string  team?: string }
context { region: string }
action a.x { n: int }
tier a.x = T1
counter per_agent { on a.x  per actor.agent  window 1h }
counter big { on a.x  per actor.agent, context.region  sum action.n  where action.n > 10  window calendar day }
rule limit on a.x { when counter.per_agent < 3 && counter.big < 100  allow  else deny "limit" }
rule office_hours on a.x { when now.getHours() < 6  deny "night" }
rule team on a.x { when actor.team == "red"  deny "red team" }
rule region on a.x { when context.region == "mars"  deny "mars" }
`);
  const x = (n: number, more: Parameters<typeof ir>[2] = {}) => ir("a.x", { n }, { actor: { team: "blue" }, context: { region: "eu" }, ...more });

  test("counters absent from the state read as 0", () => expect(p.evaluate(x(1)).effect).toBe("allow"));
  test("counter values from a Map or a record", () => {
    expect(p.evaluate(x(1), new Map([["per_agent", 3]])).effect).toBe("deny");
    expect(p.evaluate(x(1), { big: 100n }).effect).toBe("deny");
    expect(p.evaluate(x(1), { per_agent: 2, big: 99 }).effect).toBe("allow");
  });
  test("a counter value that is not an integer makes the reading rule fail (deny)", () => {
    const d = p.evaluate(x(1), { per_agent: 1.5 });
    expect(d.effect).toBe("deny");
    expect(d.rules.find((r) => r.rule === "limit")?.error).toBe(true);
  });
  test("now is the request time unless overridden", () => {
    expect(p.evaluate(x(1, { requested_at: "2026-01-31T03:00:00Z" })).effect).toBe("deny");
    expect(p.evaluate(x(1, { requested_at: "2026-01-31T03:00:00Z" }), undefined, { now: Date.parse("2026-01-31T12:00:00Z") }).effect).toBe("allow");
  });
  test("actor and context fields", () => {
    expect(p.evaluate(x(1, { actor: { team: "red" } })).reasons).toEqual(["rule `team` denies: red team"]);
    expect(p.evaluate(x(1, { context: { region: "mars" } })).reasons).toEqual(["rule `region` denies: mars"]);
    // an optional actor field that is absent makes `actor.team == ...` fail: deny (fail closed)
    expect(p.evaluate(x(1, { actor: {} })).effect).toBe("deny");
  });
  test("countersFor: keys, increments, where and sum", () => {
    const r = p.countersFor(x(20));
    expect(r).toEqual({
      ok: true,
      uses: [
        { counter: "per_agent", key: '["bot"]', window: { kind: "rolling", ms: 3_600_000 }, amount: 1, increments: true },
        { counter: "big", key: '["bot","eu"]', window: { kind: "calendar", unit: "day" }, amount: 20, increments: true },
      ],
    });
    const small = p.countersFor(x(5));
    expect(small.ok && small.uses[1]).toMatchObject({ counter: "big", increments: false });
  });
});

describe("counters read by other action types", () => {
  const p = compile(`policy p version "1"
action a.x { n: int }
action a.y { n: int }
tier a.* = T0
counter xs { on a.x  per actor.agent }
rule ys on a.y { when counter.xs < 2  allow }
rule xs on a.x { allow }
`);
  test("a type that only reads a counter does not increment it", () => {
    expect(p.countersFor(ir("a.y", { n: 1 }))).toEqual({
      ok: true,
      uses: [{ counter: "xs", key: '["bot"]', window: { kind: "total" }, amount: 1, increments: false }],
    });
    expect(p.countersFor(ir("a.x", { n: 1 }))).toMatchObject({ ok: true, uses: [{ counter: "xs", increments: true }] });
  });
});

describe("invalid input is a deny naming the problem, never an exception", () => {
  const p = compile(`policy p version "1"
action invoice.update { id: string  status: "paid" | "void"  amount: int  note?: string }
tier invoice.update = T1
rule r on invoice.update { allow }
`);
  const ok = { id: "i", status: "paid", amount: 3 };
  const cases: [string, SovereignIR, RegExp, string][] = [
    ["unknown type", ir("invoice.updte", ok), /unknown action type `invoice.updte`.*did you mean `invoice.update`/, "XP4020"],
    ["missing parameter", ir("invoice.update", { id: "i", status: "paid" }), /missing required parameter `amount`/, "XP4022"],
    ["extra parameter", ir("invoice.update", { ...ok, amout: 1 }), /`amout` is not a declared parameter/, "XP4023"],
    ["wrong type", ir("invoice.update", { ...ok, amount: "3x" }), /`amount`: expected int, found string/, "XP4024"],
    ["not an enum value", ir("invoice.update", { ...ok, status: "payed" }), /`status`: "payed" is not one of/, "XP4024"],
    ["fractional int", ir("invoice.update", { ...ok, amount: 1.5 }), /`amount`/, "XP4024"],
    ["optional of the wrong type", ir("invoice.update", { ...ok, note: 7 }), /`note`: expected string/, "XP4024"],
  ];
  for (const [name, input, reason, code] of cases) {
    test(name, () => {
      const d = p.evaluate(input);
      expect(d).toMatchObject({ effect: "deny", tier: null, rules: [], code });
      expect(d.reasons.join(" ")).toMatch(reason);
    });
  }
  test("a valid action is allowed", () => expect(p.evaluate(ir("invoice.update", ok)).effect).toBe("allow"));
  test("null optional parameters count as absent", () => expect(p.evaluate(ir("invoice.update", { ...ok, note: null })).effect).toBe("allow"));

  fcTest.prop([fc.anything()], { numRuns: 300 })("evaluate never throws and never allows garbage", (junk) => {
    const d = p.evaluate(junk as SovereignIR);
    expect(d.effect).toBe("deny");
  });
  const counted = compile(`policy q version "1"
action a.x { n: int }
tier a.x = T0
counter c { on a.x  per actor.agent  sum action.n  where action.n > 0 }
rule r on a.x { when counter.c < 5  allow }
`);
  fcTest.prop([fc.anything(), fc.dictionary(fc.string(), fc.jsonValue())], { numRuns: 200 })("countersFor never throws", (junk, params) => {
    for (const input of [junk as SovereignIR, ir("a.x", params as never)]) {
      const r = counted.countersFor(input);
      if (!r.ok) expect(r.error.code).toMatch(/^XP[45]\d{3}$/);
    }
  });
  fcTest.prop([fc.dictionary(fc.constantFrom("id", "status", "amount", "note", "x"), fc.jsonValue())], { numRuns: 300 })(
    "random params: allowed only when they are exactly valid",
    (params) => {
      const d = p.evaluate(ir("invoice.update", params as never));
      const valid =
        typeof params.id === "string" &&
        (params.status === "paid" || params.status === "void") &&
        Number.isSafeInteger(params.amount) &&
        (params.note === undefined || params.note === null || typeof params.note === "string") &&
        !("x" in params);
      expect(d.effect).toBe(valid ? "allow" : "deny");
    },
  );
});

describe("extra_params = allow", () => {
  const p = compile(`policy p version "1"
option extra_params = "allow"
action a.x { n: int }
tier a.x = T0
rule r on a.x { allow }
`);
  test("undeclared parameters are accepted", () => expect(p.evaluate(ir("a.x", { n: 1, other: { deep: [1] } })).effect).toBe("allow"));
});

describe("decide: IR-shaped proposals and raw tool calls", () => {
  const p = compile(`policy p version "1"
actor { agent: string }
context { assigned: list<string> }
action invoice.read alias "get_invoice" { invoice_id: string  customer_id: string }
tier invoice.read = T0
rule own_customers on invoice.read { when action.customer_id in context.assigned  allow }
tool read_invoice -> invoice.read {
  target: "invoice/" + args.id
  invoice_id: args.id
  customer_id: args.customer
}
`);
  const who = { actor: { agent: "bot" }, context: { assigned: ["c-1"] } };

  test("an IR-shaped proposal", () => {
    const d = decide(p, { action: { type: "invoice.read", params: { invoice_id: "i", customer_id: "c-1" } } }, who);
    expect(d.effect).toBe("allow");
    expect(decide(p, { action: { type: "invoice.read", params: { invoice_id: "i", customer_id: "c-2" } } }, who).effect).toBe("deny");
  });
  test("an OpenAI chat tool call through the policy's mapping", () => {
    const call = { id: "call_1", type: "function", function: { name: "read_invoice", arguments: JSON.stringify({ id: "i", customer: "c-1" }) } };
    expect(decide(p, call, who)).toMatchObject({ effect: "allow", actionType: "invoice.read" });
  });
  test("an Anthropic tool_use block", () => {
    const call = { type: "tool_use", id: "toolu_1", name: "read_invoice", input: { id: "i", customer: "c-9" } };
    expect(decide(p, call, who)).toMatchObject({ effect: "deny", tier: "T0" });
  });
  test("an unmapped tool is denied with a code", () => {
    const call = { type: "tool_use", id: "toolu_1", name: "delete_everything", input: {} };
    const d = decide(p, call, who);
    expect(d).toMatchObject({ effect: "deny", tier: null, code: "XP4012" });
  });
  test("a mapping that fails (missing argument) is denied", () => {
    const call = { type: "tool_use", id: "toolu_1", name: "read_invoice", input: { id: "i" } };
    expect(decide(p, call, who)).toMatchObject({ effect: "deny", code: "XP4014" });
  });
  test("counters and time through options", () => {
    const d = decide(p, { action: { type: "invoice.read", params: { invoice_id: "i", customer_id: "c-1" } }, requested_at: "2026-02-01T00:00:00Z" }, who);
    expect(d.effect).toBe("allow");
  });
  test("a proposal's own requested_at is never its time, whether given as an object or as JSON text", () => {
    const action = { type: "invoice.read", params: { invoice_id: "i", customer_id: "c-1" } };
    const proposal = { action, requested_at: "2026-02-01T00:00:00Z" };
    const now = { now: "2026-03-01T00:00:00Z" };
    expect(decide(p, JSON.stringify(proposal), who, now)).toEqual(decide(p, { action }, who, now));
    expect(decide(p, proposal, who, now)).toEqual(decide(p, { action }, who, now));
    expect(decide(p, JSON.stringify(proposal), who, now).effect).toBe("allow");
  });
  fcTest.prop([fc.anything()], { numRuns: 200 })("decide never throws and never allows garbage", (junk) => {
    expect(decide(p, junk, who).effect).toBe("deny");
  });
});

describe("cached decisions", () => {
  const p = compile(`policy p version "1"
action a.x { n: int }
tier a.x = T0
rule r on a.x { when action.n > 1  allow }
`);
  test("the same outcome gives an equal, frozen decision", () => {
    const a = p.evaluate(ir("a.x", { n: 5 }));
    const b = p.evaluate(ir("a.x", { n: 6 }));
    expect(b).toEqual(a);
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.rules)).toBe(true);
  });

  // the same rules apply at T0 and T2: only the tier tells their decisions apart
  const escalating = `policy p version "1"
action a.x { n: int  s: string }
tier a.x = T0 { escalate to T2 when action.n > 100 }
${GROUPS}
rule small on a.x { when action.n < 10  allow  else require approval 1 of finance within 1h }
rule word on a.x { when action.s.startsWith("ok")  allow }
rule any_tier on tier >= T0 { when action.tier == "T2" && action.s == "no"  deny "no"  else require approval 2 of legal }
rule fails on a.x { when action.n / (action.n - 50) > 0  allow }
`;
  const warm = compile(escalating);
  fcTest.prop([fc.array(fc.record({ n: fc.integer({ min: -5, max: 200 }), s: fc.constantFrom("ok", "okay", "no", "x") }), { minLength: 1, maxLength: 8 })], {
    numRuns: 40,
  })("a decision served from the cache is the one a cold policy computes, reasons and all", (actions) => {
    for (const params of actions) expect(warm.evaluate(ir("a.x", params))).toEqual(compile(escalating).evaluate(ir("a.x", params)));
  });
});
