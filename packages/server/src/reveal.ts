// Who sees a @sensitive value. Receipts, webhooks, the API and the console show such a field masked. The one
// exception: an approver whose token says `"reveal_sensitive": true` sees the values of a request opened by this
// process while it is open, so they can judge what they sign. The service keeps those values in memory only (never
// written, never logged, gone when the request is settled or the service stops), and only when they are provably
// the ones decided: the proposal is normalized again by the Enforcer's own `irAt` (same commitments) at the request's recorded time, and
// the values are kept only if that IR's digest equals the decision's IR digest.
import type { Enforcer, EnforcerDecision, JsonObject, JsonValue } from "execlayer";
import type { DecisionItem } from "./decisions.ts";

/** The proposal `decideToolCall` decides for a tool call (runtime/tool-call.ts); checked by the IR digest below. */
function toolProposal(name: string, args: JsonValue): JsonObject {
  return { type: "tool_use", id: "guard", name, input: args };
}

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The values of the sensitive fields (`paths`, as view.ts names them) of the action a decision asked approval for,
 * or null when they cannot be shown to be the decided ones.
 */
export function sensitiveValues(
  enforcer: Enforcer,
  item: DecisionItem,
  args: JsonValue | null | undefined,
  ctx: { actor?: JsonObject | undefined; context?: JsonObject | undefined },
  decision: EnforcerDecision,
  recorded: JsonObject | null,
  paths: readonly string[],
): JsonObject | null {
  if (paths.length === 0 || recorded === null || decision.irDigest === undefined) return null;
  const at = recorded["requested_at"];
  if (typeof at !== "string" || Number.isNaN(Date.parse(at))) return null;
  const proposal = item.tool !== undefined ? (args === null || args === undefined ? null : toolProposal(item.tool, args)) : item.proposal;
  if (proposal === null) return null;
  let built;
  try {
    built = enforcer.irAt(proposal, { actor: ctx.actor, context: ctx.context }, Date.parse(at));
  } catch {
    return null;
  }
  if (!built.ok || built.irDigest !== decision.irDigest) return null;
  const ir = built.ir as unknown as JsonObject;
  const out: Record<string, JsonValue> = {};
  for (const p of paths) {
    const [head, ...rest] = p.split(".");
    let v: JsonValue | undefined = ir[head!];
    for (const k of rest) v = isObject(v) ? v[k] : undefined;
    if (v !== undefined) out[p] = v;
  }
  return out;
}
