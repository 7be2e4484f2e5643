// The receipt body's schema: the one place that says what the runtime writes into a receipt's `body` (the envelope
// around it, `v`, `seq`, `prev`, `kind`, `time`, `signer`, `sig`, is src/receipts/receipt.ts). Every body the
// runtime and the stores journal is built here, and the durable store reads its bodies back (replay) with the parser
// here. Auditors: src/receipts/README.md, "Receipt bodies", lists every field of every kind; the golden test
// (test/receipts/receipt-body.test.ts) pins one body of each kind, so a change to the schema is a visible diff.
//
// Kinds written by the runtime:
//   decision     a decided proposal (including a runtime-forced deny, and the deny that closes an expired request)
//   consumption  an approved request used: the action is allowed, once
//   approval     a submitted approval or rejection, accepted or refused
//   state        state changes journaled without an event of their own (the durable store; e.g. seeded counters)
// Every journaled body ends with `state`: the changes the transaction applied, in order (replayed on open).
//
// Byte stability: the same input must give the same bytes, so fields are never renamed, retyped or reordered in
// meaning; new optional fields may be added. The bodies carry no version field: RECEIPT_BODY_VERSION names the
// schema described here, and a change that is not additive must raise it and write it into the body (`schema`).
// The hot path: the policy identity and the engine's frozen decisions are built, frozen and canonicalized once
// (rememberCanonical), so the receipt encoder splices their text instead of re-encoding them.
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { rememberCanonical } from "../ir/canonicalize.ts";
import { type ApprovalError, type ApprovalRecord, type ApprovalRequest, type RequestStatus, type SignedApproval } from "./approvals.ts";
import { isoMillis } from "../ir/values.ts";
import type { StateChange } from "./store.ts";
import type { CounterUse } from "../engine/counters.ts";
import { TIERS, type ApprovalRequirement, type Decision, type Tier } from "../vocabulary/decision.ts";
import { parseWindowLabel, windowLabel } from "../vocabulary/windows.ts";
import type { Result } from "../vocabulary/result.ts";
import { SENSITIVE_COMMITMENT_SCHEME } from "../receipts/redaction.ts";
import type { BundleApproval } from "./bundle-approvals.ts";

/** The version of the body schema described here (not written into v1 bodies: see the header). */
export const RECEIPT_BODY_VERSION = 1;

/** The receipt kinds the runtime writes. */
export type RuntimeReceiptKind = "decision" | "consumption" | "approval" | "state";
export const RUNTIME_RECEIPT_KINDS: readonly RuntimeReceiptKind[] = ["decision", "consumption", "approval", "state"];

// --- parts ----------------------------------------------------------------------------------------------------

/** `policy`: the identity of the policy that decided. */
export interface PolicyIdentity {
  readonly name: string;
  /** null: the policy declares no version */
  readonly version: string | null;
  readonly digest: string;
}

/**
 * The policy identity as bodies record it: frozen and canonicalized once (build it once per policy). A policy loaded
 * from a signed bundle adds `bundle` (optional, additive): its digest, the quorum and who approved it.
 */
export function policyJson(p: PolicyIdentity, bundle?: BundleApproval): JsonObject {
  const o: Record<string, JsonValue> = { name: p.name, version: p.version, digest: p.digest };
  if (bundle !== undefined) o["bundle"] = { digest: bundle.digest, quorum: bundle.quorum, signers: bundle.signers.map((s) => ({ name: s.name, approver: s.approver, signed_at: s.signed_at })) };
  rememberCanonical(o);
  return o;
}

/** One approval requirement as receipts record it (in a decision and in a request). */
export function requirementToJson(q: ApprovalRequirement): JsonObject {
  return { group: q.group, quorum: q.quorum, within_ms: q.withinMs };
}

// `decision`: what was decided (not documented with TSDoc: its entry in the API report stays as it is)
export function decisionToJson(d: Decision): JsonObject {
  const o: Record<string, JsonValue> = {
    effect: d.effect,
    tier: d.tier,
    action_type: d.actionType,
    rules: d.rules.map((r) => {
      const x: Record<string, JsonValue> = { rule: r.rule, effect: r.effect };
      if (r.reason !== undefined) x["reason"] = r.reason;
      if (r.otherwise === true) x["otherwise"] = true;
      if (r.error === true) x["error"] = true;
      return x;
    }),
    reasons: [...d.reasons],
  };
  if (d.approval !== undefined) {
    o["approval"] = { requirements: d.approval.requirements.map(requirementToJson) };
  }
  if (d.code !== undefined) o["code"] = d.code;
  return o;
}

// The engine hands out the same frozen Decision for the same outcome: its JSON is built, frozen and canonicalized
// once per Decision (rememberCanonical), and the receipt encoder splices that text.
const decisionJsonCache = new WeakMap<Decision, JsonObject>();

/** decisionToJson, shared for a frozen Decision (do not mutate the result). */
export function decisionJsonShared(d: Decision): JsonObject {
  if (!Object.isFrozen(d)) return decisionToJson(d);
  let j = decisionJsonCache.get(d);
  if (j === undefined) {
    j = decisionToJson(d);
    rememberCanonical(j);
    decisionJsonCache.set(d, j);
  }
  return j;
}

export function requestToJson(r: ApprovalRequest): JsonObject {
  return {
    id: r.id,
    action_digest: r.actionDigest,
    ir_digest: r.irDigest,
    policy_digest: r.policyDigest,
    tier: r.tier,
    action_type: r.actionType,
    target: r.target,
    requirements: r.requirements.map(requirementToJson),
    created_at: isoMillis(r.createdAt),
    expires_at: isoMillis(r.expiresAt),
    approvers: r.approvers.map((a) => ({ group: a.group, name: a.name, key: a.key })),
  };
}

export function recordToJson(a: ApprovalRecord): JsonObject {
  return {
    approver: a.approver,
    member: a.member,
    groups: [...a.groups],
    verdict: a.verdict,
    signed_at: a.signedAt,
    received_at: isoMillis(a.receivedAt),
    signature: a.signature,
  };
}

/** One counter the decision read, and its value before the action. */
export interface CounterRead {
  readonly use: CounterUse;
  readonly value: number;
}

/** A counter read as recorded: `added` is what the action added to that cell (its amount, or 0 when not counted). */
export function counterReadToJson(r: CounterRead, changes: readonly StateChange[]): JsonObject {
  const { use, value } = r;
  return {
    counter: use.counter,
    key: use.key,
    window: windowLabel(use.window),
    value,
    added: changes.some((c) => c.op === "count" && c.counter === use.counter && c.key === use.key) ? use.amount : 0,
  };
}

export function changeToJson(c: StateChange): JsonObject {
  switch (c.op) {
    case "count":
      return { op: "count", counter: c.counter, window: windowLabel(c.window), key: c.key, at: isoMillis(c.at), amount: c.amount };
    case "request":
      return { op: "request", request: requestToJson(c.request) };
    case "approval":
      return { op: "approval", request: c.request, record: recordToJson(c.record) };
    case "consume":
      return { op: "consume", request: c.request, at: isoMillis(c.at) };
    case "close":
      return { op: "close", request: c.request, at: isoMillis(c.at), reason: c.reason };
  }
}

// --- bodies, per kind -------------------------------------------------------------------------------------------

/** The proposed action, once normalized: its digests and its IR (sensitive fields already redacted by the policy). */
export interface ActionFields {
  readonly actionDigest: string;
  readonly irDigest: string;
  /** the IR as recorded: sensitive values replaced by keyed commitments when the policy has any, else the IR itself */
  readonly ir: JsonObject;
  /** present when `ir` holds keyed commitments: which fields, under which redaction key */
  readonly redaction?: { readonly fields: readonly string[]; readonly keyId: string };
}

/** `redaction`: how the sensitive values of `ir` are committed (receipts/redaction.ts), for whoever holds the key. */
export function redactionToJson(r: NonNullable<ActionFields["redaction"]>): JsonObject {
  return { scheme: SENSITIVE_COMMITMENT_SCHEME, key: r.keyId, fields: [...r.fields] };
}

/** A decision the policy reached (kind `decision`, or `consumption` when an approved request was used). */
export interface DecisionBodyParts {
  /** from policyJson */
  readonly policy: JsonObject;
  readonly action: ActionFields;
  readonly decision: Decision;
  readonly counters: readonly CounterRead[];
  /** the transaction's changes (for each counter read, what the action added) */
  readonly changes: readonly StateChange[];
  /** the approval request the decision concerns, with the approvals it has collected */
  readonly request?: { readonly request: ApprovalRequest; readonly approvals: readonly ApprovalRecord[] };
  /** shadow mode: the candidate policy (from policyJson) and its decision, never enforced */
  readonly shadow?: { readonly policy: JsonObject; readonly decision: Decision };
}

export function decisionBody(p: DecisionBodyParts): JsonObject {
  const body: Record<string, JsonValue> = {
    policy: p.policy,
    action_digest: p.action.actionDigest,
    ir_digest: p.action.irDigest,
    ir: p.action.ir,
    decision: decisionJsonShared(p.decision),
    counters: p.counters.map((r) => counterReadToJson(r, p.changes)),
  };
  if (p.action.redaction !== undefined) body["redaction"] = redactionToJson(p.action.redaction);
  if (p.request !== undefined) {
    body["request"] = requestToJson(p.request.request);
    body["approvals"] = p.request.approvals.map(recordToJson);
  }
  // optional and additive (body schema v1): readers that do not know it ignore it
  if (p.shadow !== undefined) body["shadow"] = { policy: p.shadow.policy, decision: decisionJsonShared(p.shadow.decision) };
  return body;
}

/** Why a decision never reached the policy's rules. */
export type ForcedDenyInput =
  /** the proposal could not be normalized */
  | { readonly inputError: { readonly code: string; readonly message: string; readonly path: string } }
  /** normalized, but its counters could not be computed */
  | { readonly action: ActionFields }
  /** an exception before anything was known */
  | Record<string, never>;

/** A deny forced by the runtime before the policy's rules ran (kind `decision`): records the input it had. */
export function forcedDenyBody(policy: JsonObject, decision: Decision, input: ForcedDenyInput): JsonObject {
  const body: Record<string, JsonValue> = { policy };
  if ("inputError" in input) body["input_error"] = { code: input.inputError.code, message: input.inputError.message, path: input.inputError.path };
  else if ("action" in input) {
    body["action_digest"] = input.action.actionDigest;
    body["ir_digest"] = input.action.irDigest;
    body["ir"] = input.action.ir;
    if (input.action.redaction !== undefined) body["redaction"] = redactionToJson(input.action.redaction);
  }
  body["decision"] = decisionToJson(decision);
  return body;
}

/** A submitted approval (kind `approval`). */
export interface ApprovalBodyParts {
  /** from policyJson; absent when submitted without a policy (`xpol approve`) */
  readonly policy?: JsonObject;
  /** null: the submission was not a well-formed signed approval */
  readonly submitted: SignedApproval | null;
  readonly outcome: { readonly accepted: true; readonly status: RequestStatus } | { readonly accepted: false; readonly error: ApprovalError };
}

export function approvalBody(p: ApprovalBodyParts): JsonObject {
  const body: Record<string, JsonValue> = {};
  if (p.policy !== undefined) body["policy"] = p.policy;
  body["approval"] = p.submitted !== null ? { statement: { ...p.submitted.statement }, signature: p.submitted.signature } : null;
  body["accepted"] = p.outcome.accepted;
  if (p.outcome.accepted) body["status"] = p.outcome.status;
  else body["error"] = { kind: p.outcome.error.kind, code: p.outcome.error.code, message: p.outcome.error.message };
  return body;
}

/** The body of a step journaled without an event (kind `state`): nothing but its changes. */
export function stateBody(): JsonObject {
  return {};
}

/** A journal event's body with the step's state changes (`state`): what a store appends. */
export function withStateChanges(body: JsonObject, changes: readonly StateChange[]): JsonObject {
  return { ...body, state: changes.map(changeToJson) };
}

// --- parsing (replay) -------------------------------------------------------------------------------------------

/**
 * The state changes a receipt body carries, parsed strictly: those that read back before the first bad one, and why
 * that one is bad (null: all read back; a body without `state` has none).
 */
export function stateChangesFromBody(body: JsonObject): { readonly changes: StateChange[]; readonly why: string | null } {
  const list = body["state"];
  if (list === undefined) return { changes: [], why: null };
  if (!Array.isArray(list)) return { changes: [], why: "`body.state` is not a list" };
  const changes: StateChange[] = [];
  for (const c of list as readonly JsonValue[]) {
    const parsed = changeFromJson(c);
    if (!parsed.ok) return { changes, why: parsed.error };
    changes.push(parsed.value);
  }
  return { changes, why: null };
}

// Parsing is strict: a journal entry that does not read back exactly is corruption, not something to guess at.
class Bad extends Error {}

function obj(v: JsonValue | undefined, what: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Bad(`\`${what}\` must be an object`);
  return v as JsonObject;
}
function str(o: JsonObject, k: string): string {
  const v = o[k];
  if (typeof v !== "string") throw new Bad(`\`${k}\` must be a string`);
  return v;
}
function list(o: JsonObject, k: string): readonly JsonValue[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new Bad(`\`${k}\` must be a list`);
  return v;
}
function int(o: JsonObject, k: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new Bad(`\`${k}\` must be an integer`);
  return v;
}
function time(o: JsonObject, k: string): number {
  const t = Date.parse(str(o, k));
  if (Number.isNaN(t)) throw new Bad(`\`${k}\` must be a time`);
  return t;
}
const TIER_NAMES: ReadonlySet<string> = new Set(TIERS);

function requestFromJson(v: JsonValue | undefined): ApprovalRequest {
  const o = obj(v, "request");
  const tier = o["tier"];
  if (tier !== null && (typeof tier !== "string" || !TIER_NAMES.has(tier))) throw new Bad("`tier` must be T0..T3 or null");
  const target = o["target"];
  if (target !== null && typeof target !== "string") throw new Bad("`target` must be a string or null");
  const reqs = o["requirements"];
  if (!Array.isArray(reqs)) throw new Bad("`requirements` must be a list");
  const requirements: ApprovalRequirement[] = reqs.map((q: JsonValue) => {
    const r = obj(q, "requirement");
    return { group: str(r, "group"), quorum: int(r, "quorum"), withinMs: int(r, "within_ms") };
  });
  return {
    id: str(o, "id"),
    actionDigest: str(o, "action_digest"),
    irDigest: str(o, "ir_digest"),
    policyDigest: str(o, "policy_digest"),
    tier: tier as Tier | null,
    actionType: str(o, "action_type"),
    target: target as string | null,
    requirements,
    createdAt: time(o, "created_at"),
    expiresAt: time(o, "expires_at"),
    approvers: list(o, "approvers").map((x: JsonValue) => {
      const a = obj(x, "approver");
      return { group: str(a, "group"), name: str(a, "name"), key: str(a, "key") };
    }),
  };
}

function recordFromJson(v: JsonValue | undefined): ApprovalRecord {
  const o = obj(v, "record");
  const verdict = str(o, "verdict");
  if (verdict !== "approve" && verdict !== "reject") throw new Bad("`verdict` must be approve or reject");
  const groups = o["groups"];
  if (!Array.isArray(groups) || !groups.every((g: JsonValue) => typeof g === "string")) throw new Bad("`groups` must be a list of strings");
  return {
    approver: str(o, "approver"),
    member: str(o, "member"),
    groups: groups as string[],
    verdict,
    signedAt: str(o, "signed_at"),
    receivedAt: time(o, "received_at"),
    signature: str(o, "signature"),
  };
}

export function changeFromJson(v: JsonValue): Result<StateChange> {
  try {
    const o = obj(v, "change");
    switch (o["op"]) {
      case "count": {
        const window = parseWindowLabel(str(o, "window"));
        if (window === null) throw new Bad(`unknown window \`${str(o, "window")}\``);
        return { ok: true, value: { op: "count", counter: str(o, "counter"), window, key: str(o, "key"), at: time(o, "at"), amount: int(o, "amount") } };
      }
      case "request":
        return { ok: true, value: { op: "request", request: requestFromJson(o["request"]) } };
      case "approval":
        return { ok: true, value: { op: "approval", request: str(o, "request"), record: recordFromJson(o["record"]) } };
      case "consume":
        return { ok: true, value: { op: "consume", request: str(o, "request"), at: time(o, "at") } };
      case "close":
        if (o["reason"] !== "expired") throw new Bad("`reason` must be expired");
        return { ok: true, value: { op: "close", request: str(o, "request"), at: time(o, "at"), reason: "expired" } };
      default:
        throw new Bad(`unknown op ${JSON.stringify(o["op"] ?? null)}`);
    }
  } catch (e: unknown) {
    if (e instanceof Bad) return { ok: false, error: e.message };
    throw e;
  }
}
