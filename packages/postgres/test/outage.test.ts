// Failures mid-load: a replica killed with SIGKILL, and the PostgreSQL server stopped and started again. Nothing
// acknowledged is lost, nothing is allowed while the store is down, and every chain verifies afterwards.
import { describe, expect, it } from "vitest";
import { migrate, PostgresStore, verifyChains } from "@execlayer/postgres";
import { cluster, freshDatabase, noPostgres, sql } from "./helpers/db.ts";
import { startFleet } from "./helpers/fleet.ts";
import { counterValue, month } from "./helpers/policy.ts";
import { serverPids, startServer, stopServer } from "./helpers/cluster.ts";
import { Enforcer } from "execlayer";
import { fleetKey, invoicePolicy, setStatus, who } from "./helpers/policy.ts";

type Ack = { i: number; t: number; effect: string; code: string | null; sig: string | null };

/** Every receipt signature in the database, and the counter's value. */
async function stored(url: string): Promise<{ sigs: Set<string>; allows: number; counter: number }> {
  const rows = await sql<{ line: string }>(url, "SELECT line FROM execlayer_receipts");
  const sigs = new Set<string>();
  let allows = 0;
  for (const r of rows) {
    const receipt = JSON.parse(r.line) as { sig: string; kind: string; body: { decision?: { effect: string } } };
    sigs.add(receipt.sig);
    if (receipt.body.decision?.effect === "allow") allows++;
  }
  const store = await PostgresStore.connect(url, { receipts: false });
  const counter = await counterValue(store, "status_updates", month, '["invoice-bot"]', Date.now());
  await store.close();
  return { sigs, allows, counter };
}

const acks = (lines: Record<string, unknown>[]): Ack[] => lines.filter((l) => typeof l["i"] === "number") as unknown as Ack[];

describe.skipIf(noPostgres)("failures mid-load", () => {
  it("kill -9 of a replica loses no acknowledged decision, and its chain verifies", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const [victim, other] = await startFleet([
      { url, mode: "load", replica: "victim", limit: 1_000_000, concurrency: 16 },
      { url, mode: "load", replica: "other", limit: 1_000_000, concurrency: 16 },
    ]);
    await victim!.waitFor((l) => l["i"] === 300);
    victim!.proc.kill("SIGKILL");
    await victim!.exited;
    await other!.waitFor((l) => l["i"] === 600);
    other!.send("stop");
    await other!.waitFor((l) => l["closed"] === true);
    const all = [...acks(victim!.lines), ...acks(other!.lines)];
    expect(all.length).toBeGreaterThan(600);
    expect(all.every((a) => a.effect === "allow" && a.sig !== null)).toBe(true);
    const { sigs, allows, counter } = await stored(url);
    for (const a of all) expect(sigs.has(a.sig!), `acknowledged decision ${a.i}`).toBe(true);
    // the counter counts exactly the allowed decisions recorded (acknowledged or not)
    expect(counter).toBe(allows);
    const v = await verifyChains(url);
    expect(v.ok).toBe(true);
    const victimChain = v.chains.find((c) => c.replica === "victim")!;
    expect(victimChain.closed).toBe(false);
    expect(victimChain.receipts).toBeGreaterThanOrEqual(acks(victim!.lines).length);
  });

  it("PostgreSQL stopped mid-load: every decision in the outage is a deny with XP5004, and decisions resume", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const fleet = await startFleet([0, 1].map((i) => ({ url, mode: "load" as const, replica: `r${i}`, limit: 1_000_000, concurrency: 8 })));
    await Promise.all(fleet.map((r) => r.waitFor((l) => l["i"] === 100)));
    stopServer(cluster!);
    // the server is gone; a decision committed just before may still be answered in the next moments
    const down = Date.now() + 500;
    await Promise.all(fleet.map((r) => r.waitFor((l) => l["code"] === "XP5004" && (l["t"] as number) > down)));
    await new Promise((r) => setTimeout(r, 1500));
    const up = Date.now();
    startServer(cluster!);
    await Promise.all(fleet.map((r) => r.waitFor((l) => l["effect"] === "allow" && (l["t"] as number) > up + 200)));
    for (const r of fleet) r.send("stop");
    await Promise.all(fleet.map((r) => r.waitFor((l) => l["closed"] === true)));

    const all = fleet.flatMap((r) => acks(r.lines));
    const outage = all.filter((a) => a.t > down && a.t < up);
    expect(outage.length).toBeGreaterThan(0);
    expect(outage.filter((a) => a.effect !== "deny" || a.code !== "XP5004")).toEqual([]);
    // no deny but the store's, and no allow without its receipt in the database
    expect(all.every((a) => a.effect === "allow" || a.code === "XP5004")).toBe(true);
    const { sigs, allows, counter } = await stored(url);
    const acked = all.filter((a) => a.effect === "allow");
    for (const a of acked) expect(sigs.has(a.sig!), `acknowledged decision ${a.i}`).toBe(true);
    expect(counter).toBe(allows);
    expect(allows).toBeGreaterThanOrEqual(acked.length);
    const v = await verifyChains(url);
    expect(v.ok).toBe(true);
  });

  it("a server that stops answering (frozen): deny XP5004 within the client's timeout, nothing changed; it resumes", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const store = await PostgresStore.connect(url, { statementTimeoutMs: 1000, poolSize: 1, redactionKey: fleetKey });
    const enforcer = await Enforcer.create({ policy: invoicePolicy(), store });
    expect((await enforcer.decide(setStatus("inv-0"), who)).effect).toBe("allow");
    const pids = serverPids(cluster!);
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    let d;
    let health;
    const t = Date.now();
    try {
      d = await enforcer.decide(setStatus("inv-1"), who);
      // the readiness probe (xpol serve's /readyz) says the replica can only deny now
      health = await store.health();
    } finally {
      for (const pid of pids.slice().reverse()) process.kill(pid, "SIGCONT");
    }
    expect(d).toMatchObject({ effect: "deny", code: "XP5004" });
    expect(d.reasons[0]).toMatch(/timeout/i);
    expect(health).toMatchObject({ code: "XP5004", message: expect.stringMatching(/PostgreSQL/) });
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(await store.health()).toBeNull();
    expect((await enforcer.decide(setStatus("inv-2"), who)).effect).toBe("allow");
    await store.close();
    expect(await store.health()).toMatchObject({ code: "XP5023" });
    const { counter } = await stored(url);
    expect(counter).toBe(2);
  });
});
