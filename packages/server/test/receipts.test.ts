// Receipts over HTTP, for auditors: ranges of receipts as the log holds them, one receipt with its inclusion proof,
// the latest checkpoint (a C2SP signed note), a consistency proof between two tree sizes, each checked here with the
// public key alone; and `xpol verify --server URL` checks the fetched log exactly as it checks a directory.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePublicKey } from "execlayer";
import { verifyCheckpoint, verifyConsistency, verifyReceiptProof } from "execlayer/receipts";
import { ACTOR, CONTEXT, get, post, startService, type Service } from "./fixture.ts";

const XPOL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../execlayer/bin/xpol.js");
const xpol = (args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => execFile(process.execPath, [XPOL, ...args], { cwd }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr })));

let svc: Service;
let pub: Uint8Array;
beforeAll(async () => {
  svc = await startService({ checkpointEvery: 4 });
  for (let i = 0; i < 10; i++) {
    await post(`${svc.url}/v1/decisions`, { tool: "get_invoice", args: { invoice_id: `inv-${i}`, customer_id: i % 3 === 0 ? "c-9" : "c-1" }, actor: ACTOR, context: CONTEXT });
  }
  const key = parsePublicKey(readFileSync(path.join(svc.dir, "state", "runtime.pub"), "utf8"));
  if (!key.ok) throw new Error(key.error);
  pub = key.value;
});
afterAll(async () => {
  await svc.stop();
});

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

describe("receipts over HTTP", () => {
  it("a range of receipts, byte for byte as in the log", async () => {
    const lines = readFileSync(path.join(svc.dir, "state", "receipts.jsonl"), "utf8").split("\n");
    const r = await get(`${svc.url}/v1/receipts?from=2&to=4`);
    expect(r.status).toBe(200);
    expect(r.type).toContain("application/jsonl");
    expect(r.text).toBe(lines.slice(2, 5).join("\n") + "\n");
    expect((await get(`${svc.url}/v1/receipts?from=99`)).status).toBe(404);
  });

  it("one receipt with its inclusion proof, checked with the public key alone", async () => {
    const r = await get(`${svc.url}/v1/receipts/3`);
    expect(r.status).toBe(200);
    const checked = verifyReceiptProof(r.json, pub);
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(checked.value.receipt.seq).toBe(3);
    // a receipt no checkpoint covers yet has no proof: 404 that says so
    const uncovered = await get(`${svc.url}/v1/receipts/9`);
    expect(uncovered.status).toBe(404);
    expect(String(uncovered.json["detail"])).toContain("no checkpoint covers receipt 9");
  });

  it("the latest checkpoint is a signed note that verifies", async () => {
    const r = await get(`${svc.url}/v1/checkpoint`);
    expect(r.status).toBe(200);
    expect(r.type).toContain("text/plain");
    const cp = verifyCheckpoint(r.text, pub);
    expect(cp.ok).toBe(true);
    if (cp.ok) expect(cp.value.size).toBe(8);
  });

  it("a state directory holds one log: no fleet chains to list, and a `chain` is not one of its own (404 naming why)", async () => {
    const chains = await get(`${svc.url}/v1/chains`);
    expect(chains.status).toBe(404);
    expect(chains.json["detail"]).toMatch(/one log, in its state directory: GET \/v1\/receipts/);
    const named = await get(`${svc.url}/v1/receipts?chain=elsewhere`);
    expect(named.status).toBe(404);
    expect(named.json["detail"]).toMatch(/receipt chain `elsewhere` \(this service keeps one log/);
    expect((await get(`${svc.url}/v1/checkpoint?chain=elsewhere`)).status).toBe(404);
  });

  it("a consistency proof between two tree sizes verifies against both roots", async () => {
    const r = await get(`${svc.url}/v1/receipts/consistency?first=4&second=8`);
    expect(r.status).toBe(200);
    const j = r.json as { first_root: string; second_root: string; proof: string[] };
    expect(verifyConsistency(4, 8, j.proof.map(b64), b64(j.first_root), b64(j.second_root))).toEqual({ ok: true });
    const cp = verifyCheckpoint((await get(`${svc.url}/v1/checkpoint`)).text, pub);
    if (cp.ok) expect(Buffer.from(cp.value.root).toString("base64")).toBe(j.second_root);
    expect((await get(`${svc.url}/v1/receipts/consistency?first=5&second=4`)).status).toBe(404);
  });

  it("xpol verify --server checks the fetched log as a directory, and catches a tampered receipt", async () => {
    const ok = await xpol(["verify", "--server", svc.url, "--key", path.join("state", "runtime.pub")], svc.dir);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: 10 receipts verified, 2 checkpoints/);
    // change one byte of receipt 5 under the running service: the served log is no longer intact
    const file = path.join(svc.dir, "state", "receipts.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[5] = lines[5]!.replace('"effect":"allow"', '"effect":"deny"');
    writeFileSync(file, lines.join("\n"));
    const bad = await xpol(["verify", "--server", svc.url, "--key", path.join("state", "runtime.pub")], svc.dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("log is NOT intact");
    expect(bad.stderr).toContain("seq 5");
    // a last line still being written (no newline yet) is not served
    writeFileSync(file, lines.join("\n") + '{"body":{"partial');
    const served = await get(`${svc.url}/v1/receipts`);
    expect(served.text.split("\n").filter((l) => l !== "")).toHaveLength(10);
    expect(served.text).not.toContain("partial");
  });
});

describe("receipts over HTTP, per-batch signatures (xpol serve --signatures per-batch)", () => {
  it("a decision's receipt carries no signature, proves to its batch's seal before any checkpoint, and the log verifies", async () => {
    const batch = await startService({ signatures: "per-batch", checkpointEvery: 1000 });
    try {
      for (let i = 0; i < 3; i++) {
        const d = await post(`${batch.url}/v1/decisions`, { tool: "get_invoice", args: { invoice_id: `inv-${i}`, customer_id: "c-1" }, actor: ACTOR, context: CONTEXT });
        expect(d.status).toBe(200);
      }
      const lines = readFileSync(path.join(batch.dir, "state", "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string; sig?: string });
      // one decision per write here (each caller waits for its answer): decision, seal, decision, seal, ...
      expect(lines.map((r) => r.kind)).toEqual(["decision", "seal", "decision", "seal", "decision", "seal"]);
      expect(lines.filter((r) => r.kind === "decision").every((r) => r.sig === undefined)).toBe(true);
      const key = parsePublicKey(readFileSync(path.join(batch.dir, "state", "runtime.pub"), "utf8"));
      if (!key.ok) throw new Error(key.error);
      const r = await get(`${batch.url}/v1/receipts/4`);
      expect(r.status).toBe(200);
      expect(verifyReceiptProof(r.json, key.value)).toMatchObject({ ok: true, value: { receipt: { seq: 4 }, seal: { seq: 5 } } });
      const ok = await xpol(["verify", "--server", batch.url, "--key", path.join("state", "runtime.pub")], batch.dir);
      expect(ok.stderr).toBe("");
      expect(ok.stdout).toMatch(/^ok: 6 receipts verified/);
    } finally {
      await batch.stop();
    }
  });
});
