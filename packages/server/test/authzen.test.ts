// OpenID AuthZEN Authorization API 1.0 over the same Enforcer: subject -> actor, action -> action type (or tool),
// resource -> target and params, context -> context; require approval is `decision: false` with the request in the
// response context. The Access Evaluations API with its defaults and its three semantics (§7.1.2).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startService, type Service } from "./fixture.ts";

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.stop();
});

const subject = { type: "agent", id: "invoice-bot", properties: { on_behalf_of: "acme-finance" } };
const context = { assigned_customers: ["c-1"] };
const read = (invoice: string, customer: string) => ({ type: "invoice", id: invoice, properties: { invoice_id: invoice, customer_id: customer } });

describe("POST /access/v1/evaluation", () => {
  it("maps subject, action, resource and context onto a decision: allow is `decision: true`", async () => {
    const r = await post(`${svc.url}/access/v1/evaluation`, { subject, action: { name: "invoice.read" }, resource: read("inv-1", "c-1"), context });
    expect(r.status).toBe(200);
    expect(r.json["decision"]).toBe(true);
    expect(r.json["context"]).toMatchObject({ effect: "allow", tier: "T0", rules: ["read_invoices"] });
  });

  it("a deny is `decision: false` with the reasons", async () => {
    const r = await post(`${svc.url}/access/v1/evaluation`, { subject, action: { name: "invoice.read" }, resource: read("inv-2", "c-9"), context });
    expect(r.json["decision"]).toBe(false);
    expect((r.json["context"] as { effect: string }).effect).toBe("deny");
  });

  it("require approval is `decision: false` with the request and where to wait for it", async () => {
    const r = await post(`${svc.url}/access/v1/evaluation`, { subject, action: { name: "invoice.delete" }, resource: read("inv-5", "c-1"), context });
    expect(r.json["decision"]).toBe(false);
    const ctx = r.json["context"] as { approval_required: boolean; effect: string; request: { id: string; status: string }; approval_url: string };
    expect(ctx.effect).toBe("require_approval");
    expect(ctx.approval_required).toBe(true);
    expect(ctx.request.status).toBe("pending");
    expect(ctx.approval_url).toBe(`/v1/approvals/${ctx.request.id}`);
    expect((await get(`${svc.url}${ctx.approval_url}`)).status).toBe(200);
  });

  it("an action name that is a tool of the policy decides that tool call", async () => {
    const r = await post(`${svc.url}/access/v1/evaluation`, { subject, action: { name: "get_invoice" }, resource: { type: "invoice", id: "inv-1", properties: { invoice_id: "inv-1", customer_id: "c-1" } }, context });
    expect(r.json["decision"]).toBe(true);
  });

  it("a request without a subject is a 400 problem (the whole payload is wrong)", async () => {
    const r = await post(`${svc.url}/access/v1/evaluation`, { action: { name: "invoice.read" }, resource: read("inv-1", "c-1") });
    expect(r.status).toBe(400);
    expect(r.json["code"]).toBe("XP8202");
  });
});

describe("POST /access/v1/evaluations", () => {
  const three = (semantic?: string) => ({
    subject,
    action: { name: "invoice.read" },
    context,
    ...(semantic !== undefined ? { options: { evaluations_semantic: semantic } } : {}),
    evaluations: [{ resource: read("inv-1", "c-1") }, { resource: read("inv-2", "c-9") }, { resource: read("inv-3", "c-1") }],
  });

  it("execute_all (the default): every evaluation, in request order, defaults filled in", async () => {
    for (const body of [three(), three("execute_all")]) {
      const r = await post(`${svc.url}/access/v1/evaluations`, body);
      expect(r.status).toBe(200);
      expect((r.json["evaluations"] as { decision: boolean }[]).map((e) => e.decision)).toEqual([true, false, true]);
    }
  });

  it("deny_on_first_deny stops after the first deny; permit_on_first_permit after the first permit", async () => {
    const deny = await post(`${svc.url}/access/v1/evaluations`, three("deny_on_first_deny"));
    expect((deny.json["evaluations"] as { decision: boolean }[]).map((e) => e.decision)).toEqual([true, false]);
    const permit = await post(`${svc.url}/access/v1/evaluations`, { ...three("permit_on_first_permit"), evaluations: [{ resource: read("inv-2", "c-9") }, { resource: read("inv-1", "c-1") }, { resource: read("inv-3", "c-1") }] });
    expect((permit.json["evaluations"] as { decision: boolean }[]).map((e) => e.decision)).toEqual([false, true]);
  });

  it("an item's own values replace the defaults; an item missing what no default gives is closed with its error", async () => {
    const r = await post(`${svc.url}/access/v1/evaluations`, {
      action: { name: "invoice.read" },
      evaluations: [
        { subject, resource: read("inv-1", "c-1"), context },
        { subject, resource: read("inv-1", "c-1"), context: { assigned_customers: [] } },
        { resource: read("inv-1", "c-1") },
      ],
    });
    const evals = r.json["evaluations"] as { decision: boolean; context: { error?: { status: number; code: string } } }[];
    expect(evals.map((e) => e.decision)).toEqual([true, false, false]);
    expect(evals[2]!.context.error).toMatchObject({ status: 400, code: "XP8202" });
  });

  it("without an `evaluations` array it is the single evaluation", async () => {
    const r = await post(`${svc.url}/access/v1/evaluations`, { subject, action: { name: "invoice.read" }, resource: read("inv-1", "c-1"), context });
    expect(r.json["decision"]).toBe(true);
  });

  it("an unknown semantic is refused", async () => {
    const r = await post(`${svc.url}/access/v1/evaluations`, three("first_one_wins"));
    expect(r.status).toBe(400);
  });
});

describe("GET /.well-known/authzen-configuration", () => {
  it("names the PDP and its evaluation endpoints", async () => {
    const r = await get(`${svc.url}/.well-known/authzen-configuration`);
    expect(r.json).toEqual({
      policy_decision_point: svc.url,
      access_evaluation_endpoint: `${svc.url}/access/v1/evaluation`,
      access_evaluations_endpoint: `${svc.url}/access/v1/evaluations`,
    });
  });
});
