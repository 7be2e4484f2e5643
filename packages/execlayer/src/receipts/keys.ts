// Ed25519 key material: generation, the key id, and the key file formats.
//
// Private key file (`NAME.key`, mode 0600), one JSON object:
//   {"kind":"ed25519-private","public":"ed25519:<64 hex>","seed":"<64 hex>"}
// Public key text (`NAME.pub`, and everywhere a key is written down): `ed25519:<64 lowercase hex>` + "\n".
// Key id: `ed25519:` + the first 16 hex digits (8 bytes) of SHA-256(32-byte public key). It names the key in
// receipts (`signer`); it is a hint, never trusted: verification always uses the public key the auditor supplies.
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fromHex, sha256, toHex } from "./bytes.ts";
import { ed } from "./noble.ts";

export const PUBLIC_KEY_PREFIX = "ed25519:";

export interface KeyPair {
  /** the 32-byte RFC 8032 private key (seed) */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** `unreadable`: the key file could not be read (as opposed to read and found malformed). */
export type KeyResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly unreadable?: true };

export function generateKeyPair(): KeyPair {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, publicKey: ed.getPublicKey(seed) };
}

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (seed.length !== 32) throw new RangeError(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  return { seed: seed.slice(), publicKey: ed.getPublicKey(seed) };
}

/** `ed25519:<first 16 hex of sha256(public key)>` */
export function keyIdOf(publicKey: Uint8Array): string {
  return PUBLIC_KEY_PREFIX + toHex(sha256(publicKey)).slice(0, 16);
}

export function formatPublicKey(publicKey: Uint8Array): string {
  return PUBLIC_KEY_PREFIX + toHex(publicKey);
}

/** Parses `ed25519:<64 hex>` (surrounding whitespace allowed, so a `.pub` file's text can be passed as is). */
export function parsePublicKey(text: string): KeyResult<Uint8Array> {
  const t = text.trim();
  if (!t.startsWith(PUBLIC_KEY_PREFIX)) return { ok: false, error: "public key must start with `ed25519:`" };
  const bytes = fromHex(t.slice(PUBLIC_KEY_PREFIX.length));
  if (bytes === null || bytes.length !== 32) {
    return { ok: false, error: "public key must be `ed25519:` followed by 64 lowercase hex digits" };
  }
  return { ok: true, value: bytes };
}

export function formatPrivateKeyFile(pair: KeyPair): string {
  // Keys in sorted order: the file is its own canonical form.
  return JSON.stringify({ kind: "ed25519-private", public: formatPublicKey(pair.publicKey), seed: toHex(pair.seed) }) + "\n";
}

export function parsePrivateKeyFile(text: string): KeyResult<KeyPair> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: "private key file is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, error: "private key file must hold a JSON object" };
  }
  const o = data as Record<string, unknown>;
  if (o["kind"] !== "ed25519-private") return { ok: false, error: "private key file must have `kind: \"ed25519-private\"`" };
  const seed = typeof o["seed"] === "string" ? fromHex(o["seed"]) : null;
  if (seed === null || seed.length !== 32) return { ok: false, error: "`seed` must be 64 lowercase hex digits" };
  const pair = keyPairFromSeed(seed);
  if (o["public"] !== undefined) {
    if (typeof o["public"] !== "string") return { ok: false, error: "`public` must be a string" };
    const pub = parsePublicKey(o["public"]);
    if (!pub.ok) return pub;
    if (toHex(pub.value) !== toHex(pair.publicKey)) {
      return { ok: false, error: "`public` does not match the key derived from `seed`" };
    }
  }
  return { ok: true, value: pair };
}

/** Writes `base.key` (0600, never overwriting an existing file) and `base.pub`. */
export async function writeKeyFiles(base: string, pair: KeyPair): Promise<{ keyFile: string; pubFile: string }> {
  const keyFile = `${base}.key`;
  const pubFile = `${base}.pub`;
  await writeSecretFile(keyFile, formatPrivateKeyFile(pair));
  await fs.writeFile(pubFile, formatPublicKey(pair.publicKey) + "\n", { flag: "wx", mode: 0o644 });
  return { keyFile, pubFile };
}

export async function readPrivateKeyFile(file: string): Promise<KeyResult<KeyPair>> {
  return readKeyFile(file, parsePrivateKeyFile);
}

/** Reads a key file and parses it; a file that cannot be read says so (`unreadable`). */
export async function readKeyFile<T>(file: string, parse: (text: string) => KeyResult<T>): Promise<KeyResult<T>> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e: unknown) {
    return { ok: false, error: `cannot read \`${file}\`: ${e instanceof Error ? e.message : String(e)}`, unreadable: true };
  }
  return parse(text);
}

/** Writes a secret (a private key file): synced, and refusing to overwrite one. */
export async function writeSecretFile(file: string, text: string): Promise<void> {
  // "wx": refuse to clobber a key; mode applies at creation, so the secret is never world-readable.
  const handle = await fs.open(file, "wx", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A public key given either inline (`ed25519:<hex>`) or as the path of a `.pub` file. */
export async function resolvePublicKey(spec: string, cwd: string): Promise<KeyResult<Uint8Array>> {
  if (spec.startsWith(PUBLIC_KEY_PREFIX)) return parsePublicKey(spec);
  let text: string;
  try {
    text = await fs.readFile(path.resolve(cwd, spec), "utf8");
  } catch (e: unknown) {
    return { ok: false, error: `cannot read \`${spec}\`: ${e instanceof Error ? e.message : String(e)}`, unreadable: true };
  }
  const parsed = parsePublicKey(text);
  return parsed.ok ? parsed : { ok: false, error: `\`${spec}\`: ${parsed.error}` };
}
