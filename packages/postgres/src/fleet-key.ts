// The fleet's redaction key. Every replica on one database must commit `@sensitive` values under the same key: an
// action's digest, which keys its approval request, is taken over the committed form, so under two keys one action
// has two digests and a request opened on one replica is never found on another (the agent's retry there opens a
// second request, and the approvers' quorum on the first never lets the action run).
//
// The key reaches every replica as a secret file, like the replicas' signing keys (`redactionKey`, `--redaction-key
// FILE`). The database records only its id (`execlayer_fleet`: HMAC of a fixed label under the key, which reveals
// nothing of it), written by the first replica given a key or by `migrate` given one. A replica given another key is
// refused at connect (XP5026), and an Enforcer over a store connected without the key, or with a key of its own, is
// refused when it is created (`checkRedactionKey`): a fleet decides under one key or not at all, never under two.
//
// Why not the key itself in the database, readable by the fleet's role only: the receipts, with the commitments, are
// in that database. Whoever reads it (a DBA, a superuser, a backup, a read replica, a dump sent to support) would hold
// the commitments and the key together and could confirm guesses of a sensitive value (an account number, an
// e-mail address) by computing the candidates' commitments: the attack the key exists to prevent. Grants do not hold
// against superusers, backups or replicas, and a key in the database is copied into every backup for good. So the key
// stays with the replicas and with whoever checks values (`xpol check-value`); the database only names it.
import type { PoolClient } from "pg";

export interface FleetKey {
  /** `hmac-sha256:<16 hex>`: the key's id (RedactionKey.keyId) */
  readonly id: string;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

/** The fleet's redaction key as recorded, or null when no replica was given one yet. */
export async function fleetKey(client: PoolClient): Promise<FleetKey | null> {
  const r = await client.query<{ redaction_key_id: string; recorded_by: string; recorded_at: Date }>(
    "SELECT redaction_key_id, recorded_by, recorded_at FROM execlayer_fleet WHERE id = 1",
  );
  const row = r.rows[0];
  return row === undefined ? null : { id: row.redaction_key_id, recordedBy: row.recorded_by, recordedAt: row.recorded_at.toISOString() };
}

/**
 * Records `keyId` as the fleet's key unless one is recorded; returns the fleet's key (this one, or the one recorded
 * before: the caller compares). Two replicas starting at once: the second insert waits for the first and does
 * nothing, and its read (a new statement) sees the first one's row.
 */
export async function recordFleetKey(client: PoolClient, keyId: string, by: string): Promise<FleetKey> {
  await client.query("INSERT INTO execlayer_fleet (id, redaction_key_id, recorded_by) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING", [keyId, by]);
  const k = await fleetKey(client);
  if (k === null) throw new Error("the fleet's redaction key does not read back after it was recorded");
  return k;
}

/** Why a replica given `keyId` cannot join a fleet whose key is `fleet`. */
export function keyMismatch(keyId: string, fleet: FleetKey): string {
  return (
    `its key is ${keyId}, the fleet's is ${fleet.id} (recorded by ${fleet.recordedBy} at ${fleet.recordedAt}): under another key an ` +
    "action with @sensitive values gets another digest than on the other replicas, and their approval requests would not be found here. " +
    "Give every replica the same key file"
  );
}

/** Why an Enforcer cannot decide over a store connected without a redaction key. */
export function keyMissing(fleet: FleetKey | null): string {
  return (
    `the store was connected without the fleet's redaction key${fleet === null ? " (none is recorded yet)" : ` (${fleet.id})`}: an Enforcer would make ` +
    "one of its own, and its digests of actions with @sensitive values would match no other replica's. Give every replica the same key " +
    "(PostgresStore.connect(url, { redactionKey }), or `--redaction-key FILE`; `xpol keygen --redaction-key FILE` makes one)"
  );
}
