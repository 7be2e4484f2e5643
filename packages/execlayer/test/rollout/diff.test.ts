// xpol diff over the invoices example: the tightened threshold is found, shrunk, and printed as a test block that
// the new policy passes and the old one fails; a renamed rule is a rename and changes no decision; declarations.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { xpol } from "../cli/helpers.ts";
import { RULE, writePolicies, type Policies } from "./fixture.ts";

let p: Policies;
beforeAll(() => {
  p = writePolicies();
});
afterAll(() => rmSync(p.dir, { recursive: true, force: true }));

interface Json {
  declarations: { what: string; change: string; name: string; detail: string }[];
  changes: { changed: number; narrowed: number; widened: number; byRule: { key: string; from: string; to: string }[]; byActionType: { key: string }[]; examples: { test: string }[] };
}

describe("xpol diff", () => {
  it("tightening the threshold: the rule's change, then allow -> require approval found and shrunk to a test block", async () => {
    const r = await xpol(["diff", p.original, "--", p.tightened, "--seed", "3", "--runs", "150", "--format", "json", "--fail-on", "narrowed"]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as Json;
    expect(d.declarations).toEqual([expect.objectContaining({ what: "rule", change: "changed", name: RULE })]);
    expect(d.declarations[0]!.detail).toContain("counter.status_updates < 1000");
    expect(d.changes.widened).toBe(0);
    expect(d.changes.narrowed).toBeGreaterThan(0);
    expect(d.changes.byRule.map((g) => [g.key, g.from, g.to])).toEqual([[RULE, "allow", "require_approval"]]);
    expect(d.changes.byActionType.map((g) => g.key)).toEqual(["invoice.update_status"]);
    const [block] = d.changes.examples.map((e) => e.test);
    // shrunk to a count between the two thresholds (the one the old policy allows and the new one refuses)
    const count = Number(/counter status_updates = (\d+)/.exec(block!)?.[1]);
    expect(count).toBeGreaterThanOrEqual(500);
    expect(count).toBeLessThan(1000);
    expect(block).toContain("expect require approval 1 of finance");
    // ready to paste: the new policy passes it, the old one fails it
    writeFileSync(join(dirname(p.tightened), "diff.test.xpol"), block + "\n");
    expect((await xpol(["test", dirname(p.tightened), "--no-properties"])).code).toBe(0);
    writeFileSync(join(dirname(p.original), "diff.test.xpol"), block + "\n");
    const old = await xpol(["test", dirname(p.original), "--no-properties"]);
    expect(old.code).toBe(1);
    rmSync(join(dirname(p.original), "diff.test.xpol"));
  });

  it("a quorum raised from 1 to 2 of finance: require approval on both sides, found as a narrowed change with a test block", async () => {
    const two = join(p.dir, "two-of-finance.xpol");
    writeFileSync(two, readFileSync(p.original, "utf8").replace("rule delete_needs_one_approver on invoice.delete {\n  require approval 1 of finance", "rule delete_needs_one_approver on invoice.delete {\n  require approval 2 of finance"));
    const r = await xpol(["diff", p.original, "--", two, "--seed", "3", "--runs", "150", "--format", "json", "--fail-on", "narrowed"]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as Json & { changes: { transitions: { from: string; to: string; approvals?: { from: string; to: string }; direction: string | null }[] } };
    const approvals = { from: "1 of finance within 24h", to: "2 of finance within 24h" };
    expect(d.changes.transitions).toContainEqual(expect.objectContaining({ from: "require_approval", to: "require_approval", approvals, direction: "narrowed" }));
    expect(d.changes.widened).toBe(0);
    expect(d.changes.byActionType.map((g) => g.key)).toEqual(["invoice.delete"]);
    expect(d.changes.examples[0]!.test).toContain("expect require approval 2 of finance");
  });

  it("renaming a rule: a rename, no decision changes, --fail-on passes", async () => {
    const r = await xpol(["diff", p.original, "--", p.renamed, "--seed", "3", "--runs", "150", "--fail-on", "widened", "--fail-on", "narrowed"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`~ rule ${RULE}: ${RULE} -> status_updates_under_threshold`);
    expect(r.stdout).toContain("no decision changes");
  });

  it("declarations: action types, parameters, tiers, escalations, counters, group members, tools", async () => {
    const text = readFileSync(p.original, "utf8")
      .replace("  reason?: string\n}\n\naction invoice.delete_all", "  reason?: string\n  urgent?: bool\n}\n\naction invoice.delete_all")
      .replace("tier invoice.delete = T2", "tier invoice.delete = T1 {\n  escalate to T3 when action.urgent == true\n}")
      .replace("window calendar month", "window calendar week")
      .replace(/  carol: "ed25519:[0-9a-f]+"\n/, "")
      .replace(/tool delete_customer_invoices[^}]*}\n/, "");
    const changed = join(p.dir, "changed.xpol");
    writeFileSync(changed, text);
    const r = await xpol(["diff", p.original, "--", changed, "--seed", "3", "--runs", "50", "--format", "json"]);
    expect(r.stderr).toBe("");
    const d = JSON.parse(r.stdout) as Json;
    const names = d.declarations.map((c) => `${c.change} ${c.what} ${c.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "added parameter invoice.delete.urgent",
        "changed tier invoice.delete",
        "added escalation invoice.delete",
        "changed counter status_updates",
        "removed member finance.carol",
        "removed tool delete_customer_invoices",
      ]),
    );
    // T1 instead of T2 changes no effect by itself (rules target types, not tiers): what the search reports is real
    expect(d.changes.widened + d.changes.narrowed).toBe(d.changes.changed);
  });

  it("usage: OLD -- NEW are required", async () => {
    expect((await xpol(["diff", p.original])).code).toBe(2);
  });
});
