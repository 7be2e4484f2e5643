// Approver keys: `ed25519:<64 hex>` strings and keyring files. A key must decode to a point on the curve; a
// small-order point is refused too, since signatures under it prove nothing about who signed.
import { Point } from "@noble/ed25519";
import type { Result } from "../vocabulary/result.ts";

export interface DecodedKey {
  /** `ed25519:<64 lowercase hex>` */
  readonly text: string;
  /** the 32-byte public key */
  readonly bytes: Uint8Array;
}

const KEY_FORMAT = /^ed25519:([0-9a-fA-F]{64})$/;

export function decodeApproverKey(text: string): Result<DecodedKey> {
  const m = KEY_FORMAT.exec(text);
  if (m === null) {
    if (!text.startsWith("ed25519:")) return { ok: false, error: "it does not start with `ed25519:`" };
    const hex = text.slice("ed25519:".length);
    if (/[^0-9a-fA-F]/.test(hex)) return { ok: false, error: "it contains characters that are not hexadecimal digits" };
    return { ok: false, error: `it has ${hex.length} hex digits, expected 64` };
  }
  const hex = m[1]!.toLowerCase();
  let point: Point;
  try {
    point = Point.fromHex(hex);
  } catch {
    return { ok: false, error: "it does not decode to a point on the ed25519 curve" };
  }
  if (point.isSmallOrder()) return { ok: false, error: "it is a small-order point, which any signature would satisfy" };
  return { ok: true, value: { text: `ed25519:${hex}`, bytes: point.toBytes() } };
}

export interface KeyringEntry {
  readonly name: string;
  readonly key: string;
  /** 1-based line number */
  readonly line: number;
  /** offsets of the name and of the key in the keyring text */
  readonly nameStart: number;
  readonly keyStart: number;
}

export interface KeyringLineError {
  readonly line: number;
  readonly text: string;
}

/** One `name ed25519:hex` per line; `#` starts a comment; blank lines are ignored. */
export function parseKeyring(text: string): { entries: KeyringEntry[]; errors: KeyringLineError[] } {
  const entries: KeyringEntry[] = [];
  const errors: KeyringLineError[] = [];
  let offset = 0;
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf("#");
    const content = hash >= 0 ? raw.slice(0, hash) : raw;
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_.-]*)(\s+)(\S+)\s*$/.exec(content);
    if (m !== null) {
      const nameStart = offset + m[1]!.length;
      entries.push({ name: m[2]!, key: m[4]!, line: i + 1, nameStart, keyStart: nameStart + m[2]!.length + m[3]!.length });
    } else if (content.trim() !== "") {
      errors.push({ line: i + 1, text: content.trim() });
    }
    offset += raw.length + (text.startsWith("\r\n", offset + raw.length) ? 2 : 1);
  }
  return { entries, errors };
}
