import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compilePolicy, NobleSigner } from "../../src/index.ts";
import { GENESIS_PREV, parseReceiptLine, verifyReceiptSignature } from "../../src/receipts/index.ts";
import { signApproval } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { ApprovalRequired, PolicyDenied } from "../../src/index.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import type { Journal } from "../../src/index.ts";
import type { Receipt } from "../../src/index.ts";
import { fakePolicy, manualClock } from "./helpers/fake-policy.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);
const alice = NobleSigner.fromSeed(seed(1));
const bob = NobleSigner.fromSeed(seed(2));
const carol = NobleSigner.fromSeed(seed(3));
const oscar = NobleSigner.fromSeed(seed(5));
const mallory = NobleSigner.fromSeed(seed(6));
const runtimeKey = NobleSigner.fromSeed(seed(9));
const groups = { finance: [["alice", alice], ["bob", bob], ["carol", carol]] as const, ops: [["oscar", oscar]] as const };

const T0 = Date.parse("2026-01-31T10:00:00Z");
const H = 3_600_000;
const read = { action: { type: "invoice.read", params: { invoice_id: "inv-1", customer_id: "c-1" } } };
const update = { action: { type: "invoice.update_status", params: { invoice_id: "inv-1", customer_id: "c-1", status: "paid" } } };
const del = { action: { type: "invoice.delete", params: { invoice_id: "inv-1", customer_id: "c-1" } } };
const delAll = { action: { type: "invoice.delete_all", params: { customer_id: "c-1" } } };

async function setup(opts: { limit?: number; journal?: boolean } = {}) {
  const clock = manualClock(T0);
  const journal = opts.journal === true ? new MemoryJournal(runtimeKey, { retain: true }) : undefined;
  const store = new MemoryStore<Receipt>(journal !== undefined ? { journal } : {});
  const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: opts.limit ?? 3 }), store, clock: clock.now });
  return { clock, store, enforcer, journal };
}

describe("Enforcer: counters", () => {
  it("allows up to the limit, then requires approval; a new month resets", async () => {
    const { enforcer, clock } = await setup({ limit: 3 });
    for (let i = 0; i < 3; i++) expect((await enforcer.decide(update)).effect).toBe("allow");
    const fourth = await enforcer.decide(update);
    expect(fourth.effect).toBe("require_approval");
    expect(fourth.request?.request.requirements).toEqual([{ group: "finance", quorum: 1, withinMs: 24 * H }]);
    clock.set(Date.parse("2026-02-01T00:00:00Z"));
    expect((await enforcer.decide(update)).effect).toBe("allow");
  });

  it("counts per key: another agent has its own budget", async () => {
    const { enforcer } = await setup({ limit: 1 });
    expect((await enforcer.decide(update, { actor: { agent: "a" } })).effect).toBe("allow");
    expect((await enforcer.decide(update, { actor: { agent: "a" } })).effect).toBe("require_approval");
    expect((await enforcer.decide(update, { actor: { agent: "b" } })).effect).toBe("allow");
  });

  it("5,000 concurrent decisions against a limit of 1,000 allow exactly 1,000 and open one request", async () => {
    const { enforcer, store } = await setup({ limit: 1000 });
    const all = await Promise.all(Array.from({ length: 5000 }, () => enforcer.decide(update)));
    expect(all.filter((d) => d.effect === "allow")).toHaveLength(1000);
    expect(all.filter((d) => d.effect === "require_approval")).toHaveLength(4000);
    expect(new Set(all.filter((d) => d.request !== undefined).map((d) => d.request!.request.id)).size).toBe(1);
    expect((await enforcer.pendingApprovals()).length).toBe(1);
    expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, JSON.stringify(["bot"]), T0)).toBe(1000);
  });

  it("denied and approval-requiring decisions do not count", async () => {
    const { enforcer, store } = await setup({ limit: 1 });
    await enforcer.decide(update);
    await enforcer.decide(update);
    await enforcer.decide(update);
    expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, JSON.stringify(["bot"]), T0)).toBe(1);
  });
});

describe("Enforcer: approvals", () => {
  it("one approver: approve, then the action runs once; a replay is denied", async () => {
    const { enforcer, clock } = await setup();
    const first = await enforcer.decide(del);
    expect(first.effect).toBe("require_approval");
    const again = await enforcer.decide(del);
    expect(again.request?.request.id).toBe(first.request?.request.id); // no duplicate request
    clock.advance(H);
    const sub = await enforcer.submitApproval(signApproval(alice, first.request!.request, "approve", clock.now()));
    expect(sub.accepted).toBe(true);
    if (sub.accepted) expect(sub.request.status).toBe("approved");
    const run = await enforcer.decide(del);
    expect(run.effect).toBe("allow");
    expect(run.reasons[0]).toMatch(/approved by alice/);
    expect(run.approval).toBeUndefined();
    expect(run.request?.status).toBe("consumed");
    const replay = await enforcer.decide(del);
    expect(replay.effect).toBe("deny");
    expect(replay.code).toBe("XP5005");
    expect((await enforcer.pendingApprovals()).length).toBe(0);
  });

  it("an approved status update increments its counter when it executes", async () => {
    const { enforcer, store, clock } = await setup({ limit: 1 });
    await enforcer.decide(update);
    const req = await enforcer.decide(update);
    await enforcer.submitApproval(signApproval(bob, req.request!.request, "approve", clock.now()));
    expect((await enforcer.decide(update)).effect).toBe("allow");
    expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, JSON.stringify(["bot"]), T0)).toBe(2);
  });

  it("two approvers within 24h for delete_all; one is not enough", async () => {
    const { enforcer, clock } = await setup();
    const req = (await enforcer.decide(delAll)).request!.request;
    await enforcer.submitApproval(signApproval(alice, req, "approve", clock.now()));
    const half = await enforcer.decide(delAll);
    expect(half.effect).toBe("require_approval");
    expect(half.request?.progress).toEqual([{ group: "finance", quorum: 2, approvedBy: ["alice"] }]);
    clock.advance(23 * H);
    await enforcer.submitApproval(signApproval(bob, req, "approve", clock.now()));
    expect((await enforcer.decide(delAll)).effect).toBe("allow");
  });

  it("every forgery fails with a typed error and changes nothing", async () => {
    const { enforcer, clock, store } = await setup();
    const req = (await enforcer.decide(delAll)).request!.request;
    const ok = await enforcer.submitApproval(signApproval(alice, req, "approve", clock.now()));
    expect(ok.accepted).toBe(true);
    const snapshot = () => JSON.stringify(store.state.openRequests(clock.now()));
    const before = snapshot();
    const other = { ...req, id: "apr_000000000000000000000000" };
    const tampered = signApproval(bob, req, "approve", clock.now());
    const forgeries: [string, unknown, string][] = [
      ["outside key", signApproval(mallory, req, "approve", clock.now()), "not_in_group"],
      ["other group's key", signApproval(oscar, req, "approve", clock.now()), "not_in_group"],
      ["signature over another request", { ...signApproval(bob, other, "approve", clock.now()), statement: { ...signApproval(bob, other, "approve", clock.now()).statement, request: req.id } }, "bad_signature"],
      ["tampered digest", { ...tampered, statement: { ...tampered.statement, action_digest: "sha256:" + "0".repeat(64) } }, "action_mismatch"],
      ["same approver twice", signApproval(alice, req, "approve", clock.now() + 1), "duplicate"],
      ["late signature", signApproval(bob, req, "approve", clock.now() + 25 * H), "outside_window"],
      ["malformed signature", { ...tampered, signature: "AAAA" }, "malformed"],
      ["unknown request", signApproval(bob, other, "approve", clock.now()), "unknown_request"],
      ["not an object", "approve please", "malformed"],
    ];
    for (const [name, forged, kind] of forgeries) {
      const r = await enforcer.submitApproval(forged);
      expect(r.accepted, name).toBe(false);
      if (!r.accepted) expect(r.error.kind, name).toBe(kind);
      expect(snapshot(), name).toBe(before);
    }
    // a late arrival of an otherwise valid approval
    clock.advance(24 * H + 1);
    const late = await enforcer.submitApproval(signApproval(bob, req, "approve", req.createdAt + H));
    expect(late.accepted).toBe(false);
    if (!late.accepted) expect(late.error.message).toMatch(/arrived 1ms after/);
  });

  it("a reject from a group member vetoes the request", async () => {
    const { enforcer, clock } = await setup();
    const req = (await enforcer.decide(delAll)).request!.request;
    await enforcer.submitApproval(signApproval(alice, req, "approve", clock.now()));
    const veto = await enforcer.submitApproval(signApproval(carol, req, "reject", clock.now()));
    expect(veto.accepted).toBe(true);
    if (veto.accepted) expect(veto.request.status).toBe("vetoed");
    const after = await enforcer.submitApproval(signApproval(bob, req, "approve", clock.now()));
    expect(after.accepted).toBe(false);
    const d = await enforcer.decide(delAll);
    expect(d.effect).toBe("deny");
    expect(d.code).toBe("XP5006");
    expect(d.reasons[0]).toMatch(/rejected by `carol`/);
    // once the vetoed request has expired, a new proposal starts a new request
    clock.advance(25 * H);
    const fresh = await enforcer.decide(delAll);
    expect(fresh.effect).toBe("require_approval");
    expect(fresh.request?.request.id).not.toBe(req.id);
  });

  it("an expired request is denied once, then a new request starts", async () => {
    const { enforcer, clock } = await setup();
    const req = (await enforcer.decide(delAll)).request!.request;
    clock.advance(24 * H + 1);
    const d = await enforcer.decide(delAll);
    expect(d.effect).toBe("deny");
    expect(d.code).toBe("XP5007");
    expect(d.reasons[0]).toContain(req.id);
    const next = await enforcer.decide(delAll);
    expect(next.effect).toBe("require_approval");
    expect(next.request?.request.id).not.toBe(req.id);
  });

  it("when the policy asks for more than the open request, a new request replaces it", async () => {
    const { enforcer, clock } = await setup();
    const a = (await enforcer.decide(del)).request!.request;
    const risky = { context: { risk: "high" } };
    const d = await enforcer.decide(del, risky);
    expect(d.effect).toBe("require_approval");
    const b = d.request!.request;
    expect(b.id).not.toBe(a.id);
    expect(b.requirements[0]!.quorum).toBe(2);
    expect(d.reasons[0]).toBe(`approval request ${a.id} was replaced: the policy now requires 2 of finance`);
    expect((await enforcer.submitApproval(signApproval(alice, a, "approve", clock.now()))).accepted).toBe(false);
    expect((await enforcer.submitApproval(signApproval(alice, b, "approve", clock.now()))).accepted).toBe(true);
    expect((await enforcer.decide(del, risky)).effect).toBe("require_approval");
    // the calmer policy answer (1 of finance) is covered by the open request, whose own quorum still applies
    const calm = await enforcer.decide(del);
    expect(calm.effect).toBe("require_approval");
    expect(calm.request?.request.id).toBe(b.id);
    await enforcer.submitApproval(signApproval(bob, b, "approve", clock.now()));
    expect((await enforcer.decide(del)).effect).toBe("allow");
  });

  it("an approved but expired request does not run", async () => {
    const { enforcer, clock } = await setup();
    const req = (await enforcer.decide(del)).request!.request;
    await enforcer.submitApproval(signApproval(alice, req, "approve", clock.now()));
    clock.advance(24 * H + 1);
    expect((await enforcer.decide(del)).effect).toBe("deny");
  });
});

describe("Enforcer: receipts and failing closed", () => {
  it("journals every event with its state changes, signed by the runtime key", async () => {
    const { enforcer, journal, clock } = await setup({ journal: true });
    const d = await enforcer.decide(read);
    expect(d.effect).toBe("allow");
    expect(d.receipt?.kind).toBe("decision");
    expect(verifyReceiptSignature(d.receipt!, runtimeKey.publicKey)).toBe(true);
    const u = await enforcer.decide(update);
    expect(u.receipt?.body["state"]).toEqual([{ op: "count", counter: "status_updates", window: "calendar:month", key: '["bot"]', at: new Date(T0).toISOString(), amount: 1 }]);
    const r = await enforcer.decide(del);
    expect((r.receipt?.body["state"] as { op: string }[])[0]!.op).toBe("request");
    const sub = await enforcer.submitApproval(signApproval(alice, r.request!.request, "approve", clock.now()));
    expect(sub.receipt?.kind).toBe("approval");
    const run = await enforcer.decide(del);
    expect(run.receipt?.kind).toBe("consumption");
    const bad = await enforcer.submitApproval(signApproval(bob, r.request!.request, "approve", clock.now()));
    expect(bad.accepted).toBe(false);
    expect(bad.receipt?.body["state"]).toEqual([]);
    expect(journal!.lines).toHaveLength(6);
    // hash-chained: each receipt's prev is the SHA-256 of the previous line without its `sig` field
    let prev = GENESIS_PREV;
    journal!.lines.forEach((line, seq) => {
      const parsed = parseReceiptLine(line);
      expect(parsed.ok && parsed.value).toMatchObject({ seq, prev });
      const unsigned = line.replace(`"sig":"${parsed.ok ? parsed.value.sig : ""}",`, "");
      expect(unsigned).not.toBe(line);
      prev = "sha256:" + createHash("sha256").update(unsigned, "utf8").digest("hex");
    });
    expect(journal!.head).toEqual({ seq: 5, hash: prev });
  });

  it("invalid input is a deny with the input error's code", async () => {
    const { enforcer } = await setup({ journal: true });
    const d = await enforcer.decide({ action: { type: "invoice.frobnicate", params: {} } });
    expect(d.effect).toBe("deny");
    expect(d.code).toBe("XP4020");
    expect(d.reasons[0]).toMatch(/invalid action: unknown action type/);
    expect(d.receipt?.kind).toBe("decision");
    expect(d.receipt?.body["decision"]).toMatchObject({ effect: "deny", code: "XP4020" });
    expect(d.receipt?.body["input_error"]).toMatchObject({ code: "XP4020" });
    expect(d.receipt?.body["state"]).toEqual([]);
    expect((await enforcer.decide(42)).effect).toBe("deny");
  });

  it("an exception inside the policy becomes a deny with a receipt", async () => {
    const journal = new MemoryJournal(runtimeKey, { retain: true });
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, explode: true }), store: new MemoryStore<Receipt>({ journal }) });
    const d = await enforcer.decide(read);
    expect(d.effect).toBe("deny");
    expect(d.code).toBe("XP5001");
    expect(d.receipt?.kind).toBe("decision");
    expect(d.receipt?.body["decision"]).toMatchObject({ effect: "deny", code: "XP5001" });
    expect(d.receipt?.body["state"]).toEqual([]);
  });

  it("a store that cannot record denies with a reason and code", async () => {
    const broken: Journal<Receipt> = {
      append() {
        throw new Error("disk full");
      },
      flush: () => Promise.resolve(),
    };
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups }), store: new MemoryStore<Receipt>({ journal: broken }) });
    const d = await enforcer.decide(read);
    expect(d).toMatchObject({ effect: "deny", code: "XP5004" });
    expect(d.reasons[0]).toMatch(/disk full/);
    const failingFlush: Journal<Receipt> = { append: (k, b, t) => new MemoryJournal(runtimeKey).append(k, b, t), flush: () => Promise.reject(new Error("EIO")) };
    const e2 = await Enforcer.create({ policy: fakePolicy({ groups }), store: new MemoryStore<Receipt>({ journal: failingFlush }) });
    expect(await e2.decide(update)).toMatchObject({ effect: "deny", code: "XP5004" });
  });

  it("a closed store denies", async () => {
    const { enforcer, store } = await setup();
    await store.close();
    expect(await enforcer.decide(read)).toMatchObject({ effect: "deny", code: "XP5023" });
  });
});

describe("guard", () => {
  it("runs the tool only on allow and throws typed errors otherwise", async () => {
    const { enforcer, clock } = await setup();
    let calls = 0;
    const getInvoice = enforcer.guard(async (args: { invoice_id: string; customer_id: string }) => {
      calls++;
      return `invoice ${args.invoice_id}`;
    }, { toolName: "get_invoice" });
    expect(await getInvoice({ invoice_id: "inv-7", customer_id: "c-1" })).toBe("invoice inv-7");
    const deleteInvoice = enforcer.guard(() => {
      calls++;
      return "deleted";
    }, { toolName: "delete_invoice", context: () => ({ actor: { agent: "bot" } }) });
    const err = await deleteInvoice({ invoice_id: "inv-7", customer_id: "c-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApprovalRequired);
    const required = err as ApprovalRequired;
    expect(required.message).toMatch(/1 of finance/);
    await enforcer.submitApproval(signApproval(alice, required.request!.request, "approve", clock.now()));
    expect(await deleteInvoice({ invoice_id: "inv-7", customer_id: "c-1" })).toBe("deleted");
    const replay = await deleteInvoice({ invoice_id: "inv-7", customer_id: "c-1" }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(PolicyDenied);
    expect((replay as PolicyDenied).decision.code).toBe("XP5005");
    const unknown = enforcer.guard(() => calls++, { toolName: "drop_tables" });
    expect(await unknown({}).catch((e: unknown) => e)).toBeInstanceOf(PolicyDenied);
    expect(calls).toBe(2);
  });
});

describe("Enforcer.create: a policy that did not compile", () => {
  it("names the null policy compilePolicy returned instead of failing inside", async () => {
    const failed = compilePolicy({ sources: [{ path: "broken.xpol", text: "policy broken {" }] });
    expect(failed.policy).toBeNull();
    const store = new MemoryStore<Receipt>();
    await expect(Enforcer.create({ policy: failed.policy as never, store })).rejects.toThrow(/`policy` is null \(compilePolicy returns null when the policy has errors/);
    await expect(Enforcer.create({ policy: fakePolicy({ groups }), store, shadow: failed.policy as never })).rejects.toThrow(/`shadow` is null/);
  });
});
