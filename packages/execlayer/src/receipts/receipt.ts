// Receipts: what was decided (or approved, or consumed), signed and hash-chained.
//
// A receipt is one JSON object; its canonical form (RFC 8785 JCS) is one line of the log:
//   {"body":{...},"kind":"decision","prev":"sha256:<hex>","seq":0,"sig":"<base64>","signer":"ed25519:<16 hex>",
//    "time":"2026-01-31T12:00:00Z","v":2}
// - prev: "sha256:" + hex SHA-256 of the previous receipt's signed payload (its canonical bytes *without* `sig`);
//   GENESIS_PREV (64 zeros) for seq 0. The chain covers what each signature covers, so receipt n+1 can be built
//   before receipt n is signed, and signatures can be made in parallel (signing-pool.ts). A changed `sig` still
//   breaks that receipt's own signature; a changed body breaks both its signature and the next `prev`.
// - sig: base64 Ed25519 signature over PAE("execlayer/receipt/v2", JCS(receipt without `sig`)), where
//   PAE(type, payload) = "DSSEv1" SP len(type) SP type SP len(payload) SP payload (DSSE v1; len = decimal byte count).
//   A receipt written with per-batch signatures has no `sig`: its line is its unsigned payload, and it is vouched for
//   by the signed `seal` receipt that closes its batch (the Merkle root of the log up to the seal) or by a signed
//   checkpoint that covers it. Verifiers accept an unsigned receipt only so covered (scan.ts).
// Because the top-level keys are fixed, both canonical forms are written here directly; only the body goes through
// the project's one JCS implementation (src/ir/canonicalize.ts).
import { canonicalize, tryCanonicalize, tryCanonicalizeReusing, type KnownCanonical } from "../ir/canonicalize.ts";
import type { JsonObject } from "../ir/types.ts";
import { isoMillis } from "../ir/values.ts";
import { hash } from "node:crypto";
import { fromBase64, sha256, toBase64 } from "./bytes.ts";
import type { Signer } from "./signer.ts";
import { verifySignature } from "./verify-signature.ts";
import type { Result } from "../vocabulary/result.ts";

// v2: `prev` hashes the previous unsigned payload (v1 hashed the previous signed line; v1 logs are not read).
export const RECEIPT_VERSION = 2;
export const RECEIPT_PAYLOAD_TYPE = "execlayer/receipt/v2";
export const GENESIS_PREV = "sha256:" + "0".repeat(64);

/** The kinds the runtime writes; other stages may add their own (lowercase, `[a-z][a-z0-9_.-]*`). */
export type ReceiptKind = "decision" | "approval" | "consumption" | (string & {});

export interface Receipt<B extends JsonObject = JsonObject> {
  readonly v: typeof RECEIPT_VERSION;
  readonly seq: number;
  readonly prev: string;
  readonly time: string;
  readonly kind: ReceiptKind;
  readonly body: B;
  readonly signer: string;
  /** absent for a receipt sealed with its batch (per-batch signatures): the seal after it is signed instead */
  readonly sig?: string;
}

export type UnsignedReceipt<B extends JsonObject = JsonObject> = Omit<Receipt<B>, "sig">;

/** The kind of the receipt that closes a batch of unsigned receipts; the log writes it, nothing else may. */
export const SEAL_KIND = "seal";

/** A seal's body: the RFC 9162 root (`sha256:<hex>`) of the log's first `size` receipts, size = the seal's own seq. */
export interface SealBody extends JsonObject {
  readonly root: string;
  readonly size: number;
}

/** The body of the seal of a log's first `size` receipts, whose RFC 9162 root is `root`. */
export function sealBody(size: number, root: Uint8Array): SealBody {
  return { root: "sha256:" + Buffer.from(root).toString("hex"), size };
}

/** The root bytes a checked seal body holds. */
export function sealRoot(body: SealBody): Uint8Array {
  return Buffer.from(body.root.slice("sha256:".length), "hex");
}

/** The seal body, checked: exactly `{ root, size }`. */
export function parseSealBody(body: JsonObject): ReceiptResult<SealBody> {
  const keys = Object.keys(body);
  const root = body["root"];
  const size = body["size"];
  if (keys.length !== 2 || typeof root !== "string" || !HASH.test(root) || typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    return { ok: false, error: "a seal's body must be exactly { root: sha256:<64 hex>, size: integer }" };
  }
  return { ok: true, value: { root, size } };
}

/** What a caller gives to have a receipt made: the rest (v, signer, sig) comes from the format and the signer. */
export type ReceiptFields<B extends JsonObject> = Pick<UnsignedReceipt<B>, "seq" | "prev" | "time" | "kind" | "body">;

export type ReceiptResult<T> = Result<T>;

const KIND = /^[a-z][a-z0-9_.-]{0,63}$/;
const HASH = /^sha256:[0-9a-f]{64}$/;
const KEY_ID = /^ed25519:[0-9a-f]{16}$/;
const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function isReceiptKind(kind: string): boolean {
  return KIND.test(kind);
}

export function isRfc3339(time: string): boolean {
  return RFC3339.test(time) && !Number.isNaN(Date.parse(time));
}

/** A Date or a clock reading (ms since the epoch) as RFC 3339 UTC with milliseconds; a string is checked and kept as is. */
export function receiptTime(time: Date | string | number): ReceiptResult<string> {
  if (typeof time === "number") {
    return Number.isFinite(time) && Math.abs(time) <= MAX_DATE_MS ? { ok: true, value: isoMillis(time) } : { ok: false, error: "time is not a valid time" };
  }
  if (typeof time === "string") {
    return isRfc3339(time) ? { ok: true, value: time } : { ok: false, error: `time \`${time}\` is not RFC 3339` };
  }
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) return { ok: false, error: "time is not a valid Date" };
  return { ok: true, value: time.toISOString() };
}

/** The largest |ms| a Date holds (ECMA-262 TimeClip). */
const MAX_DATE_MS = 8.64e15;

/** What precedes the payload's byte length in PAE(RECEIPT_PAYLOAD_TYPE, payload). */
export const PAE_PREFIX = `DSSEv1 ${RECEIPT_PAYLOAD_TYPE.length} ${RECEIPT_PAYLOAD_TYPE} `;

/** PAE(RECEIPT_PAYLOAD_TYPE, payload) as bytes: the exact message that is signed. */
export function signingMessage(unsignedCanonical: string): Uint8Array {
  // One encoding pass: the prefix is ASCII, so the payload's byte length is all we need to know first.
  return Buffer.from(`${PAE_PREFIX}${Buffer.byteLength(unsignedCanonical, "utf8")} ${unsignedCanonical}`, "utf8");
}

// Keys in JCS order: body < kind < prev < seq < sig < signer < time < v.
function head(bodyCanonical: string, kind: string, prev: string, seq: number): string {
  return `{"body":${bodyCanonical},"kind":${JSON.stringify(kind)},"prev":"${prev}","seq":${seq},`;
}
function tail(signer: string, time: string): string {
  return `"signer":"${signer}","time":"${time}","v":${RECEIPT_VERSION}}`;
}

/** JCS of the receipt without `sig` (what the signature covers, inside PAE). */
export function unsignedCanonical(bodyCanonical: string, kind: string, prev: string, seq: number, signer: string, time: string): string {
  return head(bodyCanonical, kind, prev, seq) + tail(signer, time);
}

/** JCS of the whole receipt: its log line (without the newline). */
export function signedCanonical(bodyCanonical: string, kind: string, prev: string, seq: number, sig: string, signer: string, time: string): string {
  return head(bodyCanonical, kind, prev, seq) + `"sig":"${sig}",` + tail(signer, time);
}

/** The chain hash of a receipt (the next receipt's `prev`): over its unsigned canonical payload (text or UTF-8 bytes). */
export function chainHash(unsigned: Uint8Array | string): string {
  return "sha256:" + hash("sha256", unsigned, "hex");
}

/** The line (without the newline) of a framed receipt 0x00 || line || "\n". */
export function lineOf(framed: Buffer): string {
  return framed.toString("utf8", 1, framed.length - 1);
}

/** A signed receipt with its line, and the line framed for the log: 0x00 || line || "\n" (leaf input, bytes to write). */
export interface EncodedReceipt<B extends JsonObject> {
  readonly receipt: Receipt<B>;
  readonly line: string;
  readonly framed: Buffer;
  /** chainHash of this receipt: the next receipt's `prev` */
  readonly hash: string;
}

/** Builds and signs a receipt, checking every field (for tools, tests and the in-memory journal). */
export function signReceipt<B extends JsonObject>(
  fields: ReceiptFields<B>,
  signer: Signer,
  known?: KnownCanonical,
): ReceiptResult<EncodedReceipt<B>> {
  if (!isRfc3339(fields.time)) return { ok: false, error: `time \`${fields.time}\` is not RFC 3339` };
  if (!Number.isSafeInteger(fields.seq) || fields.seq < 0) return { ok: false, error: "seq must be a non-negative integer" };
  if (!HASH.test(fields.prev)) return { ok: false, error: "prev must be sha256:<64 hex>" };
  if (!isValidKeyId(signer.keyId)) return { ok: false, error: `signer key id \`${signer.keyId}\` must be ed25519:<16 hex>` };
  const prepared = prepareReceipt(fields, signer.keyId, known);
  return prepared.ok ? signPrepared(prepared.value, signer) : prepared;
}

export function isValidKeyId(keyId: string): boolean {
  return KEY_ID.test(keyId);
}

/**
 * A receipt encoded up to its signature: the exact message to sign (PAE of the unsigned payload, UTF-8 encoded once)
 * and its chain hash. `finishReceipt` adds the signature; the framed line is copied from `message` around `sig`.
 */
export interface PreparedReceipt<B extends JsonObject> extends Omit<UnsignedReceipt<B>, "v"> {
  /** PAE(RECEIPT_PAYLOAD_TYPE, JCS(receipt without sig)): what is signed */
  readonly message: Buffer;
  /** chainHash of the unsigned payload: the next receipt's `prev` */
  readonly hash: string;
  readonly payloadAt: number;
  readonly headBytes: number;
}

/**
 * Encodes a receipt without signing it, without re-checking what the log guarantees itself (seq, prev, the signer's
 * key id, a checked time); checks the kind and the body. `known`: a part of the body whose canonical text is at hand
 * (the decision's IR), spliced instead of walked.
 */
export function prepareReceipt<B extends JsonObject>(
  fields: ReceiptFields<B>,
  keyId: string,
  known?: KnownCanonical,
): ReceiptResult<PreparedReceipt<B>> {
  const { seq, prev, time, kind, body } = fields;
  if (!isReceiptKind(kind)) return { ok: false, error: `receipt kind \`${kind}\` must match [a-z][a-z0-9_.-]*` };
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "receipt body must be a JSON object" };
  // Parts of the body remembered by rememberCanonical (the policy, engine decisions) and `known` are spliced, not re-walked.
  const bodyCanonical = tryCanonicalizeReusing(body, known);
  if (!bodyCanonical.ok) return { ok: false, error: `receipt body is not JSON: ${bodyCanonical.error.message} at ${bodyCanonical.error.path}` };
  const h = head(bodyCanonical.value, kind, prev, seq);
  const t = tail(keyId, time); // ASCII: key id and time are checked
  const hLen = Buffer.byteLength(h, "utf8");
  const prefix = `${PAE_PREFIX}${hLen + t.length} `;
  const message = Buffer.allocUnsafe(prefix.length + hLen + t.length);
  message.write(prefix, 0, "latin1");
  message.write(h, prefix.length, "utf8");
  message.write(t, prefix.length + hLen, "latin1");
  const hash = chainHash(message.subarray(prefix.length));
  return { ok: true, value: { seq, prev, time, kind, body, signer: keyId, message, hash, payloadAt: prefix.length, headBytes: hLen } };
}

/** A receipt encoded without a signature (per-batch signatures): its line framed for the log, chain and leaf hashes. */
export interface UnsealedReceipt<B extends JsonObject> {
  readonly receipt: Receipt<B>;
  /** 0x00 || line || "\n": the RFC 9162 leaf input and the bytes to write */
  readonly framed: Buffer;
  /** chainHash of the line (its whole text is the unsigned payload): the next receipt's `prev` */
  readonly hash: string;
  /** RFC 9162 leaf hash of the line */
  readonly leaf: Uint8Array;
}

/**
 * Encodes a receipt that carries no signature of its own, with prepareReceipt's checks: the line is the unsigned
 * payload, written straight into its frame (no PAE message: nothing signs it here; the batch's seal covers it).
 */
export function encodeUnsealed<B extends JsonObject>(fields: ReceiptFields<B>, keyId: string, known?: KnownCanonical): ReceiptResult<UnsealedReceipt<B>> {
  const { seq, prev, time, kind, body } = fields;
  const bodyCanonical = unsealedBodyText(kind, body, known);
  if (!bodyCanonical.ok) return bodyCanonical;
  const h = head(bodyCanonical.value, kind, prev, seq);
  const t = tail(keyId, time);
  const hLen = Buffer.byteLength(h, "utf8");
  const framed = Buffer.allocUnsafe(1 + hLen + t.length + 1);
  framed[0] = 0x00;
  framed.write(h, 1, "utf8");
  framed.write(t, 1 + hLen, "latin1");
  framed[framed.length - 1] = 0x0a;
  const receipt: Receipt<B> = { v: RECEIPT_VERSION, seq, prev, time, kind, body, signer: keyId };
  const hash = chainHash(framed.subarray(1, framed.length - 1));
  rememberReceiptHash(receipt, hash);
  return { ok: true, value: { receipt, framed, hash, leaf: sha256(framed.subarray(0, framed.length - 1)) } };
}

/** The checks of a receipt without a signature of its own (its kind, its body an object) and its body's canonical text. */
export function unsealedBodyText(kind: string, body: unknown, known?: KnownCanonical): ReceiptResult<string> {
  if (!isReceiptKind(kind) || kind === SEAL_KIND) return { ok: false, error: `receipt kind \`${kind}\` must match [a-z][a-z0-9_.-]* and not be \`${SEAL_KIND}\`` };
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "receipt body must be a JSON object" };
  const text = tryCanonicalizeReusing(body, known);
  return text.ok ? text : { ok: false, error: `receipt body is not JSON: ${text.error.message} at ${text.error.path}` };
}

/** Bytes of the `"sig":"<base64 of 64 bytes>",` field a signature adds to the unsigned payload. */
export const SIG_FIELD_BYTES = '"sig":"'.length + 88 + '",'.length;

/**
 * The framed line of a signed receipt, 0x00 || line || "\n", from its signing message and signature: the payload's
 * head, the `sig` field, its tail. (signing-pool.ts's workers write the same bytes; a test holds them to it.)
 */
export function frameSigned(prepared: Pick<PreparedReceipt<JsonObject>, "message" | "payloadAt" | "headBytes">, sig: string): Buffer {
  const { message: msg, payloadAt, headBytes: hLen } = prepared;
  const sigField = `"sig":"${sig}",`;
  const tLen = msg.length - payloadAt - hLen;
  const framed = Buffer.allocUnsafe(1 + hLen + sigField.length + tLen + 1);
  framed[0] = 0x00;
  msg.copy(framed, 1, payloadAt, payloadAt + hLen);
  framed.write(sigField, 1 + hLen, "latin1");
  msg.copy(framed, 1 + hLen + sigField.length, payloadAt + hLen);
  framed[framed.length - 1] = 0x0a;
  return framed;
}

/** The receipt object of a prepared receipt and its signature (base64). */
export function signedReceipt<B extends JsonObject>(prepared: PreparedReceipt<B>, sig: string): Receipt<B> {
  const { seq, prev, time, kind, body, signer } = prepared;
  const receipt: Receipt<B> = { v: RECEIPT_VERSION, seq, prev, time, kind, body, signer, sig };
  rememberReceiptHash(receipt, prepared.hash);
  return receipt;
}

/** Adds the signature (64 bytes over `prepared.message`) to a prepared receipt. */
export function finishReceipt<B extends JsonObject>(prepared: PreparedReceipt<B>, signature: Uint8Array): EncodedReceipt<B> {
  const sig = toBase64(signature);
  const framed = frameSigned(prepared, sig);
  // The line's text is decoded from `framed` only when asked for: a receipt waiting for its group commit then holds
  // no copy of its ~1 KB text on the JS heap (the log never needs it).
  return {
    receipt: signedReceipt(prepared, sig),
    framed,
    hash: prepared.hash,
    get line(): string {
      return lineOf(framed);
    },
  };
}

/** Signs a prepared receipt on this thread and finishes it; a signer that throws is an error value. */
export function signPrepared<B extends JsonObject>(prepared: PreparedReceipt<B>, signer: Signer): ReceiptResult<EncodedReceipt<B>> {
  let signature: Uint8Array;
  try {
    signature = signer.sign(prepared.message);
  } catch (e: unknown) {
    return { ok: false, error: `signing failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { ok: true, value: finishReceipt(prepared, signature) };
}

const FIELDS = ["body", "kind", "prev", "seq", "sig", "signer", "time", "v"];
const UNSIGNED_FIELDS = FIELDS.filter((f) => f !== "sig");

/**
 * Parses one log line into a receipt and checks that the line is exactly its canonical form (so a receipt has one
 * encoding, and the hashes of the chain and the tree are hashes of that encoding). Does not check the signature.
 */
export function parseReceiptLine(line: string): ReceiptResult<Receipt> {
  const r = parseReceiptLineDetailed(line);
  return r.ok ? { ok: true, value: r.value.receipt } : r;
}

export interface ParsedReceiptLine {
  readonly receipt: Receipt;
  /** JCS of the receipt without `sig`: the payload of the signed PAE message */
  readonly unsigned: string;
  /** null: a receipt without `sig`, sealed with its batch */
  readonly sig: Uint8Array | null;
}

/** parseReceiptLine, also returning what signature verification needs (so the body is canonicalized once). */
export function parseReceiptLineDetailed(line: string): ReceiptResult<ParsedReceiptLine> {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, error: "line is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { ok: false, error: "line is not a JSON object" };
  const o = data as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  const expected = "sig" in o ? FIELDS : UNSIGNED_FIELDS;
  if (keys.length !== expected.length || keys.some((k, i) => k !== expected[i])) {
    return { ok: false, error: `receipt must have exactly the fields ${FIELDS.join(", ")} (sig absent when sealed with its batch)` };
  }
  if (o["v"] !== RECEIPT_VERSION) return { ok: false, error: `unsupported receipt version \`${String(o["v"])}\`` };
  const seq = o["seq"];
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return { ok: false, error: "seq must be a non-negative integer" };
  const prev = o["prev"];
  if (typeof prev !== "string" || !HASH.test(prev)) return { ok: false, error: "prev must be sha256:<64 hex>" };
  const time = o["time"];
  if (typeof time !== "string" || !isRfc3339(time)) return { ok: false, error: "time must be RFC 3339" };
  const kind = o["kind"];
  if (typeof kind !== "string" || !isReceiptKind(kind)) return { ok: false, error: "kind must match [a-z][a-z0-9_.-]*" };
  const body = o["body"];
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "body must be a JSON object" };
  const signer = o["signer"];
  if (typeof signer !== "string" || !KEY_ID.test(signer)) return { ok: false, error: "signer must be ed25519:<16 hex>" };
  const sig = o["sig"];
  const unsealed = sig === undefined;
  const sigBytes = typeof sig === "string" ? fromBase64(sig) : null;
  if (!unsealed && (sigBytes === null || sigBytes.length !== 64)) return { ok: false, error: "sig must be base64 of 64 bytes" };
  if (unsealed && kind === SEAL_KIND) return { ok: false, error: "a seal must be signed" };
  const receipt: Receipt = unsealed
    ? { v: RECEIPT_VERSION, seq, prev, time, kind, body: body as JsonObject, signer }
    : { v: RECEIPT_VERSION, seq, prev, time, kind, body: body as JsonObject, signer, sig: sig as string };
  const bodyCanonical = tryCanonicalize(body);
  if (!bodyCanonical.ok) return { ok: false, error: `body is not JSON: ${bodyCanonical.error.message}` };
  const unsigned = unsignedCanonical(bodyCanonical.value, kind, prev, seq, signer, time);
  if ((unsealed ? unsigned : signedCanonical(bodyCanonical.value, kind, prev, seq, sig as string, signer, time)) !== line) {
    return { ok: false, error: "line is not in canonical (RFC 8785) form" };
  }
  return { ok: true, value: { receipt, unsigned, sig: sigBytes } };
}

/** What the verifier's skim found of a line, handed on to a reader of the same line (xpol replay) so it need not search again. */
export interface SkimmedFields {
  /** the receipt's kind */
  readonly kind: string;
  /** the receipt's time, as written */
  readonly time: string;
  /** where the body's text ends: the index of the line's top-level `,"kind":"` (the body is `line.slice(8, bodyEnd)`) */
  readonly bodyEnd: number;
}

export interface SkimmedReceiptLine extends SkimmedFields {
  readonly seq: number;
  readonly prev: string;
  readonly signer: string;
  /** JCS of the receipt without `sig`, cut out of the line */
  readonly unsigned: string;
  readonly sig: Uint8Array;
}

const TOP_FIELDS = /,"kind":"([a-z][a-z0-9_.-]{0,63})","prev":"(sha256:[0-9a-f]{64})","seq":(0|[1-9][0-9]{0,15}),"sig":"([A-Za-z0-9+/]{86}==)","signer":"(ed25519:[0-9a-f]{16})","time":"([0-9T:.Z+-]{20,40})","v":2\}$/y;

/**
 * The verifier's fast reading of a line: the fields after `body` are matched exactly as the canonical form writes
 * them, and the body is not parsed or re-canonicalized. Sound only together with a signature check over `unsigned`:
 * the signed payload is the canonical text of a JSON receipt, so a line whose cut-out `unsigned` verifies is
 * byte-for-byte the canonical line that was signed. parseReceiptLineDetailed gives the reason when it does not.
 */
export function skimReceiptLine(line: string): SkimmedReceiptLine | null {
  if (!line.startsWith('{"body":{')) return null;
  // The top-level kind is the last `,"kind":"` of the line: nothing after it can contain that text.
  const at = line.lastIndexOf(',"kind":"');
  if (at < 9 || line.charCodeAt(at - 1) !== 0x7d /* } */) return null;
  TOP_FIELDS.lastIndex = at;
  const m = TOP_FIELDS.exec(line);
  if (m === null) return null;
  const [, kind, prev, seqText, sigText, signer, time] = m as unknown as [string, string, string, string, string, string, string];
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq) || !isRfc3339(time)) return null;
  const sig = fromBase64(sigText);
  if (sig === null || sig.length !== 64) return null;
  const sigField = `"sig":"${sigText}",`;
  const sigAt = line.lastIndexOf(sigField);
  const unsigned = line.slice(0, sigAt) + line.slice(sigAt + sigField.length);
  return { kind, time, bodyEnd: at, seq, prev, signer, unsigned, sig };
}

/** Checks a receipt's signature with the given public key (strict RFC 8032, see verify-signature.ts). */
export function verifyReceiptSignature(receipt: Receipt, publicKey: Uint8Array): boolean {
  if (receipt.sig === undefined) return false;
  const body = tryCanonicalize(receipt.body);
  if (!body.ok) return false;
  const sig = fromBase64(receipt.sig);
  if (sig === null) return false;
  const unsigned = unsignedCanonical(body.value, receipt.kind, receipt.prev, receipt.seq, receipt.signer, receipt.time);
  return verifySignature(publicKey, signingMessage(unsigned), sig);
}

/**
 * The chain hash of a receipt finished in this process, known from preparing it (receiptHash): a non-enumerable
 * symbol on the receipt object, invisible to JSON, canonicalization and equality. Not a WeakMap: an entry per receipt
 * is an ephemeron every scavenge walks.
 */
const CHAIN_HASH = Symbol("execlayer.receipt.chainHash");

/** Remembers the chain hash of a receipt this process made (here or on the log's writer thread), for receiptHash. */
export function rememberReceiptHash(receipt: Receipt, chain: string): void {
  Object.defineProperty(receipt, CHAIN_HASH, { value: chain });
}

/**
 * A receipt's chain hash (what the next receipt's `prev` holds): remembered for a receipt this process signed,
 * else computed from the receipt itself.
 */
export function receiptHash(receipt: Receipt): string {
  const known = (receipt as { readonly [CHAIN_HASH]?: string })[CHAIN_HASH];
  if (known !== undefined) return known;
  const r = receipt;
  return chainHash(unsignedCanonical(canonicalize(r.body), r.kind, r.prev, r.seq, r.signer, r.time));
}
