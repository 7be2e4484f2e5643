// M-of-N approvals: the approval request, the statement an approver signs, and the rules that decide whether a
// submitted approval counts. Pure functions over plain data; the Enforcer applies them inside a store transaction.
//
// The signed statement (domain-separated, so an approval signature can never be mistaken for any other signature
// of the project):
//   bytes = UTF-8( "execlayer/approval/v1\n" + JCS({ request, action_digest, policy_digest, verdict, approver,
//                                                   signed_at }) )
//   signature = Ed25519(approver's private key, bytes), strict RFC 8032 verification (`verifySignature`).
// `approver` is the key id (receipts/keys.ts: `ed25519:` + 16 hex of sha256(public key)); `signed_at` is RFC 3339.
//
// A submitted approval counts only if, in this order: it is well formed; it names a known request; the request is
// still open (not used, not vetoed); it names the request's action digest and policy digest; its key is a member of
// a group the request requires; the signature verifies under that member's public key; it arrives within
// [created_at, expires_at] and was signed within [created_at - skew, expires_at] and not after arrival + skew; the
// key has not been counted for this request already. The first failed check is the error; nothing changes.
// A key counts toward every required group it belongs to. A valid "reject" from a member of a required group vetoes
// the request.
import { canonicalize } from "../ir/canonicalize.ts";
import { isoMillis } from "../ir/values.ts";
import type { Signer } from "../receipts/signer.ts";
import { verifySignature } from "../receipts/verify-signature.ts";
import { fromBase64, fromHex, sha256Text, toBase64, toHex, utf8 } from "../receipts/bytes.ts";
import { keyIdOf } from "../receipts/keys.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { ApproverGroups, ApproverKey } from "../vocabulary/approvers.ts";
import type { ApprovalRequirement, Tier } from "../vocabulary/decision.ts";
import { formatDuration } from "../vocabulary/windows.ts";
import type { Result } from "../vocabulary/result.ts";

export const APPROVAL_DOMAIN = "execlayer/approval/v1\n";

/** Clock-skew allowance applied to an approver's `signed_at` only (never to arrival time). */
export const DEFAULT_SIGNED_AT_SKEW_MS = 30_000;

export type Verdict = "approve" | "reject";

export interface ApprovalRequest {
  /** `apr_` + 24 hex, derived from the policy digest, action digest and creation time */
  readonly id: string;
  /** src/ir's action digest: action and actor, not time, session or context */
  readonly actionDigest: string;
  /** the full IR digest of the proposal that created the request */
  readonly irDigest: string;
  readonly policyDigest: string;
  readonly tier: Tier | null;
  readonly actionType: string;
  readonly target: string | null;
  readonly requirements: readonly ApprovalRequirement[];
  /** ms since epoch */
  readonly createdAt: number;
  /** createdAt + the shortest `within` of the requirements */
  readonly expiresAt: number;
  /**
   * The members of the required groups, as the policy declared them when the request was made: approvals are
   * checked against this list, so a request is judged by the policy it was made under (and `xpol approve` needs
   * only the state directory).
   */
  readonly approvers: readonly Approver[];
}

/** A member of a required group: `key` is `ed25519:<64 hex>`. */
export interface Approver {
  readonly group: string;
  readonly name: string;
  readonly key: string;
}

/** The statement an approver signs. */
export interface ApprovalStatement {
  readonly request: string;
  readonly action_digest: string;
  readonly policy_digest: string;
  readonly verdict: Verdict;
  /** key id of the approver's public key */
  readonly approver: string;
  /** RFC 3339 */
  readonly signed_at: string;
}

export interface SignedApproval {
  readonly statement: ApprovalStatement;
  /** standard base64 of the 64-byte Ed25519 signature */
  readonly signature: string;
}

/** An approval that counted. `signedAt` keeps the exact text that was signed. */
export interface ApprovalRecord {
  readonly approver: string;
  /** the member name in the policy's group */
  readonly member: string;
  /** the required groups this key counts toward */
  readonly groups: readonly string[];
  readonly verdict: Verdict;
  readonly signedAt: string;
  readonly receivedAt: number;
  readonly signature: string;
}

/** A request with what has happened to it. */
export interface RequestState {
  readonly request: ApprovalRequest;
  readonly approvals: readonly ApprovalRecord[];
  /** set when the approved action was executed (ms) */
  readonly consumedAt: number | null;
}

export type RequestStatus = "pending" | "approved" | "vetoed" | "consumed" | "expired";


export type ApprovalErrorKind =
  | "malformed"
  | "unknown_request"
  | "request_closed"
  | "action_mismatch"
  | "policy_mismatch"
  | "not_in_group"
  | "bad_signature"
  | "outside_window"
  | "duplicate"
  /** the store could not record it (nothing counted) */
  | "unavailable";

/** Why a submitted approval did not count. `message` says exactly what was wrong. */
export interface ApprovalError {
  readonly kind: ApprovalErrorKind;
  /** XP5010..XP5018 */
  readonly code: string;
  readonly message: string;
  readonly request?: string;
  readonly approver?: string;
}

/**
 * The bytes a statement's signature covers: its domain, then the JCS of its fields. Every signed statement of the
 * project goes through here with a domain of its own (action approvals, policy bundle approvals), so a signature
 * made for one kind can never be taken for another.
 */
export function statementBytes(domain: string, fields: Readonly<Record<string, string>>): Uint8Array {
  return utf8.encode(domain + canonicalize(fields));
}

export function approvalStatementBytes(statement: ApprovalStatement): Uint8Array {
  const s = statement;
  return statementBytes(APPROVAL_DOMAIN, {
    request: s.request,
    action_digest: s.action_digest,
    policy_digest: s.policy_digest,
    verdict: s.verdict,
    approver: s.approver,
    signed_at: s.signed_at,
  });
}

/** Signs an approval (or a rejection) of `request` with `signer`, at `signedAt` (ms or RFC 3339). */
export function signApproval(
  signer: Signer,
  request: Pick<ApprovalRequest, "id" | "actionDigest" | "policyDigest">,
  verdict: Verdict,
  signedAt: number | string,
): SignedApproval {
  const statement: ApprovalStatement = {
    request: request.id,
    action_digest: request.actionDigest,
    policy_digest: request.policyDigest,
    verdict,
    approver: signer.keyId,
    signed_at: typeof signedAt === "number" ? new Date(signedAt).toISOString() : signedAt,
  };
  return { statement, signature: toBase64(signer.sign(approvalStatementBytes(statement))) };
}

// --- status ----------------------------------------------------------------------------------------------------

export interface RequirementProgress {
  readonly group: string;
  readonly quorum: number;
  /** member names counted so far */
  readonly approvedBy: readonly string[];
}

export function requirementProgress(state: RequestState): RequirementProgress[] {
  return state.request.requirements.map((r) => ({
    group: r.group,
    quorum: r.quorum,
    approvedBy: state.approvals.filter((a) => a.verdict === "approve" && a.groups.includes(r.group)).map((a) => a.member),
  }));
}

export function vetoOf(state: RequestState): ApprovalRecord | undefined {
  return state.approvals.find((a) => a.verdict === "reject");
}

/** Every requirement has its quorum (and nobody vetoed). */
export function isSatisfied(state: RequestState): boolean {
  if (vetoOf(state) !== undefined) return false;
  for (const r of state.request.requirements) {
    let n = 0;
    for (const a of state.approvals) if (a.verdict === "approve" && a.groups.includes(r.group)) n++;
    if (n < r.quorum) return false;
  }
  return true;
}

export function requestStatus(state: RequestState, now: number): RequestStatus {
  if (state.consumedAt !== null) return "consumed";
  if (vetoOf(state) !== undefined) return "vetoed";
  if (now > state.request.expiresAt) return "expired";
  return isSatisfied(state) ? "approved" : "pending";
}

const approverKeys = new Map<string, ApproverKey | null>();

/** Decodes an approver's key (cached); null when it is not `ed25519:<64 hex>`. */
export function approverKey(a: Approver): ApproverKey | null {
  const cacheKey = a.name + " " + a.key;
  let k = approverKeys.get(cacheKey);
  if (k === undefined) {
    const hex = /^ed25519:([0-9a-f]{64})$/.exec(a.key)?.[1];
    const bytes = hex === undefined ? null : fromHex(hex);
    k = bytes === null ? null : { name: a.name, publicKey: bytes, keyId: keyIdOf(bytes) };
    if (approverKeys.size > 4096) approverKeys.clear();
    approverKeys.set(cacheKey, k);
  }
  return k;
}

/** The approvers of a request: the members of its required groups. */
export function approversFor(groups: ApproverGroups, requirements: readonly ApprovalRequirement[]): Approver[] {
  const out: Approver[] = [];
  for (const g of new Set(requirements.map((r) => r.group))) {
    for (const m of groups.get(g) ?? []) out.push({ group: g, name: m.name, key: "ed25519:" + toHex(m.publicKey) });
  }
  return out;
}

/**
 * A request's id: a hash of what makes it unique (one open request per policy and action at a time; a request that
 * replaces another at the same instant differs in its requirements).
 */
export function requestIdFor(policyDigest: string, actionDigest: string, createdAt: number, requirements: readonly ApprovalRequirement[] = []): string {
  const reqs = requirements.map((q) => `${q.quorum}/${q.group}/${q.withinMs}`).join(",");
  return "apr_" + toHex(sha256Text(`execlayer/approval-request/v1\n${policyDigest}\n${actionDigest}\n${isoMillis(createdAt)}\n${reqs}`)).slice(0, 24);
}

/** The request's expiry: the shortest window among its requirements. */
export function expiryOf(createdAt: number, requirements: readonly ApprovalRequirement[]): number {
  let within = Number.POSITIVE_INFINITY;
  for (const r of requirements) within = Math.min(within, r.withinMs);
  return createdAt + (Number.isFinite(within) ? within : 0);
}

// --- verification ----------------------------------------------------------------------------------------------

export interface VerifyContext {
  /** the policy's groups, when known: only to say which other group a refused key belongs to */
  readonly groups?: ApproverGroups;
  /** arrival time, ms */
  readonly now: number;
  readonly skewMs?: number;
}

export type VerifyResult = { readonly ok: true; readonly record: ApprovalRecord } | { readonly ok: false; readonly error: ApprovalError };

const STATEMENT_FIELDS = ["request", "action_digest", "policy_digest", "verdict", "approver", "signed_at"] as const satisfies readonly (keyof ApprovalStatement)[];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function fail(kind: ApprovalErrorKind, code: string, message: string, extra: { request?: string; approver?: string } = {}): VerifyResult {
  return { ok: false, error: { kind, code, message, ...extra } };
}

/** Checks the shape of untrusted input; returns the statement or why it is malformed. */
export function parseSignedApproval(input: unknown): Result<SignedApproval, ApprovalError> {
  const malformed = (why: string) =>
    ({ ok: false, error: { kind: "malformed", code: Diagnostics.approvalMalformed.code, message: Diagnostics.approvalMalformed.message(why) } }) as const;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return malformed("expected an object `{ statement, signature }`");
  const o = input as Record<string, unknown>;
  const st = o["statement"];
  if (typeof st !== "object" || st === null || Array.isArray(st)) return malformed("`statement` must be an object");
  const s = st as Record<string, unknown>;
  for (const field of STATEMENT_FIELDS) {
    if (typeof s[field] !== "string") return malformed(`\`statement.${field}\` must be a string`);
  }
  const extra = Object.keys(s).filter((k) => !(STATEMENT_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) return malformed(`unexpected field \`statement.${extra[0]}\``);
  if (s["verdict"] !== "approve" && s["verdict"] !== "reject") {
    return malformed(`\`statement.verdict\` must be "approve" or "reject", got ${JSON.stringify(s["verdict"])}`);
  }
  if (!DIGEST.test(s["action_digest"] as string)) return malformed("`statement.action_digest` must be `sha256:` and 64 lowercase hex digits");
  if (!DIGEST.test(s["policy_digest"] as string)) return malformed("`statement.policy_digest` must be `sha256:` and 64 lowercase hex digits");
  const signedAt = s["signed_at"] as string;
  if (!RFC3339.test(signedAt) || Number.isNaN(Date.parse(signedAt))) {
    return malformed(`\`statement.signed_at\` must be an RFC 3339 time, got ${JSON.stringify(signedAt)}`);
  }
  const sig = o["signature"];
  if (typeof sig !== "string") return malformed("`signature` must be a base64 string");
  const bytes = fromBase64(sig);
  if (bytes === null) return malformed("`signature` is not canonical standard base64");
  if (bytes.length !== 64) return malformed(`\`signature\` must decode to 64 bytes, got ${bytes.length}`);
  return { ok: true, value: { statement: s as unknown as ApprovalStatement, signature: sig } };
}

/**
 * Decides whether `signed` counts for `state`. Pure: the caller applies the record only when ok. `signed` must have
 * passed parseSignedApproval; `state` must be the request it names.
 */
export function verifyApproval(state: RequestState, signed: SignedApproval, ctx: VerifyContext): VerifyResult {
  const { request } = state;
  const st = signed.statement;
  const id = request.id;
  const key = st.approver;
  const who = { request: id, approver: key };
  const now = ctx.now;
  const skew = ctx.skewMs ?? DEFAULT_SIGNED_AT_SKEW_MS;

  if (state.consumedAt !== null) {
    return fail("request_closed", Diagnostics.approvalRequestClosed.code, Diagnostics.approvalRequestClosed.message(id, `already used (at ${isoMillis(state.consumedAt)})`), who);
  }
  const veto = vetoOf(state);
  if (veto !== undefined) {
    return fail("request_closed", Diagnostics.approvalRequestClosed.code, Diagnostics.approvalRequestClosed.message(id, `vetoed by \`${veto.member}\` (${veto.approver})`), who);
  }
  if (st.request !== id) {
    return fail("unknown_request", Diagnostics.approvalUnknownRequest.code, Diagnostics.approvalUnknownRequest.message(st.request), who);
  }
  if (st.action_digest !== request.actionDigest) {
    return fail("action_mismatch", Diagnostics.approvalActionMismatch.code, Diagnostics.approvalActionMismatch.message(id, st.action_digest, request.actionDigest), who);
  }
  if (st.policy_digest !== request.policyDigest) {
    return fail("policy_mismatch", Diagnostics.approvalPolicyMismatch.code, Diagnostics.approvalPolicyMismatch.message(id, st.policy_digest, request.policyDigest), who);
  }

  // Membership: the key must be in at least one group this request requires.
  const required = request.requirements.map((r) => r.group);
  let member: ApproverKey | undefined;
  const groups: string[] = [];
  for (const a of request.approvers) {
    if (!required.includes(a.group)) continue;
    const k = approverKey(a);
    if (k === null || k.keyId !== key) continue;
    member ??= k;
    if (!groups.includes(a.group)) groups.push(a.group);
  }
  if (member === undefined) {
    const elsewhere: string[] = [];
    for (const [g, members] of ctx.groups ?? []) {
      const m = members.find((k) => k.keyId === key);
      if (m !== undefined) elsewhere.push(`\`${m.name}\` of group \`${g}\``);
    }
    const detail =
      elsewhere.length > 0 ? ` (it is ${elsewhere.join(", ")})` : ctx.groups !== undefined ? " (it is not a member of any group of this policy)" : "";
    const groupsText = required.map((g) => `\`${g}\``).join(" or ");
    return fail("not_in_group", Diagnostics.approvalNotInGroup.code, Diagnostics.approvalNotInGroup.message(key, groupsText, detail), who);
  }

  const sigBytes = fromBase64(signed.signature);
  if (sigBytes === null || !verifySignature(member.publicKey, approvalStatementBytes(st), sigBytes)) {
    return fail("bad_signature", Diagnostics.approvalBadSignature.code, Diagnostics.approvalBadSignature.message(key, member.name), who);
  }

  // Time: arrival strictly inside the window; signed_at inside it with a small skew allowance.
  const window = `[${isoMillis(request.createdAt)}, ${isoMillis(request.expiresAt)}]`;
  const outside = (what: string) => fail("outside_window", Diagnostics.approvalOutsideWindow.code, Diagnostics.approvalOutsideWindow.message(what), who);
  if (now > request.expiresAt) {
    return outside(`approval by \`${member.name}\` arrived ${formatDuration(now - request.expiresAt)} after request \`${id}\` expired at ${isoMillis(request.expiresAt)}`);
  }
  if (now < request.createdAt) {
    return outside(`approval by \`${member.name}\` arrived at ${isoMillis(now)}, before request \`${id}\` was created at ${isoMillis(request.createdAt)}`);
  }
  const signedAt = Date.parse(st.signed_at);
  if (signedAt > request.expiresAt) {
    return outside(`approval by \`${member.name}\` was signed at ${st.signed_at}, ${formatDuration(signedAt - request.expiresAt)} after request \`${id}\` expired (window ${window})`);
  }
  if (signedAt < request.createdAt - skew) {
    return outside(`approval by \`${member.name}\` was signed at ${st.signed_at}, ${formatDuration(request.createdAt - signedAt)} before request \`${id}\` was created (window ${window})`);
  }
  if (signedAt > now + skew) {
    return outside(`approval by \`${member.name}\` was signed at ${st.signed_at}, ${formatDuration(signedAt - now)} in the future (arrived ${isoMillis(now)})`);
  }

  const previous = state.approvals.find((a) => a.approver === key);
  if (previous !== undefined) {
    return fail("duplicate", Diagnostics.approvalDuplicate.code, Diagnostics.approvalDuplicate.message(key, member.name, id, previous.signedAt), who);
  }

  return {
    ok: true,
    record: { approver: key, member: member.name, groups, verdict: st.verdict, signedAt: st.signed_at, receivedAt: now, signature: signed.signature },
  };
}
