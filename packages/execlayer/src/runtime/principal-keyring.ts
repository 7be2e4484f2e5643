// The principal keyring: the approver keys of each principal (the end user on whose behalf an agent acts), owned by
// the service, never by the model or the proposal. A group declared `group owner per actor.on_behalf_of` has no
// members in the policy: when a decision requires its approval, the runtime reads the value of that actor field
// (which the caller supplies), asks the keyring for that principal's keys, checks each strictly (an ed25519 point on
// the curve, not of small order), and pins them in the approval request it opens; approvals are then checked against
// the pinned keys only. No keys for the principal: deny (XP5008), with a receipt.
//
// The file form (`DIR/principals.keyring` in a state directory): one `PRINCIPAL ed25519:<64 hex>` per line, `#` starts
// a comment, blank lines are ignored; a principal may have several lines (several devices). A principal is any text
// without whitespace or `#` (`user:42`, `ana@example.com`). The durable store re-reads the file when it changes.
import { statSync } from "node:fs";
import { readUtf8File } from "../diagnostics/file-error.ts";
import type { Result } from "../vocabulary/result.ts";

/** The approver keys of principals, as the service supplies them. */
export interface PrincipalKeyring {
  /** the keys (`ed25519:<64 hex>`) of one principal (empty when it has none), or why they cannot be known */
  keysFor(principal: string): Result<readonly string[], string>;
}

export const PRINCIPAL_KEYRING_FILE = "principals.keyring";

/** A keyring from a plain record or map: principal -> keys (`ed25519:<64 hex>`). Keys are checked when used. */
export function principalKeyring(entries: Readonly<Record<string, readonly string[]>> | ReadonlyMap<string, readonly string[]>): PrincipalKeyring {
  const map = entries instanceof Map ? new Map(entries) : new Map(Object.entries(entries as Record<string, readonly string[]>));
  return { keysFor: (p) => ({ ok: true, value: map.get(p) ?? [] }) };
}

/** Parses the file form (see the file comment); errors name the line. */
export function parsePrincipalKeyring(text: string): Result<PrincipalKeyring, string> {
  const map = new Map<string, string[]>();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i]!.replace(/#.*$/, "").trim();
    if (content === "") continue;
    const m = /^(\S+)\s+(ed25519:\S+)$/.exec(content);
    if (m === null) return { ok: false, error: `line ${i + 1}: expected \`PRINCIPAL ed25519:<64 hex>\`` };
    const keys = map.get(m[1]!) ?? [];
    keys.push(m[2]!);
    map.set(m[1]!, keys);
  }
  return { ok: true, value: principalKeyring(map) };
}

/**
 * The keyring in a file, re-read whenever the file changes (size or modification time), so the service can add
 * principals without a restart. A missing file is an empty keyring; an unreadable or malformed one fails every
 * lookup (a deny), never an empty answer that would look like "no keys".
 */
export function filePrincipalKeyring(file: string): PrincipalKeyring {
  let seen = "";
  let current: Result<PrincipalKeyring, string> = { ok: true, value: principalKeyring({}) };
  return {
    keysFor(principal) {
      let stamp: string;
      try {
        const st = statSync(file);
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch (e: unknown) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, value: [] };
        return { ok: false, error: `cannot read the principal keyring \`${file}\`: ${e instanceof Error ? e.message : String(e)}` };
      }
      if (stamp !== seen) {
        const text = readUtf8File(file);
        current = typeof text === "string" ? parsePrincipalKeyring(text) : { ok: false, error: text.message };
        if (!current.ok) current = { ok: false, error: `principal keyring \`${file}\`: ${current.error}` };
        seen = stamp;
      }
      return current.ok ? current.value.keysFor(principal) : current;
    },
  };
}
