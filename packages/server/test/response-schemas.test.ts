// Responses match the schemas the OpenAPI document gives them: each answer of a scenario through every JSON route is
// validated (Ajv, JSON Schema 2020-12) against its route's schema for that status, problems included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import { ROUTES } from "@execlayer/server";
import { signApproval } from "execlayer";
import { ACTOR, CONTEXT, aliceSigner, startService, type Service } from "./fixture.ts";

let svc: Service;
beforeAll(async () => {
  svc = await startService({ checkpointEvery: 2 });
});
afterAll(async () => {
  await svc.stop();
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
const checked: string[] = [];

/** Calls a route and validates the JSON answer against the route's schema for the status it got. */
async function call(operationId: string, pathname: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const route = ROUTES.find((r) => r.operationId === operationId);
  if (route === undefined) throw new Error(`no route ${operationId}`);
  const res = await fetch(svc.url + pathname, {
    method: route.method,
    ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  const spec = route.responses[res.status];
  expect(spec, `${operationId} answered ${res.status}, which its route does not declare`).toBeDefined();
  expect(res.headers.get("content-type")).toContain(spec!.contentType ?? "application/json");
  if (spec!.schema !== undefined) {
    const validate = ajv.compile(spec!.schema);
    const ok = validate(json);
    expect(ok, `${operationId} ${res.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(json)}`).toBe(true);
  }
  checked.push(`${operationId} ${res.status}`);
  return { status: res.status, json };
}

describe("responses and their schemas", () => {
  it("every JSON answer of a full scenario matches its route's declared schema", async () => {
    await call("decide", "/v1/decisions", { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT });
    const req = (await call("decide", "/v1/decisions", { proposal: { action: { type: "invoice.delete", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT })).json["request"] as {
      id: string;
      action_digest: string;
      policy_digest: string;
    };
    await call("decide", "/v1/decisions", { proposal: {}, nope: 1 });
    await call("decideBatch", "/v1/decisions/batch", { actor: ACTOR, context: CONTEXT, decisions: [{ tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" } }] });
    await call("listApprovals", "/v1/approvals");
    await call("showApproval", `/v1/approvals/${req.id}?approver=${encodeURIComponent(aliceSigner.keyId)}`);
    await call("showApproval", "/v1/approvals/apr_000000000000000000000000");
    await call("submitSignature", `/v1/approvals/${req.id}/signatures`, signApproval(aliceSigner, { id: req.id, actionDigest: req.action_digest, policyDigest: req.policy_digest }, "approve", Date.now()));
    await call("submitSignature", `/v1/approvals/${req.id}/signatures`, signApproval(aliceSigner, { id: req.id, actionDigest: req.action_digest, policyDigest: req.policy_digest }, "approve", Date.now()));
    await call("authzenEvaluation", "/access/v1/evaluation", { subject: { type: "agent", id: "invoice-bot", properties: { on_behalf_of: "x" } }, action: { name: "invoice.read" }, resource: { type: "invoice", id: "inv-1", properties: { invoice_id: "inv-1", customer_id: "c-1" } }, context: CONTEXT });
    await call("authzenEvaluations", "/access/v1/evaluations", { action: { name: "invoice.read" }, evaluations: [{ resource: { type: "invoice", id: "inv-1" } }] });
    await call("authzenConfiguration", "/.well-known/authzen-configuration");
    await call("showReceipt", "/v1/receipts/0");
    await call("consistencyProof", "/v1/receipts/consistency?first=1&second=2");
    await call("getPolicy", "/v1/policy");
    await call("reloadPolicy", "/v1/policy/reload");
    await call("healthz", "/healthz");
    await call("readyz", "/readyz");
    expect(checked).toEqual(expect.arrayContaining(["decide 200", "decide 400", "showApproval 200", "showApproval 404", "submitSignature 200", "submitSignature 409", "reloadPolicy 200"]));
  });
});
