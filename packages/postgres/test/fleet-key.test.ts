// The fleet's redaction key (src/fleet-key.ts): replicas on one database commit `@sensitive` values under one key, so
// an action's digests are the same on every replica and an approval opened on one is found and used on another; a
// replica with another key, or without one, is refused with XP5026 before it decides anything.
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy, Enforcer, formatDiagnostics, generateRedactionKey, MemoryStore, signApproval, type CompiledPolicy, type Receipt, type RedactionKey } from "execlayer";
import { migrate, PostgresStore } from "@execlayer/postgres";
import { freshDatabase, noPostgres, sql } from "./helpers/db.ts";
import { alice, bob, fleetKey, IBAN, payout, PAYOUTS } from "./helpers/policy.ts";

function policy(): CompiledPolicy {
  const r = compilePolicy({ sources: [{ path: "payouts.xpol", text: PAYOUTS }] });
  if (r.policy === null || r.policy === undefined) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.policy;
}

const T = Date.parse("2026-06-01T09:00:00Z");
const ctx = { actor: { agent: "payout-bot" } };

const open: PostgresStore[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
});

async function replica(url: string, name: string, key: RedactionKey | undefined, clock: () => number): Promise<{ store: PostgresStore; enforcer: Enforcer }> {
  const store = await PostgresStore.connect(url, { replica: name, ...(key !== undefined ? { redactionKey: key } : {}) });
  open.push(store);
  return { store, enforcer: await Enforcer.create({ policy: policy(), store, clock }) };
}

const digests = (r: Receipt | undefined) => ({ action: r?.body["action_digest"], ir: r?.body["ir_digest"] });

describe.skipIf(noPostgres)("the fleet's redaction key", () => {
  it("an action with a @sensitive field: opened on replica A, approved 2 of 3 across both, runs once on B; its digests agree", async () => {
    const url = await freshDatabase();
    await migrate(url);
    let now = T;
    const a = await replica(url, "a", fleetKey, () => now);
    const b = await replica(url, "b", fleetKey, () => now);

    const onA = await a.enforcer.decide(payout, ctx);
    expect(onA.effect).toBe("require_approval");
    // the agent retries on B at once: B finds A's request by the action's digest instead of opening another
    const onB = await b.enforcer.decide(payout, ctx);
    expect(onB.effect).toBe("require_approval");
    const req = onA.request!.request;
    expect(onB.request!.request.id).toBe(req.id);
    expect(digests(onB.receipt)).toEqual(digests(onA.receipt));
    // the value itself is in neither receipt: its commitment under the fleet's key is
    expect(onA.receipt!.body["redaction"]).toMatchObject({ key: fleetKey.keyId, fields: ["action.params.iban"] });
    expect(JSON.stringify(onA.receipt!.body)).not.toContain(IBAN);

    // the quorum through the core's approval API, one approver on each replica
    expect((await a.enforcer.submitApproval(signApproval(alice, req, "approve", T))).accepted).toBe(true);
    expect((await b.enforcer.submitApproval(signApproval(bob, req, "approve", T))).accepted).toBe(true);

    // the agent's retries, on both replicas at once: the approved action runs exactly once in the fleet
    now = T + 60_000;
    const retries = await Promise.all([b.enforcer.decide(payout, ctx), a.enforcer.decide(payout, ctx)]);
    expect(retries.map((d) => d.effect).sort()).toEqual(["allow", "deny"]);
    const ran = retries.find((d) => d.effect === "allow")!;
    expect(retries.find((d) => d.effect === "deny")!.code).toBe("XP5005");
    expect(ran.receipt!.body["action_digest"]).toBe(req.actionDigest);
    expect(ran.receipt!.body["approvals"]).toHaveLength(2);
    const rows = await sql<{ id: string; consumed_at: string | null }>(url, "SELECT id, consumed_at FROM execlayer_requests");
    expect(rows).toEqual([{ id: req.id, consumed_at: String(now) }]);

    // what the shared key prevents: under a replica's own key the same proposal has another action digest
    const alone = await Enforcer.create({ policy: policy(), store: new MemoryStore<Receipt>({ redactionKey: generateRedactionKey() }), clock: () => T });
    expect((await alone.decide(payout, ctx)).request!.request.actionDigest).not.toBe(req.actionDigest);
  });

  it("a replica given another key is refused at connect (XP5026) and changes nothing", async () => {
    const url = await freshDatabase();
    await migrate(url, { redactionKey: fleetKey });
    const other = generateRedactionKey();
    const refused = PostgresStore.connect(url, { replica: "stray", redactionKey: other });
    await expect(refused).rejects.toMatchObject({ name: "StoreError", code: "XP5026", reason: "redaction-key" });
    await expect(refused).rejects.toThrow(new RegExp(`its key is ${other.keyId}, the fleet's is ${fleetKey.keyId} \\(recorded by migrate`));
    expect(await sql(url, "SELECT redaction_key_id, recorded_by FROM execlayer_fleet")).toEqual([{ redaction_key_id: fleetKey.keyId, recorded_by: "migrate" }]);
    // migrate given another key refuses too, and leaves the record
    await expect(migrate(url, { redactionKey: other })).rejects.toMatchObject({ code: "XP5026" });
    expect(await sql(url, "SELECT redaction_key_id FROM execlayer_fleet")).toEqual([{ redaction_key_id: fleetKey.keyId }]);
    // the fleet's own key still connects
    const ok = await PostgresStore.connect(url, { redactionKey: fleetKey });
    await ok.close();
  });

  it("replicas starting at once with two keys on a fresh database: the first recorded wins, every other is refused", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const keys = [fleetKey, generateRedactionKey()];
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => PostgresStore.connect(url, { replica: `r${i}`, redactionKey: keys[i % 2]! })));
    const [recorded] = await sql<{ redaction_key_id: string }>(url, "SELECT redaction_key_id FROM execlayer_fleet");
    outcomes.forEach((o, i) => {
      if (keys[i % 2]!.keyId === recorded!.redaction_key_id) expect(o.status).toBe("fulfilled");
      else expect(o).toMatchObject({ status: "rejected", reason: { code: "XP5026" } });
      if (o.status === "fulfilled") open.push(o.value);
    });
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(4);
  });

  it("an Enforcer over a store connected without the key, or with a key of its own, is refused (XP5026); approvers need no key", async () => {
    const url = await freshDatabase();
    await migrate(url, { redactionKey: fleetKey });
    const keyed = await replica(url, "a", fleetKey, () => T);
    const opened = await keyed.enforcer.decide(payout, ctx);
    expect(opened.effect).toBe("require_approval");

    const keyless = await PostgresStore.connect(url, { replica: "approver" });
    open.push(keyless);
    await expect(Enforcer.create({ policy: policy(), store: keyless })).rejects.toMatchObject({
      code: "XP5026",
      reason: "redaction-key",
      message: expect.stringContaining(`connected without the fleet's redaction key (${fleetKey.keyId})`),
    });
    await expect(Enforcer.create({ policy: policy(), store: keyed.store, redactionKey: generateRedactionKey() })).rejects.toMatchObject({ code: "XP5026" });
    // the same key given to both is accepted
    await expect(Enforcer.create({ policy: policy(), store: keyed.store, redactionKey: fleetKey })).resolves.toBeInstanceOf(Enforcer);
    // a store without the key still lists the fleet's requests (approving goes by request id, not by digest)
    expect((await keyless.openRequests(T)).map((r) => r.request.id)).toEqual([opened.request!.request.id]);
  });
});
