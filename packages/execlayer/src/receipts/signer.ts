// Signers: something that holds a private key and signs bytes, synchronously (receipts are signed inside
// `ReceiptLog.append`, which must not yield). Ed25519 is deterministic, so both implementations produce the same
// bytes for the same key and message (a property test holds them to it).
import { createPrivateKey, sign as nodeSign, type KeyObject } from "node:crypto";
import { keyIdOf, keyPairFromSeed, type KeyPair } from "./keys.ts";
import { ed } from "./noble.ts";

export interface Signer {
  /** see keys.ts: `ed25519:` + 16 hex of sha256(publicKey) */
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  /**
   * Optional: signs many messages off this thread (signing-pool.ts), the same bytes `sign` gives, in order. A receipt
   * log whose signer has it signs each group commit's batch with one call instead of inside `append`.
   */
  signMany?(messages: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /**
   * Optional, with `signMany`: signs prepared receipts off this thread and frames them there too (signing-pool.ts):
   * for each, its signature, its log line with the newline, and its RFC 9162 leaf hash, exactly the bytes the log
   * would make itself. A receipt log prefers it to `signMany`.
   */
  frameMany?(items: readonly FrameInput[]): Promise<FramedReceipt[]>;
  /** Optional: releases what the signer holds (threads). */
  close?(): Promise<void>;
}

/** A prepared receipt as framing needs it: the signing message (PAE), where the payload starts, its head's length. */
export interface FrameInput {
  readonly message: Buffer;
  readonly payloadAt: number;
  readonly headBytes: number;
}

/** A receipt signed and framed: its signature, its line as written (with the newline), its RFC 9162 leaf hash. */
export interface FramedReceipt {
  readonly signature: Uint8Array;
  readonly line: Buffer;
  readonly leaf: Uint8Array;
}

// The group order L of RFC 8032 (noble's `N`).
const L = ed.Point.CURVE().n;

function bytesToNumberLE(b: Uint8Array): bigint {
  let hex = "";
  for (let i = b.length - 1; i >= 0; i--) hex += HEX_BYTE[b[i] as number];
  return BigInt("0x" + hex);
}

function numberTo32BytesLE(n: bigint, out: Uint8Array, at: number): void {
  for (let i = 0; i < 32; i++) {
    out[at + i] = Number(n & 0xffn);
    n >>= 8n;
  }
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Signing with @noble/ed25519 (the default: no native dependency, audited curve code; SHA-512 from node:crypto, see
 * noble.ts). The expanded key (RFC 8032
 * §5.1.5: clamped scalar, nonce prefix, public point) is derived once here; `ed.sign(msg, seed)` re-derives it,
 * a second base-point multiplication, on every call. The signing steps below are noble's own `_sign` (RFC 8032
 * §5.1.6) on noble's exported primitives; a property test holds the result byte-identical to `ed.sign`.
 */
export class NobleSigner implements Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly #prefix: Uint8Array;
  readonly #scalar: bigint;

  constructor(pair: KeyPair) {
    const ext = ed.utils.getExtendedPublicKey(pair.seed);
    this.#prefix = ext.prefix.slice();
    this.#scalar = ext.scalar;
    this.publicKey = ext.pointBytes;
    this.keyId = keyIdOf(this.publicKey);
  }

  static fromSeed(seed: Uint8Array): NobleSigner {
    return new NobleSigner(keyPairFromSeed(seed));
  }

  sign(message: Uint8Array): Uint8Array {
    const sha512 = ed.hashes.sha512;
    if (sha512 === undefined) throw new Error("noble: hashes.sha512 is not configured");
    const A = this.publicKey;
    const n = message.length;
    // r = SHA-512(prefix || M) mod L
    const buf = new Uint8Array(64 + n);
    buf.set(this.#prefix, 0);
    buf.set(message, 32);
    const r = ed.etc.mod(bytesToNumberLE(sha512(buf.subarray(0, 32 + n))), L);
    // R = [r]B (multiply rejects r = 0, as in noble: a broken SHA-512 fails loudly)
    const R = ed.Point.BASE.multiply(r).toBytes();
    // k = SHA-512(R || A || M) mod L; S = (r + k·s) mod L
    buf.set(R, 0);
    buf.set(A, 32);
    buf.set(message, 64);
    const k = ed.etc.mod(bytesToNumberLE(sha512(buf)), L);
    const S = ed.etc.mod(r + k * this.#scalar, L);
    const sig = new Uint8Array(64);
    sig.set(R, 0);
    numberTo32BytesLE(S, sig, 32);
    return sig;
  }
}

// PKCS#8 DER for an Ed25519 private key is this fixed 16-byte header followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** node:crypto (OpenSSL) Ed25519: the fast path, several times faster than noble. */
export class NativeSigner implements Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;

  constructor(pair: KeyPair) {
    // Derive the public key ourselves rather than trusting the pair, so a mismatched pair cannot yield a
    // signer whose publicKey does not verify its own signatures.
    this.publicKey = ed.getPublicKey(pair.seed);
    this.keyId = keyIdOf(this.publicKey);
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, pair.seed]), format: "der", type: "pkcs8" });
  }

  static fromSeed(seed: Uint8Array): NativeSigner {
    return new NativeSigner(keyPairFromSeed(seed));
  }

  /** The private key as PKCS#8 DER (RFC 8410), for handing to signing threads. */
  pkcs8(): Uint8Array {
    return new Uint8Array(this.#key.export({ format: "der", type: "pkcs8" }));
  }

  sign(message: Uint8Array): Uint8Array {
    const sig = nodeSign(null, message, this.#key);
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
  }
}

export type SignerKind = "noble" | "native";

export function createSigner(pair: KeyPair, kind: SignerKind = "noble"): Signer {
  return kind === "native" ? new NativeSigner(pair) : new NobleSigner(pair);
}
