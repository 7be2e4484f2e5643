// `guard`: wrap a tool function so it runs only when the policy allows the call. Anything else throws a typed error
// that carries the decision, so agent frameworks can surface it (deny) or route it to humans (approval).
import type { JsonObject } from "../ir/types.ts";
import { describeRequirements } from "../vocabulary/decision.ts";
import type { DecideContext } from "../engine/enforceable.ts";
import type { EnforcerDecision } from "./outcome.ts";
import type { ApprovalRequestInfo } from "./submit-approval.ts";
import type { ToolCallDecision } from "./tool-call.ts";
import { snapshotToolArgs } from "../ir/snapshot.ts";

export interface GuardOptions {
  /** the tool name the policy's `tool NAME -> action` mapping knows */
  readonly toolName: string;
  /** actor and context for each call: fixed, or computed per call (e.g. from the current session) */
  readonly context?: DecideContext | (() => DecideContext | Promise<DecideContext>);
}

/** The policy denied the call. */
export class PolicyDenied extends Error {
  override readonly name = "PolicyDenied";
  constructor(readonly decision: EnforcerDecision) {
    // A coded deny was forced (invalid input, an unmapped tool, a store or evaluation failure: fail closed), not
    // reached by the rules: the words say so, and the code says which.
    const reason = decision.reasons[0] ?? "no rule allows this action";
    super(decision.code === undefined ? `denied by policy: ${reason}` : `denied (${decision.code}): ${reason}`);
  }
}

/** The call needs human approval first; `request` says which, and who must sign. Call again once approved. */
export class ApprovalRequired extends Error {
  override readonly name = "ApprovalRequired";
  readonly request: ApprovalRequestInfo | undefined;
  constructor(readonly decision: EnforcerDecision) {
    const req = decision.request;
    const needs = describeRequirements(decision.approval?.requirements ?? []);
    super(`approval required${needs === "" ? "" : ` (${needs})`}${req === undefined ? "" : `: request ${req.request.id}`}`);
    this.request = req;
  }
}

interface DecidesToolCalls {
  decideToolCall(toolName: string, args: unknown, context?: DecideContext): Promise<ToolCallDecision>;
}

/**
 * The guarded tool: its arguments are snapshotted once, before anything is awaited, the policy decides on the
 * snapshot, and the tool runs with that same frozen snapshot (see `Enforcer.decideToolCall`), never with the
 * caller's object.
 */
export function guardTool<A extends JsonObject, R>(
  enforcer: DecidesToolCalls,
  toolFn: (args: A) => R | Promise<R>,
  options: GuardOptions,
): (args: A) => Promise<Awaited<R>> {
  return async (args: A): Promise<Awaited<R>> => {
    const snapshot = snapshotToolArgs(args);
    const ctx = typeof options.context === "function" ? await options.context() : (options.context ?? {});
    const { decision, args: decided } = await enforcer.decideToolCall(options.toolName, snapshot.ok ? snapshot.value : args, ctx);
    if (decision.effect === "allow" && decided !== null) return await toolFn(decided as A);
    if (decision.effect === "require_approval") throw new ApprovalRequired(decision);
    throw new PolicyDenied(decision);
  };
}
