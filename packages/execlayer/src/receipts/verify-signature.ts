// The one Ed25519 verification rule of the project: strict RFC 8032 as implemented by
// @noble/ed25519 `verify(sig, msg, pub, { zip215: false })`:
//   - A and R must be canonical encodings (y < p; x = 0 with the sign bit set is rejected) of curve points,
//   - S must be < L,
//   - A must not be of small order,
//   - the cofactored equation [8][S]B = [8]R + [8][k]A holds.
//
// noble is slow (~1-2k verifications/s), so we use OpenSSL (node:crypto) as a fast path. OpenSSL differs from the
// rule above (crypto/ec/curve25519.c, ossl_ed25519_verify; see "Taming the many EdDSAs", Chalkias et al. 2020):
//   - it checks S < L (same),
//   - it compares ENC([S]B - [k]A) to the R bytes: cofactorless, and a non-canonical R never matches (stricter),
//   - it decodes A with ref10's ge_frombytes_vartime: no y < p check, no small-order check (laxer).
// Cofactorless acceptance implies cofactored acceptance when both sides decode the same A and R and hash the same
// bytes, so OpenSSL's "valid" is trusted only for keys that noble's strict decoding accepts and that are not of
// small order (checked once per key, cached). Whenever OpenSSL says "invalid" (or throws) we ask noble, since
// cofactored verification accepts some signatures with mixed-order R or A that the cofactorless equation
// rejects. So the answer is noble's on every input; invalid signatures just take the slow path.
import { createPublicKey, verify as nodeVerify, type KeyObject } from "node:crypto";
import { ed } from "./noble.ts";

// SubjectPublicKeyInfo DER for Ed25519 is this fixed 12-byte header followed by the 32-byte key (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The SubjectPublicKeyInfo DER of an Ed25519 public key, as node:crypto's createPublicKey takes it. */
export function ed25519Spki(publicKey: Uint8Array): Buffer {
  return Buffer.concat([SPKI_ED25519_PREFIX, publicKey]);
}

const MAX_CACHED_KEYS = 4096;
/** public key (hex) -> OpenSSL key object, or null when the key must not take the fast path */
const fastKeys = new Map<string, KeyObject | null>();

function fastPathKey(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("hex");
  const cached = fastKeys.get(id);
  if (cached !== undefined) return cached;
  let key: KeyObject | null = null;
  try {
    const point = ed.Point.fromBytes(publicKey, false); // strict: throws on non-canonical or off-curve A
    if (!point.isSmallOrder()) {
      key = createPublicKey({ key: ed25519Spki(publicKey), format: "der", type: "spki" });
    }
  } catch {
    key = null;
  }
  if (fastKeys.size >= MAX_CACHED_KEYS) fastKeys.clear();
  fastKeys.set(id, key);
  return key;
}

/**
 * True when OpenSSL's "valid" may be trusted for this key (strictly decodable, not of small order); exposed for the
 * parallel verifier, which runs OpenSSL in worker threads and applies the same rule to their answers.
 */
export function fastPathEligible(publicKey: Uint8Array): boolean {
  return publicKey instanceof Uint8Array && publicKey.length === 32 && fastPathKey(publicKey) !== null;
}

/** The reference: noble, strict RFC 8032. Never throws. */
export function verifySignatureReference(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/**
 * Strict RFC 8032 Ed25519 verification (the project's one rule, see above). Never throws: wrong types or lengths
 * give false.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = fastPathKey(publicKey);
  if (key !== null) {
    try {
      if (nodeVerify(null, message, key, signature)) return true;
    } catch {
      // fall through to the reference
    }
  }
  return verifySignatureReference(publicKey, message, signature);
}
