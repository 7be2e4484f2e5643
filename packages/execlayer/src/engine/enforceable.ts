// What the Enforcer needs from a policy. The compiled policy (src/compile) is adapted to it by `enforceableFrom`
// (below); tests can implement it directly.
import { toSovereignIR } from "../ir/build.ts";
import { digest } from "../ir/canonicalize.ts";
import type { FieldSchema, IrSchema } from "../ir/schema.ts";
import type { JsonObject, JsonValue, SovereignIR } from "../ir/types.ts";
import type { Decision } from "../vocabulary/decision.ts";
import type { ApproverGroups } from "../vocabulary/approvers.ts";
import type { CountersResult } from "./plan.ts";
import type { CompiledPolicy } from "./plan.ts";

/**
 * Who proposes, and the situation: supplied by the embedding service, never by the model. `actor` is required on
 * every decision (XP4033 without it), `context` when the policy declares context fields.
 */
export interface DecideContext {
  readonly actor?: JsonObject | undefined;
  readonly context?: JsonObject | undefined;
}

export type IrBuild =
  | {
      readonly ok: true;
      readonly ir: SovereignIR;
      readonly actionDigest: string;
      readonly irDigest: string;
      /** the RFC 8785 text of `ir`, when the builder has it: receipts splice it instead of walking the IR again */
      readonly canonical?: string;
    }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly path?: string } };

/** the engine's own result type: the compiled policy's `countersFor` answers it as is */
export type CounterUses = CountersResult;

export interface EnforceablePolicy {
  readonly name: string;
  readonly version: string | null;
  /** `sha256:<hex>`: approvals and receipts bind to it */
  readonly digest: string;
  /** approver groups with decoded keys */
  readonly groups: ApproverGroups;
  /**
   * a tool call or IR-shaped proposal -> normalized SovereignIR and its two digests; never throws. Identity and time
   * come from `options` only (a missing actor, or context when the policy declares one, is XP4033; a proposal's own
   * differing actor/context is XP4019; its own `requested_at` is ignored). `requestedAt` is the Enforcer's clock
   * reading, in milliseconds since the epoch.
   */
  toIR(proposal: unknown, options: DecideContext & { readonly requestedAt: number }): IrBuild;
  /** the counters this action reads (`counter.NAME`) and would increment, with keys and amounts */
  countersFor(ir: SovereignIR): CounterUses;
  /** the stateless decision, with `counter.NAME` read from `counters` (0 when absent); never throws */
  evaluate(ir: SovereignIR, counters: ReadonlyMap<string, number>): Decision;
  /** the IR as recorded in receipts (sensitive fields replaced by their digests); the IR itself when absent */
  receiptIR?(ir: SovereignIR): JsonObject;
}

// --- the compiled policy as an EnforceablePolicy ---------------------------------------------------------------

/** Sensitive fields (`@sensitive`) as receipts record them: the digest of the value, never the value. */
function redact(values: JsonObject, fields: ReadonlyMap<string, FieldSchema> | undefined): JsonObject {
  if (fields === undefined) return values;
  let out: Record<string, JsonValue> | null = null;
  for (const [name, f] of fields) {
    if (!f.sensitive || values[name] === undefined) continue;
    out ??= { ...values };
    out[name] = digest(values[name]);
  }
  return out ?? values;
}

/**
 * The receipt form of an IR: each `@sensitive` parameter or actor/context field replaced by `sha256:<hex>` of its
 * canonical JSON. (A digest hides the value from casual readers of the log; a low-entropy value can still be
 * guessed and checked against it.)
 */
export function redactSensitive(ir: SovereignIR, schema: IrSchema): JsonObject {
  const params = redact(ir.action.params, schema.actionTypes.get(ir.action.type)?.fields);
  const actor = redact(ir.actor, schema.actor?.fields);
  const context = redact(ir.context, schema.context?.fields);
  if (params === ir.action.params && actor === ir.actor && context === ir.context) return ir as unknown as JsonObject;
  return { ...(ir as unknown as JsonObject), action: { ...ir.action, params }, actor, context };
}

export function isEnforceable(p: EnforceablePolicy | CompiledPolicy): p is EnforceablePolicy {
  return typeof (p as Partial<EnforceablePolicy>).toIR === "function";
}

/** Adapts a compiled policy (src/compile) to what the Enforcer needs. */
export function enforceableFrom(policy: CompiledPolicy): EnforceablePolicy {
  const anySensitive =
    [...policy.irSchema.actionTypes.values()].some((t) => [...t.fields.values()].some((f) => f.sensitive)) ||
    [...(policy.irSchema.actor?.fields.values() ?? [])].some((f) => f.sensitive) ||
    [...(policy.irSchema.context?.fields.values() ?? [])].some((f) => f.sensitive);
  return {
    name: policy.name,
    version: policy.version,
    digest: policy.digest,
    groups: policy.groups,
    toIR(proposal, options): IrBuild {
      const built = toSovereignIR(proposal, policy.irSchema, {
        mapper: policy.toolMapper,
        requestedAt: options.requestedAt,
        // identity and time come from the caller: actor (and declared context) required, a proposal's own copies
        // must agree, its own time is dropped (the Enforcer's clock is the request time)
        callerOnly: true,
        ...(options.actor !== undefined ? { actor: options.actor } : {}),
        ...(options.context !== undefined ? { context: options.context } : {}),
      });
      if (built.ok) return { ok: true, ir: built.ir, actionDigest: built.actionDigest, irDigest: built.irDigest, canonical: built.canonical };
      const e = built.error;
      const message = e.help !== undefined ? `${e.message} (${e.help})` : e.message;
      return { ok: false, error: { code: e.code, message, path: e.path } };
    },
    countersFor: (ir) => policy.countersFor(ir),
    evaluate: (ir, counters) => policy.evaluate(ir, counters),
    ...(anySensitive ? { receiptIR: (ir: SovereignIR) => redactSensitive(ir, policy.irSchema) } : {}),
  };
}
