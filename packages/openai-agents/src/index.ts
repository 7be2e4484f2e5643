// @execlayer/openai-agents: ExecLayer around the OpenAI Agents SDK's function tools.
//
// `guard.tool(options)` is `tool(options)` from @openai/agents with three hooks set:
//   needsApproval     decides the call (once, kept for its execution): require approval becomes the SDK's
//                     interruption, whose ExecLayer request `guard.check(item)` names;
//   input guardrail   a deny is `rejectContent` with the policy's reason: the model reads it, the tool never runs;
//   execute           the one gate: the kept decision, or a fresh one when the run resumes, and the tool runs only on
//                     allow, on exactly the decided arguments; anything else returns the refusal as the tool's output.
// `guard.resolve(state)` settles the run state's interruptions by ExecLayer's word: approved in the state only when
// the request is approved by its signed quorum, rejected (with the reason) when vetoed, expired or gone, left alone
// while pending. The SDK's own `state.approve(item)` without the signatures reaches `execute`, which decides again
// and refuses: it never stands in for the signatures. Nothing here lives in memory only: a run state serialized and
// restored (`RunState.fromString`) in another process, with an Enforcer over the same durable state, resumes the same.
import { defineToolInputGuardrail, tool, ToolGuardrailFunctionOutputFactory } from "@openai/agents";
import type { FunctionTool, RunContext, RunToolApprovalItem, ToolInputParameters, ToolOptions } from "@openai/agents";
import { CallDecisions, toolRefusal } from "execlayer";
import type { ApprovalRequestInfo, DecideContext, Enforcer, ToolCallDecision, ToolRefusal } from "execlayer";

export type { ToolRefusal };

/** A function call as the SDK hands it to hooks: the tool's name, the call id, the parsed input. */
export interface AgentToolCall {
  readonly toolName: string;
  readonly callId: string;
  readonly input: unknown;
}

/**
 * Actor and context for a call: fixed, or computed per call from the run context (who the agent is, whom it
 * serves). Never from the model.
 */
export type CallContext = DecideContext | ((call: AgentToolCall, runContext: RunContext<unknown> | undefined) => DecideContext | Promise<DecideContext>);

export interface OpenAIAgentsGuardOptions {
  readonly context?: CallContext;
  /** decisions kept between `needsApproval` and the same call's execution (default 1000) */
  readonly maxRemembered?: number;
}

/** Where one interruption stands after `resolve`. */
export interface InterruptionCheck {
  readonly item: RunToolApprovalItem;
  readonly toolName: string;
  /** `missing`: no open request for this exact call (expired, used, or never made); `foreign`: not a guarded tool */
  readonly status: ApprovalRequestInfo["status"] | "missing" | "foreign";
  /** the request the humans sign, while it is open */
  readonly request?: ApprovalRequestInfo;
  /** what `resolve` did to the run state */
  readonly action: "approved" | "rejected" | "waiting" | "untouched";
}

/** What `resolve` uses of a `RunState` (any agent, any context). */
export interface InterruptedRunState {
  getInterruptions(): RunToolApprovalItem[];
  approve(item: RunToolApprovalItem): void;
  reject(item: RunToolApprovalItem, options?: { message?: string }): void;
}

type Execute = (input: unknown, context?: RunContext<unknown>, details?: { toolCall?: { callId?: string } }) => unknown;

function parseArguments(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class OpenAIAgentsGuard {
  readonly #enforcer: Enforcer;
  readonly #context: CallContext;
  readonly #decided: CallDecisions;
  readonly #names = new Set<string>();

  constructor(enforcer: Enforcer, options: OpenAIAgentsGuardOptions = {}) {
    this.#enforcer = enforcer;
    this.#context = options.context ?? {};
    this.#decided = new CallDecisions(options.maxRemembered);
  }

  async #contextFor(call: AgentToolCall, runContext: RunContext<unknown> | undefined): Promise<DecideContext> {
    return typeof this.#context === "function" ? await this.#context(call, runContext) : this.#context;
  }

  /** Decides a call. Never rejects: a context that cannot be had decides with none, which the enforcer refuses. */
  async #decide(call: AgentToolCall, runContext: RunContext<unknown> | undefined): Promise<ToolCallDecision> {
    let context: DecideContext = {};
    try {
      context = await this.#contextFor(call, runContext);
    } catch {
      // decided without an actor: a recorded deny
    }
    return this.#enforcer.decideToolCall(call.toolName, call.input, context);
  }

  /**
   * `tool(options)` from @openai/agents, guarded. `options.name` is the tool name the policy's `tool` mapping knows
   * (required here: the policy must know which tool it is deciding). `needsApproval` and the ExecLayer input
   * guardrail are set by the guard; other input guardrails given in `options` run after it.
   */
  tool<TParameters extends ToolInputParameters, Context = unknown, Result = string>(
    options: ToolOptions<TParameters, Context> & { readonly name: string; readonly execute: (...args: never[]) => unknown },
  ): FunctionTool<Context, TParameters, Result | ToolRefusal> {
    const toolName = options.name;
    this.#names.add(toolName);
    const execute = options.execute as unknown as Execute;
    const decided = this.#decided;

    const needsApproval = async (runContext: RunContext<unknown>, input: unknown, callId?: string): Promise<boolean> => {
      if (callId === undefined) return true;
      // A human decision is already in the run state (the SDK asks again after a restore): do not decide, the
      // gate in execute does.
      if (runContext.isToolApproved({ toolName, callId }) !== undefined) return true;
      const d = await this.#decide({ toolName, callId, input }, runContext);
      // a pending approval is decided again at execution, when the signatures may have come in
      if (d.decision.effect !== "require_approval") decided.keep(callId, toolName, input, d);
      return d.decision.effect === "require_approval";
    };

    const guardrail = defineToolInputGuardrail({
      name: "execlayer",
      run: async ({ toolCall }) => {
        const kept = decided.peek(toolCall.callId, toolName);
        if (kept !== undefined && kept.decision.effect === "deny") return ToolGuardrailFunctionOutputFactory.rejectContent(toolRefusal(kept.decision).reason);
        return ToolGuardrailFunctionOutputFactory.allow();
      },
    });

    const gated: Execute = async (input, runContext, details) => {
      const callId = details?.toolCall?.callId;
      const call = { toolName, callId: callId ?? "", input };
      const { decision, args } = (callId !== undefined ? decided.take(callId, toolName, input) : undefined) ?? (await this.#decide(call, runContext));
      if (decision.effect !== "allow" || args === null) return JSON.stringify(toolRefusal(decision));
      return execute(args, runContext, details);
    };

    const guardrails = [guardrail, ...((options as { inputGuardrails?: readonly unknown[] }).inputGuardrails ?? [])];
    const guarded = { ...options, needsApproval, execute: gated, inputGuardrails: guardrails } as unknown as Parameters<typeof tool>[0];
    return tool(guarded) as unknown as FunctionTool<Context, TParameters, Result | ToolRefusal>;
  }

  /** Where ExecLayer's request for an interruption stands. Changes nothing. */
  async check(item: RunToolApprovalItem): Promise<Omit<InterruptionCheck, "action">> {
    const toolName = item.name ?? item.toolName ?? "";
    if (!this.#names.has(toolName)) return { item, toolName, status: "foreign" };
    const rawCallId = (item.rawItem as { callId?: unknown }).callId;
    const call = { toolName, callId: typeof rawCallId === "string" ? rawCallId : "", input: parseArguments(item.arguments) };
    let context: DecideContext;
    try {
      context = await this.#contextFor(call, undefined);
    } catch {
      return { item, toolName, status: "missing" };
    }
    const request = await this.#enforcer.approvalForToolCall(toolName, call.input, context);
    return request === undefined ? { item, toolName, status: "missing" } : { item, toolName, status: request.status, request };
  }

  /**
   * Settles the state's interruptions of guarded tools by ExecLayer's word: `approve` once the request is approved
   * by its quorum, `reject` with the reason when it was vetoed or no request is open (expired, used, never made),
   * nothing while it waits for signatures. Returns where each stands; run the agent again with `state` when none is
   * `waiting`. Interruptions of other tools are left untouched.
   */
  async resolve(state: InterruptedRunState): Promise<readonly InterruptionCheck[]> {
    const out: InterruptionCheck[] = [];
    for (const item of state.getInterruptions()) {
      const c = await this.check(item);
      switch (c.status) {
        case "foreign":
          out.push({ ...c, action: "untouched" });
          break;
        case "approved":
          state.approve(item);
          out.push({ ...c, action: "approved" });
          break;
        case "pending":
          out.push({ ...c, action: "waiting" });
          break;
        default: {
          const why = c.request === undefined ? "no open ExecLayer approval request for this call: it expired, was used, or was never made" : `ExecLayer request ${c.request.request.id} is ${c.status}`;
          state.reject(item, { message: `not approved: ${why}; the tool did not run` });
          out.push({ ...c, action: "rejected" });
        }
      }
    }
    return out;
  }
}
