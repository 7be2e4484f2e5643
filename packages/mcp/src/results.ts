// What the client (and the model behind it) reads when a call did not run: a tool result with `isError: true` whose
// text says why, with the XP code and the receipt, or what is pending and who must sign where. The decision itself
// rides along in `_meta` for clients that read it. A decision here is a DecisionView: the same whether the policy
// decided in-process (an EnforcerDecision) or a remote `xpol serve` answered it over HTTP (its JSON, parsed).
import type { EnforcerDecision, JsonObject, RequestStatus } from "execlayer";
import { receiptHash } from "execlayer/receipts";
import type { CallToolResult } from "@modelcontextprotocol/server";

/** An approval request as the results need it. */
export interface RequestView {
  readonly id: string;
  readonly status: RequestStatus;
  readonly expiresAt: number;
  readonly approvers: readonly { readonly name: string; readonly group: string }[];
  readonly progress: readonly { readonly group: string; readonly quorum: number; readonly approvedBy: readonly string[] }[];
}

/** A decision as the results need it. */
export interface DecisionView {
  readonly effect: EnforcerDecision["effect"];
  readonly tier: string | null;
  readonly actionType: string | null;
  readonly reasons: readonly string[];
  readonly code?: string;
  /** what approval needs (require_approval) */
  readonly requirements: readonly { readonly group: string; readonly quorum: number }[];
  /** the decision's receipt; absent with a store that keeps none */
  readonly receipt?: { readonly seq: number; readonly hash: string };
  /** why there is no receipt, when not because the store keeps none */
  readonly unrecorded?: string;
  readonly request?: RequestView;
}

/** The view of an approval request the in-process service knows. */
export function requestView(info: NonNullable<EnforcerDecision["request"]>): RequestView {
  const r = info.request;
  return { id: r.id, status: info.status, expiresAt: r.expiresAt, approvers: r.approvers, progress: info.progress };
}

/** The view of a decision made in-process. */
export function decisionView(d: EnforcerDecision): DecisionView {
  // one per call: assigned, not spread (each spread of an optional part copies an object)
  const v: { -readonly [K in keyof DecisionView]: DecisionView[K] } = { effect: d.effect, tier: d.tier, actionType: d.actionType, reasons: d.reasons, requirements: d.approval?.requirements ?? NO_REQUIREMENTS };
  if (d.code !== undefined) v.code = d.code;
  if (d.receipt !== undefined) v.receipt = { seq: d.receipt.seq, hash: receiptHash(d.receipt) };
  if (d.request !== undefined) v.request = requestView(d.request);
  return v;
}

const NO_REQUIREMENTS: DecisionView["requirements"] = Object.freeze([]);

/** The `_meta` key of ExecLayer's decision in a result the proxy wrote. */
export const DECISION_META_KEY = "dev.execlayer/decision";

/** `receipt #seq sha256:...`, or a note that none was written (a memory store). */
export function receiptText(d: DecisionView): string {
  return d.receipt === undefined ? `no receipt (${d.unrecorded ?? "the decision service keeps no receipt log"})` : `receipt #${d.receipt.seq} ${d.receipt.hash}`;
}

/** Where approvers see and sign a request: the console's page of it, and the API's resource. */
export interface ApprovalLinks {
  readonly console: string;
  readonly api: string;
}

export function decisionMeta(d: DecisionView, links: ApprovalLinks | null): JsonObject {
  const m: Record<string, JsonObject[keyof JsonObject]> = { effect: d.effect, tier: d.tier, reasons: [...d.reasons] };
  if (d.code !== undefined) m["code"] = d.code;
  if (d.actionType !== null) m["action_type"] = d.actionType;
  if (d.receipt !== undefined) m["receipt"] = { seq: d.receipt.seq, hash: d.receipt.hash };
  if (d.request !== undefined) {
    const r = d.request;
    m["request"] = { id: r.id, status: r.status, expires_at: new Date(r.expiresAt).toISOString() };
    if (links !== null) {
      m["approval_url"] = links.console;
      m["approval_api_url"] = links.api;
    }
  }
  return m;
}

/** The call was denied: the reason, the code and the receipt. */
export function deniedResult(what: string, d: DecisionView): CallToolResult {
  const reason = d.reasons.length > 0 ? d.reasons.join("; ") : "no rule allows this action";
  const code = d.code !== undefined ? ` (${d.code})` : "";
  return {
    content: [{ type: "text", text: `ExecLayer denied ${what}: ${reason}${code}. It did not run; ${receiptText(d)}.` }],
    isError: true,
    _meta: { [DECISION_META_KEY]: decisionMeta(d, null) },
  };
}

/** The call waits for approvers: who must sign, how many, until when, and where. */
export function pendingResult(what: string, d: DecisionView, links: ApprovalLinks | null, waited: boolean): CallToolResult {
  const info = d.request;
  const needs = d.requirements.map((q) => `${q.quorum} of ${q.group}`).join(" and ");
  const lines: string[] = [];
  if (info === undefined) {
    lines.push(`ExecLayer requires approval (${needs}) before ${what} runs, but no request could be opened; ${receiptText(d)}.`);
  } else {
    const r = info;
    const who = r.approvers.map((a) => `${a.name} (${a.group})`).join(", ");
    const have = info.progress.map((p) => `${p.approvedBy.length} of ${p.quorum} from ${p.group}`).join(", ");
    lines.push(`ExecLayer requires approval before ${what} runs: ${needs}${who !== "" ? ` among ${who}` : ""}, by ${new Date(r.expiresAt).toISOString()}.`);
    lines.push(`Approval request ${r.id} is ${info.status}${have !== "" ? ` (${have} so far)` : ""}.`);
    if (links !== null) lines.push(`Approvers review and sign it in the approval console at ${links.console} (API: ${links.api}; or with \`xpol approve\`).`);
    lines.push(
      waited
        ? "The proxy waited for the approvals and they did not arrive in time; the call did not run. Call the tool again with exactly the same arguments once it is approved: it then runs once."
        : "The call did not run. Call the tool again with exactly the same arguments once it is approved: it then runs once.",
    );
    lines.push(`Reason: ${d.reasons.join("; ") || "the policy requires approval"}; ${receiptText(d)}.`);
  }
  return { content: [{ type: "text", text: lines.join("\n") }], isError: true, _meta: { [DECISION_META_KEY]: decisionMeta(d, links) } };
}
