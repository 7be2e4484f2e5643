// What the Enforcer answers for one proposal: the policy's decision, and what the runtime did with it.
import type { Receipt } from "../receipts/receipt.ts";
import type { Decision } from "../vocabulary/decision.ts";
import type { ApprovalRequestInfo } from "./submit-approval.ts";

export type EnforcerDecision = Decision & {
  readonly receipt?: Receipt;
  /** the approval request this decision created, returned, used or refused */
  readonly request?: ApprovalRequestInfo;
  readonly actionDigest?: string;
  readonly irDigest?: string;
  /** shadow mode: what the candidate policy decided for the same call (never enforced; recorded in the receipt) */
  readonly shadow?: Decision;
};
