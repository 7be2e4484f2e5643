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
}

/** Pure-JS signing with @noble/ed25519 (the default: no native dependency, audited). */
export class NobleSigner implements Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;

  constructor(pair: KeyPair) {
    this.#seed = pair.seed.slice();
    this.publicKey = ed.getPublicKey(this.#seed);
    this.keyId = keyIdOf(this.publicKey);
  }

  static fromSeed(seed: Uint8Array): NobleSigner {
    return new NobleSigner(keyPairFromSeed(seed));
  }

  sign(message: Uint8Array): Uint8Array {
    return ed.sign(message, this.#seed);
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

  sign(message: Uint8Array): Uint8Array {
    const sig = nodeSign(null, message, this.#key);
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
  }
}

export type SignerKind = "noble" | "native";

export function createSigner(pair: KeyPair, kind: SignerKind = "noble"): Signer {
  return kind === "native" ? new NativeSigner(pair) : new NobleSigner(pair);
}
