// The Python client in examples/python (standard library only) against a real service: it decides, waits on the
// approval by long-polling while an approver signs, is allowed once, and reads its receipt.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signApproval } from "execlayer";
import { aliceSigner, get, post, startService, type Service } from "./fixture.ts";

const SCRIPT = path.join(import.meta.dirname, "..", "examples", "python", "invoice_agent.py");

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.stop();
});

describe("examples/python/invoice_agent.py", () => {
  it("decides, waits for the approval, runs once, reads its receipt", async () => {
    const child = spawn("python3", [SCRIPT, "--server", svc.url, "--invoice", "inv-py"], { stdio: ["ignore", "pipe", "pipe"] });
    const lines: Record<string, unknown>[] = [];
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    let buffered = "";
    const requested = new Promise<string>((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        buffered += c.toString();
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
          buffered = buffered.slice(nl + 1);
          lines.push(line);
          if (line["step"] === "decide" && typeof line["request"] === "string") resolve(line["request"]);
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    const id = await requested;
    // the agent is now long-polling; an approver signs
    await new Promise((r) => setTimeout(r, 300));
    const shown = await get(`${svc.url}/v1/approvals/${id}`);
    const r = shown.json["request"] as { id: string; action_digest: string; policy_digest: string };
    const signed = await post(`${svc.url}/v1/approvals/${id}/signatures`, signApproval(aliceSigner, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, "approve", Date.now()));
    expect(signed.status).toBe(200);

    const code = await exited;
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(lines).toEqual([
      { step: "decide", effect: "require_approval", tier: "T2", request: id },
      { step: "approval", status: "approved" },
      { step: "decide", effect: "allow", reasons: [`approved by alice (request ${id})`, "rule `delete_needs_one_approver` requires approval by 1 of `finance` within 24h"] },
      { step: "run", tool: "delete_invoice", args: { invoice_id: "inv-py", customer_id: "c-1" } },
      expect.objectContaining({ step: "receipt", kind: "consumption", effect: "allow" }),
    ]);
  });

  it("reports a problem from the service with its XP code (here: no such route)", async () => {
    const child = spawn("python3", [SCRIPT, "--server", `${svc.url}/nowhere`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(2);
    expect(JSON.parse(out.trim())).toMatchObject({ step: "problem", status: 404, code: "XP8205" });
  });
});
