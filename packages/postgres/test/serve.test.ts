// `xpol serve --postgres URL`: two service replicas on one database decide as one fleet. The server is loaded as a
// user runs it (startServer from @execlayer/server, which loads this package by name), against a real server.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@execlayer/server";
import { migrate, verifyChains } from "@execlayer/postgres";
import { generateRedactionKey, signApproval, writeRedactionKeyFile } from "execlayer";
import { freshDatabase, noPostgres } from "./helpers/db.ts";
import { alice, bob, fleetKey, payout as payoutProposal, PAYOUTS } from "./helpers/policy.ts";

const POLICY = `policy fleet version "1.0.0"

actor {
  agent: string
}

action invoice.update_status {
  invoice_id: string
}

tier invoice.update_status = T1

counter updates {
  on invoice.update_status
  per actor.agent
  window calendar month
}

rule capped on invoice.update_status {
  when counter.updates < 5
  allow
  else deny "over the monthly cap"
}
`;

const dir = mkdtempSync(path.join(tmpdir(), "xp-serve-pg-"));
const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const quiet = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
// the fleet's redaction key file, as every replica is given it
const keyFile = path.join(dir, "fleet.redaction-key");
await writeRedactionKeyFile(keyFile, fleetKey);

async function replica(url: string, policy: string = POLICY): Promise<RunningServer> {
  const policyFile = path.join(dir, policy === POLICY ? "fleet.xpol" : "payouts.xpol");
  writeFileSync(policyFile, policy);
  const s = await startServer({ policies: [policyFile], postgres: url, redactionKey: keyFile, listen: "127.0.0.1:0", watch: false, logDestination: quiet() });
  running.push(s);
  return s;
}

async function decide(base: string, i: number): Promise<{ effect: string; receipt: { seq: number } | null }> {
  const res = await fetch(`${base}/v1/decisions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ proposal: { action: { type: "invoice.update_status", target: `invoice/${i}`, params: { invoice_id: `inv-${i}` } } }, actor: { agent: "bot" } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { effect: string; receipt: { seq: number } | null };
}

describe.skipIf(noPostgres)("xpol serve --postgres", () => {
  it("refuses a database whose schema is not migrated (XP5024), then two replicas share one exact counter", async () => {
    const url = await freshDatabase();
    const policyFile = path.join(dir, "fleet.xpol");
    writeFileSync(policyFile, POLICY);
    await expect(startServer({ policies: [policyFile], postgres: url, redactionKey: keyFile, listen: "127.0.0.1:0", watch: false, logDestination: quiet() })).rejects.toMatchObject({ code: "XP5024" });
    await migrate(url);
    const [a, b] = [await replica(url), await replica(url)];
    // 12 updates by one agent, alternating replicas, 6 at a time: the cap of 5 holds for the fleet, not per replica
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => decide(i % 2 === 0 ? a.url : b.url, i)));
    expect(answers.filter((d) => d.effect === "allow")).toHaveLength(5);
    expect(answers.filter((d) => d.effect === "deny")).toHaveLength(7);
    expect(answers.every((d) => d.receipt !== null)).toBe(true);
    // each replica's receipts are a chain in the database, and every chain verifies
    for (const s of running.splice(0)) await s.close();
    const chains = await verifyChains(url, {});
    expect(chains.ok).toBe(true);
    expect(chains.chains.reduce((n, c) => n + (c.ok ? c.result.count : 0), 0)).toBe(12);
  });

  it("a replica with another redaction key, or none, is refused at start (XP5026, exit 2) and the fleet's key stays recorded", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const policyFile = path.join(dir, "fleet.xpol");
    writeFileSync(policyFile, POLICY);
    const a = await replica(url);
    const strayFile = path.join(dir, "stray.redaction-key");
    await writeRedactionKeyFile(strayFile, generateRedactionKey());
    const start = (extra: { redactionKey?: string }) => startServer({ policies: [policyFile], postgres: url, ...extra, listen: "127.0.0.1:0", watch: false, logDestination: quiet() });
    await expect(start({ redactionKey: strayFile })).rejects.toMatchObject({ code: "XP5026", exit: 2, message: expect.stringContaining(`the fleet's is ${fleetKey.keyId}`) });
    await expect(start({})).rejects.toMatchObject({ code: "XP5026", exit: 2, message: expect.stringContaining("connected without the fleet's redaction key") });
    // the running replica still decides
    expect((await decide(a.url, 0)).effect).toBe("allow");
  });

  it("an action with a @sensitive field: opened on one replica, approved 2 of 3 on both, runs once; one action digest", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const [a, b] = [await replica(url, PAYOUTS), await replica(url, PAYOUTS)];
    const opened = await post(a.url, "v1/decisions", payout);
    expect(opened.effect).toBe("require_approval");
    // the agent retries on the other replica: the same request, found by the same action digest
    const again = await post(b.url, "v1/decisions", payout);
    const req = opened["request"] as { id: string; action_digest: string; policy_digest: string };
    expect((again["request"] as { id: string }).id).toBe(req.id);
    expect(again["action_digest"]).toBe(opened["action_digest"]);
    expect(req.action_digest).toBe(opened["action_digest"]);
    const signed = (who: typeof alice) => signApproval(who, { id: req.id, actionDigest: req.action_digest, policyDigest: req.policy_digest }, "approve", Date.now());
    await post(a.url, `v1/approvals/${req.id}/signatures`, signed(alice));
    await post(b.url, `v1/approvals/${req.id}/signatures`, signed(bob));
    const runs = await Promise.all([post(b.url, "v1/decisions", payout), post(a.url, "v1/decisions", payout)]);
    expect(runs.map((d) => d.effect).sort()).toEqual(["allow", "deny"]);
    expect(runs.find((d) => d.effect === "deny")!["code"]).toBe("XP5005");
    expect(runs.find((d) => d.effect === "allow")!["action_digest"]).toBe(req.action_digest);
  });
});

const payout = { proposal: payoutProposal, actor: { agent: "payout-bot" } };

async function post(base: string, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}
