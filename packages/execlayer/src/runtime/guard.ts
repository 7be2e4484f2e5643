// `guard`: wrap a tool function so it runs only when the policy allows the call. Anything else throws a typed error
// that carries the decision, so agent frameworks can surface it (deny) or route it to humans (approval).
import type { JsonObject } from "../ir/types.ts";
import { describeRequirements } from "../vocabulary/decision.ts";
import type { DecideContext } from "../engine/enforceable.ts";
import type { EnforcerDecision } from "./outcome.ts";
import type { ApprovalRequestInfo } from "./submit-approval.ts";

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
    super(`denied by policy: ${decision.reasons[0] ?? "no rule allows this action"}`);
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

interface Decides {
  decide(proposal: unknown, context?: DecideContext): Promise<EnforcerDecision>;
}

/** The proposal handed to the policy for a guarded call: a tool call in the Anthropic `tool_use` shape. */
export function toolCallProposal(toolName: string, args: JsonObject): JsonObject {
  return { type: "tool_use", id: "guard", name: toolName, input: args };
}

export function guardTool<A extends JsonObject, R>(
  enforcer: Decides,
  toolFn: (args: A) => R | Promise<R>,
  options: GuardOptions,
): (args: A) => Promise<Awaited<R>> {
  return async (args: A): Promise<Awaited<R>> => {
    const ctx = typeof options.context === "function" ? await options.context() : (options.context ?? {});
    const decision = await enforcer.decide(toolCallProposal(options.toolName, args), ctx);
    if (decision.effect === "allow") return await toolFn(args);
    if (decision.effect === "require_approval") throw new ApprovalRequired(decision);
    throw new PolicyDenied(decision);
  };
}
