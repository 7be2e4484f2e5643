// The seed's invoice agent, end to end through the real compiler, the Enforcer and both stores:
// T0 reads always allowed; T1 status updates allowed up to 1,000 a month, then one approver; T2 delete needs one
// approver; T3 delete-all needs two approvers within 24 hours; and every forgery fails with the state unchanged.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy } from "../../src/index.ts";
import { formatPublicKey } from "../../src/index.ts";
import { NativeSigner, NobleSigner } from "../../src/index.ts";
import { fromBase64, toBase64 } from "../../src/receipts/bytes.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { signApproval, type ApprovalRequest } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { DurableStore } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import type { RuntimeState } from "../../src/runtime/state.ts";
import type { Receipt } from "../../src/index.ts";
import { manualClock } from "./helpers/fake-policy.ts";
import type { CompiledPolicy } from "../../src/index.ts";
import type { EnforcerDecision } from "../../src/index.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const seed = (n: number) => new Uint8Array(32).fill(n);
const alice = NobleSigner.fromSeed(seed(1));
const bob = NobleSigner.fromSeed(seed(2));
const carol = NobleSigner.fromSeed(seed(3));
const oscar = NobleSigner.fromSeed(seed(4)); // member of another group
const mallory = NobleSigner.fromSeed(seed(5)); // member of no group

/** The example policy with generated keys in place of the RFC 8032 test keys, plus a second group. */
function invoicePolicy(): CompiledPolicy {
  let text = fs.readFileSync(path.join(repo, "examples/invoices/invoices.xpol"), "utf8");
  const keys = [...text.matchAll(/"(ed25519:[0-9a-f]{64})"/g)].map((m) => m[1]!);
  expect(keys).toHaveLength(3);
  [alice, bob, carol].forEach((s, i) => (text = text.replace(keys[i]!, formatPublicKey(s.publicKey))));
  text += `\ngroup ops {\n  oscar: "${formatPublicKey(oscar.publicKey)}"\n}\n`;
  const { policy, diagnostics } = compilePolicy({ sources: [{ path: "invoices.xpol", text }] });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return policy!;
}

const policy = invoicePolicy();
const who = { actor: { agent: "invoice-bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } };
const JAN = Date.parse("2026-01-15T09:00:00Z");
const H = 3_600_000;

// Tool calls as the model would send them, in several provider shapes.
const getInvoice = (id: string) => ({ type: "tool_use", id: "toolu_1", name: "get_invoice", input: { invoice_id: id, customer_id: "c-1" } });
const setStatus = (id: string) => ({
  id: "call_1",
  type: "function",
  function: { name: "set_invoice_status", arguments: JSON.stringify({ invoice_id: id, customer_id: "c-1", status: "paid" }) },
});
const deleteInvoice = (id: string) => ({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "delete_invoice", arguments: { invoice_id: id, customer_id: "c-1" } } });
const deleteAll = { type: "tool-call", toolCallId: "tc_1", toolName: "delete_customer_invoices", input: { customer_id: "c-1" } };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function dump(state: RuntimeState): string {
  return JSON.stringify({ counters: [...state.counters].map(([id, g]) => [id, [...g]]), requests: [...state.requests], byAction: [...state.byAction].map(([p, m]) => [p, [...m]]) });
}

type Kind = "memory" | "durable";
async function setup(kind: Kind) {
  const clock = manualClock(JAN);
  let store: MemoryStore<Receipt> | DurableStore;
  if (kind === "memory") {
    store = new MemoryStore<Receipt>();
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-invoices-"));
    dirs.push(dir);
    store = await DurableStore.open(dir, { signer: NativeSigner.fromSeed(seed(9)) });
  }
  const enforcer = await Enforcer.create({ policy, store, clock: clock.now });
  const decide = (p: unknown): Promise<EnforcerDecision> => enforcer.decide(p, who);
  return { clock, store, enforcer, decide };
}

for (const kind of ["memory", "durable"] as const) {
  describe(`invoice scenario (${kind} store)`, () => {
    it("T0: reading an invoice is always allowed and counts nothing", async () => {
      const { decide, store } = await setup(kind);
      for (let i = 0; i < 20; i++) {
        const d = await decide(getInvoice(`inv-${i}`));
        expect(d).toMatchObject({ effect: "allow", tier: "T0", actionType: "invoice.read" });
      }
      expect(store.state.counterCells).toBe(0);
      if (kind === "durable") expect((await decide(getInvoice("x"))).receipt?.kind).toBe("decision");
      await store.close();
    });

    it("T1: 1,000 status updates a month, the 1,001st needs one approver, a new month resets", async () => {
      const setupResult = await setup(kind);
      const { enforcer, clock } = setupResult;
      let { store, decide } = setupResult;
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => decide(setStatus(`inv-${i}`))));
      expect(results.every((d) => d.effect === "allow" && d.tier === "T1")).toBe(true);
      const over = await decide(setStatus("inv-1000"));
      expect(over.effect).toBe("require_approval");
      expect(over.approval?.requirements).toEqual([{ group: "finance", quorum: 1, withinMs: 24 * H }]);
      expect(over.rules).toEqual([expect.objectContaining({ rule: "status_updates_within_threshold", effect: "require_approval", otherwise: true })]);
      // once approved, the 1,001st executes (and is counted), exactly once
      const sub = await enforcer.submitApproval(signApproval(carol, over.request!.request, "approve", clock.now()));
      expect(sub.accepted).toBe(true);
      const run = await decide(setStatus("inv-1000"));
      expect(run.effect).toBe("allow");
      expect((await decide(setStatus("inv-1000"))).code).toBe("XP5005");
      expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["invoice-bot"]', clock.now())).toBe(1001);
      if (kind === "durable") {
        // a restart keeps the month's count
        await store.close();
        store = await DurableStore.open((store as DurableStore).dir, { signer: NativeSigner.fromSeed(seed(9)) });
        expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["invoice-bot"]', clock.now())).toBe(1001);
        const e2 = await Enforcer.create({ policy, store, clock: clock.now });
        decide = (p: unknown) => e2.decide(p, who);
      }
      expect((await decide(setStatus("inv-1001"))).effect).toBe("require_approval");
      // February: a fresh budget
      clock.set(Date.parse("2026-02-01T00:00:00Z"));
      expect((await decide(setStatus("inv-1001"))).effect).toBe("allow");
      expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["invoice-bot"]', clock.now())).toBe(1);
      await store.close();
    });

    it("T2: deleting an invoice needs one approver and then runs once", async () => {
      const { decide, enforcer, clock, store } = await setup(kind);
      const first = await decide(deleteInvoice("inv-1"));
      expect(first).toMatchObject({ effect: "require_approval", tier: "T2" });
      expect((await decide(deleteInvoice("inv-1"))).request?.request.id).toBe(first.request!.request.id);
      expect(await enforcer.pendingApprovals()).toHaveLength(1);
      clock.advance(2 * H);
      expect((await enforcer.submitApproval(signApproval(bob, first.request!.request, "approve", clock.now()))).accepted).toBe(true);
      // another invoice is another action: still needs its own approval
      expect((await decide(deleteInvoice("inv-2"))).effect).toBe("require_approval");
      const run = await decide(deleteInvoice("inv-1"));
      expect(run).toMatchObject({ effect: "allow", tier: "T2" });
      if (kind === "durable") expect(run.receipt?.kind).toBe("consumption");
      const replay = await decide(deleteInvoice("inv-1"));
      expect(replay).toMatchObject({ effect: "deny", code: "XP5005" });
      await store.close();
    });

    it("T3: deleting all invoices needs two approvers within 24 hours", async () => {
      const { decide, enforcer, clock, store } = await setup(kind);
      const d = await decide(deleteAll);
      expect(d).toMatchObject({ effect: "require_approval", tier: "T3" });
      expect(d.approval?.requirements).toEqual([{ group: "finance", quorum: 2, withinMs: 24 * H }]);
      const req = d.request!.request;
      expect(req.expiresAt - req.createdAt).toBe(24 * H);
      clock.advance(3 * H);
      await enforcer.submitApproval(signApproval(alice, req, "approve", clock.now()));
      expect((await decide(deleteAll)).effect).toBe("require_approval");
      clock.advance(20 * H);
      await enforcer.submitApproval(signApproval(carol, req, "approve", clock.now()));
      expect((await decide(deleteAll)).effect).toBe("allow");
      expect((await decide(deleteAll)).effect).toBe("deny");
      await store.close();
      if (kind === "durable") expect((await verifyLog((store as DurableStore).dir, NativeSigner.fromSeed(seed(9)).publicKey)).ok).toBe(true);
    });

    it("T3: approvals that arrive after 24 hours do not count, and the expired request is denied", async () => {
      const { decide, enforcer, clock, store } = await setup(kind);
      const req = (await decide(deleteAll)).request!.request;
      await enforcer.submitApproval(signApproval(alice, req, "approve", clock.now()));
      clock.advance(24 * H + 60_000);
      const late = await enforcer.submitApproval(signApproval(bob, req, "approve", clock.now()));
      expect(late.accepted).toBe(false);
      if (!late.accepted) expect(late.error.message).toMatch(/arrived 1m after request .* expired/);
      expect(await decide(deleteAll)).toMatchObject({ effect: "deny", code: "XP5007" });
      await store.close();
    });

    it("T3: every forgery fails with a typed error and the state unchanged", async () => {
      const { decide, enforcer, clock, store } = await setup(kind);
      const req = (await decide(deleteAll)).request!.request;
      const otherReq = (await decide(deleteInvoice("inv-9"))).request!.request;
      clock.advance(H);
      const aliceOk = signApproval(alice, req, "approve", clock.now());
      expect((await enforcer.submitApproval(aliceOk)).accepted).toBe(true);
      const before = dump(store.state);
      const now = clock.now();
      const forOther = signApproval(bob, otherReq, "approve", now);
      const bobOk = signApproval(bob, req, "approve", now);
      const flipped = fromBase64(bobOk.signature)!;
      flipped[0]! ^= 0x80;
      const cases: [string, unknown, string][] = [
        ["a key outside every group", signApproval(mallory, req, "approve", now), "not_in_group"],
        ["a key of another group", signApproval(oscar, req, "approve", now), "not_in_group"],
        ["a signature over another request", { statement: { ...forOther.statement, request: req.id, action_digest: req.actionDigest }, signature: forOther.signature }, "bad_signature"],
        ["a tampered action digest", { ...bobOk, statement: { ...bobOk.statement, action_digest: otherReq.actionDigest } }, "action_mismatch"],
        ["a tampered policy digest", { ...bobOk, statement: { ...bobOk.statement, policy_digest: "sha256:" + "f".repeat(64) } }, "policy_mismatch"],
        ["a replayed approval", aliceOk, "duplicate"],
        ["the same approver twice", signApproval(alice, req, "approve", now + 1000), "duplicate"],
        ["a late signature", signApproval(bob, req, "approve", req.expiresAt + H), "outside_window"],
        ["a malformed signature", { ...bobOk, signature: bobOk.signature.slice(1) }, "malformed"],
        ["a corrupted signature", { ...bobOk, signature: toBase64(flipped) }, "bad_signature"],
        ["a signature by another key under bob's name", { ...signApproval(mallory, req, "approve", now), statement: { ...bobOk.statement } }, "bad_signature"],
      ];
      for (const [name, forged, kind2] of cases) {
        const r = await enforcer.submitApproval(forged);
        expect(r.accepted, name).toBe(false);
        if (!r.accepted) {
          expect(r.error.kind, `${name}: ${r.error.message}`).toBe(kind2);
          expect(r.error.code, name).toMatch(/^XP501\d$/);
        }
        expect(dump(store.state), name).toBe(before);
        expect((await decide(deleteAll)).effect, name).toBe("require_approval");
      }
      // a veto from a finance member stops it, even with a quorum reached afterwards
      expect((await enforcer.submitApproval(signApproval(carol, req, "reject", now))).accepted).toBe(true);
      expect((await enforcer.submitApproval(bobOk)).accepted).toBe(false);
      expect(await decide(deleteAll)).toMatchObject({ effect: "deny", code: "XP5006" });
      await store.close();
    });
  });
}

describe("IR-shaped proposals", () => {
  // a proposal that claims a request time long past
  const staleRead = {
    version: "1",
    action: { type: "invoice.read", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } },
    ...who,
    requested_at: "2020-01-01T00:00:00Z",
  };

  it("are decided at the Enforcer's clock: a proposal's own requested_at cannot move it to another window", async () => {
    const { enforcer, clock } = await setup("memory");
    const ir = staleRead;
    const d = await enforcer.decide(ir, who);
    expect(d.effect).toBe("allow");
    const again = await enforcer.decide(ir, who);
    expect(again.effect).toBe("allow");
    expect(again.irDigest).toBe(d.irDigest); // same IR: built with the clock's time, not the proposal's
    clock.advance(1);
    expect((await enforcer.decide(ir, who)).irDigest).not.toBe(d.irDigest);
  });

  it("the same holds for a proposal given as JSON text", async () => {
    const { enforcer } = await setup("memory");
    const ir = staleRead;
    const fromObject = await enforcer.decide(ir, who);
    const fromText = await enforcer.decide(JSON.stringify(ir), who);
    expect(fromText.effect).toBe("allow");
    expect(fromText.irDigest).toBe(fromObject.irDigest);
  });

  it("take actor and context from the caller only: without them the proposal's own are refused (XP4033)", async () => {
    const { enforcer } = await setup("durable");
    const d = await enforcer.decide(staleRead);
    expect(d).toMatchObject({ effect: "deny", code: "XP4033" });
    expect(d.receipt).toBeDefined();
  });
});

describe("exactness with the compiled invoice policy", () => {
  // (the durable store runs the same 5,000 against a hand-written policy in test/store/durable.test.ts)
  it("5,000 concurrent status updates against the limit of 1,000 allow exactly 1,000", async () => {
    const { decide, store, clock } = await setup("memory");
    const all = await Promise.all(Array.from({ length: 5000 }, (_, i) => decide(setStatus(`inv-${i}`))));
    expect(all.filter((d) => d.effect === "allow")).toHaveLength(1000);
    expect(all.filter((d) => d.effect === "require_approval")).toHaveLength(4000);
    expect(store.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["invoice-bot"]', clock.now())).toBe(1000);
  });
});

describe("approval requests bind to the policy", () => {
  it("an approval collected under one policy does not authorize the action under another", async () => {
    const clock = manualClock(JAN);
    const store = new MemoryStore<Receipt>();
    const e1 = await Enforcer.create({ policy, store, clock: clock.now });
    const req: ApprovalRequest = (await e1.decide(deleteInvoice("inv-1"), who)).request!.request;
    await e1.submitApproval(signApproval(alice, req, "approve", clock.now()));
    const text = fs.readFileSync(path.join(repo, "examples/invoices/invoices.xpol"), "utf8").replace('version "1.0.0"', 'version "1.0.1"');
    const other = compilePolicy({ sources: [{ path: "invoices.xpol", text }] }).policy!;
    expect(other.digest).not.toBe(policy.digest);
    const e2 = await Enforcer.create({ policy: other, store, clock: clock.now });
    const d = await e2.decide(deleteInvoice("inv-1"), who);
    expect(d.effect).toBe("require_approval");
    expect(d.request?.request.id).not.toBe(req.id);
  });
});
