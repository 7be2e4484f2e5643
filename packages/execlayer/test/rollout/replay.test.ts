// xpol replay over a real receipt log of the invoices example: what a tightened threshold changes, that a renamed
// rule changes nothing, the period filters, the formats and --fail-on, a log that is not intact, and decisions whose
// new rules read a field the receipts hold as a commitment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from "node:fs";
import { dirname, join } from "node:path";
import { xpol, wellFormedXml } from "../cli/helpers.ts";
import { compiled, recordLog, RULE, runtimePub, START, writePolicies, type Policies } from "./fixture.ts";
import { DurableStore, Enforcer, NativeSigner } from "../../src/index.ts";
import { runtimeSeed } from "./fixture.ts";
import { Replayer } from "../../src/testing/replay.ts";
import fc from "fast-check";
import { canonicalize, type JsonValue } from "../../src/index.ts";
import { requirementsDirection } from "../../src/testing/changes.ts";
import { skimReceiptLine } from "../../src/receipts/receipt.ts";

let p: Policies;
let state: string;

beforeAll(async () => {
  p = writePolicies();
  state = join(p.dir, "state");
  await recordLog(state, compiled(p.original));
});
afterAll(() => rmSync(p.dir, { recursive: true, force: true }));

interface Json {
  decisions: number;
  changes: { compared: number; changed: number; widened: number; narrowed: number; transitions: { from: string; to: string; count: number }[]; byActionType: { key: string; count: number }[]; byRule: { key: string; count: number }[]; examples: { seq: number; from: string; to: string }[] };
  notReplayable: { reason: string; count: number; seqs: number[] }[];
}

async function replayJson(args: string[]): Promise<{ code: number; json: Json }> {
  const r = await xpol(["replay", ...args, "--format", "json"]);
  expect(r.stderr).toBe("");
  return { code: r.code, json: JSON.parse(r.stdout) as Json };
}

describe("xpol replay", () => {
  it("tightening the invoice threshold from 1,000 to 500: the 500 updates between them now need approval", async () => {
    const r = await xpol(["replay", "--policy", p.tightened, "--state", state, "--key", runtimePub]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("signatures, chain and checkpoints verified");
    expect(r.stdout).toContain("1400 decision(s) compared: 900 unchanged, 500 changed (0 widened, 500 narrowed)");
    expect(r.stdout).toMatch(/allow -> require approval +500 {2}narrowed/);
    const { json } = await replayJson(["--policy", p.tightened, "--state", state]);
    expect(json.changes.byActionType).toEqual([expect.objectContaining({ key: "invoice.update_status", count: 500, from: "allow", to: "require_approval" })]);
    expect(json.changes.byRule).toEqual([expect.objectContaining({ key: RULE, count: 500 })]);
    // the receipts with the 501st to 1,000th count of the month: every example is one of them
    const log = readFileSync(join(state, "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { seq: number; body: { counters: { value: number }[] } });
    for (const e of json.changes.examples) expect(log[e.seq]!.body.counters[0]!.value).toBeGreaterThanOrEqual(500);
    expect(json.changes.examples.length).toBe(5);
  });

  it("renaming a rule only: no decision changes, and --fail-on passes", async () => {
    const r = await xpol(["replay", "--policy", p.renamed, "--state", state, "--fail-on", "widened", "--fail-on", "narrowed"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1400 decision(s) compared: 1400 unchanged, 0 changed");
    expect(r.stdout).toContain("no decision changes");
  });

  it("--fail-on narrowed fails the tightened policy, --fail-on widened does not; loosening it back is widened", async () => {
    expect((await xpol(["replay", "--policy", p.tightened, "--state", state, "--fail-on", "narrowed"])).code).toBe(1);
    expect((await xpol(["replay", "--policy", p.tightened, "--state", state, "--fail-on", "widened"])).code).toBe(0);
    // a log decided by the tightened policy, replayed under the original: the same 500, widened
    const tight = join(p.dir, "tight-state");
    await recordLog(tight, compiled(p.tightened));
    const { code, json } = await replayJson(["--policy", p.original, "--receipts", join(tight, "receipts.jsonl"), "--fail-on", "widened"]);
    expect(code).toBe(1);
    // under the tightened policy the count stopped at 500 (what needs approval is not counted): every update that
    // needed approval read 500, and the original allows each of them
    const tightLog = readFileSync(join(tight, "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { body: { decision: { effect: string; action_type: string } } });
    const approvals = tightLog.filter((r) => r.body.decision.effect === "require_approval" && r.body.decision.action_type === "invoice.update_status").length;
    expect(approvals).toBeGreaterThan(500);
    expect(json.changes).toMatchObject({ changed: approvals, widened: approvals, narrowed: 0 });
  });

  it("--since and --until select a period by receipt time", async () => {
    const since = new Date(START + 1000 * 1000).toISOString();
    const until = new Date(START + 1100 * 1000).toISOString();
    const { json } = await replayJson(["--policy", p.tightened, "--state", state, "--since", since, "--until", until]);
    expect(json.decisions).toBe(100);
    const all = await replayJson(["--policy", p.tightened, "--state", state, "--until", since]);
    expect(all.json.decisions).toBe(999);
  });

  it("junit and github formats name the change and fail it with --fail-on", async () => {
    const j = await xpol(["replay", "--policy", p.tightened, "--state", state, "--format", "junit", "--fail-on", "narrowed"]);
    expect(wellFormedXml(j.stdout)).toBeNull();
    expect(j.stdout).toContain('failures="1"');
    expect(j.stdout).toContain("500 decision(s) narrowed: allow -&gt; require approval");
    const g = await xpol(["replay", "--policy", p.tightened, "--state", state, "--format", "github", "--fail-on", "narrowed"]);
    expect(g.stdout).toMatch(/^::error title=xpol replay%3A narrowed::500 decision\(s\) allow -> require approval; rules: status_updates_within_threshold \(500\); e\.g\. receipt seq \d+$/m);
  });

  it("a log that is not intact gives no report (exit 1), and usage errors exit 2", async () => {
    const bad = join(p.dir, "bad");
    mkdirSync(bad);
    cpSync(join(state, "receipts.jsonl"), join(bad, "receipts.jsonl"));
    const lines = readFileSync(join(bad, "receipts.jsonl"), "utf8").split("\n");
    lines[700] = lines[700]!.replace('"effect":"allow"', '"effect":"deny"');
    writeFileSync(join(bad, "receipts.jsonl"), lines.join("\n"));
    const r = await xpol(["replay", "--policy", p.tightened, "--state", bad, "--key", runtimePub]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("log is NOT intact, no report");
    expect(r.stderr).toContain("seq 700");
    expect((await xpol(["replay", "--policy", p.tightened])).code).toBe(2);
    expect((await xpol(["replay", "--state", state])).code).toBe(2);
  });

  it("a decision whose new rules read a sensitive field is not replayable, naming the field; unread ones replay", async () => {
    const text = readFileSync(p.original, "utf8").replace("  note?: string\n", "  note?: string @sensitive\n");
    const dir = join(p.dir, "sensitive");
    mkdirSync(dir);
    const before = join(dir, "before.xpol");
    writeFileSync(before, text);
    const after = join(dir, "after.xpol");
    writeFileSync(after, text + '\nrule no_urgent_notes on invoice.update_status {\n  when has(action.note) && action.note.contains("urgent")\n  deny\n}\n');
    const store = await DurableStore.open(join(dir, "state"), { signer: NativeSigner.fromSeed(runtimeSeed), durability: "none" });
    const enforcer = await Enforcer.create({ policy: compiled(before), store, clock: () => START });
    const ctx = { actor: { agent: "a", on_behalf_of: "b" }, context: { assigned_customers: [] } };
    for (const note of ["urgent", "later", undefined]) {
      const params = { invoice_id: "i", customer_id: "c", status: "paid", ...(note !== undefined ? { note } : {}) };
      await enforcer.decide({ action: { type: "invoice.update_status", params } }, ctx);
    }
    await enforcer.close();
    const { json } = await replayJson(["--policy", after, "--state", join(dir, "state")]);
    expect(json.notReplayable).toEqual([{ reason: expect.stringContaining("`action.note`") as string, count: 2, seqs: [0, 1] }]);
    expect(json.changes.compared).toBe(1);
    // the unchanged policy does not read `note`: all three replay, unchanged
    const same = await replayJson(["--policy", before, "--state", join(dir, "state")]);
    expect(same.json.notReplayable).toEqual([]);
    expect(same.json.changes).toMatchObject({ compared: 3, changed: 0 });
  });

  it("reading receipt lines (cut out of the canonical text) and parsed receipts agree, also when a cut fails", () => {
    const policy = compiled(p.tightened);
    const lines = readFileSync(join(state, "receipts.jsonl"), "utf8").trim().split("\n");
    // a parameter named like the body's key after the IR: the cut IR is not JSON, the whole line is parsed instead
    lines.push(lines[600]!.replace('"params":{', '"params":{"ir_digest":"sha256:x",').replace('"seq":600', `"seq":${lines.length}`));
    const byLine = new Replayer(policy);
    const byReceipt = new Replayer(policy);
    lines.forEach((l, seq) => {
      byLine.line(seq, l);
      const r = JSON.parse(l) as { kind: string; time: string; body: Record<string, never> };
      byReceipt.receipt(seq, r.kind, r.time, r.body);
    });
    const a = byLine.report();
    expect(a).toEqual(byReceipt.report());
    expect(a.changes.transitions).toContainEqual(expect.objectContaining({ from: "allow", to: "deny", count: 1 }));
  });

  it("for any log, reading lines (cut out of the text) and parsing each receipt whole give the same report", () => {
    const policy = compiled(p.tightened);
    // keys the cut looks for, also where they do not belong (parameters, approvals, names with braces)
    const name = fc.constantFrom("invoice_id", "customer_id", "status", "note", "ir_digest", "kind", "counters", "decision", "time", "policy", "ir", "x");
    const text = fc.oneof(fc.constantFrom("paid", "c-1", "inv-1", "}", '","kind":"', "sha256:" + "ab".repeat(32)), fc.string({ maxLength: 6 }));
    const value: fc.Arbitrary<JsonValue> = fc.oneof(text, fc.integer({ min: -5, max: 2000 }), fc.constant(null), fc.dictionary(name, text, { maxKeys: 2 }));
    const effect = fc.constantFrom("allow", "deny", "require_approval", "maybe");
    const decision = fc.record(
      { effect, action_type: fc.constantFrom("invoice.update_status", "invoice.read"), rules: fc.array(fc.record({ rule: fc.constantFrom("a", "b"), effect }), { maxLength: 2 }), reasons: fc.array(text, { maxLength: 1 }), code: fc.constantFrom("XP5101", "XP4001") },
      { requiredKeys: ["effect"] },
    );
    const body = fc.record(
      {
        action_digest: fc.constant("sha256:" + "00".repeat(32)),
        approvals: fc.array(fc.dictionary(name, value, { maxKeys: 3 }), { maxLength: 2 }),
        counters: fc.oneof(
          {
            arbitrary: fc.array(
              fc.record({
                added: fc.oneof({ arbitrary: fc.constantFrom(0, 1), weight: 6 }, { arbitrary: fc.constantFrom(-1, 1.5, 1e15), weight: 1 }),
                counter: fc.constantFrom("status_updates", "status_updates", "other", 'a"b'),
                // keys as the engine writes them (canonical JSON of the per values), escaped again in the line
                key: fc.oneof({ arbitrary: fc.constantFrom('["agent-1"]', '["agent-2"]', '["\u00e9"]'), weight: 6 }, { arbitrary: fc.constantFrom('["a\\"b"]', '["a\\\\b"]', '["\u00e9\n"]', "", "x"), weight: 1 }),
                value: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 1200 }), weight: 6 }, { arbitrary: fc.constantFrom(-1, 0.5, 2 ** 53, 1e15), weight: 1 }, { arbitrary: text, weight: 1 }),
                window: fc.constantFrom("calendar:month", "1h"),
              }),
              { maxLength: 3 },
            ),
            weight: 4,
          },
          { arbitrary: value, weight: 1 },
        ),
        decision: fc.oneof({ arbitrary: decision, weight: 4 }, { arbitrary: value, weight: 1 }),
        ir: fc.oneof(
          { arbitrary: fc.record({
            action: fc.record({ type: fc.constantFrom("invoice.update_status", "invoice.update_status", "invoice.read", "invoice.delete", "nope"), target: text, params: fc.oneof({ arbitrary: fc.record({ invoice_id: text, customer_id: text, status: fc.constantFrom("paid", "void") }), weight: 3 }, { arbitrary: fc.dictionary(name, value, { maxKeys: 4 }), weight: 1 }) }, { requiredKeys: ["type", "params"] }),
            actor: fc.record({ agent: fc.constantFrom("agent-1", "agent-2"), on_behalf_of: text }),
            context: fc.record({ assigned_customers: fc.array(text, { maxLength: 2 }) }),
            requested_at: fc.constant("2026-03-02T08:00:00Z"),
            version: fc.constant("1"),
          }), weight: 4 },
          { arbitrary: value, weight: 1 },
        ),
        ir_digest: fc.constant("sha256:" + "11".repeat(32)),
        policy: fc.record({ digest: fc.constantFrom("sha256:" + "22".repeat(32), "sha256:" + "33".repeat(32)), name: fc.constantFrom("invoices", "a}b", "c,\"d"), version: fc.constantFrom("1.0.0", "2") }, { requiredKeys: ["name"] }),
        shadow: fc.record({ decision, policy: fc.constant({ digest: "sha256:" + "44".repeat(32), name: "candidate", version: "1" }) }),
      },
      { requiredKeys: ["action_digest", "counters", "decision", "ir", "ir_digest", "policy"] },
    );
    const receipt = fc.record({ kind: fc.constantFrom("decision", "decision", "consumption", "approval", "seal"), body, time: fc.constantFrom("2026-03-02T08:00:00.000Z", "2026-03-03T08:00:00.000Z") });
    fc.assert(
      fc.property(fc.array(receipt, { maxLength: 12 }), (receipts) => {
        const byLine = new Replayer(policy, { examplesPerChange: 2 });
        const bySkim = new Replayer(policy, { examplesPerChange: 2 });
        const byReceipt = new Replayer(policy, { examplesPerChange: 2 });
        receipts.forEach((r, seq) => {
          const line = canonicalize({ body: r.body, kind: r.kind, prev: "sha256:" + "55".repeat(32), seq, sig: "A".repeat(86) + "==", signer: "ed25519:0123456789abcdef", time: r.time, v: 2 } as JsonValue);
          byLine.line(seq, line);
          // as verifyLog's onLine hands it on: with what the verifier's skim found of the line
          const skimmed = skimReceiptLine(line);
          expect(skimmed).not.toBeNull();
          bySkim.line(seq, line, skimmed ?? undefined);
          byReceipt.receipt(seq, r.kind, r.time, r.body as unknown as Record<string, never>);
        });
        const expected = byReceipt.report();
        expect(byLine.report()).toEqual(expected);
        expect(bySkim.report()).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("a deletion that needs approval before and after, but by 2 of finance instead of 1: a narrowed change; back is widened", async () => {
    const dir = join(p.dir, "quorum");
    cpSync(dirname(p.original), dir, { recursive: true });
    const two = join(dir, "invoices.xpol");
    writeFileSync(two, readFileSync(p.original, "utf8").replace("rule delete_needs_one_approver on invoice.delete {\n  require approval 1 of finance", "rule delete_needs_one_approver on invoice.delete {\n  require approval 2 of finance"));
    const deletes = readFileSync(join(state, "receipts.jsonl"), "utf8").split("\n").filter((l) => l.includes('"action_type":"invoice.delete"')).length;
    expect(deletes).toBeGreaterThan(0);
    const { code, json } = await replayJson(["--policy", two, "--state", state, "--fail-on", "narrowed"]);
    expect(code).toBe(1);
    const approvals = { from: "1 of finance within 24h", to: "2 of finance within 24h" };
    expect(json.changes).toMatchObject({ changed: deletes, narrowed: deletes, widened: 0 });
    expect(json.changes.transitions).toContainEqual({ from: "require_approval", to: "require_approval", approvals, count: deletes, direction: "narrowed" });
    expect(json.changes.byRule).toEqual([expect.objectContaining({ key: "delete_needs_one_approver", approvals, count: deletes })]);
    expect(json.changes.examples[0]).toMatchObject({ from: "require_approval", to: "require_approval", approvals });
    const text = await xpol(["replay", "--policy", two, "--state", state]);
    expect(text.stdout).toContain("require approval (1 of finance within 24h) -> require approval (2 of finance within 24h)");
    // the same policy: nothing changes; and a log decided under 2 of finance, replayed under 1, is widened
    expect((await replayJson(["--policy", p.original, "--state", state])).json.changes.changed).toBe(0);
    const twoState = join(p.dir, "quorum-state");
    await recordLog(twoState, compiled(two));
    const back = await replayJson(["--policy", p.original, "--state", twoState, "--fail-on", "widened"]);
    expect(back.code).toBe(1);
    expect(back.json.changes).toMatchObject({ changed: deletes, widened: deletes, narrowed: 0 });
  });

  it("for all required approvals: the same ask no change, a change one way is the other way back, unless incomparable", () => {
    const req = fc.record({ group: fc.constantFrom("finance", "security", "legal"), quorum: fc.integer({ min: 1, max: 3 }), withinMs: fc.constantFrom(3_600_000, 86_400_000) });
    const set = fc.uniqueArray(req, { selector: (q) => q.group, maxLength: 3 });
    fc.assert(
      fc.property(set, set, (a, b) => {
        expect(requirementsDirection(a, a)).toBeNull();
        const ab = requirementsDirection(a, b);
        const ba = requirementsDirection(b, a);
        if (ab === null) expect(ba).toBeNull();
        else if (ab === "narrowed") expect(ba).toBe("widened");
        // adding a group, raising a quorum or shortening a window asks more
        const more = [...a.map((q) => ({ ...q, quorum: q.quorum + 1 })), ...(a.some((q) => q.group === "legal") ? [] : [{ group: "legal", quorum: 1, withinMs: 1 }])];
        expect(requirementsDirection(a, more)).toBe("narrowed");
      }),
    );
  });
});
