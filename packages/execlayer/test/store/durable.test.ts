import { afterEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NativeSigner, NobleSigner } from "../../src/index.ts";
import { ReceiptLog } from "../../src/receipts/log.ts";
import { proveReceipt, verifyLog, verifyReceiptProof } from "../../src/receipts/index.ts";
import { signApproval } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { DurableStore } from "../../src/index.ts";
import { StoreError } from "../../src/index.ts";
import type { RuntimeState } from "../../src/runtime/state.ts";
import { fakePolicy, manualClock } from "../runtime/helpers/fake-policy.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);
const alice = NobleSigner.fromSeed(seed(1));
const bob = NobleSigner.fromSeed(seed(2));
const groups = { finance: [["alice", alice], ["bob", bob]] as const };
const T0 = Date.parse("2026-01-31T10:00:00Z");
const H = 3_600_000;

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-durable-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const update = (agent = "bot", id = "inv-1") => [
  { action: { type: "invoice.update_status", params: { invoice_id: id, customer_id: "c-1", status: "paid" } } },
  { actor: { agent } },
] as const;
const delAll = { action: { type: "invoice.delete_all", params: { customer_id: "c-1" } } };
const del = (id: string) => ({ action: { type: "invoice.delete", params: { invoice_id: id, customer_id: "c-1" } } });

/** Everything the state holds, as comparable data. */
function dump(state: RuntimeState): unknown {
  return {
    counters: [...state.counters.entries()].map(([id, g]) => [id, [...g.entries()].sort(([a], [b]) => (a < b ? -1 : 1))]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
    requests: [...state.requests.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    byAction: [...state.byAction.entries()].map(([p, m]) => [p, [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1))]),
  };
}

describe("DurableStore", () => {
  it("restart recovers counters and approval requests exactly", async () => {
    const dir = tempDir();
    const clock = manualClock(T0);
    const policy = fakePolicy({ groups, limit: 3, window: { kind: "rolling", ms: 2 * H } });
    let store = await DurableStore.open(dir);
    let enforcer = await Enforcer.create({ policy, store, clock: clock.now });
    for (let i = 0; i < 5; i++) {
      await enforcer.decide(...update("a", `inv-${i}`));
      clock.advance(10 * 60_000);
    }
    await enforcer.decide(...update("b"));
    const pendingReq = (await enforcer.decide(delAll)).request!.request;
    await enforcer.submitApproval(signApproval(alice, pendingReq, "approve", clock.now()));
    const usedReq = (await enforcer.decide(del("inv-9"))).request!.request;
    await enforcer.submitApproval(signApproval(bob, usedReq, "approve", clock.now()));
    expect((await enforcer.decide(del("inv-9"))).effect).toBe("allow");
    await enforcer.submitApproval(signApproval(bob, pendingReq, "approve", clock.now() + 25 * H)); // rejected: no change
    const before = dump(store.state);
    const pendingBefore = await enforcer.pendingApprovals();
    await store.close();

    store = await DurableStore.open(dir);
    expect(dump(store.state)).toEqual(before);
    enforcer = await Enforcer.create({ policy, store, clock: clock.now });
    expect(await enforcer.pendingApprovals()).toEqual(pendingBefore);
    // behaviour continues where it stopped: the used request is a replay, the half-approved one completes
    expect((await enforcer.decide(del("inv-9"))).code).toBe("XP5005");
    await enforcer.submitApproval(signApproval(bob, pendingReq, "approve", clock.now()));
    expect((await enforcer.decide(delAll)).effect).toBe("allow");
    await store.close();
    const verified = await verifyLog(dir, store.signer.publicKey);
    expect(verified.ok).toBe(true);
  });

  it("5,000 concurrent decisions against a limit of 1,000 allow exactly 1,000, durably", async () => {
    const dir = tempDir();
    const store = await DurableStore.open(dir, { signer: NativeSigner.fromSeed(seed(9)) });
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: 1000 }), store });
    const all = await Promise.all(Array.from({ length: 5000 }, () => enforcer.decide(...update())));
    expect(all.filter((d) => d.effect === "allow")).toHaveLength(1000);
    expect(all.every((d) => d.receipt !== undefined)).toBe(true);
    await store.close();
    const reopened = await DurableStore.open(dir, { signer: NativeSigner.fromSeed(seed(9)) });
    expect(reopened.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["bot"]', Date.now())).toBe(1000);
    expect(reopened.log.size).toBe(5000);
    await reopened.close();
  });

  it("with its own key signing on worker threads: the same limits hold, every receipt is signed, the log verifies and replays", async () => {
    const dir = tempDir();
    const store = await DurableStore.open(dir, { signerKind: "native", signingThreads: 2, checkpointEvery: 100 });
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: 300 }), store });
    const all = await Promise.all(Array.from({ length: 1000 }, () => enforcer.decide(...update())));
    expect(all.filter((d) => d.effect === "allow")).toHaveLength(300);
    expect(new Set(all.map((d) => d.receipt?.seq)).size).toBe(1000);
    await store.close();
    const pub = fs.readFileSync(path.join(dir, "runtime.pub"), "utf8").trim();
    expect(await verifyLog(dir, Buffer.from(pub.slice("ed25519:".length), "hex"))).toMatchObject({ ok: true, count: 1000 });
    const reopened = await DurableStore.open(dir, { signerKind: "native", signingThreads: 1 });
    expect(reopened.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["bot"]', Date.now())).toBe(300);
    await reopened.close();
    await expect(DurableStore.open(dir, { signingThreads: -1 })).rejects.toBeInstanceOf(StoreError);
    // threads without node:crypto, or beside a signer of the caller's: refused, not silently ignored
    await expect(DurableStore.open(dir, { signingThreads: 2 })).rejects.toThrow(/signerKind "native"/);
    await expect(DurableStore.open(dir, { signingThreads: 2, signerKind: "native", signer: NativeSigner.fromSeed(seed(9)) })).rejects.toThrow(/SigningPool/);
  });

  it("with per-batch signatures: the same limits hold, each decision's receipt is sealed with its batch, proves on its own, and replays", async () => {
    const dir = tempDir();
    const store = await DurableStore.open(dir, { signerKind: "native", signatures: "per-batch", checkpointEvery: 0 });
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: 300 }), store });
    const all = await Promise.all(Array.from({ length: 1000 }, () => enforcer.decide(...update())));
    expect(all.filter((d) => d.effect === "allow")).toHaveLength(300);
    expect(all.every((d) => d.receipt !== undefined && d.receipt.sig === undefined)).toBe(true);
    const seals = store.log.size - 1000;
    expect(seals).toBeGreaterThan(0); // one per group commit
    expect(seals).toBeLessThan(1000);
    // before any checkpoint: a decision's receipt proves to its batch's seal, with the public key alone
    const seq = (all[500] as (typeof all)[number]).receipt!.seq;
    const proof = await proveReceipt(dir, seq);
    expect(proof.ok && proof.value.seal?.kind).toBe("seal");
    const pub = fs.readFileSync(path.join(dir, "runtime.pub"), "utf8").trim();
    const publicKey = Buffer.from(pub.slice("ed25519:".length), "hex");
    if (proof.ok) expect(verifyReceiptProof(JSON.parse(JSON.stringify(proof.value)), publicKey)).toMatchObject({ ok: true, value: { receipt: { seq } } });
    await store.close();
    expect(await verifyLog(dir, publicKey)).toMatchObject({ ok: true, count: 1000 + seals });
    // reopened in either mode: the same state
    const reopened = await DurableStore.open(dir, { signerKind: "native" });
    expect(reopened.state.counter("status_updates", { kind: "calendar", unit: "month" }, '["bot"]', Date.now())).toBe(300);
    await reopened.close();
  });

  it("a second opener of the same directory gets a typed error naming the holder", async () => {
    const dir = tempDir();
    const store = await DurableStore.open(dir);
    const err = await DurableStore.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).reason).toBe("locked");
    expect((err as StoreError).message).toContain(`pid ${process.pid}`);
    await store.close();
    (await DurableStore.open(dir)).close();
  });

  it("keeps its own signing key in the directory and refuses a log signed by another key", async () => {
    const dir = tempDir();
    const s1 = await DurableStore.open(dir);
    const key = s1.signer.keyId;
    await s1.close();
    expect((fs.statSync(path.join(dir, "runtime.key")).mode & 0o777).toString(8)).toBe("600");
    const s2 = await DurableStore.open(dir);
    expect(s2.signer.keyId).toBe(key);
    const e = await (async () => {
      await (await Enforcer.create({ policy: fakePolicy({ groups }), store: s2 })).decide(delAll);
      await s2.close();
      return DurableStore.open(dir, { signer: NobleSigner.fromSeed(seed(42)) }).catch((x: unknown) => x);
    })();
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).reason).toBe("corrupt");
    expect((e as StoreError).message).toMatch(/signed by key/);
    // the failed open released the lock
    (await DurableStore.open(dir)).close();
  });

  it("a state change that does not replay is reported as corruption with its position", async () => {
    const dir = tempDir();
    const signer = NobleSigner.fromSeed(seed(7));
    const log = await ReceiptLog.open(dir, { signer, origin: "test" });
    log.append("decision", { state: [] }, new Date(T0));
    log.append("approval", { state: [{ op: "approval", request: "apr_nope" }] }, new Date(T0));
    await log.close();
    const err = await DurableStore.open(dir, { signer }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/receipt 1 \(line 2\): `record` must be an object/);
  });

  it("a log that cannot be written makes decisions deny, never throw", async () => {
    const dir = tempDir();
    const store = await DurableStore.open(dir);
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups }), store });
    expect((await enforcer.decide(...update())).effect).toBe("allow");
    // simulate a disk error on the next group commit
    const log = store.log as unknown as { flush: () => Promise<void> };
    log.flush = () => Promise.reject(new Error("EIO: i/o error, fdatasync"));
    const d = await enforcer.decide(...update());
    expect(d).toMatchObject({ effect: "deny", code: "XP5004" });
    expect(d.reasons[0]).toMatch(/EIO/);
    const s = await enforcer.submitApproval(signApproval(alice, { id: "apr_x", actionDigest: "sha256:" + "0".repeat(64), policyDigest: "sha256:" + "0".repeat(64) }, "approve", Date.now()));
    expect(s.accepted).toBe(false);
    await store.close().catch(() => undefined);
  });
});
