// Signed checkpoints: C2SP tlog-checkpoint note text, signed as a C2SP signed note with Ed25519.
//
//   <origin>\n<tree size, decimal>\n<base64 root>\n          (the note text; it is what gets signed)
//   \n                                                       (blank line)
//   — <key name> <base64(4-byte key id || 64-byte signature)>\n
//
// key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], big-endian; our key name is the origin.
import { bytesEqual, fromBase64, sha256, toBase64, toHex, utf8 } from "./bytes.ts";
import { HASH_SIZE } from "./merkle.ts";
import type { Signer } from "./signer.ts";
import { verifySignature } from "./verify-signature.ts";
import type { Result } from "../vocabulary/result.ts";

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

export type CheckpointResult<T> = Result<T>;

const EM_DASH = "\u2014";
const ED25519_TYPE = 0x01;
// No Unicode spaces, no plus, no control characters (signed-note key names; we use the same rule for origins).
const KEY_NAME = /^[^\s+\u0000-\u001f\u007f]+$/u;

export function isValidKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

/** The 4-byte signed-note key id for an Ed25519 key. */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256(utf8.encode(name), Uint8Array.of(0x0a, ED25519_TYPE), publicKey).subarray(0, 4);
}

/** The verifier key string of golang.org/x/mod/sumdb/note: `name+hexid+base64(0x01 || key)`. */
export function noteVerifierKey(name: string, publicKey: Uint8Array): string {
  const withType = new Uint8Array(33);
  withType[0] = ED25519_TYPE;
  withType.set(publicKey, 1);
  return `${name}+${toHex(noteKeyId(name, publicKey))}+${toBase64(withType)}`;
}

export function checkpointText(cp: Checkpoint): string {
  return `${cp.origin}\n${cp.size}\n${toBase64(cp.root)}\n`;
}

/** A signed note: `text` (must end with a newline) + blank line + one Ed25519 signature line. */
export function signNote(text: string, signer: Signer, keyName: string): string {
  if (!isValidKeyName(keyName)) throw new RangeError(`invalid note key name \`${keyName}\``);
  if (!text.endsWith("\n")) throw new RangeError("note text must end with a newline");
  const sig = signer.sign(utf8.encode(text));
  const blob = new Uint8Array(4 + sig.length);
  blob.set(noteKeyId(keyName, signer.publicKey), 0);
  blob.set(sig, 4);
  return `${text}\n${EM_DASH} ${keyName} ${toBase64(blob)}\n`;
}

/** The full signed note for a checkpoint, signed by `signer` under `keyName` (defaults to the origin). */
export function signCheckpoint(cp: Checkpoint, signer: Signer, keyName: string = cp.origin): string {
  if (!isValidKeyName(cp.origin)) throw new RangeError(`invalid checkpoint origin \`${cp.origin}\``);
  return signNote(checkpointText(cp), signer, keyName);
}

export interface NoteSignature {
  readonly name: string;
  /** the first 4 bytes of the decoded blob */
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

export interface SignedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const MAX_SIGNATURES = 100;

export function parseSignedNote(note: string): CheckpointResult<SignedNote> {
  // Control characters other than newline are forbidden anywhere in a signed note.
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return { ok: false, error: "note contains control characters" };
  if (!note.endsWith("\n")) return { ok: false, error: "note must end with a newline" };
  const split = note.lastIndexOf("\n\n");
  if (split < 0) return { ok: false, error: "note has no blank line before its signatures" };
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split("\n");
  if (sigLines.length > MAX_SIGNATURES) return { ok: false, error: "note has too many signatures" };
  const signatures: NoteSignature[] = [];
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (m === null) return { ok: false, error: `malformed signature line \`${line}\`` };
    const name = m[1] as string;
    const blob = fromBase64(m[2] as string);
    if (!isValidKeyName(name) || blob === null || blob.length < 5) {
      return { ok: false, error: `malformed signature line \`${line}\`` };
    }
    signatures.push({ name, keyId: blob.subarray(0, 4), signature: blob.subarray(4) });
  }
  return { ok: true, value: { text, signatures } };
}

export function parseCheckpointText(text: string): CheckpointResult<Checkpoint> {
  const lines = text.split("\n");
  // text ends with "\n", so the last element is "".
  if (lines.length < 4 || lines[lines.length - 1] !== "") return { ok: false, error: "checkpoint needs origin, size and root lines" };
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === "" || !isValidKeyName(origin)) return { ok: false, error: "checkpoint origin is empty or invalid" };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) return { ok: false, error: `checkpoint size \`${sizeText}\` is not a decimal number` };
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return { ok: false, error: `checkpoint size \`${sizeText}\` is too large` };
  const root = fromBase64(rootText);
  if (root === null || root.length !== HASH_SIZE) return { ok: false, error: "checkpoint root is not base64 of 32 bytes" };
  for (const ext of lines.slice(3, -1)) if (ext === "") return { ok: false, error: "checkpoint has an empty extension line" };
  return { ok: true, value: { origin, size, root } };
}

/**
 * Verifies a signed checkpoint against one trusted key: at least one signature must be by that key (name and key
 * id both match) and every such signature must verify; signatures by other keys are ignored (signed-note rules).
 */
export function verifyCheckpoint(note: string, publicKey: Uint8Array, keyName?: string): CheckpointResult<Checkpoint> {
  const parsed = parseSignedNote(note);
  if (!parsed.ok) return parsed;
  const cp = parseCheckpointText(parsed.value.text);
  if (!cp.ok) return cp;
  const name = keyName ?? cp.value.origin;
  const id = noteKeyId(name, publicKey);
  const message = utf8.encode(parsed.value.text);
  let verified = 0;
  for (const s of parsed.value.signatures) {
    if (s.name !== name || !bytesEqual(s.keyId, id)) continue;
    if (!verifySignature(publicKey, message, s.signature)) return { ok: false, error: "checkpoint signature does not verify" };
    verified++;
  }
  if (verified === 0) return { ok: false, error: `checkpoint is not signed by key \`${name}\` with the given public key` };
  return cp;
}
