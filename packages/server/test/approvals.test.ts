// Approvals over HTTP: the open requests with their full canonical action (sensitive fields masked), one request
// with the exact bytes an approver signs, signatures submitted by approvers, and a waiting agent that learns the
// outcome by long-polling instead of polling in a loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalStatementBytes, signApproval, type ApprovalStatement } from "execlayer";
import { ACTOR, CONTEXT, aliceSigner, bobSigner, get, mallorySigner, post, startService, type Service } from "./fixture.ts";

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.stop();
});

const update = (n: number, note: string) => ({ tool: "set_invoice_status", args: { invoice_id: `inv-${n}`, customer_id: "c-1", status: "paid", note }, actor: ACTOR, context: CONTEXT });
const deleteAll = { proposal: { action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1", reason: "closing" } } }, actor: ACTOR, context: CONTEXT };

interface RequestJson {
  id: string;
  action_digest: string;
  policy_digest: string;
  status: string;
  progress: { approvedBy: string[] }[];
}

const signFor = (signer: typeof aliceSigner, r: RequestJson, verdict: "approve" | "reject" = "approve") =>
  signApproval(signer, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, verdict, Date.now());

describe("approvals over HTTP", () => {
  it("too many waiting callers: 429 XP8207", async () => {
    const few = await startService({ maxWaiters: 1 });
    try {
      const d = await post(`${few.url}/v1/decisions`, { proposal: { action: { type: "invoice.delete", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
      const id = (d.json["request"] as RequestJson).id;
      const first = get(`${few.url}/v1/approvals/${id}?wait=2`);
      await new Promise((r) => setTimeout(r, 200));
      const second = await get(`${few.url}/v1/approvals/${id}?wait=2`);
      expect(second.status).toBe(429);
      expect(second.json["code"]).toBe("XP8207");
      expect((await first).status).toBe(200);
    } finally {
      await few.stop();
    }
  });

  it("lists open requests with the full canonical action, the sensitive note masked", async () => {
    expect((await post(`${svc.url}/v1/decisions`, update(1, "n1"))).json["effect"]).toBe("allow");
    expect((await post(`${svc.url}/v1/decisions`, update(2, "n2"))).json["effect"]).toBe("allow");
    const third = await post(`${svc.url}/v1/decisions`, update(3, "customer said: card 4111-1111"));
    expect(third.json["effect"]).toBe("require_approval");
    const id = (third.json["request"] as RequestJson).id;
    const list = await get(`${svc.url}/v1/approvals`);
    expect(list.status).toBe(200);
    const item = (list.json["approvals"] as (RequestJson & { action: { action: { type: string; target: string; params: Record<string, unknown> }; actor: unknown } })[]).find((a) => a.id === id)!;
    expect(item.status).toBe("pending");
    expect(item.action.action.type).toBe("invoice.update_status");
    expect(item.action.action.target).toBe("invoice/inv-3");
    expect(item.action.action.params).toMatchObject({ invoice_id: "inv-3", customer_id: "c-1", status: "paid" });
    expect(Object.keys(item.action.action.params)).toContain("note");
    expect(JSON.stringify(item)).not.toContain("4111");
    expect(item.action.actor).toEqual(ACTOR);
    expect((item as unknown as { rules: unknown }).rules).toEqual([{ rule: "status_updates_within_threshold", effect: "require_approval", otherwise: true }]);
    expect((item as unknown as { reasons: string[] }).reasons.join(" ")).toContain("requires approval by 1 of `finance`");
  });

  it("shows one request with the rules that asked for it and the exact bytes an approver signs", async () => {
    const d = await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.delete", target: "invoice/inv-7", params: { invoice_id: "inv-7", customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
    const r = d.json["request"] as RequestJson;
    const signedAt = "2026-12-02T10:00:00.000Z";
    const shown = await get(`${svc.url}/v1/approvals/${r.id}?approver=${encodeURIComponent(aliceSigner.keyId)}&verdict=approve&signed_at=${signedAt}`);
    expect(shown.status).toBe(200);
    expect(shown.json["rules"]).toEqual([{ rule: "delete_needs_one_approver", effect: "require_approval" }]);
    const statement = shown.json["statement"] as ApprovalStatement;
    expect(statement).toEqual({ request: r.id, action_digest: r.action_digest, policy_digest: r.policy_digest, verdict: "approve", approver: aliceSigner.keyId, signed_at: signedAt });
    // the bytes are what the library signs: a signature over them verifies as an approval
    expect(Buffer.from(String(shown.json["statement_bytes"]), "base64")).toEqual(Buffer.from(approvalStatementBytes(statement)));
    expect(Buffer.from(String(shown.json["statement_bytes"]), "base64").toString("utf8")).toMatch(/^execlayer\/approval\/v1\n\{"action_digest":/);
    const missing = await get(`${svc.url}/v1/approvals/apr_000000000000000000000000`);
    expect(missing.status).toBe(404);
    expect(missing.json["code"]).toBe("XP5011");
  });

  it("counts signed approvals; the approved action then runs exactly once", async () => {
    const d = await post(`${svc.url}/v1/decisions`, deleteAll);
    const r = d.json["request"] as RequestJson;
    const first = await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signFor(aliceSigner, r));
    expect(first.status).toBe(200);
    expect((first.json["request"] as RequestJson).status).toBe("pending");
    expect((first.json["request"] as RequestJson).progress[0]!.approvedBy).toEqual(["alice"]);
    expect((first.json["receipt"] as { seq: number }).seq).toBeGreaterThan(0);
    // the same key again: 409 XP5017, nothing changes
    const again = await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signFor(aliceSigner, r));
    expect(again.status).toBe(409);
    expect(again.json["code"]).toBe("XP5017");
    // a key outside the group: 403 XP5014; a forged signature: 403 XP5015
    const outsider = await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signFor(mallorySigner, r));
    expect(outsider.status).toBe(403);
    expect(outsider.json["code"]).toBe("XP5014");
    const forged = { ...signFor(bobSigner, r), signature: signFor(aliceSigner, r).signature };
    const bad = await post(`${svc.url}/v1/approvals/${r.id}/signatures`, forged);
    expect(bad.status).toBe(403);
    expect(bad.json["code"]).toBe("XP5015");
    // a statement for another request than the URL names: 400
    const elsewhere = await post(`${svc.url}/v1/approvals/apr_000000000000000000000000/signatures`, signFor(bobSigner, r));
    expect(elsewhere.status).toBe(400);
    const second = await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signFor(bobSigner, r));
    expect((second.json["request"] as RequestJson).status).toBe("approved");
    const run = await post(`${svc.url}/v1/decisions`, deleteAll);
    expect(run.json["effect"]).toBe("allow");
    expect(String((run.json["reasons"] as string[])[0])).toContain("approved by alice, bob");
    const replay = await post(`${svc.url}/v1/decisions`, deleteAll);
    expect(replay.json["effect"]).toBe("deny");
    expect(replay.json["code"]).toBe("XP5005");
  });

  it("a rejection vetoes: the waiting agent's next decision is a deny", async () => {
    const proposal = { proposal: { action: { type: "invoice.delete", target: "invoice/inv-9", params: { invoice_id: "inv-9", customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT };
    const r = (await post(`${svc.url}/v1/decisions`, proposal)).json["request"] as RequestJson;
    const veto = await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signFor(bobSigner, r, "reject"));
    expect((veto.json["request"] as RequestJson).status).toBe("vetoed");
    const after = await post(`${svc.url}/v1/decisions`, proposal);
    expect(after.json["code"]).toBe("XP5006");
  });

  it("long-poll: a waiting agent is answered when the approval arrives, not at its timeout", async () => {
    const proposal = { proposal: { action: { type: "invoice.delete", target: "invoice/inv-11", params: { invoice_id: "inv-11", customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT };
    const r = (await post(`${svc.url}/v1/decisions`, proposal)).json["request"] as RequestJson;
    const started = Date.now();
    const waiting = get(`${svc.url}/v1/approvals/${r.id}?wait=30`);
    await new Promise((res) => setTimeout(res, 300));
    await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signFor(aliceSigner, r));
    const answered = await waiting;
    const elapsed = Date.now() - started;
    expect((answered.json["request"] as RequestJson).status).toBe("approved");
    expect(elapsed).toBeLessThan(20_000);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    // a wait with nothing to wait for (already settled) answers at once; a short wait times out with the status as is
    const pendingReq = (await post(`${svc.url}/v1/decisions`, { ...proposal, proposal: { action: { type: "invoice.delete", target: "invoice/inv-12", params: { invoice_id: "inv-12", customer_id: "c-1" } } } })).json["request"] as RequestJson;
    const timedOut = await get(`${svc.url}/v1/approvals/${pendingReq.id}?wait=1`);
    expect((timedOut.json["request"] as RequestJson).status).toBe("pending");
  });
});
