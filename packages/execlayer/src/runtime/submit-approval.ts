// Submitting a signed approval to a store: verify it against the request it names (approvals.ts), record it when it
// counts, journal the attempt either way. Used by the Enforcer and by `xpol approve`, which has only the state
// directory: a request carries its approvers, so no policy is needed to judge an approval.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { parseAndClean } from "../ir/adapters.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH } from "../ir/json.ts";
import type { JsonObject } from "../ir/types.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { StateChange, StateStore } from "./store.ts";
import { approvalBody, recordToJson, requestToJson } from "./receipt-body.ts";
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

/**
 * A request as JSON, the one shape callers and approvers read (`xpol approvals list --json`, the decision service):
 * the request's fields, its status, the progress of each required group and the approvals counted so far.
 */
export function requestInfoToJson(r: ApprovalRequestInfo): JsonObject {
  return {
    ...requestToJson(r.request),
    status: r.status,
    progress: r.progress.map((p) => ({ group: p.group, quorum: p.quorum, approvedBy: [...p.approvedBy] })),
    approvals: r.approvals.map(recordToJson),
  };
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

/**
 * The submission as plain data, read once: a snapshot by src/ir's strict JSON cleaning (own enumerable data only,
 * no functions, cycles or non-JSON values, size and depth bounded), so what is verified, recorded and journaled is
 * one value that no getter or Proxy can change between reads. A string is passed through (it is not an approval).
 * Throws whatever the input's getters or traps throw.
 */
function snapshot(signed: unknown): { ok: true; value: unknown } | { ok: false; error: ApprovalError } {
  const malformed = (why: string) => ({ ok: false, error: { kind: "malformed", code: Diagnostics.approvalMalformed.code, message: Diagnostics.approvalMalformed.message(why) } }) as const;
  if (typeof signed !== "object" || signed === null) return { ok: true, value: signed };
  let clean: ReturnType<typeof parseAndClean>;
  try {
    clean = parseAndClean(signed, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH);
  } catch (e: unknown) {
    return malformed(`reading it threw: ${describe(e)}`);
  }
  if (clean.ok) return clean;
  return malformed(`not plain JSON data: ${clean.error.message} at ${clean.error.path}`);
}

/** An exception's message, even from a thrown value whose own getters or conversions throw. */
function describe(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return "an exception that cannot be described";
  }
}

/**
 * Never throws, whatever `signed` is (throwing getters and Proxies included): every failure is `{ accepted: false }`
 * with a code. A refused approval changes nothing (it is only journaled).
 */
export async function submitApprovalTo(store: StateStore<Receipt>, signed: unknown, options: SubmitOptions): Promise<ApprovalSubmission> {
  type Result = { ok: true; state: RequestState } | { ok: false; error: ApprovalError };
  let id: string | undefined;
  try {
    const { now } = options;
    const input = snapshot(signed);
    const parsed = input.ok ? parseSignedApproval(input.value) : input;
    id = parsed.ok ? parsed.value.statement.request : undefined;
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
    const why = Diagnostics.runtimeInternalError.message(describe(e));
    return { accepted: false, error: unavailable(Diagnostics.runtimeInternalError.code, why, id) };
  }
}
