// Submitting a signed approval to a store: verify it against the request it names (approvals.ts), record it when it
// counts, journal the attempt either way. Used by the Enforcer and by `xpol approve`, which has only the state
// directory: a request carries its approvers, so no policy is needed to judge an approval.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { JsonObject } from "../ir/types.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { StateChange, StateStore } from "./store.ts";
import { approvalBody } from "./receipt-body.ts";
import { parseSignedApproval, requestStatus, requirementProgress, verifyApproval, type ApprovalError, type ApprovalRecord, type ApprovalRequest, type RequestState, type RequestStatus, type RequirementProgress } from "./approvals.ts";
import type { ApproverGroups } from "../vocabulary/approvers.ts";

/** A request as shown to callers and approvers. */
export interface ApprovalRequestInfo {
  readonly request: ApprovalRequest;
  readonly status: RequestStatus;
  readonly progress: readonly RequirementProgress[];
  readonly approvals: readonly ApprovalRecord[];
}

export type ApprovalSubmission =
  | { readonly accepted: true; readonly request: ApprovalRequestInfo; readonly receipt?: Receipt }
  | { readonly accepted: false; readonly error: ApprovalError; readonly receipt?: Receipt };

export function requestInfo(state: RequestState, now: number): ApprovalRequestInfo {
  return { request: state.request, status: requestStatus(state, now), progress: requirementProgress(state), approvals: state.approvals };
}

export interface SubmitOptions {
  /** arrival time, ms */
  readonly now: number;
  readonly skewMs?: number;
  /** the current policy's groups: only to name the group of a refused key */
  readonly groups?: ApproverGroups;
  /** `{ name, version, digest }` of the current policy (receipt-body.ts policyJson), recorded in the receipt when given */
  readonly policy?: JsonObject;
}

function unavailable(code: string, message: string, request?: string): ApprovalError {
  return request === undefined ? { kind: "unavailable", code, message } : { kind: "unavailable", code, message, request };
}

/** Never throws; a refused approval changes nothing (it is only journaled). */
export async function submitApprovalTo(store: StateStore<Receipt>, signed: unknown, options: SubmitOptions): Promise<ApprovalSubmission> {
  const { now } = options;
  const parsed = parseSignedApproval(signed);
  type Result = { ok: true; state: RequestState } | { ok: false; error: ApprovalError };
  const statement = parsed.ok ? parsed.value.statement : null;
  const id = statement?.request;
  try {
    const outcome = await store.transact<Result>({ now, requests: id === undefined ? [] : [id] }, (view) => {
      let result: Result;
      let changes: StateChange[] = [];
      if (!parsed.ok) {
        result = { ok: false, error: parsed.error };
      } else {
        const state = view.requestById(parsed.value.statement.request);
        if (state === undefined) {
          const rid = parsed.value.statement.request;
          result = { ok: false, error: { kind: "unknown_request", code: Diagnostics.approvalUnknownRequest.code, message: Diagnostics.approvalUnknownRequest.message(rid), request: rid } };
        } else {
          const v = verifyApproval(state, parsed.value, { now, ...(options.skewMs !== undefined ? { skewMs: options.skewMs } : {}), ...(options.groups !== undefined ? { groups: options.groups } : {}) });
          if (v.ok) {
            changes = [{ op: "approval", request: state.request.id, record: v.record }];
            result = { ok: true, state: { ...state, approvals: [...state.approvals, v.record] } };
          } else {
            result = { ok: false, error: v.error };
          }
        }
      }
      if (!store.journaled) return { result, changes };
      const body = approvalBody({
        ...(options.policy !== undefined ? { policy: options.policy } : {}),
        submitted: parsed.ok ? parsed.value : null,
        outcome: result.ok ? { accepted: true, status: requestStatus(result.state, now) } : { accepted: false, error: result.error },
      });
      return { result, changes, event: { kind: "approval", body, time: now } };
    });
    if (!outcome.ok) return { accepted: false, error: unavailable(outcome.error.code, outcome.error.message, id) };
    const r = outcome.result;
    const receipt = outcome.receipt !== undefined ? { receipt: outcome.receipt } : {};
    return r.ok ? { accepted: true, request: requestInfo(r.state, now), ...receipt } : { accepted: false, error: r.error, ...receipt };
  } catch (e: unknown) {
    const why = Diagnostics.runtimeInternalError.message(e instanceof Error ? e.message : String(e));
    return { accepted: false, error: unavailable(Diagnostics.runtimeInternalError.code, why, id) };
  }
}
