// Decisions over HTTP: `POST /v1/decisions`, the batch, and the AuthZEN 1.0 evaluation endpoints, all on the one
// Enforcer of the policy serving now. Input the schemas cannot judge (neither or both of `proposal` and `tool`) is
// refused for the whole request before anything is decided: nothing rejected changes state.
import { decisionToJson, requestInfoToJson, ServiceDiagnostics as D, type Enforcer, type EnforcerDecision, type JsonObject, type JsonValue } from "execlayer";
import { receiptHash } from "execlayer/receipts";
import { problem } from "./problem.ts";

export interface DecisionItem {
  readonly proposal?: unknown;
  readonly tool?: string;
  readonly args?: unknown;
  readonly actor?: JsonObject;
  readonly context?: JsonObject;
}

export interface Decided {
  readonly decision: EnforcerDecision;
  /** with `tool`: what the tool must run with (null when refused) */
  readonly args?: JsonValue | null;
}

/** Refuses an item that names neither or both of a proposal and a tool (a 400 for the whole request). */
export function checkItem(item: DecisionItem, where: string): void {
  const hasProposal = item.proposal !== undefined;
  const hasTool = item.tool !== undefined;
  if (hasProposal === hasTool) {
    throw problem(400, D.invalidRequest.code, D.invalidRequest.message(`${where}: give \`proposal\`, or \`tool\` with \`args\` (${hasProposal ? "not both" : "neither was given"})`));
  }
  if (!hasTool && item.args !== undefined) throw problem(400, D.invalidRequest.code, D.invalidRequest.message(`${where}: \`args\` goes with \`tool\``));
}

/** Decides one checked item. Never throws (the Enforcer does not). */
export async function decideItem(enforcer: Enforcer, item: DecisionItem, defaults: { actor?: JsonObject | undefined; context?: JsonObject | undefined }): Promise<Decided> {
  const ctx = { actor: item.actor ?? defaults.actor, context: item.context ?? defaults.context };
  if (item.tool !== undefined) {
    const r = await enforcer.decideToolCall(item.tool, item.args ?? {}, ctx);
    return { decision: r.decision, args: r.args as JsonValue | null };
  }
  return { decision: await enforcer.decide(item.proposal, ctx) };
}

/** The decision as the service answers it. */
export function decisionResponse(d: Decided): JsonObject {
  const dec = d.decision;
  const out: Record<string, JsonValue> = { ...decisionToJson(dec) };
  if (dec.actionDigest !== undefined) out["action_digest"] = dec.actionDigest;
  if (dec.irDigest !== undefined) out["ir_digest"] = dec.irDigest;
  if (dec.request !== undefined) out["request"] = requestInfoToJson(dec.request);
  out["receipt"] = dec.receipt === undefined ? null : { seq: dec.receipt.seq, hash: receiptHash(dec.receipt) };
  if (d.args !== undefined) out["args"] = d.args;
  return out;
}

// --- AuthZEN 1.0 ---------------------------------------------------------------------------------------------------
//
// Mapping (documented in the README):
//   subject  -> actor: `{ [subject.type]: subject.id, ...subject.properties }` (the subject's type names the actor
//               field holding its id: {"type": "agent", "id": "invoice-bot"} -> {"agent": "invoice-bot"})
//   action   -> an action type of the policy when `action.name` is one: params = resource.properties merged with
//               action.properties, target = `resource.type/resource.id`; otherwise a tool call of that name with
//               those params as its arguments
//   resource -> the target (above)
//   context  -> context
// The answer is `decision: true` only for allow. Require approval is `decision: false` with
// `context.approval_required: true` and the request (`context.request`, `context.approval_url`): the PEP must not
// proceed; once approved (long-poll the approval URL), evaluating the same request again answers true, once.

export interface AzEntity {
  readonly type: string;
  readonly id?: string;
  readonly properties?: JsonObject;
}
export interface AzAction {
  readonly name: string;
  readonly properties?: JsonObject;
}
export interface AzEvaluation {
  readonly subject?: AzEntity;
  readonly action?: AzAction;
  readonly resource?: AzEntity;
  readonly context?: JsonObject;
}

export function authzenItem(e: Required<Pick<AzEvaluation, "subject" | "action" | "resource">> & AzEvaluation, isActionType: (name: string) => boolean): DecisionItem {
  const actor: JsonObject = { [e.subject.type]: e.subject.id ?? "", ...(e.subject.properties ?? {}) };
  const params: JsonObject = { ...(e.resource.properties ?? {}), ...(e.action.properties ?? {}) };
  const base = { actor, ...(e.context !== undefined ? { context: e.context } : {}) };
  if (isActionType(e.action.name)) {
    return { ...base, proposal: { action: { type: e.action.name, target: `${e.resource.type}/${e.resource.id ?? ""}`, params } } };
  }
  return { ...base, tool: e.action.name, args: params };
}

export function authzenResponse(d: Decided): JsonObject {
  const dec = d.decision;
  const ctx: Record<string, JsonValue> = {
    effect: dec.effect,
    tier: dec.tier,
    reasons: [...dec.reasons],
    reason_admin: { en: dec.reasons.join("; ") },
    rules: dec.rules.map((r) => r.rule),
  };
  if (dec.code !== undefined) ctx["code"] = dec.code;
  if (dec.actionDigest !== undefined) ctx["action_digest"] = dec.actionDigest;
  if (dec.receipt !== undefined) ctx["receipt"] = { seq: dec.receipt.seq, hash: receiptHash(dec.receipt) };
  if (dec.effect === "require_approval") ctx["approval_required"] = true;
  if (dec.request !== undefined) {
    ctx["request"] = requestInfoToJson(dec.request);
    ctx["approval_url"] = `/v1/approvals/${dec.request.request.id}`;
  }
  return { decision: dec.effect === "allow", context: ctx };
}

/** A per-item AuthZEN error (§7.2.1): closed, with the error in the context. */
export function authzenItemError(status: number, message: string, code: string): JsonObject {
  return { decision: false, context: { error: { status, message, code } } };
}
