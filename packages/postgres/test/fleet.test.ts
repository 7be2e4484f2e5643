// Many replicas, one exact state: runtime replicas in separate processes (each with its own pool) against one
// real PostgreSQL server.
import { describe, expect, it } from "vitest";
import { Enforcer, NobleSigner, signApproval } from "execlayer";
import { PostgresStore, verifyChains } from "@execlayer/postgres";
import { freshDatabase, noPostgres, sql } from "./helpers/db.ts";
import { startFleet } from "./helpers/fleet.ts";
import { carol, counterValue, fleetKey, invoicePolicy, month, setStatus, who } from "./helpers/policy.ts";
import { migrate } from "@execlayer/postgres";

type Summary = { effects: Record<string, number>; codes: Record<string, number> };

type Fleet = Awaited<ReturnType<typeof startFleet>>;

/** Each replica's summary of round `round` (they were sent "go" for it). */
async function round(fleet: Fleet, n: number): Promise<Summary[]> {
  return (await Promise.all(fleet.map((r) => r.waitFor((l) => l["round"] === n)))) as unknown as Summary[];
}

/** The first round's summaries; then the replicas close their stores. */
async function summaries(fleet: Fleet): Promise<Summary[]> {
  const out = await round(fleet, 0);
  await done(fleet);
  return out;
}

async function done(fleet: Fleet): Promise<void> {
  for (const r of fleet) r.send("done");
  await Promise.all(fleet.map((r) => r.waitFor((l) => l["closed"] === true)));
}

function total(s: readonly Summary[], effect: string): number {
  return s.reduce((n, x) => n + (x.effects[effect] ?? 0), 0);
}

describe.skipIf(noPostgres)("a fleet of replica processes", () => {
  it("4 replicas, 5,000 concurrent decisions against a limit of 1,000: exactly 1,000 allowed; every chain verifies", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const fleet = await startFleet([0, 1, 2, 3].map((i) => ({ url, mode: "burst" as const, replica: `r${i}`, n: 1250, concurrency: 64, limit: 1000 })));
    const s = await summaries(fleet);
    expect(total(s, "allow")).toBe(1000);
    expect(total(s, "require_approval")).toBe(4000);
    // every replica got some of the budget: they really raced
    expect(s.filter((x) => (x.effects["allow"] ?? 0) > 0).length).toBeGreaterThan(1);
    const store = await PostgresStore.connect(url, { receipts: false });
    expect(await counterValue(store, "status_updates", month, '["invoice-bot"]', Date.now())).toBe(1000);
    await store.close();
    const v = await verifyChains(url);
    expect(v.ok).toBe(true);
    expect(v.chains).toHaveLength(4);
    expect(v.chains.reduce((n, c) => n + c.receipts, 0)).toBe(5000);
    expect(v.chains.every((c) => c.closed)).toBe(true);
  });

  it("8 processes racing to use one approved request: exactly one allow in the fleet", async () => {
    const url = await freshDatabase();
    await migrate(url);
    // the request is opened and approved by an operator's own store connection
    const store = await PostgresStore.connect(url, { signer: NobleSigner.fromSeed(new Uint8Array(32).fill(7)), redactionKey: fleetKey });
    const enforcer = await Enforcer.create({ policy: invoicePolicy(0), store });
    const d = await enforcer.decide(setStatus("inv-42"), who);
    expect(d.effect).toBe("require_approval");
    expect((await enforcer.submitApproval(signApproval(carol, d.request!.request, "approve", Date.now()))).accepted).toBe(true);
    await store.close();
    const fleet = await startFleet(Array.from({ length: 8 }, (_, i) => ({ url, mode: "burst" as const, replica: `r${i}`, n: 5, concurrency: 5, limit: 0, invoice: "inv-42" })));
    const s = await summaries(fleet);
    expect(total(s, "allow")).toBe(1);
    expect(total(s, "deny")).toBe(39);
    expect(s.reduce((n, x) => n + (x.codes["XP5005"] ?? 0), 0)).toBe(39);
    const rows = await sql<{ consumed_at: string | null }>(url, "SELECT consumed_at FROM execlayer_requests WHERE id = $1", [d.request!.request.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.consumed_at).not.toBeNull();
    expect((await verifyChains(url)).ok).toBe(true);
  });

  it("a rolling window is exact at its boundary under concurrency", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const T = Date.parse("2026-03-10T12:00:00.000Z");
    const H = 3_600_000;
    // one fleet, three rounds at fixed times: 200 proposals at T, exactly 100 counted
    const fleet = await startFleet([0, 1, 2, 3].map((i) => ({ url, mode: "burst" as const, replica: `r${i}`, n: 50, concurrency: 16, limit: 100, window: "rolling 1h", now: T, receipts: false })));
    expect(total(await round(fleet, 0), "allow")).toBe(100);
    // one millisecond before those events leave the window: none
    for (const r of fleet) r.send(`go ${JSON.stringify({ now: T + H - 1, n: 25 })}`);
    expect(total(await round(fleet, 1), "allow")).toBe(0);
    // at T + 1h they are out (t - 1h < e fails for e = T): exactly 100 again
    for (const r of fleet) r.send(`go ${JSON.stringify({ now: T + H, n: 50 })}`);
    expect(total(await round(fleet, 2), "allow")).toBe(100);
    await done(fleet);
  });
});
