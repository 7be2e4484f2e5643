// @execlayer/ai-sdk: ExecLayer around the Vercel AI SDK's tools (`ai` 6 and 7).
//
// The one gate is each tool's `execute`: it asks `enforcer.decideToolCall` and runs the tool only on allow, on
// exactly the arguments decided on; anything else returns a refusal the model reads, and the tool does not run.
// The SDK's approval hooks (`needsApproval` in 6, `toolApproval` in 7) only say when to pause: a require-approval
// decision becomes the SDK's tool-approval-request; `checkApproval` answers it with a tool-approval-response that
// approves only once ExecLayer reports the request approved by its signed quorum. A response approved by anyone
// else (the SDK's own yes, a forged message) reaches `execute`, which decides again and refuses while the request is
// not signed: the SDK's yes never stands in for the signatures.
import { ApprovalRequired, CallDecisions, toolRefusal } from "execlayer";
import type { ApprovalRequestInfo, DecideContext, Enforcer, EnforcerDecision, ToolCallDecision, ToolRefusal } from "execlayer";

/** A tool call as the SDK shows it to approval hooks and in tool-approval-request parts. */
export interface AiToolCall {
  readonly toolName: string;
  readonly toolCallId: string;
  readonly input: unknown;
}

/** Actor and context for a call: fixed, or computed per call (who the agent is, whom it serves). Never from the model. */
export type CallContext = DecideContext | ((call: AiToolCall) => DecideContext | Promise<DecideContext>);

export interface AiSdkGuardOptions {
  readonly context?: CallContext;
  /** decisions remembered between the approval hook and `execute` of the same call (default 1000) */
  readonly maxRemembered?: number;
}

/** The tool shape this package wraps: any `ai` 6 or 7 tool with an `execute`. */
export interface AiToolLike {
  readonly execute?: ((input: never, options: never) => unknown) | undefined;
}

/** The SDK's approval status (the subset this package answers). */
export type ApprovalStatus = "not-applicable" | { readonly type: "user-approval"; readonly reason: string } | { readonly type: "denied"; readonly reason: string };

/** The SDK's tool-approval-response content part. */
export interface ToolApprovalResponsePart {
  readonly type: "tool-approval-response";
  readonly approvalId: string;
  readonly approved: boolean;
  readonly reason?: string;
}

/** Where an ExecLayer request for a paused call stands, and the response to send when the humans are done. */
export interface ApprovalCheck {
  /** `missing`: no open request for this exact call (it expired, was used, or was never made) */
  readonly status: ApprovalRequestInfo["status"] | "missing";
  /** the request the humans sign (its id, action digest and policy digest), while it is open */
  readonly request?: ApprovalRequestInfo;
  /** undefined while pending: keep waiting for signatures */
  readonly response?: ToolApprovalResponsePart;
}

type Execute = (input: unknown, options: unknown) => unknown;

export type { ToolRefusal };

/** True when `messages` already answer an approval request for this tool call: the SDK is resuming it. */
function answered(messages: unknown, toolCallId: string): boolean {
  if (!Array.isArray(messages)) return false;
  const asked = new Set<string>();
  const responses = new Set<string>();
  for (const m of messages as unknown[]) {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const p of content as unknown[]) {
      const part = p as { type?: unknown; approvalId?: unknown; toolCallId?: unknown } | null;
      if (typeof part?.approvalId !== "string") continue;
      if (part.type === "tool-approval-request" && part.toolCallId === toolCallId) asked.add(part.approvalId);
      if (part.type === "tool-approval-response") responses.add(part.approvalId);
    }
  }
  for (const id of asked) if (responses.has(id)) return true;
  return false;
}

/**
 * ExecLayer for one agent's tools. `tools(set)` gates every tool's `execute` and sets `needsApproval` (`ai` 6; 7
 * still honours it); `toolApproval` is the same hook in `ai` 7's `generateText({ toolApproval })` shape, where a deny
 * also reaches the model as the SDK's execution-denied with the policy's reason. `checkApproval(part)` answers a
 * tool-approval-request.
 */
export class AiSdkGuard {
  readonly #enforcer: Enforcer;
  readonly #context: CallContext;
  // the decision the approval hook made, for `execute` of the same call: one decision per call, never two
  readonly #decided: CallDecisions;

  constructor(enforcer: Enforcer, options: AiSdkGuardOptions = {}) {
    this.#enforcer = enforcer;
    this.#context = options.context ?? {};
    this.#decided = new CallDecisions(options.maxRemembered);
  }

  async #contextFor(call: AiToolCall): Promise<DecideContext> {
    return typeof this.#context === "function" ? await this.#context(call) : this.#context;
  }

  /**
   * The decision for a call, made once. Resolves (never rejects): when the context cannot be had, the call is decided
   * with none, which the enforcer refuses (no actor) and records.
   */
  async #decide(call: AiToolCall): Promise<ToolCallDecision> {
    let context: DecideContext = {};
    try {
      context = await this.#contextFor(call);
    } catch {
      // decided without an actor below: a recorded deny
    }
    return this.#enforcer.decideToolCall(call.toolName, call.input, context);
  }

  /**
   * The approval hook's answer for a call. A call whose approval the messages already answer is being resumed: no new
   * decision (the gate in `execute` makes it). Otherwise the call is decided here, once, and the decision kept for its
   * `execute`.
   */
  async #preflight(call: AiToolCall, messages: unknown): Promise<EnforcerDecision | "resuming"> {
    if (answered(messages, call.toolCallId)) return "resuming";
    const decided = await this.#decide(call);
    // a pending approval is decided again at execution, when the signatures may have come in
    if (decided.decision.effect !== "require_approval") this.#decided.keep(call.toolCallId, call.toolName, call.input, decided);
    return decided.decision;
  }

  /** The tools, each gated by the policy; the keys are the tool names the policy's `tool` mappings know. */
  tools<T extends Record<string, AiToolLike>>(tools: T): T {
    const out: Record<string, unknown> = {};
    for (const [toolName, tool] of Object.entries(tools)) {
      const execute = tool.execute as Execute | undefined;
      if (typeof execute !== "function") {
        throw new TypeError(`@execlayer/ai-sdk: tool \`${toolName}\` has no execute function; ExecLayer can only guard tools it runs`);
      }
      out[toolName] = {
        ...tool,
        needsApproval: async (input: unknown, options: { toolCallId: string; messages?: unknown }): Promise<boolean> => {
          const d = await this.#preflight({ toolName, toolCallId: options.toolCallId, input }, options.messages);
          return d === "resuming" || d.effect === "require_approval";
        },
        execute: async (input: unknown, options: { toolCallId: string }): Promise<unknown> => {
          const call = { toolName, toolCallId: options.toolCallId, input };
          const { decision, args } = this.#decided.take(call.toolCallId, toolName, input) ?? (await this.#decide(call));
          if (decision.effect !== "allow" || args === null) return toolRefusal(decision);
          return execute.call(tool, args, options);
        },
      };
    }
    return out as T;
  }

  /** `ai` 7's `toolApproval` hook (`generateText({ tools, toolApproval })`): deny reaches the model with its reason. */
  readonly toolApproval = async (options: { readonly toolCall: AiToolCall; readonly messages?: unknown }): Promise<ApprovalStatus> => {
    const d = await this.#preflight(options.toolCall, options.messages);
    if (d === "resuming") return { type: "user-approval", reason: "resuming an answered approval" };
    switch (d.effect) {
      case "allow":
        return "not-applicable";
      case "deny":
        return { type: "denied", reason: toolRefusal(d).reason };
      case "require_approval":
        return { type: "user-approval", reason: new ApprovalRequired(d).message };
    }
  };

  /**
   * Where ExecLayer's request for a paused call stands (`part` is the SDK's tool-approval-request), and the SDK's
   * response once settled: approved only when ExecLayer reports the request approved by its quorum; refused when it
   * was vetoed or no request is open (expired, used, never made), so a stale pause ends in a denial, not a wait.
   * Changes nothing: the call runs, once, when `execute` decides it.
   */
  async checkApproval(part: { readonly approvalId: string; readonly toolCall: AiToolCall }): Promise<ApprovalCheck> {
    let context: DecideContext;
    try {
      context = await this.#contextFor(part.toolCall);
    } catch (e: unknown) {
      const reason = `no ExecLayer approval: the call's context is unavailable (${e instanceof Error ? e.message : String(e)})`;
      return { status: "missing", response: { type: "tool-approval-response", approvalId: part.approvalId, approved: false, reason } };
    }
    const request = await this.#enforcer.approvalForToolCall(part.toolCall.toolName, part.toolCall.input, context);
    const respond = (approved: boolean, reason: string): ToolApprovalResponsePart => ({ type: "tool-approval-response", approvalId: part.approvalId, approved, reason });
    if (request === undefined) {
      return { status: "missing", response: respond(false, "no open ExecLayer approval request for this call: it expired, was used, or was never made") };
    }
    switch (request.status) {
      case "approved":
        return { status: "approved", request, response: respond(true, `approved by ${request.approvals.map((a) => a.member).join(", ")} (ExecLayer request ${request.request.id})`) };
      case "pending":
        return { status: "pending", request };
      default:
        return { status: request.status, request, response: respond(false, `ExecLayer request ${request.request.id} is ${request.status}`) };
    }
  }
}
