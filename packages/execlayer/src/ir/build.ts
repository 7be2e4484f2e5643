// The entry point: a proposal in any accepted shape -> a SovereignIR and its digests, or one typed error.
// Nothing is returned half-built: the IR object is assembled only after every part passed.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { canonicalize } from "./canonicalize.ts";
import { mapToolCall, parseAndClean, toolCallsOf, type ToolCall, type ToolMapper } from "./adapters.ts";
import { digestsOf } from "./digest.ts";
import { describeValue, fail, irError, pathKey, show, type IrError, type IrResult } from "./errors.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH } from "./json.ts";
import { Cleaner, Normalizer, isObject, type CleanValue, type RawAction } from "./normalize.ts";
import type { IrSchema } from "./schema.ts";
import { IR_VERSION, type IrActor, type JsonObject, type SovereignIR } from "./types.ts";
import { canonicalTimestamp, timestampFromEpochMs } from "./values.ts";

export interface BuildOptions {
  /**
   * Who asks, as the embedding service knows it (`{ agent, on_behalf_of?, session?, ...declared actor fields }`).
   * Authoritative: a proposal that carries a different actor is rejected (XP4019), so a model cannot name itself.
   */
  readonly actor?: unknown;
  /** the context record, as the service knows it; authoritative like `actor`; `{}` when neither gives one */
  readonly context?: unknown;
  /**
   * when the action was requested, by the service's clock: a Date, milliseconds since the epoch, or RFC 3339 text
   * (any offset; stored as UTC); authoritative: a proposal's own `requested_at` must then say the same. Omitted: the
   * proposal's own time, else `defaultRequestedAt`.
   */
  readonly requestedAt?: Date | string | number;
  /** the request time when neither the caller nor the proposal states one (the stateless `decide` passes "now") */
  readonly defaultRequestedAt?: Date | string | number;
  /**
   * "must-agree" (default): a proposal's own `requested_at` must equal `requestedAt` (XP4019). "ignore": it is
   * dropped, in object and JSON-text proposals alike (the Enforcer, whose clock alone is the request time).
   */
  readonly proposedTime?: "must-agree" | "ignore";
  /**
   * The proposal comes from a model (what the Enforcer and the stateless `decide` pass): identity and time come from
   * the caller only. `actor` must be given, and `context` too when the schema declares context fields (else
   * XP4033; an undeclared context is `{}`); a proposal's own `actor`/`context` must equal the caller's after
   * normalization (XP4019); its `requested_at` is dropped as with `proposedTime: "ignore"`, so `requestedAt` is the
   * request time (XP4031 without one). Default false: the proposal's own records are used when the caller gives
   * none (trusted replays of recorded IRs, tests).
   */
  readonly callerOnly?: boolean;
  /** the policy's tool mappings; required for tool-call proposals */
  readonly mapper?: ToolMapper;
  /** size limit for the proposal, UTF-8 bytes of the text (or an estimate for objects); default 1 MiB */
  readonly maxBytes?: number;
  /** nesting limit for the proposal; default 64 */
  readonly maxDepth?: number;
}

export type BuildResult =
  | {
      readonly ok: true;
      readonly ir: SovereignIR;
      /** `sha256:<hex>` of what is approved (action + actor without session); see digest.ts */
      readonly actionDigest: string;
      /** `sha256:<hex>` of the whole IR; receipts record it */
      readonly irDigest: string;
      /** the RFC 8785 text of `ir` */
      readonly canonical: string;
      /** the tool call the IR was made from, when the proposal was one (its `callId` answers the model) */
      readonly toolCall?: ToolCall;
    }
  | { readonly ok: false; readonly error: IrError };

const IR_KEYS = new Set(["version", "action", "actor", "context", "requested_at"]);
const ACTION_KEYS = new Set(["type", "target", "params"]);

/**
 * Canonicalizes a proposed action: `proposal` is an IR-shaped object (`{ action: { type, target?, params },
 * actor?, context?, requested_at? }`), a tool call in any adapter shape (see adapters.ts), or either as JSON text.
 * Never throws.
 */
export function toSovereignIR(proposal: unknown, schema: IrSchema, options: BuildOptions): BuildResult {
  try {
    return build(proposal, schema, options);
  } catch (e: unknown) {
    // Unreachable by design; if a bug gets here the action still must not pass.
    return fail(Diagnostics.irInternalError, "$", [e instanceof Error ? e.message : String(e)]);
  }
}

function build(proposal: unknown, schema: IrSchema, options: BuildOptions): BuildResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;

  // 1. JSON text -> values (strict), then one schema-free cleaning pass over everything.
  const cleaned = parseAndClean(proposal, maxBytes, maxDepth);
  if (!cleaned.ok) return cleaned;
  const clean = cleaned.value;

  // 2. The raw action: from an IR-shaped proposal, or from a tool call through the policy's mappings.
  let rawAction: RawAction;
  let proposed: { actor?: CleanValue | undefined; context?: CleanValue | undefined; requested_at?: CleanValue | undefined } = {};
  let toolCall: ToolCall | undefined;
  if (isObject(clean) && isObject(clean["action"])) {
    for (const k of Object.keys(clean)) if (!IR_KEYS.has(k)) return fail(Diagnostics.irUnexpectedKey, pathKey("$", k), [show(k), "the proposal"], { help: "an IR-shaped proposal has `action`, and optionally `version`, `actor`, `context`, `requested_at`" });
    if (clean["version"] !== undefined && clean["version"] !== IR_VERSION) {
      return fail(Diagnostics.irWrongType, "$.version", [`IR version \`${IR_VERSION}\``, describeValue(clean["version"])]);
    }
    const action = clean["action"];
    for (const k of Object.keys(action)) if (!ACTION_KEYS.has(k)) return fail(Diagnostics.irUnexpectedKey, pathKey("$.action", k), [show(k), "the action"], { help: "an action has `type`, and optionally `target` and `params`" });
    rawAction = { type: action["type"] ?? null, target: action["target"], params: action["params"] };
    proposed = { actor: clean["actor"], context: clean["context"], requested_at: clean["requested_at"] };
  } else {
    const calls = toolCallsOf(clean, "$", { maxBytes, maxDepth });
    if (!calls.ok) return calls;
    if (calls.value.length > 1) return fail(Diagnostics.irMultipleToolCalls, "$", [calls.value.length]);
    toolCall = calls.value[0]!;
    if (options.mapper === undefined) return fail(Diagnostics.irNoToolMapper, toolCall.path, [show(toolCall.tool)]);
    const mapped = mapToolCall(toolCall, options.mapper);
    if (!mapped.ok) return mapped;
    // The mapping's output is data from policy code over model input: clean it like any input.
    const mc = new Cleaner({ maxDepth, maxBytes: Infinity });
    const m = mc.value({ type: mapped.value.type, target: mapped.value.target, params: mapped.value.params }, "$.action", 0);
    if (m === undefined || !isObject(m)) return { ok: false, error: mc.error ?? irError(Diagnostics.irToolMappingFailed, "$.action", [toolCall.tool, "not an action"]) };
    rawAction = { type: m["type"] ?? null, target: m["target"], params: m["params"] };
  }

  // 3. Normalize against the schema. The caller's actor/context/time are authoritative.
  const callerOnly = options.callerOnly === true;
  if (callerOnly) {
    if (options.actor === undefined) return fail(Diagnostics.irMissingCallerRecord, "$.actor", ["actor"], { help: "pass the actor the embedding service knows (`{ agent, ... }`); the proposal cannot name it" });
    if (options.context === undefined && schema.context !== undefined && schema.context.fields.size > 0) {
      return fail(Diagnostics.irMissingCallerRecord, "$.context", ["context"], { help: "the policy declares context fields: pass the context the embedding service knows; the proposal cannot supply it" });
    }
  }
  const normalizer = new Normalizer(schema);
  const action = normalizer.action(rawAction, "$.action");
  if (action === undefined) return { ok: false, error: normalizer.error! };

  const actor = authoritative("actor", options.actor, proposed.actor, maxDepth, (v) => normalizer.actor(v, "$.actor"));
  if (!actor.ok) return actor.error === undefined ? { ok: false, error: normalizer.error! } : { ok: false, error: actor.error };
  const context = authoritative("context", options.context, proposed.context, maxDepth, (v) => normalizer.context(v, "$.context"));
  if (!context.ok) return context.error === undefined ? { ok: false, error: normalizer.error! } : { ok: false, error: context.error };

  let own: string | undefined;
  if (proposed.requested_at !== undefined && options.proposedTime !== "ignore" && !callerOnly) {
    const p = typeof proposed.requested_at === "string" ? canonicalTimestamp(proposed.requested_at) : undefined;
    if (p === undefined || !p.ok) return fail(Diagnostics.irInvalidTimestamp, "$.requested_at", [show(String(proposed.requested_at)), p?.ok === false ? p.error : "expected a string"]);
    own = p.value;
  }
  const given = options.requestedAt ?? (own === undefined && !callerOnly ? options.defaultRequestedAt : undefined);
  if (given === undefined && own === undefined) return fail(Diagnostics.irInvalidRequestTime, "$.requested_at", [callerOnly ? "the caller gives none" : "neither the caller nor the proposal gives one"]);
  const time = given === undefined ? { ok: true as const, value: own! } : requestTime(given);
  if (!time.ok) return time;
  if (own !== undefined && own !== time.value) return fail(Diagnostics.irConflictingProposal, "$.requested_at", ["requested_at"], { help: `the caller's request time is ${time.value}` });

  // 4. Everything passed: assemble.
  const ir: SovereignIR = { version: IR_VERSION, action, actor: actor.value as IrActor, context: context.value, requested_at: time.value };
  const digests = digestsOf(ir);
  return toolCall === undefined ? { ok: true, ir, ...digests } : { ok: true, ir, ...digests, toolCall };
}

type Part = { ok: true; value: JsonObject } | { ok: false; error: IrError | undefined };

// The caller's record wins; the proposal's copy, if any, must say the same after normalization (one it cannot
// normalize does not say the same: XP4019 too, so what a proposal carries never changes the code of the answer).
function authoritative(
  name: "actor" | "context",
  given: unknown,
  proposed: CleanValue | undefined,
  maxDepth: number,
  normalize: (v: CleanValue) => JsonObject | undefined,
): Part {
  if (given === undefined) {
    const v = normalize(proposed ?? {});
    return v === undefined ? { ok: false, error: undefined } : { ok: true, value: v };
  }
  const c = new Cleaner({ maxDepth, maxBytes: Infinity });
  const cleaned = c.value(given, `$.${name}`, 0);
  if (cleaned === undefined) return { ok: false, error: c.error };
  const value = normalize(cleaned);
  if (value === undefined) return { ok: false, error: undefined };
  if (proposed !== undefined) {
    const fromProposal = normalize(proposed);
    if (fromProposal === undefined || canonicalize(fromProposal) !== canonicalize(value)) {
      return { ok: false, error: irError(Diagnostics.irConflictingProposal, `$.${name}`, [name], { help: `leave \`${name}\` out of the proposal; the caller supplies it` }) };
    }
  }
  return { ok: true, value };
}

// Services pass the same clock reading for a burst of proposals: remember the last conversion of a text.
let lastTime: { readonly key: string; readonly value: string } | undefined;

function requestTime(t: Date | string | number): IrResult<string> {
  if (typeof t === "number" || t instanceof Date) {
    const ms = typeof t === "number" ? t : t.getTime();
    const text = timestampFromEpochMs(ms);
    if (text !== undefined) return { ok: true, value: text };
    const why = Number.isFinite(ms) ? "outside years 0001-9999" : t instanceof Date ? "an invalid Date" : `${ms} is not a time`;
    return fail(Diagnostics.irInvalidRequestTime, "$.requested_at", [why]);
  }
  if (typeof t !== "string") {
    return fail(Diagnostics.irInvalidRequestTime, "$.requested_at", [`expected a Date, milliseconds since the epoch or an RFC 3339 string, found ${describeValue(t)}`]);
  }
  if (lastTime !== undefined && lastTime.key === t) return { ok: true, value: lastTime.value };
  const r = canonicalTimestamp(t);
  if (!r.ok) return fail(Diagnostics.irInvalidRequestTime, "$.requested_at", [`\`${show(t)}\`: ${r.error}`]);
  lastTime = { key: t, value: r.value };
  return { ok: true, value: r.value };
}
