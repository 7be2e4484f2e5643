// Bearer tokens with roles, from a file of hashed tokens: the service never holds a token itself, only its SHA-256.
// A presented token is hashed and compared with every entry in constant time (timingSafeEqual over equal-length
// digests, no early exit), so neither timing nor the file reveals a token. The token only admits a request: an
// approval is authorized by its Ed25519 signature alone.
//
// File format (JSON):
//   { "tokens": [ { "name": "invoice-agent", "sha256": "<64 hex of sha256(token)>", "roles": ["agent"] }, ... ] }
// An entry may add `"reveal_sensitive": true`: its caller sees the @sensitive values of open requests (reveal.ts).
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

export const ROLES = ["agent", "approver", "auditor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  readonly name: string;
  readonly hash: Buffer;
  readonly roles: readonly Role[];
  readonly revealSensitive?: boolean;
}

export interface Caller {
  readonly name: string;
  readonly roles: readonly Role[];
  /** sees @sensitive values of open requests (only ever by a token that says so) */
  readonly revealSensitive: boolean;
}

/** Without a tokens file (loopback only): every caller has every role, but sees no @sensitive value. */
export const LOCAL_CALLER: Caller = { name: "local", roles: ROLES, revealSensitive: false };

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Reads and checks a tokens file; the error says what is wrong with it. */
export function readTokensFile(file: string): { ok: true; value: TokenEntry[] } | { ok: false; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e: unknown) {
    return { ok: false, error: `cannot read tokens file \`${file}\`: ${e instanceof Error ? e.message : String(e)}` };
  }
  const list = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as { tokens?: unknown }).tokens : undefined;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, error: `tokens file \`${file}\` must be {"tokens": [ ... ]} with at least one entry` };
  const out: TokenEntry[] = [];
  for (const [i, t] of list.entries()) {
    const where = `tokens file \`${file}\`, entry ${i}`;
    if (typeof t !== "object" || t === null) return { ok: false, error: `${where}: not an object` };
    const { name, sha256, roles, reveal_sensitive } = t as { name?: unknown; sha256?: unknown; roles?: unknown; reveal_sensitive?: unknown };
    if (typeof name !== "string" || name === "") return { ok: false, error: `${where}: \`name\` must be a non-empty string` };
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) return { ok: false, error: `${where}: \`sha256\` must be 64 lowercase hex digits (sha256 of the token)` };
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r): r is Role => (ROLES as readonly unknown[]).includes(r))) {
      return { ok: false, error: `${where}: \`roles\` must be a non-empty list of ${ROLES.join(", ")}` };
    }
    if (reveal_sensitive !== undefined && typeof reveal_sensitive !== "boolean") return { ok: false, error: `${where}: \`reveal_sensitive\` must be true or false` };
    out.push({ name, hash: Buffer.from(sha256, "hex"), roles, ...(reveal_sensitive === true ? { revealSensitive: true } : {}) });
  }
  return { ok: true, value: out };
}

/** The caller a bearer token names, or null. Compares against every entry, always. */
export function authenticate(entries: readonly TokenEntry[], token: string): Caller | null {
  const presented = createHash("sha256").update(token, "utf8").digest();
  let found: TokenEntry | null = null;
  for (const e of entries) {
    if (timingSafeEqual(presented, e.hash) && found === null) found = e;
  }
  return found === null ? null : { name: found.name, roles: found.roles, revealSensitive: found.revealSensitive === true };
}

/** The bearer token of an Authorization header, or null. */
export function bearerOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

/** True for an address that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}
