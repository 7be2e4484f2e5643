// SovereignIR: the one canonical form of a proposed action. Everything after this stage (tiers, rules, approvals,
// receipts) reads these types; the JSON Schema twin for other languages is `sovereign-ir.schema.json`.

/** A JSON scalar. Numbers are finite; after normalization never -0. */
export type JsonPrimitive = null | boolean | number | string;

/** Any JSON value, as JavaScript data (what `JSON.parse` returns, minus its laxness). */
export type JsonValue = JsonPrimitive | readonly JsonValue[] | JsonObject;

/** A JSON object: string keys, JSON values. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** The IR format version; bumped only when the canonical bytes of an existing action would change. */
export const IR_VERSION = "1";

/** What the agent wants done: the part a human reads and approves. */
export interface IrAction {
  /** the declared action type name, exactly as the policy declares it (`invoice.delete`), never an alias */
  readonly type: string;
  /** what the action touches (`invoice/inv-1`), as set by the tool mapping or the proposal; null when none */
  readonly target: string | null;
  /** the parameters, normalized to the declared field types; keys are declared field names */
  readonly params: JsonObject;
}

/**
 * Who asks. `agent` is always present; `on_behalf_of` and `session` are built in; any other key is a field the
 * policy declares in its `actor { }` record. Values are normalized like parameters.
 */
export interface IrActor extends JsonObject {
  /** the agent's identity, as the embedding service (not the model) states it */
  readonly agent: string;
}

/** Built-in actor fields; `session` is left out of the action digest (a retry in a new session is the same action). */
export const ACTOR_AGENT = "agent";
export const ACTOR_ON_BEHALF_OF = "on_behalf_of";
export const ACTOR_SESSION = "session";

export interface SovereignIR {
  /** always "1" for this format */
  readonly version: typeof IR_VERSION;
  readonly action: IrAction;
  readonly actor: IrActor;
  /** the fields the policy declares in its `context { }` record, normalized; `{}` when none */
  readonly context: JsonObject;
  /** when the action was requested: RFC 3339 UTC with `Z`, fraction without trailing zeros (`2026-01-31T12:00:00.5Z`) */
  readonly requested_at: string;
}
