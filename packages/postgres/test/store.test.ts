// PostgresStore against a real server: schema checks, what batching adds to the runtime's transaction sequence (the
// sequence itself: conformance.test.ts), failures inside a decision, and the invoice scenario through the Enforcer.
import { afterAll, describe, expect, it } from "vitest";
import { Enforcer, NobleSigner, signApproval, type StateChange, type Receipt, type StateStore } from "execlayer";
import { verifyLog } from "execlayer/receipts";
import { migrate, PostgresStore, SCHEMA_VERSION, exportChains, verifyChains } from "@execlayer/postgres";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freshDatabase, noPostgres, sql } from "./helpers/db.ts";
import { bob, carol, counterValue, deleteInvoice, fleetKey, invoicePolicy, month, setStatus, who } from "./helpers/policy.ts";

const T0 = Date.parse("2026-01-31T10:00:00Z");
const day = { kind: "calendar", unit: "day" } as const;
const count: StateChange = { op: "count", counter: "c", window: day, key: '["k"]', at: T0, amount: 1 };
const event = { kind: "decision", body: { note: "x" }, time: T0 };
const signer = NobleSigner.fromSeed(new Uint8Array(32).fill(9));

const open: StateStore<Receipt>[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
});

async function store(options: Parameters<typeof PostgresStore.connect>[1] = {}): Promise<{ store: PostgresStore; url: string }> {
  const url = await freshDatabase();
  const s = await PostgresStore.connect(url, { migrate: true, signer, redactionKey: fleetKey, ...options });
  open.push(s);
  return { store: s, url };
}

describe.skipIf(noPostgres)("schema", () => {
  it("refuses a database without the schema, then works once migrated", async () => {
    const url = await freshDatabase();
    await expect(PostgresStore.connect(url)).rejects.toMatchObject({ name: "StoreError", code: "XP5024", reason: "schema" });
    await expect(PostgresStore.connect(url)).rejects.toThrow(/xpol db migrate --postgres URL/);
    expect(await migrate(url)).toEqual({ from: 0, to: SCHEMA_VERSION, applied: [1, 2] });
    expect(await migrate(url)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    const s = await PostgresStore.connect(url);
    await s.close();
  });

  it("refuses a schema from the future, and migrate does not touch it", async () => {
    const url = await freshDatabase();
    await migrate(url);
    await sql(url, "UPDATE execlayer_schema SET version = $1", [SCHEMA_VERSION + 1]);
    await expect(PostgresStore.connect(url)).rejects.toMatchObject({ code: "XP5024", message: expect.stringContaining(`schema version ${SCHEMA_VERSION + 1} is newer`) });
    await expect(PostgresStore.connect(url, { migrate: true })).rejects.toMatchObject({ code: "XP5024" });
    await expect(migrate(url)).rejects.toMatchObject({ code: "XP5024" });
    expect(await sql(url, "SELECT version FROM execlayer_schema")).toEqual([{ version: SCHEMA_VERSION + 1 }]);
  });

  it("a database that cannot be reached: XP5025, naming it without its password", async () => {
    await expect(PostgresStore.connect("postgresql://xp:secret@127.0.0.1:1/nope", { connectTimeoutMs: 2000 })).rejects.toMatchObject({
      code: "XP5025",
      message: expect.stringContaining("xp:***@127.0.0.1:1/nope"),
    });
  });
});

describe.skipIf(noPostgres)("the runtime's transaction sequence, in batches (the rest: conformance.test.ts)", () => {
  it("changes that do not apply: XP5001, nothing applied; the rest of the batch is unaffected", async () => {
    const { store: s } = await store();
    const scope = { now: T0, counters: [{ counter: "c", window: day, key: '["k"]' }] };
    const [bad, good] = await Promise.all([
      s.transact(scope, () => ({ result: 0, changes: [count, { op: "consume", request: "apr_nope", at: T0 }], event })),
      s.transact(scope, () => ({ result: 1, changes: [count], event })),
    ]);
    expect(bad).toMatchObject({ ok: false, error: { code: "XP5001" } });
    expect(good).toMatchObject({ ok: true, result: 1 });
    expect(await counterValue(s, "c", day, '["k"]', T0)).toBe(1);
  });

  it("receipts signed on worker threads (signingThreads, the store's own key): the chain verifies", async () => {
    const url = await freshDatabase();
    const s = await PostgresStore.connect(url, { migrate: true, signingThreads: 2, checkpointEvery: 64 });
    const scope = { now: T0, counters: [{ counter: "c", window: day, key: '["k"]' }] };
    const outs = [];
    // four batches of 50: checkpoints when the size crosses 64, 128 and 192
    for (let b = 0; b < 4; b++) outs.push(...(await Promise.all(Array.from({ length: 50 }, () => s.transact(scope, () => ({ result: 0, changes: [count], event }))))));
    expect(outs.every((o) => o.ok && o.receipt !== undefined)).toBe(true);
    await s.close();
    const v = await verifyChains(url);
    expect(v).toMatchObject({ ok: true, chains: [{ receipts: 200, closed: true }] });
    expect(v.chains[0]!.checkpoints).toBe(3);
  });

  it("without receipts: not journaled, nothing in the chains", async () => {
    const { store: s, url } = await store({ receipts: false });
    expect(s.journaled).toBe(false);
    const out = await s.transact({ now: T0, counters: [{ counter: "c", window: day, key: '["k"]' }] }, () => ({ result: 0, changes: [count] }));
    expect(out).toEqual({ ok: true, result: 0 });
    expect(await sql(url, "SELECT count(*)::int AS n FROM execlayer_receipts")).toEqual([{ n: 0 }]);
  });
});

describe.skipIf(noPostgres)("the invoice scenario", () => {
  const JAN = Date.parse("2026-01-15T09:00:00Z");

  it("T1: the limit, an approval that runs once, a new month; every chain verifies and exports", async () => {
    const { store: s, url } = await store({ checkpointEvery: 100 });
    let now = JAN;
    const enforcer = await Enforcer.create({ policy: invoicePolicy(50), store: s, clock: () => now });
    const all = await Promise.all(Array.from({ length: 120 }, (_, i) => enforcer.decide(setStatus(`inv-${i}`), who)));
    expect(all.filter((d) => d.effect === "allow")).toHaveLength(50);
    expect(all.filter((d) => d.effect === "require_approval")).toHaveLength(70);
    expect(new Set(all.map((d) => d.receipt?.seq)).size).toBe(120);
    expect(await counterValue(s, "status_updates", month, '["invoice-bot"]', now)).toBe(50);
    const over = all.find((d) => d.effect === "require_approval")!;
    now += 60_000;
    const sub = await enforcer.submitApproval(signApproval(carol, over.request!.request, "approve", now));
    expect(sub.accepted).toBe(true);
    expect((await enforcer.pendingApprovals()).map((r) => r.status)).toContain("approved");
    const target = over.request!.request.target!.replace("invoice/", "");
    const [a, b] = await Promise.all([enforcer.decide(setStatus(target), who), enforcer.decide(setStatus(target), who)]);
    expect([a.effect, b.effect].sort()).toEqual(["allow", "deny"]);
    expect([a, b].find((d) => d.effect === "deny")?.code).toBe("XP5005");
    expect(await counterValue(s, "status_updates", month, '["invoice-bot"]', now)).toBe(51);
    now = Date.parse("2026-02-01T00:00:00Z");
    expect((await enforcer.decide(setStatus("inv-x"), who)).effect).toBe("allow");
    expect(await counterValue(s, "status_updates", month, '["invoice-bot"]', now)).toBe(1);
    await s.close();

    const v = await verifyChains(url, { keys: [signer.publicKey] });
    expect(v.ok).toBe(true);
    expect(v.chains).toHaveLength(1);
    expect(v.chains[0]!.closed).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-export-"));
    try {
      const ex = await exportChains(url, dir);
      const chainDir = path.join(dir, ex.chains[0]!.dir);
      const r = await verifyLog(chainDir, signer.publicKey);
      expect(r).toMatchObject({ ok: true, count: ex.chains[0]!.receipts });
      expect(r.checkpoints).toBeGreaterThanOrEqual(2);
      // the verifier is not fooled by an edit in the database
      await sql(url, "UPDATE execlayer_receipts SET line = replace(line, '\"effect\":\"allow\"', '\"effect\":\"deny\"') WHERE seq = 3");
      const bad = await verifyChains(url, { keys: [signer.publicKey] });
      expect(bad.ok).toBe(false);
      expect(bad.chains[0]!.result.firstBad?.seq).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("T2: a veto and an expiry close the request; a forged approval changes nothing", async () => {
    const { store: s } = await store();
    let now = JAN;
    const enforcer = await Enforcer.create({ policy: invoicePolicy(), store: s, clock: () => now });
    const first = await enforcer.decide(deleteInvoice("inv-1"), who);
    expect(first.effect).toBe("require_approval");
    const req = first.request!.request;
    const forged = signApproval(bob, { ...req, actionDigest: "sha256:" + "0".repeat(64) }, "approve", now);
    expect(await enforcer.submitApproval(forged)).toMatchObject({ accepted: false, error: { kind: "action_mismatch" } });
    expect((await enforcer.decide(deleteInvoice("inv-1"), who)).request?.request.id).toBe(req.id);
    expect((await enforcer.submitApproval(signApproval(bob, req, "reject", now))).accepted).toBe(true);
    expect(await enforcer.decide(deleteInvoice("inv-1"), who)).toMatchObject({ effect: "deny", code: "XP5006" });
    const second = await enforcer.decide(deleteInvoice("inv-2"), who);
    now += 25 * 3_600_000;
    expect(await enforcer.decide(deleteInvoice("inv-2"), who)).toMatchObject({ effect: "deny", code: "XP5007" });
    const again = await enforcer.decide(deleteInvoice("inv-2"), who);
    expect(again.effect).toBe("require_approval");
    expect(again.request?.request.id).not.toBe(second.request!.request.id);
  });
});

describe.skipIf(noPostgres)("a decision whose connection breaks, or that waits too long", () => {
  const JAN = Date.parse("2026-01-15T09:00:00Z");

  /** Holds the counter row's lock from another session, so the store's decision waits inside its transaction. */
  async function holdCounter(url: string) {
    const pg = (await import("pg")).default;
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("INSERT INTO execlayer_counters (counter, win, key) VALUES ('status_updates', 'calendar:month', '[\"invoice-bot\"]') ON CONFLICT DO NOTHING");
    await holder.query("SELECT * FROM execlayer_counters FOR UPDATE");
    return holder;
  }

  it("the connection killed mid-decision: deny XP5004, nothing changed; the next decision works", async () => {
    const { store: s, url } = await store({ statementTimeoutMs: 20_000 });
    const enforcer = await Enforcer.create({ policy: invoicePolicy(), store: s, clock: () => JAN });
    const holder = await holdCounter(url);
    const pending = enforcer.decide(setStatus("inv-1"), who);
    // wait until the store's transaction is blocked on the lock, then kill its backend
    for (let i = 0; i < 100; i++) {
      const waiting = await sql(url, "SELECT pid FROM pg_stat_activity WHERE application_name = 'execlayer' AND wait_event_type = 'Lock'");
      if (waiting.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const killed = await sql(url, "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'execlayer' AND wait_event_type = 'Lock'");
    expect(killed).toEqual([{ ok: true }]);
    const d = await pending;
    expect(d).toMatchObject({ effect: "deny", code: "XP5004" });
    expect(d.reasons[0]).toMatch(/PostgreSQL/);
    await holder.query("ROLLBACK");
    await holder.end();
    expect(await counterValue(s, "status_updates", month, '["invoice-bot"]', JAN)).toBe(0);
    expect(await sql(url, "SELECT count(*)::int AS n FROM execlayer_receipts")).toEqual([{ n: 1 }]); // the read above
    expect((await enforcer.decide(setStatus("inv-1"), who)).effect).toBe("allow");
    expect(await counterValue(s, "status_updates", month, '["invoice-bot"]', JAN)).toBe(1);
  });

  it("a lock held past the statement timeout: deny XP5004, nothing changed", async () => {
    const { store: s, url } = await store({ statementTimeoutMs: 300 });
    const enforcer = await Enforcer.create({ policy: invoicePolicy(), store: s, clock: () => JAN });
    const holder = await holdCounter(url);
    const d = await enforcer.decide(setStatus("inv-1"), who);
    expect(d).toMatchObject({ effect: "deny", code: "XP5004" });
    expect(d.reasons[0]).toMatch(/lock timeout|statement timeout|55P03|57014/);
    await holder.query("ROLLBACK");
    await holder.end();
    expect(await counterValue(s, "status_updates", month, '["invoice-bot"]', JAN)).toBe(0);
  });
});

describe.skipIf(noPostgres)("approvals racing across connections (each store its own pool and batches)", () => {
  const JAN = Date.parse("2026-01-15T09:00:00Z");

  async function fleetOf(n: number) {
    const url = await freshDatabase();
    await migrate(url);
    const policy = invoicePolicy();
    return Promise.all(
      Array.from({ length: n }, async () => {
        const s = await PostgresStore.connect(url, { signer, redactionKey: fleetKey });
        open.push(s);
        return Enforcer.create({ policy, store: s, clock: () => JAN });
      }),
    );
  }

  it("the same approver's signature submitted by 4 replicas at once counts once", async () => {
    const replicas = await fleetOf(4);
    const req = (await replicas[0]!.decide(deleteInvoice("inv-1"), who)).request!.request;
    const signed = signApproval(bob, req, "approve", JAN);
    const outs = await Promise.all(replicas.flatMap((e) => [e.submitApproval(signed), e.submitApproval(signed)]));
    expect(outs.filter((o) => o.accepted)).toHaveLength(1);
    expect(outs.filter((o) => !o.accepted).map((o) => !o.accepted && o.error.kind)).toEqual(Array(7).fill("duplicate"));
    const runs = await Promise.all(replicas.map((e) => e.decide(deleteInvoice("inv-1"), who)));
    expect(runs.filter((d) => d.effect === "allow")).toHaveLength(1);
  });

  it("a veto racing the approved action's use: one of them wins, never both", async () => {
    const replicas = await fleetOf(2);
    const [a, b] = replicas as [Enforcer, Enforcer];
    for (let i = 0; i < 10; i++) {
      const req = (await a.decide(deleteInvoice(`inv-${i}`), who)).request!.request;
      expect((await a.submitApproval(signApproval(bob, req, "approve", JAN))).accepted).toBe(true);
      const [veto, run] = await Promise.all([a.submitApproval(signApproval(carol, req, "reject", JAN)), b.decide(deleteInvoice(`inv-${i}`), who)]);
      if (run.effect === "allow") {
        expect(veto).toMatchObject({ accepted: false, error: { kind: "request_closed" } });
      } else {
        expect(veto.accepted).toBe(true);
        expect(run).toMatchObject({ effect: "deny", code: "XP5006" });
      }
    }
  });
});
