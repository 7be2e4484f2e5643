// Who sees a @sensitive value: nobody through the service, except an approver whose token says
// `"reveal_sensitive": true`, for a request this process decided, while it is open; and never a webhook or a
// receipt. The values shown are the decided ones (their IR digest is the decision's), through both input shapes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signApproval } from "execlayer";
import { ACTOR, CONTEXT, aliceSigner, get, post, startServiceWithTokens, type Service } from "./fixture.ts";

const TOKENS = { agent: "tok-agent-0123456789", approver: "tok-approver-0123456789", trusted: "tok-trusted-0123456789" };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const SECRET = "card 4111-1111-1111-1111";

let svc: Service;
beforeAll(async () => {
  svc = await startServiceWithTokens([
    { name: "agent", token: TOKENS.agent, roles: ["agent"] },
    { name: "approver", token: TOKENS.approver, roles: ["approver"] },
    { name: "trusted-approver", token: TOKENS.trusted, roles: ["approver"], reveal_sensitive: true },
  ]);
});
afterAll(async () => {
  await svc.stop();
});

interface RequestJson {
  id: string;
  action_digest: string;
  policy_digest: string;
}
const update = (n: number, note: string) => ({ tool: "set_invoice_status", args: { invoice_id: `inv-${n}`, customer_id: "c-1", status: "paid", note }, actor: ACTOR, context: CONTEXT });

describe("@sensitive values", () => {
  it("masked for every caller but a token with reveal_sensitive, and only while the request is open", async () => {
    const agent = bearer(TOKENS.agent);
    await post(`${svc.url}/v1/decisions`, update(1, "a"), agent);
    await post(`${svc.url}/v1/decisions`, update(2, "b"), agent);
    const asked = await post(`${svc.url}/v1/decisions`, update(3, SECRET), agent);
    expect(asked.json["effect"]).toBe("require_approval");
    const r = asked.json["request"] as RequestJson;
    // the proposal shape too (not a tool call): its values are kept as well
    const viaProposal = await post(
      `${svc.url}/v1/decisions`,
      { proposal: { action: { type: "invoice.update_status", target: "invoice/inv-4", params: { invoice_id: "inv-4", customer_id: "c-1", status: "void", note: "second secret" } } }, actor: ACTOR, context: CONTEXT },
      agent,
    );
    const r2 = viaProposal.json["request"] as RequestJson;

    const plain = await get(`${svc.url}/v1/approvals/${r.id}`, bearer(TOKENS.approver));
    expect(plain.json["sensitive"]).toEqual(["action.params.note"]);
    expect(plain.json["revealed"]).toBeUndefined();
    expect(plain.text).not.toContain("4111");
    const plainList = await get(`${svc.url}/v1/approvals`, bearer(TOKENS.approver));
    expect(plainList.text).not.toContain("4111");

    const trusted = await get(`${svc.url}/v1/approvals/${r.id}`, bearer(TOKENS.trusted));
    expect(trusted.json["revealed"]).toEqual({ "action.params.note": SECRET });
    // the recorded action stays masked even for them: only `revealed` carries the value
    expect(JSON.stringify(trusted.json["action"])).not.toContain("4111");
    const list = (await get(`${svc.url}/v1/approvals`, bearer(TOKENS.trusted))).json["approvals"] as { id: string; revealed?: unknown }[];
    expect(list.find((a) => a.id === r.id)!.revealed).toEqual({ "action.params.note": SECRET });
    expect(list.find((a) => a.id === r2.id)!.revealed).toEqual({ "action.params.note": "second secret" });

    // approved, then run: settled, so no longer shown to anyone
    const signed = signApproval(aliceSigner, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, "approve", Date.now());
    expect((await post(`${svc.url}/v1/approvals/${r.id}/signatures`, signed, bearer(TOKENS.trusted))).status).toBe(200);
    expect((await get(`${svc.url}/v1/approvals/${r.id}`, bearer(TOKENS.trusted))).json["revealed"]).toEqual({ "action.params.note": SECRET });
    expect((await post(`${svc.url}/v1/decisions`, update(3, SECRET), agent)).json["effect"]).toBe("allow");
    const after = await get(`${svc.url}/v1/approvals/${r.id}`, bearer(TOKENS.trusted));
    expect((after.json["request"] as { status: string }).status).toBe("consumed");
    expect(after.json["revealed"]).toBeUndefined();
    expect(after.text).not.toContain("4111");
  });
});
