// What the Enforcer needs from a policy. The compiled policy (src/compile) is adapted to it by `enforceableFrom`
// (below); tests can implement it directly.
import { toSovereignIR } from "../ir/build.ts";
import { digestsOf } from "../ir/digest.ts";
import type { SensitiveCommitter } from "../receipts/redaction.ts";
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
      /** the RFC 8785 text of the IR as recorded (`recorded` when present, else `ir`): receipts splice it */
      readonly canonical?: string;
      /**
       * the IR as receipts record it, when it differs from `ir`: each `@sensitive` value replaced by its keyed
       * commitment (receipts/redaction.ts). The two digests are then taken over this form, so they bind the
       * values without letting anyone recover them by hashing guesses.
       */
      readonly recorded?: JsonObject;
      /** the fields committed in `recorded` (`action.params.iban`, `actor.email`) */
      readonly redacted?: readonly string[];
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
  /** groups resolved per principal: group name -> the `actor` field whose value names the principal */
  readonly principalGroups?: ReadonlyMap<string, string>;
  /**
   * a tool call or IR-shaped proposal -> normalized SovereignIR and its two digests; never throws. Identity and time
   * come from `options` only (a missing actor, or context when the policy declares one, is XP4033; a proposal's own
   * differing actor/context is XP4019; its own `requested_at` is ignored). `requestedAt` is the Enforcer's clock
   * reading, in milliseconds since the epoch. `commit`: how sensitive values are recorded (the Enforcer passes one
   * keyed by its redaction key); without it nothing is redacted.
   */
  toIR(proposal: unknown, options: DecideContext & { readonly requestedAt: number; readonly commit?: SensitiveCommitter }): IrBuild;
  /** the counters this action reads (`counter.NAME`) and would increment, with keys and amounts */
  countersFor(ir: SovereignIR): CounterUses;
  /** the stateless decision, with `counter.NAME` read from `counters` (0 when absent); never throws */
  evaluate(ir: SovereignIR, counters: ReadonlyMap<string, number>): Decision;
  /**
   * the IR as recorded in receipts, for a policy whose `toIR` does not give `recorded` (the IR itself when both are
   * absent). The compiled policy's `toIR` gives `recorded`, with keyed commitments.
   */
  receiptIR?(ir: SovereignIR): JsonObject;
}

// --- the compiled policy as an EnforceablePolicy ---------------------------------------------------------------

/** Sensitive fields (`@sensitive`) as receipts record them: the keyed commitment of the value, never the value. */
function redact(values: JsonObject, fields: ReadonlyMap<string, FieldSchema> | undefined, prefix: string, commit: SensitiveCommitter, paths: string[]): JsonObject {
  if (fields === undefined) return values;
  let out: Record<string, JsonValue> | null = null;
  for (const [name, f] of fields) {
    if (!f.sensitive || values[name] === undefined) continue;
    out ??= { ...values };
    const path = prefix + name;
    out[name] = commit(path, values[name]);
    paths.push(path);
  }
  return out ?? values;
}

/**
 * The receipt form of an IR: each `@sensitive` parameter or actor/context field replaced by its commitment
 * (`commit(path, value)`: the runtime's is HMAC-SHA256 under its redaction key, receipts/redaction.ts), and the
 * paths of the fields replaced (`action.params.iban`, `actor.email`, `context.account`).
 */
export function redactSensitive(ir: SovereignIR, schema: IrSchema, commit: SensitiveCommitter): { readonly ir: JsonObject; readonly fields: readonly string[] } {
  const fields: string[] = [];
  const params = redact(ir.action.params, schema.actionTypes.get(ir.action.type)?.fields, "action.params.", commit, fields);
  const actor = redact(ir.actor, schema.actor?.fields, "actor.", commit, fields);
  const context = redact(ir.context, schema.context?.fields, "context.", commit, fields);
  if (fields.length === 0) return { ir: ir as unknown as JsonObject, fields };
  return { ir: { ...(ir as unknown as JsonObject), action: { ...ir.action, params }, actor, context }, fields };
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
    principalGroups: policy.principalGroups,
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
      if (built.ok) {
        if (anySensitive && options.commit !== undefined) {
          const redacted = redactSensitive(built.ir, policy.irSchema, options.commit);
          if (redacted.fields.length > 0) {
            // the digests over the recorded form: over the values themselves they would let anyone holding a receipt
            // test guesses of a sensitive value against `ir_digest`
            const d = digestsOf(redacted.ir as unknown as SovereignIR);
            return { ok: true, ir: built.ir, actionDigest: d.actionDigest, irDigest: d.irDigest, canonical: d.canonical, recorded: redacted.ir, redacted: redacted.fields };
          }
        }
        return { ok: true, ir: built.ir, actionDigest: built.actionDigest, irDigest: built.irDigest, canonical: built.canonical };
      }
      const e = built.error;
      const message = e.help !== undefined ? `${e.message} (${e.help})` : e.message;
      return { ok: false, error: { code: e.code, message, path: e.path } };
    },
    countersFor: (ir) => policy.countersFor(ir),
    evaluate: (ir, counters) => policy.evaluate(ir, counters),
  };
}
