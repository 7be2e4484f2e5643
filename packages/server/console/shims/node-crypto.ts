// node:crypto in the browser, for the core modules the console bundles: the same hash functions (@noble/hashes, a
// core dependency) and the browser's random source. OpenSSL key objects do not exist here: `createPublicKey` throws,
// so the core's verifySignature takes its reference path (noble, strict RFC 8032) — the same verdict by design.
import { Buffer } from "buffer";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";

type Algorithm = "sha256" | "sha512";
type Input = string | Uint8Array;

const fns = { sha256, sha512 } as const;
const enc = new TextEncoder();
const bytesOf = (x: Input): Uint8Array => (typeof x === "string" ? enc.encode(x) : x);

function fn(algorithm: string): (typeof fns)[Algorithm] {
  const f = (fns as Record<string, (typeof fns)[Algorithm] | undefined>)[algorithm];
  if (f === undefined) throw new Error(`console: hash ${algorithm} is not available in the browser`);
  return f;
}

function output(digest: Uint8Array, encoding?: string): Uint8Array | string {
  const b = Buffer.from(digest);
  return encoding === undefined || encoding === "buffer" ? b : b.toString(encoding as "hex" | "base64");
}

export function hash(algorithm: string, data: Input, encoding?: string): Uint8Array | string {
  return output(fn(algorithm)(bytesOf(data)), encoding ?? "hex");
}

/** node:crypto's streaming Hash/Hmac surface over a noble hash instance. */
function streaming(h: { update(data: Uint8Array): unknown; digest(): Uint8Array }) {
  const api = {
    update(data: Input) {
      h.update(bytesOf(data));
      return api;
    },
    digest(encoding?: string) {
      return output(h.digest(), encoding);
    },
  };
  return api;
}

export function createHash(algorithm: string) {
  return streaming(fn(algorithm).create());
}

export function createHmac(algorithm: string, key: Uint8Array) {
  return streaming(hmac.create(fn(algorithm), key));
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) throw new RangeError("Input buffers must have the same byte length");
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export function randomBytes(n: number): Uint8Array {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n)));
}

function unavailable(name: string): never {
  throw new Error(`console: node:crypto ${name} is not available in the browser`);
}
export const createPublicKey = (): never => unavailable("createPublicKey");
export const createPrivateKey = (): never => unavailable("createPrivateKey");
export const verify = (): never => unavailable("verify");
export const sign = (): never => unavailable("sign");
export default { hash, createHash, createHmac, timingSafeEqual, randomBytes, createPublicKey, createPrivateKey, verify, sign };
