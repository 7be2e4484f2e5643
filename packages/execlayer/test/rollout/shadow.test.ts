// Shadow mode: the tightened invoices policy decides every call of the workload beside the example, never enforced.
// The real decisions are exactly those without a shadow; the receipts carry the candidate's decision; the
// Enforcer's tally and `xpol replay --shadow` report the same counts as replaying the plain log under the candidate
// (and the same kinds of change `xpol diff` finds); old logs without the field still verify and replay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { xpol } from "../cli/helpers.ts";
import { compiled, recordLog, RULE, runtimePub, writePolicies, type Policies } from "./fixture.ts";
import { Enforcer, MemoryStore } from "../../src/index.ts";

let p: Policies;
let plain: string;
let shadowed: string;
let plainEffects: Map<string, number>;
let shadowEffects: Map<string, number>;

beforeAll(async () => {
  p = writePolicies();
  plain = join(p.dir, "plain");
  shadowed = join(p.dir, "shadowed");
  plainEffects = await recordLog(plain, compiled(p.original));
  shadowEffects = await recordLog(shadowed, compiled(p.original), { shadow: compiled(p.tightened) });
});
afterAll(() => rmSync(p.dir, { recursive: true, force: true }));

type Report = { changes: { compared: number; changed: number; transitions: unknown[]; byActionType: unknown[]; byRule: unknown[] }; withoutShadow: number; policy: { digest: string } | null };

async function json(args: string[]): Promise<Report> {
  const r = await xpol(["replay", ...args, "--format", "json"]);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as Report;
}

describe("shadow mode", () => {
  it("never enforces the candidate: the real decisions are those of the run without it", () => {
    expect(shadowEffects).toEqual(plainEffects);
  });

  it("records the candidate's decision beside the real one in every decision receipt", () => {
    const lines = readFileSync(join(shadowed, "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { body: { decision: { effect: string }; shadow?: { policy: { digest: string }; decision: { effect: string; rules: { rule: string }[] } } } });
    expect(lines.every((r) => r.body.shadow !== undefined)).toBe(true);
    const differ = lines.filter((r) => r.body.shadow!.decision.effect !== r.body.decision.effect);
    expect(differ.length).toBe(500);
    expect(differ.every((r) => r.body.decision.effect === "allow" && r.body.shadow!.decision.effect === "require_approval" && r.body.shadow!.decision.rules[0]!.rule === RULE)).toBe(true);
  });

  it("xpol replay --shadow reports what replaying the plain log under the candidate reports", async () => {
    const shadow = await json(["--shadow", "--state", shadowed, "--key", runtimePub]);
    const replay = await json(["--policy", p.tightened, "--state", plain, "--key", runtimePub]);
    // the same counts, action types, rules, and the same receipts as examples (the two runs decided alike)
    expect(shadow.changes).toEqual(replay.changes);
    expect(shadow.changes.changed).toBe(500);
    expect(shadow.withoutShadow).toBe(0);
    expect(shadow.policy?.digest).toBe(compiled(p.tightened).digest);
    // a log without shadow decisions: nothing compared, every decision counted as without one
    const none = await json(["--shadow", "--state", plain]);
    expect(none.changes.compared).toBe(0);
    expect(none.withoutShadow).toBe(1400);
    // the receipts with the new field verify
    expect((await xpol(["verify", shadowed, "--key", runtimePub])).code).toBe(0);
  });

  it("the Enforcer's tally counts real -> candidate effects, and decision.shadow names the candidate's", async () => {
    const enforcer = await Enforcer.create({ policy: compiled(p.original), store: new MemoryStore(), shadow: compiled(p.tightened), clock: () => Date.parse("2026-03-02T08:00:00Z") });
    const ctx = { actor: { agent: "a", on_behalf_of: "b" }, context: { assigned_customers: [] } };
    let last;
    for (let i = 0; i < 510; i++) last = await enforcer.decideToolCall("set_invoice_status", { invoice_id: `i${i}`, customer_id: "c", status: "paid" }, ctx);
    expect(last!.decision.effect).toBe("allow");
    expect(last!.decision.shadow?.effect).toBe("require_approval");
    expect(enforcer.shadowCounts()).toEqual(
      expect.arrayContaining([
        { real: "allow", shadow: "allow", count: 500 },
        { real: "allow", shadow: "require_approval", count: 10 },
      ]),
    );
  });

  it("a candidate that only renames a rule: every shadow decision compared, none changes", async () => {
    const renamed = join(p.dir, "shadow-renamed");
    await recordLog(renamed, compiled(p.original), { shadow: compiled(p.renamed) });
    const r = await json(["--shadow", "--state", renamed, "--key", runtimePub]);
    expect(r.changes.compared).toBe(1400);
    expect(r.changes.changed).toBe(0);
    expect(r.policy?.digest).toBe(compiled(p.renamed).digest);
  });
});
