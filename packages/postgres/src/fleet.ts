// Receipts in a fleet: every store connection (a replica) writes its own signed hash chain, so replicas never wait
// for one another to extend a chain; the database holds all of them (execlayer_chains, _receipts, _checkpoints).
// An auditor checks every chain. Both operations here go through the directory format of the receipt log
// (receipts.jsonl, checkpoints.jsonl): `exportChains` writes one directory per chain, which `xpol verify DIR --key PUB`
// accepts as it is, and `verifyChains` exports to a temporary directory and runs the project's one log verifier
// (`verifyLog`) on each chain, so a chain in the database is held to exactly the rules of a log on disk.
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { canonicalize, formatPublicKey, parsePublicKey } from "execlayer";
import { verifyLog, type VerifyLogResult } from "execlayer/receipts";
import { createPool, describeTarget } from "./store.ts";
import { databaseStoreError } from "execlayer";
import type { Pool } from "pg";

/** A chain's identity as registered in execlayer_chains. */
export interface ChainIdentity {
  readonly id: string;
  readonly replica: string;
  readonly origin: string;
  readonly keyId: string;
  /** `ed25519:<64 hex>` as registered in the database */
  readonly publicKey: string;
}

/** One chain as exported: its directory (relative to the export's) and its registered identity. */
export interface ChainExport extends ChainIdentity {
  readonly receipts: number;
  readonly checkpoints: number;
  /** the store closed the chain (its last checkpoint covers every receipt) */
  readonly closed: boolean;
  readonly dir: string;
}

export interface ExportResult {
  readonly chains: readonly ChainExport[];
}

const PAGE = 5000;

/** A chain id as a directory name: chain ids are [A-Za-z0-9._-] (store.ts), anything else is escaped. */
function dirName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return safe === "." || safe === ".." ? `%2e${safe.slice(1)}` : safe;
}

interface ChainRow {
  id: string;
  replica: string;
  origin: string;
  key_id: string;
  public_key: string;
  closed: boolean;
}

const CHAIN_COLUMNS = "id, replica, origin, key_id, public_key, closed_at IS NOT NULL AS closed";

/** Writes one chain's receipts, checkpoints and registered key into `chainDir` (a receipt log directory). */
async function exportChainTo(pool: Pool, c: ChainRow, chainDir: string, sub: string): Promise<ChainExport> {
  await fs.mkdir(chainDir, { recursive: true });
  const receiptsFile = await fs.open(path.join(chainDir, "receipts.jsonl"), "w");
  let count = 0;
  try {
    let from = 0;
    for (;;) {
      // keyset pages in seq order: a gap or a duplicate stays visible to the verifier, nothing is filled in
      const page = await pool.query<{ seq: string; line: string }>("SELECT seq, line FROM execlayer_receipts WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3", [c.id, from, PAGE]);
      if (page.rows.length === 0) break;
      await receiptsFile.write(page.rows.map((r) => r.line + "\n").join(""));
      count += page.rows.length;
      from = Number(page.rows[page.rows.length - 1]!.seq) + 1;
      if (page.rows.length < PAGE) break;
    }
  } finally {
    await receiptsFile.close();
  }
  const cps = (await pool.query<{ note: string }>("SELECT note FROM execlayer_checkpoints WHERE chain = $1 ORDER BY size", [c.id])).rows;
  await fs.writeFile(path.join(chainDir, "checkpoints.jsonl"), cps.map((r) => canonicalize({ note: r.note }) + "\n").join(""));
  await fs.writeFile(path.join(chainDir, "runtime.pub"), c.public_key + "\n");
  return { id: c.id, replica: c.replica, origin: c.origin, keyId: c.key_id, publicKey: c.public_key, receipts: count, checkpoints: cps.length, closed: c.closed, dir: sub };
}

async function exportWith(pool: Pool, dir: string): Promise<ExportResult> {
  await fs.mkdir(dir, { recursive: true });
  const chains = (await pool.query<ChainRow>(`SELECT ${CHAIN_COLUMNS} FROM execlayer_chains ORDER BY started_at, id`)).rows;
  const out: ChainExport[] = [];
  for (const c of chains) {
    const sub = dirName(c.id);
    out.push(await exportChainTo(pool, c, path.join(dir, sub), sub));
  }
  await fs.writeFile(path.join(dir, "chains.json"), JSON.stringify({ format: "execlayer/postgres-export/v1", chains: out }, null, 2) + "\n");
  return { chains: out };
}

/** One chain as listed for an auditor: its registered identity and how far it reaches. */
export interface ChainInfo extends ChainIdentity {
  /** receipts in the chain */
  readonly receipts: number;
  /** the size of its latest checkpoint (0: none yet) */
  readonly checkpointed: number;
  /** the store closed the chain (its last checkpoint covers every receipt) */
  readonly closed: boolean;
}

/**
 * Read access to the fleet's receipt chains for an auditor's API (`xpol serve --postgres`'s receipts routes): the
 * chains, a range of one chain's lines exactly as stored, its checkpoint notes, and one chain written out as a receipt
 * log directory, on which the core's proofs run as on any log. Reads only; every failure of the database throws
 * StoreError (XP5025).
 */
export class ChainReader {
  readonly #pool: Pool;
  readonly #target: string;

  private constructor(pool: Pool, target: string) {
    this.#pool = pool;
    this.#target = target;
  }

  /** A reader on its own small pool (reads never wait behind the store's decisions). */
  static open(url: string): ChainReader {
    return new ChainReader(createPool(url, { poolSize: 2, statementTimeoutMs: 30_000 }), describeTarget(url));
  }

  async #run<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e: unknown) {
      throw databaseStoreError("io", this.#target, `${what}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }

  /** Every chain, oldest first. */
  chains(): Promise<ChainInfo[]> {
    return this.#run("listing the receipt chains", async () => {
      const rows = (
        await this.#pool.query<ChainRow & { receipts: string; checkpointed: string }>(
          `SELECT ${CHAIN_COLUMNS},
             (SELECT count(*) FROM execlayer_receipts r WHERE r.chain = c.id) AS receipts,
             (SELECT coalesce(max(size), 0) FROM execlayer_checkpoints k WHERE k.chain = c.id) AS checkpointed
           FROM execlayer_chains c ORDER BY started_at, id`,
        )
      ).rows;
      return rows.map((r) => ({ id: r.id, replica: r.replica, origin: r.origin, keyId: r.key_id, publicKey: r.public_key, receipts: Number(r.receipts), checkpointed: Number(r.checkpointed), closed: r.closed }));
    });
  }

  /** Whether chain `id` exists. */
  has(id: string): Promise<boolean> {
    return this.#run("reading a receipt chain", async () => (await this.#pool.query("SELECT 1 FROM execlayer_chains WHERE id = $1", [id])).rows.length > 0);
  }

  /** Lines `from`..`to` (inclusive; `to` undefined: to the end) of chain `id`, in seq order, exactly as stored. */
  lines(id: string, from: number, to: number | undefined): Promise<string[]> {
    return this.#run("reading receipts", async () => {
      const rows = (
        await this.#pool.query<{ line: string }>("SELECT line FROM execlayer_receipts WHERE chain = $1 AND seq >= $2 AND ($3::bigint IS NULL OR seq <= $3) ORDER BY seq", [id, from, to ?? null])
      ).rows;
      return rows.map((r) => r.line);
    });
  }

  /** The checkpoint notes of chain `id`, smallest first. */
  checkpointNotes(id: string): Promise<string[]> {
    return this.#run("reading checkpoints", async () => (await this.#pool.query<{ note: string }>("SELECT note FROM execlayer_checkpoints WHERE chain = $1 ORDER BY size", [id])).rows.map((r) => r.note));
  }

  /** Writes chain `id` into `dir` as a receipt log directory (receipts.jsonl, checkpoints.jsonl, runtime.pub); null when there is no such chain. */
  exportChain(id: string, dir: string): Promise<ChainExport | null> {
    return this.#run("reading a receipt chain", async () => {
      const c = (await this.#pool.query<ChainRow>(`SELECT ${CHAIN_COLUMNS} FROM execlayer_chains WHERE id = $1`, [id])).rows[0];
      return c === undefined ? null : await exportChainTo(this.#pool, c, dir, ".");
    });
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }
}

/**
 * Writes every chain of the database at `url` to `dir`: `dir/<chain id>/receipts.jsonl`, `checkpoints.jsonl` and
 * `runtime.pub` (the key registered for the chain), plus `dir/chains.json` listing them. Each chain directory is a
 * receipt log `xpol verify` checks offline. Throws StoreError (XP5025) when the database cannot be read.
 */
export async function exportChains(url: string, dir: string): Promise<ExportResult> {
  const pool = createPool(url, { poolSize: 1, statementTimeoutMs: 120_000 });
  try {
    return await exportWith(pool, dir);
  } catch (e: unknown) {
    throw databaseStoreError("io", describeTarget(url), e instanceof Error ? e.message : String(e), e);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

export interface ChainVerdict extends ChainExport {
  readonly ok: boolean;
  /** the log verifier's result over the chain (with the key it was checked against) */
  readonly result: VerifyLogResult;
  /** set when the chain's registered key is not one of the keys given */
  readonly unknownKey?: true;
}

export interface VerifyChainsOptions {
  /**
   * The replicas' public keys (`ed25519:<64 hex>` or raw bytes) the auditor trusts. Every chain must be signed by one
   * of them. Without keys, each chain is checked against the key registered beside it in the same database, which
   * proves the chains intact but not who wrote them (`keysFromDatabase`).
   */
  readonly keys?: readonly (string | Uint8Array)[];
}

export interface VerifyChainsResult {
  readonly ok: boolean;
  readonly chains: readonly ChainVerdict[];
  readonly keysFromDatabase: boolean;
}

/** Verifies every receipt chain in the database at `url` (`xpol verify --postgres URL`). Never writes to it. */
export async function verifyChains(url: string, options: VerifyChainsOptions = {}): Promise<VerifyChainsResult> {
  const trusted = new Set<string>();
  for (const k of options.keys ?? []) {
    if (typeof k === "string") {
      const parsed = parsePublicKey(k.trim());
      if (!parsed.ok) throw new RangeError(`not a public key: ${parsed.error}`);
      trusted.add(formatPublicKey(parsed.value));
    } else {
      trusted.add(formatPublicKey(k));
    }
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "xpol-pg-verify-"));
  try {
    const exported = await exportChains(url, tmp);
    const chains: ChainVerdict[] = [];
    for (const c of exported.chains) {
      const key = parsePublicKey(c.publicKey);
      const unknownKey = trusted.size > 0 && !trusted.has(c.publicKey);
      if (!key.ok) {
        const result: VerifyLogResult = { ok: false, count: 0, checkpoints: 0 };
        chains.push({ ...c, ok: false, result });
        continue;
      }
      const result = await verifyLog(path.join(tmp, c.dir), key.value, { threads: 0 });
      chains.push({ ...c, ok: result.ok && !unknownKey, result, ...(unknownKey ? { unknownKey: true as const } : {}) });
    }
    return { ok: chains.every((c) => c.ok), chains, keysFromDatabase: trusted.size === 0 };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
