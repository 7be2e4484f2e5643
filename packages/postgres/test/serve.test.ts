// `xpol serve --postgres URL`: two service replicas on one database decide as one fleet. The server is loaded as a
// user runs it (startServer from @execlayer/server, which loads this package by name), against a real server.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { hashToken, startServer, type RunningServer } from "@execlayer/server";
import { migrate, verifyChains } from "@execlayer/postgres";
import { canonicalize, generateRedactionKey, parsePublicKey, signApproval, writeRedactionKeyFile } from "execlayer";
import { verifyCheckpoint, verifyConsistency, verifyReceiptProof } from "execlayer/receipts";
import { freshDatabase, noPostgres, sql } from "./helpers/db.ts";
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
const execFileAsync = promisify(execFile);
/** the core's CLI on its build, as a user runs it */
const XPOL = path.resolve(import.meta.dirname, "../../execlayer/bin/xpol.js");
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

describe.skipIf(noPostgres)("xpol serve --postgres: the fleet's receipts over HTTP", () => {
  const AUDITOR = "auditor-token";
  const AGENT = "agent-token";
  const tokensFile = path.join(dir, "tokens.json");
  writeFileSync(tokensFile, JSON.stringify({ tokens: [
    { name: "audit", roles: ["auditor"], sha256: hashToken(AUDITOR) },
    { name: "bot", roles: ["agent"], sha256: hashToken(AGENT) },
  ] }));
  const start = async (url: string): Promise<RunningServer> => {
    const policyFile = path.join(dir, "fleet.xpol");
    writeFileSync(policyFile, POLICY);
    const s = await startServer({ policies: [policyFile], postgres: url, redactionKey: keyFile, tokensFile, listen: "127.0.0.1:0", watch: false, logDestination: quiet() });
    running.push(s);
    return s;
  };
  const get = async (base: string, route: string, token = AUDITOR): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${base}/${route}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };
  const json = (r: { text: string }): Record<string, unknown> => JSON.parse(r.text) as Record<string, unknown>;
  const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

  it("an auditor lists every replica's chain and reads any of them through one replica: lines as stored, proofs that verify, failures with reasons", async () => {
    const url = await freshDatabase();
    await migrate(url);
    const [a, b] = [await start(url), await start(url)];
    const decideOn = async (base: string, i: number): Promise<void> => {
      const res = await fetch(`${base}/v1/decisions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${AGENT}` },
        body: JSON.stringify({ proposal: { action: { type: "invoice.update_status", target: `invoice/${i}`, params: { invoice_id: `inv-${i}` } } }, actor: { agent: `bot-${i}` } }),
      });
      expect(res.status).toBe(200);
    };
    for (let i = 0; i < 6; i++) await decideOn(a.url, i);
    for (let i = 0; i < 4; i++) await decideOn(b.url, 100 + i);

    const listed = json(await get(b.url, "v1/chains")) as { current: string; chains: { id: string; replica: string; public_key: string; receipts: number; checkpointed: number; closed: boolean }[] };
    const inDb = await sql<{ chain: string; n: string }>(url, "SELECT chain, count(*) AS n FROM execlayer_receipts GROUP BY chain");
    expect(listed.chains.map((c) => [c.id, c.receipts]).sort()).toEqual(inDb.map((r) => [r.chain, Number(r.n)]).sort());
    expect(listed.chains).toHaveLength(2);
    const chainB = listed.current;
    const chainA = listed.chains.find((c) => c.id !== chainB)!.id;
    expect(listed.chains.find((c) => c.id === chainA)!.receipts).toBe(6);

    // every line of a's chain, read through b, exactly as the database holds it; a range of it; b's own by default
    const linesOf = async (chain: string): Promise<string> => (await sql<{ line: string }>(url, "SELECT line FROM execlayer_receipts WHERE chain = $1 ORDER BY seq", [chain])).map((r) => r.line + "\n").join("");
    const all = await get(b.url, `v1/receipts?chain=${chainA}`);
    expect(all.status).toBe(200);
    expect(all.text).toBe(await linesOf(chainA));
    expect((await get(b.url, `v1/receipts?chain=${chainA}&from=1&to=2`)).text).toBe((await linesOf(chainA)).split("\n").slice(1, 3).map((l) => l + "\n").join(""));
    expect((await get(b.url, "v1/receipts")).text).toBe(await linesOf(chainB));

    // a's chain closed (its last checkpoint covers it): a receipt's proof and a consistency proof verify with a's key
    await a.close();
    running.splice(running.indexOf(a), 1);
    const keyA = parsePublicKey((json(await get(b.url, "v1/chains")) as { chains: { id: string; public_key: string; closed: boolean }[] }).chains.find((c) => c.id === chainA)!.public_key);
    if (!keyA.ok) throw new Error(keyA.error);
    const proof = await get(b.url, `v1/receipts/3?chain=${chainA}`);
    expect(proof.status, proof.text).toBe(200);
    const checked = verifyReceiptProof(json(proof), keyA.value);
    expect(checked.ok, checked.ok ? "" : checked.error).toBe(true);
    expect(checked.ok && checked.value.receipt.seq).toBe(3);
    const note = await get(b.url, `v1/checkpoint?chain=${chainA}`);
    const notes = await sql<{ note: string }>(url, "SELECT note FROM execlayer_checkpoints WHERE chain = $1 ORDER BY size", [chainA]);
    expect(note.text).toBe(notes.at(-1)!.note);
    expect((await get(b.url, `v1/checkpoints?chain=${chainA}`)).text).toBe(notes.map((n) => canonicalize({ note: n.note }) + "\n").join(""));
    const cp = verifyCheckpoint(note.text, keyA.value);
    if (!cp.ok) throw new Error(cp.error);
    const consistency = json(await get(b.url, `v1/receipts/consistency?chain=${chainA}&first=2&second=${cp.value.size}`)) as { first_root: string; second_root: string; proof: string[] };
    expect(Buffer.from(b64(consistency.second_root)).equals(Buffer.from(cp.value.root))).toBe(true);
    expect(verifyConsistency(2, cp.value.size, consistency.proof.map(b64), b64(consistency.first_root), b64(consistency.second_root)).ok).toBe(true);
    // xpol verify --server --chain fetches that chain and checks it with the key the auditor holds
    const keyText = (json(await get(b.url, "v1/chains")) as { chains: { id: string; public_key: string }[] }).chains.find((c) => c.id === chainA)!.public_key;
    // (asynchronously: the service answering it runs in this process)
    const verified = await execFileAsync(process.execPath, [XPOL, "verify", "--server", b.url, "--token", AUDITOR, "--chain", chainA, "--key", keyText], { encoding: "utf8", timeout: 120_000 });
    expect(verified.stdout).toMatch(/6 receipts/);

    // refusals: an unknown chain, a malformed one, a bad range, an agent's token
    const unknown = await get(b.url, "v1/receipts?chain=nobody.20260101T000000Z.00000000");
    expect(unknown.status).toBe(404);
    expect(json(unknown)["detail"]).toMatch(/receipt chain `nobody\.20260101T000000Z\.00000000`/);
    expect((await get(b.url, "v1/receipts?chain=a%2Fb")).status).toBe(400);
    expect((await get(b.url, `v1/receipts?chain=${chainA}&from=4&to=2`)).status).toBe(400);
    expect((await get(b.url, "v1/chains", AGENT)).status).toBe(403);

    // the database fails while reading: 503 naming the store's code, not a partial answer
    await sql(url, "ALTER TABLE execlayer_receipts RENAME TO execlayer_receipts_away");
    try {
      const down = await get(b.url, `v1/receipts?chain=${chainA}`);
      expect(down.status).toBe(503);
      expect(json(down)["code"]).toBe("XP5025");
    } finally {
      await sql(url, "ALTER TABLE execlayer_receipts_away RENAME TO execlayer_receipts");
    }
  });
});

const payout = { proposal: payoutProposal, actor: { agent: "payout-bot" } };

async function post(base: string, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}
