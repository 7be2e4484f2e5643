// Signed policy bundles: a policy change is itself a high-risk action, so M of N named policy approvers sign the
// bundle's digest, and a runtime started with their keyring and a quorum loads only a bundle that carries it.
//
// Each approval is a statement signed like an action approval (approvals.ts: the same JCS statement bytes, ed25519,
// strict RFC 8032 verification), in a domain of its own, so neither signature can stand in for the other:
//   bytes = UTF-8( "execlayer/policy-bundle/v1\n" + JCS({ bundle_digest, name, version, verdict, approver, signed_at }) )
// The approvals travel in the bundle (`approvals: [{ statement, signature }]`); the bundle's digest covers its sources
// only, so signing adds approvals without changing what they sign. Verification: the bundle loads (its digest is
// recomputed from its sources), then each approval must name that digest, the verdict `approve`, a key of the
// keyring, and verify under it; distinct keys are counted, and fewer than the quorum refuses the bundle.
import { loadBundle } from "../compile/bundle.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import { decodeApproverKey, parseKeyring } from "../check/policy-keys.ts";
import { fromBase64, toBase64 } from "../receipts/bytes.ts";
import { keyIdOf } from "../receipts/keys.ts";
import type { Signer } from "../receipts/signer.ts";
import { verifySignature } from "../receipts/verify-signature.ts";
import type { Result } from "../vocabulary/result.ts";
import { statementBytes } from "./approvals.ts";

export const BUNDLE_APPROVAL_DOMAIN = "execlayer/policy-bundle/v1\n";

/** What a policy approver signs. */
export interface BundleStatement {
  readonly bundle_digest: string;
  readonly name: string;
  /** "" when the policy declares no version */
  readonly version: string;
  readonly verdict: "approve";
  /** key id of the approver's public key */
  readonly approver: string;
  /** RFC 3339 */
  readonly signed_at: string;
}

export interface SignedBundleApproval {
  readonly statement: BundleStatement;
  /** standard base64 of the 64-byte Ed25519 signature */
  readonly signature: string;
}

/** A policy approver: a name and a public key (`ed25519:<64 hex>`), as in a keyring file. */
export interface BundleSigner {
  readonly name: string;
  readonly key: string;
}

/** The bundle that decided, as receipts name it: its digest and who approved it. */
export interface BundleApproval {
  readonly digest: string;
  readonly quorum: number;
  readonly signers: readonly { readonly name: string; readonly approver: string; readonly signed_at: string }[];
}

export function bundleStatementBytes(s: BundleStatement): Uint8Array {
  return statementBytes(BUNDLE_APPROVAL_DOMAIN, {
    bundle_digest: s.bundle_digest,
    name: s.name,
    version: s.version,
    verdict: s.verdict,
    approver: s.approver,
    signed_at: s.signed_at,
  });
}

/** Signs a bundle's approval with `signer` at `signedAt` (ms or RFC 3339). */
export function signBundle(bundle: { readonly digest: string; readonly name: string; readonly version: string | null }, signer: Signer, signedAt: number | string): SignedBundleApproval {
  const statement: BundleStatement = {
    bundle_digest: bundle.digest,
    name: bundle.name,
    version: bundle.version ?? "",
    verdict: "approve",
    approver: signer.keyId,
    signed_at: typeof signedAt === "number" ? new Date(signedAt).toISOString() : signedAt,
  };
  return { statement, signature: toBase64(signer.sign(bundleStatementBytes(statement))) };
}

/** A keyring file's text (`name ed25519:<hex>` per line) as signers; or why it cannot be used. */
export function parseBundleSigners(text: string): Result<BundleSigner[]> {
  const { entries, errors } = parseKeyring(text);
  if (errors.length > 0) return { ok: false, error: `keyring line ${errors[0]!.line} is not \`name ed25519:<64 hex>\`` };
  const out: BundleSigner[] = [];
  for (const e of entries) {
    const k = decodeApproverKey(e.key);
    if (!k.ok) return { ok: false, error: `keyring line ${e.line}: the key of \`${e.name}\` is not usable: ${k.error}` };
    out.push({ name: e.name, key: k.value.text });
  }
  if (out.length === 0) return { ok: false, error: "the keyring lists no signers" };
  return { ok: true, value: out };
}

/** A bundle whose approvals met the quorum: its compiled policy and the approval receipts name. */
export interface VerifiedBundle {
  readonly policy: CompiledPolicy;
  readonly approval: BundleApproval;
}

/**
 * Loads a bundle (its JSON text or parsed value) only if `quorum` distinct signers of `signers` approved its digest.
 * Never throws; the error says what is missing.
 */
export function verifyBundle(input: string | unknown, signers: readonly BundleSigner[], quorum: number, file = "<bundle>"): Result<VerifiedBundle> {
  if (!Number.isSafeInteger(quorum) || quorum < 1) return { ok: false, error: "the bundle quorum must be an integer of at least 1" };
  if (quorum > signers.length) return { ok: false, error: `a quorum of ${quorum} cannot be met by ${signers.length} signer(s)` };
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e: unknown) {
      return { ok: false, error: `${file}: not JSON (${e instanceof Error ? e.message : String(e)})` };
    }
  }
  const built = loadBundle(value, file);
  if (built.policy === null) return { ok: false, error: built.diagnostics.map((d) => `${d.code}: ${d.message}`).join("; ") };
  const policy = built.policy;
  const approvals = (value as { approvals?: unknown }).approvals;
  const keys = new Map<string, { name: string; bytes: Uint8Array }>();
  for (const s of signers) {
    const k = decodeApproverKey(s.key);
    if (k.ok) keys.set(keyIdOf(k.value.bytes), { name: s.name, bytes: k.value.bytes });
  }
  const counted = new Map<string, { name: string; approver: string; signed_at: string }>();
  const refused: string[] = [];
  for (const a of Array.isArray(approvals) ? (approvals as unknown[]) : []) {
    const why = checkApproval(a, policy, keys);
    if (typeof why === "string") refused.push(why);
    else if (!counted.has(why.approver)) counted.set(why.approver, why);
  }
  if (counted.size < quorum) {
    const names = [...counted.values()].map((c) => c.name);
    return {
      ok: false,
      error: `bundle ${policy.digest} carries ${counted.size} valid approval(s) of the ${quorum} required${names.length > 0 ? ` (${names.join(", ")})` : ""}${refused.length > 0 ? `; refused: ${refused.join("; ")}` : ""}`,
    };
  }
  const list = [...counted.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const verified: VerifiedBundle = Object.freeze({ policy, approval: Object.freeze({ digest: policy.digest, quorum, signers: Object.freeze(list) }) });
  VERIFIED.add(verified);
  return { ok: true, value: verified };
}

// Only what verifyBundle returned counts as verified: an object of the same shape built elsewhere does not.
const VERIFIED = new WeakSet<VerifiedBundle>();

export function isVerifiedBundle(v: unknown): v is VerifiedBundle {
  return typeof v === "object" && v !== null && VERIFIED.has(v as VerifiedBundle);
}

function checkApproval(a: unknown, policy: CompiledPolicy, keys: ReadonlyMap<string, { name: string; bytes: Uint8Array }>): { name: string; approver: string; signed_at: string } | string {
  if (typeof a !== "object" || a === null) return "an approval is not `{ statement, signature }`";
  const { statement, signature } = a as { statement?: unknown; signature?: unknown };
  if (typeof statement !== "object" || statement === null || typeof signature !== "string") return "an approval is not `{ statement, signature }`";
  const s = statement as Record<string, unknown>;
  const fields = ["bundle_digest", "name", "version", "verdict", "approver", "signed_at"] as const;
  if (!fields.every((f) => typeof s[f] === "string") || Object.keys(s).length !== fields.length) return "an approval's statement does not have exactly the fields of a bundle statement";
  const st = s as unknown as BundleStatement;
  if (st.bundle_digest !== policy.digest) return `${st.approver} approved another bundle (${st.bundle_digest})`;
  if (st.verdict !== "approve") return `${st.approver}'s verdict is not approve`;
  if (Number.isNaN(Date.parse(st.signed_at))) return `${st.approver}'s signed_at is not a time`;
  const key = keys.get(st.approver);
  if (key === undefined) return `${st.approver} is not one of the bundle signers`;
  const sig = fromBase64(signature);
  if (sig === null || sig.length !== 64 || !verifySignature(key.bytes, bundleStatementBytes(st), sig)) return `${key.name}'s signature does not verify`;
  return { name: key.name, approver: st.approver, signed_at: st.signed_at };
}
