// Sensitive values in receipts: a keyed commitment instead of the value. A `@sensitive` parameter (or actor/context
// field) is recorded as
//
//   "hmac-sha256:" + hex( HMAC-SHA256( redaction key, "execlayer/sensitive/v1\n" + PATH + "\n" + JCS(value) ) )
//
// where PATH names the field (`action.params.iban`, `actor.email`, `context.account`). The commitment binds the value
// (whoever holds the key can check a claimed value against it: `checkSensitiveValue`) without revealing it: unlike
// an unsalted SHA-256, a guessable value (a short account number, an e-mail address) cannot be recovered by hashing
// candidates without the key. It is deterministic under one key, so a retried proposal has the same commitment (and
// the same action digest); the same value in the same field of two receipts is recognizable as the same.
//
// The redaction key is 32 random bytes kept beside the runtime's signing key: `DIR/runtime.redaction-key` in a
// state directory (mode 0600, created with the store), one per MemoryStore. Its file:
//   {"key":"<64 hex>","kind":"hmac-sha256-redaction"}
// Its id, `hmac-sha256:` + 16 hex of HMAC(key, "execlayer/redaction-key-id"), names it in receipts without revealing it.
// Receipts verify offline without it: the key only matters to check a claimed sensitive value.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { canonicalize } from "../ir/canonicalize.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { fromHex, toHex } from "./bytes.ts";
import { readKeyFile, writeSecretFile, type KeyResult } from "./keys.ts";

/** The commitment scheme receipts name (`body.redaction.scheme`). */
export const SENSITIVE_COMMITMENT_SCHEME = "hmac-sha256/v1";
/** How a committed value starts. (Receipts written before keyed commitments hold `sha256:` digests instead.) */
export const SENSITIVE_COMMITMENT_PREFIX = "hmac-sha256:";
const DOMAIN = "execlayer/sensitive/v1\n";
const KEY_ID_DOMAIN = "execlayer/redaction-key-id";
const KEY_FILE_KIND = "hmac-sha256-redaction";

/** The key sensitive values are committed under. Keep it as secret as the signing key. */
export interface RedactionKey {
  /** 32 bytes */
  readonly secret: Uint8Array;
  /** `hmac-sha256:<16 hex>`: names the key in receipts; reveals nothing about it */
  readonly keyId: string;
}

/** Commits one value of one field: `path` is where it sits in the IR (`action.params.iban`). */
export type SensitiveCommitter = (path: string, value: JsonValue) => string;

export function redactionKeyFromBytes(secret: Uint8Array): RedactionKey {
  if (secret.length !== 32) throw new RangeError(`a redaction key is 32 bytes, got ${secret.length}`);
  const copy = secret.slice();
  return { secret: copy, keyId: SENSITIVE_COMMITMENT_PREFIX + createHmac("sha256", copy).update(KEY_ID_DOMAIN).digest("hex").slice(0, 16) };
}

export function generateRedactionKey(): RedactionKey {
  return redactionKeyFromBytes(new Uint8Array(randomBytes(32)));
}

/** The commitment of `value` in field `path` under `key`. Throws only for a value that is not JSON. */
export function commitSensitive(key: RedactionKey, path: string, value: JsonValue): string {
  return SENSITIVE_COMMITMENT_PREFIX + createHmac("sha256", key.secret).update(DOMAIN + path + "\n" + canonicalize(value)).digest("hex");
}

/** A committer bound to one key (what the runtime hands the policy). */
export function sensitiveCommitter(key: RedactionKey): SensitiveCommitter {
  return (path, value) => commitSensitive(key, path, value);
}

/** Whether `commitment` is the commitment of `claimed` in field `path` under `key` (constant time in the digest). */
export function commitmentMatches(key: RedactionKey, path: string, claimed: JsonValue, commitment: string): boolean {
  if (!commitment.startsWith(SENSITIVE_COMMITMENT_PREFIX)) return false;
  const got = fromHex(commitment.slice(SENSITIVE_COMMITMENT_PREFIX.length));
  if (got === null || got.length !== 32) return false;
  let expected: Uint8Array;
  try {
    expected = fromHex(commitSensitive(key, path, claimed).slice(SENSITIVE_COMMITMENT_PREFIX.length))!;
  } catch {
    return false;
  }
  return timingSafeEqual(got, expected);
}

export type SensitiveCheck =
  | { readonly ok: true; readonly matches: boolean }
  /** the receipt does not hold a keyed commitment at `path`, or was committed under another key */
  | { readonly ok: false; readonly error: string };

/**
 * Checks a claimed value of a sensitive field against a receipt body (a decision's `body`): `path` is the field as
 * the receipt's `redaction.fields` lists it (`action.params.iban`). Needs the redaction key the receipt names.
 */
export function checkSensitiveValue(body: JsonObject, path: string, claimed: JsonValue, key: RedactionKey): SensitiveCheck {
  const redaction = body["redaction"];
  if (redaction === null || typeof redaction !== "object" || Array.isArray(redaction)) {
    return { ok: false, error: "the receipt records no keyed commitments (no `redaction`; a receipt written before them holds unkeyed `sha256:` digests)" };
  }
  const r = redaction as JsonObject;
  if (r["scheme"] !== SENSITIVE_COMMITMENT_SCHEME) return { ok: false, error: `unknown commitment scheme ${JSON.stringify(r["scheme"])}` };
  const fields = Array.isArray(r["fields"]) ? r["fields"] : [];
  if (!fields.includes(path)) return { ok: false, error: `\`${path}\` is not a committed field of this receipt (it commits ${fields.map((f) => `\`${String(f)}\``).join(", ") || "none"})` };
  if (r["key"] !== key.keyId) return { ok: false, error: `the receipt was committed under key ${String(r["key"])}, not ${key.keyId}` };
  let at: JsonValue | undefined = body["ir"];
  for (const part of splitPath(path)) {
    at = at !== null && typeof at === "object" && !Array.isArray(at) ? (at as JsonObject)[part] : undefined;
  }
  if (typeof at !== "string") return { ok: false, error: `the receipt holds no commitment at \`${path}\`` };
  return { ok: true, matches: commitmentMatches(key, path, claimed, at) };
}

/** `action.params.a` -> ["action", "params", "a"]; a parameter name may itself hold dots (only after `params.`). */
function splitPath(path: string): string[] {
  const m = /^(action\.params|actor|context)\.(.+)$/.exec(path);
  if (m === null) return path.split(".");
  return [...m[1]!.split("."), m[2]!];
}

export function formatRedactionKeyFile(key: RedactionKey): string {
  return JSON.stringify({ key: toHex(key.secret), kind: KEY_FILE_KIND }) + "\n";
}

export function parseRedactionKeyFile(text: string): KeyResult<RedactionKey> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: "redaction key file is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { ok: false, error: "redaction key file must hold a JSON object" };
  const o = data as Record<string, unknown>;
  if (o["kind"] !== KEY_FILE_KIND) return { ok: false, error: `redaction key file must have \`kind: "${KEY_FILE_KIND}"\`` };
  const secret = typeof o["key"] === "string" ? fromHex(o["key"]) : null;
  if (secret === null || secret.length !== 32) return { ok: false, error: "`key` must be 64 lowercase hex digits" };
  return { ok: true, value: redactionKeyFromBytes(secret) };
}

export async function readRedactionKeyFile(file: string): Promise<KeyResult<RedactionKey>> {
  return readKeyFile(file, parseRedactionKeyFile);
}

/** Writes a new key file (mode 0600; refuses to overwrite one). */
export async function writeRedactionKeyFile(file: string, key: RedactionKey): Promise<void> {
  await writeSecretFile(file, formatRedactionKeyFile(key));
}
