// CallDecisions: a kept decision goes to exactly the call it was made for, once.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CallDecisions, toolRefusal, tryCanonicalize, type EnforcerDecision, type ToolCallDecision } from "../../src/index.ts";

const allow: ToolCallDecision = { decision: { effect: "allow", tier: "T0", actionType: "a", rules: [], reasons: [] }, args: { x: 1 } };

describe("CallDecisions", () => {
  it("hands a decision to the same call once, and to no other call", () => {
    const kept = new CallDecisions();
    kept.keep("c1", "tool", { x: 1, y: "é" }, allow);
    expect(kept.peek("c1", "tool")).toBe(allow);
    expect(kept.peek("c1", "other")).toBeUndefined();
    // key order does not matter (RFC 8785); the decision is taken once
    expect(kept.take("c1", "tool", { y: "é", x: 1 })).toBe(allow);
    expect(kept.take("c1", "tool", { x: 1, y: "é" })).toBeUndefined();
  });

  it("for all inputs: a decision goes to the same tool with the same input as RFC 8785 text, and to nothing else", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.boolean(), (a, b, sameTool) => {
        const kept = new CallDecisions();
        kept.keep("id", "t", a, allow);
        const ca = tryCanonicalize(a);
        const cb = tryCanonicalize(b);
        const same = sameTool && ca.ok && cb.ok && ca.value === cb.value;
        expect(kept.take("id", sameTool ? "t" : "u", b)).toBe(same ? allow : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("is bounded: past max the oldest is dropped", () => {
    const kept = new CallDecisions(2);
    for (const id of ["a", "b", "c"]) kept.keep(id, "t", {}, allow);
    expect(kept.take("a", "t", {})).toBeUndefined();
    expect(kept.take("b", "t", {})).toBe(allow);
    expect(kept.take("c", "t", {})).toBe(allow);
  });
});

describe("toolRefusal", () => {
  it("words a deny as PolicyDenied does, and a pending approval as ApprovalRequired does, with code and request", () => {
    const deny: EnforcerDecision = { effect: "deny", tier: null, actionType: null, rules: [], reasons: ["the store is closed"], code: "XP5023" };
    expect(toolRefusal(deny)).toEqual({ refused: true, effect: "deny", reason: "denied (XP5023): the store is closed", code: "XP5023" });
    const ruled: EnforcerDecision = { effect: "deny", tier: "T1", actionType: "a", rules: [], reasons: ["over the limit"] };
    expect(toolRefusal(ruled).reason).toBe("denied by policy: over the limit");
    const pending = { effect: "require_approval", tier: "T2", actionType: "a", rules: [], reasons: [], approval: { requirements: [{ group: "finance", quorum: 2, withinMs: 3_600_000 }] } } as unknown as EnforcerDecision;
    const r = toolRefusal(pending);
    expect(r.effect).toBe("require_approval");
    expect(r.reason).toMatch(/^approval required \(2 of finance.*\); the tool did not run$/);
  });
});
