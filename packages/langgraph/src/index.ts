// @execlayer/langgraph: ExecLayer as a LangChain agent middleware (`createAgent({ middleware })`, LangGraph inside).
//
// `wrapToolCall` decides every tool call with `enforcer.decideToolCall` and hands the tool exactly the decided
// arguments, only on allow. A deny, or an unmappable call, becomes the tool's ToolMessage with the reason (status
// "error"): the model reads it, the tool never runs. Require approval calls LangGraph's `interrupt()` with the
// ExecLayer request, so the graph pauses at a checkpoint (a checkpointer is required). Resuming with
// `Command({ resume })` re-runs the tool node, and the middleware decides again: the tool runs, once, only if the
// request is now approved by its signed quorum. Whatever the resume value says is not trusted: a resume without the
// signatures, or after the request expired, gives the model a refusal (the run ends, it does not hang).
// `guard.check(interrupt)` says where a pause stands; `guard.resumeCommand(interrupt)` gives the Command once
// ExecLayer settled it (approved, vetoed or expired).
import { Command, interrupt } from "@langchain/langgraph";
import { ToolMessage } from "@langchain/core/messages";
import { createMiddleware } from "langchain";
import { requestInfoToJson, toolRefusal } from "execlayer";
import type { ApprovalRequestInfo, DecideContext, Enforcer, JsonObject, ToolRefusal } from "execlayer";

export type { ToolRefusal };

/** A tool call as the middleware sees it. */
export interface GraphToolCall {
  readonly toolName: string;
  readonly toolCallId: string;
  readonly args: unknown;
}

/** Actor and context for a call: fixed, or computed per call (who the agent is, whom it serves). Never from the model. */
export type CallContext = DecideContext | ((call: GraphToolCall) => DecideContext | Promise<DecideContext>);

export interface LangGraphGuardOptions {
  readonly context?: CallContext;
}

/** The value of the `interrupt()` a require-approval decision raises (JSON, so any checkpointer keeps it). */
export interface ApprovalInterrupt {
  readonly type: "execlayer.approval";
  readonly toolName: string;
  readonly toolCallId: string;
  /** the decided arguments, as the humans approve them */
  readonly args: JsonObject;
  /** the ExecLayer request: id, action and policy digests, requirements, approvers, status (requestInfoToJson) */
  readonly request: JsonObject;
}

/** Where a paused call stands. `missing`: no open request for it (expired, used, or never made). */
export interface ApprovalCheck {
  readonly status: ApprovalRequestInfo["status"] | "missing";
  readonly request?: ApprovalRequestInfo;
}

function isApprovalInterrupt(v: unknown): v is ApprovalInterrupt {
  const o = v as Partial<ApprovalInterrupt> | null;
  return typeof o === "object" && o !== null && o.type === "execlayer.approval" && typeof o.toolName === "string" && typeof o.args === "object";
}

export class LangGraphGuard {
  readonly #enforcer: Enforcer;
  readonly #context: CallContext;

  constructor(enforcer: Enforcer, options: LangGraphGuardOptions = {}) {
    this.#enforcer = enforcer;
    this.#context = options.context ?? {};
  }

  /** The context for a call; when it cannot be had, none, which the enforcer refuses (no actor) and records. */
  async #contextFor(call: GraphToolCall): Promise<DecideContext> {
    try {
      return typeof this.#context === "function" ? await this.#context(call) : this.#context;
    } catch {
      return {};
    }
  }

  /** The middleware for `createAgent({ middleware: [guard.middleware()], checkpointer })`. */
  middleware(): ReturnType<typeof createMiddleware> {
    return createMiddleware({
      name: "ExecLayer",
      wrapToolCall: async (request, handler) => {
        const { name, args, id } = request.toolCall;
        const call: GraphToolCall = { toolName: name, toolCallId: id ?? "", args };
        const refuse = (refusal: ToolRefusal): ToolMessage =>
          new ToolMessage({ content: JSON.stringify(refusal), tool_call_id: call.toolCallId, name, status: "error" });
        const { decision, args: decided } = await this.#enforcer.decideToolCall(name, args, await this.#contextFor(call));
        if (decision.effect === "allow" && decided !== null) return handler({ ...request, toolCall: { ...request.toolCall, args: decided } });
        if (decision.effect === "require_approval" && decided !== null && decision.request !== undefined) {
          const value: ApprovalInterrupt = { type: "execlayer.approval", toolName: name, toolCallId: call.toolCallId, args: decided, request: requestInfoToJson(decision.request) };
          // The first time, this pauses the graph. Resumed, it returns the resume value, which is not trusted: this
          // run of the node already decided, and the request was not approved by its quorum.
          interrupt(value);
        }
        return refuse(toolRefusal(decision));
      },
    });
  }

  /** Where ExecLayer's request for a pause stands (`value` is the interrupt's value). Changes nothing. */
  async check(value: unknown): Promise<ApprovalCheck> {
    if (!isApprovalInterrupt(value)) return { status: "missing" };
    const context = await this.#contextFor({ toolName: value.toolName, toolCallId: value.toolCallId, args: value.args });
    const request = await this.#enforcer.approvalForToolCall(value.toolName, value.args, context);
    return request === undefined ? { status: "missing" } : { status: request.status, request };
  }

  /**
   * The Command that resumes a pause once ExecLayer settled it: approved (the tool runs, once), or vetoed or expired
   * (the model reads the refusal). Undefined while it waits for signatures. The resume value only names the request;
   * the middleware decides again either way.
   */
  async resumeCommand(value: unknown): Promise<Command | undefined> {
    const c = await this.check(value);
    if (c.status === "pending") return undefined;
    return new Command({ resume: { execlayer: c.status, request: c.request?.request.id ?? null } });
  }
}
