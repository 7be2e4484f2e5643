// One approval request as a human reads it: the request (digests, who may sign, progress, expiry), the action as the
// receipt recorded it (type, target, every parameter, actor, context; @sensitive values masked), the rules and
// reasons that asked for approval, how its tier was reached, which fields are masked, and where the console shows
// it. The API's approval routes, the console and the webhooks all carry this one shape, so a notification shows
// exactly what the console shows.
import { requestInfoToJson, type ApprovalRequestInfo, type CompiledPolicy, type JsonObject, type JsonValue } from "execlayer";
import type { ApprovalBook } from "./approvals.ts";

/** The console's page of one request, relative to the service's base URL. */
export function consolePath(id: string): string {
  return `/console#/approvals/${encodeURIComponent(id)}`;
}

/** The request's JSON fields and what the console shows beside them. */
export type ApprovalViewJson = JsonObject & {
  readonly action: JsonObject | null;
  readonly reasons: JsonValue;
  readonly rules: JsonValue;
  readonly tier_basis: JsonObject;
  readonly sensitive: string[];
  /** only for a caller allowed to see them (reveal.ts): the @sensitive values by path */
  readonly revealed?: JsonObject;
  readonly console_path: string;
};

export function approvalView(info: ApprovalRequestInfo, book: ApprovalBook, policy: CompiledPolicy, reveal = false): ApprovalViewJson {
  const id = info.request.id;
  const action = book.action(id);
  const asked = book.asked(id);
  const revealed = reveal ? book.revealed(id) : null;
  return {
    ...requestInfoToJson(info),
    action,
    reasons: asked?.reasons ?? [],
    rules: asked?.rules ?? [],
    tier_basis: tierBasis(info, policy),
    sensitive: sensitivePaths(action, info.request.actionType, policy),
    ...(revealed !== null ? { revealed } : {}),
    console_path: consolePath(id),
  };
}

/**
 * How the request's tier was reached: the tier the policy declares for the action type, and whether escalations
 * raised it (their clauses are named in the reasons). `declared` is null when the type is no longer in the policy.
 */
export function tierBasis(info: ApprovalRequestInfo, policy: CompiledPolicy): JsonObject {
  const declared = policy.plans.get(info.request.actionType)?.tier ?? null;
  const tier = info.request.tier;
  return { tier, declared, raised: declared !== null && tier !== null && tier > declared };
}

/** Dotted paths (`action.params.note`, `actor.x`, `context.y`) of the recorded action's @sensitive fields. */
export function sensitivePaths(action: JsonObject | null, actionType: string, policy: CompiledPolicy): string[] {
  if (action === null) return [];
  const schema = policy.irSchema;
  const out: string[] = [];
  const collect = (prefix: string, values: JsonValue | undefined, fields: ReadonlyMap<string, { readonly sensitive: boolean }> | undefined): void => {
    if (fields === undefined || typeof values !== "object" || values === null || Array.isArray(values)) return;
    for (const [name, f] of fields) if (f.sensitive && (values as JsonObject)[name] !== undefined) out.push(`${prefix}.${name}`);
  };
  const act = action["action"];
  const params = typeof act === "object" && act !== null && !Array.isArray(act) ? (act as JsonObject)["params"] : undefined;
  collect("action.params", params, schema.actionTypes.get(actionType)?.fields);
  collect("actor", action["actor"], schema.actor?.fields);
  collect("context", action["context"], schema.context?.fields);
  return out;
}
