// Operations: Prometheus metrics, atomic policy reload (admin route, file change), GET /v1/policy, and the real
// `xpol serve` process: SIGHUP reloads, SIGTERM drains in-flight requests and closes the store with nothing
// acknowledged lost.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePublicKey } from "execlayer";
import { verifyLog } from "execlayer/receipts";
import { ACTOR, CONTEXT, get, invoicePolicy, post, startService, type Service } from "./fixture.ts";

const XPOL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../execlayer/bin/xpol.js");
const read = { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT };

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("metrics and policy reload", () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService({ watch: true });
  });
  afterAll(async () => {
    await svc.stop();
  });

  it("/metrics: decisions by effect and tier and rule, latency, pending approvals", async () => {
    await post(`${svc.url}/v1/decisions`, read);
    await post(`${svc.url}/v1/decisions`, { ...read, context: { assigned_customers: [] } });
    await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.delete", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
    const m = await get(`${svc.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toContain("text/plain");
    expect(m.text).toContain('xpol_decisions_total{effect="allow",tier="T0"} 1');
    expect(m.text).toContain('xpol_decisions_total{effect="deny",tier="T0"} 1');
    expect(m.text).toContain('xpol_decisions_total{effect="require_approval",tier="T2"} 1');
    expect(m.text).toContain('xpol_rule_decisions_total{rule="read_invoices",effect="allow"} 1');
    expect(m.text).toContain("xpol_pending_approvals 1");
    expect(m.text).toMatch(/xpol_decision_duration_seconds_count\{endpoint="decisions"\} 3/);
    expect(m.text).toContain("xpol_store_errors_total");
  });

  it("a policy that fails to check is refused (409 XP8209) and the running one keeps serving", async () => {
    const before = await get(`${svc.url}/v1/policy`);
    expect(before.json).toMatchObject({ name: "invoices", version: "1.0.0" });
    writeFileSync(svc.policyFile, invoicePolicy("1.0.1", "rule broken on invoice.nope { allow }"));
    const r = await post(`${svc.url}/v1/policy/reload`, "");
    expect(r.status).toBe(409);
    expect(r.json["code"]).toBe("XP8209");
    expect(String(r.json["detail"])).toContain("invoice.nope");
    expect((await get(`${svc.url}/v1/policy`)).json["digest"]).toBe(before.json["digest"]);
    expect((await post(`${svc.url}/v1/decisions`, read)).json["effect"]).toBe("allow");
    const logged = svc.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["msg"] === "policy reload refused; the running policy keeps serving");
    expect(String(logged?.["diagnostics"])).toContain("invoice.nope");
  });

  it("a good policy is swapped in atomically when its file changes", async () => {
    writeFileSync(svc.policyFile, invoicePolicy("2.0.0"));
    const p = await until(() => get(`${svc.url}/v1/policy`), (r) => r.json["version"] === "2.0.0");
    expect(p.json["version"]).toBe("2.0.0");
    const d = await post(`${svc.url}/v1/decisions`, read);
    expect(d.json["effect"]).toBe("allow");
    const receipt = readFileSync(path.join(svc.dir, "state", "receipts.jsonl"), "utf8").trim().split("\n").at(-1)!;
    expect((JSON.parse(receipt) as { body: { policy: { version: string } } }).body.policy.version).toBe("2.0.0");
  });
});

describe("the xpol serve process", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "xpol-serve-proc-"));
    writeFileSync(path.join(dir, "invoices.xpol"), invoicePolicy());
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("SIGHUP reloads; SIGTERM drains in-flight decisions, closes the store, exits 0; no acknowledged decision is lost", async () => {
    const child = spawn(process.execPath, [XPOL, "serve", "--policy", "invoices.xpol", "--state", "state", "--listen", "127.0.0.1:0", "--no-watch"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m !== null) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`exited early: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    writeFileSync(path.join(dir, "invoices.xpol"), invoicePolicy("3.0.0"));
    child.kill("SIGHUP");
    expect((await until(() => get(`${url}/v1/policy`), (r) => r.json["version"] === "3.0.0")).json["version"]).toBe("3.0.0");

    // many decisions in flight, then SIGTERM: every one that was answered is in the log
    const inflight = Array.from({ length: 200 }, (_, i) => post(`${url}/v1/decisions`, { ...read, args: { invoice_id: `inv-${i}`, customer_id: "c-1" } }).catch(() => null));
    // SIGTERM once the first answer is back, with the rest still in flight
    await Promise.race(inflight);
    child.kill("SIGTERM");
    const answers = await Promise.all(inflight);
    const code = await exited;
    expect(code).toBe(0);
    expect(stderr).toContain("SIGTERM: draining");
    const acknowledged = answers.filter((a) => a !== null && a.status === 200).map((a) => (a!.json["receipt"] as { seq: number }).seq);
    expect(acknowledged.length).toBeGreaterThan(0);
    const lines = readFileSync(path.join(dir, "state", "receipts.jsonl"), "utf8").trim().split("\n");
    const seqs = new Set(lines.map((l) => (JSON.parse(l) as { seq: number }).seq));
    for (const s of acknowledged) expect(seqs.has(s)).toBe(true);
    // refused during the drain: a 503 problem, never a decision
    for (const a of answers) if (a !== null && a.status !== 200) expect(a.status).toBe(503);
    // the store closed cleanly: the log verifies, with a final checkpoint covering everything
    const key = parsePublicKey(readFileSync(path.join(dir, "state", "runtime.pub"), "utf8"));
    if (!key.ok) throw new Error(key.error);
    const v = await verifyLog(path.join(dir, "state"), key.value);
    expect(v.ok).toBe(true);
    expect(v.count).toBe(lines.length);
    expect(stdout).toContain("xpol serve stopped; the store is closed");
  });
});
