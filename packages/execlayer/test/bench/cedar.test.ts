// The Cedar peer of the decision benchmark: the hand translation of examples/invoices/invoices.xpol must decide
// exactly as our compiled policy does — on the bench workload (the check the harness makes before timing) and on
// generated actions — and the harness must refuse to time engines that disagree.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { CedarPeer, checkAgreement, disagreement, toCedarRequest, type CedarDecision } from "../../bench/cedar.ts";
import { decideBenchCase, invoiceWorkload, type DecideWorkItem } from "../../bench/decide.ts";
import { parseArgs, requireAgreement } from "../../bench/run.ts";
import type { JsonObject, JsonValue } from "../../src/index.ts";
import type { Decision } from "../../src/index.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const bench = decideBenchCase();
const peer = CedarPeer.prepare();

describe("the bench workload", () => {
  it("reaches allow, require approval and deny, five items each", () => {
    const a = checkAgreement(bench.policy, bench.items, peer);
    expect(a.effects).toEqual({ allow: 5, require_approval: 5, deny: 5 });
  });

  it("is decided alike by both engines, item by item", () => {
    const a = checkAgreement(bench.policy, bench.items, peer);
    expect(a.first).toBeUndefined();
    expect(a).toMatchObject({ ok: true, compared: bench.items.length });
    expect(() => requireAgreement(bench, peer)).not.toThrow();
  });

  it("maps approvals to the .xpol requirements, and invalid input to Cedar's rejected requests", () => {
    const byLabel = new Map(bench.items.map((x) => [x.label, peer.decide(toCedarRequest(x))]));
    expect(byLabel.get("approval: delete all")).toMatchObject({
      effect: "require_approval",
      requirements: [{ group: "finance", quorum: 2, withinMs: 86_400_000 }],
      rules: [{ rule: "delete_all_needs_two_approvers", otherwise: false }],
    });
    expect(byLabel.get("approval: 1001st status update")).toMatchObject({
      effect: "require_approval",
      rules: [{ rule: "status_updates_within_threshold", otherwise: true }],
    });
    expect(byLabel.get("status update with a note, 1000th")).toMatchObject({ effect: "allow", invalid: false });
    for (const label of ["deny: undeclared action type", "deny: status outside the enum", "deny: missing customer_id", "deny: undeclared parameter", "deny: mistyped invoice_id"]) {
      expect(byLabel.get(label)).toMatchObject({ effect: "deny", invalid: true });
    }
  });
});

describe("the harness refuses engines that disagree", () => {
  const allowEverything = {
    evaluate: (): Decision => ({ effect: "allow", tier: "T0", actionType: "x", rules: [], reasons: [] }),
  };

  it("reports the first disagreement in workload order", () => {
    const a = checkAgreement(allowEverything, bench.items, peer);
    expect(a.ok).toBe(false);
    // the first item, a read, is allowed by both, but by no rule in the stub: the contributing rules differ
    expect(a.first?.index).toBe(0);
    expect(a.first?.why).toContain("contributing rules");
    const stubDenies = { evaluate: (): Decision => ({ effect: "deny", tier: null, actionType: null, rules: [], reasons: [], code: "XP4020" }) };
    expect(checkAgreement(stubDenies, bench.items, peer).first).toMatchObject({ index: 0, why: expect.stringMatching(/^effect: ours deny, cedar allow/) });
  });

  it("throws from requireAgreement with both decisions in the message", () => {
    const stub = { policy: allowEverything as unknown as typeof bench.policy, items: bench.items };
    expect(() => requireAgreement(stub, peer)).toThrow(/disagree on workload item 0 \(read\)[\s\S]*ours:[\s\S]*cedar:/);
  });

  const base: Decision = {
    effect: "require_approval",
    tier: "T2",
    actionType: "invoice.delete",
    rules: [{ rule: "delete_needs_one_approver", effect: "require_approval" }],
    reasons: [],
    approval: { requirements: [{ group: "finance", quorum: 1, withinMs: 86_400_000 }] },
  };
  const same: CedarDecision = {
    effect: "require_approval",
    rules: [{ rule: "delete_needs_one_approver", otherwise: false }],
    requirements: [{ group: "finance", quorum: 1, withinMs: 86_400_000 }],
    invalid: false,
  };

  it("compares effect, validity, contributing rules and requirements", () => {
    expect(disagreement(base, same)).toBeNull();
    expect(disagreement(base, { ...same, effect: "allow" })).toMatch(/^effect/);
    expect(disagreement(base, { ...same, requirements: [{ group: "finance", quorum: 2, withinMs: 86_400_000 }] })).toMatch(/^approval requirements/);
    expect(disagreement(base, { ...same, requirements: [{ group: "finance", quorum: 1, withinMs: 3_600_000 }] })).toMatch(/^approval requirements/);
    expect(disagreement(base, { ...same, rules: [{ rule: "delete_needs_one_approver", otherwise: true }] })).toMatch(/^contributing rules/);
    expect(disagreement(base, { ...same, rules: [] })).toMatch(/^contributing rules/);
    const deny: Decision = { effect: "deny", tier: null, actionType: null, rules: [], reasons: ["bad"], code: "XP4020" };
    expect(disagreement(deny, { effect: "deny", rules: [], requirements: [], invalid: true })).toBeNull();
    expect(disagreement(deny, { effect: "deny", rules: [], requirements: [], invalid: false })).toMatch(/^invalid input/);
  });
});

// Generated actions: any of the declared types or an undeclared one, parameters drawn from the declared names
// plus an undeclared one, with values of the right type, of a wrong type, in or out of the status enum, absent or
// null; counter values around the monthly threshold.
const TYPES = ["invoice.read", "invoice.update_status", "invoice.delete", "invoice.delete_all", "invoice.refund"] as const;
const paramValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constantFrom("paid", "unpaid", "disputed", "void", "refunded", "", "PAID"),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 5000 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(1.5),
  fc.constant(["c-1"]),
);
const params: fc.Arbitrary<JsonObject> = fc.record(
  {
    invoice_id: paramValue,
    customer_id: paramValue,
    status: paramValue,
    note: paramValue,
    reason: paramValue,
    force: paramValue,
  },
  { requiredKeys: [] },
);
const workItem: fc.Arbitrary<DecideWorkItem> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    params,
    // mostly well-formed: the declared parameters of the type, with string values
    wellFormed: fc.boolean(),
    count: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(999, 1000, 1001)),
    status: fc.constantFrom("paid", "unpaid", "disputed", "void"),
  })
  .map(({ type, params, wellFormed, count, status }) => {
    const p: JsonObject = wellFormed
      ? type === "invoice.delete_all"
        ? { customer_id: "c-1" }
        : type === "invoice.update_status"
          ? { invoice_id: "inv-1", customer_id: "c-1", status }
          : { invoice_id: "inv-1", customer_id: "c-1" }
      : params;
    const template = invoiceWorkload()[0]!;
    return {
      label: "generated",
      ir: { ...template.ir, action: { type, target: "invoice/inv-1", params: p } },
      counters: new Map([["status_updates", count]]),
    };
  });

describe("generated actions", () => {
  test.prop([workItem], { numRuns: 150 })("get the same decision from both engines", (x) => {
    const ours = bench.policy.evaluate(x.ir, x.counters);
    const theirs = peer.decide(toCedarRequest(x));
    expect(disagreement(ours, theirs)).toBeNull();
  });
});

describe("the command line", () => {
  it("takes --quick, --only CASE, --runs N (at least 5) and --out FILE", () => {
    expect(parseArgs(["--quick", "--only", "decide"])).toMatchObject({ quick: true, only: "decide", runs: 5 });
    expect(parseArgs(["--only=cel", "--runs", "7"])).toMatchObject({ quick: false, only: "cel", runs: 7 });
    expect(parseArgs(["--only", "nope"])).toMatch(/unknown case `nope`/);
    expect(parseArgs(["--only"])).toMatch(/needs a case name/);
    expect(parseArgs(["--runs", "3"])).toMatch(/>= 5/);
    expect(parseArgs(["--fast"])).toMatch(/unknown option.*--out FILE/);
    expect(parseArgs([])).toMatchObject({ out: path.resolve(repo, "bench/results.json") });
    expect(parseArgs(["--out", "r.json"])).toMatchObject({ out: path.resolve("r.json") });
    expect(parseArgs(["--out=/tmp/r.json"])).toMatchObject({ out: "/tmp/r.json" });
    expect(parseArgs(["--out"])).toMatch(/needs a path/);
  });
});
