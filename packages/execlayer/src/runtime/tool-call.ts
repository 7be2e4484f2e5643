// The boundary between decision and execution, as data: what a guarded tool call was decided on, and what it may
// run with. `Enforcer.decideToolCall` is the one owner of that boundary (guard, and every service, proxy or
// framework adapter that runs tools, goes through it); this file holds what it shares with guard.ts.
import type { JsonObject } from "../ir/types.ts";
import type { EnforcerDecision } from "./outcome.ts";

/** A decided tool call: the decision, and the arguments it was made on. */
export interface ToolCallDecision {
  readonly decision: EnforcerDecision;
  /**
   * The arguments to run the tool with, when the decision allows: a deeply frozen copy of the caller's, taken once
   * before deciding (each property read once; strings in NFC; a `Date` as its ISO string). The decision was made on
   * exactly this value, so run the tool with it, never with the caller's object. Null when the arguments were
   * refused before the policy saw them (a Proxy, a cycle, a getter that throws, a value that is not JSON).
   */
  readonly args: JsonObject | null;
}

/** The proposal a decided tool call is: the Anthropic `tool_use` shape around the snapshot of its arguments. */
export function toolCallProposal(toolName: string, args: JsonObject): JsonObject {
  return { type: "tool_use", id: "guard", name: toolName, input: args };
}
