// PostgresStore: the runtime's state store in PostgreSQL, shared by many replicas (processes, machines) so counters
// stay exact fleet-wide and an approved action runs once in the whole fleet.
//
// Concurrency: row locks on exactly the rows a decision reads (the TxScope read set), READ COMMITTED. One database
// transaction locks, in a fixed global order (actions, then requests, then counters; each sorted), the union of the
// read sets of a batch of the runtime's transactions, loads those rows into the runtime's own state (StateBatch),
// runs each transaction's body against it in order, exactly as the in-process stores do, and writes back the rows
// that changed with one receipt per transaction, then commits. A lock on a row that does not exist yet (a counter
// that never counted, an action without a request) is taken by inserting it (INSERT ... ON CONFLICT DO UPDATE,
// which waits for and returns the latest committed row). Replicas deciding on the same counter serialize on its row;
// within a replica, the decisions that arrive while a batch is in flight form the next batch (group commit), so the
// lock is taken once per batch, not once per decision. The global lock order rules out deadlocks between batches;
// serialization failures and deadlocks (40001, 40P01) that happen anyway are retried, at most `maxRetries` times.
//
// Failure: any error (a broken connection, a stopped server, a statement timeout) rolls the batch back and every
// transaction in it is answered `{ ok: false }` with XP5004, which the runtime turns into a deny: nothing it did is
// applied. When the error comes from COMMIT itself, the outcome on the server is unknown (it may have committed):
// the answer is still a deny (fail closed; at worst a counter counted an action that was denied), and this replica's
// receipt chain is ended there and a new one started, so no chain ever has a gap or a fork.
//
// Receipts: one signed hash chain per store connection (README, "Receipts in a fleet").
import { Pool, type PoolClient, type PoolConfig } from "pg";
import * as os from "node:os";
import { randomBytes } from "node:crypto";
import {
  createSigner,
  SigningPool,
  databaseStoreError,
  formatPublicKey,
  generateKeyPair,
  ReceiptChain,
  StateBatch,
  storeRefusal,
  StoreError,
  type JsonValue,
  type Receipt,
  type RedactionKey,
  type Result,
  type RequestSnapshot,
  type Signer,
  type StateStore,
  type StateView,
  type StoreFailure,
  type TxOutcome,
  type TxScope,
  type TxStep,
  windowLabel,
} from "execlayer";
import { migrateWith, schemaProblem, schemaVersion, SchemaTooNew, type MigrateResult } from "./schema.ts";
import { fleetKey, keyMismatch, keyMissing, recordFleetKey, type FleetKey } from "./fleet-key.ts";

export interface PostgresStoreOptions {
  /** signs this connection's receipt chain; default: a fresh Ed25519 key held in memory only (its public key is
   * registered with the chain). Give your replica's key so auditors can hold the chain to it. */
  readonly signer?: Signer;
  /** with the default key: sign each batch's receipts on this many worker threads (SigningPool); default 0 */
  readonly signingThreads?: number;
  /**
   * the fleet's redaction key: `@sensitive` values are committed under it (the Enforcer over this store uses it), and
   * every replica of the fleet must be given the same one (a secret file: `readRedactionKeyFile`). Its id is recorded
   * in the database by the first replica given a key; a replica given another is refused at connect (XP5026), and
   * so is an Enforcer over a store connected without one (src/fleet-key.ts). Approving, listing and auditing need none.
   */
  readonly redactionKey?: RedactionKey;
  /** false: keep no receipts (the store is not journaled; decisions carry no receipt). Default true. */
  readonly receipts?: boolean;
  /** a name for this replica, recorded with its chains; default the host name */
  readonly replica?: string;
  /** a checkpoint every this many receipts of the chain (and on close); default 1000 */
  readonly checkpointEvery?: number;
  /** connections in the pool; default 4 */
  readonly poolSize?: number;
  /** server-side statement timeout, and the client's wait for any answer; default 5000 ms */
  readonly statementTimeoutMs?: number;
  /** wait for a connection; default 5000 ms */
  readonly connectTimeoutMs?: number;
  /** retries of a batch after a serialization failure or deadlock; default 5 */
  readonly maxRetries?: number;
  /** transactions per database transaction at most; default 512 */
  readonly maxBatch?: number;
  /** apply missing migrations at connect instead of refusing the database; default false */
  readonly migrate?: boolean;
  /** extra pg pool settings (ssl, application_name, ...) */
  readonly pg?: Omit<PoolConfig, "connectionString">;
}

/** What the store did, for measurement. */
export interface PostgresStoreStats {
  /** database transactions committed */
  readonly batches: number;
  /** runtime transactions answered */
  readonly transactions: number;
  /** batches retried after 40001 / 40P01 */
  readonly retries: number;
  /** batches that failed (their transactions denied) */
  readonly failures: number;
  /** chains started by this store (more than one after a failed commit) */
  readonly chains: number;
}

interface Pending {
  readonly scope: TxScope;
  readonly body: (view: StateView) => TxStep<unknown>;
  readonly resolve: (o: TxOutcome<unknown, Receipt>) => void;
}

const RETRYABLE = new Set(["40001", "40P01"]);

/** The database named without its password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(a connection string that is not a URL)";
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? `${e.message} (SQLSTATE ${code})` : e.message;
  }
  return String(e);
}

/** The server's SQLSTATE of an error, or undefined when the error is not the server's answer. */
function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64) || "replica";
}

/** Creates the pool the store and the commands use: timeouts on the server and the client, errors of idle clients kept. */
export function createPool(url: string, options: PostgresStoreOptions = {}): Pool {
  const timeout = options.statementTimeoutMs ?? 5000;
  const pool = new Pool({
    application_name: "execlayer",
    ...options.pg,
    connectionString: url,
    max: options.poolSize ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: timeout,
    lock_timeout: timeout,
    idle_in_transaction_session_timeout: Math.max(timeout * 2, 10_000),
    // the client's own limit: a server that stops answering (not only one that closes the socket)
    query_timeout: timeout + 1000,
  });
  // An idle client whose server went away emits an error; the pool drops it. Without a listener it would crash the
  // process; the next transaction then fails (deny) or reconnects.
  pool.on("error", () => undefined);
  // The same for a client in use (a batch in flight): its query rejects with the error, which denies the batch.
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

export class PostgresStore implements StateStore<Receipt> {
  readonly kind = "postgres";
  readonly journaled: boolean;
  /** the database, without its password */
  readonly target: string;
  readonly replica: string;
  readonly signer: Signer | null;
  /** the fleet's redaction key, when the store was given it */
  readonly redactionKey?: RedactionKey;
  /** the fleet's key as the database recorded it at connect, or null */
  readonly #fleetKey: FleetKey | null;
  readonly #pool: Pool;
  readonly #options: PostgresStoreOptions;
  /** the store made its signer (the default key), so it releases it on close */
  readonly #ownsSigner: boolean;
  readonly #maxRetries: number;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #running = false;
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];
  #chain: ReceiptChain | null = null;
  /** the chain's row exists in the database */
  #chainRegistered = false;
  #chainId = "";
  readonly #stats = { batches: 0, transactions: 0, retries: 0, failures: 0, chains: 0 };

  private constructor(pool: Pool, url: string, options: PostgresStoreOptions, fleet: FleetKey | null) {
    this.#pool = pool;
    this.#options = options;
    this.target = describeTarget(url);
    this.journaled = options.receipts ?? true;
    this.replica = sanitize(options.replica ?? os.hostname());
    if (options.redactionKey !== undefined) this.redactionKey = options.redactionKey;
    this.#fleetKey = fleet;
    const threads = options.signingThreads ?? 0;
    this.#ownsSigner = this.journaled && options.signer === undefined;
    this.signer = !this.journaled ? null : (options.signer ?? (threads > 0 ? new SigningPool(generateKeyPair(), { threads }) : createSigner(generateKeyPair(), "native")));
    this.#maxRetries = options.maxRetries ?? 5;
    this.#maxBatch = options.maxBatch ?? 512;
  }

  /**
   * Connects and checks the schema: refuses (StoreError XP5024) a database whose schema version is not this code's,
   * unless `migrate: true` brings an older one up to date; XP5025 when the database cannot be used; XP5026 when
   * `redactionKey` is not the fleet's (the first replica given a key records it).
   */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = createPool(url, options);
    const target = describeTarget(url);
    let fleet: FleetKey | null;
    try {
      const client = await pool.connect().catch((e: unknown) => {
        throw databaseStoreError("io", target, errorText(e), e);
      });
      try {
        if (options.migrate === true) {
          try {
            await migrateWith(client);
          } catch (e: unknown) {
            if (e instanceof SchemaTooNew) throw databaseStoreError("schema", target, e.message);
            throw databaseStoreError("io", target, `migration failed: ${errorText(e)}`, e);
          }
        }
        const version = await schemaVersion(client).catch((e: unknown) => {
          throw databaseStoreError("io", target, errorText(e), e);
        });
        const problem = schemaProblem(version);
        if (problem !== null) throw databaseStoreError("schema", target, problem);
        const key = options.redactionKey;
        const unreadable = (e: unknown): never => {
          throw databaseStoreError("io", target, `cannot read the fleet's redaction key: ${errorText(e)}`, e);
        };
        if (key === undefined) fleet = await fleetKey(client).catch(unreadable);
        else {
          const recorded = await recordFleetKey(client, key.keyId, sanitize(options.replica ?? os.hostname())).catch(unreadable);
          if (recorded.id !== key.keyId) throw databaseStoreError("redaction-key", target, keyMismatch(key.keyId, recorded));
          fleet = recorded;
        }
      } finally {
        client.release();
      }
    } catch (e: unknown) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return new PostgresStore(pool, url, options, fleet);
  }

  /** An Enforcer over this store commits under the fleet's key, this store's, and no other (src/fleet-key.ts). */
  checkRedactionKey(keyId: string): Result<void, StoreError> {
    if (this.redactionKey === undefined) return { ok: false, error: databaseStoreError("redaction-key", this.target, keyMissing(this.#fleetKey)) };
    if (keyId !== this.redactionKey.keyId) {
      const why = `the Enforcer was given its own key ${keyId}, not the fleet's ${this.redactionKey.keyId}: give it none (it uses the store's)`;
      return { ok: false, error: databaseStoreError("redaction-key", this.target, why) };
    }
    return { ok: true, value: undefined };
  }

  /** What the store did so far. */
  get stats(): PostgresStoreStats {
    return { ...this.#stats };
  }

  /** The id of the receipt chain this store writes now (empty before its first receipt). */
  get chainId(): string {
    return this.#chainId;
  }

  transact<R>(scope: TxScope, body: (view: StateView) => TxStep<R>): Promise<TxOutcome<R, Receipt>> {
    if (this.#closed) return Promise.resolve({ ok: false, error: storeRefusal("closed") });
    return new Promise((resolve) => {
      this.#queue.push({ scope, body, resolve: resolve as (o: TxOutcome<unknown, Receipt>) => void });
      this.#schedule();
    });
  }

  /**
   * Readiness: closed, or the database does not answer a query (within the pool's connect and query timeouts): the
   * replica then can only deny, so its probe says so. A pool whose connections are all busy waits like a decision would.
   */
  async health(): Promise<StoreFailure | null> {
    if (this.#closed) return storeRefusal("closed");
    try {
      await this.#pool.query("SELECT 1");
      return null;
    } catch (e: unknown) {
      return storeRefusal("unavailable", `PostgreSQL: ${errorText(e)}`);
    }
  }

  // The callers of this turn join one batch: the drain starts on the next turn.
  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        await this.#runBatch(batch);
      }
    } finally {
      this.#running = false;
      for (const f of this.#idle.splice(0)) f();
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (e: unknown) {
        this.#fail(batch, `cannot connect to ${this.target}: ${errorText(e)}`);
        return;
      }
      let broken: unknown;
      let committing = false;
      try {
        const outcomes = await this.#attempt(client, batch, () => (committing = true));
        this.#chain?.commit();
        this.#stats.batches++;
        this.#stats.transactions += batch.length;
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
        client.release();
        return;
      } catch (e: unknown) {
        lastError = e;
        this.#chain?.rollback();
        if (committing) {
          // the server may or may not have committed: this chain ends here, a new one starts with the next receipt
          this.#chain = null;
          broken = e;
        } else if (sqlState(e) === undefined) {
          // not the server's answer (the connection broke, or the client's read timeout): the connection is dropped,
          // and the server rolls the transaction back with it
          broken = e;
        } else {
          try {
            await client.query("ROLLBACK");
          } catch (re: unknown) {
            broken = re;
          }
        }
        const state = sqlState(e);
        // a connection that rolled back cleanly goes back to the pool; any other is dropped
        client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error(String(broken)));
        if (!committing && state !== undefined && RETRYABLE.has(state) && attempt < this.#maxRetries) {
          this.#stats.retries++;
          // a short random pause so the colliding batches do not collide again
          await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
          continue;
        }
      }
      this.#fail(batch, errorText(lastError));
      return;
    }
  }

  #fail(batch: readonly Pending[], why: string): void {
    this.#stats.failures++;
    const error: StoreFailure = storeRefusal("unavailable", `PostgreSQL: ${why}`);
    for (const p of batch) p.resolve({ ok: false, error });
  }

  /** One database transaction for the batch; returns each transaction's answer, or throws (rolled back by the caller). */
  async #attempt(client: PoolClient, batch: readonly Pending[], committing: () => void): Promise<TxOutcome<unknown, Receipt>[]> {
    await client.query("BEGIN");
    const state = new StateBatch();
    const load = (why: string | null): void => {
      if (why !== null) throw new Error(`a row does not read back: ${why}`);
    };

    // 1. lock and read in the global order: actions, requests (found through the actions, or asked by id), then
    // counters, each sorted; the counters come last because they are the rows replicas contend on (one agent's
    // monthly count): taken last, they are held for the shortest time
    const counters = new Map<string, { counter: string; window: string; key: string }>();
    const actions = new Map<string, { policyDigest: string; actionDigest: string }>();
    const requestIds = new Set<string>();
    for (const { scope } of batch) {
      for (const c of scope.counters ?? []) {
        const window = windowLabel(c.window);
        counters.set(`${c.counter}\u0001${window}\u0001${c.key}`, { counter: c.counter, window, key: c.key });
      }
      for (const a of scope.actions ?? []) actions.set(`${a.policyDigest}\u0001${a.actionDigest}`, a);
      for (const r of scope.requests ?? []) requestIds.add(r);
    }
    const actionList = [...actions.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
    if (actionList.length > 0) {
      const rows = await client.query<{ request_id: string | null }>({
        name: "xp_lock_actions",
        text:
          "INSERT INTO execlayer_actions AS a (policy_digest, action_digest) SELECT * FROM unnest($1::text[], $2::text[]) " +
          "ON CONFLICT (policy_digest, action_digest) DO UPDATE SET request_id = a.request_id RETURNING request_id",
        values: [actionList.map((a) => a.policyDigest), actionList.map((a) => a.actionDigest)],
      });
      for (const r of rows.rows) if (r.request_id !== null) requestIds.add(r.request_id);
    }
    if (requestIds.size > 0) {
      const rows = await client.query<{ history: JsonValue[] }>({
        name: "xp_lock_requests",
        text: "SELECT history FROM execlayer_requests WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        values: [[...requestIds].sort()],
      });
      for (const r of rows.rows) load(state.loadRequest(r.history));
    }
    if (counters.size > 0) {
      const list = [...counters.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
      const rows = await client.query<{ counter: string; win: string; key: string; cell: JsonValue | null }>({
        name: "xp_lock_counters",
        text:
          "INSERT INTO execlayer_counters AS c (counter, win, key) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) " +
          "ON CONFLICT (counter, win, key) DO UPDATE SET cell = c.cell RETURNING counter, win, key, cell",
        values: [list.map((c) => c.counter), list.map((c) => c.window), list.map((c) => c.key)],
      });
      for (const r of rows.rows) load(state.loadCounter({ counter: r.counter, window: r.win, key: r.key, cell: r.cell }));
    }

    // 2. the runtime's transactions, in order, against the locked rows; one receipt each
    const chain = this.journaled ? this.#chainFor() : null;
    const appendTo = chain === null ? undefined : (kind: string, body: Receipt["body"], time: number) => chain.append(kind, body, time);
    const steps = batch.map((p) => state.step(p.scope, p.body, appendTo));
    const sealed = chain === null ? null : await chain.seal();

    // 3. write what changed, the receipts and a due checkpoint: one statement
    const cells = state.changedCounters();
    const { upsert, remove } = state.changedRequests();
    const held = actionList.map((a) => state.requestFor(a.policyDigest, a.actionDigest));
    const keepActions = actionList.filter((_, i) => held[i] !== null);
    const dropActions = actionList.filter((_, i) => held[i] === null);
    const receipts = sealed?.receipts ?? [];
    if (chain !== null && receipts.length > 0 && !this.#chainRegistered) {
      await client.query("INSERT INTO execlayer_chains (id, origin, replica, key_id, public_key) VALUES ($1, $2, $3, $4, $5)", [
        this.#chainId,
        chain.origin,
        this.replica,
        chain.signer.keyId,
        formatPublicKey(chain.signer.publicKey),
      ]);
    }
    // Each table's rows go as one JSON parameter (json_to_recordset): JSON.stringify and the server's JSON parser
    // are much cheaper than the driver's escaping of text[] literals for ~1 KB receipt lines.
    await client.query({
      name: "xp_write",
      text: `
WITH c AS (
  UPDATE execlayer_counters AS t SET cell = v.cell
  FROM json_to_recordset($1::json) AS v (counter text, win text, key text, cell jsonb)
  WHERE t.counter = v.counter AND t.win = v.win AND t.key = v.key
), r AS (
  INSERT INTO execlayer_requests (id, policy_digest, action_digest, created_at, expires_at, consumed_at, history)
  SELECT id, policy_digest, action_digest, created_at, expires_at, consumed_at, history
  FROM json_to_recordset($2::json) AS v (id text, policy_digest text, action_digest text, created_at bigint, expires_at bigint, consumed_at bigint, history jsonb)
  ON CONFLICT (id) DO UPDATE SET consumed_at = EXCLUDED.consumed_at, history = EXCLUDED.history
), d AS (
  DELETE FROM execlayer_requests WHERE id = ANY($3::text[])
), a AS (
  UPDATE execlayer_actions AS t SET request_id = v.request_id
  FROM json_to_recordset($4::json) AS v (policy_digest text, action_digest text, request_id text)
  WHERE t.policy_digest = v.policy_digest AND t.action_digest = v.action_digest AND t.request_id IS DISTINCT FROM v.request_id
), ad AS (
  DELETE FROM execlayer_actions AS t USING json_to_recordset($5::json) AS v (policy_digest text, action_digest text)
  WHERE t.policy_digest = v.policy_digest AND t.action_digest = v.action_digest
), rc AS (
  INSERT INTO execlayer_receipts (chain, seq, line)
  SELECT $6, $7::bigint + l.i - 1, l.line FROM json_array_elements_text($8::json) WITH ORDINALITY AS l (line, i)
), cp AS (
  INSERT INTO execlayer_checkpoints (chain, size, note) SELECT $6, $9, $10 WHERE $9::bigint IS NOT NULL
)
SELECT 1`,
      values: [
        JSON.stringify(cells.map((c) => ({ counter: c.counter, win: c.window, key: c.key, cell: c.cell }))),
        JSON.stringify(
          upsert.map((r) => ({ id: r.id, policy_digest: r.policyDigest, action_digest: r.actionDigest, created_at: r.createdAt, expires_at: r.expiresAt, consumed_at: r.consumedAt, history: r.history })),
        ),
        remove,
        JSON.stringify(keepActions.map((a) => ({ policy_digest: a.policyDigest, action_digest: a.actionDigest, request_id: state.requestFor(a.policyDigest, a.actionDigest) }))),
        JSON.stringify(dropActions.map((a) => ({ policy_digest: a.policyDigest, action_digest: a.actionDigest }))),
        this.#chainId,
        receipts[0]?.seq ?? 0,
        JSON.stringify(receipts.map((r) => r.line)),
        sealed?.checkpoint?.size ?? null,
        sealed?.checkpoint?.note ?? null,
      ],
    });
    committing();
    await client.query("COMMIT");
    if (receipts.length > 0) this.#chainRegistered = true;

    const out: TxOutcome<unknown, Receipt>[] = [];
    for (const s of steps) {
      if (!s.ok) out.push(s);
      else if (s.entry === undefined) out.push({ ok: true, result: s.result });
      else out.push({ ok: true, result: s.result, receipt: receipts[s.entry.seq - receipts[0]!.seq]!.receipt });
    }
    return out;
  }

  /** This store's current chain, started (a new id, registered with its first receipts) when there is none. */
  #chainFor(): ReceiptChain {
    if (this.#chain !== null) return this.#chain;
    const started = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    this.#chainId = `${this.replica}.${started}.${randomBytes(4).toString("hex")}`;
    this.#chainRegistered = false;
    this.#stats.chains++;
    this.#chain = new ReceiptChain(this.signer!, {
      origin: `execlayer/${this.#chainId}`,
      ...(this.#options.checkpointEvery !== undefined ? { checkpointEvery: this.#options.checkpointEvery } : {}),
    });
    return this.#chain;
  }

  /** Open requests (pending or approved, not expired) at `now`, oldest first. Rejects (StoreError) when the database cannot answer. */
  async openRequests(now: number): Promise<readonly RequestSnapshot[]> {
    let rows: { history: JsonValue[] }[];
    try {
      rows = (await this.#pool.query<{ history: JsonValue[] }>("SELECT history FROM execlayer_requests WHERE consumed_at IS NULL AND expires_at >= $1", [now])).rows;
    } catch (e: unknown) {
      throw databaseStoreError("io", this.target, errorText(e), e);
    }
    const state = new StateBatch();
    for (const r of rows) {
      const why = state.loadRequest(r.history);
      if (why !== null) throw databaseStoreError("io", this.target, `a request row does not read back: ${why}`);
    }
    return state.openRequests(now);
  }

  /**
   * Waits for the transactions in flight, writes the chain's final checkpoint and closes the pool. Later
   * transactions are refused (XP5023).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#running || this.#scheduled || this.#queue.length > 0) await new Promise<void>((r) => this.#idle.push(r));
    try {
      const chain = this.#chain;
      if (chain !== null && this.#chainRegistered && chain.size > 0) {
        const cp = chain.checkpoint();
        await this.#pool
          .query(
            "WITH cp AS (INSERT INTO execlayer_checkpoints (chain, size, note) VALUES ($1, $2, $3) ON CONFLICT (chain, size) DO NOTHING) UPDATE execlayer_chains SET closed_at = now() WHERE id = $1",
            [this.#chainId, cp.size, cp.note],
          )
          .catch(() => undefined);
      }
    } finally {
      if (this.#ownsSigner) await this.signer?.close?.().catch(() => undefined);
      await this.#pool.end().catch(() => undefined);
    }
  }
}

/**
 * Brings the database at `url` to this code's schema version (`xpol db migrate`) and, given `redactionKey`, records
 * it as the fleet's (src/fleet-key.ts). Throws StoreError (XP5024, XP5025; XP5026 when another key is recorded).
 */
export async function migrate(url: string, options: Pick<PostgresStoreOptions, "statementTimeoutMs" | "connectTimeoutMs" | "pg" | "redactionKey"> = {}): Promise<MigrateResult> {
  const pool = createPool(url, { ...options, poolSize: 1, statementTimeoutMs: options.statementTimeoutMs ?? 60_000 });
  const target = describeTarget(url);
  try {
    const client = await pool.connect().catch((e: unknown) => {
      throw databaseStoreError("io", target, errorText(e), e);
    });
    try {
      const result = await migrateWith(client);
      const key = options.redactionKey;
      if (key !== undefined) {
        const fleet = await recordFleetKey(client, key.keyId, "migrate");
        if (fleet.id !== key.keyId) throw databaseStoreError("redaction-key", target, keyMismatch(key.keyId, fleet));
      }
      return result;
    } catch (e: unknown) {
      if (e instanceof SchemaTooNew) throw databaseStoreError("schema", target, e.message);
      if (e instanceof StoreError) throw e;
      throw databaseStoreError("io", target, `migration failed: ${errorText(e)}`, e);
    } finally {
      client.release();
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}
