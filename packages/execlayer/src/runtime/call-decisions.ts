// What framework adapters share around `Enforcer.decideToolCall`: a framework asks twice about one tool call (its
// approval hook, then its execution), and ExecLayer must decide once (a second decision would count twice or use an
// approval before the tool runs). `CallDecisions` keeps the hook's decision for the same call's execution; `toolRefusal`
// is what the model reads when the tool did not run.
import { tryCanonicalize } from "../ir/canonicalize.ts";
import type { EnforcerDecision } from "./outcome.ts";
import { ApprovalRequired, PolicyDenied } from "./guard.ts";
import type { ToolCallDecision } from "./tool-call.ts";

/** What the model reads in place of a tool's result when the tool did not run. */
export interface ToolRefusal {
  readonly refused: true;
  readonly effect: "deny" | "require_approval";
  /** the reason, worded as `PolicyDenied` and `ApprovalRequired` word it */
  readonly reason: string;
  /** the XP code, when the runtime forced the deny */
  readonly code?: string;
  /** the approval request involved, if any */
  readonly request?: string;
}

/** The refusal for a decision that is not an allow. */
export function toolRefusal(decision: EnforcerDecision): ToolRefusal {
  const requestId = decision.request?.request.id;
  const pending = decision.effect === "require_approval";
  return {
    refused: true,
    effect: pending ? "require_approval" : "deny",
    reason: pending ? `${new ApprovalRequired(decision).message}; the tool did not run` : new PolicyDenied(decision).message,
    ...(decision.code !== undefined ? { code: decision.code } : {}),
    ...(requestId !== undefined ? { request: requestId } : {}),
  };
}

interface Kept {
  readonly toolName: string;
  readonly input: string;
  readonly decided: ToolCallDecision;
}

/**
 * Decisions kept by call id, each taken at most once and only by the same call: same id, same tool, same input (as
 * RFC 8785 text). Bounded: past `max` the oldest is dropped, and a call whose decision was dropped is decided again.
 */
export class CallDecisions {
  readonly #kept = new Map<string, Kept>();
  readonly #max: number;

  constructor(max = 1000) {
    this.#max = Math.max(1, max);
  }

  keep(callId: string, toolName: string, input: unknown, decided: ToolCallDecision): void {
    const text = tryCanonicalize(input);
    if (!text.ok) return;
    this.#kept.delete(callId);
    if (this.#kept.size >= this.#max) this.#kept.delete(this.#kept.keys().next().value as string);
    this.#kept.set(callId, { toolName, input: text.value, decided });
  }

  /** The kept decision of exactly this call, removed; undefined if none (or another call's under the same id). */
  take(callId: string, toolName: string, input: unknown): ToolCallDecision | undefined {
    const kept = this.#kept.get(callId);
    if (kept === undefined) return undefined;
    this.#kept.delete(callId);
    const text = tryCanonicalize(input);
    return kept.toolName === toolName && text.ok && kept.input === text.value ? kept.decided : undefined;
  }

  /** The kept decision of a call id, left in place (a framework's guardrail reads it before execution takes it). */
  peek(callId: string, toolName: string): ToolCallDecision | undefined {
    const kept = this.#kept.get(callId);
    return kept?.toolName === toolName ? kept.decided : undefined;
  }
}
