import { test as fcTest, fc } from "@fast-check/vitest";
import { createHash, createPublicKey, verify as opensslVerify } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sha512 } from "@noble/hashes/sha2.js";
import { describe, expect, test } from "vitest";
import { fromHex, toHex } from "../../src/receipts/bytes.ts";
import {
  formatPrivateKeyFile,
  keyIdOf,
  keyPairFromSeed,
  parsePrivateKeyFile,
  parsePublicKey,
  readPrivateKeyFile,
  resolvePublicKey,
  writeKeyFiles,
} from "../../src/receipts/keys.ts";
import { ed } from "../../src/receipts/noble.ts";
import { NativeSigner, NobleSigner } from "../../src/index.ts";
import { fastPathEligible, verifySignature, verifySignatureReference } from "../../src/receipts/verify-signature.ts";
import { tempDir, vectorsDir } from "./helpers.ts";

const hex = (h: string): Uint8Array => fromHex(h) as Uint8Array;

interface Rfc8032Vector {
  priv: string;
  pub: string;
  msg: string;
  sig: string;
}
const rfc8032 = JSON.parse(readFileSync(path.join(vectorsDir, "rfc8032-ed25519.json"), "utf8")) as Rfc8032Vector[];

describe("RFC 8032 vectors", () => {
  test("there are vectors", () => expect(rfc8032.length).toBeGreaterThanOrEqual(4));

  test.each(rfc8032.map((v, i) => [i, v] as const))("vector %i: both signers reproduce the signature, verification accepts it", (_i, v) => {
    const pair = keyPairFromSeed(hex(v.priv));
    expect(toHex(pair.publicKey)).toBe(v.pub);
    const msg = hex(v.msg);
    expect(toHex(new NobleSigner(pair).sign(msg))).toBe(v.sig);
    expect(toHex(new NativeSigner(pair).sign(msg))).toBe(v.sig);
    expect(verifySignature(hex(v.pub), msg, hex(v.sig))).toBe(true);
    expect(verifySignatureReference(hex(v.pub), msg, hex(v.sig))).toBe(true);
    const flipped = hex(v.sig);
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(verifySignature(hex(v.pub), msg, flipped)).toBe(false);
  });
});

describe("signers", () => {
  fcTest.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 })], { numRuns: 40 })(
    "noble and native signers give byte-identical signatures",
    (seed, msg) => {
      const pair = keyPairFromSeed(seed);
      const a = new NobleSigner(pair);
      const b = new NativeSigner(pair);
      expect(a.keyId).toBe(b.keyId);
      expect(a.publicKey).toEqual(b.publicKey);
      expect(toHex(b.sign(msg))).toBe(toHex(a.sign(msg)));
    },
  );

  fcTest.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2000 })], { numRuns: 40 })(
    "NobleSigner (expanded key derived once) gives the bytes of noble's own ed.sign",
    (seed, msg) => {
      const signer = new NobleSigner(keyPairFromSeed(seed));
      expect(toHex(signer.publicKey)).toBe(toHex(ed.getPublicKey(seed)));
      expect(toHex(signer.sign(msg))).toBe(toHex(ed.sign(msg, seed)));
      // a second signature with the same signer: no state leaks between calls
      expect(toHex(signer.sign(msg))).toBe(toHex(ed.sign(msg, seed)));
    },
  );

  fcTest.prop([fc.uint8Array({ maxLength: 3000 })], { numRuns: 60 })("noble's configured SHA-512 (node:crypto) is @noble/hashes' sha512", (msg) => {
    const configured = ed.hashes.sha512;
    expect(configured).toBeDefined();
    expect(toHex(configured!(msg))).toBe(toHex(sha512(msg)));
  });

  test("key id is ed25519: + 16 hex of sha256(public key)", () => {
    const pair = keyPairFromSeed(hex(rfc8032[0]!.priv));
    expect(keyIdOf(pair.publicKey)).toMatch(/^ed25519:[0-9a-f]{16}$/);
    expect(keyIdOf(pair.publicKey)).toBe("ed25519:" + createHash("sha256").update(pair.publicKey).digest("hex").slice(0, 16));
  });
});

describe("key files", () => {
  test("keygen files: 0600 private key, public key text, round trip", async () => {
    const dir = tempDir();
    const pair = keyPairFromSeed(hex(rfc8032[1]!.priv));
    const { keyFile, pubFile } = await writeKeyFiles(path.join(dir, "k"), pair);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(pubFile, "utf8")).toBe(`ed25519:${rfc8032[1]!.pub}\n`);
    const back = await readPrivateKeyFile(keyFile);
    expect(back.ok && toHex(back.value.publicKey)).toBe(rfc8032[1]!.pub);
    const pub = await resolvePublicKey("k.pub", dir);
    expect(pub.ok && toHex(pub.value)).toBe(rfc8032[1]!.pub);
    await expect(writeKeyFiles(path.join(dir, "k"), pair)).rejects.toThrow(); // never overwrites a key
  });

  test("malformed keys are errors, not exceptions", () => {
    expect(parsePublicKey("ed25519:abc").ok).toBe(false);
    expect(parsePublicKey("ed25519:" + "A".repeat(64)).ok).toBe(false);
    expect(parsePublicKey("x25519:" + "a".repeat(64)).ok).toBe(false);
    expect(parsePrivateKeyFile("{").ok).toBe(false);
    expect(parsePrivateKeyFile('{"kind":"ed25519-private","seed":"00"}').ok).toBe(false);
    const pair = keyPairFromSeed(hex(rfc8032[0]!.priv));
    const wrongPub = formatPrivateKeyFile(pair).replace(rfc8032[0]!.pub, rfc8032[1]!.pub);
    expect(parsePrivateKeyFile(wrongPub)).toEqual({ ok: false, error: "`public` does not match the key derived from `seed`" });
    expect(parsePrivateKeyFile(formatPrivateKeyFile(pair)).ok).toBe(true);
  });
});

// ---- verifySignature agrees with strict noble on every input ----------------------------------------------------

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const le = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const fromLe = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const cat = (...xs: Uint8Array[]): Uint8Array => ed.etc.concatBytes(...xs);
const challenge = (R: Uint8Array, A: Uint8Array, msg: Uint8Array): bigint => fromLe(sha512(cat(R, A, msg))) % L;

/** The 8 small-order points, canonically encoded (from "Taming the many EdDSAs" / libsodium's blocklist). */
const SMALL_ORDER = [
  "0100000000000000000000000000000000000000000000000000000000000000", // identity
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
].map(hex);

/** Signs with an arbitrary scalar `a` for public point A (which may carry torsion) and nonce point R = rB + T. */
function forge(a: bigint, A: InstanceType<typeof ed.Point>, r: bigint, rTorsion: InstanceType<typeof ed.Point> | null, msg: Uint8Array) {
  const Rpt = rTorsion === null ? ed.Point.BASE.multiply(r) : ed.Point.BASE.multiply(r).add(rTorsion);
  const Rb = Rpt.toBytes();
  const Ab = A.toBytes();
  const k = challenge(Rb, Ab, msg);
  const S = (r + k * a) % L;
  return { pub: Ab, sig: cat(Rb, le(S)) };
}

/** What OpenSSL alone answers (the fast path without its guards). */
function openssl(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pub]), format: "der", type: "spki" });
  return opensslVerify(null, msg, key, sig);
}

function agree(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const fast = verifySignature(pub, msg, sig);
  expect(fast).toBe(verifySignatureReference(pub, msg, sig));
  return fast;
}

describe("verifySignature = strict RFC 8032 (noble, zip215: false)", () => {
  const pair = keyPairFromSeed(hex(rfc8032[2]!.priv));
  const msg = new TextEncoder().encode("receipt");
  const good = new NativeSigner(pair).sign(msg);
  const T8 = ed.Point.fromBytes(SMALL_ORDER[4] as Uint8Array);

  test("wrong lengths and types give false, never throw", () => {
    expect(verifySignature(pair.publicKey.subarray(0, 31), msg, good)).toBe(false);
    expect(verifySignature(pair.publicKey, msg, good.subarray(0, 63))).toBe(false);
    expect(verifySignature(pair.publicKey, msg, cat(good, new Uint8Array(1)))).toBe(false);
    expect(verifySignature(null as unknown as Uint8Array, msg, good)).toBe(false);
    expect(verifySignature(pair.publicKey, "receipt" as unknown as Uint8Array, good)).toBe(false);
    expect(verifySignature(pair.publicKey, msg, good)).toBe(true);
  });

  test("small-order public keys are rejected (OpenSSL alone would accept a forgery for the identity key)", () => {
    for (const A of SMALL_ORDER) {
      expect(fastPathEligible(A)).toBe(false);
      // R = S·B with S arbitrary: for the identity key, R = SB − k·A holds cofactorless for any message.
      const S = 12345n;
      const forged = cat(ed.Point.BASE.multiply(S).toBytes(), le(S));
      expect(agree(A, msg, forged)).toBe(false);
      if (A === SMALL_ORDER[0]) expect(openssl(A, msg, forged)).toBe(true); // the difference the guard exists for
      expect(agree(A, msg, cat(A, new Uint8Array(32)))).toBe(false);
    }
  });

  test("non-canonical encodings of A (y >= p, and x = 0 with the sign bit) are rejected", () => {
    const y = fromLe(pair.publicKey) & ((1n << 255n) - 1n);
    const sign = pair.publicKey[31]! & 0x80;
    const cases: Uint8Array[] = [];
    if (y + P < 2n ** 255n) {
      const b = le(y + P);
      b[31] = b[31]! | sign;
      cases.push(b);
    }
    cases.push(le(P), le(P + 1n), le(2n ** 255n - 1n)); // y = p, y = p + 1 (≡ identity), all ones
    const negZero = le(1n);
    negZero[31] = 0x80; // identity with x "negative"
    cases.push(negZero);
    for (const A of cases) {
      expect(fastPathEligible(A)).toBe(false);
      expect(agree(A, msg, good)).toBe(false);
    }
  });

  test("non-canonical R and S >= L are rejected", () => {
    const S = fromLe(good.subarray(32));
    if (S + L < 2n ** 256n) expect(agree(pair.publicKey, msg, cat(good.subarray(0, 32), le(S + L)))).toBe(false);
    expect(agree(pair.publicKey, msg, cat(good.subarray(0, 32), le(L)))).toBe(false);
    const R = fromLe(good.subarray(0, 32)) & ((1n << 255n) - 1n);
    if (R + P < 2n ** 255n) {
      const nonCanonR = le(R + P);
      nonCanonR[31] = nonCanonR[31]! | (good[31]! & 0x80);
      expect(agree(pair.publicKey, msg, cat(nonCanonR, good.subarray(32)))).toBe(false);
    }
    // R = the identity with the sign bit set
    const negZero = le(1n);
    negZero[31] = 0x80;
    expect(agree(pair.publicKey, msg, cat(negZero, good.subarray(32)))).toBe(false);
  });

  test("mixed-order A: cofactored verification accepts what OpenSSL's cofactorless check rejects; we answer like noble", () => {
    const a = 0x1234567890abcdefn;
    const A = ed.Point.BASE.multiply(a).add(T8);
    expect(fastPathEligible(A.toBytes())).toBe(true); // not small order, canonical: OpenSSL may answer "valid"
    let accepted = 0;
    let opensslRejected = 0;
    for (let i = 0; i < 8; i++) {
      const m = new TextEncoder().encode(`mixed A ${i}`);
      const { pub, sig } = forge(a, A, 1000n + BigInt(i), null, m);
      if (agree(pub, m, sig)) accepted++;
      if (!openssl(pub, m, sig)) opensslRejected++;
    }
    expect(accepted).toBe(8); // noble (cofactored) accepts all of them
    expect(opensslRejected).toBeGreaterThan(0); // so the fallback to noble is what made them pass
  });

  test("mixed-order R: likewise", () => {
    const a = 987654321n;
    const A = ed.Point.BASE.multiply(a);
    for (let i = 0; i < 4; i++) {
      const m = new TextEncoder().encode(`mixed R ${i}`);
      const { pub, sig } = forge(a, A, 77n + BigInt(i), T8, m);
      expect(agree(pub, m, sig)).toBe(true);
      expect(openssl(pub, m, sig)).toBe(false); // R ≠ SB − kA exactly: cofactorless rejects
    }
  });

  test("small-order R with a valid key: agreement either way", () => {
    for (const R of SMALL_ORDER) agree(pair.publicKey, msg, cat(R, good.subarray(32)));
  });

  fcTest.prop(
    [
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.oneof(
        fc.constant({ kind: "valid" as const }),
        fc.record({ kind: fc.constant("flip" as const), where: fc.constantFrom("sig", "msg", "pub"), bit: fc.nat(1023) }),
        fc.record({ kind: fc.constant("random" as const), sig: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
        fc.record({ kind: fc.constant("randomKey" as const), pub: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      ),
    ],
    { numRuns: 80 },
  )("agrees with noble on random valid and invalid inputs", (seed, msg, mutation) => {
    const p = keyPairFromSeed(seed);
    let pub = p.publicKey.slice();
    let m = msg.slice();
    let sig = new NobleSigner(p).sign(msg);
    if (mutation.kind === "flip") {
      const target = mutation.where === "sig" ? sig : mutation.where === "pub" ? pub : m;
      if (target.length > 0) {
        const bit = mutation.bit % (target.length * 8);
        target[bit >> 3] = target[bit >> 3]! ^ (1 << (bit & 7));
      }
    } else if (mutation.kind === "random") {
      sig = mutation.sig;
    } else if (mutation.kind === "randomKey") {
      pub = mutation.pub;
    }
    const v = agree(pub, m, sig);
    if (mutation.kind === "valid") expect(v).toBe(true);
  });
});
