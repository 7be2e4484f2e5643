// The database schema, as numbered migrations. `migrate` applies the ones a database lacks, in one transaction,
// under an advisory lock (so two replicas starting together do not both migrate); a store refuses to start on a
// database whose schema version is not exactly the one this code was written for (older: run the migration; newer:
// upgrade this code first), so no replica ever reads rows whose meaning it does not know.
//
// Tables (prefix `execlayer_`):
//   schema       one row: the schema version
//   counters     one row per counter cell: (counter, window label, key) -> cell (JSON, engine/counters.ts), NULL
//                until it counts; a decision locks the cells it reads
//   actions      one row per (policy digest, action digest) with an open request: the lock a decision takes on "the
//                request for this action" even when there is none yet (deleted again when it holds no request)
//   requests     approval requests: identity, times, and their history as state-change JSON (the `request` change,
//                then each `approval`, `consume`)
//   chains       one signed receipt chain per store connection (a replica): its origin, key id and public key
//   receipts     (chain, seq) -> the receipt's canonical line
//   checkpoints  (chain, size) -> the signed checkpoint note over the chain's first `size` receipts
//   fleet        one row (version 2): the id of the fleet's redaction key, recorded by the first replica (or
//                `migrate`) that was given one; never the key itself (src/fleet-key.ts says why)
import type { PoolClient } from "pg";

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE execlayer_counters (
  counter text NOT NULL,
  win text NOT NULL,
  key text NOT NULL,
  cell jsonb,
  PRIMARY KEY (counter, win, key)
);
CREATE TABLE execlayer_actions (
  policy_digest text NOT NULL,
  action_digest text NOT NULL,
  request_id text,
  PRIMARY KEY (policy_digest, action_digest)
);
CREATE TABLE execlayer_requests (
  id text PRIMARY KEY,
  policy_digest text NOT NULL,
  action_digest text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  consumed_at bigint,
  history jsonb NOT NULL
);
CREATE INDEX execlayer_requests_open ON execlayer_requests (expires_at) WHERE consumed_at IS NULL;
CREATE TABLE execlayer_chains (
  id text PRIMARY KEY,
  origin text NOT NULL,
  replica text NOT NULL,
  key_id text NOT NULL,
  public_key text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);
CREATE TABLE execlayer_receipts (
  chain text NOT NULL REFERENCES execlayer_chains (id),
  seq bigint NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE TABLE execlayer_checkpoints (
  chain text NOT NULL REFERENCES execlayer_chains (id),
  size bigint NOT NULL,
  note text NOT NULL,
  PRIMARY KEY (chain, size)
);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE execlayer_fleet (
  id int PRIMARY KEY CHECK (id = 1),
  redaction_key_id text NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;

// pg_advisory_xact_lock key for migrations: "xpol" in ASCII
const MIGRATION_LOCK = 0x78706f6c;

/** The database's schema version: 0 when it has none (never migrated). */
export async function schemaVersion(client: PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('execlayer_schema')::text AS t");
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ version: number }>("SELECT version FROM execlayer_schema WHERE id = 1");
  return r.rows[0]?.version ?? 0;
}

export interface MigrateResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly number[];
}

/**
 * Brings the database to SCHEMA_VERSION in one transaction. Throws a `SchemaTooNew` error when the database is
 * ahead of this code (nothing is changed).
 */
export async function migrateWith(client: PoolClient): Promise<MigrateResult> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS execlayer_schema (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())");
    const from = await schemaVersion(client);
    if (from > SCHEMA_VERSION) throw new SchemaTooNew(from);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      applied.push(m.version);
    }
    await client.query(
      "INSERT INTO execlayer_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()",
      [SCHEMA_VERSION],
    );
    await client.query("COMMIT");
    return { from, to: SCHEMA_VERSION, applied };
  } catch (e: unknown) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

export class SchemaTooNew extends Error {
  constructor(readonly found: number) {
    super(`schema version ${found} is newer than this code knows (${SCHEMA_VERSION}): upgrade @execlayer/postgres`);
  }
}

/** Why a store cannot use a database at `version`, or null. */
export function schemaProblem(version: number): string | null {
  if (version === SCHEMA_VERSION) return null;
  if (version === 0) return "it has no ExecLayer schema: run `xpol db migrate --postgres URL` (or connect with `migrate: true`)";
  if (version > SCHEMA_VERSION) return `schema version ${version} is newer than this code knows (${SCHEMA_VERSION}): upgrade @execlayer/postgres`;
  return `schema version ${version} is older than this code's (${SCHEMA_VERSION}): run \`xpol db migrate --postgres URL\``;
}
